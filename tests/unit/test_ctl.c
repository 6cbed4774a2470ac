/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for ctl.h. The server runs in this process's sd-event loop;
 * clients run in a forked child that checks each reply itself and exits
 * with 0 or the number of the check that failed (the failing line is
 * printed on stderr), while the loop runs until that child exits. ctl_call()
 * against missing, stale, silent and lying peers runs here directly or
 * against a fake server in a child. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "buf.h"
#include "ctl.h"
#include "event.h"
#include "sock.h"
#include "util.h"

#define CALL_TIMEOUT_MS 5000
#define CLIENT_GUARD_USEC (20 * 1000 * 1000ULL)
/* Loop result when the client child did not exit in time. */
#define CLIENT_HUNG 254
/* Child exit code: the test cannot run here (e.g. cannot drop privileges). */
#define CLIENT_SKIP 77
#define MAX_CONNECTIONS 64     /* CTL_MAX_CONNECTIONS in ctl.c */

struct fixture {
        char *dir;
        char *path;
        sd_event *loop;
        struct ctl_server *server;
        unsigned requests;      /* handler calls */
        json_t *first_request;  /* as the handler saw it */
        pid_t child;
        bool guard_fired;
        struct ctl_deferred *later[8]; /* deferred replies, given by a timer */
        char *later_text[8];
        unsigned n_later;
        sd_event_source *later_timer;
};

/* ---- server side: the handler --------------------------------------- */

static json_t *echo_reply(const char *command, json_t *args, json_t *request) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        json_t *reply, *a, *extra;
        size_t i;

        json_array_foreach(args, i, a)
                if (buf_printf(&out, "%s%s", i > 0 ? "|" : "", json_string_value(a)) < 0)
                        return NULL;
        reply = ctl_reply_ok(out.data ? out.data : "");
        if (!reply)
                return NULL;
        extra = json_object_get(request, "extra");
        if (json_object_set_new(reply, "command", json_string(command)) < 0 ||
            json_object_set_new(reply, "argc", json_integer((json_int_t) json_array_size(args))) < 0 ||
            json_object_set_new(reply, "args_is_array", json_boolean(json_is_array(args))) < 0 ||
            (extra && json_object_set(reply, "extra", extra) < 0)) {
                json_decref(reply);
                return NULL;
        }
        return reply;
}

/* Gives every deferred reply (in order) 20 ms after the last deferral. */
static int on_later(sd_event_source *src, uint64_t usec, void *userdata) {
        struct fixture *f = userdata;

        for (unsigned i = 0; i < f->n_later; i++) {
                ctl_deferred_reply(f->later[i], ctl_reply_ok(f->later_text[i]));
                free(f->later_text[i]);
        }
        f->n_later = 0;
        return 0;
}

static int defer_reply(struct fixture *f, const char *text) {
        struct ctl_deferred *d;

        if (f->n_later == ELEMENTSOF(f->later))
                return -ENOSPC;
        d = ctl_server_defer(f->server);
        if (!d)
                return -ENOMEM;
        f->later[f->n_later] = d;
        f->later_text[f->n_later++] = strdup(text);
        sd_event_source_disable_unref(f->later_timer);
        return sd_event_add_time_relative(f->loop, &f->later_timer, CLOCK_MONOTONIC, 20 * 1000, 1,
                                          on_later, f);
}

/* Commands: echo ARGS... (output: the args joined by '|'), len ARGS...
 * (output: their total length), errno N (fails with -N), errno-after-reply
 * (builds a reply, then fails with -EIO), built-error ARG (its own error
 * reply), count (output: open connections), later ARG (deferred; output
 * ARG after 20 ms), later-now ARG (deferred and given at once, from the
 * handler), later-fail (deferred, then fails with -EIO). */
static int on_request(const char *command, json_t *args, json_t *request, json_t **ret_reply,
                      void *userdata) {
        struct fixture *f = userdata;
        const char *arg0 = json_string_value(json_array_get(args, 0));
        char text[32];

        if (f->requests++ == 0)
                f->first_request = json_incref(request);

        if (streq(command, "echo"))
                *ret_reply = echo_reply(command, args, request);
        else if (streq(command, "len")) {
                size_t len = 0, i;
                json_t *a;

                json_array_foreach(args, i, a)
                        len += json_string_length(a);
                snprintf(text, sizeof(text), "%zu", len);
                *ret_reply = ctl_reply_ok(text);
        } else if (streq(command, "errno")) {
                int e = 0;

                if (!arg0 || parse_int(arg0, &e) < 0)
                        return -EINVAL;
                return -e;
        } else if (streq(command, "errno-after-reply")) {
                /* The server must drop this reply, not send or leak it. */
                *ret_reply = ctl_reply_ok("must not be sent");
                return -EIO;
        } else if (streq(command, "built-error"))
                *ret_reply = ctl_reply_error(EOPNOTSUPP, "no such thing: '%s'", arg0 ? arg0 : "");
        else if (streq(command, "count")) {
                snprintf(text, sizeof(text), "%u", ctl_server_connections(f->server));
                *ret_reply = ctl_reply_ok(text);
        } else if (streq(command, "later"))
                return defer_reply(f, arg0 ? arg0 : "");
        else if (streq(command, "later-now")) {
                struct ctl_deferred *d = ctl_server_defer(f->server);

                if (!d)
                        return -ENOMEM;
                ctl_deferred_reply(d, ctl_reply_ok(arg0 ? arg0 : ""));
                return 0;
        } else if (streq(command, "later-fail")) {
                int r = defer_reply(f, "must not be sent");
                return r < 0 ? r : -EIO;
        } else
                *ret_reply = ctl_reply_error(EOPNOTSUPP, "unknown command '%s'", command);
        return *ret_reply ? 0 : -ENOMEM;
}

