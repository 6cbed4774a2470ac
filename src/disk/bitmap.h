/* SPDX-License-Identifier: GPL-2.0-or-later */
/* In-memory bitmaps of tandem-diskd: the out-of-sync bitmap (one bit per
 * 4 KiB block) and the write-intent bitmap (one bit per chunk), with an
 * O(1) count of set bits and tracking of which on-disk pages changed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* On disk a bitmap is a sequence of 4 KiB pages, each 512 little-endian
 * 64-bit words; bit i is bit (i % 64) of word i / 64. Bits past the end
 * of the bitmap in its last page are zero. */
#define BITMAP_PAGE_SIZE 4096u
#define BITMAP_BITS_PER_PAGE (BITMAP_PAGE_SIZE * 8u)

/* The largest bitmap bitmap_new accepts: 2^40 bits (128 GiB of memory),
 * far beyond any real volume (16 TiB at 4 KiB per bit is 2^32 bits). */
#define BITMAP_MAX_BITS (UINT64_C(1) << 40)

struct bitmap;

/* Number of 4 KiB pages a bitmap of nbits bits takes on disk. */
static inline uint64_t bitmap_pages_for(uint64_t nbits) {
        return nbits / BITMAP_BITS_PER_PAGE + (nbits % BITMAP_BITS_PER_PAGE != 0);
}

/* Creates a bitmap of nbits bits, all clear and all pages clean, each bit
 * standing for bytes_per_bit bytes (a power of two) of the device it
 * describes. -EINVAL if bytes_per_bit is not a power of two, -EFBIG if
 * nbits exceeds BITMAP_MAX_BITS or nbits * bytes_per_bit does not fit in
 * 64 bits, -ENOMEM. Free with bitmap_free(). */
int bitmap_new(uint64_t nbits, uint64_t bytes_per_bit, struct bitmap **ret);

/* Frees b. NULL is allowed. */
void bitmap_free(struct bitmap *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct bitmap *, bitmap_free);
#define _cleanup_bitmap_ _cleanup_(bitmap_freep)

/* Number of bits, bytes each bit stands for, and on-disk pages. */
uint64_t bitmap_size(const struct bitmap *b);
uint64_t bitmap_bytes_per_bit(const struct bitmap *b);
uint64_t bitmap_pages(const struct bitmap *b);

/* Number of set bits; kept up to date by every change, O(1). */
uint64_t bitmap_count(const struct bitmap *b);

/* Single bits. bitmap_test returns 1 if set, 0 if clear; set/clear return
 * 1 if the bit changed, 0 if it already had that value. All return
 * -ERANGE if bit >= bitmap_size(b). */
int bitmap_test(const struct bitmap *b, uint64_t bit);
int bitmap_set(struct bitmap *b, uint64_t bit);
int bitmap_clear(struct bitmap *b, uint64_t bit);

/* Ranges of count bits from first. set/clear return how many bits changed
 * value, count_range how many are set; -ERANGE if the range reaches past
 * the end. count == 0 is an empty range and returns 0. */
int64_t bitmap_set_range(struct bitmap *b, uint64_t first, uint64_t count);
int64_t bitmap_clear_range(struct bitmap *b, uint64_t first, uint64_t count);
int64_t bitmap_count_range(const struct bitmap *b, uint64_t first, uint64_t count);

/* Byte ranges of the described device. Marking sets every bit that
 * overlaps [offset, offset + length) (rounds outward: a write touching
 * part of a block makes the whole block out of sync); clearing clears only
 * bits whose whole span lies inside (rounds inward: a partial block is not
 * known to be in sync). Return the number of bits changed, or -ERANGE if
 * the range reaches past bitmap_size(b) * bitmap_bytes_per_bit(b). */
int64_t bitmap_mark_bytes(struct bitmap *b, uint64_t offset, uint64_t length);
int64_t bitmap_clear_bytes(struct bitmap *b, uint64_t offset, uint64_t length);

/* The first set (clear) bit at or after from, or bitmap_size(b) if there
 * is none. Skips whole words, so scanning a sparse bitmap is fast. */
uint64_t bitmap_find_next_set(const struct bitmap *b, uint64_t from);
uint64_t bitmap_find_next_clear(const struct bitmap *b, uint64_t from);

/* For every set bit of src, marks in dst the bytes it stands for (as
 * bitmap_mark_bytes, clipped to the end of dst). Both bitmaps describe the
 * same device at different granularities: this adds every chunk of the
 * write-intent bitmap to the out-of-sync bitmap after a crash. Returns the
 * number of dst bits changed. */
int64_t bitmap_mark_from(struct bitmap *dst, const struct bitmap *src);

/* Dirty pages: a page becomes dirty when one of its bits changes value and
 * stays dirty until bitmap_page_mark_clean(). A writer encodes a page,
 * marks it clean, then writes it; a change made meanwhile makes it dirty
 * again, and a failed write should bitmap_page_mark_dirty() it. */
uint64_t bitmap_dirty_pages(const struct bitmap *b);
bool bitmap_page_is_dirty(const struct bitmap *b, uint64_t page);

/* The first dirty page at or after from, or bitmap_pages(b) if none. */
uint64_t bitmap_next_dirty_page(const struct bitmap *b, uint64_t from);

/* Page state changes; pages >= bitmap_pages(b) are ignored. */
void bitmap_page_mark_clean(struct bitmap *b, uint64_t page);
void bitmap_page_mark_dirty(struct bitmap *b, uint64_t page);
void bitmap_mark_all_dirty(struct bitmap *b);

/* Writes the on-disk encoding of page (BITMAP_PAGE_SIZE bytes) to out.
 * -ERANGE if page >= bitmap_pages(b). Does not change the dirty state. */
int bitmap_page_encode(const struct bitmap *b, uint64_t page, uint8_t *out);

/* Loads len bytes (a multiple of BITMAP_PAGE_SIZE) of on-disk encoding
 * into the pages starting at first_page, replacing their bits; the count
 * is updated and the loaded pages become clean (they match the disk).
 * Rejects, leaving b unchanged, a length that is not a whole number of
 * pages or reaches past the last page (-ERANGE), and a set bit past the
 * end of the bitmap (-EBADMSG: the data is not a bitmap of this size). On
 * failure a message naming the problem is written to reason (if not
 * NULL, at most reason_size bytes). */
int bitmap_load_pages(struct bitmap *b, uint64_t first_page, const uint8_t *buf,
                      size_t len, char *reason, size_t reason_size);
