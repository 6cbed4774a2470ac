/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for util.h: parsers with their error paths, file helpers in a
 * temporary directory, and the cleanup/ownership macros. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "util.h"

static char *tmpdir_new(void) {
        char *d = strdup("/tmp/test-util-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static void tmpdir_free(char *d) {
        assert_int_equal(rm_rf(d), 0);
        assert_int_equal(access(d, F_OK), -1);
        free(d);
}

static char *path_in(const char *dir, const char *name) {
        char *p = strjoin(dir, "/", name, NULL);

        assert_non_null(p);
        return p;
}

static void touch(const char *path, const char *content) {
        assert_int_equal(write_file(path, content), 0);
}

static void test_parse_u64(void **state) {
        uint64_t v = 7;

        assert_int_equal(parse_u64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_u64("12345", &v), 0);
        assert_int_equal(v, 12345);
        assert_int_equal(parse_u64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);

        v = 42;
        assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_u64("99999999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_u64("", &v), -EINVAL);
        assert_int_equal(parse_u64("abc", &v), -EINVAL);
        assert_int_equal(parse_u64("12a", &v), -EINVAL);
        assert_int_equal(parse_u64(" 12", &v), -EINVAL);
        assert_int_equal(parse_u64("12 ", &v), -EINVAL);
        assert_int_equal(parse_u64("-1", &v), -EINVAL);
        assert_int_equal(parse_u64("+1", &v), -EINVAL);
        assert_int_equal(parse_u64("0x10", &v), -EINVAL);
        assert_int_equal(parse_u64(NULL, &v), -EINVAL);
        assert_int_equal(v, 42);        /* untouched on failure */
}

static void test_parse_int(void **state) {
        int v = 7;

        assert_int_equal(parse_int("-17", &v), 0);
        assert_int_equal(v, -17);
        assert_int_equal(parse_int("+17", &v), 0);
        assert_int_equal(v, 17);
        assert_int_equal(parse_int("2147483647", &v), 0);
        assert_int_equal(v, INT32_MAX);
        assert_int_equal(parse_int("-2147483648", &v), 0);
        assert_int_equal(v, INT32_MIN);

        v = 42;
        assert_int_equal(parse_int("2147483648", &v), -ERANGE);
        assert_int_equal(parse_int("-2147483649", &v), -ERANGE);
        assert_int_equal(parse_int("-99999999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_int("-", &v), -EINVAL);
        assert_int_equal(parse_int("--1", &v), -EINVAL);
        assert_int_equal(parse_int("1.5", &v), -EINVAL);
        assert_int_equal(parse_int("", &v), -EINVAL);
        assert_int_equal(v, 42);
}

static void test_parse_bool(void **state) {
        static const char *const yes[] = { "1", "yes", "YES", "true", "True", "on", "ON" };
        static const char *const no[] = { "0", "no", "No", "false", "FALSE", "off", "Off" };
        static const char *const bad[] = { "", "2", "y", "n", "yess", "onn", " on", "true " };
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                b = false;
                assert_int_equal(parse_bool(yes[i], &b), 0);
                assert_true(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++) {
                b = true;
                assert_int_equal(parse_bool(no[i], &b), 0);
                assert_false(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                b = true;
                assert_int_equal(parse_bool(bad[i], &b), -EINVAL);
                assert_true(b);
        }
}

static void test_parse_size(void **state) {
        uint64_t v = 0;

        assert_int_equal(parse_size("4096", &v), 0);
        assert_true(v == 4096);
        assert_int_equal(parse_size("1k", &v), 0);
        assert_true(v == 1024);
        assert_int_equal(parse_size("1K", &v), 0);
        assert_true(v == 1024);
        assert_int_equal(parse_size("128M", &v), 0);
        assert_true(v == UINT64_C(128) << 20);
        assert_int_equal(parse_size("10G", &v), 0);
        assert_true(v == UINT64_C(10) << 30);
        assert_int_equal(parse_size("2T", &v), 0);
        assert_true(v == UINT64_C(2) << 40);
        assert_int_equal(parse_size("8s", &v), 0);
        assert_true(v == 4096);
        assert_int_equal(parse_size("0G", &v), 0);
        assert_true(v == 0);

        v = 42;
        assert_int_equal(parse_size("", &v), -EINVAL);
        assert_int_equal(parse_size("G", &v), -EINVAL);
        assert_int_equal(parse_size("10X", &v), -EINVAL);
        assert_int_equal(parse_size("10GB", &v), -EINVAL);
        assert_int_equal(parse_size("10 G", &v), -EINVAL);
        assert_int_equal(parse_size("-1G", &v), -EINVAL);
        assert_int_equal(parse_size("1.5G", &v), -EINVAL);
        /* 2^24 T = 2^64 bytes: one too many. */
        assert_int_equal(parse_size("16777216T", &v), -ERANGE);
        assert_int_equal(parse_size("16777215T", &v), 0);
        assert_true(v == (UINT64_C(16777215) << 40));
        v = 42;
        assert_int_equal(parse_size("36028797018963968s", &v), -ERANGE);
        assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
        assert_true(v == 42);
}

static void test_strings(void **state) {
        _cleanup_free_ char *s = NULL, *e = NULL;
        int arr[7];

        assert_true(streq("abc", "abc"));
        assert_false(streq("abc", "abd"));
        assert_true(strneq("abcx", "abcy", 3));
        assert_false(strneq("abcx", "abcy", 4));
        assert_string_equal(startswith("address ipv4", "address "), "ipv4");
        assert_string_equal(startswith("abc", ""), "abc");
        assert_null(startswith("addr", "address"));
        assert_int_equal(ELEMENTSOF(arr), 7);

        s = strjoin("a", "", "bc", "/", "def", NULL);
        assert_string_equal(s, "abc/def");
        e = strjoin("", NULL);
        assert_string_equal(e, "");
}

static void test_take_and_cleanup(void **state) {
        char *p = strdup("x"), *q;
        int fd, keep, fds[2];

        q = TAKE_PTR(p);
        assert_null(p);
        assert_string_equal(q, "x");
        free(q);

        assert_int_equal(pipe(fds), 0);
        fd = fds[0];
        keep = TAKE_FD(fd);
        assert_int_equal(fd, -1);
        assert_int_equal(keep, fds[0]);

        {
                _cleanup_close_ int a = fds[0], b = fds[1];
                _cleanup_close_ int none = -1;
                (void) a; (void) b; (void) none;
        }
        /* Both ends must be closed by the cleanup. */
        assert_int_equal(fcntl(fds[0], F_GETFD), -1);
        assert_int_equal(errno, EBADF);
        assert_int_equal(fcntl(fds[1], F_GETFD), -1);

        errno = ENOSPC;
        assert_int_equal(pipe(fds), 0);
        errno = ENOSPC;
        assert_int_equal(safe_close(fds[0]), -1);
        assert_int_equal(errno, ENOSPC);
        assert_int_equal(safe_close(-1), -1);
        assert_int_equal(errno, ENOSPC);
        safe_close(fds[1]);
}

static void test_mkdir_p(void **state) {
        char *d = tmpdir_new();
        _cleanup_free_ char *deep = path_in(d, "a/b//c/d"), *file = path_in(d, "f"),
                            *under = path_in(d, "f/x");
        struct stat st;

        assert_int_equal(mkdir_p(deep, 0755), 0);
        assert_int_equal(stat(deep, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(mkdir_p(deep, 0755), 0);       /* exists: fine */
        assert_int_equal(mkdir_p(d, 0755), 0);

        touch(file, "x");
        assert_int_equal(mkdir_p(file, 0755), -ENOTDIR);
        assert_int_equal(mkdir_p(under, 0755), -ENOTDIR);
        assert_int_equal(mkdir_p("", 0755), -EINVAL);
        tmpdir_free(d);
}

static void test_rm_rf(void **state) {
        char *d = tmpdir_new(), *outside = tmpdir_new();
        _cleanup_free_ char *top = path_in(d, "top"), *deep = path_in(d, "top/a/b/c"),
                            *f1 = path_in(d, "top/file"), *f2 = path_in(d, "top/a/b/c/file"),
                            *link = path_in(d, "top/a/link"), *victim = path_in(outside, "keep"),
                            *single = path_in(d, "single");

        assert_int_equal(mkdir_p(deep, 0755), 0);
        touch(f1, "1");
        touch(f2, "2");
        touch(victim, "must survive");
        /* A symlink to a directory must be removed, not followed. */
        assert_int_equal(symlink(outside, link), 0);

        assert_int_equal(rm_rf(top), 0);
        assert_int_equal(access(top, F_OK), -1);
        assert_int_equal(access(victim, F_OK), 0);

        assert_int_equal(rm_rf(top), 0);                /* missing: success */
        touch(single, "x");
        assert_int_equal(rm_rf(single), 0);
        assert_int_equal(access(single, F_OK), -1);
        assert_int_equal(rm_rf(""), -EINVAL);

        tmpdir_free(outside);
        tmpdir_free(d);
}

static void test_rm_rf_mount(void **state) {
        char *d, *src, *mnt, *other, *inside, *x;
        int r, mnt_ok, inside_ok, other_ok;

        if (geteuid() != 0)
                skip();
        /* Keep the bind mount private to this process so that a crash
         * cannot leave it behind in the caller's namespace. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                print_message("no private mount namespace (%m), skipping\n");
                skip();
        }

        d = tmpdir_new();
        src = tmpdir_new();
        mnt = path_in(d, "x/mnt");
        other = path_in(d, "x/other");
        inside = path_in(src, "data");
        x = path_in(d, "x");
        assert_int_equal(mkdir_p(mnt, 0755), 0);
        touch(other, "gone");
        touch(inside, "must survive");

        /* A bind mount of the same file system has the same st_dev, so
         * only the mount id tells it apart. */
        assert_int_equal(mount(src, mnt, NULL, MS_BIND, NULL), 0);
        r = rm_rf(x);
        inside_ok = access(inside, F_OK);
        other_ok = access(other, F_OK);
        mnt_ok = access(mnt, F_OK);
        assert_int_equal(umount(mnt), 0);

        assert_int_equal(r, -EBUSY);
        assert_int_equal(inside_ok, 0);         /* nothing removed below the mount */
        assert_int_equal(other_ok, -1);         /* siblings removed anyway */
        assert_int_equal(mnt_ok, 0);            /* mount point left in place */

        free(x);
        free(inside);
        free(other);
        free(mnt);
        tmpdir_free(src);
        tmpdir_free(d);
}

static void test_read_file(void **state) {
        char *d = tmpdir_new();
        _cleanup_free_ char *p = path_in(d, "f"), *empty = path_in(d, "e"),
                            *big = path_in(d, "big"), *data = NULL, *e = NULL, *proc = NULL;
        char *untouched = (char *) "x";
        size_t len = 99;
        int fd;

        touch(p, "hello\nworld");
        assert_int_equal(read_file(p, &data, &len), 0);
        assert_int_equal(len, 11);
        assert_string_equal(data, "hello\nworld");

        touch(empty, "");
        assert_int_equal(read_file(empty, &e, NULL), 0);
        assert_string_equal(e, "");

        /* /proc files report st_size 0 but have content. */
        assert_int_equal(read_file("/proc/self/status", &proc, &len), 0);
        assert_true(len > 0);
        assert_non_null(strstr(proc, "Pid:"));

        fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 64 * 1024 * 1024 + 1), 0);
        close(fd);
        assert_int_equal(read_file(big, &untouched, NULL), -EFBIG);
        assert_int_equal(read_file(d, &untouched, NULL), -EISDIR);
        assert_string_equal(untouched, "x");
        assert_int_equal(read_file("/nonexistent/x", &untouched, NULL), -ENOENT);
        tmpdir_free(d);
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_write_file_atomic(void **state) {
        char *d = tmpdir_new();
        _cleanup_free_ char *p = path_in(d, "state"), *data = NULL, *data2 = NULL,
                            *missing = path_in(d, "nodir/state");
        static const char bin[] = { 'a', '\0', 'b' };
        struct stat st;
        size_t len;

        assert_int_equal(write_file_atomic(p, "v1", 2, 0640), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(read_file(p, &data, &len), 0);
        assert_string_equal(data, "v1");

        /* Overwrite keeps exactly one file and applies the new mode. */
        assert_int_equal(write_file_atomic(p, bin, sizeof(bin), 0600), 0);
        assert_int_equal(read_file(p, &data2, &len), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(data2, bin, 3);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(count_entries(d), 1);

        assert_int_equal(write_file_atomic(p, "", 0, 0600), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, 0);

        assert_int_equal(write_file_atomic(missing, "x", 1, 0600), -ENOENT);
        assert_int_equal(count_entries(d), 1);
        tmpdir_free(d);
}

static void test_write_file(void **state) {
        char *d = tmpdir_new();
        _cleanup_free_ char *p = path_in(d, "attr"), *a = NULL, *b = NULL;

        assert_int_equal(write_file(p, "longer content\n"), 0);
        assert_int_equal(read_file(p, &a, NULL), 0);
        assert_string_equal(a, "longer content\n");
        assert_int_equal(write_file(p, "1"), 0);        /* truncates */
        assert_int_equal(read_file(p, &b, NULL), 0);
        assert_string_equal(b, "1");
        assert_int_equal(write_file("/nonexistent/attr", "1"), -ENOENT);
        tmpdir_free(d);
}

static void test_now_usec(void **state) {
        int64_t a = now_usec(CLOCK_MONOTONIC), b, r;
        struct timespec ts = { .tv_nsec = 2 * 1000 * 1000 };

        assert_true(a > 0);
        nanosleep(&ts, NULL);
        b = now_usec(CLOCK_MONOTONIC);
        assert_true(b - a >= 2000);
        r = now_usec(CLOCK_REALTIME);
        assert_true(r / 1000000 - time(NULL) <= 1 && time(NULL) - r / 1000000 <= 1);
        assert_int_equal(now_usec((clockid_t) 12345), -EINVAL);
}

static void test_format_error(void **state) {
        char buf[16];

        assert_int_equal(format_error(buf, sizeof(buf), -EBADMSG, "bad %s at %d", "magic", 7), -EBADMSG);
        assert_string_equal(buf, "bad magic at 7");
        /* truncated, still terminated */
        assert_int_equal(format_error(buf, sizeof(buf), -EIO, "%s", "a message longer than the buffer"), -EIO);
        assert_int_equal(strlen(buf), sizeof(buf) - 1);
        /* no buffer: just the error */
        assert_int_equal(format_error(NULL, 0, -ENOENT, "ignored %d", 1), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_u64),
                cmocka_unit_test(test_parse_int),
                cmocka_unit_test(test_parse_bool),
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_take_and_cleanup),
                cmocka_unit_test(test_mkdir_p),
                cmocka_unit_test(test_rm_rf),
                cmocka_unit_test(test_rm_rf_mount),
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_write_file_atomic),
                cmocka_unit_test(test_write_file),
                cmocka_unit_test(test_now_usec),
                cmocka_unit_test(test_format_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
