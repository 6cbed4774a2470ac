/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon.h: option parsing (with stdout and stderr
 * captured), daemon_start() making the socket's directory and refusing a
 * path another daemon answers on, the ping reply, and daemon_run()
 * serving a client in a forked child until SIGTERM, then cleaning up. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "daemon.h"
#include "log.h"
#include "sock.h"
#include "util.h"

#define NAME "tandem-test"
#define GUARD_USEC (10 * 1000 * 1000ULL)

struct fixture {
        char *dir;
        int log_pipe[2];
        pid_t child;
        int child_status;       /* exit code, 128+signal, -1 until it ends */
        bool guard_fired;
};

static struct daemon_options default_options(void) {
        return (struct daemon_options) {
                .name = NAME,
                .summary = "Daemon under test.",
                .config_path = "/etc/tandem/test.conf",
                .socket_path = "/run/tandem/test.sock",
        };
}

static char *dir_path(struct fixture *f, const char *name) {
        char *p = strjoin(f->dir, "/", name, NULL);

        assert_non_null(p);
        return p;
}

static int group_setup(void **state) {
        sigset_t mask;

        /* For sd_event_add_child(). */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -1;
        unsetenv("TANDEM_LOG_TIME");
        log_set_target(LOG_TARGET_STDERR);
        return 0;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        *state = f;
        f->child = -1;
        f->child_status = -1;
        f->log_pipe[0] = f->log_pipe[1] = -1;
        f->dir = strdup("/tmp/test-daemon-XXXXXX");
        if (!f->dir || !mkdtemp(f->dir))
                return -1;
        if (pipe2(f->log_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return -1;
        log_set_stderr_fd(f->log_pipe[1]);
        log_set_max_level(LOG_INFO);
        optind = 0;
        return 0;
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
        log_set_stderr_fd(-1);
        log_set_max_level(LOG_INFO);
        safe_close(f->log_pipe[0]);
        safe_close(f->log_pipe[1]);
        if (f->dir)
                r = rm_rf(f->dir);
        free(f->dir);
        free(f);
        return r;
}

/* Everything read from fd (non-blocking) until it is empty. */
static char *drain(int fd) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        ssize_t n;
        char *s;

        for (;;) {
                assert_int_equal(buf_reserve(&b, 4096), 0);
                n = read(fd, b.data + b.len, b.cap - b.len - 1);
                if (n <= 0)
                        break;
                b.len += (size_t) n;
                b.data[b.len] = '\0';
        }
        assert_true(n == 0 || errno == EAGAIN);
        s = buf_steal(&b);
        assert_non_null(s);
        return s;
}

static char *logged(struct fixture *f) {
        return drain(f->log_pipe[0]);
}

/* ---- daemon_parse_options ------------------------------------------------ */

/* What daemon_parse_options() returned and what it wrote on stdout and
 * stderr (both captured through pipes). */
struct parsed {
        int r;
        char *out, *err;
};

static void parsed_free(struct parsed *p) {
        free(p->out);
        free(p->err);
}

static struct parsed parse(struct daemon_options *o, char **argv) {
        struct parsed p = {};
        int out[2], err[2], saved_out, saved_err, argc = 0;

        while (argv[argc])
                argc++;
        assert_int_equal(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(pipe2(err, O_CLOEXEC | O_NONBLOCK), 0);
        fflush(stdout);
        fflush(stderr);
        saved_out = dup(STDOUT_FILENO);
        saved_err = dup(STDERR_FILENO);
        assert_true(saved_out >= 0 && saved_err >= 0);
        assert_true(dup2(out[1], STDOUT_FILENO) >= 0);
        assert_true(dup2(err[1], STDERR_FILENO) >= 0);
        /* Log lines go to fd 2 here, to be seen with the rest of stderr. */
        log_set_stderr_fd(-1);

        optind = 0;     /* a fresh getopt scan */
        p.r = daemon_parse_options(o, argc, argv);

        fflush(stdout);
        fflush(stderr);
        assert_true(dup2(saved_out, STDOUT_FILENO) >= 0);
        assert_true(dup2(saved_err, STDERR_FILENO) >= 0);
        close(saved_out);
        close(saved_err);
        close(out[1]);
        close(err[1]);
        p.out = drain(out[0]);
        p.err = drain(err[0]);
        close(out[0]);
        close(err[0]);
        return p;
}

static void test_parse_normal(void **state) {
        char *argv[] = { "prog", "-c", "/x/a.conf", "--socket", "/x/a.sock",
                         "--log-level", "debug", NULL };
        char *argv2[] = { "prog", "--config=/y/b.conf", "-s/y/b.sock", "-l", "warning", NULL };
        char *none[] = { "prog", NULL };
        struct daemon_options o = default_options();
        _cleanup_(parsed_free) struct parsed p = {}, p2 = {}, p3 = {};

        p = parse(&o, argv);
        assert_int_equal(p.r, 1);
        assert_string_equal(o.config_path, "/x/a.conf");
        assert_string_equal(o.socket_path, "/x/a.sock");
        assert_int_equal(log_get_max_level(), LOG_DEBUG);
        assert_string_equal(p.out, "");
        assert_string_equal(p.err, "");

        o = default_options();
        p2 = parse(&o, argv2);
        assert_int_equal(p2.r, 1);
        assert_string_equal(o.config_path, "/y/b.conf");
        assert_string_equal(o.socket_path, "/y/b.sock");
        assert_int_equal(log_get_max_level(), LOG_WARNING);

        /* Nothing given: the caller's defaults stay. */
        o = default_options();
        p3 = parse(&o, none);
        assert_int_equal(p3.r, 1);
        assert_string_equal(o.config_path, "/etc/tandem/test.conf");
        assert_string_equal(o.socket_path, "/run/tandem/test.sock");
        assert_string_equal(p3.out, "");
}

static void test_parse_help(void **state) {
        char *argv[] = { "prog", "--help", NULL };
        char *argv2[] = { "prog", "-s", "/x.sock", "-h", NULL };
        struct daemon_options o = default_options();
        _cleanup_(parsed_free) struct parsed p = {}, p2 = {};

        p = parse(&o, argv);
        assert_int_equal(p.r, 0);
        assert_non_null(startswith(p.out, "Usage: " NAME " [OPTIONS]\nDaemon under test."));
        assert_non_null(strstr(p.out, "--config PATH"));
        assert_non_null(strstr(p.out, "(default /etc/tandem/test.conf)"));
        assert_non_null(strstr(p.out, "(default /run/tandem/test.sock)"));
        assert_non_null(strstr(p.out, "--version"));
        assert_string_equal(p.err, "");

        /* -h too, and it shows what was given before it. */
        p2 = parse(&o, argv2);
        assert_int_equal(p2.r, 0);
        assert_non_null(strstr(p2.out, "(default /x.sock)"));
}

static void test_parse_version(void **state) {
        char *argv[] = { "prog", "--version", NULL };
        struct daemon_options o = default_options();
        _cleanup_(parsed_free) struct parsed p = {};
        const char *v;

        p = parse(&o, argv);
        assert_int_equal(p.r, 0);
        v = startswith(p.out, NAME " ");
        assert_non_null(v);
        /* "NAME VERSION\n", one line, a version that is not empty. */
        assert_true(strlen(v) > 1);
        assert_null(strchr(v, ' '));
        assert_ptr_equal(strchr(v, '\n'), v + strlen(v) - 1);
        assert_string_equal(p.err, "");
}

static void test_parse_errors(void **state) {
        /* Not const: getopt_long() may permute argv. */
        struct {
                char *argv[5];
                const char *err;
        } cases[] = {
                { { "prog", "--frobnicate", NULL }, "Usage: " NAME },
                { { "prog", "-x", NULL }, "Usage: " NAME },
                { { "prog", "-c", NULL }, "Usage: " NAME },
                { { "prog", "--socket", NULL }, "Usage: " NAME },
                { { "prog", "--help=yes", NULL }, "Usage: " NAME },
                { { "prog", "--log-level", "loud", NULL }, "invalid --log-level 'loud'" },
                { { "prog", "-l", "", NULL }, "invalid --log-level ''" },
                { { "prog", "stray", NULL }, "unexpected argument 'stray'" },
                { { "prog", "-c", "/a.conf", "stray", NULL }, "unexpected argument 'stray'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct daemon_options o = default_options();
                _cleanup_(parsed_free) struct parsed p = {};

                p = parse(&o, cases[i].argv);
                if (p.r >= 0 || !strstr(p.err, cases[i].err))
                        fail_msg("%s %s: returned %d, stderr '%s'", cases[i].argv[1],
                                 cases[i].argv[2] ? cases[i].argv[2] : "", p.r, p.err);
                assert_int_equal(p.r, -EINVAL);
                assert_string_equal(p.out, "");
        }
        /* A bad level leaves the level alone. */
        assert_int_equal(log_get_max_level(), LOG_INFO);
}

/* ---- daemon_start ------------------------------------------------------------ */

static int on_request(const char *command, json_t *args, json_t *request, json_t **ret_reply,
                      void *userdata) {
        const struct daemon_options *o = userdata;

        if (streq(command, "ping"))
                *ret_reply = daemon_ping_reply(o);
        else
                *ret_reply = ctl_reply_error(EOPNOTSUPP, "%s: unknown command '%s'", o->name, command);
        return *ret_reply ? 0 : -ENOMEM;
}

static void test_start_creates_directory(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = dir_path(f, "run/a/b/test.sock"),
                            *dir = dir_path(f, "run/a/b"), *want = NULL, *log = NULL;
        struct daemon_options o = default_options();
        struct ctl_server *ctl = NULL;
        sd_event *loop = NULL;
        struct stat st;
        mode_t mask;

        mask = umask(022);
        o.socket_path = path;
        assert_int_equal(daemon_start(&o, on_request, &o, &loop, &ctl), 0);
        umask(mask);
        assert_non_null(loop);
        assert_non_null(ctl);

        assert_int_equal(stat(dir, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(ctl_server_connections(ctl), 0);

        want = strjoin("listening on ", path, "\n", NULL);
        log = logged(f);
        assert_non_null(strstr(log, want));

        /* The loop is this thread's default one, and the caller holds its
         * only reference besides the server's. */
        assert_int_equal(sd_event_default(NULL), 1);
        ctl_server_free(ctl);
        assert_int_equal(access(path, F_OK), -1);
        sd_event_unref(loop);
        assert_int_equal(sd_event_default(NULL), 0);
}

static void test_start_errors(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *file = dir_path(f, "plain"), *under_file = dir_path(f, "plain/x/t.sock"),
                            *path = dir_path(f, "live.sock"), *log = NULL, *want = NULL;
        struct daemon_options o = default_options();
        struct ctl_server *ctl = (struct ctl_server *) 0x1;
        sd_event *loop = (sd_event *) 0x1;
        _cleanup_close_ int lfd = -1;

        /* The directory cannot be made. */
        assert_int_equal(write_file(file, "x"), 0);
        o.socket_path = under_file;
        assert_int_equal(daemon_start(&o, on_request, &o, &loop, &ctl), -ENOTDIR);
        log = logged(f);
        assert_non_null(strstr(log, "cannot create"));
        free(log);

        /* Another daemon answers on the socket: refused, and the loop
         * made for it is released again. */
        assert_int_equal(sock_unix_listen(path, 4, 0600, &lfd), 0);
        o.socket_path = path;
        assert_int_equal(daemon_start(&o, on_request, &o, &loop, &ctl), -EADDRINUSE);
        want = strjoin("another " NAME " answers on ", path, NULL);
        log = logged(f);
        assert_non_null(strstr(log, want));
        assert_ptr_equal(loop, (sd_event *) 0x1);
        assert_ptr_equal(ctl, (struct ctl_server *) 0x1);
        assert_int_equal(sd_event_default(NULL), 0);

        /* Once it is gone its stale socket file is taken over. */
        lfd = safe_close(lfd);
        assert_int_equal(daemon_start(&o, on_request, &o, &loop, &ctl), 0);
        ctl_server_free(ctl);
        sd_event_unref(loop);
        assert_int_equal(sd_event_default(NULL), 0);
}

static void test_ping_reply(void **state) {
        struct daemon_options o = default_options();
        json_auto_t *reply = daemon_ping_reply(&o);

        assert_non_null(reply);
        assert_true(json_is_true(json_object_get(reply, "ok")));
        assert_string_equal(json_string_value(json_object_get(reply, "output")), "");
        assert_string_equal(json_string_value(json_object_get(reply, "daemon")), NAME);
        assert_true(json_is_integer(json_object_get(reply, "pid")));
        assert_int_equal(json_integer_value(json_object_get(reply, "pid")), getpid());
}

/* ---- daemon_run ---------------------------------------------------------------- */

static int on_raise_sigterm(sd_event_source *s, uint64_t usec, void *userdata) {
        return raise(SIGTERM) == 0 ? 0 : -errno;
}

static int on_guard(sd_event_source *s, uint64_t usec, void *userdata) {
        struct fixture *f = userdata;

        f->guard_fired = true;
        return sd_event_exit(sd_event_source_get_event(s), 77);
}

static bool sigterm_pending(void) {
        sigset_t pending;

        assert_int_equal(sigpending(&pending), 0);
        return sigismember(&pending, SIGTERM) == 1;
}

static void test_run_until_sigterm(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = dir_path(f, "run/test.sock"), *log = NULL;
        struct daemon_options o = default_options();
        struct ctl_server *ctl = NULL;
        sd_event *loop = NULL;

        o.socket_path = path;
        assert_int_equal(daemon_start(&o, on_request, &o, &loop, &ctl), 0);
        /* Floating sources: daemon_run() drops the last loop reference. */
        assert_true(sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, 1000, 1,
                                               on_raise_sigterm, NULL) >= 0);
        assert_true(sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, GUARD_USEC, 1,
                                               on_guard, f) >= 0);

        assert_int_equal(daemon_run(&o, loop, ctl), 0);
        assert_false(f->guard_fired);
        assert_false(sigterm_pending());
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(errno, ENOENT);
        assert_int_equal(sd_event_default(NULL), 0);
        log = logged(f);
        assert_non_null(strstr(log, "stopped"));
}

/* Child: ping the daemon, exit 0 if the answer is right. */
static int client_ping(const char *path) {
        json_auto_t *req = ctl_request_new("ping", 0, NULL), *reply = NULL, *other = NULL;

        if (!req || ctl_call(path, req, 5000, &reply) < 0)
                return 1;
        if (!json_is_true(json_object_get(reply, "ok")))
                return 2;
        if (!streq(json_string_value(json_object_get(reply, "daemon")) ?: "", NAME))
                return 3;
        if (json_integer_value(json_object_get(reply, "pid")) != getppid())
                return 4;
        json_decref(req);
        req = ctl_request_new("frob", 0, NULL);
        if (!req || ctl_call(path, req, 5000, &other) < 0)
                return 5;
        if (!json_is_false(json_object_get(other, "ok")) ||
            json_integer_value(json_object_get(other, "errno")) != EOPNOTSUPP)
                return 6;
        return 0;
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct fixture *f = userdata;

        f->child = -1;  /* reaped by sd-event */
        f->child_status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        /* As a service manager would stop the daemon. */
        return raise(SIGTERM) == 0 ? 0 : -errno;
}

static void test_run_serves_then_stops(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = dir_path(f, "srv/test.sock");
        struct daemon_options o = default_options();
        struct ctl_server *ctl = NULL;
        sd_event *loop = NULL;

        o.socket_path = path;
        assert_int_equal(daemon_start(&o, on_request, &o, &loop, &ctl), 0);
        fflush(NULL);
        f->child = fork();
        assert_true(f->child >= 0);
        if (f->child == 0) {
                /* Hold no copy of the daemon's sockets. */
                (void) close_range(3, ~0U, 0);
                _exit(client_ping(path));
        }
        assert_true(sd_event_add_child(loop, NULL, f->child, WEXITED, on_child_exit, f) >= 0);
        assert_true(sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, GUARD_USEC, 1,
                                               on_guard, f) >= 0);

        assert_int_equal(daemon_run(&o, loop, ctl), 0);
        assert_false(f->guard_fired);
        assert_int_equal(f->child_status, 0);
        assert_false(sigterm_pending());
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(sd_event_default(NULL), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_parse_normal),
                T(test_parse_help),
                T(test_parse_version),
                T(test_parse_errors),
                T(test_start_creates_directory),
                T(test_start_errors),
                T(test_ping_reply),
                T(test_run_until_sigterm),
                T(test_run_serves_then_stops),
        };

        return cmocka_run_group_tests(tests, group_setup, NULL);
}
