/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the scheduler's score arithmetic: INFINITY saturates,
 * -INFINITY wins over +INFINITY, and finite sums clamp. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sched_internal.h"

static void test_finite(void **state) {
        assert_int_equal(sched_score_add(0, 0), 0);
        assert_int_equal(sched_score_add(100, -30), 70);
        assert_int_equal(sched_score_add(-5, -5), -10);
}

static void test_infinity(void **state) {
        assert_int_equal(sched_score_add(CIB_INFINITY, 5), CIB_INFINITY);
        assert_int_equal(sched_score_add(5, -CIB_INFINITY), -CIB_INFINITY);
        /* Minus infinity wins: a ban beats any preference. */
        assert_int_equal(sched_score_add(CIB_INFINITY, -CIB_INFINITY), -CIB_INFINITY);
        assert_int_equal(sched_score_add(-CIB_INFINITY, CIB_INFINITY), -CIB_INFINITY);
}

static void test_clamping(void **state) {
        assert_int_equal(sched_score_add(999999, 999999), CIB_INFINITY);
        assert_int_equal(sched_score_add(-999999, -2), -CIB_INFINITY);
        assert_int_equal(sched_score_add(999999, 1), CIB_INFINITY);
        assert_int_equal(sched_score_add(999998, 1), 999999);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_finite),
                cmocka_unit_test(test_infinity),
                cmocka_unit_test(test_clamping),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
