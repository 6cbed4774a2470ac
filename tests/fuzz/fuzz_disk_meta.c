/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the metadata parsers: meta_super_decode on the raw
 * input and on a copy with a correct checksum (so that the field checks
 * are reached), the encode/decode round trip of whatever decodes, layouts
 * from arbitrary sizes, and bitmap_load_pages on arbitrary pages. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, unsigned n) {
        uint64_t v = 0;

        for (unsigned i = 0; i < n; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

/* Whatever decodes must re-encode to bytes that decode to the same. */
static void check_decode(const uint8_t *buf, size_t len) {
        struct meta_super sb, again;
        uint8_t a[META_SUPER_SIZE], b[META_SUPER_SIZE];
        char reason[META_REASON_SIZE] = "";

        if (meta_super_decode(buf, len, &sb, reason, sizeof(reason)) < 0) {
                if (reason[0] == '\0')
                        abort();        /* every rejection says why */
                return;
        }
        meta_super_encode(&sb, a);
        if (meta_super_decode(a, sizeof(a), &again, reason, sizeof(reason)) != 0)
                abort();
        meta_super_encode(&again, b);
        if (memcmp(a, b, sizeof(a)) != 0)
                abort();
        /* Only reserved bytes may differ from the input: 208..255, the
         * last 16 bytes of each 32-byte peer slot, 384..4091. */
        if (memcmp(a, buf, 208) != 0)
                abort();
        for (unsigned i = 0; i < META_MAX_PEERS; i++)
                if (memcmp(a + 256 + 32 * i, buf + 256 + 32 * i, 16) != 0)
                        abort();
}

static void check_resealed(const uint8_t *data, size_t size) {
        uint8_t buf[META_SUPER_SIZE];
        uint32_t c;

        if (size < META_SUPER_SIZE)
                return;
        memcpy(buf, data, META_SUPER_SIZE);
        c = meta_crc32c(0, buf, META_SUPER_SIZE - 4);
        for (unsigned i = 0; i < 4; i++)
                buf[META_SUPER_SIZE - 4 + i] = (uint8_t) (c >> (8 * i));
        check_decode(buf, sizeof(buf));
}

/* A layout that meta_layout_compute returns must pass the decoder. */
static void check_layout(const uint8_t *data, size_t size) {
        struct meta_location loc;
        struct meta_layout l;
        struct meta_super sb;
        uint8_t buf[META_SUPER_SIZE];
        char reason[META_REASON_SIZE] = "";

        if (size < 24)
                return;
        loc.kind = (enum meta_kind) (data[0] % 3 + 1);
        loc.index = data[1];
        if (meta_layout_compute(le(data + 8, 8), &loc, le(data + 16, 8), UINT32_C(1) << (data[2] % 32),
                                &l, reason, sizeof(reason)) < 0) {
                if (reason[0] == '\0')
                        abort();
                return;
        }
        meta_super_init(&sb, &l, data[3] % (META_NODE_ID_MAX + 1), 1);
        meta_super_encode(&sb, buf);
        if (meta_super_decode(buf, sizeof(buf), &sb, reason, sizeof(reason)) != 0)
                abort();
}

/* Bytes 0-3: bit count, 4: log2 of bytes per bit, 5: first page; the
 * rest is page data. What loads must encode back to the same bytes. */
static void check_bitmap(const uint8_t *data, size_t size) {
        struct bitmap *b = NULL;
        uint8_t page[BITMAP_PAGE_SIZE];
        uint64_t nbits, first, npages, count = 0;
        size_t len;
        char reason[128] = "";
        int r;

        if (size < 6)
                return;
        nbits = le(data, 4) % (3 * BITMAP_BITS_PER_PAGE + 1);
        if (bitmap_new(nbits, UINT64_C(1) << (data[4] % 40), &b) < 0)
                return;
        first = data[5] % 4;
        len = size - 6;
        r = bitmap_load_pages(b, first, data + 6, len, reason, sizeof(reason));
        if (r < 0) {
                if (reason[0] == '\0')
                        abort();
                bitmap_free(b);
                return;
        }
        npages = len / BITMAP_PAGE_SIZE;
        for (uint64_t p = 0; p < npages; p++) {
                if (bitmap_page_encode(b, first + p, page) != 0 ||
                    memcmp(page, data + 6 + p * BITMAP_PAGE_SIZE, BITMAP_PAGE_SIZE) != 0)
                        abort();
        }
        for (uint64_t i = bitmap_find_next_set(b, 0); i < nbits; i = bitmap_find_next_set(b, i + 1))
                count++;
        if (count != bitmap_count(b) || bitmap_dirty_pages(b) != 0)
                abort();
        bitmap_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check_decode(data, size);
        check_resealed(data, size);
        check_layout(data, size);
        check_bitmap(data, size);
        return 0;
}
