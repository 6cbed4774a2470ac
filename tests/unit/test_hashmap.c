/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for hashmap.h: put/get/replace/remove semantics, value
 * ownership, and insertion-order iteration across growth, removals,
 * compaction and reinsertion (checked against a reference list). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hashmap.h"

static int freed;

static void count_free(void *v) {
        freed++;
        free(v);
}

static char *key_of(int i) {
        static char k[32];

        snprintf(k, sizeof(k), "key-%d", i);
        return k;
}

static int *int_new(int v) {
        int *p = malloc(sizeof(int));

        assert_non_null(p);
        *p = v;
        return p;
}

static void test_basic(void **state) {
        _cleanup_hashmap_ struct hashmap *m = hashmap_new(NULL);
        int a = 1, b = 2;

        assert_non_null(m);
        assert_int_equal(hashmap_size(m), 0);
        assert_null(hashmap_get(m, "a"));
        assert_false(hashmap_contains(m, "a"));

        assert_int_equal(hashmap_put(m, "a", &a), 0);
        assert_int_equal(hashmap_put(m, "b", &b), 0);
        assert_int_equal(hashmap_put(m, "a", &b), -EEXIST);
        assert_ptr_equal(hashmap_get(m, "a"), &a);
        assert_ptr_equal(hashmap_get(m, "b"), &b);
        assert_int_equal(hashmap_size(m), 2);

        /* NULL values are allowed and told apart by contains(). */
        assert_int_equal(hashmap_put(m, "", NULL), 0);
        assert_true(hashmap_contains(m, ""));
        assert_null(hashmap_get(m, ""));
        assert_false(hashmap_contains(m, "c"));

        assert_int_equal(hashmap_put(m, NULL, &a), -EINVAL);
        assert_int_equal(hashmap_replace(m, NULL, &a), -EINVAL);
        assert_null(hashmap_get(m, NULL));

        assert_ptr_equal(hashmap_remove(m, "a"), &a);
        assert_null(hashmap_remove(m, "a"));
        assert_false(hashmap_contains(m, "a"));
        assert_int_equal(hashmap_size(m), 2);

        assert_int_equal(hashmap_size(NULL), 0);
        assert_null(hashmap_get(NULL, "a"));
        hashmap_free(NULL);
}

static void test_key_copied(void **state) {
        _cleanup_hashmap_ struct hashmap *m = hashmap_new(NULL);
        char key[] = "volume0";
        const char *k;

        assert_int_equal(hashmap_put(m, key, key), 0);
        key[0] = 'X';
        assert_true(hashmap_contains(m, "volume0"));
        assert_false(hashmap_contains(m, "Xolume0"));
        assert_true(hashmap_next(m, &(struct hashmap_iter) HASHMAP_ITER_INIT, &k, NULL));
        assert_string_equal(k, "volume0");
}

static void test_ownership(void **state) {
        struct hashmap *m = hashmap_new(count_free);
        int *v1 = int_new(1), *v2 = int_new(2), *v3 = int_new(3), *r;

        freed = 0;
        assert_int_equal(hashmap_put(m, "x", v1), 0);
        assert_int_equal(hashmap_put(m, "x", v2), -EEXIST);
        assert_int_equal(freed, 0);     /* rejected value is not taken */
        free(v2);

        /* replace frees the old value, but not when it is the same one. */
        v2 = int_new(2);
        assert_int_equal(hashmap_replace(m, "x", v2), 0);
        assert_int_equal(freed, 1);
        assert_int_equal(hashmap_replace(m, "x", v2), 0);
        assert_int_equal(freed, 1);
        assert_int_equal(*(int *) hashmap_get(m, "x"), 2);

        assert_int_equal(hashmap_replace(m, "y", v3), 0);       /* inserts */
        assert_int_equal(freed, 1);
        r = hashmap_remove(m, "y");
        assert_ptr_equal(r, v3);
        assert_int_equal(freed, 1);     /* remove hands the value back */
        free(r);

        assert_int_equal(hashmap_put(m, "z", int_new(9)), 0);
        hashmap_free(m);
        assert_int_equal(freed, 3);     /* x's and z's values */
}

static void test_replace_keeps_order(void **state) {
        _cleanup_hashmap_ struct hashmap *m = hashmap_new(NULL);
        const char *expect[] = { "c", "a", "b" }, *k;
        int vals[3] = {}, n = 0;
        void *v;

        assert_int_equal(hashmap_put(m, "c", &vals[0]), 0);
        assert_int_equal(hashmap_put(m, "a", &vals[1]), 0);
        assert_int_equal(hashmap_put(m, "b", &vals[2]), 0);
        assert_int_equal(hashmap_replace(m, "c", &vals[2]), 0);

        HASHMAP_FOREACH(k, v, m, it) {
                assert_string_equal(k, expect[n]);
                n++;
        }
        assert_int_equal(n, 3);
        assert_ptr_equal(hashmap_get(m, "c"), &vals[2]);
        (void) v;
}

/* Checks that m holds exactly the keys ref[0..n) with value i + 1 for
 * key_of(i), in that order. */
