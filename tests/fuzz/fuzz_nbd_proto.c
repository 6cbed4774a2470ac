/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for nbd_proto.h. The first byte picks a configuration of
 * the fake backend and a split of the input; the rest is client traffic:
 * fed to the handshake machine, whose every reply is decoded again and
 * checked (the server-to-client direction), and whatever follows the
 * handshake goes through the request parser and validator, whose verdicts
 * are checked against the export (the client-to-server direction). With
 * bit 7 of the first byte the input is requests only, against an export
 * described by the next bytes. */

#include <stdint.h>
#include <stdlib.h>

#include "nbd_proto.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cfg {
        uint8_t bits;
};

static int f_lookup(void *userdata, const char *name, struct nbd_export_desc *ret, void **ret_export) {
        const struct cfg *c = userdata;

        CHECK(strlen(name) <= NBD_MAX_STRING);
        if (c->bits & 1)
                return -ESHUTDOWN;
        if (!streq(name, "") && !streq(name, "0") && !streq(name, "1"))
                return -ENOENT;
        *ret = (struct nbd_export_desc) {
                .size = name[0] == '1' ? 4096 : UINT64_C(1) << 30,
                .flags = nbd_proto_transmission_flags(c->bits & 2, true, true, true, true, false),
                .min_block = (c->bits & 4) ? 512 : 0,
                .max_block = (c->bits & 8) ? 3 : 0,   /* invalid when set */
                .description = "fuzz export",
        };
        *ret_export = (void *) c;
        return 0;
}

static int f_open(void *userdata, void *export) {
        const struct cfg *c = userdata;

        CHECK(export == c);
        return (c->bits & 16) ? -EBUSY : 0;
}

static int f_list(void *userdata, void (*emit)(void *, const char *, const char *), void *emit_ctx) {
        const struct cfg *c = userdata;

        emit(emit_ctx, "0", NULL);
        emit(emit_ctx, "1", "second");
        return (c->bits & 32) ? -EIO : 0;
}

static const struct nbd_handshake_ops ops = {
        .lookup = f_lookup,
        .open = f_open,
        .list = f_list,
};

/* Decodes server output from *pos to end: option replies only. */
static void check_replies(const struct buf *out, size_t *pos, size_t end) {
        while (*pos < end) {
                struct nbd_option_reply rep;
                const uint8_t *d;

                CHECK(end - *pos >= NBD_OPTION_REPLY_HEADER_SIZE);
                CHECK(nbd_option_reply_parse((const uint8_t *) out->data + *pos, &rep) == 0);
                *pos += NBD_OPTION_REPLY_HEADER_SIZE;
                CHECK(end - *pos >= rep.length);
                d = (const uint8_t *) out->data + *pos;
                switch (rep.type) {
                case NBD_REP_ACK:
                        CHECK(rep.length == 0);
                        break;
                case NBD_REP_SERVER:
                        CHECK(rep.length >= 4 && nbd_get32(d) <= rep.length - 4);
                        break;
                case NBD_REP_INFO:
                        CHECK(rep.length >= 2);
                        switch (nbd_get16(d)) {
                        case NBD_INFO_EXPORT:
                                CHECK(rep.length == 12);
                                CHECK(nbd_get16(d + 10) & NBD_FLAG_HAS_FLAGS);
                                break;
                        case NBD_INFO_BLOCK_SIZE:
                                CHECK(rep.length == 14);
                                CHECK(nbd_get32(d + 2) >= 1 && nbd_get32(d + 10) <= NBD_MAX_PAYLOAD);
                                break;
                        case NBD_INFO_NAME:
                        case NBD_INFO_DESCRIPTION:
                                CHECK(rep.length - 2 <= NBD_MAX_STRING);
                                break;
                        default:
                                CHECK(0);
                        }
                        break;
                default:
                        CHECK(rep.type & NBD_REP_FLAG_ERROR);
                        CHECK(rep.length <= 256);
                }
                *pos += rep.length;
        }
}

/* Runs requests from p against e until the input ends or the stream is
 * given up. */
