/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for nbd_proto.h: the handshake state machine fed with byte
 * strings (every option, split input, malformed and oversized data), the
 * request validation rules, the error mappings and the codecs. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nbd_proto.h"

/* ---- A fake backend with three exports ---- */

struct fake {
        int lookup_error;        /* forced lookup failure, 0 for none */
        int open_error;
        int list_error;
        bool bad_blocks;
        unsigned opens;
        void *opened;
};

static int exports_tag[3];

static int fake_lookup(void *userdata, const char *name, struct nbd_export_desc *ret, void **ret_export) {
        struct fake *f = userdata;

        if (f->lookup_error)
                return f->lookup_error;
        if (streq(name, "") || streq(name, "0")) {
                *ret = (struct nbd_export_desc) {
                        .size = 1 << 20,
                        .flags = nbd_proto_transmission_flags(false, true, true, true, true, true),
                        .min_block = f->bad_blocks ? 3 : 0,
                };
                *ret_export = &exports_tag[0];
                return 0;
        }
        if (streq(name, "1")) {
                *ret = (struct nbd_export_desc) {
                        .size = 4096,
                        .flags = nbd_proto_transmission_flags(true, true, true, true, true, false),
                        .min_block = 512, .preferred_block = 4096, .max_block = 1 << 20,
                        .description = "second volume",
                };
                *ret_export = &exports_tag[1];
                return 0;
        }
        return -ENOENT;
}

static int fake_open(void *userdata, void *export) {
        struct fake *f = userdata;

        if (f->open_error)
                return f->open_error;
        f->opens++;
        f->opened = export;
        return 0;
}

static int fake_list(void *userdata, void (*emit)(void *, const char *, const char *), void *emit_ctx) {
        struct fake *f = userdata;

        emit(emit_ctx, "0", NULL);
        emit(emit_ctx, "1", "second volume");
        return f->list_error;
}

static const struct nbd_handshake_ops fake_ops = {
        .lookup = fake_lookup,
        .open = fake_open,
        .list = fake_list,
};

/* ---- Harness ---- */

struct hs_test {
        struct fake fake;
        struct nbd_handshake hs;
        struct buf out;
        size_t rpos;             /* replies read from out so far */
};

static int hs_setup(void **state) {
        struct hs_test *t = calloc(1, sizeof(*t));

        assert_non_null(t);
        nbd_handshake_init(&t->hs, &fake_ops, &t->fake);
        assert_int_equal(nbd_handshake_start(&t->hs, &t->out), 0);
        t->rpos = NBD_GREETING_SIZE;
        *state = t;
        return 0;
}

static int hs_teardown(void **state) {
        struct hs_test *t = *state;

        nbd_handshake_done(&t->hs);
        buf_free(&t->out);
        free(t);
        return 0;
}

/* Feeds all of data; returns feed's result and checks everything was used
 * unless a final state or an error was reached. */
static int feed(struct hs_test *t, const void *data, size_t len) {
        size_t used = 0;
        int r = nbd_handshake_feed(&t->hs, data, len, &used, &t->out);

        if (r == NBD_HS_CLIENT_FLAGS || r == NBD_HS_OPT_HEADER || r == NBD_HS_OPT_DATA ||
            r == NBD_HS_OPT_SKIP)
                assert_int_equal(used, len);
        return r;
}

static int feed_flags(struct hs_test *t, uint32_t flags) {
        uint8_t b[4];

        nbd_put32(b, flags);
        return feed(t, b, sizeof(b));
}

static int feed_option(struct hs_test *t, uint32_t opt, const void *data, uint32_t len) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        assert_int_equal(nbd_option_encode(&b, opt, data, len), 0);
        return feed(t, b.data, b.len);
}

static int feed_info(struct hs_test *t, uint32_t opt, const char *name, const uint16_t *infos, uint16_t n) {
        _cleanup_buf_ struct buf d = BUF_INIT;

        assert_int_equal(nbd_option_info_data(&d, name, infos, n), 0);
        return feed_option(t, opt, d.data, (uint32_t) d.len);
}

/* Takes the next option reply from out; checks the option it answers. */
static uint32_t next_reply(struct hs_test *t, uint32_t opt, const uint8_t **ret_data, uint32_t *ret_len) {
        struct nbd_option_reply rep;

        assert_true(t->out.len - t->rpos >= NBD_OPTION_REPLY_HEADER_SIZE);
        assert_int_equal(nbd_option_reply_parse((const uint8_t *) t->out.data + t->rpos, &rep), 0);
        assert_int_equal(rep.opt, opt);
        t->rpos += NBD_OPTION_REPLY_HEADER_SIZE;
        assert_true(t->out.len - t->rpos >= rep.length);
        if (ret_data)
                *ret_data = (const uint8_t *) t->out.data + t->rpos;
        if (ret_len)
                *ret_len = rep.length;
        t->rpos += rep.length;
        return rep.type;
}

static void no_more_output(struct hs_test *t) {
        assert_int_equal(t->out.len, t->rpos);
}

/* ---- Handshake tests ---- */