static void check_order(const struct hashmap *m, const int *ref, size_t n) {
        struct hashmap_iter it = HASHMAP_ITER_INIT;
        const char *k;
        void *v;
        size_t i = 0;

        while (hashmap_next(m, &it, &k, &v)) {
                assert_true(i < n);
                assert_string_equal(k, key_of(ref[i]));
                assert_int_equal((intptr_t) v, ref[i] + 1);
                i++;
        }
        assert_int_equal(i, n);
        assert_int_equal(hashmap_size(m), n);
        assert_false(hashmap_next(m, &it, &k, &v));     /* stays at the end */
}

static void test_many(void **state) {
        enum { N = 100000 };
        _cleanup_hashmap_ struct hashmap *m = hashmap_new(NULL);
        int *ref = malloc(sizeof(int) * N * 2);
        size_t n = 0;

        assert_non_null(ref);
        for (int i = 0; i < N; i++) {
                assert_int_equal(hashmap_put(m, key_of(i), (void *) (intptr_t) (i + 1)), 0);
                ref[n++] = i;
        }
        check_order(m, ref, n);
        for (int i = 0; i < N; i++)
                assert_int_equal((intptr_t) hashmap_get(m, key_of(i)), i + 1);
        assert_false(hashmap_contains(m, key_of(N)));

        /* Remove every key divisible by 2 or 3. */
        n = 0;
        for (int i = 0; i < N; i++) {
                if (i % 2 == 0 || i % 3 == 0)
                        assert_int_equal((intptr_t) hashmap_remove(m, key_of(i)), i + 1);
                else
                        ref[n++] = i;
        }
        check_order(m, ref, n);
        for (int i = 0; i < N; i += 2)
                assert_false(hashmap_contains(m, key_of(i)));

        /* Put the even ones back: they go to the end, in the order
         * re-added, and their growth compacts the removed entries. */
        for (int i = N - 2; i >= 0; i -= 2) {
                assert_int_equal(hashmap_put(m, key_of(i), (void *) (intptr_t) (i + 1)), 0);
                ref[n++] = i;
        }
        check_order(m, ref, n);
        for (int i = 0; i < N; i++)
                assert_int_equal(hashmap_contains(m, key_of(i)), i % 2 == 0 || i % 3 != 0);
        free(ref);
}

/* Remove and re-add the same few keys many times: every insertion appends
 * an entry, so this goes through many compactions, which must keep the
 * live keys and their order. */
static void test_churn(void **state) {
        _cleanup_hashmap_ struct hashmap *m = hashmap_new(NULL);
        int ref[10];

        for (int round = 0; round < 20000; round++) {
                int i = round % 10;

                if (round >= 10)
                        assert_int_equal((intptr_t) hashmap_remove(m, key_of(i)), i + 1);
                assert_int_equal(hashmap_put(m, key_of(i), (void *) (intptr_t) (i + 1)), 0);
        }
        for (int i = 0; i < 10; i++)
                ref[i] = i;
        check_order(m, ref, 10);
}

static void test_remove_while_iterating(void **state) {
        _cleanup_hashmap_ struct hashmap *m = hashmap_new(count_free);
        const char *k;
        int *v, seen = 0, ref[1000];
        size_t n = 0;

        freed = 0;
        for (int i = 0; i < 1000; i++)
                assert_int_equal(hashmap_put(m, key_of(i), int_new(i)), 0);

        HASHMAP_FOREACH(k, v, m, it) {
                assert_int_equal(*v, seen);
                assert_string_equal(k, key_of(seen));
                if (seen % 3 == 0)
                        free(hashmap_remove(m, k));     /* k is gone now */
                else
                        ref[n++] = seen;
                seen++;
        }
        assert_int_equal(seen, 1000);
        assert_int_equal(hashmap_size(m), n);

        seen = 0;
        HASHMAP_FOREACH(k, v, m, it2) {
                assert_string_equal(k, key_of(ref[seen]));
                assert_int_equal(*v, ref[seen]);
                seen++;
        }
        assert_int_equal((size_t) seen, n);
        assert_int_equal(freed, 0);
}

static void test_iter_null_rets(void **state) {
        _cleanup_hashmap_ struct hashmap *m = hashmap_new(NULL);
        struct hashmap_iter it = HASHMAP_ITER_INIT;
        int n = 0;

        assert_int_equal(hashmap_put(m, "one", NULL), 0);
        assert_int_equal(hashmap_put(m, "two", NULL), 0);
        while (hashmap_next(m, &it, NULL, NULL))
                n++;
        assert_int_equal(n, 2);
        it = (struct hashmap_iter) HASHMAP_ITER_INIT;
        assert_false(hashmap_next(NULL, &it, NULL, NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic),
                cmocka_unit_test(test_key_copied),
                cmocka_unit_test(test_ownership),
                cmocka_unit_test(test_replace_keeps_order),
                cmocka_unit_test(test_many),
                cmocka_unit_test(test_churn),
                cmocka_unit_test(test_remove_while_iterating),
                cmocka_unit_test(test_iter_null_rets),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
