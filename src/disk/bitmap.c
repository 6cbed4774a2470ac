/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bitmaps held as host-endian 64-bit words with a count of set bits and a
 * second, small bitmap of dirty on-disk pages; conversion to and from the
 * little-endian on-disk pages. See bitmap.h and docs/disk-format.md. */

#include <inttypes.h>

#include "bitmap.h"

#define WORDS_PER_PAGE (BITMAP_PAGE_SIZE / 8u)

struct bitmap {
        uint64_t nbits;
        unsigned shift;         /* log2(bytes per bit) */
        uint64_t nwords;        /* whole pages' worth: npages * WORDS_PER_PAGE */
        uint64_t *words;
        uint64_t count;
        uint64_t npages;
        uint64_t *dirty;        /* one bit per page */
        uint64_t ndirty;
};

#define reason_set(reason, size, ...) ((void) format_error(reason, size, 0, __VA_ARGS__))

int bitmap_new(uint64_t nbits, uint64_t bytes_per_bit, struct bitmap **ret) {
        struct bitmap *b;
        uint64_t covered;

        if (bytes_per_bit == 0 || (bytes_per_bit & (bytes_per_bit - 1)) != 0)
                return -EINVAL;
        if (nbits > BITMAP_MAX_BITS || __builtin_mul_overflow(nbits, bytes_per_bit, &covered))
                return -EFBIG;

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->nbits = nbits;
        b->shift = (unsigned) __builtin_ctzll(bytes_per_bit);
        b->npages = bitmap_pages_for(nbits);
        b->nwords = b->npages * WORDS_PER_PAGE;
        if (b->nwords > 0) {
                /* calloc of a large size gets fresh zero pages from mmap, so
                 * a mostly clear bitmap costs little resident memory. */
                b->words = calloc(b->nwords, sizeof(uint64_t));
                b->dirty = calloc((b->npages + 63) / 64, sizeof(uint64_t));
                if (!b->words || !b->dirty) {
                        bitmap_free(b);
                        return -ENOMEM;
                }
        }
        *ret = b;
        return 0;
}

void bitmap_free(struct bitmap *b) {
        if (!b)
                return;
        free(b->words);
        free(b->dirty);
        free(b);
}

uint64_t bitmap_size(const struct bitmap *b) {
        return b->nbits;
}

uint64_t bitmap_bytes_per_bit(const struct bitmap *b) {
        return UINT64_C(1) << b->shift;
}

uint64_t bitmap_pages(const struct bitmap *b) {
        return b->npages;
}

uint64_t bitmap_count(const struct bitmap *b) {
        return b->count;
}

uint64_t bitmap_dirty_pages(const struct bitmap *b) {
        return b->ndirty;
}

bool bitmap_page_is_dirty(const struct bitmap *b, uint64_t page) {
        if (page >= b->npages)
                return false;
        return (b->dirty[page / 64] >> (page % 64)) & 1;
}

void bitmap_page_mark_dirty(struct bitmap *b, uint64_t page) {
        uint64_t m;

        if (page >= b->npages)
                return;
        m = UINT64_C(1) << (page % 64);
        if (!(b->dirty[page / 64] & m)) {
                b->dirty[page / 64] |= m;
                b->ndirty++;
        }
}

void bitmap_page_mark_clean(struct bitmap *b, uint64_t page) {
        uint64_t m;

        if (page >= b->npages)
                return;
        m = UINT64_C(1) << (page % 64);
        if (b->dirty[page / 64] & m) {
                b->dirty[page / 64] &= ~m;
                b->ndirty--;
        }
}

void bitmap_mark_all_dirty(struct bitmap *b) {
        for (uint64_t p = 0; p < b->npages; p++)
                bitmap_page_mark_dirty(b, p);
}

uint64_t bitmap_next_dirty_page(const struct bitmap *b, uint64_t from) {
        uint64_t w, word;

        if (from >= b->npages)
                return b->npages;
        w = from / 64;
        word = b->dirty[w] & (~UINT64_C(0) << (from % 64));
        while (word == 0) {
                if (++w >= (b->npages + 63) / 64)
                        return b->npages;
                word = b->dirty[w];
        }
        return w * 64 + (uint64_t) __builtin_ctzll(word);
}