static void test_greeting(void **state) {
        struct hs_test *t = *state;
        const uint8_t *g = (const uint8_t *) t->out.data;

        assert_int_equal(t->out.len, NBD_GREETING_SIZE);
        assert_memory_equal(g, "NBDMAGICIHAVEOPT", 16);
        assert_int_equal(nbd_get16(g + 16), NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
        assert_int_equal(t->hs.state, NBD_HS_CLIENT_FLAGS);
}

static void test_client_flags(void **state) {
        struct hs_test *t = *state;

        assert_int_equal(feed_flags(t, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES), NBD_HS_OPT_HEADER);
        assert_true(t->hs.no_zeroes);
        no_more_output(t);
}

static void test_client_flags_none(void **state) {
        struct hs_test *t = *state;

        /* Old newstyle clients are served too. */
        assert_int_equal(feed_flags(t, 0), NBD_HS_OPT_HEADER);
        assert_false(t->hs.no_zeroes);
}

static void test_client_flags_unknown(void **state) {
        struct hs_test *t = *state;
        size_t used = 99;

        assert_int_equal(feed_flags(t, NBD_FLAG_C_FIXED_NEWSTYLE | 0x4), -EPROTO);
        assert_non_null(strstr(t->hs.error, "client flags"));
        /* Sticky: nothing more is consumed. */
        assert_int_equal(nbd_handshake_feed(&t->hs, "x", 1, &used, &t->out), -EPROTO);
        assert_int_equal(used, 0);
        no_more_output(t);
}

static void test_bad_option_magic(void **state) {
        struct hs_test *t = *state;
        uint8_t b[16] = "IHAVEOPX";

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed(t, b, sizeof(b)), -EPROTO);
        assert_non_null(strstr(t->hs.error, "magic"));
}

static void test_export_name(void **state) {
        struct hs_test *t = *state;
        const uint8_t *p = (const uint8_t *) t->out.data + t->rpos;

        assert_int_equal(feed_flags(t, NBD_FLAG_C_FIXED_NEWSTYLE), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_EXPORT_NAME, "0", 1), NBD_HS_TRANSMISSION);
        p = (const uint8_t *) t->out.data + t->rpos;
        assert_int_equal(t->out.len - t->rpos, NBD_EXPORT_NAME_REPLY_SIZE);
        assert_int_equal(nbd_get64(p), 1 << 20);
        assert_int_equal(nbd_get16(p + 8), NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
                                           NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES |
                                           NBD_FLAG_CAN_MULTI_CONN);
        for (size_t i = 10; i < NBD_EXPORT_NAME_REPLY_SIZE; i++)
                assert_int_equal(p[i], 0);
        assert_ptr_equal(t->hs.export_handle, &exports_tag[0]);
        assert_int_equal(t->fake.opens, 1);
        assert_int_equal(t->hs.export.max_block, NBD_MAX_PAYLOAD);
        assert_null(t->hs.export.description);
}

static void test_export_name_no_zeroes_default(void **state) {
        struct hs_test *t = *state;

        assert_int_equal(feed_flags(t, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_EXPORT_NAME, NULL, 0), NBD_HS_TRANSMISSION);
        assert_int_equal(t->out.len - t->rpos, 10);
        assert_ptr_equal(t->hs.export_handle, &exports_tag[0]);
}

static void test_export_name_leaves_rest(void **state) {
        struct hs_test *t = *state;
        _cleanup_buf_ struct buf b = BUF_INIT;
        size_t used;

        assert_int_equal(buf_append(&b, "\0\0\0\1", 4), 0);
        assert_int_equal(nbd_option_encode(&b, NBD_OPT_EXPORT_NAME, "1", 1), 0);
        assert_int_equal(buf_append(&b, "REQUESTS", 8), 0);
        assert_int_equal(nbd_handshake_feed(&t->hs, b.data, b.len, &used, &t->out), NBD_HS_TRANSMISSION);
        assert_int_equal(used, b.len - 8);
        assert_ptr_equal(t->hs.export_handle, &exports_tag[1]);
        assert_true(t->hs.export.flags & NBD_FLAG_READ_ONLY);
        /* Final state: nothing more is consumed. */
        assert_int_equal(nbd_handshake_feed(&t->hs, "x", 1, &used, &t->out), NBD_HS_TRANSMISSION);
        assert_int_equal(used, 0);
}

static void test_export_name_unknown(void **state) {
        struct hs_test *t = *state;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_EXPORT_NAME, "nope\n", 5), -EPROTO);
        assert_non_null(strstr(t->hs.error, "'nope?'"));
        assert_non_null(strstr(t->hs.error, "no such export"));
        no_more_output(t);
        assert_int_equal(t->fake.opens, 0);
}

static void test_export_name_nul(void **state) {
        struct hs_test *t = *state;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_EXPORT_NAME, "0\0", 2), -EPROTO);
}

static void test_export_name_open_refused(void **state) {
        struct hs_test *t = *state;

        t->fake.open_error = -EBUSY;
        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_EXPORT_NAME, "0", 1), -EPROTO);
        assert_non_null(strstr(t->hs.error, "cannot open"));
        no_more_output(t);
}

static void test_export_name_too_long(void **state) {
        struct hs_test *t = *state;
        uint8_t h[16];

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        nbd_put64(h, NBD_IHAVEOPT);
        nbd_put32(h + 8, NBD_OPT_EXPORT_NAME);
        nbd_put32(h + 12, NBD_OPT_MAX_DATA + 1);
        assert_int_equal(feed(t, h, sizeof(h)), -EPROTO);
}

static void test_abort(void **state) {
        struct hs_test *t = *state;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        /* Data with ABORT is ignored. */
        assert_int_equal(feed_option(t, NBD_OPT_ABORT, "junk", 4), NBD_HS_CLOSED);
        assert_int_equal(next_reply(t, NBD_OPT_ABORT, NULL, NULL), NBD_REP_ACK);
        no_more_output(t);
}

