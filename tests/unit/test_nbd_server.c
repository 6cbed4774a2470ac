/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for nbd_server.h: a scripted client on one end of a socketpair,
 * the server on an sd-event loop on the other, and an in-memory backend that
 * completes requests inline or holds them until the test releases them (to
 * test out-of-order completion, disconnects with requests in flight and
 * backpressure). Also the unix and TCP listeners. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "nbd_proto.h"
#include "nbd_server.h"
#include "sock.h"

/* ---- In-memory backend ---- */

struct mem_export {
        const char *name;
        const char *desc;
        uint64_t size;
        bool read_only;
        bool null;             /* no storage: reads give zeroes, writes vanish */
        int open_error;
        uint8_t *data;
        unsigned opens, closes;
};

#define MAX_HELD 1024

struct backend {
        struct mem_export ex[4];
        bool hold;             /* keep ios until the test completes them */
        struct nbd_io *held[MAX_HELD];
        unsigned n_held;
        unsigned submits;
        int fail_next;         /* errno for the next request, 0 for none */
        struct nbd_io last;    /* copy of the last request submitted */
};

static struct mem_export *find_export(struct backend *b, const char *name) {
        if (streq(name, ""))
                name = "0";
        for (size_t i = 0; i < ELEMENTSOF(b->ex); i++)
                if (b->ex[i].name && streq(b->ex[i].name, name))
                        return &b->ex[i];
        return NULL;
}

static int be_lookup(void *ctx, const char *name, struct nbd_export_info *ret, void **ret_export) {
        struct mem_export *x = find_export(ctx, name);

        if (!x)
                return -ENOENT;
        *ret = (struct nbd_export_info) {
                .size = x->size,
                .read_only = x->read_only,
                .can_trim = true, .can_write_zeroes = true, .can_flush = true, .can_fua = true,
                .can_multi_conn = true,
                .description = x->desc,
        };
        *ret_export = x;
        return 0;
}

static int be_list(void *ctx, void (*emit)(void *, const char *, const char *), void *emit_ctx) {
        struct backend *b = ctx;

        for (size_t i = 0; i < ELEMENTSOF(b->ex); i++)
                if (b->ex[i].name)
                        emit(emit_ctx, b->ex[i].name, b->ex[i].desc);
        return 0;
}

static int be_open(void *export_ctx) {
        struct mem_export *x = export_ctx;

        if (x->open_error)
                return x->open_error;
        x->opens++;
        return 0;
}

static void be_close(void *export_ctx) {
        struct mem_export *x = export_ctx;

        x->closes++;
}

static int do_io(struct nbd_io *io) {
        struct mem_export *x = io->export_ctx;

        assert_true(io->offset + io->length <= x->size);
        switch (io->type) {
        case NBD_IO_READ:
                assert_int_equal((uintptr_t) io->data % 4096, 0);
                if (x->null)
                        memset(io->data, 0, io->length);
                else
                        memcpy(io->data, x->data + io->offset, io->length);
                break;
        case NBD_IO_WRITE:
                assert_int_equal((uintptr_t) io->data % 4096, 0);
                assert_false(x->read_only);
                if (!x->null)
                        memcpy(x->data + io->offset, io->data, io->length);
                break;
        case NBD_IO_TRIM:
        case NBD_IO_WRITE_ZEROES:
                assert_false(x->read_only);
                if (!x->null)
                        memset(x->data + io->offset, 0, io->length);
                break;
        case NBD_IO_FLUSH:
                break;
        }
        return 0;
}

static struct backend *the_backend;

static void be_submit(void *export_ctx, struct nbd_io *io) {
        struct backend *b = the_backend;
        int err = b->fail_next;

        assert_ptr_equal(io->export_ctx, export_ctx);
        b->submits++;
        b->last = *io;
        if (b->hold) {
                assert_true(b->n_held < MAX_HELD);
                b->held[b->n_held++] = io;
                return;
        }
        b->fail_next = 0;
        nbd_io_complete(io, err ? err : do_io(io));
}

static const struct nbd_backend_ops be_ops = {
        .lookup = be_lookup,
        .list = be_list,
        .open = be_open,
        .close = be_close,
        .submit = be_submit,
};

/* Completes held io number i (and removes it from the list). */
static void complete_held(struct backend *b, unsigned i, int error) {
        struct nbd_io *io = b->held[i];

        assert_true(i < b->n_held);
        memmove(b->held + i, b->held + i + 1, (b->n_held - i - 1) * sizeof(b->held[0]));
        b->n_held--;
        nbd_io_complete(io, error ? error : do_io(io));
}

/* ---- Harness ---- */

struct t {
        sd_event *e;
        struct nbd_server *s;
        struct backend b;
        int fd;                /* the client's end */
        char *tmpdir;
};