/* ---- fixture ---------------------------------------------------------- */

static char *dir_path(struct fixture *f, const char *name) {
        char *p = strjoin(f->dir, "/", name, NULL);

        assert_non_null(p);
        return p;
}

static int group_setup(void **state) {
        sigset_t mask;

        /* sd_event_add_child() and the SIGUSR1 source want these blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGUSR1);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -1;
        /* Writes to closed sockets in these tests must fail, not kill. */
        return signal(SIGPIPE, SIG_IGN) == SIG_ERR ? -1 : 0;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        *state = f;
        f->child = -1;
        f->dir = strdup("/tmp/test-ctl-XXXXXX");
        if (!f->dir || !mkdtemp(f->dir))
                return -1;
        f->path = strjoin(f->dir, "/ctl.sock", NULL);
        if (!f->path || sd_event_new(&f->loop) < 0)
                return -1;
        return ctl_server_new(f->loop, f->path, on_request, f, &f->server) < 0 ? -1 : 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        int r = 0;

        if (!f)
                return 0;
        if (f->child > 0) {
                (void) kill(f->child, SIGKILL);
                (void) waitpid(f->child, NULL, 0);
        }
        for (unsigned i = 0; i < f->n_later; i++) {
                ctl_deferred_reply(f->later[i], NULL);
                free(f->later_text[i]);
        }
        sd_event_source_disable_unref(f->later_timer);
        ctl_server_free(f->server);
        sd_event_unref(f->loop);
        json_decref(f->first_request);
        if (f->dir)
                r = rm_rf(f->dir);
        free(f->path);
        free(f->dir);
        free(f);
        return r;
}

/* ---- running a client in a child -------------------------------------- */

typedef int (*client_fn)(const char *path);

/* Closes every descriptor from 3 up except keep (-1: none), so that the
 * child holds no copy of the server's sockets. */
static void close_all_but(int keep) {
        if (keep > 3)
                (void) close_range(3, (unsigned) keep - 1, 0);
        (void) close_range(keep >= 3 ? (unsigned) keep + 1 : 3, ~0U, 0);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct fixture *f = userdata;
        int code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;

        f->child = -1;  /* reaped by sd-event */
        return sd_event_exit(sd_event_source_get_event(s), code);
}

static int on_client_guard(sd_event_source *s, uint64_t usec, void *userdata) {
        struct fixture *f = userdata;

        f->guard_fired = true;
        return sd_event_exit(sd_event_source_get_event(s), CLIENT_HUNG);
}

static pid_t fork_child(void) {
        pid_t pid;

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        return pid;
}

/* Runs fn(path) in a child while the loop serves, for at most guard_usec.
 * Returns the child's exit code, 128+signal, or CLIENT_HUNG. */
static int run_client_for(struct fixture *f, client_fn fn, const char *path, uint64_t guard_usec) {
        _cleanup_event_source_ sd_event_source *child = NULL, *guard = NULL;
        int r;

        f->child = fork_child();
        if (f->child == 0) {
                close_all_but(-1);
                _exit(fn(path));
        }
        assert_true(sd_event_add_child(f->loop, &child, f->child, WEXITED, on_child_exit, f) >= 0);
        assert_true(sd_event_add_time_relative(f->loop, &guard, CLOCK_MONOTONIC, guard_usec, 1,
                                               on_client_guard, f) >= 0);
        r = sd_event_loop(f->loop);
        if (f->guard_fired)
                print_error("client child did not exit within %llu ms\n",
                            (unsigned long long) guard_usec / 1000);
        return r;
}

static int run_client(struct fixture *f, client_fn fn) {
        return run_client_for(f, fn, f->path, CLIENT_GUARD_USEC);
}

/* ---- client side helpers (child process: no cmocka asserts) ------------ */

/* Counts checks and returns the number of the failing one (1..200). */
#define CHECK(cond)                                                            \
        do {                                                                   \
                step++;                                                        \
                if (!(cond)) {                                                 \
                        fprintf(stderr, "%s:%d: client check %d failed: %s\n", \
                                __FILE__, __LINE__, step, #cond);              \
                        return step < 200 ? step : 200;                        \
                }                                                              \
        } while (0)

static int call(const char *path, const char *command, int argc, char *const *argv,
                json_t **ret_reply) {
        json_auto_t *req = ctl_request_new(command, argc, argv);

        if (!req)
                return -ENOMEM;
        return ctl_call(path, req, CALL_TIMEOUT_MS, ret_reply);
}

static bool reply_ok(json_t *reply, const char *output) {
        const char *o = json_string_value(json_object_get(reply, "output"));

        if (!json_is_true(json_object_get(reply, "ok")) || !o || !streq(o, output)) {
                char *s = json_dumps(reply, JSON_COMPACT);

                fprintf(stderr, "expected ok reply with output '%s', got %s\n", output, s);
                free(s);
                return false;
        }
        return true;
}

static bool reply_error(json_t *reply, int error, const char *text) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        json_t *n = json_object_get(reply, "errno");

        if (!json_is_false(json_object_get(reply, "ok")) || !e || !strstr(e, text) ||
            !json_is_integer(n) || json_integer_value(n) != error ||
            json_object_get(reply, "output")) {
                char *s = json_dumps(reply, JSON_COMPACT);

                fprintf(stderr, "expected error %d containing '%s', got %s\n", error, text, s);
                free(s);
                return false;
        }
        return true;
}