static void check_server_reply(const uint8_t *d, uint32_t len, const char *name, const char *desc) {
        uint32_t nl;

        assert_true(len >= 4);
        nl = nbd_get32(d);
        assert_int_equal(nl, strlen(name));
        assert_int_equal(len, 4 + nl + (desc ? strlen(desc) : 0));
        assert_memory_equal(d + 4, name, nl);
        if (desc)
                assert_memory_equal(d + 4 + nl, desc, strlen(desc));
}

static void test_list(void **state) {
        struct hs_test *t = *state;
        const uint8_t *d;
        uint32_t len;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_LIST, NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, &d, &len), NBD_REP_SERVER);
        check_server_reply(d, len, "0", NULL);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, &d, &len), NBD_REP_SERVER);
        check_server_reply(d, len, "1", "second volume");
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, NULL), NBD_REP_ACK);
        no_more_output(t);
}

static void test_list_with_data(void **state) {
        struct hs_test *t = *state;
        uint32_t len;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_LIST, "x", 1), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, &len), NBD_REP_ERR_INVALID);
        assert_true(len > 0);  /* a message for the user */
        no_more_output(t);
}

static void test_list_error(void **state) {
        struct hs_test *t = *state;

        t->fake.list_error = -ESHUTDOWN;
        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_option(t, NBD_OPT_LIST, NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, NULL), NBD_REP_SERVER);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, NULL), NBD_REP_SERVER);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, NULL), NBD_REP_ERR_SHUTDOWN);
        no_more_output(t);
}

static void test_list_without_callback(void **state) {
        static const struct nbd_handshake_ops ops = { .lookup = fake_lookup };
        struct nbd_handshake hs;
        _cleanup_buf_ struct buf in = BUF_INIT, out = BUF_INIT;
        struct nbd_option_reply rep;
        size_t used;

        nbd_handshake_init(&hs, &ops, NULL);
        assert_int_equal(buf_append(&in, "\0\0\0\1", 4), 0);
        assert_int_equal(nbd_option_encode(&in, NBD_OPT_LIST, NULL, 0), 0);
        assert_int_equal(nbd_handshake_feed(&hs, in.data, in.len, &used, &out), NBD_HS_OPT_HEADER);
        assert_int_equal(out.len, NBD_OPTION_REPLY_HEADER_SIZE);
        assert_int_equal(nbd_option_reply_parse((uint8_t *) out.data, &rep), 0);
        assert_int_equal(rep.type, NBD_REP_ACK);
        nbd_handshake_done(&hs);
}

/* Reads the INFO replies of an INFO/GO up to its final reply. */
struct infos {
        bool export, name, desc, block;
        uint64_t size;
        uint16_t flags;
        char name_s[64], desc_s[64];
        uint32_t min, pref, max;
};

static uint32_t read_infos(struct hs_test *t, uint32_t opt, struct infos *ret) {
        const uint8_t *d;
        uint32_t len, type;

        *ret = (struct infos) {};
        while ((type = next_reply(t, opt, &d, &len)) == NBD_REP_INFO) {
                assert_true(len >= 2);
                switch (nbd_get16(d)) {
                case NBD_INFO_EXPORT:
                        assert_int_equal(len, 12);
                        ret->export = true;
                        ret->size = nbd_get64(d + 2);
                        ret->flags = nbd_get16(d + 10);
                        break;
                case NBD_INFO_NAME:
                        ret->name = true;
                        assert_true(len - 2 < sizeof(ret->name_s));
                        memcpy(ret->name_s, d + 2, len - 2);
                        break;
                case NBD_INFO_DESCRIPTION:
                        ret->desc = true;
                        assert_true(len - 2 < sizeof(ret->desc_s));
                        memcpy(ret->desc_s, d + 2, len - 2);
                        break;
                case NBD_INFO_BLOCK_SIZE:
                        assert_int_equal(len, 14);
                        ret->block = true;
                        ret->min = nbd_get32(d + 2);
                        ret->pref = nbd_get32(d + 6);
                        ret->max = nbd_get32(d + 10);
                        break;
                default:
                        fail_msg("unexpected info type %u", nbd_get16(d));
                }
        }
        return type;
}

static void test_info_then_go(void **state) {
        struct hs_test *t = *state;
        const uint16_t all[] = { NBD_INFO_NAME, NBD_INFO_DESCRIPTION, NBD_INFO_BLOCK_SIZE, 77 };
        struct infos i;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_info(t, NBD_OPT_INFO, "1", all, 4), NBD_HS_OPT_HEADER);
        assert_int_equal(read_infos(t, NBD_OPT_INFO, &i), NBD_REP_ACK);
        assert_true(i.export && i.name && i.desc && i.block);
        assert_int_equal(i.size, 4096);
        assert_true(i.flags & NBD_FLAG_READ_ONLY);
        assert_false(i.flags & NBD_FLAG_SEND_TRIM);
        assert_string_equal(i.name_s, "1");
        assert_string_equal(i.desc_s, "second volume");
        assert_int_equal(i.min, 512);
        assert_int_equal(i.pref, 4096);
        assert_int_equal(i.max, 1 << 20);
        assert_int_equal(t->fake.opens, 0);  /* INFO does not open */

        assert_int_equal(feed_info(t, NBD_OPT_GO, "1", NULL, 0), NBD_HS_TRANSMISSION);
        assert_int_equal(read_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
        /* Block sizes are sent even when not requested; name/desc are not. */
        assert_true(i.export && i.block && !i.name && !i.desc);
        no_more_output(t);
        assert_int_equal(t->fake.opens, 1);
        assert_ptr_equal(t->fake.opened, &exports_tag[1]);
        assert_ptr_equal(t->hs.export_handle, &exports_tag[1]);
        assert_int_equal(t->hs.export.min_block, 512);
}

