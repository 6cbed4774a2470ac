/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for log.h: output captured from a pipe through
 * log_set_stderr_fd(), checked for format, %m, return values, filtering,
 * timestamps and line atomicity; journal fields through a fake journald
 * socket when we may mount. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "buf.h"
#include "log.h"

static int out[2] = { -1, -1 };

static int setup(void **state) {
        if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0)
                return -1;
        log_set_stderr_fd(out[1]);
        log_set_target(LOG_TARGET_STDERR);
        log_set_ident("tlog");
        log_set_max_level(LOG_DEBUG);
        unsetenv("TANDEM_LOG_TIME");
        unsetenv("JOURNAL_STREAM");
        return 0;
}

static int teardown(void **state) {
        log_set_stderr_fd(-1);
        out[0] = safe_close(out[0]);
        out[1] = safe_close(out[1]);
        return 0;
}

/* Everything logged since the last call. */
static char *drain(void) {
        static char buf[65536];
        size_t len = 0;
        ssize_t n;

        while ((n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) n;
        assert_true(n < 0 && errno == EAGAIN);
        buf[len] = '\0';
        return buf;
}

static char *expect_line(const char *level, const char *msg) {
        static char line[8192];

        snprintf(line, sizeof(line), "tlog[%d]: %s: %s\n", (int) getpid(), level, msg);
        return line;
}

static void test_format(void **state) {
        log_info("hello %d %s", 42, "world");
        assert_string_equal(drain(), expect_line("info", "hello 42 world"));
}

static void test_levels_named(void **state) {
        _cleanup_buf_ struct buf expect = BUF_INIT;

        log_error("e");
        log_warning("w");
        log_notice("n");
        log_debug("d");
        assert_int_equal(buf_append_str(&expect, expect_line("err", "e")), 0);
        assert_int_equal(buf_append_str(&expect, expect_line("warning", "w")), 0);
        assert_int_equal(buf_append_str(&expect, expect_line("notice", "n")), 0);
        assert_int_equal(buf_append_str(&expect, expect_line("debug", "d")), 0);
        assert_string_equal(drain(), expect.data);
}

static void test_errno(void **state) {
        int r;

        errno = EXDEV;
        r = log_error_errno(ENOENT, "open %s: %m", "/x");
        assert_int_equal(r, -ENOENT);
        assert_int_equal(errno, EXDEV);         /* preserved */
        assert_string_equal(drain(), expect_line("err", "open /x: No such file or directory"));

        /* Negative errors work the same way. */
        r = log_warning_errno(-EACCES, "%m");
        assert_int_equal(r, -EACCES);
        assert_string_equal(drain(), expect_line("warning", "Permission denied"));

        r = log_full_errno(LOG_NOTICE, 0, "no error");
        assert_int_equal(r, 0);
        assert_string_equal(drain(), expect_line("notice", "no error"));

        assert_int_equal(log_info_errno(EIO, "x"), -EIO);
        assert_int_equal(log_debug_errno(-EPIPE, "x"), -EPIPE);
        assert_int_equal(log_notice_errno(EBUSY, "x"), -EBUSY);
        assert_int_equal(log_internal(LOG_ERR, EINVAL, "f.c", 1, "fn", "direct"), -EINVAL);
        assert_non_null(strstr(drain(), "err: direct\n"));
}

static int side_effect(int *counter) {
        return ++*counter;
}

static void test_filtering(void **state) {
        int counter = 0;

        log_set_max_level(LOG_WARNING);
        assert_int_equal(log_get_max_level(), LOG_WARNING);
        log_info("dropped %d", side_effect(&counter));
        log_debug("dropped");
        log_notice("dropped");
        /* Dropped messages still return the error, and their arguments
         * are not even evaluated. */
        assert_int_equal(log_info_errno(EIO, "dropped %d", side_effect(&counter)), -EIO);
        assert_int_equal(log_internal(LOG_DEBUG, -ENOMEM, NULL, 0, NULL, "dropped"), -ENOMEM);
        assert_int_equal(counter, 0);
        assert_string_equal(drain(), "");

        log_warning("kept");
        log_error("kept too");
        assert_non_null(strstr(drain(), "warning: kept\n"));

        log_set_max_level(LOG_ERR);
        log_warning("dropped");
        assert_string_equal(drain(), "");
        log_set_max_level(99);
        assert_int_equal(log_get_max_level(), LOG_DEBUG);
        log_set_max_level(-5);
        assert_int_equal(log_get_max_level(), LOG_EMERG);
        log_set_max_level(LOG_DEBUG);
}

static void test_level_strings(void **state) {
        assert_int_equal(log_level_from_string("err"), LOG_ERR);
        assert_int_equal(log_level_from_string("error"), LOG_ERR);
        assert_int_equal(log_level_from_string("warning"), LOG_WARNING);
        assert_int_equal(log_level_from_string("warn"), LOG_WARNING);
        assert_int_equal(log_level_from_string("notice"), LOG_NOTICE);
        assert_int_equal(log_level_from_string("INFO"), LOG_INFO);
        assert_int_equal(log_level_from_string("debug"), LOG_DEBUG);
        assert_int_equal(log_level_from_string("7"), LOG_DEBUG);
        assert_int_equal(log_level_from_string("0"), LOG_EMERG);
        assert_int_equal(log_level_from_string("8"), -EINVAL);
        assert_int_equal(log_level_from_string("77"), -EINVAL);
        assert_int_equal(log_level_from_string(""), -EINVAL);
        assert_int_equal(log_level_from_string("verbose"), -EINVAL);
        assert_int_equal(log_level_from_string(NULL), -EINVAL);

        assert_string_equal(log_level_to_string(LOG_ERR), "err");
        assert_string_equal(log_level_to_string(LOG_WARNING), "warning");
        assert_string_equal(log_level_to_string(LOG_DEBUG), "debug");
        assert_null(log_level_to_string(8));
        assert_null(log_level_to_string(-1));
        for (int l = LOG_EMERG; l <= LOG_DEBUG; l++)
                assert_int_equal(log_level_from_string(log_level_to_string(l)), l);
}

static void test_timestamp(void **state) {
        regex_t re;
        regmatch_t m[2];
        struct tm tm = {};
        char *s;
        time_t t;

        setenv("TANDEM_LOG_TIME", "1", 1);
        log_info("stamped");
        s = drain();
        unsetenv("TANDEM_LOG_TIME");

        assert_int_equal(regcomp(&re, "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"
                                      "\\.[0-9]{3}Z tlog\\[[0-9]+\\]: info: stamped\n$",
                                 REG_EXTENDED), 0);
        assert_int_equal(regexec(&re, s, 2, m, 0), 0);
        regfree(&re);

        /* UTC and close to now. */
        assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%S", &tm));
        t = timegm(&tm);
        assert_true(t <= time(NULL) && time(NULL) - t <= 2);

        setenv("TANDEM_LOG_TIME", "0", 1);
        log_info("plain");
        assert_string_equal(drain(), expect_line("info", "plain"));
        unsetenv("TANDEM_LOG_TIME");
}

static void test_long_line(void **state) {
        char *big = malloc(10000), *s;
        size_t len;

        assert_non_null(big);
        memset(big, 'x', 9999);
        big[9999] = '\0';
        log_info("%s", big);
        free(big);
        s = drain();
        len = strlen(s);
        assert_true(len <= 4096 && len > 4000);
        assert_int_equal(s[len - 1], '\n');
        assert_ptr_equal(strchr(s, '\n'), s + len - 1);
}

static void test_ident(void **state) {
        char expect[256];

        log_set_ident("other-name");
        log_info("x");
        snprintf(expect, sizeof(expect), "other-name[%d]: info: x\n", (int) getpid());
        assert_string_equal(drain(), expect);

        log_set_ident(NULL);    /* back to program_invocation_short_name */
        log_info("x");
        snprintf(expect, sizeof(expect), "%s[%d]: info: x\n",
                 program_invocation_short_name, (int) getpid());
        assert_string_equal(drain(), expect);
        log_set_ident("tlog");
}

static void test_target_auto(void **state) {
        struct stat st;
        char v[64];

        log_set_target(LOG_TARGET_AUTO);
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);

        assert_int_equal(fstat(out[1], &st), 0);
        snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long) st.st_dev,
                 (unsigned long long) st.st_ino);
        setenv("JOURNAL_STREAM", v, 1);
        log_set_target(LOG_TARGET_AUTO);
        assert_int_equal(log_get_target(), LOG_TARGET_JOURNAL);

        snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long) st.st_dev,
                 (unsigned long long) st.st_ino + 1);
        setenv("JOURNAL_STREAM", v, 1);
        log_set_target(LOG_TARGET_AUTO);
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);

        setenv("JOURNAL_STREAM", "garbage", 1);
        log_set_target(LOG_TARGET_AUTO);
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);

        unsetenv("JOURNAL_STREAM");
        log_set_target(LOG_TARGET_JOURNAL);
        assert_int_equal(log_get_target(), LOG_TARGET_JOURNAL);
        log_set_target(LOG_TARGET_STDERR);
}