static int raw_connect(const char *path) {
        int fd = -1;

        return sock_unix_connect(path, &fd) < 0 ? -1 : fd;
}

static bool raw_send(int fd, const char *text) {
        return sock_write_all(fd, text, strlen(text)) >= 0;
}

/* The next reply line on fd as JSON, NULL (with a message) if none. */
static json_t *raw_reply(int fd, struct buf *b) {
        _cleanup_free_ char *line = NULL;
        json_error_t err;
        json_t *j;
        int r;

        r = sock_read_line(fd, b, 64 * 1024, CALL_TIMEOUT_MS, &line);
        if (r < 0) {
                fprintf(stderr, "reading a reply: %s\n", strerror(-r));
                return NULL;
        }
        j = json_loads(line, 0, &err);
        if (!j)
                fprintf(stderr, "reply '%s' is not JSON: %s\n", line, err.text);
        return j;
}

/* Sends one request line and returns the reply. */
static json_t *raw_roundtrip(int fd, struct buf *b, const char *line) {
        if (!raw_send(fd, line) || !raw_send(fd, "\n"))
                return NULL;
        return raw_reply(fd, b);
}

/* True when the server closed its side: no stray bytes, then EOF. */
static bool raw_eof(int fd, struct buf *b) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char c;

        if (b->len > 0) {
                fprintf(stderr, "unexpected data before EOF: '%s'\n", b->data);
                return false;
        }
        if (poll(&p, 1, CALL_TIMEOUT_MS) != 1) {
                fprintf(stderr, "no EOF within %d ms\n", CALL_TIMEOUT_MS);
                return false;
        }
        return recv(fd, &c, 1, 0) == 0;
}

/* ---- ctl_request_new and reply builders -------------------------------- */

static void test_request_new(void **state) {
        char *argv[] = { "r0", "x y", "" };
        json_auto_t *req = NULL, *empty = NULL, *want = NULL, *ok = NULL, *err = NULL;
        _cleanup_free_ char *text = NULL;

        req = ctl_request_new("status", 3, argv);
        assert_non_null(req);
        want = json_pack("{s:s,s:[s,s,s]}", "command", "status", "args", "r0", "x y", "");
        assert_true(json_equal(req, want));
        /* What goes on the wire: command first, then args. */
        text = json_dumps(req, JSON_COMPACT);
        assert_string_equal(text, "{\"command\":\"status\",\"args\":[\"r0\",\"x y\",\"\"]}");

        empty = ctl_request_new("ping", 0, NULL);
        assert_non_null(empty);
        assert_string_equal(json_string_value(json_object_get(empty, "command")), "ping");
        assert_true(json_is_array(json_object_get(empty, "args")));
        assert_int_equal(json_array_size(json_object_get(empty, "args")), 0);
        assert_int_equal(json_object_size(empty), 2);

        ok = ctl_reply_ok(NULL);
        assert_true(json_is_true(json_object_get(ok, "ok")));
        assert_string_equal(json_string_value(json_object_get(ok, "output")), "");
        err = ctl_reply_error(-ENOENT, "no %s here", "volume");
        assert_true(json_is_false(json_object_get(err, "ok")));
        assert_string_equal(json_string_value(json_object_get(err, "error")), "no volume here");
        assert_int_equal(json_integer_value(json_object_get(err, "errno")), ENOENT);
}

static void test_request_parse(void **state) {
        json_auto_t *req = NULL, *bare = NULL, *want = NULL, *want_bare = NULL;
        json_t *error = (json_t *) 0x1;

        req = ctl_request_parse("{\"command\":\"status\",\"args\":[\"r0\"],\"x\":1}", &error);
        assert_non_null(req);
        assert_null(error);
        want = json_pack("{s:s,s:[s],s:i}", "command", "status", "args", "r0", "x", 1);
        assert_true(json_equal(req, want));

        /* "args" left out comes back as an empty array. */
        error = (json_t *) 0x1;
        bare = ctl_request_parse("{\"command\":\"ping\"}", &error);
        assert_non_null(bare);
        assert_null(error);
        want_bare = json_pack("{s:s,s:[]}", "command", "ping", "args");
        assert_true(json_equal(bare, want_bare));
}

/* ---- requests and replies ---------------------------------------------- */

static int client_roundtrip(const char *path) {
        char *argv[] = { "a", "b c", "quote\" and\nnewline", "" };
        json_auto_t *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *want = NULL;
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_close_ int fd = -1;
        int step = 0;

        CHECK(call(path, "echo", 4, argv, &r1) == 0);
        CHECK(reply_ok(r1, "a|b c|quote\" and\nnewline|"));
        CHECK(streq(json_string_value(json_object_get(r1, "command")), "echo"));
        CHECK(json_integer_value(json_object_get(r1, "argc")) == 4);

        /* No arguments: the handler still gets an (empty) array. */
        CHECK(call(path, "echo", 0, NULL, &r2) == 0);
        CHECK(reply_ok(r2, ""));
        CHECK(json_is_true(json_object_get(r2, "args_is_array")));

        /* "args" left out, and extra members passed through. */
        CHECK((fd = raw_connect(path)) >= 0);
        CHECK((r3 = raw_roundtrip(fd, &b, "{\"command\":\"echo\"}")));
        CHECK(reply_ok(r3, ""));
        CHECK(json_is_true(json_object_get(r3, "args_is_array")));
        CHECK(json_integer_value(json_object_get(r3, "argc")) == 0);
        CHECK((r4 = raw_roundtrip(fd, &b, "{\"command\":\"echo\",\"args\":[\"x\"],"
                                          "\"extra\":{\"n\":[1,2]}}")));
        CHECK(reply_ok(r4, "x"));
        CHECK((want = json_pack("{s:[i,i]}", "n", 1, 2)));
        CHECK(json_equal(json_object_get(r4, "extra"), want));
        return 0;
}