static int setup(void **state) {
        struct t *t = calloc(1, sizeof(*t));
        int sv[2];

        assert_non_null(t);
        the_backend = &t->b;
        t->b.ex[0] = (struct mem_export) { .name = "0", .size = 1 << 20 };
        t->b.ex[1] = (struct mem_export) { .name = "1", .size = 64 << 10, .read_only = true,
                                           .desc = "read-only volume" };
        t->b.ex[2] = (struct mem_export) { .name = "big", .size = UINT64_C(1) << 30, .null = true };
        t->b.ex[3] = (struct mem_export) { .name = "busy", .size = 4096, .open_error = -EBUSY };
        for (size_t i = 0; i < 2; i++) {
                t->b.ex[i].data = calloc(1, t->b.ex[i].size);
                assert_non_null(t->b.ex[i].data);
        }
        memset(t->b.ex[1].data, 0x11, t->b.ex[1].size);
        assert_int_equal(sd_event_new(&t->e), 0);
        assert_int_equal(nbd_server_new(t->e, &be_ops, &t->b, &t->s), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(nbd_server_add_connection(t->s, sv[1]), 0);
        t->fd = sv[0];
        *state = t;
        return 0;
}

static int teardown(void **state) {
        struct t *t = *state;

        safe_close(t->fd);
        nbd_server_free(t->s);
        /* Whatever is still held completes after the server is gone. */
        while (t->b.n_held)
                complete_held(&t->b, 0, 0);
        for (size_t i = 0; i < ELEMENTSOF(t->b.ex); i++) {
                assert_int_equal(t->b.ex[i].opens, t->b.ex[i].closes);
                free(t->b.ex[i].data);
        }
        if (t->tmpdir) {
                rm_rf(t->tmpdir);
                free(t->tmpdir);
        }
        sd_event_unref(t->e);
        free(t);
        return 0;
}

/* Runs the loop until nothing is pending. */
static void pump(struct t *t) {
        for (int i = 0; i < 10000; i++)
                if (sd_event_run(t->e, 0) == 0)
                        return;
        fail_msg("event loop does not settle");
}

static void cl_send(struct t *t, const void *data, size_t len) {
        const uint8_t *p = data;
        int64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * 1000000;

        while (len > 0) {
                ssize_t k = send(t->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (k > 0) {
                        p += k;
                        len -= (size_t) k;
                        continue;
                }
                assert_true(k < 0 && errno == EAGAIN);
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(t->e, 1000) >= 0);
        }
}

/* Receives exactly len bytes, running the server meanwhile. */
static void cl_recv(struct t *t, void *data, size_t len) {
        uint8_t *p = data;
        int64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * 1000000;

        while (len > 0) {
                ssize_t k = recv(t->fd, p, len, MSG_DONTWAIT);

                if (k > 0) {
                        p += k;
                        len -= (size_t) k;
                        continue;
                }
                if (k == 0)
                        fail_msg("server closed the connection, %zu bytes missing", len);
                assert_true(errno == EAGAIN);
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(t->e, 1000) >= 0);
        }
}

