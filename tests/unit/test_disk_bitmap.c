/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for bitmap.h: bits and ranges at word and page boundaries,
 * byte-range rounding, find-next, dirty pages, the on-disk encoding, and
 * random operations checked against a naive bool-array model. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "bitmap.h"

static struct bitmap *new_bitmap(uint64_t nbits, uint64_t bpb) {
        struct bitmap *b = NULL;

        assert_int_equal(bitmap_new(nbits, bpb, &b), 0);
        assert_non_null(b);
        return b;
}

static void test_new_errors(void **state) {
        struct bitmap *b = (struct bitmap *) 0x1;

        assert_int_equal(bitmap_new(10, 0, &b), -EINVAL);
        assert_int_equal(bitmap_new(10, 3, &b), -EINVAL);
        assert_int_equal(bitmap_new(10, 4097, &b), -EINVAL);
        assert_int_equal(bitmap_new(BITMAP_MAX_BITS + 1, 1, &b), -EFBIG);
        /* 2^40 bits of 2^30 bytes each: 2^70 bytes do not fit 64 bits. */
        assert_int_equal(bitmap_new(BITMAP_MAX_BITS, UINT64_C(1) << 30, &b), -EFBIG);
        assert_ptr_equal(b, (struct bitmap *) 0x1);
        bitmap_free(NULL);

        b = new_bitmap(0, 4096);
        assert_int_equal(bitmap_size(b), 0);
        assert_int_equal(bitmap_pages(b), 0);
        assert_int_equal(bitmap_count(b), 0);
        assert_int_equal(bitmap_find_next_set(b, 0), 0);
        assert_int_equal(bitmap_find_next_clear(b, 0), 0);
        assert_int_equal(bitmap_next_dirty_page(b, 0), 0);
        assert_int_equal(bitmap_set(b, 0), -ERANGE);
        assert_int_equal(bitmap_set_range(b, 0, 0), 0);
        assert_int_equal(bitmap_mark_bytes(b, 0, 1), -ERANGE);
        bitmap_free(b);

        b = new_bitmap(1, 4096);
        assert_int_equal(bitmap_pages(b), 1);
        assert_int_equal(bitmap_bytes_per_bit(b), 4096);
        bitmap_free(b);
        assert_int_equal(bitmap_pages_for(BITMAP_BITS_PER_PAGE), 1);
        assert_int_equal(bitmap_pages_for(BITMAP_BITS_PER_PAGE + 1), 2);
}

static void test_bits(void **state) {
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(3 * BITMAP_BITS_PER_PAGE + 5, 4096);
        const uint64_t bits[] = { 0, 1, 63, 64, 65, 127, 128, 32767, 32768, 32769, 65535,
                                  3 * BITMAP_BITS_PER_PAGE + 4 };

        assert_int_equal(bitmap_pages(b), 4);
        for (unsigned i = 0; i < ELEMENTSOF(bits); i++) {
                assert_int_equal(bitmap_test(b, bits[i]), 0);
                assert_int_equal(bitmap_set(b, bits[i]), 1);
                assert_int_equal(bitmap_set(b, bits[i]), 0);
                assert_int_equal(bitmap_test(b, bits[i]), 1);
                assert_int_equal(bitmap_count(b), i + 1);
        }
        assert_int_equal(bitmap_test(b, 2), 0);
        assert_int_equal(bitmap_test(b, 62), 0);
        assert_int_equal(bitmap_set(b, bitmap_size(b)), -ERANGE);
        assert_int_equal(bitmap_clear(b, bitmap_size(b)), -ERANGE);
        assert_int_equal(bitmap_test(b, UINT64_MAX), -ERANGE);
        for (unsigned i = 0; i < ELEMENTSOF(bits); i++) {
                assert_int_equal(bitmap_clear(b, bits[i]), 1);
                assert_int_equal(bitmap_clear(b, bits[i]), 0);
        }
        assert_int_equal(bitmap_count(b), 0);
}

