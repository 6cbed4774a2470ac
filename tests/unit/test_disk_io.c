/* test_disk_io.c: io_uring requests on an sd-event loop: reads, writes
 * (with FUA), fsync, fallocate, queueing beyond the ring depth, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

struct ctx {
        sd_event *loop;
        struct io_ring *ring;
        int fd;
        char path[64];
        unsigned outstanding;
        int last_result;
};

static int setup(void **state) {
        struct ctx *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        snprintf(c->path, sizeof(c->path), "/tmp/tandem-io-XXXXXX");
        c->fd = mkstemp(c->path);
        assert_true(c->fd >= 0);
        assert_int_equal(sd_event_new(&c->loop), 0);
        assert_int_equal(io_ring_new(c->loop, 8, &c->ring), 0);
        *state = c;
        return 0;
}

static int teardown(void **state) {
        struct ctx *c = *state;
        io_ring_free(c->ring);
        sd_event_unref(c->loop);
        close(c->fd);
        unlink(c->path);
        free(c);
        return 0;
}

/* A request with room for its result. */
struct tracked {
        struct io_req req;
        int result;
};

static void on_done(struct io_req *req, int result) {
        struct ctx *c = req->userdata;
        struct tracked *t = (struct tracked *) ((char *) req - offsetof(struct tracked, req));
        t->result = result;
        c->last_result = result;
        c->outstanding--;
}

/* Turn the loop until every started request has completed (bounded). */
static void run(struct ctx *c) {
        for (int i = 0; c->outstanding > 0 && i < 10000; i++)
                assert_true(sd_event_run(c->loop, 5 * 1000 * 1000) >= 0);
        assert_int_equal(c->outstanding, 0);
}

static void start_tracked(struct ctx *c, struct tracked *t) {
        t->req.done = on_done;
        t->req.userdata = c;
        t->result = 1;
        c->outstanding++;
}

static void test_write_then_read(void **state) {
        struct ctx *c = *state;
        struct tracked w, f, r;
        char out[8192], in[8192];

        memset(out, 0x5a, sizeof(out));
        start_tracked(c, &w);
        io_write(c->ring, &w.req, c->fd, out, sizeof(out), 4096, true);
        /* not completed inline */
        assert_int_equal(w.result, 1);
        run(c);
        assert_int_equal(w.result, (int) sizeof(out));

        start_tracked(c, &f);
        io_fsync(c->ring, &f.req, c->fd);
        run(c);
        assert_int_equal(f.result, 0);

        start_tracked(c, &r);
        io_read(c->ring, &r.req, c->fd, in, sizeof(in), 4096);
        run(c);
        assert_int_equal(r.result, (int) sizeof(in));
        assert_memory_equal(in, out, sizeof(in));
        assert_int_equal(io_ring_inflight(c->ring), 0);
}

static void test_more_than_depth(void **state) {
        struct ctx *c = *state;
        enum { N = 100 };
        struct tracked t[N];
        static char bufs[N][512];

        for (int i = 0; i < N; i++) {
                memset(bufs[i], i, sizeof(bufs[i]));
                start_tracked(c, &t[i]);
                io_write(c->ring, &t[i].req, c->fd, bufs[i], sizeof(bufs[i]), (uint64_t) i * 512, false);
        }
        assert_int_equal(io_ring_inflight(c->ring), N);
        run(c);
        for (int i = 0; i < N; i++)
                assert_int_equal(t[i].result, 512);
        for (int i = 0; i < N; i++) {
                char b[512];
                assert_int_equal(pread(c->fd, b, sizeof(b), (off_t) i * 512), 512);
                assert_memory_equal(b, bufs[i], sizeof(b));
        }
}

static void test_read_past_end(void **state) {
        struct ctx *c = *state;
        struct tracked r;
        char b[4096];

        assert_int_equal(ftruncate(c->fd, 1024), 0);
        start_tracked(c, &r);
        io_read(c->ring, &r.req, c->fd, b, sizeof(b), 0);
        run(c);
        /* the short read is continued, then hits the end */
        assert_int_equal(r.result, -EIO);
}

static void test_bad_fd(void **state) {
        struct ctx *c = *state;
        struct tracked r;
        char b[16];

        start_tracked(c, &r);
        io_read(c->ring, &r.req, 9999, b, sizeof(b), 0);
        run(c);
        assert_int_equal(r.result, -EBADF);
}

static void test_fallocate_punch(void **state) {
        struct ctx *c = *state;
        struct tracked w, p, r;
        char out[8192], in[8192], zero[8192] = { 0 };

        memset(out, 0x77, sizeof(out));
        start_tracked(c, &w);
        io_write(c->ring, &w.req, c->fd, out, sizeof(out), 0, false);
        run(c);
        start_tracked(c, &p);
        io_fallocate(c->ring, &p.req, c->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096);
        run(c);
        if (p.result == -EOPNOTSUPP)
                skip();
        assert_int_equal(p.result, 0);
        start_tracked(c, &r);
        io_read(c->ring, &r.req, c->fd, in, sizeof(in), 0);
        run(c);
        assert_memory_equal(in, zero, 4096);
        assert_memory_equal(in + 4096, out + 4096, 4096);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_write_then_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_more_than_depth, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_past_end, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_fd, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fallocate_punch, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