/* Several processes logging to one pipe: each line must arrive whole. */
static void test_no_interleaving(void **state) {
        enum { CHILDREN = 4, LINES = 300 };
        int p[2], counts[CHILDREN] = {};
        char pad[201], *data, *line, *save = NULL;
        size_t cap = 1 << 20, len = 0;
        ssize_t n;

        memset(pad, 'p', 200);
        pad[200] = '\0';
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        for (int c = 0; c < CHILDREN; c++) {
                pid_t pid = fork();

                assert_true(pid >= 0);
                if (pid == 0) {
                        log_set_stderr_fd(p[1]);
                        for (int i = 0; i < LINES; i++)
                                log_info("child %d line %d %s", c, i, pad);
                        _exit(0);
                }
        }
        close(p[1]);

        data = malloc(cap);
        assert_non_null(data);
        while ((n = read(p[0], data + len, cap - 1 - len)) > 0)
                len += (size_t) n;
        data[len] = '\0';
        close(p[0]);
        while (wait(NULL) > 0)
                ;

        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int c, i, pid, off = 0;

                assert_int_equal(sscanf(line, "tlog[%d]: info: child %d line %d %n", &pid, &c, &i, &off), 3);
                assert_true(c >= 0 && c < CHILDREN);
                assert_int_equal(i, counts[c]);         /* in order, none lost */
                assert_string_equal(line + off, pad);
                counts[c]++;
        }
        for (int c = 0; c < CHILDREN; c++)
                assert_int_equal(counts[c], LINES);
        free(data);
}