static void test_ranges(void **state) {
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(2 * BITMAP_BITS_PER_PAGE + 100, 4096);
        uint64_t n = bitmap_size(b);

        /* Inside one word, across one word boundary, across pages. */
        assert_int_equal(bitmap_set_range(b, 3, 5), 5);
        assert_int_equal(bitmap_count_range(b, 0, 64), 5);
        assert_int_equal(bitmap_set_range(b, 60, 10), 10);
        assert_int_equal(bitmap_set_range(b, 0, 64), 64 - 5 - 4);
        assert_int_equal(bitmap_count(b), 70);
        assert_int_equal(bitmap_test(b, 69), 1);
        assert_int_equal(bitmap_test(b, 70), 0);
        assert_int_equal(bitmap_set_range(b, 32760, 20), 20);
        assert_int_equal(bitmap_count_range(b, 32768, 12), 12);
        assert_int_equal(bitmap_count(b), 90);
        assert_int_equal(bitmap_clear_range(b, 32000, 800), 20);
        assert_int_equal(bitmap_count(b), 70);

        /* The whole bitmap, then its tail, then out-of-range ranges. */
        assert_int_equal(bitmap_set_range(b, 0, n), (int64_t) n - 70);
        assert_int_equal(bitmap_count(b), n);
        assert_int_equal(bitmap_count_range(b, 0, n), (int64_t) n);
        assert_int_equal(bitmap_clear_range(b, n - 1, 1), 1);
        assert_int_equal(bitmap_clear_range(b, n, 0), 0);
        assert_int_equal(bitmap_set_range(b, n, 1), -ERANGE);
        assert_int_equal(bitmap_set_range(b, 1, n), -ERANGE);
        assert_int_equal(bitmap_set_range(b, UINT64_MAX, 2), -ERANGE);
        assert_int_equal(bitmap_clear_range(b, 5, UINT64_MAX), -ERANGE);
        assert_int_equal(bitmap_count_range(b, n + 1, 0), -ERANGE);
        assert_int_equal(bitmap_count(b), n - 1);
        assert_int_equal(bitmap_clear_range(b, 0, n), (int64_t) n - 1);
        assert_int_equal(bitmap_count(b), 0);
}

static void test_bytes(void **state) {
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(100, 4096);
        _cleanup_bitmap_ struct bitmap *wi = NULL;

        /* Marking rounds outward. */
        assert_int_equal(bitmap_mark_bytes(b, 1, 1), 1);
        assert_int_equal(bitmap_test(b, 0), 1);
        assert_int_equal(bitmap_mark_bytes(b, 4095, 2), 1);
        assert_int_equal(bitmap_test(b, 1), 1);
        assert_int_equal(bitmap_mark_bytes(b, 8192, 4096), 1);
        assert_int_equal(bitmap_test(b, 2), 1);
        assert_int_equal(bitmap_test(b, 3), 0);
        assert_int_equal(bitmap_mark_bytes(b, 0, 0), 0);
        assert_int_equal(bitmap_mark_bytes(b, 99 * 4096, 4096), 1);
        assert_int_equal(bitmap_mark_bytes(b, 99 * 4096 + 1, 4096), -ERANGE);
        assert_int_equal(bitmap_mark_bytes(b, UINT64_MAX, 2), -ERANGE);
        assert_int_equal(bitmap_count(b), 4);

        /* Clearing rounds inward. */
        assert_int_equal(bitmap_clear_bytes(b, 1, 8190), 0);
        assert_int_equal(bitmap_clear_bytes(b, 100, 8192), 1);   /* only [4096, 8192) */
        assert_int_equal(bitmap_test(b, 0), 1);
        assert_int_equal(bitmap_test(b, 1), 0);
        assert_int_equal(bitmap_clear_bytes(b, 0, 3 * 4096), 2);
        assert_int_equal(bitmap_clear_bytes(b, 99 * 4096, 4096), 1);
        assert_int_equal(bitmap_clear_bytes(b, 0, 100 * 4096 + 1), -ERANGE);
        assert_int_equal(bitmap_count(b), 0);

        /* Write-intent granularity: 4 MiB chunks. */
        assert_int_equal(bitmap_new(3, 4u << 20, &wi), 0);
        assert_int_equal(bitmap_mark_bytes(wi, (4u << 20) - 512, 1024), 2);
        assert_int_equal(bitmap_test(wi, 0), 1);
        assert_int_equal(bitmap_test(wi, 1), 1);
        assert_int_equal(bitmap_clear_bytes(wi, 4u << 20, 4u << 20), 1);
        assert_int_equal(bitmap_count(wi), 1);
}