static void test_roundtrip(void **state) {
        struct fixture *f = *state;
        json_auto_t *want = NULL;

        assert_int_equal(run_client(f, client_roundtrip), 0);
        assert_int_equal(f->requests, 4);
        want = json_pack("{s:s,s:[s,s,s,s]}", "command", "echo", "args", "a", "b c",
                         "quote\" and\nnewline", "");
        assert_true(json_equal(f->first_request, want));
}

static int client_handler_errno(const char *path) {
        char *eacces[] = { "13" }, *enospc[] = { "28" };
        json_auto_t *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
        int step = 0;

        /* ctl_call succeeds: the daemon answered, with an error. */
        CHECK(call(path, "errno", 1, eacces, &r1) == 0);
        CHECK(reply_error(r1, EACCES, "errno failed: Permission denied"));
        CHECK(call(path, "errno", 1, enospc, &r2) == 0);
        CHECK(reply_error(r2, ENOSPC, "No space left on device"));
        CHECK(call(path, "errno-after-reply", 0, NULL, &r3) == 0);
        CHECK(reply_error(r3, EIO, "errno-after-reply failed: Input/output error"));
        /* The server is still fine. */
        CHECK(call(path, "echo", 1, eacces, &r4) == 0);
        CHECK(reply_ok(r4, "13"));
        return 0;
}

static void test_handler_errno(void **state) {
        struct fixture *f = *state;

        assert_int_equal(run_client(f, client_handler_errno), 0);
        assert_int_equal(f->requests, 4);
}

static int client_handler_error_reply(const char *path) {
        char *argv[] = { "frob" };
        json_auto_t *r1 = NULL, *r2 = NULL;
        int step = 0;

        CHECK(call(path, "built-error", 1, argv, &r1) == 0);
        CHECK(reply_error(r1, EOPNOTSUPP, "no such thing: 'frob'"));
        CHECK(call(path, "frobnicate", 0, NULL, &r2) == 0);
        CHECK(reply_error(r2, EOPNOTSUPP, "unknown command 'frobnicate'"));
        return 0;
}

static void test_handler_error_reply(void **state) {
        assert_int_equal(run_client(*state, client_handler_error_reply), 0);
}

static int client_pipelined(const char *path) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_close_ int fd = -1;
        int step = 0;

        CHECK((fd = raw_connect(path)) >= 0);
        /* Three requests in one write: three replies, in order. */
        CHECK(raw_send(fd, "{\"command\":\"echo\",\"args\":[\"1\"]}\n"
                           "{\"command\":\"errno\",\"args\":[\"2\"]}\n"
                           "{\"command\":\"echo\",\"args\":[\"3\"]}\n"));
        for (int i = 1; i <= 3; i++) {
                json_auto_t *r = raw_reply(fd, &b);

                CHECK(r);
                if (i == 2)
                        CHECK(reply_error(r, ENOENT, "errno failed"));
                else
                        CHECK(reply_ok(r, i == 1 ? "1" : "3"));
        }
        CHECK(b.len == 0);

        /* A request split over several writes is one request. */
        CHECK(raw_send(fd, "{\"command\":"));
        CHECK(raw_send(fd, "\"echo\",\"args\":[\"sp"));
        {
                json_auto_t *r = raw_roundtrip(fd, &b, "lit\"]}");

                CHECK(r);
                CHECK(reply_ok(r, "split"));
        }
        return 0;
}

static void test_pipelined(void **state) {
        struct fixture *f = *state;

        assert_int_equal(run_client(f, client_pipelined), 0);
        assert_int_equal(f->requests, 4);
}

static int client_deferred(const char *path) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_close_ int fd = -1, gone = -1;
        int step = 0;

        CHECK((fd = raw_connect(path)) >= 0);
        /* Requests behind a deferred one wait for it: replies keep order. */
        CHECK(raw_send(fd, "{\"command\":\"later\",\"args\":[\"A\"]}\n"
                           "{\"command\":\"echo\",\"args\":[\"B\"]}\n"
                           "{\"command\":\"later-now\",\"args\":[\"C\"]}\n"
                           "{\"command\":\"later-fail\"}\n"
                           "{\"command\":\"echo\",\"args\":[\"D\"]}\n"));
        for (int i = 0; i < 5; i++) {
                json_auto_t *r = raw_reply(fd, &b);
                static const char *const want[] = { "A", "B", "C", NULL, "D" };

                CHECK(r);
                if (want[i])
                        CHECK(reply_ok(r, want[i]));
                else
                        CHECK(reply_error(r, EIO, "later-fail failed"));
        }
        /* A client that goes away before its deferred reply: the reply is
         * dropped and the server serves on. */
        CHECK((gone = raw_connect(path)) >= 0);
        CHECK(raw_send(gone, "{\"command\":\"later\",\"args\":[\"lost\"]}\n"));
        gone = safe_close(gone);
        {
                json_auto_t *r = raw_roundtrip(fd, &b, "{\"command\":\"later\",\"args\":[\"E\"]}");

                CHECK(r);
                CHECK(reply_ok(r, "E"));
        }
        return 0;
}

static void test_deferred(void **state) {
        struct fixture *f = *state;

        assert_int_equal(run_client(f, client_deferred), 0);
        assert_int_equal(f->n_later, 0);
}

