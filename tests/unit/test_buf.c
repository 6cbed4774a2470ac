/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for buf.h: growth, NUL termination, printf, consume, steal and
 * the overflow checks. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "buf.h"

/* Under ASan, let impossible allocations fail with NULL as they do with
 * glibc, instead of aborting, so the -ENOMEM path can be tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "allocator_may_return_null=1";
}

/* The invariant every operation must keep. */
static void check(const struct buf *b) {
        if (!b->data) {
                assert_int_equal(b->len, 0);
                return;
        }
        assert_true(b->len < b->cap);
        assert_int_equal(b->data[b->len], '\0');
}

static void test_empty(void **state) {
        struct buf b = BUF_INIT;
        char *s;

        assert_null(b.data);
        buf_clear(&b);
        buf_consume(&b, 10);
        buf_truncate(&b, 0);
        check(&b);
        s = buf_steal(&b);
        assert_non_null(s);
        assert_string_equal(s, "");
        free(s);
        buf_free(&b);
        buf_free(NULL);
}

static void test_growth(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        size_t last_cap = 0, reallocs = 0;

        for (int i = 0; i < 100000; i++) {
                assert_int_equal(buf_putc(&b, (char) ('a' + i % 26)), 0);
                check(&b);
                if (b.cap != last_cap) {
                        reallocs++;
                        last_cap = b.cap;
                }
        }
        assert_int_equal(b.len, 100000);
        for (int i = 0; i < 100000; i++)
                assert_int_equal(b.data[i], 'a' + i % 26);
        /* Geometric growth: a handful of reallocations, not thousands. */
        assert_true(reallocs < 20);
}

static void test_append(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        static const char bin[] = { 'x', '\0', 'y' };

        assert_int_equal(buf_append_str(&b, "hello"), 0);
        assert_int_equal(buf_append(&b, ", ", 2), 0);
        assert_int_equal(buf_append_str(&b, "world"), 0);
        assert_int_equal(buf_append(&b, NULL, 0), 0);
        assert_string_equal(b.data, "hello, world");
        assert_int_equal(b.len, 12);
        assert_int_equal(buf_append(&b, bin, 3), 0);
        assert_int_equal(b.len, 15);
        assert_memory_equal(b.data + 12, bin, 3);
        check(&b);

        assert_int_equal(buf_reserve(&b, 1000), 0);
        assert_true(b.cap >= b.len + 1000 + 1);
        assert_int_equal(b.len, 15);
        check(&b);
}

static void test_printf(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_free_ char *big = malloc(5001);

        assert_int_equal(buf_printf(&b, "%s=%d", "size", 10), 0);
        assert_int_equal(buf_printf(&b, "%s", ""), 0);
        assert_int_equal(buf_printf(&b, ";%05.1f", 2.25), 0);
        assert_string_equal(b.data, "size=10;002.2");
        check(&b);

        /* Longer than the free space: must grow and redo, not truncate. */
        assert_non_null(big);
        memset(big, 'z', 5000);
        big[5000] = '\0';
        assert_int_equal(buf_printf(&b, "[%s]", big), 0);
        assert_int_equal(b.len, 13 + 5002);
        assert_int_equal(b.data[13], '[');
        assert_int_equal(b.data[13 + 5001], ']');
        assert_int_equal(strspn(b.data + 14, "z"), 5000);
        check(&b);
}

static void test_consume(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        size_t cap;

        assert_int_equal(buf_append_str(&b, "line1\nline2\nrest"), 0);
        buf_consume(&b, 6);
        assert_string_equal(b.data, "line2\nrest");
        assert_int_equal(b.len, 10);
        check(&b);
        buf_consume(&b, 0);
        assert_string_equal(b.data, "line2\nrest");
        buf_consume(&b, 10);
        assert_int_equal(b.len, 0);
        assert_string_equal(b.data, "");

        assert_int_equal(buf_append_str(&b, "abc"), 0);
        cap = b.cap;
        buf_consume(&b, 1000);          /* more than len: clears */
        assert_int_equal(b.len, 0);
        assert_int_equal(b.cap, cap);   /* memory kept */
        check(&b);
}

static void test_clear_truncate(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        size_t cap;

        assert_int_equal(buf_append_str(&b, "abcdef"), 0);
        buf_truncate(&b, 10);
        assert_string_equal(b.data, "abcdef");
        buf_truncate(&b, 3);
        assert_string_equal(b.data, "abc");
        assert_int_equal(b.len, 3);
        check(&b);
        cap = b.cap;
        buf_clear(&b);
        assert_int_equal(b.len, 0);
        assert_int_equal(b.cap, cap);
        assert_non_null(b.data);
        assert_string_equal(b.data, "");
}

static void test_steal(void **state) {
        struct buf b = BUF_INIT;
        char *s;

        assert_int_equal(buf_printf(&b, "%d-%d", 1, 2), 0);
        s = buf_steal(&b);
        assert_string_equal(s, "1-2");
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        assert_int_equal(b.cap, 0);
        free(s);

        /* Allocated but empty: still a valid string. */
        assert_int_equal(buf_reserve(&b, 10), 0);
        s = buf_steal(&b);
        assert_string_equal(s, "");
        free(s);
        buf_free(&b);
}

static void test_overflow(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        char *before;

        assert_int_equal(buf_append_str(&b, "keep"), 0);
        before = b.data;
        assert_int_equal(buf_reserve(&b, SIZE_MAX), -EOVERFLOW);
        assert_int_equal(buf_reserve(&b, SIZE_MAX - 4), -EOVERFLOW);
        assert_int_equal(buf_append(&b, "x", SIZE_MAX - 2), -EOVERFLOW);
        /* Fits size_t but not memory. */
        assert_int_equal(buf_reserve(&b, SIZE_MAX / 2), -ENOMEM);
        assert_ptr_equal(b.data, before);
        assert_string_equal(b.data, "keep");
        assert_int_equal(b.len, 4);
        check(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_growth),
                cmocka_unit_test(test_append),
                cmocka_unit_test(test_printf),
                cmocka_unit_test(test_consume),
                cmocka_unit_test(test_clear_truncate),
                cmocka_unit_test(test_steal),
                cmocka_unit_test(test_overflow),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