static void test_find(void **state) {
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(5 * BITMAP_BITS_PER_PAGE + 3, 4096);
        _cleanup_bitmap_ struct bitmap *small = new_bitmap(70, 1);
        uint64_t n = bitmap_size(b);

        assert_int_equal(bitmap_find_next_set(b, 0), n);
        assert_int_equal(bitmap_find_next_clear(b, 0), 0);
        assert_int_equal(bitmap_find_next_set(b, n), n);
        assert_int_equal(bitmap_find_next_set(b, UINT64_MAX), n);
        assert_int_equal(bitmap_find_next_clear(b, n + 5), n);

        assert_int_equal(bitmap_set(b, 64), 1);
        assert_int_equal(bitmap_set(b, 4 * BITMAP_BITS_PER_PAGE + 1), 1);
        assert_int_equal(bitmap_set(b, n - 1), 1);
        assert_int_equal(bitmap_find_next_set(b, 0), 64);
        assert_int_equal(bitmap_find_next_set(b, 64), 64);
        assert_int_equal(bitmap_find_next_set(b, 65), 4 * BITMAP_BITS_PER_PAGE + 1);
        assert_int_equal(bitmap_find_next_set(b, 4 * BITMAP_BITS_PER_PAGE + 2), n - 1);
        assert_int_equal(bitmap_find_next_set(b, n - 1), n - 1);

        assert_int_equal(bitmap_set_range(b, 0, n), (int64_t) n - 3);
        assert_int_equal(bitmap_find_next_clear(b, 0), n);
        assert_int_equal(bitmap_clear(b, 100), 1);
        assert_int_equal(bitmap_find_next_clear(b, 0), 100);
        assert_int_equal(bitmap_find_next_clear(b, 101), n);

        /* Bits past the end of the last word never count as clear bits. */
        assert_int_equal(bitmap_set_range(small, 0, 70), 70);
        assert_int_equal(bitmap_find_next_clear(small, 0), 70);
        assert_int_equal(bitmap_find_next_clear(small, 69), 70);
        assert_int_equal(bitmap_clear(small, 69), 1);
        assert_int_equal(bitmap_find_next_clear(small, 0), 69);
}