/* Each of these gets an EBADMSG reply naming the problem. */
static const struct {
        const char *line;
        const char *error;
} malformed[] = {
        { "not json", "not valid JSON" },
        { "", "not valid JSON" },
        { "\"echo\"", "not valid JSON" },
        { "{\"command\":\"echo\"", "not valid JSON" },
        { "{\"command\":\"echo\",\"command\":\"x\"}", "not valid JSON" },
        { "[1,2]", "must be an object" },
        { "[\"echo\"]", "must be an object" },
        { "{\"command\":5}", "string \"command\"" },
        { "{\"command\":null}", "string \"command\"" },
        { "{\"args\":[\"a\"]}", "string \"command\"" },
        { "{}", "string \"command\"" },
        { "{\"command\":\"echo\",\"args\":\"a\"}", "\"args\" must be an array" },
        { "{\"command\":\"echo\",\"args\":{}}", "\"args\" must be an array" },
        { "{\"command\":\"echo\",\"args\":[\"a\",1]}", "argument 1 is not a string" },
        { "{\"command\":\"echo\",\"args\":[null]}", "argument 0 is not a string" },
};

static void test_request_parse_malformed(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
                json_auto_t *error = NULL;
                json_t *req = ctl_request_parse(malformed[i].line, &error);
                const char *text = json_string_value(json_object_get(error, "error"));

                if (req || !text || !strstr(text, malformed[i].error))
                        fail_msg("'%s': request %p, error reply '%s'", malformed[i].line,
                                 (void *) req, text ? text : "(none)");
                assert_true(json_is_false(json_object_get(error, "ok")));
                assert_int_equal(json_integer_value(json_object_get(error, "errno")), EBADMSG);
        }
}

static int client_malformed(const char *path) {
        _cleanup_buf_ struct buf b = BUF_INIT, all = BUF_INIT;
        _cleanup_close_ int fd = -1;
        int step = 0;

        CHECK((fd = raw_connect(path)) >= 0);
        for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
                json_auto_t *bad = raw_roundtrip(fd, &b, malformed[i].line);
                json_auto_t *good = NULL;

                CHECK(bad);
                CHECK(reply_error(bad, EBADMSG, malformed[i].error));
                /* The connection still works. */
                CHECK((good = raw_roundtrip(fd, &b, "{\"command\":\"echo\",\"args\":[\"ok\"]}")));
                CHECK(reply_ok(good, "ok"));
        }

        /* All of them at once, then a good one: replies in order. */
        for (size_t i = 0; i < ELEMENTSOF(malformed); i++)
                CHECK(buf_printf(&all, "%s\n", malformed[i].line) >= 0);
        CHECK(buf_append_str(&all, "{\"command\":\"echo\",\"args\":[\"last\"]}\n") >= 0);
        CHECK(raw_send(fd, all.data));
        for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
                json_auto_t *bad = raw_reply(fd, &b);

                CHECK(bad);
                CHECK(reply_error(bad, EBADMSG, malformed[i].error));
        }
        {
                json_auto_t *good = raw_reply(fd, &b);

                CHECK(good);
                CHECK(reply_ok(good, "last"));
        }
        return 0;
}

static void test_malformed(void **state) {
        struct fixture *f = *state;

        assert_int_equal(run_client(f, client_malformed), 0);
        /* The handler only saw the good requests. */
        assert_int_equal(f->requests, ELEMENTSOF(malformed) + 1);
}

/* ---- request size limit ------------------------------------------------- */

/* A "len" request line of exactly line_len bytes, plus the newline; the
 * length of its one argument goes to *ret_fill. */
static char *len_request(size_t line_len, size_t *ret_fill) {
        static const char head[] = "{\"command\":\"len\",\"args\":[\"", tail[] = "\"]}";
        size_t fill = line_len - (sizeof(head) - 1) - (sizeof(tail) - 1);
        char *s = malloc(line_len + 2);

        if (!s)
                return NULL;
        memcpy(s, head, sizeof(head) - 1);
        memset(s + sizeof(head) - 1, 'x', fill);
        memcpy(s + sizeof(head) - 1 + fill, tail, sizeof(tail) - 1);
        s[line_len] = '\n';
        s[line_len + 1] = '\0';
        *ret_fill = fill;
        return s;
}

/* The reply to an oversized request, then the server's EOF. */
static bool expect_too_long(int fd, struct buf *b) {
        json_auto_t *r = raw_reply(fd, b);
        char want[64];

        snprintf(want, sizeof(want), "request longer than %d bytes", CTL_REQUEST_MAX);
        return r && reply_error(r, EMSGSIZE, want) && raw_eof(fd, b);
}

static int client_oversized(const char *path) {
        const size_t size = 2 * 1024 * 1024;
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_free_ char *junk = malloc(size);
        _cleanup_close_ int fd = -1;
        int step = 0;

        CHECK(junk);
        memset(junk, 'x', size);
        CHECK((fd = raw_connect(path)) >= 0);
        /* The server drains what follows its reply, so this write
         * completes rather than failing with a reset. */
        CHECK(sock_write_all(fd, junk, size) == 0);
        CHECK(expect_too_long(fd, &b));
        return 0;
}

static void test_oversized(void **state) {
        struct fixture *f = *state;

        assert_int_equal(run_client(f, client_oversized), 0);
        assert_int_equal(f->requests, 0);
}