static void test_go_default_export(void **state) {
        struct hs_test *t = *state;
        const uint16_t bs[] = { NBD_INFO_BLOCK_SIZE };
        struct infos i;

        assert_int_equal(feed_flags(t, 3), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_info(t, NBD_OPT_GO, "", bs, 1), NBD_HS_TRANSMISSION);
        assert_int_equal(read_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
        assert_int_equal(i.size, 1 << 20);
        assert_int_equal(i.min, 1);
        assert_int_equal(i.pref, 4096);
        assert_int_equal(i.max, 32 << 20);
        /* No zero padding after GO, whatever NO_ZEROES says. */
        no_more_output(t);
}

static void test_go_unknown_then_ok(void **state) {
        struct hs_test *t = *state;
        struct infos i;
        const uint8_t *d;
        uint32_t len;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(feed_info(t, NBD_OPT_GO, "7", NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, &d, &len), NBD_REP_ERR_UNKNOWN);
        assert_true(len > 0 && memmem(d, len, "'7'", 3));
        assert_int_equal(feed_info(t, NBD_OPT_GO, "0", NULL, 0), NBD_HS_TRANSMISSION);
        assert_int_equal(read_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
}

static void test_go_lookup_errors(void **state) {
        struct hs_test *t = *state;

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        t->fake.lookup_error = -ESHUTDOWN;
        assert_int_equal(feed_info(t, NBD_OPT_GO, "0", NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_SHUTDOWN);
        t->fake.lookup_error = -EAGAIN;
        assert_int_equal(feed_info(t, NBD_OPT_INFO, "0", NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_INFO, NULL, NULL), NBD_REP_ERR_UNKNOWN);
        t->fake.lookup_error = -EACCES;
        assert_int_equal(feed_info(t, NBD_OPT_GO, "0", NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_POLICY);
        t->fake.lookup_error = 0;
        t->fake.bad_blocks = true;
        assert_int_equal(feed_info(t, NBD_OPT_GO, "0", NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_UNKNOWN);
        t->fake.bad_blocks = false;
        t->fake.open_error = -ESHUTDOWN;
        assert_int_equal(feed_info(t, NBD_OPT_GO, "0", NULL, 0), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_SHUTDOWN);
        no_more_output(t);
        assert_int_equal(t->fake.opens, 0);
}

static void test_info_malformed(void **state) {
        struct hs_test *t = *state;
        uint8_t d[16];

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        /* Shorter than name length + count. */
        assert_int_equal(feed_option(t, NBD_OPT_INFO, "\0\0\0", 3), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_INFO, NULL, NULL), NBD_REP_ERR_INVALID);
        /* Name length beyond the data. */
        nbd_put32(d, 100);
        nbd_put16(d + 4, 0);
        assert_int_equal(feed_option(t, NBD_OPT_GO, d, 6), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_INVALID);
        /* Name length 0xffffffff must not wrap. */
        nbd_put32(d, UINT32_MAX);
        assert_int_equal(feed_option(t, NBD_OPT_GO, d, 6), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_INVALID);
        /* Count of info requests does not match the length. */
        nbd_put32(d, 1);
        d[4] = '0';
        nbd_put16(d + 5, 2);
        nbd_put16(d + 7, NBD_INFO_NAME);
        assert_int_equal(feed_option(t, NBD_OPT_GO, d, 9), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_INVALID);
        /* Trailing garbage. */
        nbd_put16(d + 5, 0);
        assert_int_equal(feed_option(t, NBD_OPT_GO, d, 8), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_INVALID);
        /* NUL inside the name. */
        nbd_put32(d, 2);
        d[4] = '0';
        d[5] = 0;
        nbd_put16(d + 6, 0);
        assert_int_equal(feed_option(t, NBD_OPT_GO, d, 8), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_INVALID);
        no_more_output(t);
        assert_int_equal(t->hs.n_options, 6);
}

static void test_unsupported_options(void **state) {
        struct hs_test *t = *state;
        const uint32_t opts[] = { NBD_OPT_STARTTLS, NBD_OPT_STRUCTURED_REPLY, NBD_OPT_LIST_META_CONTEXT,
                                  NBD_OPT_SET_META_CONTEXT, NBD_OPT_EXTENDED_HEADERS, NBD_OPT_PEEK_EXPORT,
                                  12345, UINT32_MAX };

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        for (size_t i = 0; i < ELEMENTSOF(opts); i++) {
                assert_int_equal(feed_option(t, opts[i], "abc", 3), NBD_HS_OPT_HEADER);
                assert_int_equal(next_reply(t, opts[i], NULL, NULL), NBD_REP_ERR_UNSUP);
        }
        no_more_output(t);
}

static void test_oversized_option_skipped(void **state) {
        struct hs_test *t = *state;
        size_t n = NBD_OPT_MAX_DATA + 1000;
        _cleanup_free_ uint8_t *big = calloc(1, n);
        uint8_t h[16];

        assert_non_null(big);
        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        nbd_put64(h, NBD_IHAVEOPT);
        nbd_put32(h + 8, NBD_OPT_GO);
        nbd_put32(h + 12, (uint32_t) n);
        assert_int_equal(feed(t, h, sizeof(h)), NBD_HS_OPT_SKIP);
        assert_int_equal(feed(t, big, n - 1), NBD_HS_OPT_SKIP);
        no_more_output(t);
        assert_int_equal(feed(t, big, 1), NBD_HS_OPT_HEADER);
        assert_int_equal(next_reply(t, NBD_OPT_GO, NULL, NULL), NBD_REP_ERR_TOO_BIG);
        /* The stream stays in sync. */
        assert_int_equal(feed_option(t, NBD_OPT_ABORT, NULL, 0), NBD_HS_CLOSED);
}

static void test_huge_option_closes(void **state) {
        struct hs_test *t = *state;
        uint8_t h[16];

        assert_int_equal(feed_flags(t, 1), NBD_HS_OPT_HEADER);
        nbd_put64(h, NBD_IHAVEOPT);
        nbd_put32(h + 8, NBD_OPT_LIST);
        nbd_put32(h + 12, NBD_OPT_MAX_SKIP + 1);
        assert_int_equal(feed(t, h, sizeof(h)), -EMSGSIZE);
        assert_non_null(strstr(t->hs.error, "NBD_OPT_LIST"));
}

static void test_byte_by_byte(void **state) {
        struct hs_test *t = *state;
        _cleanup_buf_ struct buf b = BUF_INIT, d = BUF_INIT;
        const uint16_t infos[] = { NBD_INFO_BLOCK_SIZE };
        struct infos i;
        size_t used;
        int r = 0;

        assert_int_equal(buf_append(&b, "\0\0\0\3", 4), 0);
        assert_int_equal(nbd_option_encode(&b, NBD_OPT_LIST, NULL, 0), 0);
        assert_int_equal(nbd_option_info_data(&d, "0", infos, 1), 0);
        assert_int_equal(nbd_option_encode(&b, NBD_OPT_GO, d.data, (uint32_t) d.len), 0);
        for (size_t k = 0; k < b.len; k++) {
                r = nbd_handshake_feed(&t->hs, b.data + k, 1, &used, &t->out);
                assert_int_equal(used, 1);
                if (k + 1 < b.len)
                        assert_true(r >= 0 && r != NBD_HS_TRANSMISSION);
        }
        assert_int_equal(r, NBD_HS_TRANSMISSION);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, NULL), NBD_REP_SERVER);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, NULL), NBD_REP_SERVER);
        assert_int_equal(next_reply(t, NBD_OPT_LIST, NULL, NULL), NBD_REP_ACK);
        assert_int_equal(read_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
        no_more_output(t);
}

/* ---- Requests ---- */

static struct nbd_export_desc test_export(bool read_only) {
        struct nbd_export_desc e = {
                .size = 1 << 20,
                .flags = nbd_proto_transmission_flags(read_only, true, true, true, true, false),
        };

        assert_int_equal(nbd_export_desc_normalize(&e), 0);
        return e;
}

static struct nbd_request_verdict check(const struct nbd_export_desc *e, uint16_t type, uint16_t flags,
                                        uint64_t offset, uint32_t length) {
        struct nbd_request q = { .flags = flags, .type = type, .cookie = 7, .offset = offset, .length = length };
        struct nbd_request_verdict v;

        nbd_request_check(&q, e, &v);
        if (v.action == NBD_REQUEST_REJECT || v.action == NBD_REQUEST_CLOSE)
                assert_non_null(v.reason);
        return v;
}

#define assert_verdict(v, a, err, pl) do {                    \
                struct nbd_request_verdict _v = (v);          \
                assert_int_equal(_v.action, (a));             \
                assert_int_equal(_v.error, (err));            \
                assert_int_equal(_v.payload, (pl));           \
        } while (0)