int bitmap_test(const struct bitmap *b, uint64_t bit) {
        if (bit >= b->nbits)
                return -ERANGE;
        return (b->words[bit / 64] >> (bit % 64)) & 1;
}

/* Sets or clears the bits [first, first + count) after the caller checked
 * the range; returns how many changed. Works a word at a time. */
static uint64_t range_update(struct bitmap *b, uint64_t first, uint64_t count, bool set) {
        uint64_t last = first + count - 1, changed = 0;

        for (uint64_t w = first / 64; w <= last / 64; w++) {
                uint64_t mask = ~UINT64_C(0), old = b->words[w], new;

                if (w == first / 64)
                        mask &= ~UINT64_C(0) << (first % 64);
                if (w == last / 64)
                        mask &= ~UINT64_C(0) >> (63 - last % 64);
                new = set ? (old | mask) : (old & ~mask);
                if (new != old) {
                        changed += (uint64_t) __builtin_popcountll(old ^ new);
                        b->words[w] = new;
                        bitmap_page_mark_dirty(b, w / WORDS_PER_PAGE);
                }
        }
        if (set)
                b->count += changed;
        else
                b->count -= changed;
        return changed;
}

static bool range_ok(const struct bitmap *b, uint64_t first, uint64_t count) {
        return first <= b->nbits && count <= b->nbits - first;
}

int bitmap_set(struct bitmap *b, uint64_t bit) {
        if (bit >= b->nbits)
                return -ERANGE;
        return (int) range_update(b, bit, 1, true);
}

int bitmap_clear(struct bitmap *b, uint64_t bit) {
        if (bit >= b->nbits)
                return -ERANGE;
        return (int) range_update(b, bit, 1, false);
}

int64_t bitmap_set_range(struct bitmap *b, uint64_t first, uint64_t count) {
        if (!range_ok(b, first, count))
                return -ERANGE;
        if (count == 0)
                return 0;
        return (int64_t) range_update(b, first, count, true);
}

int64_t bitmap_clear_range(struct bitmap *b, uint64_t first, uint64_t count) {
        if (!range_ok(b, first, count))
                return -ERANGE;
        if (count == 0)
                return 0;
        return (int64_t) range_update(b, first, count, false);
}

int64_t bitmap_count_range(const struct bitmap *b, uint64_t first, uint64_t count) {
        uint64_t last, n = 0;

        if (!range_ok(b, first, count))
                return -ERANGE;
        if (count == 0)
                return 0;
        last = first + count - 1;
        for (uint64_t w = first / 64; w <= last / 64; w++) {
                uint64_t mask = ~UINT64_C(0);

                if (w == first / 64)
                        mask &= ~UINT64_C(0) << (first % 64);
                if (w == last / 64)
                        mask &= ~UINT64_C(0) >> (63 - last % 64);
                n += (uint64_t) __builtin_popcountll(b->words[w] & mask);
        }
        return (int64_t) n;
}

/* nbits * bytes_per_bit fits in 64 bits: bitmap_new checked it. */
static bool bytes_ok(const struct bitmap *b, uint64_t offset, uint64_t length) {
        uint64_t covered = b->nbits << b->shift;

        return offset <= covered && length <= covered - offset;
}

int64_t bitmap_mark_bytes(struct bitmap *b, uint64_t offset, uint64_t length) {
        uint64_t first, last;

        if (!bytes_ok(b, offset, length))
                return -ERANGE;
        if (length == 0)
                return 0;
        first = offset >> b->shift;
        last = (offset + length - 1) >> b->shift;
        return (int64_t) range_update(b, first, last - first + 1, true);
}

int64_t bitmap_clear_bytes(struct bitmap *b, uint64_t offset, uint64_t length) {
        uint64_t first, end, mask = (UINT64_C(1) << b->shift) - 1;

        if (!bytes_ok(b, offset, length))
                return -ERANGE;
        first = (offset >> b->shift) + ((offset & mask) != 0);
        end = (offset + length) >> b->shift;
        if (end <= first)
                return 0;
        return (int64_t) range_update(b, first, end - first, false);
}

/* invert selects find-next-clear: the scan is the same over ~word. Bits
 * past nbits are always zero, so an inverted scan may stop there; the
 * result is clipped to nbits. */