static int client_request_at_limit(const char *path) {
        size_t fill = 0;
        _cleanup_free_ char *req = len_request(CTL_REQUEST_MAX, &fill);
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_close_ int fd = -1;
        json_auto_t *r = NULL, *r2 = NULL;
        char want[32];
        int step = 0;

        CHECK(req);
        CHECK((fd = raw_connect(path)) >= 0);
        CHECK(sock_write_all(fd, req, strlen(req)) == 0);
        CHECK((r = raw_reply(fd, &b)));
        snprintf(want, sizeof(want), "%zu", fill);
        CHECK(reply_ok(r, want));
        CHECK((r2 = raw_roundtrip(fd, &b, "{\"command\":\"echo\",\"args\":[\"after\"]}")));
        CHECK(reply_ok(r2, "after"));
        return 0;
}

/* The longest line the server accepts is CTL_REQUEST_MAX bytes. */
static void test_request_at_limit(void **state) {
        struct fixture *f = *state;

        assert_int_equal(run_client(f, client_request_at_limit), 0);
        assert_int_equal(f->requests, 2);
}

static int client_request_over_limit(const char *path) {
        size_t fill = 0;
        _cleanup_free_ char *req = len_request(CTL_REQUEST_MAX + 1, &fill);
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_close_ int fd = -1;
        int step = 0;

        CHECK(req);
        CHECK((fd = raw_connect(path)) >= 0);
        CHECK(sock_write_all(fd, req, strlen(req)) == 0);
        CHECK(expect_too_long(fd, &b));
        return 0;
}

/* One byte more is too long (ctl.h: "longer ones get an error reply and
 * the connection is closed"), also when the newline arrives in the same
 * read as the bytes that cross the limit. */
static void test_request_over_limit_with_newline(void **state) {
        struct fixture *f = *state;

        assert_int_equal(run_client(f, client_request_over_limit), 0);
        assert_int_equal(f->requests, 0);
}

/* ---- ctl_call against missing, stale, lying and silent peers ----------- */

static void test_call_missing(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = dir_path(f, "nothing.sock");
        json_auto_t *req = ctl_request_new("ping", 0, NULL);
        json_t *reply = NULL;

        assert_int_equal(ctl_call(path, req, CALL_TIMEOUT_MS, &reply), -ENOENT);
        assert_null(reply);
}

static void test_call_stale(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = dir_path(f, "stale.sock");
        json_auto_t *req = ctl_request_new("ping", 0, NULL);
        json_t *reply = NULL;
        int fd = -1;

        /* A daemon that went away leaves its socket file behind. */
        assert_int_equal(sock_unix_listen(path, 1, 0600, &fd), 0);
        safe_close(fd);
        assert_int_equal(access(path, F_OK), 0);
        assert_int_equal(ctl_call(path, req, CALL_TIMEOUT_MS, &reply), -ECONNREFUSED);
        assert_null(reply);
}

/* What the fake server answers, one connection each; all but the last
 * are not a JSON object with a boolean "ok". */
static const char *const fake_replies[] = {
        "not json\n",
        "\n",
        "{\"ok\":true\n",
        "[true]\n",
        "\"ok\"\n",
        "{\"output\":\"no ok\"}\n",
        "{\"ok\":\"yes\"}\n",
        "{\"ok\":1}\n",
        "{\"ok\":null,\"output\":\"\"}\n",
        "{\"ok\":true,\"output\":\"fine\"}\n",
};

/* Child: serves one connection per fake reply: reads the request line,
 * answers, waits for the client to close. */
static int fake_server(int lfd) {
        for (size_t i = 0; i < ELEMENTSOF(fake_replies); i++) {
                struct pollfd p = { .fd = lfd, .events = POLLIN };
                _cleanup_buf_ struct buf b = BUF_INIT;
                _cleanup_free_ char *line = NULL, *rest = NULL;
                _cleanup_close_ int cfd = -1;

                if (poll(&p, 1, CALL_TIMEOUT_MS) != 1)
                        return 1;
                cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                if (cfd < 0)
                        return 2;
                if (sock_read_line(cfd, &b, 4096, CALL_TIMEOUT_MS, &line) < 0)
                        return 3;
                if (!strstr(line, "\"command\":\"ping\""))
                        return 4;
                if (sock_write_all(cfd, fake_replies[i], strlen(fake_replies[i])) < 0)
                        return 5;
                if (sock_read_line(cfd, &b, 4096, CALL_TIMEOUT_MS, &rest) != -ECONNRESET)
                        return 6;
        }
        return 0;
}