static void test_request_codec(void **state) {
        struct nbd_request q = { .flags = 1, .type = NBD_CMD_WRITE, .cookie = 0x0102030405060708,
                                 .offset = 0x1122334455667788, .length = 0xdeadbeef }, p;
        uint8_t b[NBD_REQUEST_SIZE];

        nbd_request_encode(b, &q);
        assert_int_equal(nbd_get32(b), NBD_REQUEST_MAGIC);
        assert_int_equal(nbd_request_parse(b, &p), 0);
        assert_int_equal(p.flags, q.flags);
        assert_int_equal(p.type, q.type);
        assert_int_equal(p.cookie, q.cookie);
        assert_int_equal(p.offset, q.offset);
        assert_int_equal(p.length, q.length);
        b[3] ^= 1;
        assert_int_equal(nbd_request_parse(b, &p), -EBADMSG);
}

static void test_reply_codec(void **state) {
        uint8_t b[NBD_SIMPLE_REPLY_SIZE];
        uint32_t err;
        uint64_t cookie;

        nbd_simple_reply_encode(b, NBD_EIO, 0xabcdef0123456789);
        assert_int_equal(nbd_get32(b), NBD_SIMPLE_REPLY_MAGIC);
        assert_int_equal(nbd_simple_reply_parse(b, &err, &cookie), 0);
        assert_int_equal(err, NBD_EIO);
        assert_int_equal(cookie, 0xabcdef0123456789);
        b[0] = 0;
        assert_int_equal(nbd_simple_reply_parse(b, &err, &cookie), -EBADMSG);
}

static void test_request_valid(void **state) {
        struct nbd_export_desc e = test_export(false);

        assert_verdict(check(&e, NBD_CMD_READ, 0, 0, 4096), NBD_REQUEST_SUBMIT, 0, 0);
        assert_verdict(check(&e, NBD_CMD_READ, 0, 1, 3), NBD_REQUEST_SUBMIT, 0, 0);  /* unaligned ok */
        assert_verdict(check(&e, NBD_CMD_READ, NBD_CMD_FLAG_FUA, (1 << 20) - 1, 1), NBD_REQUEST_SUBMIT, 0, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE, NBD_CMD_FLAG_FUA, 512, 512), NBD_REQUEST_SUBMIT, 0, 512);
        assert_verdict(check(&e, NBD_CMD_FLUSH, 0, 0, 0), NBD_REQUEST_SUBMIT, 0, 0);
        assert_verdict(check(&e, NBD_CMD_TRIM, NBD_CMD_FLAG_FUA, 0, 1 << 20), NBD_REQUEST_SUBMIT, 0, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FUA, 0, 8192),
                       NBD_REQUEST_SUBMIT, 0, 0);
        assert_verdict(check(&e, NBD_CMD_DISC, 0, 0, 0), NBD_REQUEST_DISCONNECT, 0, 0);
}

