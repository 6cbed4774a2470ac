/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for sock.h: AF_UNIX and TCP round trips on a temporary socket
 * and an ephemeral 127.0.0.1 port, drbd.conf address forms, and the
 * write_all/read_line edge cases (partial writes, timeouts, EOF, limits). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sock.h"

static char *tmpdir;

static int setup(void **state) {
        tmpdir = strdup("/tmp/test-sock-XXXXXX");
        return tmpdir && mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        int r = rm_rf(tmpdir);

        free(tmpdir);
        return r;
}

static char *sock_path(const char *name) {
        char *p = strjoin(tmpdir, "/", name, NULL);

        assert_non_null(p);
        return p;
}

static bool has_flag(int fd, int flag) {
        int f = fcntl(fd, F_GETFL);

        assert_true(f >= 0);
        return f & flag;
}

static bool has_cloexec(int fd) {
        int f = fcntl(fd, F_GETFD);

        assert_true(f >= 0);
        return f & FD_CLOEXEC;
}

static int accept_one(int lfd) {
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        int fd;

        assert_int_equal(poll(&p, 1, 5000), 1);
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void expect_line(int fd, struct buf *b, const char *want) {
        _cleanup_free_ char *line = NULL;

        assert_int_equal(sock_read_line(fd, b, 1024, 5000, &line), 0);
        assert_string_equal(line, want);
}

/* Sends a line each way between two connected fds. */
static void exchange(int a, int b) {
        _cleanup_buf_ struct buf ba = BUF_INIT, bb = BUF_INIT;

        assert_int_equal(sock_write_all(a, "hello\nworld\n", 12), 0);
        expect_line(b, &bb, "hello");
        expect_line(b, &bb, "world");
        assert_int_equal(bb.len, 0);
        assert_int_equal(sock_write_all(b, "reply\n", 6), 0);
        expect_line(a, &ba, "reply");
}

static void test_unix_roundtrip(void **state) {
        _cleanup_free_ char *path = sock_path("ctl.sock");
        _cleanup_close_ int lfd = -1, cfd = -1, sfd = -1;
        struct stat st;
        uid_t uid = (uid_t) -1;

        assert_int_equal(sock_unix_listen(path, 8, 0660, &lfd), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0660);
        assert_true(has_flag(lfd, O_NONBLOCK));
        assert_true(has_cloexec(lfd));

        assert_int_equal(sock_unix_connect(path, &cfd), 0);
        assert_false(has_flag(cfd, O_NONBLOCK));
        assert_true(has_cloexec(cfd));
        sfd = accept_one(lfd);

        assert_int_equal(sock_peer_uid(sfd, &uid), 0);
        assert_int_equal(uid, getuid());
        uid = (uid_t) -1;
        assert_int_equal(sock_peer_uid(cfd, &uid), 0);
        assert_int_equal(uid, getuid());
        exchange(cfd, sfd);
}

static void test_unix_stale_and_live(void **state) {
        _cleanup_free_ char *path = sock_path("stale.sock"), *file = sock_path("plain"),
                            *data = NULL;
        _cleanup_close_ int fd = -1, fd2 = -1, cfd = -1;
        int untouched = -7;

        /* A listener that went away leaves a stale file behind. */
        assert_int_equal(sock_unix_listen(path, 8, 0600, &fd), 0);
        fd = safe_close(fd);
        assert_int_equal(access(path, F_OK), 0);
        assert_int_equal(sock_unix_connect(path, &cfd), -ECONNREFUSED);
        assert_int_equal(sock_unix_listen(path, 8, 0600, &fd), 0);

        /* A live one must not be replaced. */
        assert_int_equal(sock_unix_listen(path, 8, 0600, &untouched), -EADDRINUSE);
        assert_int_equal(untouched, -7);
        assert_int_equal(sock_unix_connect(path, &cfd), 0);
        fd2 = accept_one(fd);

        /* Nor is a path that holds something other than a socket. */
        assert_int_equal(write_file(file, "precious"), 0);
        assert_int_equal(sock_unix_listen(file, 8, 0600, &untouched), -EADDRINUSE);
        assert_int_equal(read_file(file, &data, NULL), 0);
        assert_string_equal(data, "precious");
}

static void test_unix_errors(void **state) {
        char longpath[200];
        int fd = -7;

        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[0] = '/';
        longpath[sizeof(longpath) - 1] = '\0';
        assert_int_equal(sock_unix_listen(longpath, 8, 0600, &fd), -ENAMETOOLONG);
        assert_int_equal(sock_unix_connect(longpath, &fd), -ENAMETOOLONG);
        assert_int_equal(sock_unix_listen("", 8, 0600, &fd), -EINVAL);
        assert_int_equal(sock_unix_connect("/nonexistent/x.sock", &fd), -ENOENT);
        assert_int_equal(sock_unix_listen("/nonexistent/x.sock", 8, 0600, &fd), -ENOENT);
        assert_int_equal(fd, -7);
}

static void test_tcp_roundtrip(void **state) {
        _cleanup_close_ int lfd = -1, cfd = -1, sfd = -1;
        struct sockaddr_storage ss, bound;
        socklen_t len, blen = sizeof(bound);
        struct pollfd p;
        char text[SOCK_ADDR_STR_MAX], want[SOCK_ADDR_STR_MAX];
        int err = -1;
        socklen_t elen = sizeof(err);

        assert_int_equal(sock_parse_addr("127.0.0.1:0", &ss, &len), 0);
        assert_int_equal(sock_tcp_listen((struct sockaddr *) &ss, len, &lfd), 0);
        assert_true(has_flag(lfd, O_NONBLOCK));
        assert_true(has_cloexec(lfd));
        assert_int_equal(getsockname(lfd, (struct sockaddr *) &bound, &blen), 0);
        assert_int_not_equal(ntohs(((struct sockaddr_in *) &bound)->sin_port), 0);

        assert_int_equal(sock_format_addr((struct sockaddr *) &bound, blen, text, sizeof(text)), 0);
        snprintf(want, sizeof(want), "127.0.0.1:%u", ntohs(((struct sockaddr_in *) &bound)->sin_port));
        assert_string_equal(text, want);

        assert_int_equal(sock_tcp_connect((struct sockaddr *) &bound, blen, &cfd), 0);
        assert_true(has_flag(cfd, O_NONBLOCK));
        assert_true(has_cloexec(cfd));
        p = (struct pollfd) { .fd = cfd, .events = POLLOUT };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
        assert_int_equal(err, 0);
        sfd = accept_one(lfd);
        exchange(cfd, sfd);
}

static void test_tcp_refused(void **state) {
        _cleanup_close_ int lfd = -1, cfd = -1;
        struct sockaddr_storage ss, bound;
        socklen_t len, blen = sizeof(bound), elen;
        struct pollfd p;
        int err = 0;

        /* Grab a free port, then close it so nobody listens there. */
        assert_int_equal(sock_parse_addr("127.0.0.1:0", &ss, &len), 0);
        assert_int_equal(sock_tcp_listen((struct sockaddr *) &ss, len, &lfd), 0);
        assert_int_equal(getsockname(lfd, (struct sockaddr *) &bound, &blen), 0);
        lfd = safe_close(lfd);

        /* The failure shows up asynchronously, in SO_ERROR. */
        assert_int_equal(sock_tcp_connect((struct sockaddr *) &bound, blen, &cfd), 0);
        p = (struct pollfd) { .fd = cfd, .events = POLLOUT };
        assert_int_equal(poll(&p, 1, 5000), 1);
        elen = sizeof(err);
        assert_int_equal(getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
        assert_int_equal(err, ECONNREFUSED);

        ss.ss_family = AF_UNIX;
        assert_int_equal(sock_tcp_listen((struct sockaddr *) &ss, len, &lfd), -EAFNOSUPPORT);
}

static void check_addr(const char *in, int family, socklen_t want_len, const char *formatted) {
        struct sockaddr_storage ss;
        socklen_t len = 0;
        char text[SOCK_ADDR_STR_MAX];

        assert_int_equal(sock_parse_addr(in, &ss, &len), 0);
        assert_int_equal(ss.ss_family, family);
        assert_int_equal(len, want_len);
        assert_int_equal(sock_format_addr((struct sockaddr *) &ss, len, text, sizeof(text)), 0);
        assert_string_equal(text, formatted);
}

static void test_parse_addr_good(void **state) {
        socklen_t l4 = sizeof(struct sockaddr_in), l6 = sizeof(struct sockaddr_in6);

        check_addr("10.0.0.1:7789", AF_INET, l4, "10.0.0.1:7789");
        check_addr("ipv4 10.0.0.1:7789", AF_INET, l4, "10.0.0.1:7789");
        check_addr("ipv4 \t 192.168.1.200:0", AF_INET, l4, "192.168.1.200:0");
        check_addr("0.0.0.0:65535", AF_INET, l4, "0.0.0.0:65535");
        check_addr("[::1]:7789", AF_INET6, l6, "[::1]:7789");
        check_addr("ipv6 [fd0c:39f4:f135:305:230:48ff:fe63:5c9a]:7789", AF_INET6, l6,
                   "[fd0c:39f4:f135:305:230:48ff:fe63:5c9a]:7789");
        check_addr("[FD0C::0001]:1", AF_INET6, l6, "[fd0c::1]:1");
        check_addr("[fe80::1%lo]:7789", AF_INET6, l6, "[fe80::1%lo]:7789");
        check_addr("[fe80::1%1]:7789", AF_INET6, l6, "[fe80::1%lo]:7789");
}

static void test_parse_addr_bad(void **state) {
        static const char *const bad[] = {
                "", "10.0.0.1", "10.0.0.1:", "10.0.0.1:65536", "10.0.0.1:-1",
                "10.0.0.1:80x", "10.0.0.1:+80", "10.0.0.1: 80", " 10.0.0.1:80",
                "10.0.0.1:80 ", "256.0.0.1:80", "1.2.3:80", "host.example:80",
                ":80", "::1:80", "[::1]80", "[::1]:", "[::1", "[]:80", "[1.2.3.4]:80",
                "[::1]:99999", "ipv6 10.0.0.1:80", "ipv4 [::1]:80", "ipv410.0.0.1:80",
                "ipv4", "ipv4 ", "ipv5 10.0.0.1:80", "[fe80::1%nosuchif0]:80",
                "[fe80::1%]:80", "[fe80::1%99999999999]:80", "10.0.0.1:80:80",
        };
        struct sockaddr_storage ss, before;
        socklen_t len = 77;

        memset(&ss, 0xaa, sizeof(ss));
        before = ss;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (sock_parse_addr(bad[i], &ss, &len) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(sock_parse_addr(NULL, &ss, &len), -EINVAL);
        assert_memory_equal(&ss, &before, sizeof(ss));
        assert_int_equal(len, 77);
}

static void test_format_addr_errors(void **state) {
        struct sockaddr_storage ss;
        socklen_t len;
        char small[8], text[SOCK_ADDR_STR_MAX];

        assert_int_equal(sock_parse_addr("192.168.100.100:7789", &ss, &len), 0);
        assert_int_equal(sock_format_addr((struct sockaddr *) &ss, len, small, sizeof(small)), -ENOBUFS);
        assert_int_equal(sock_format_addr((struct sockaddr *) &ss, 4, text, sizeof(text)), -EINVAL);
        ss.ss_family = AF_UNIX;
        assert_int_equal(sock_format_addr((struct sockaddr *) &ss, len, text, sizeof(text)), -EAFNOSUPPORT);
}

static void test_set_nonblock(void **state) {
        int p[2];

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(sock_set_nonblock(p[0], true), 0);
        assert_true(has_flag(p[0], O_NONBLOCK));
        assert_int_equal(sock_set_nonblock(p[0], true), 0);
        assert_true(has_flag(p[0], O_NONBLOCK));
        assert_int_equal(sock_set_nonblock(p[0], false), 0);
        assert_false(has_flag(p[0], O_NONBLOCK));
        close(p[0]);
        close(p[1]);
        assert_int_equal(sock_set_nonblock(p[0], true), -EBADF);
}

/* Pushes 4 MiB through a non-blocking fd to a slow child reader, which
 * forces partial writes and EAGAIN; the child checks every byte. */
static void write_all_through(int wfd, int rfd) {
        enum { SIZE = 4 << 20 };
        unsigned char *data = malloc(SIZE);
        int status;
        pid_t pid;

        assert_non_null(data);
        for (size_t i = 0; i < SIZE; i++)
                data[i] = (unsigned char) (i * 7 + i / 251);
        assert_int_equal(sock_set_nonblock(wfd, true), 0);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                unsigned char chunk[8192];
                size_t off = 0;
                ssize_t n;

                close(wfd);
                usleep(50 * 1000);      /* let the writer hit a full buffer */
                while ((n = read(rfd, chunk, sizeof(chunk))) > 0) {
                        if (off + (size_t) n > SIZE || memcmp(chunk, data + off, (size_t) n) != 0)
                                _exit(1);
                        off += (size_t) n;
                }
                _exit(n == 0 && off == SIZE ? 0 : 2);
        }
        close(rfd);
        assert_int_equal(sock_write_all(wfd, data, SIZE), 0);
        close(wfd);
        free(data);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_write_all(void **state) {
        int sp[2], p[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        write_all_through(sp[0], sp[1]);
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);       /* not a socket: write() */
        write_all_through(p[1], p[0]);

        /* A closed peer is -EPIPE, not a SIGPIPE that kills us. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        close(sp[1]);
        assert_int_equal(sock_write_all(sp[0], "x", 1), -EPIPE);
        assert_int_equal(sock_write_all(sp[0], "", 0), 0);
        close(sp[0]);
        assert_int_equal(sock_write_all(-1, "x", 1), -EBADF);
}

static void test_read_line(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_free_ char *l1 = NULL, *l2 = NULL, *l3 = NULL, *l4 = NULL, *l5 = NULL;
        char *none = NULL;
        int sp[2];
        int64_t t0, dt;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp), 0);
        assert_int_equal(sock_write_all(sp[1], "a\n\nbb\ncc", 8), 0);
        assert_int_equal(sock_read_line(sp[0], &b, 100, 1000, &l1), 0);
        assert_string_equal(l1, "a");
        assert_string_equal(b.data, "\nbb\ncc");        /* the rest waits in b */
        assert_int_equal(sock_read_line(sp[0], &b, 100, 0, &l2), 0);
        assert_string_equal(l2, "");
        assert_int_equal(sock_read_line(sp[0], &b, 100, 0, &l3), 0);
        assert_string_equal(l3, "bb");

        /* No newline yet: times out after about 50 ms, keeping "cc". */
        t0 = now_usec(CLOCK_MONOTONIC);
        assert_int_equal(sock_read_line(sp[0], &b, 100, 50, &none), -ETIMEDOUT);
        dt = now_usec(CLOCK_MONOTONIC) - t0;
        assert_true(dt >= 45000 && dt < 2000000);
        assert_null(none);
        assert_string_equal(b.data, "cc");
        assert_int_equal(sock_write_all(sp[1], "c\n", 2), 0);
        assert_int_equal(sock_read_line(sp[0], &b, 100, 1000, &l4), 0);
        assert_string_equal(l4, "ccc");
        assert_int_equal(b.len, 0);

        /* max counts the bytes before the newline. */
        assert_int_equal(sock_write_all(sp[1], "12345\n123456\n", 13), 0);
        assert_int_equal(sock_read_line(sp[0], &b, 5, 1000, &l5), 0);
        assert_string_equal(l5, "12345");
        assert_int_equal(sock_read_line(sp[0], &b, 5, 1000, &none), -EMSGSIZE);
        buf_clear(&b);

        /* Over max without any newline: fails without waiting for one. */
        assert_int_equal(sock_write_all(sp[1], "0123456789", 10), 0);
        assert_int_equal(sock_read_line(sp[0], &b, 5, -1, &none), -EMSGSIZE);
        buf_clear(&b);

        /* End of file in the middle of a line. */
        assert_int_equal(sock_write_all(sp[1], "partial", 7), 0);
        close(sp[1]);
        assert_int_equal(sock_read_line(sp[0], &b, 100, 1000, &none), -ECONNRESET);
        assert_null(none);
        close(sp[0]);
}

/* A blocking fd whose line arrives later, in pieces. */
static void test_read_line_blocking(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_free_ char *line = NULL;
        int sp[2], status;
        pid_t pid;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(sp[0]);
                usleep(20 * 1000);
                if (sock_write_all(sp[1], "slow ", 5) < 0)
                        _exit(1);
                usleep(20 * 1000);
                _exit(sock_write_all(sp[1], "line\n", 5) < 0 ? 1 : 0);
        }
        close(sp[1]);
        assert_int_equal(sock_read_line(sp[0], &b, 100, -1, &line), 0);
        assert_string_equal(line, "slow line");
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(sp[0]);
}

static void test_peer_uid_errors(void **state) {
        uid_t uid = 12345;
        int p[2];

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(sock_peer_uid(p[0], &uid), -ENOTSOCK);
        assert_int_equal(uid, 12345);
        close(p[0]);
        close(p[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unix_roundtrip),
                cmocka_unit_test(test_unix_stale_and_live),
                cmocka_unit_test(test_unix_errors),
                cmocka_unit_test(test_tcp_roundtrip),
                cmocka_unit_test(test_tcp_refused),
                cmocka_unit_test(test_parse_addr_good),
                cmocka_unit_test(test_parse_addr_bad),
                cmocka_unit_test(test_format_addr_errors),
                cmocka_unit_test(test_set_nonblock),
                cmocka_unit_test(test_write_all),
                cmocka_unit_test(test_read_line),
                cmocka_unit_test(test_read_line_blocking),
                cmocka_unit_test(test_peer_uid_errors),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