static void test_call_bad_reply(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = dir_path(f, "fake.sock");
        json_auto_t *req = ctl_request_new("ping", 0, NULL);
        _cleanup_close_ int lfd = -1;
        size_t last = ELEMENTSOF(fake_replies) - 1;
        int status;

        assert_int_equal(sock_unix_listen(path, 4, 0600, &lfd), 0);
        f->child = fork_child();
        if (f->child == 0) {
                close_all_but(lfd);
                _exit(fake_server(lfd));
        }
        for (size_t i = 0; i < last; i++) {
                json_t *reply = NULL;

                if (ctl_call(path, req, CALL_TIMEOUT_MS, &reply) != -EBADMSG)
                        fail_msg("reply '%.*s' not rejected with EBADMSG",
                                 (int) strlen(fake_replies[i]) - 1, fake_replies[i]);
                assert_null(reply);
        }
        {
                json_auto_t *reply = NULL;

                /* The fake itself works: a good reply gets through. */
                assert_int_equal(ctl_call(path, req, CALL_TIMEOUT_MS, &reply), 0);
                assert_string_equal(json_string_value(json_object_get(reply, "output")), "fine");
        }
        assert_int_equal(waitpid(f->child, &status, 0), f->child);
        f->child = -1;
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_call_timeout(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = dir_path(f, "silent.sock");
        json_auto_t *req = ctl_request_new("ping", 0, NULL);
        _cleanup_close_ int lfd = -1;
        json_t *reply = NULL;
        int64_t t0, elapsed;

        /* Listens and never accepts: the connection and the request sit in
         * the kernel and no reply ever comes. */
        assert_int_equal(sock_unix_listen(path, 4, 0600, &lfd), 0);
        t0 = now_usec(CLOCK_MONOTONIC);
        assert_int_equal(ctl_call(path, req, 100, &reply), -ETIMEDOUT);
        elapsed = now_usec(CLOCK_MONOTONIC) - t0;
        assert_null(reply);
        assert_true(elapsed >= 100 * 1000);
        assert_true(elapsed < 3 * 1000 * 1000);
}

static int client_call_times_out(const char *path) {
        json_auto_t *req = ctl_request_new("ping", 0, NULL);
        json_t *reply = NULL;
        int64_t t0 = now_usec(CLOCK_MONOTONIC), elapsed;
        int step = 0, r;

        CHECK(req);
        r = ctl_call(path, req, 200, &reply);
        elapsed = now_usec(CLOCK_MONOTONIC) - t0;
        CHECK(r == -ETIMEDOUT || r == -EAGAIN);
        CHECK(!reply);
        CHECK(elapsed < 2 * 1000 * 1000);
        return 0;
}

/* A daemon that has stopped accepting (its loop is stuck) and whose
 * listen backlog is full: ctl_call() must still give up after its
 * timeout rather than block in connect() forever. */
static void test_call_timeout_backlog_full(void **state) {
        struct fixture *f = *state;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = sa.sun_path;
        int queued[16], n = 0, r, lfd;

        /* Nothing on the heap: the expected failure must not leak. */
        assert_true(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stuck.sock", f->dir) <
                    (int) sizeof(sa.sun_path));
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(lfd >= 0);
        assert_int_equal(bind(lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(lfd, 0), 0);
        /* Fill the backlog: further connects would block. */
        for (;;) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

                assert_true(fd >= 0);
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                        assert_int_equal(errno, EAGAIN);
                        safe_close(fd);
                        break;
                }
                assert_true(n < (int) ELEMENTSOF(queued));
                queued[n++] = fd;
        }
        assert_true(n >= 1);

        r = run_client_for(f, client_call_times_out, path, 3 * 1000 * 1000);
        while (n > 0)
                safe_close(queued[--n]);
        safe_close(lfd);
        assert_int_equal(r, 0);
}

/* ---- server life cycle -------------------------------------------------- */

static int client_ping(const char *path) {
        json_auto_t *r = NULL;
        int step = 0;

        CHECK(call(path, "echo", 0, NULL, &r) == 0);
        CHECK(reply_ok(r, ""));
        return 0;
}