static void test_request_zero_length(void **state) {
        struct nbd_export_desc e = test_export(false);

        assert_verdict(check(&e, NBD_CMD_READ, 0, 0, 0), NBD_REQUEST_NOOP, 0, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE, 0, 1 << 20, 0), NBD_REQUEST_NOOP, 0, 0);
        assert_verdict(check(&e, NBD_CMD_TRIM, 0, 5, 0), NBD_REQUEST_NOOP, 0, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE_ZEROES, 0, 5, 0), NBD_REQUEST_NOOP, 0, 0);
        /* The offset is still checked. */
        assert_verdict(check(&e, NBD_CMD_READ, 0, (1 << 20) + 1, 0), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
}

static void test_request_bounds(void **state) {
        struct nbd_export_desc e = test_export(false);

        assert_verdict(check(&e, NBD_CMD_READ, 0, (1 << 20) - 1, 2), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_TRIM, 0, 1 << 20, 1), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        /* Writes beyond the end: ENOSPC (spec), payload still dropped. */
        assert_verdict(check(&e, NBD_CMD_WRITE, 0, 1 << 20, 512), NBD_REQUEST_REJECT, NBD_ENOSPC, 512);
        assert_verdict(check(&e, NBD_CMD_WRITE_ZEROES, 0, 1 << 20, 512), NBD_REQUEST_REJECT, NBD_ENOSPC, 0);
        /* offset + length wraps around 2^64. */
        assert_verdict(check(&e, NBD_CMD_READ, 0, UINT64_MAX - 10, 4096), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE, 0, UINT64_MAX, 1), NBD_REQUEST_REJECT, NBD_ENOSPC, 1);
}

static void test_request_sizes(void **state) {
        struct nbd_export_desc e = { .size = UINT64_C(1) << 40,
                                     .flags = nbd_proto_transmission_flags(false, true, true, true, true, false) };
        struct nbd_export_desc small = e;

        assert_int_equal(nbd_export_desc_normalize(&e), 0);
        assert_verdict(check(&e, NBD_CMD_READ, 0, 0, 32 << 20), NBD_REQUEST_SUBMIT, 0, 0);
        assert_verdict(check(&e, NBD_CMD_READ, 0, 0, (32 << 20) + 1), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE, 0, 0, 32 << 20), NBD_REQUEST_SUBMIT, 0, 32 << 20);
        assert_verdict(check(&e, NBD_CMD_WRITE, 0, 0, (32 << 20) + 1), NBD_REQUEST_CLOSE, 0, (32 << 20) + 1);
        assert_verdict(check(&e, NBD_CMD_WRITE_ZEROES, 0, 0, (32 << 20) + 1), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        /* TRIM is not bound by the maximum block size. */
        assert_verdict(check(&e, NBD_CMD_TRIM, 0, 0, UINT32_MAX), NBD_REQUEST_SUBMIT, 0, 0);

        /* A smaller maximum: an oversized write is rejected, not fatal. */
        small.max_block = 1 << 20;
        small.min_block = 512;
        assert_int_equal(nbd_export_desc_normalize(&small), 0);
        assert_verdict(check(&small, NBD_CMD_WRITE, 0, 0, 2 << 20), NBD_REQUEST_REJECT, NBD_EINVAL, 2 << 20);
        assert_verdict(check(&small, NBD_CMD_READ, 0, 512, 1 << 20), NBD_REQUEST_SUBMIT, 0, 0);
        /* Alignment to the minimum block size. */
        assert_verdict(check(&small, NBD_CMD_READ, 0, 1, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&small, NBD_CMD_WRITE, 0, 0, 100), NBD_REQUEST_REJECT, NBD_EINVAL, 100);
        assert_verdict(check(&small, NBD_CMD_TRIM, 0, 512, 1000), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
}

static void test_request_flags(void **state) {
        struct nbd_export_desc e = test_export(false);
        struct nbd_export_desc nofua = e;

        assert_verdict(check(&e, NBD_CMD_READ, NBD_CMD_FLAG_DF, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_READ, 1u << 9, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE, NBD_CMD_FLAG_NO_HOLE, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 512);
        assert_verdict(check(&e, NBD_CMD_WRITE, 0x8000, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 512);
        assert_verdict(check(&e, NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_FAST_ZERO, 0, 512),
                       NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_TRIM, NBD_CMD_FLAG_REQ_ONE, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        /* PAYLOAD_LEN on WRITE: the length is the payload either way. */
        assert_verdict(check(&e, NBD_CMD_WRITE, NBD_CMD_FLAG_PAYLOAD_LEN, 0, 512),
                       NBD_REQUEST_REJECT, NBD_EINVAL, 512);
        /* Elsewhere it announces a payload we cannot account for. */
        assert_verdict(check(&e, NBD_CMD_READ, NBD_CMD_FLAG_PAYLOAD_LEN, 0, 512), NBD_REQUEST_CLOSE, 0, 0);

        nofua.flags &= (uint16_t) ~NBD_FLAG_SEND_FUA;
        assert_verdict(check(&nofua, NBD_CMD_WRITE, NBD_CMD_FLAG_FUA, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 512);
        assert_verdict(check(&nofua, NBD_CMD_WRITE, 0, 0, 512), NBD_REQUEST_SUBMIT, 0, 512);
}

static void test_request_not_negotiated(void **state) {
        struct nbd_export_desc e = { .size = 1 << 20, .flags = nbd_proto_transmission_flags(false, false, false, false, false, false) };

        assert_int_equal(nbd_export_desc_normalize(&e), 0);
        assert_verdict(check(&e, NBD_CMD_FLUSH, 0, 0, 0), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_TRIM, 0, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE_ZEROES, 0, 0, 512), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE, 0, 0, 512), NBD_REQUEST_SUBMIT, 0, 512);
}

static void test_request_flush_fields(void **state) {
        struct nbd_export_desc e = test_export(false);

        assert_verdict(check(&e, NBD_CMD_FLUSH, 0, 1, 0), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_FLUSH, 0, 0, 1), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_FLUSH, NBD_CMD_FLAG_FUA, 0, 0), NBD_REQUEST_SUBMIT, 0, 0);
}

static void test_request_read_only(void **state) {
        struct nbd_export_desc e = test_export(true);

        assert_true(e.flags & NBD_FLAG_READ_ONLY);
        assert_verdict(check(&e, NBD_CMD_WRITE, 0, 0, 4096), NBD_REQUEST_REJECT, NBD_EPERM, 4096);
        assert_verdict(check(&e, NBD_CMD_TRIM, 0, 0, 4096), NBD_REQUEST_REJECT, NBD_EPERM, 0);
        assert_verdict(check(&e, NBD_CMD_WRITE_ZEROES, 0, 0, 4096), NBD_REQUEST_REJECT, NBD_EPERM, 0);
        assert_verdict(check(&e, NBD_CMD_READ, 0, 0, 4096), NBD_REQUEST_SUBMIT, 0, 0);
        assert_verdict(check(&e, NBD_CMD_FLUSH, 0, 0, 0), NBD_REQUEST_SUBMIT, 0, 0);
}

static void test_request_unknown_command(void **state) {
        struct nbd_export_desc e = test_export(false);

        assert_verdict(check(&e, NBD_CMD_CACHE, 0, 0, 4096), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_BLOCK_STATUS, 0, 0, 4096), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, NBD_CMD_RESIZE, 0, 0, 0), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, 999, 0x7fff & ~NBD_CMD_FLAG_PAYLOAD_LEN, 0, 4096), NBD_REQUEST_REJECT, NBD_EINVAL, 0);
        assert_verdict(check(&e, 999, NBD_CMD_FLAG_PAYLOAD_LEN, 0, 4096), NBD_REQUEST_CLOSE, 0, 0);
}