/* Child side of test_journal: a fake journald in a private mount
 * namespace. Writes the datagram it received to fd. Exits 77 to skip. */
static _noreturn_ void journal_child(int fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX,
                                  .sun_path = "/run/systemd/journal/socket" };
        char dgram[4096];
        ssize_t n;
        int s;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
                _exit(77);
        if (mkdir_p("/run/systemd/journal", 0755) < 0)
                _exit(1);
        s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0 || bind(s, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                _exit(2);

        log_set_target(LOG_TARGET_JOURNAL);
        if (log_error_errno(ENOENT, "journal test: %m") != -ENOENT)
                _exit(3);
        n = recv(s, dgram, sizeof(dgram), MSG_DONTWAIT);
        if (n <= 0 || write(fd, dgram, (size_t) n) != n)
                _exit(4);
        _exit(0);
}

static void test_journal(void **state) {
        char data[4096] = {};
        int p[2], status;
        pid_t pid;

        if (geteuid() != 0)
                skip();
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                journal_child(p[1]);
        close(p[1]);
        assert_true(read(p[0], data, sizeof(data) - 1) >= 0);
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip();
        assert_int_equal(WEXITSTATUS(status), 0);

        assert_non_null(strstr(data, "MESSAGE=journal test: No such file or directory\n"));
        assert_non_null(strstr(data, "PRIORITY=3\n"));
        assert_non_null(strstr(data, "SYSLOG_IDENTIFIER=tlog\n"));
        assert_non_null(strstr(data, "ERRNO=2\n"));
        assert_non_null(strstr(data, "CODE_FUNC=journal_child\n"));
        /* Nothing went to the stderr target. */
        assert_string_equal(drain(), "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_levels_named),
                cmocka_unit_test(test_errno),
                cmocka_unit_test(test_filtering),
                cmocka_unit_test(test_level_strings),
                cmocka_unit_test(test_timestamp),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_ident),
                cmocka_unit_test(test_target_auto),
                cmocka_unit_test(test_no_interleaving),
                cmocka_unit_test(test_journal),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