static uint64_t find_next(const struct bitmap *b, uint64_t from, uint64_t invert) {
        uint64_t w, word, nw = (b->nbits + 63) / 64, r;

        if (from >= b->nbits)
                return b->nbits;
        w = from / 64;
        word = (b->words[w] ^ invert) & (~UINT64_C(0) << (from % 64));
        while (word == 0) {
                if (++w >= nw)
                        return b->nbits;
                word = b->words[w] ^ invert;
        }
        r = w * 64 + (uint64_t) __builtin_ctzll(word);
        return r < b->nbits ? r : b->nbits;
}

uint64_t bitmap_find_next_set(const struct bitmap *b, uint64_t from) {
        return find_next(b, from, 0);
}

uint64_t bitmap_find_next_clear(const struct bitmap *b, uint64_t from) {
        return find_next(b, from, ~UINT64_C(0));
}

int64_t bitmap_mark_from(struct bitmap *dst, const struct bitmap *src) {
        uint64_t covered = dst->nbits << dst->shift, changed = 0, s, e;

        /* Whole runs of set bits at a time: one range update per run. */
        for (s = bitmap_find_next_set(src, 0); s < src->nbits;
             s = bitmap_find_next_set(src, e)) {
                uint64_t off, end;

                e = bitmap_find_next_clear(src, s);
                /* s < e <= nbits and nbits << shift fits, so no overflow. */
                off = s << src->shift;
                end = e << src->shift;
                if (off >= covered)
                        break;
                if (end > covered)
                        end = covered;
                changed += (uint64_t) bitmap_mark_bytes(dst, off, end - off);
        }
        return (int64_t) changed;
}

static void put_le64(uint8_t *p, uint64_t v) {
        for (unsigned i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p) {
        uint64_t v = 0;

        for (unsigned i = 0; i < 8; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

int bitmap_page_encode(const struct bitmap *b, uint64_t page, uint8_t *out) {
        const uint64_t *w;

        if (page >= b->npages)
                return -ERANGE;
        w = b->words + page * WORDS_PER_PAGE;
        for (unsigned i = 0; i < WORDS_PER_PAGE; i++)
                put_le64(out + 8 * i, w[i]);
        return 0;
}

int bitmap_load_pages(struct bitmap *b, uint64_t first_page, const uint8_t *buf,
                      size_t len, char *reason, size_t reason_size) {
        uint64_t npages, first_word, nwords, old = 0, new = 0;

        if (len % BITMAP_PAGE_SIZE != 0) {
                reason_set(reason, reason_size,
                           "bitmap data of %zu bytes is not a whole number of %u-byte pages",
                           len, BITMAP_PAGE_SIZE);
                return -ERANGE;
        }
        npages = len / BITMAP_PAGE_SIZE;
        if (first_page > b->npages || npages > b->npages - first_page) {
                reason_set(reason, reason_size,
                           "bitmap pages %" PRIu64 "..%" PRIu64 " beyond the last page %" PRIu64,
                           first_page, first_page + npages, b->npages);
                return -ERANGE;
        }
        first_word = first_page * WORDS_PER_PAGE;
        nwords = npages * WORDS_PER_PAGE;

        /* Validate before changing anything: bits past the end must be 0. */
        for (uint64_t i = 0; i < nwords; i++) {
                uint64_t w = first_word + i, v = get_le64(buf + 8 * i), valid;

                if (w * 64 >= b->nbits)
                        valid = 0;
                else if (b->nbits - w * 64 >= 64)
                        valid = ~UINT64_C(0);
                else
                        valid = (UINT64_C(1) << (b->nbits - w * 64)) - 1;
                if (v & ~valid) {
                        reason_set(reason, reason_size,
                                   "bit %" PRIu64 " is set but the bitmap has only %" PRIu64 " bits",
                                   w * 64 + (uint64_t) __builtin_ctzll(v & ~valid), b->nbits);
                        return -EBADMSG;
                }
        }

        for (uint64_t i = 0; i < nwords; i++) {
                uint64_t v = get_le64(buf + 8 * i);

                old += (uint64_t) __builtin_popcountll(b->words[first_word + i]);
                new += (uint64_t) __builtin_popcountll(v);
                b->words[first_word + i] = v;
        }
        b->count = b->count - old + new;
        for (uint64_t p = 0; p < npages; p++)
                bitmap_page_mark_clean(b, first_page + p);
        return 0;
}