/* ---- Mappings and constraints ---- */

static void test_error_mapping(void **state) {
        assert_int_equal(nbd_proto_error_from_errno(0), 0);
        assert_int_equal(nbd_proto_error_from_errno(-EPERM), NBD_EPERM);
        assert_int_equal(nbd_proto_error_from_errno(-EROFS), NBD_EPERM);
        assert_int_equal(nbd_proto_error_from_errno(-EIO), NBD_EIO);
        assert_int_equal(nbd_proto_error_from_errno(-ENOMEM), NBD_ENOMEM);
        assert_int_equal(nbd_proto_error_from_errno(-EINVAL), NBD_EINVAL);
        assert_int_equal(nbd_proto_error_from_errno(-ENOSPC), NBD_ENOSPC);
        assert_int_equal(nbd_proto_error_from_errno(-EDQUOT), NBD_ENOSPC);
        assert_int_equal(nbd_proto_error_from_errno(-EFBIG), NBD_ENOSPC);
        assert_int_equal(nbd_proto_error_from_errno(-EOVERFLOW), NBD_EOVERFLOW);
        assert_int_equal(nbd_proto_error_from_errno(-ENOTSUP), NBD_ENOTSUP);
        assert_int_equal(nbd_proto_error_from_errno(-ESHUTDOWN), NBD_ESHUTDOWN);
        assert_int_equal(nbd_proto_error_from_errno(-ENODEV), NBD_EIO);
        assert_int_equal(nbd_proto_error_from_errno(-ETIMEDOUT), NBD_EIO);
        assert_int_equal(nbd_proto_error_from_errno(EIO), NBD_EIO);  /* positive tolerated */

        assert_int_equal(nbd_proto_rep_error_from_errno(-ENOENT), NBD_REP_ERR_UNKNOWN);
        assert_int_equal(nbd_proto_rep_error_from_errno(-ESHUTDOWN), NBD_REP_ERR_SHUTDOWN);
        assert_int_equal(nbd_proto_rep_error_from_errno(-EPERM), NBD_REP_ERR_POLICY);
        assert_int_equal(nbd_proto_rep_error_from_errno(-EINVAL), NBD_REP_ERR_INVALID);
        assert_int_equal(nbd_proto_rep_error_from_errno(-E2BIG), NBD_REP_ERR_TOO_BIG);
        assert_int_equal(nbd_proto_rep_error_from_errno(-EOPNOTSUPP), NBD_REP_ERR_UNSUP);
        assert_int_equal(nbd_proto_rep_error_from_errno(-EAGAIN), NBD_REP_ERR_UNKNOWN);
}