static void test_dirty_pages(void **state) {
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(4 * BITMAP_BITS_PER_PAGE, 4096);
        uint8_t page[BITMAP_PAGE_SIZE];

        assert_int_equal(bitmap_dirty_pages(b), 0);
        assert_int_equal(bitmap_next_dirty_page(b, 0), 4);
        assert_int_equal(bitmap_set(b, 2 * BITMAP_BITS_PER_PAGE + 7), 1);
        assert_int_equal(bitmap_dirty_pages(b), 1);
        assert_true(bitmap_page_is_dirty(b, 2));
        assert_false(bitmap_page_is_dirty(b, 1));
        assert_false(bitmap_page_is_dirty(b, 99));
        assert_int_equal(bitmap_next_dirty_page(b, 0), 2);
        assert_int_equal(bitmap_next_dirty_page(b, 3), 4);

        assert_int_equal(bitmap_page_encode(b, 2, page), 0);
        assert_int_equal(page[0], 0x80);
        assert_int_equal(bitmap_page_encode(b, 4, page), -ERANGE);
        assert_true(bitmap_page_is_dirty(b, 2));        /* encoding does not clean */
        bitmap_page_mark_clean(b, 2);
        bitmap_page_mark_clean(b, 2);
        bitmap_page_mark_clean(b, 17);
        assert_int_equal(bitmap_dirty_pages(b), 0);

        /* No change, no dirt. */
        assert_int_equal(bitmap_set(b, 2 * BITMAP_BITS_PER_PAGE + 7), 0);
        assert_int_equal(bitmap_set_range(b, 2 * BITMAP_BITS_PER_PAGE + 7, 1), 0);
        assert_int_equal(bitmap_dirty_pages(b), 0);

        /* A range across the boundary of pages 0 and 1 dirties both. */
        assert_int_equal(bitmap_set_range(b, BITMAP_BITS_PER_PAGE - 1, 2), 2);
        assert_int_equal(bitmap_dirty_pages(b), 2);
        assert_int_equal(bitmap_next_dirty_page(b, 0), 0);
        assert_int_equal(bitmap_next_dirty_page(b, 1), 1);
        assert_int_equal(bitmap_next_dirty_page(b, 2), 4);
        bitmap_mark_all_dirty(b);
        assert_int_equal(bitmap_dirty_pages(b), 4);
        bitmap_page_mark_dirty(b, 4);
        assert_int_equal(bitmap_dirty_pages(b), 4);
}

static void test_encoding(void **state) {
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(BITMAP_BITS_PER_PAGE + 10, 4096);
        _cleanup_bitmap_ struct bitmap *c = new_bitmap(BITMAP_BITS_PER_PAGE + 10, 4096);
        uint8_t pages[2 * BITMAP_PAGE_SIZE], again[2 * BITMAP_PAGE_SIZE];
        char reason[128] = "";

        /* Little-endian 64-bit words: bit i is bit i % 8 of byte i / 8. */
        assert_int_equal(bitmap_set(b, 0), 1);
        assert_int_equal(bitmap_set(b, 9), 1);
        assert_int_equal(bitmap_set(b, 63), 1);
        assert_int_equal(bitmap_set(b, 64), 1);
        assert_int_equal(bitmap_set(b, BITMAP_BITS_PER_PAGE + 9), 1);
        assert_int_equal(bitmap_page_encode(b, 0, pages), 0);
        assert_int_equal(bitmap_page_encode(b, 1, pages + BITMAP_PAGE_SIZE), 0);
        assert_int_equal(pages[0], 0x01);
        assert_int_equal(pages[1], 0x02);
        assert_int_equal(pages[7], 0x80);
        assert_int_equal(pages[8], 0x01);
        assert_int_equal(pages[BITMAP_PAGE_SIZE + 1], 0x02);
        for (unsigned i = BITMAP_PAGE_SIZE + 2; i < sizeof(pages); i++)
                assert_int_equal(pages[i], 0);

        assert_int_equal(bitmap_set(c, 5), 1);          /* replaced by the load */
        assert_int_equal(bitmap_load_pages(c, 0, pages, sizeof(pages), reason, sizeof(reason)), 0);
        assert_int_equal(bitmap_count(c), 5);
        assert_int_equal(bitmap_dirty_pages(c), 0);
        assert_int_equal(bitmap_test(c, 5), 0);
        assert_int_equal(bitmap_page_encode(c, 0, again), 0);
        assert_int_equal(bitmap_page_encode(c, 1, again + BITMAP_PAGE_SIZE), 0);
        assert_memory_equal(pages, again, sizeof(pages));

        /* One page at an offset. */
        memset(again, 0, BITMAP_PAGE_SIZE);
        again[0] = 0xff;
        assert_int_equal(bitmap_load_pages(c, 0, again, BITMAP_PAGE_SIZE, NULL, 0), 0);
        assert_int_equal(bitmap_count(c), 9);

        /* Rejections leave the bitmap as it was. */
        assert_int_equal(bitmap_load_pages(c, 0, pages, 100, reason, sizeof(reason)), -ERANGE);
        assert_non_null(strstr(reason, "not a whole number"));
        assert_int_equal(bitmap_load_pages(c, 1, pages, sizeof(pages), reason, sizeof(reason)), -ERANGE);
        assert_non_null(strstr(reason, "beyond the last page"));
        assert_int_equal(bitmap_load_pages(c, UINT64_MAX, pages, 0, reason, sizeof(reason)), -ERANGE);
        pages[BITMAP_PAGE_SIZE + 1] = 0x04;             /* bit 32768 + 10: one past the end */
        assert_int_equal(bitmap_load_pages(c, 0, pages, sizeof(pages), reason, sizeof(reason)), -EBADMSG);
        assert_string_equal(reason, "bit 32778 is set but the bitmap has only 32778 bits");
        pages[BITMAP_PAGE_SIZE + 1] = 0;
        pages[sizeof(pages) - 1] = 0x80;
        assert_int_equal(bitmap_load_pages(c, 1, pages + BITMAP_PAGE_SIZE, BITMAP_PAGE_SIZE,
                                           reason, sizeof(reason)), -EBADMSG);
        assert_non_null(strstr(reason, "bit 65535 is set"));
        assert_int_equal(bitmap_count(c), 9);
        assert_int_equal(bitmap_count_range(c, 0, 8), 8);
}