/* True if nothing can be read now (after the server settled). */
static bool cl_nothing(struct t *t) {
        uint8_t b;

        pump(t);
        return recv(t->fd, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

static void cl_expect_eof(struct t *t) {
        int64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * 1000000;
        uint8_t b[4096];

        for (;;) {
                ssize_t k = recv(t->fd, b, sizeof(b), MSG_DONTWAIT);

                if (k == 0 || (k < 0 && errno == ECONNRESET))
                        return;
                assert_true(k < 0 && errno == EAGAIN);  /* no unexpected data */
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(t->e, 1000) >= 0);
        }
}

static void cl_greeting(struct t *t, uint32_t flags) {
        uint8_t g[NBD_GREETING_SIZE], f[4];

        cl_recv(t, g, sizeof(g));
        assert_int_equal(nbd_get64(g), NBD_MAGIC);
        assert_int_equal(nbd_get64(g + 8), NBD_IHAVEOPT);
        assert_int_equal(nbd_get16(g + 16), NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
        nbd_put32(f, flags);
        cl_send(t, f, sizeof(f));
}

static void cl_option(struct t *t, uint32_t opt, const void *data, uint32_t len) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        assert_int_equal(nbd_option_encode(&b, opt, data, len), 0);
        cl_send(t, b.data, b.len);
}

static void cl_info_option(struct t *t, uint32_t opt, const char *name, const uint16_t *infos, uint16_t n) {
        _cleanup_buf_ struct buf d = BUF_INIT;

        assert_int_equal(nbd_option_info_data(&d, name, infos, n), 0);
        cl_option(t, opt, d.data, (uint32_t) d.len);
}

/* Reads one option reply; its data goes to data (size bytes at most). */
static uint32_t cl_option_reply(struct t *t, uint32_t opt, void *data, size_t size, uint32_t *ret_len) {
        uint8_t h[NBD_OPTION_REPLY_HEADER_SIZE], junk[512];
        struct nbd_option_reply rep;

        cl_recv(t, h, sizeof(h));
        assert_int_equal(nbd_option_reply_parse(h, &rep), 0);
        assert_int_equal(rep.opt, opt);
        if (rep.length <= size)
                cl_recv(t, data, rep.length);
        else {
                assert_true(rep.length <= sizeof(junk));
                cl_recv(t, junk, rep.length);
        }
        if (ret_len)
                *ret_len = rep.length;
        return rep.type;
}

struct infos {
        uint64_t size;
        uint16_t flags;
        uint32_t min, pref, max;
        char name[64], desc[64];
        unsigned n;
};

static uint32_t cl_infos(struct t *t, uint32_t opt, struct infos *ret) {
        uint8_t d[256];
        uint32_t type, len;

        *ret = (struct infos) {};
        while ((type = cl_option_reply(t, opt, d, sizeof(d), &len)) == NBD_REP_INFO) {
                ret->n++;
                switch (nbd_get16(d)) {
                case NBD_INFO_EXPORT:
                        ret->size = nbd_get64(d + 2);
                        ret->flags = nbd_get16(d + 10);
                        break;
                case NBD_INFO_NAME:
                        memcpy(ret->name, d + 2, len - 2);
                        break;
                case NBD_INFO_DESCRIPTION:
                        memcpy(ret->desc, d + 2, len - 2);
                        break;
                case NBD_INFO_BLOCK_SIZE:
                        ret->min = nbd_get32(d + 2);
                        ret->pref = nbd_get32(d + 6);
                        ret->max = nbd_get32(d + 10);
                        break;
                }
        }
        return type;
}

static void cl_go(struct t *t, const char *name) {
        struct infos i;

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
        cl_info_option(t, NBD_OPT_GO, name, NULL, 0);
        assert_int_equal(cl_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
}

static void cl_request(struct t *t, uint16_t type, uint16_t flags, uint64_t cookie, uint64_t offset,
                       uint32_t length, const void *payload) {
        struct nbd_request q = { .flags = flags, .type = type, .cookie = cookie, .offset = offset,
                                 .length = length };
        uint8_t h[NBD_REQUEST_SIZE];

        nbd_request_encode(h, &q);
        cl_send(t, h, sizeof(h));
        if (payload)
                cl_send(t, payload, length);
}

/* Reads a simple reply; returns its error and checks the cookie. */
static uint32_t cl_reply(struct t *t, uint64_t cookie) {
        uint8_t h[NBD_SIMPLE_REPLY_SIZE];
        uint64_t c;
        uint32_t err;

        cl_recv(t, h, sizeof(h));
        assert_int_equal(nbd_simple_reply_parse(h, &err, &c), 0);
        assert_int_equal(c, cookie);
        return err;
}

static void cl_read_check(struct t *t, uint64_t cookie, uint64_t offset, uint32_t length, const uint8_t *expect) {
        _cleanup_free_ uint8_t *d = malloc(length);

        cl_request(t, NBD_CMD_READ, 0, cookie, offset, length, NULL);
        assert_int_equal(cl_reply(t, cookie), 0);
        cl_recv(t, d, length);
        assert_memory_equal(d, expect, length);
}

/* ---- Handshake variants ---- */

static void test_export_name(void **state) {
        struct t *t = *state;
        uint8_t r[NBD_EXPORT_NAME_REPLY_SIZE];

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_option(t, NBD_OPT_EXPORT_NAME, "0", 1);
        cl_recv(t, r, sizeof(r));
        assert_int_equal(nbd_get64(r), 1 << 20);
        assert_true(nbd_get16(r + 8) & NBD_FLAG_SEND_FLUSH);
        assert_true(nbd_get16(r + 8) & NBD_FLAG_CAN_MULTI_CONN);
        assert_int_equal(t->b.ex[0].opens, 1);
        assert_int_equal(nbd_server_clients(t->s, &t->b.ex[0]), 1);
        assert_int_equal(nbd_server_clients(t->s, &t->b.ex[1]), 0);
        assert_int_equal(nbd_server_clients(t->s, NULL), 1);

        memset(t->b.ex[0].data, 0x5a, 4096);
        cl_read_check(t, 1, 0, 4096, t->b.ex[0].data);
        cl_request(t, NBD_CMD_DISC, 0, 2, 0, 0, NULL);
        cl_expect_eof(t);
        pump(t);
        assert_int_equal(t->b.ex[0].closes, 1);
        assert_int_equal(nbd_server_clients(t->s, NULL), 0);
}

static void test_export_name_no_zeroes(void **state) {
        struct t *t = *state;
        uint8_t r[10];

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
        /* The default export, and a request right behind the option. */
        cl_option(t, NBD_OPT_EXPORT_NAME, NULL, 0);
        cl_request(t, NBD_CMD_FLUSH, 0, 9, 0, 0, NULL);
        cl_recv(t, r, sizeof(r));
        assert_int_equal(nbd_get64(r), 1 << 20);
        assert_int_equal(cl_reply(t, 9), 0);
        assert_int_equal(t->b.last.type, NBD_IO_FLUSH);
        assert_true(cl_nothing(t));
}

static void test_export_name_unknown(void **state) {
        struct t *t = *state;

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_option(t, NBD_OPT_EXPORT_NAME, "nope", 4);
        cl_expect_eof(t);
}

static void test_unknown_client_flags(void **state) {
        struct t *t = *state;

        cl_greeting(t, 0x80);
        cl_expect_eof(t);
}

static void test_go_with_infos(void **state) {
        struct t *t = *state;
        const uint16_t want[] = { NBD_INFO_NAME, NBD_INFO_DESCRIPTION, NBD_INFO_BLOCK_SIZE };
        uint8_t buf[512];
        struct infos i;

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_info_option(t, NBD_OPT_GO, "1", want, 3);
        assert_int_equal(cl_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
        assert_int_equal(i.n, 4);
        assert_int_equal(i.size, 64 << 10);
        assert_true(i.flags & NBD_FLAG_READ_ONLY);
        assert_string_equal(i.name, "1");
        assert_string_equal(i.desc, "read-only volume");
        assert_int_equal(i.min, 1);
        assert_int_equal(i.pref, 4096);
        assert_int_equal(i.max, 32 << 20);

        cl_read_check(t, 1, 100, 200, t->b.ex[1].data);
        /* Writes to a read-only export: EPERM, payload dropped, in sync. */
        memset(buf, 0x77, sizeof(buf));
        cl_request(t, NBD_CMD_WRITE, 0, 2, 0, sizeof(buf), buf);
        assert_int_equal(cl_reply(t, 2), NBD_EPERM);
        cl_request(t, NBD_CMD_TRIM, 0, 3, 0, 512, NULL);
        assert_int_equal(cl_reply(t, 3), NBD_EPERM);
        cl_read_check(t, 4, 0, 512, t->b.ex[1].data);
        assert_int_equal(t->b.ex[1].data[0], 0x11);
}

static void test_info_then_go(void **state) {
        struct t *t = *state;
        struct infos i;

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_info_option(t, NBD_OPT_INFO, "0", NULL, 0);
        assert_int_equal(cl_infos(t, NBD_OPT_INFO, &i), NBD_REP_ACK);
        assert_int_equal(i.size, 1 << 20);
        pump(t);
        assert_int_equal(t->b.ex[0].opens, 0);
        assert_int_equal(nbd_server_clients(t->s, NULL), 0);
        cl_info_option(t, NBD_OPT_GO, "0", NULL, 0);
        assert_int_equal(cl_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
        assert_int_equal(i.max, 32 << 20);  /* block sizes even unasked */
        pump(t);
        assert_int_equal(t->b.ex[0].opens, 1);
}

static void test_list_and_abort(void **state) {
        struct t *t = *state;
        uint8_t d[256];
        uint32_t len;

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_option(t, NBD_OPT_LIST, NULL, 0);
        for (int i = 0; i < 4; i++) {
                assert_int_equal(cl_option_reply(t, NBD_OPT_LIST, d, sizeof(d), &len), NBD_REP_SERVER);
                assert_int_equal(nbd_get32(d), strlen(t->b.ex[i].name));
                assert_memory_equal(d + 4, t->b.ex[i].name, nbd_get32(d));
                if (i == 1)
                        assert_memory_equal(d + 5, "read-only volume", len - 5);
        }
        assert_int_equal(cl_option_reply(t, NBD_OPT_LIST, d, sizeof(d), NULL), NBD_REP_ACK);
        cl_option(t, NBD_OPT_ABORT, NULL, 0);
        assert_int_equal(cl_option_reply(t, NBD_OPT_ABORT, d, sizeof(d), NULL), NBD_REP_ACK);
        cl_expect_eof(t);
}

static void test_unknown_export_and_unsupported(void **state) {
        struct t *t = *state;
        const uint32_t unsup[] = { NBD_OPT_STARTTLS, NBD_OPT_STRUCTURED_REPLY, NBD_OPT_LIST_META_CONTEXT,
                                   NBD_OPT_SET_META_CONTEXT, 4242 };
        uint8_t d[512];
        uint32_t len;
        struct infos i;

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_info_option(t, NBD_OPT_GO, "nope", NULL, 0);
        assert_int_equal(cl_option_reply(t, NBD_OPT_GO, d, sizeof(d), &len), NBD_REP_ERR_UNKNOWN);
        assert_true(len > 0);
        for (size_t k = 0; k < ELEMENTSOF(unsup); k++) {
                cl_option(t, unsup[k], NULL, 0);
                assert_int_equal(cl_option_reply(t, unsup[k], d, sizeof(d), NULL), NBD_REP_ERR_UNSUP);
        }
        /* open() refusing: an error reply, the client may go on. */
        cl_info_option(t, NBD_OPT_GO, "busy", NULL, 0);
        assert_int_equal(cl_option_reply(t, NBD_OPT_GO, d, sizeof(d), NULL), NBD_REP_ERR_UNKNOWN);
        cl_option(t, NBD_OPT_LIST, "x", 1);
        assert_int_equal(cl_option_reply(t, NBD_OPT_LIST, d, sizeof(d), NULL), NBD_REP_ERR_INVALID);
        cl_info_option(t, NBD_OPT_GO, "", NULL, 0);
        assert_int_equal(cl_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
        assert_int_equal(i.size, 1 << 20);
}

static void test_bad_option_magic(void **state) {
        struct t *t = *state;

        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_send(t, "IHAVEOPX\0\0\0\1\0\0\0\0", 16);
        cl_expect_eof(t);
}

static void test_list_flood(void **state) {
        struct t *t = *state;
        const size_t n = 8000, per = 4 * NBD_OPTION_REPLY_HEADER_SIZE + 4 * 4 + 1 + 1 + 16 + 3 + 4 +
                                    NBD_OPTION_REPLY_HEADER_SIZE;
        _cleanup_buf_ struct buf in = BUF_INIT;
        _cleanup_free_ uint8_t *out = malloc(n * per);
        size_t sent = 0, got = 0;
        int64_t deadline = now_usec(CLOCK_MONOTONIC) + 20 * 1000000;
        uint8_t g[NBD_GREETING_SIZE];

        /* Options sent without reading the replies: the server must stop
         * reading at its output limit and resume, never stall or balloon. */
        assert_non_null(out);
        cl_greeting(t, NBD_FLAG_C_FIXED_NEWSTYLE);
        cl_recv(t, g, 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(nbd_option_encode(&in, NBD_OPT_LIST, NULL, 0), 0);
        while (got < n * per) {
                ssize_t k;

                if (sent < in.len) {
                        k = send(t->fd, in.data + sent, in.len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                        if (k > 0)
                                sent += (size_t) k;
                }
                k = recv(t->fd, out + got, n * per - got, MSG_DONTWAIT);
                if (k > 0)
                        got += (size_t) k;
                assert_true(k != 0);
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(t->e, 1000) >= 0);
        }
        for (size_t i = 0, pos = 0; i < n; i++)
                for (int k = 0; k < 5; k++) {
                        struct nbd_option_reply rep;

                        assert_int_equal(nbd_option_reply_parse(out + pos, &rep), 0);
                        assert_int_equal(rep.type, k < 4 ? NBD_REP_SERVER : NBD_REP_ACK);
                        pos += NBD_OPTION_REPLY_HEADER_SIZE + rep.length;
                }
        assert_true(cl_nothing(t));
}

static void test_handshake_timeout(void **state) {
        struct t *t = *state;
        int sv[2];
        uint8_t g[NBD_GREETING_SIZE];

        nbd_server_set_handshake_timeout(t->s, 50 * 1000);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(nbd_server_add_connection(t->s, sv[1]), 0);
        safe_close(t->fd);
        t->fd = sv[0];
        cl_recv(t, g, sizeof(g));
        cl_send(t, "\0\0\0\1", 4);
        cl_expect_eof(t);
}

static void test_no_timeout_in_transmission(void **state) {
        struct t *t = *state;
        int sv[2];

        nbd_server_set_handshake_timeout(t->s, 20 * 1000);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(nbd_server_add_connection(t->s, sv[1]), 0);
        safe_close(t->fd);
        t->fd = sv[0];
        cl_go(t, "0");
        usleep(50 * 1000);
        pump(t);
        cl_read_check(t, 1, 0, 4, t->b.ex[0].data);
}

/* ---- Transmission ---- */

static void test_round_trips(void **state) {
        struct t *t = *state;
        struct mem_export *x = &t->b.ex[0];
        _cleanup_free_ uint8_t *w = malloc(1 << 20), *zero = calloc(1, 1 << 20);

        assert_non_null(w);
        assert_non_null(zero);
        for (size_t i = 0; i < (1 << 20); i++)
                w[i] = (uint8_t) (i * 7 + 3);
        cl_go(t, "0");

        cl_request(t, NBD_CMD_WRITE, 0, 1, 0, 1 << 20, w);
        assert_int_equal(cl_reply(t, 1), 0);
        assert_memory_equal(x->data, w, 1 << 20);
        assert_false(t->b.last.fua);
        cl_read_check(t, 2, 12345, 54321, w + 12345);

        /* Unaligned FUA write. */
        cl_request(t, NBD_CMD_WRITE, NBD_CMD_FLAG_FUA, 3, 1001, 3, "abc");
        assert_int_equal(cl_reply(t, 3), 0);
        assert_true(t->b.last.fua);
        assert_memory_equal(x->data + 1001, "abc", 3);

        cl_request(t, NBD_CMD_FLUSH, 0, 4, 0, 0, NULL);
        assert_int_equal(cl_reply(t, 4), 0);
        assert_int_equal(t->b.last.type, NBD_IO_FLUSH);

        cl_request(t, NBD_CMD_TRIM, NBD_CMD_FLAG_FUA, 5, 4096, 8192, NULL);
        assert_int_equal(cl_reply(t, 5), 0);
        assert_int_equal(t->b.last.type, NBD_IO_TRIM);
        assert_true(t->b.last.fua);
        assert_null(t->b.last.data);
        assert_memory_equal(x->data + 4096, zero, 8192);

        cl_request(t, NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_NO_HOLE, 6, 65536, 65536, NULL);
        assert_int_equal(cl_reply(t, 6), 0);
        assert_int_equal(t->b.last.type, NBD_IO_WRITE_ZEROES);
        assert_true(t->b.last.no_hole);
        assert_false(t->b.last.fua);
        assert_int_equal(t->b.last.offset, 65536);
        assert_int_equal(t->b.last.length, 65536);
        cl_read_check(t, 7, 65536, 65536, zero);

        /* Zero-length requests succeed without reaching the backend. */
        t->b.submits = 0;
        cl_request(t, NBD_CMD_READ, 0, 8, 0, 0, NULL);
        assert_int_equal(cl_reply(t, 8), 0);
        cl_request(t, NBD_CMD_WRITE, 0, 9, 10, 0, "");
        assert_int_equal(cl_reply(t, 9), 0);
        assert_int_equal(t->b.submits, 0);
        assert_true(cl_nothing(t));
}

static void test_backend_errors(void **state) {
        struct t *t = *state;

        cl_go(t, "0");
        t->b.fail_next = -ENOSPC;
        cl_request(t, NBD_CMD_WRITE, 0, 1, 0, 4, "abcd");
        assert_int_equal(cl_reply(t, 1), NBD_ENOSPC);
        t->b.fail_next = -ENODEV;
        cl_request(t, NBD_CMD_READ, 0, 2, 0, 4096, NULL);
        /* A failed read has no payload: the next reply follows directly. */
        assert_int_equal(cl_reply(t, 2), NBD_EIO);
        t->b.fail_next = -ESHUTDOWN;
        cl_request(t, NBD_CMD_FLUSH, 0, 3, 0, 0, NULL);
        assert_int_equal(cl_reply(t, 3), NBD_ESHUTDOWN);
        assert_true(cl_nothing(t));
}

static void test_out_of_order(void **state) {
        struct t *t = *state;
        struct mem_export *x = &t->b.ex[0];
        uint8_t d[3][1000];

        for (size_t i = 0; i < (1 << 20); i++)
                x->data[i] = (uint8_t) (i / 1000);
        cl_go(t, "0");
        t->b.hold = true;
        for (int i = 0; i < 3; i++)
                cl_request(t, NBD_CMD_READ, 0, 100 + i, (uint64_t) i * 1000, 1000, NULL);
        assert_true(cl_nothing(t));
        assert_int_equal(t->b.n_held, 3);
        /* Complete newest first: replies follow completion order. */
        for (int i = 2; i >= 0; i--) {
                complete_held(&t->b, (unsigned) i, 0);
                assert_int_equal(cl_reply(t, 100 + i), 0);
                cl_recv(t, d[i], 1000);
                assert_memory_equal(d[i], x->data + i * 1000, 1000);
        }
        /* Writes too: the middle one fails. */
        cl_request(t, NBD_CMD_WRITE, 0, 1, 0, 3, "aaa");
        cl_request(t, NBD_CMD_WRITE, 0, 2, 10, 3, "bbb");
        cl_request(t, NBD_CMD_WRITE, 0, 3, 20, 3, "ccc");
        assert_true(cl_nothing(t));
        assert_int_equal(t->b.n_held, 3);
        complete_held(&t->b, 1, -EIO);
        complete_held(&t->b, 1, 0);
        complete_held(&t->b, 0, 0);
        assert_int_equal(cl_reply(t, 2), NBD_EIO);
        assert_int_equal(cl_reply(t, 3), 0);
        assert_int_equal(cl_reply(t, 1), 0);
        assert_memory_equal(x->data, "aaa", 3);
        assert_memory_equal(x->data + 20, "ccc", 3);
}

static void test_disconnect_in_flight(void **state) {
        struct t *t = *state;
        uint8_t w[4096] = { 1, 2, 3 };

        cl_go(t, "0");
        t->b.hold = true;
        cl_request(t, NBD_CMD_WRITE, 0, 1, 0, sizeof(w), w);
        cl_request(t, NBD_CMD_READ, 0, 2, 0, 4096, NULL);
        cl_request(t, NBD_CMD_FLUSH, 0, 3, 0, 0, NULL);
        /* And half a request. */
        cl_send(t, "\x25\x60\x95\x13\0\0\0\1", 8);
        pump(t);
        assert_int_equal(t->b.n_held, 3);
        t->fd = safe_close(t->fd);
        pump(t);
        /* The server waits for the backend before close(). */
        assert_int_equal(t->b.ex[0].closes, 0);
        assert_int_equal(nbd_server_clients(t->s, NULL), 1);
        complete_held(&t->b, 1, 0);
        complete_held(&t->b, 0, 0);
        pump(t);
        assert_int_equal(t->b.ex[0].closes, 0);
        complete_held(&t->b, 0, 0);
        pump(t);
        assert_int_equal(t->b.ex[0].closes, 1);
        assert_int_equal(nbd_server_clients(t->s, NULL), 0);
        assert_int_equal(t->b.ex[0].data[2], 3);
}

static void test_eof_after_requests(void **state) {
        struct t *t = *state;

        /* A client that sends its requests and shuts down its sending side
         * still gets every reply. */
        cl_go(t, "0");
        memcpy(t->b.ex[0].data, "hello", 5);
        cl_request(t, NBD_CMD_READ, 0, 1, 0, 5, NULL);
        cl_request(t, NBD_CMD_WRITE, 0, 2, 5, 3, "abc");
        assert_int_equal(shutdown(t->fd, SHUT_WR), 0);
        char d[5];
        assert_int_equal(cl_reply(t, 1), 0);
        cl_recv(t, d, 5);
        assert_memory_equal(d, "hello", 5);
        assert_int_equal(cl_reply(t, 2), 0);
        cl_expect_eof(t);
        assert_memory_equal(t->b.ex[0].data + 5, "abc", 3);
        pump(t);
        assert_int_equal(t->b.ex[0].closes, 1);
}

static void test_backpressure_count(void **state) {
        struct t *t = *state;
        uint8_t d[16];
        const unsigned n = NBD_SERVER_MAX_IN_FLIGHT + 72;

        cl_go(t, "0");
        t->b.hold = true;
        for (unsigned i = 0; i < n; i++)
                cl_request(t, NBD_CMD_READ, 0, i, i * 16, 16, NULL);
        assert_true(cl_nothing(t));
        /* The server stopped at the limit; the rest waits in the socket. */
        assert_int_equal(t->b.n_held, NBD_SERVER_MAX_IN_FLIGHT);
        for (unsigned i = 0; i < n; i++) {
                assert_true(t->b.n_held > 0);
                complete_held(&t->b, 0, 0);
                assert_int_equal(cl_reply(t, i), 0);
                cl_recv(t, d, sizeof(d));
                pump(t);
        }
        assert_int_equal(t->b.n_held, 0);
        assert_int_equal(t->b.submits, n);
}

static void test_backpressure_bytes(void **state) {
        struct t *t = *state;
        const uint32_t len = 32 << 20;
        _cleanup_free_ uint8_t *w = calloc(1, len);

        assert_non_null(w);
        cl_go(t, "big");
        t->b.hold = true;
        for (int i = 0; i < 2; i++)
                cl_request(t, NBD_CMD_WRITE, 0, (uint64_t) i, (uint64_t) i * len, len, w);
        /* The third header: 64 MiB of buffers are taken, it must wait for
         * memory, and its payload must not be read meanwhile. */
        cl_request(t, NBD_CMD_WRITE, 0, 2, 2 * (uint64_t) len, len, NULL);
        cl_send(t, w, 1000);
        pump(t);
        assert_int_equal(t->b.n_held, 2);
        assert_true(cl_nothing(t));
        complete_held(&t->b, 0, 0);
        assert_int_equal(cl_reply(t, 0), 0);
        cl_send(t, w, len - 1000);
        cl_request(t, NBD_CMD_FLUSH, 0, 3, 0, 0, NULL);
        pump(t);
        assert_int_equal(t->b.n_held, 3);  /* the second and third write, the flush */
        while (t->b.n_held)
                complete_held(&t->b, 0, 0);
        assert_int_equal(cl_reply(t, 1), 0);
        assert_int_equal(cl_reply(t, 2), 0);
        assert_int_equal(cl_reply(t, 3), 0);
}

static void test_malformed_requests(void **state) {
        struct t *t = *state;
        uint8_t w[1000];

        memset(w, 0xee, sizeof(w));
        cl_go(t, "0");
        /* Unknown and unsupported commands: EINVAL, the stream goes on. */
        cl_request(t, 77, 0, 1, 0, 4096, NULL);
        assert_int_equal(cl_reply(t, 1), NBD_EINVAL);
        cl_request(t, NBD_CMD_BLOCK_STATUS, 0, 2, 0, 4096, NULL);
        assert_int_equal(cl_reply(t, 2), NBD_EINVAL);
        /* Beyond the end: READ EINVAL; WRITE ENOSPC after its payload. */
        cl_request(t, NBD_CMD_READ, 0, 3, (1 << 20) - 10, 11, NULL);
        assert_int_equal(cl_reply(t, 3), NBD_EINVAL);
        cl_request(t, NBD_CMD_WRITE, 0, 4, UINT64_MAX - 5, sizeof(w), w);
        assert_int_equal(cl_reply(t, 4), NBD_ENOSPC);
        cl_request(t, NBD_CMD_READ, 0, 5, 0, (32 << 20) + 1, NULL);
        assert_int_equal(cl_reply(t, 5), NBD_EINVAL);
        cl_request(t, NBD_CMD_WRITE, 0x40, 6, 0, sizeof(w), w);
        assert_int_equal(cl_reply(t, 6), NBD_EINVAL);
        cl_request(t, NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_FAST_ZERO, 7, 0, 512, NULL);
        assert_int_equal(cl_reply(t, 7), NBD_EINVAL);
        assert_int_equal(t->b.submits, 0);
        /* Nothing was written by any of it. */
        for (size_t i = 0; i < (1 << 20); i++)
                if (t->b.ex[0].data[i])
                        fail_msg("byte %zu written", i);
        cl_read_check(t, 8, 0, 16, t->b.ex[0].data);
        /* A write larger than we buffer ends the connection. */
        cl_request(t, NBD_CMD_WRITE, 0, 9, 0, (32 << 20) + 1, NULL);
        cl_expect_eof(t);
        assert_int_equal(t->b.submits, 1);
}

static void test_bad_request_magic(void **state) {
        struct t *t = *state;
        uint8_t h[NBD_REQUEST_SIZE] = { 0x25, 0x60, 0x95, 0x14 };

        cl_go(t, "0");
        cl_send(t, h, sizeof(h));
        cl_expect_eof(t);
        pump(t);
        assert_int_equal(t->b.ex[0].closes, 1);
}

static void test_server_free_in_flight(void **state) {
        struct t *t = *state;

        cl_go(t, "0");
        t->b.hold = true;
        cl_request(t, NBD_CMD_READ, 0, 1, 0, 4096, NULL);
        cl_request(t, NBD_CMD_WRITE, 0, 2, 0, 3, "xyz");
        pump(t);
        assert_int_equal(t->b.n_held, 2);
        nbd_server_free(t->s);
        t->s = NULL;
        cl_expect_eof(t);
        assert_int_equal(t->b.ex[0].closes, 0);
        /* The loop is not dispatching: the last completion finishes inline. */
        complete_held(&t->b, 1, 0);
        complete_held(&t->b, 0, 0);
        assert_int_equal(t->b.ex[0].closes, 1);
}

static void test_inline_and_deferred(void **state) {
        struct t *t = *state;

        /* Completions inside submit() and from the loop mix freely. */
        cl_go(t, "0");
        cl_request(t, NBD_CMD_WRITE, 0, 1, 0, 2, "hi");
        assert_int_equal(cl_reply(t, 1), 0);
        t->b.hold = true;
        cl_request(t, NBD_CMD_READ, 0, 2, 0, 2, NULL);
        pump(t);
        assert_int_equal(t->b.n_held, 1);
        t->b.hold = false;
        cl_request(t, NBD_CMD_FLUSH, 0, 3, 0, 0, NULL);
        assert_int_equal(cl_reply(t, 3), 0);
        complete_held(&t->b, 0, 0);
        char d[2];
        assert_int_equal(cl_reply(t, 2), 0);
        cl_recv(t, d, 2);
        assert_memory_equal(d, "hi", 2);
        cl_read_check(t, 4, 0, 2, (const uint8_t *) "hi");
}

/* ---- Listeners ---- */

static void test_listen_unix(void **state) {
        struct t *t = *state;
        _cleanup_free_ char *path = NULL;
        struct stat st;
        uint8_t g[NBD_GREETING_SIZE];
        int fd;

        t->tmpdir = strdup("/tmp/test-nbd-server-XXXXXX");
        assert_non_null(t->tmpdir);
        assert_non_null(mkdtemp(t->tmpdir));
        path = strjoin(t->tmpdir, "/r0.nbd", NULL);
        assert_int_equal(nbd_server_listen_unix(t->s, path, 0), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(nbd_server_listen_unix(t->s, path, 0), -EADDRINUSE);

        assert_int_equal(sock_unix_connect(path, &fd), 0);
        safe_close(t->fd);
        t->fd = fd;
        cl_recv(t, g, sizeof(g));
        assert_int_equal(nbd_get64(g), NBD_MAGIC);

        nbd_server_stop_listening(t->s);
        assert_int_equal(stat(path, &st), -1);
        assert_int_equal(errno, ENOENT);
        /* The connection lives on. */
        cl_send(t, "\0\0\0\1", 4);
        cl_option(t, NBD_OPT_ABORT, NULL, 0);
        assert_int_equal(cl_option_reply(t, NBD_OPT_ABORT, g, sizeof(g), NULL), NBD_REP_ACK);
}

static void test_listen_tcp(void **state) {
        struct t *t = *state;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        uint8_t g[NBD_GREETING_SIZE];
        int port, fd;

        assert_int_equal(nbd_server_tcp_port(t->s), -ENOENT);
        assert_int_equal(nbd_server_listen_tcp(t->s, (struct sockaddr *) &sa, sizeof(sa)), 0);
        port = nbd_server_tcp_port(t->s);
        assert_true(port > 0);
        sa.sin_port = htons((uint16_t) port);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        safe_close(t->fd);
        t->fd = fd;
        cl_recv(t, g, sizeof(g));
        assert_int_equal(nbd_get64(g + 8), NBD_IHAVEOPT);
        cl_send(t, "\0\0\0\1", 4);
        cl_info_option(t, NBD_OPT_GO, "0", NULL, 0);
        struct infos i;
        assert_int_equal(cl_infos(t, NBD_OPT_GO, &i), NBD_REP_ACK);
        cl_read_check(t, 1, 0, 8, t->b.ex[0].data);
}

static void test_new_invalid(void **state) {
        struct t *t = *state;
        struct nbd_backend_ops ops = be_ops;
        struct nbd_server *s = NULL;

        ops.submit = NULL;
        assert_int_equal(nbd_server_new(t->e, &ops, NULL, &s), -EINVAL);
        assert_null(s);
        assert_int_equal(nbd_server_add_connection(t->s, -1), -EINVAL);
        nbd_server_free(NULL);
        assert_int_equal(nbd_server_clients(NULL, NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_export_name),
                T(test_export_name_no_zeroes),
                T(test_export_name_unknown),
                T(test_unknown_client_flags),
                T(test_go_with_infos),
                T(test_info_then_go),
                T(test_list_and_abort),
                T(test_unknown_export_and_unsupported),
                T(test_bad_option_magic),
                T(test_list_flood),
                T(test_handshake_timeout),
                T(test_no_timeout_in_transmission),
                T(test_round_trips),
                T(test_backend_errors),
                T(test_out_of_order),
                T(test_disconnect_in_flight),
                T(test_eof_after_requests),
                T(test_backpressure_count),
                T(test_backpressure_bytes),
                T(test_malformed_requests),
                T(test_bad_request_magic),
                T(test_server_free_in_flight),
                T(test_inline_and_deferred),
                T(test_listen_unix),
                T(test_listen_tcp),
                T(test_new_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