static void test_server_in_use(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *missing = dir_path(f, "no/such/dir.sock");
        _cleanup_event_ sd_event *other = NULL;
        struct ctl_server *second = (struct ctl_server *) 0x1;
        struct stat st;
        char longpath[200];

        /* Another server answers on the path: refused, on this loop or
         * another, and the first keeps its socket. */
        assert_int_equal(ctl_server_new(f->loop, f->path, on_request, f, &second), -EADDRINUSE);
        assert_int_equal(sd_event_new(&other), 0);
        assert_int_equal(ctl_server_new(other, f->path, on_request, f, &second), -EADDRINUSE);
        assert_ptr_equal(second, (struct ctl_server *) 0x1);
        assert_int_equal(stat(f->path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(run_client(f, client_ping), 0);
        assert_int_equal(f->requests, 1);

        assert_int_equal(ctl_server_new(other, missing, on_request, f, &second), -ENOENT);
        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[0] = '/';
        longpath[sizeof(longpath) - 1] = '\0';
        assert_int_equal(ctl_server_new(other, longpath, on_request, f, &second), -ENAMETOOLONG);
        assert_ptr_equal(second, (struct ctl_server *) 0x1);
}

static int on_free_server(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct fixture *f = userdata;

        ctl_server_free(f->server);
        f->server = NULL;
        /* The client sees its connection close before the socket file is
         * gone; tell it when ctl_server_free() has returned. */
        return kill(f->child, SIGUSR1) < 0 ? -errno : 0;
}

static int client_free(const char *path) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_close_ int fd = -1;
        json_auto_t *r = NULL, *r2 = NULL;
        const struct timespec timeout = { .tv_sec = CALL_TIMEOUT_MS / 1000 };
        sigset_t usr1;
        int step = 0;

        /* SIGUSR1 is blocked here as in the parent, so it waits for
         * sigtimedwait(). */
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        CHECK((fd = raw_connect(path)) >= 0);
        CHECK((r = raw_roundtrip(fd, &b, "{\"command\":\"echo\",\"args\":[\"hi\"]}")));
        CHECK(reply_ok(r, "hi"));
        /* Ask the parent to free the server while this connection is open. */
        CHECK(kill(getppid(), SIGUSR1) == 0);
        CHECK(raw_eof(fd, &b));
        CHECK(sigtimedwait(&usr1, NULL, &timeout) == SIGUSR1);
        CHECK(access(path, F_OK) < 0 && errno == ENOENT);
        CHECK(call(path, "echo", 0, NULL, &r2) == -ENOENT);
        return 0;
}

static void test_server_free(void **state) {
        struct fixture *f = *state;
        _cleanup_event_source_ sd_event_source *usr1 = NULL;

        assert_int_equal(access(f->path, F_OK), 0);
        assert_true(sd_event_add_signal(f->loop, &usr1, SIGUSR1, on_free_server, f) >= 0);
        assert_int_equal(run_client(f, client_free), 0);
        assert_null(f->server);
        assert_int_equal(access(f->path, F_OK), -1);
        assert_int_equal(errno, ENOENT);
        ctl_server_free(NULL);
}

/* Asks "count" on fd until it says want (the server notices closed
 * connections asynchronously); false if it never does. */
static bool count_becomes(int fd, struct buf *b, const char *want) {
        for (int i = 0; i < 100; i++) {
                json_auto_t *r = raw_roundtrip(fd, b, "{\"command\":\"count\"}");
                const char *o = json_string_value(json_object_get(r, "output"));

                if (!o)
                        return false;
                if (streq(o, want))
                        return true;
        }
        fprintf(stderr, "connection count never became %s\n", want);
        return false;
}

static int client_count(const char *path) {
        struct buf b[3] = {};
        int fd[3], step = 0;
        json_auto_t *r = NULL, *r2 = NULL;

        for (int i = 0; i < 3; i++) {
                json_auto_t *c = NULL;
                char want[2] = { (char) ('1' + i), '\0' };

                CHECK((fd[i] = raw_connect(path)) >= 0);
                CHECK((c = raw_roundtrip(fd[i], &b[i], "{\"command\":\"count\"}")));
                CHECK(reply_ok(c, want));
        }
        close(fd[0]);
        close(fd[1]);
        CHECK(count_becomes(fd[2], &b[2], "1"));
        close(fd[2]);

        /* A ctl_call connection counts while it is open. */
        for (int i = 0; i < 100; i++) {
                json_decref(r);
                r = NULL;
                CHECK(call(path, "count", 0, NULL, &r) == 0);
                if (streq(json_string_value(json_object_get(r, "output")), "1"))
                        break;
        }
        CHECK(reply_ok(r, "1"));
        CHECK(call(path, "count", 0, NULL, &r2) == 0);
        CHECK(reply_ok(r2, "1"));
        return 0;
}

static void test_connection_count(void **state) {
        struct fixture *f = *state;

        assert_int_equal(ctl_server_connections(f->server), 0);
        assert_int_equal(run_client(f, client_count), 0);
}

static int client_connection_cap(const char *path) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        int fd[MAX_CONNECTIONS], step = 0, r = -1;
        json_auto_t *last = NULL;
        char want[16];

        for (int i = 0; i < MAX_CONNECTIONS; i++) {
                json_auto_t *c = NULL;

                CHECK((fd[i] = raw_connect(path)) >= 0);
                CHECK((c = raw_roundtrip(fd[i], &b, "{\"command\":\"echo\"}")));
                CHECK(reply_ok(c, ""));
        }
        snprintf(want, sizeof(want), "%d", MAX_CONNECTIONS);
        CHECK(count_becomes(fd[MAX_CONNECTIONS - 1], &b, want));

        /* One more is closed at accept, without a reply. */
        r = call(path, "echo", 0, NULL, &last);
        CHECK(r == -ECONNRESET || r == -EPIPE);

        /* Room again once one closes. */
        close(fd[0]);
        for (int i = 0; i < 100 && r < 0; i++)
                r = call(path, "count", 0, NULL, &last);
        CHECK(r == 0);
        CHECK(reply_ok(last, want));
        for (int i = 1; i < MAX_CONNECTIONS; i++)
                close(fd[i]);
        return 0;
}

static void test_connection_cap(void **state) {
        assert_int_equal(run_client(*state, client_connection_cap), 0);
}

static int client_other_uid(const char *path) {
        const uid_t nobody = 65534;
        json_auto_t *r = NULL;
        int step = 0, ret;

        if (setgroups(0, NULL) < 0 || setresgid(nobody, nobody, nobody) < 0 ||
            setresuid(nobody, nobody, nobody) < 0)
                return CLIENT_SKIP;
        ret = call(path, "echo", 0, NULL, &r);
        CHECK(ret == -ECONNRESET || ret == -EPIPE);
        CHECK(!r);
        return 0;
}

/* A socket file with too open a mode must still not serve other users. */
static void test_peer_uid_rejected(void **state) {
        struct fixture *f = *state;
        int r;

        if (geteuid() != 0)
                skip();
        assert_int_equal(chmod(f->dir, 0711), 0);
        assert_int_equal(chmod(f->path, 0666), 0);
        r = run_client(f, client_other_uid);
        if (r == CLIENT_SKIP)
                skip();
        assert_int_equal(r, 0);
        assert_int_equal(f->requests, 0);
        assert_int_equal(ctl_server_connections(f->server), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_request_new),
                T(test_request_parse),
                T(test_request_parse_malformed),
                T(test_roundtrip),
                T(test_handler_errno),
                T(test_handler_error_reply),
                T(test_pipelined),
                T(test_deferred),
                T(test_malformed),
                T(test_oversized),
                T(test_request_at_limit),
                T(test_request_over_limit_with_newline),
                T(test_call_missing),
                T(test_call_stale),
                T(test_call_bad_reply),
                T(test_call_timeout),
                T(test_call_timeout_backlog_full),
                T(test_server_in_use),
                T(test_server_free),
                T(test_connection_count),
                T(test_connection_cap),
                T(test_peer_uid_rejected),
        };

        return cmocka_run_group_tests(tests, group_setup, NULL);
}