static void test_mark_from(void **state) {
        /* 10 MiB + 4 KiB of data: 2561 blocks, 3 chunks of 4 MiB (the last partial). */
        _cleanup_bitmap_ struct bitmap *oos = new_bitmap(2561, 4096);
        _cleanup_bitmap_ struct bitmap *wi = new_bitmap(3, 4u << 20);

        assert_int_equal(bitmap_mark_from(oos, wi), 0);
        assert_int_equal(bitmap_set(wi, 2), 1);
        assert_int_equal(bitmap_mark_from(oos, wi), 513);
        assert_int_equal(bitmap_find_next_set(oos, 0), 2048);
        assert_int_equal(bitmap_set(wi, 0), 1);
        assert_int_equal(bitmap_set(oos, 5), 1);
        assert_int_equal(bitmap_mark_from(oos, wi), 1023);
        assert_int_equal(bitmap_count(oos), 1024 + 513);
        assert_int_equal(bitmap_count_range(oos, 1024, 1024), 0);
        assert_int_equal(bitmap_set(wi, 1), 1);
        assert_int_equal(bitmap_mark_from(oos, wi), 1024);
        assert_int_equal(bitmap_count(oos), 2561);
}

/* A 2^30-bit bitmap (a 4 TiB volume) with one bit set near the end: the
 * word-skipping scan finds it quickly, and ranges over it are exact. */
static void test_large(void **state) {
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(UINT64_C(1) << 30, 4096);
        uint64_t n = bitmap_size(b);

        assert_int_equal(bitmap_pages(b), 32768);
        assert_int_equal(bitmap_set(b, n - 2), 1);
        assert_int_equal(bitmap_find_next_set(b, 0), n - 2);
        assert_int_equal(bitmap_mark_bytes(b, (n - 1) * 4096, 4096), 1);
        assert_int_equal(bitmap_count(b), 2);
        assert_int_equal(bitmap_next_dirty_page(b, 0), 32767);
        assert_int_equal(bitmap_clear_bytes(b, 0, n * 4096), 2);
        assert_int_equal(bitmap_count(b), 0);
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rnd(uint64_t *s) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * UINT64_C(2685821657736338717);
}

static void model_check(const struct bitmap *b, const bool *bits, const bool *dirty, uint64_t n) {
        uint64_t count = 0, ndirty = 0, expect_next = n;

        for (uint64_t i = n; i-- > 0;) {
                assert_int_equal(bitmap_test(b, i), bits[i]);
                count += bits[i];
                if (bits[i])
                        expect_next = i;
        }
        assert_int_equal(bitmap_count(b), count);
        assert_int_equal(bitmap_find_next_set(b, 0), expect_next);
        for (uint64_t p = 0; p < bitmap_pages(b); p++) {
                assert_int_equal(bitmap_page_is_dirty(b, p), dirty[p]);
                ndirty += dirty[p];
        }
        assert_int_equal(bitmap_dirty_pages(b), ndirty);
}