static void fuzz_requests(const uint8_t *p, size_t n, const struct nbd_export_desc *e) {
        while (n >= NBD_REQUEST_SIZE) {
                struct nbd_request q, back;
                struct nbd_request_verdict v;
                uint8_t enc[NBD_REQUEST_SIZE], rep[NBD_SIMPLE_REPLY_SIZE];
                uint32_t err;
                uint64_t cookie;

                if (nbd_request_parse(p, &q) < 0)
                        return;
                nbd_request_encode(enc, &q);
                CHECK(memcmp(enc, p, NBD_REQUEST_SIZE) == 0);
                CHECK(nbd_request_parse(enc, &back) == 0 && back.cookie == q.cookie);
                p += NBD_REQUEST_SIZE;
                n -= NBD_REQUEST_SIZE;

                nbd_request_check(&q, e, &v);
                CHECK(v.payload == (q.type == NBD_CMD_WRITE ? q.length : 0));
                switch (v.action) {
                case NBD_REQUEST_SUBMIT:
                        CHECK(q.type <= NBD_CMD_WRITE_ZEROES && q.type != NBD_CMD_DISC &&
                              q.type != NBD_CMD_CACHE);
                        CHECK(q.offset <= e->size && q.length <= e->size - q.offset);
                        CHECK(q.type == NBD_CMD_TRIM || q.length <= e->max_block);
                        CHECK(q.length <= NBD_MAX_PAYLOAD || q.type == NBD_CMD_TRIM);
                        CHECK(q.offset % e->min_block == 0 && q.length % e->min_block == 0);
                        CHECK(!(e->flags & NBD_FLAG_READ_ONLY) ||
                              q.type == NBD_CMD_READ || q.type == NBD_CMD_FLUSH);
                        CHECK(q.length > 0 || q.type == NBD_CMD_FLUSH);
                        CHECK(v.error == 0 && !v.reason);
                        break;
                case NBD_REQUEST_NOOP:
                        CHECK(q.length == 0 && q.offset <= e->size);
                        break;
                case NBD_REQUEST_REJECT:
                        CHECK(v.error != 0 && v.reason);
                        CHECK(v.payload <= NBD_MAX_PAYLOAD);
                        nbd_simple_reply_encode(rep, v.error, q.cookie);
                        CHECK(nbd_simple_reply_parse(rep, &err, &cookie) == 0);
                        CHECK(err == v.error && cookie == q.cookie);
                        break;
                case NBD_REQUEST_DISCONNECT:
                        CHECK(q.type == NBD_CMD_DISC);
                        return;
                case NBD_REQUEST_CLOSE:
                        CHECK(v.reason);
                        return;
                }
                if (v.payload > n)
                        return;
                p += v.payload;
                n -= v.payload;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cfg cfg;
        struct nbd_handshake hs;
        struct buf out = BUF_INIT;
        size_t off = 0, pos = NBD_GREETING_SIZE, chunk;
        int r = NBD_HS_CLIENT_FLAGS;

        if (size < 2)
                return 0;
        cfg.bits = data[0];
        chunk = (size_t) data[1] + 1;
        data += 2;
        size -= 2;

        if (cfg.bits & 0x80) {
                struct nbd_export_desc e = { .size = 1 << 20, .flags = NBD_FLAG_HAS_FLAGS };

                if (size >= 16) {
                        e.size = nbd_get64(data);
                        e.flags = nbd_get16(data + 8);
                        e.min_block = (uint32_t) 1 << (data[10] % 18);
                        e.max_block = nbd_get32(data + 11);
                        e.preferred_block = (uint32_t) 1 << (data[15] % 20);
                        data += 16;
                        size -= 16;
                }
                if (nbd_export_desc_normalize(&e) < 0)
                        e = (struct nbd_export_desc) { .size = 1 << 20, .flags = NBD_FLAG_HAS_FLAGS,
                                                       .min_block = 1, .preferred_block = 4096,
                                                       .max_block = NBD_MAX_PAYLOAD };
                fuzz_requests(data, size, &e);
                return 0;
        }

        nbd_handshake_init(&hs, &ops, &cfg);
        CHECK(nbd_handshake_start(&hs, &out) == 0);
        while (off < size) {
                size_t n = size - off < chunk ? size - off : chunk, used = 0, end;

                r = nbd_handshake_feed(&hs, data + off, n, &used, &out);
                CHECK(used <= n);
                off += used;
                end = out.len;
                if (r == NBD_HS_TRANSMISSION && hs.opt == NBD_OPT_EXPORT_NAME)
                        end -= hs.no_zeroes ? 10 : NBD_EXPORT_NAME_REPLY_SIZE;
                check_replies(&out, &pos, end);
                if (r < 0) {
                        CHECK(hs.error[0]);
                        break;
                }
                if (r == NBD_HS_TRANSMISSION || r == NBD_HS_CLOSED)
                        break;
                CHECK(used == n);
        }
        if (r == NBD_HS_TRANSMISSION) {
                CHECK(hs.export_handle == &cfg);
                CHECK(!(cfg.bits & 16) && !(cfg.bits & 8));
                fuzz_requests(data + off, size - off, &hs.export);
        }
        nbd_handshake_done(&hs);
        buf_free(&out);
        return 0;
}
