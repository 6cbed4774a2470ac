/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the replication wire protocol: arbitrary bytes go
 * through the frame reader (whole, and in pieces, under several sessions)
 * and, with the first byte choosing the type, straight into a decoder.
 * Whatever decodes must re-encode to a frame that decodes and encodes to
 * the same bytes again. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static uint16_t known_types[64];
static size_t n_known;

static void init_types(void) {
        if (n_known)
                return;
        for (unsigned t = 0; t < 0x100 && n_known < 64; t++)
                if (wire_packet_info((uint16_t) t))
                        known_types[n_known++] = (uint16_t) t;
}

/* Encodes p into out and reads it back as a frame; both must succeed. */
static void reencode(const struct wire_packet *p, struct buf *out, struct wire_frame *f) {
        char why[256];
        size_t need;

        buf_clear(out);
        CHECK(wire_packet_encode(out, p) == 0);
        CHECK(wire_frame_next(NULL, out, f, &need, why, sizeof why) == 1);
        CHECK(f->frame_len == out->len);
        CHECK(f->hdr.type == p->type && f->hdr.volume == p->volume);
}

static void check_bitmap(const struct wire_bitmap *bm) {
        struct wire_bitmap_iter it;
        uint64_t start, count, next = bm->bit_offset;
        bool set, prev = false, first = true;

        wire_bitmap_iter_init(&it, bm);
        while (wire_bitmap_iter_next(&it, &start, &count, &set)) {
                CHECK(start == next && count > 0);
                /* RLE runs alternate; plain runs are maximal */
                CHECK(first || set != prev);
                prev = set;
                first = false;
                next += count;
        }
        CHECK(next - bm->bit_offset == bm->bit_count);
}

static void check_frame(const struct wire_frame *f) {
        struct buf a = BUF_INIT, b = BUF_INIT;
        struct wire_packet p, p2;
        struct wire_frame fa, fb;
        char why[256];

        why[0] = '\0';
        if (wire_packet_decode(f, &p, why, sizeof why) < 0) {
                CHECK(why[0] != '\0'); /* every rejection says why */
                return;
        }
        reencode(&p, &a, &fa);
        CHECK(wire_packet_decode(&fa, &p2, why, sizeof why) == 0);
        reencode(&p2, &b, &fb);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);

        /* Decoding is canonical except where documented: HELLO ignores
         * trailing fields, AUTH_CHALLENGE accepts other spellings of the
         * algorithm. */
        if (f->hdr.type == WIRE_P_HELLO)
                CHECK(fa.payload_len <= f->payload_len &&
                      memcmp(fa.payload, f->payload, fa.payload_len) == 0);
        else if (f->hdr.type != WIRE_P_AUTH_CHALLENGE)
                CHECK(fa.payload_len == f->payload_len &&
                      memcmp(fa.payload, f->payload, f->payload_len) == 0);

        if (p.type == WIRE_P_BITMAP)
                check_bitmap(&p.bitmap);
        if (p.type == WIRE_P_DATA || p.type == WIRE_P_RS_DATA_REPLY) {
                buf_clear(&b);
                CHECK(wire_data_encode_header(&b, p.type, p.volume, &p.data) == 0);
                CHECK(buf_append(&b, p.data.data, p.data.data_len) == 0);
                CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        }
        buf_free(&a);
        buf_free(&b);
}

/* Reads every frame of data under s; returns how many were read. With
 * step > 0 the input arrives step bytes at a time. */
static size_t read_stream(const struct wire_session *s, const uint8_t *data, size_t size, size_t step,
                          uint16_t *types, size_t max_types) {
        struct buf in = BUF_INIT;
        size_t pos = 0, n = 0;
        char why[256];

        for (;;) {
                struct wire_frame f;
                size_t need = 0;
                int r;

                r = wire_frame_next(s, &in, &f, &need, why, sizeof why);
                if (r == 1) {
                        CHECK(f.frame_len >= WIRE_HEADER_SIZE && f.frame_len <= in.len);
                        if (n < max_types)
                                types[n] = f.hdr.type;
                        n++;
                        if (!s)
                                check_frame(&f);
                        buf_consume(&in, f.frame_len);
                        continue;
                }
                if (r < 0)
                        break;
                CHECK(need > 0 && need <= WIRE_HEADER_SIZE + WIRE_MAX_PAYLOAD);
                if (pos == size)
                        break;
                size_t chunk = step ? step : size - pos;
                if (chunk > size - pos)
                        chunk = size - pos;
                CHECK(buf_append(&in, data + pos, chunk) == 0);
                pos += chunk;
        }
        buf_free(&in);
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct wire_session sessions[] = {
                { 0, 0 }, { 1, 0 }, { 1, WIRE_FEATURES_KNOWN },
        };
        uint16_t whole[64], pieces[64];
        size_t n_whole, n_pieces;

        init_types();

        /* The stream as a whole and byte by byte (short inputs) or in odd
         * pieces must yield the same frames. */
        n_whole = read_stream(NULL, data, size, 0, whole, 64);
        n_pieces = read_stream(NULL, data, size, size < 512 ? 1 : 61, pieces, 64);
        CHECK(n_whole == n_pieces);
        CHECK(memcmp(whole, pieces, sizeof(uint16_t) * (n_whole < 64 ? n_whole : 64)) == 0);
        for (size_t i = 0; i < sizeof sessions / sizeof sessions[0]; i++)
                CHECK(read_stream(&sessions[i], data, size, 0, pieces, 64) <= n_whole);

        /* Straight into a decoder: the first byte picks the type. */
        if (size >= 1) {
                struct wire_frame f = {
                        .hdr = { .type = known_types[data[0] % n_known], .length = (uint32_t) (size - 1) },
                        .payload = data + 1,
                        .payload_len = size - 1,
                        .frame_len = WIRE_HEADER_SIZE + size - 1,
                };
                if (wire_packet_info(f.hdr.type)->scope == WIRE_SCOPE_VOLUME && size >= 2)
                        f.hdr.volume = data[1];
                check_frame(&f);
        }
        return 0;
}