static void test_transmission_flags(void **state) {
        assert_int_equal(nbd_proto_transmission_flags(false, false, false, false, false, false), NBD_FLAG_HAS_FLAGS);
        assert_int_equal(nbd_proto_transmission_flags(false, true, true, true, true, true),
                         NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM |
                         NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_CAN_MULTI_CONN);
        assert_int_equal(nbd_proto_transmission_flags(true, true, true, true, true, true),
                         NBD_FLAG_HAS_FLAGS | NBD_FLAG_READ_ONLY | NBD_FLAG_SEND_FLUSH | NBD_FLAG_CAN_MULTI_CONN);
}

static void test_normalize(void **state) {
        struct nbd_export_desc d = { .size = 1 << 20 };

        assert_int_equal(nbd_export_desc_normalize(&d), 0);
        assert_int_equal(d.min_block, 1);
        assert_int_equal(d.preferred_block, 4096);
        assert_int_equal(d.max_block, 32 << 20);
        assert_true(d.flags & NBD_FLAG_HAS_FLAGS);

        d = (struct nbd_export_desc) { .size = 1 << 20, .max_block = UINT32_MAX };
        assert_int_equal(nbd_export_desc_normalize(&d), 0);
        assert_int_equal(d.max_block, 32 << 20);  /* never more than we buffer */

        d = (struct nbd_export_desc) { .size = 1 << 20, .min_block = 3 };
        assert_int_equal(nbd_export_desc_normalize(&d), -EINVAL);
        d = (struct nbd_export_desc) { .size = 1 << 20, .min_block = 1 << 17 };
        assert_int_equal(nbd_export_desc_normalize(&d), -EINVAL);
        d = (struct nbd_export_desc) { .size = 1 << 20, .preferred_block = 256 };
        assert_int_equal(nbd_export_desc_normalize(&d), -EINVAL);
        d = (struct nbd_export_desc) { .size = 1 << 20, .min_block = 4096, .preferred_block = 512 };
        assert_int_equal(nbd_export_desc_normalize(&d), -EINVAL);
        d = (struct nbd_export_desc) { .size = 1 << 20, .min_block = 512, .max_block = 1000 };
        assert_int_equal(nbd_export_desc_normalize(&d), -EINVAL);
        d = (struct nbd_export_desc) { .size = 1 << 20, .max_block = 1024 };
        assert_int_equal(nbd_export_desc_normalize(&d), -EINVAL);  /* below preferred */
        d = (struct nbd_export_desc) { .size = 512, .max_block = 1024 };
        assert_int_equal(nbd_export_desc_normalize(&d), 0);        /* the export is smaller */
}

static void test_names(void **state) {
        assert_string_equal(nbd_proto_option_name(NBD_OPT_GO), "NBD_OPT_GO");
        assert_string_equal(nbd_proto_option_name(0), "unknown");
        assert_string_equal(nbd_proto_option_name(UINT32_MAX), "unknown");
        assert_string_equal(nbd_proto_command_name(NBD_CMD_WRITE_ZEROES), "NBD_CMD_WRITE_ZEROES");
        assert_string_equal(nbd_proto_command_name(65535), "unknown");
        assert_string_equal(nbd_proto_reply_name(NBD_REP_ERR_TOO_BIG), "NBD_REP_ERR_TOO_BIG");
        assert_string_equal(nbd_proto_reply_name(77), "unknown");
}

static void test_info_data_limits(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_free_ char *longname = malloc(NBD_MAX_STRING + 2);

        assert_non_null(longname);
        memset(longname, 'a', NBD_MAX_STRING + 1);
        longname[NBD_MAX_STRING + 1] = 0;
        assert_int_equal(nbd_option_info_data(&b, longname, NULL, 0), -EINVAL);
        assert_int_equal(b.len, 0);
}

#define HS_TEST(f) cmocka_unit_test_setup_teardown(f, hs_setup, hs_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                HS_TEST(test_greeting),
                HS_TEST(test_client_flags),
                HS_TEST(test_client_flags_none),
                HS_TEST(test_client_flags_unknown),
                HS_TEST(test_bad_option_magic),
                HS_TEST(test_export_name),
                HS_TEST(test_export_name_no_zeroes_default),
                HS_TEST(test_export_name_leaves_rest),
                HS_TEST(test_export_name_unknown),
                HS_TEST(test_export_name_nul),
                HS_TEST(test_export_name_open_refused),
                HS_TEST(test_export_name_too_long),
                HS_TEST(test_abort),
                HS_TEST(test_list),
                HS_TEST(test_list_with_data),
                HS_TEST(test_list_error),
                cmocka_unit_test(test_list_without_callback),
                HS_TEST(test_info_then_go),
                HS_TEST(test_go_default_export),
                HS_TEST(test_go_unknown_then_ok),
                HS_TEST(test_go_lookup_errors),
                HS_TEST(test_info_malformed),
                HS_TEST(test_unsupported_options),
                HS_TEST(test_oversized_option_skipped),
                HS_TEST(test_huge_option_closes),
                HS_TEST(test_byte_by_byte),
                cmocka_unit_test(test_request_codec),
                cmocka_unit_test(test_reply_codec),
                cmocka_unit_test(test_request_valid),
                cmocka_unit_test(test_request_zero_length),
                cmocka_unit_test(test_request_bounds),
                cmocka_unit_test(test_request_sizes),
                cmocka_unit_test(test_request_flags),
                cmocka_unit_test(test_request_not_negotiated),
                cmocka_unit_test(test_request_flush_fields),
                cmocka_unit_test(test_request_read_only),
                cmocka_unit_test(test_request_unknown_command),
                cmocka_unit_test(test_error_mapping),
                cmocka_unit_test(test_transmission_flags),
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_info_data_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