static void test_random_vs_model(void **state) {
        const uint64_t n = 3 * BITMAP_BITS_PER_PAGE + 1000, bpb = 8;
        _cleanup_bitmap_ struct bitmap *b = new_bitmap(n, bpb);
        _cleanup_free_ bool *bits = calloc(n, sizeof(bool));
        bool dirty[4] = {};
        uint64_t seed = 0x9e3779b97f4a7c15;

        assert_non_null(bits);
        for (unsigned iter = 0; iter < 20000; iter++) {
                uint64_t op = rnd(&seed) % 9, a = rnd(&seed) % (n + 2);
                /* Mostly short ranges, sometimes long ones. */
                uint64_t len = rnd(&seed) % (rnd(&seed) % 8 == 0 ? n : 200);
                bool out = a > n || len > n - a;
                int64_t expect = 0, got;

                switch (op) {
                case 0: case 1: case 2: case 3: {
                        bool set = op % 2 == 0, bytes = op >= 2;
                        uint64_t first = a, end = a + len;

                        if (bytes) {
                                /* The same range in bytes, rounded as documented. */
                                uint64_t off = a * bpb + rnd(&seed) % bpb, blen = len * bpb;

                                out = off > n * bpb || blen > n * bpb - off;
                                first = set ? off / bpb : (off + bpb - 1) / bpb;
                                end = set ? (blen ? (off + blen + bpb - 1) / bpb : first)
                                          : (off + blen) / bpb;
                                got = set ? bitmap_mark_bytes(b, off, blen) : bitmap_clear_bytes(b, off, blen);
                        } else
                                got = set ? bitmap_set_range(b, a, len) : bitmap_clear_range(b, a, len);
                        if (out) {
                                assert_int_equal(got, -ERANGE);
                                break;
                        }
                        for (uint64_t i = first; i < end; i++)
                                if (bits[i] != set) {
                                        bits[i] = set;
                                        dirty[i / BITMAP_BITS_PER_PAGE] = true;
                                        expect++;
                                }
                        assert_int_equal(got, expect);
                        break;
                }
                case 4:
                        got = bitmap_count_range(b, a, len);
                        if (out) {
                                assert_int_equal(got, -ERANGE);
                                break;
                        }
                        for (uint64_t i = a; i < a + len; i++)
                                expect += bits[i];
                        assert_int_equal(got, expect);
                        break;
                case 5:
                case 6: {
                        bool want = op == 5;
                        uint64_t i = a;

                        while (i < n && bits[i] != want)
                                i++;
                        assert_int_equal(want ? bitmap_find_next_set(b, a) : bitmap_find_next_clear(b, a),
                                         i < n ? i : n);
                        break;
                }
                case 7:
                        if (a < n) {
                                got = rnd(&seed) % 2 ? bitmap_set(b, a) : bitmap_clear(b, a);
                                if (got) {
                                        bits[a] = !bits[a];
                                        dirty[a / BITMAP_BITS_PER_PAGE] = true;
                                }
                                assert_int_equal(bitmap_test(b, a), bits[a]);
                        }
                        break;
                case 8: {
                        uint64_t p = a % 5;     /* includes one page past the end */

                        bitmap_page_mark_clean(b, p);
                        if (p < 4)
                                dirty[p] = false;
                        break;
                }
                }
                if (iter % 500 == 0)
                        model_check(b, bits, dirty, n);
        }
        model_check(b, bits, dirty, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_errors),
                cmocka_unit_test(test_bits),
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_bytes),
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_dirty_pages),
                cmocka_unit_test(test_encoding),
                cmocka_unit_test(test_mark_from),
                cmocka_unit_test(test_large),
                cmocka_unit_test(test_random_vs_model),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
