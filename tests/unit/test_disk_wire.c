/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for wire.h: a round trip of every packet type with edge
 * values, the rejection paths of the decoders and the frame reader,
 * negotiation, the connect race, HMAC authentication, SETTINGS comparison
 * and the bitmap encodings. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gnutls/crypto.h>
#include <inttypes.h>
#include <sys/param.h>

#include "wire.h"

#define MiB (1024u * 1024u)

static uint8_t big_data[WIRE_MAX_DATA];

/* ---- samples ------------------------------------------------------------ */

static const uint16_t all_types[] = {
        WIRE_P_HELLO, WIRE_P_AUTH_CHALLENGE, WIRE_P_AUTH_RESPONSE, WIRE_P_SETTINGS, WIRE_P_SIZES,
        WIRE_P_UUIDS, WIRE_P_STATE, WIRE_P_STATE_CHANGE_REQUEST, WIRE_P_STATE_CHANGE_REPLY,
        WIRE_P_PING, WIRE_P_PING_ACK, WIRE_P_DISCONNECT, WIRE_P_ERROR, WIRE_P_DATA, WIRE_P_RECV_ACK,
        WIRE_P_WRITE_ACK, WIRE_P_NEG_ACK, WIRE_P_BARRIER, WIRE_P_BARRIER_ACK, WIRE_P_OUT_OF_SYNC,
        WIRE_P_BITMAP, WIRE_P_RS_DATA_REQUEST, WIRE_P_RS_DATA_REPLY, WIRE_P_RS_IS_IN_SYNC,
        WIRE_P_RS_CANCEL, WIRE_P_OV_REQUEST, WIRE_P_OV_REPLY, WIRE_P_OV_RESULT, WIRE_P_SYNC_PARAMS,
        WIRE_P_SYNC_PAUSE, WIRE_P_SYNC_RESUME,
};

#define NVARIANTS 3

static void fill(char *s, size_t n, char c) {
        memset(s, c, n);
        s[n] = '\0';
}

/* A valid packet of type: variant 0 has the largest values, 1 the smallest,
 * 2 another corner (feature variants, other enum values). */
static void sample(uint16_t type, int variant, struct wire_packet *p) {
        static const uint8_t rle_body[] = { 100, 0xc8, 0x01 };     /* 100 set, 200 clear */
        static const uint8_t plain_body[] = {
                0x80, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0f, /* 100 bits */
        };
        bool big = variant == 0;

        memset(p, 0, sizeof *p);
        p->type = type;
        if (wire_packet_info(type)->scope == WIRE_SCOPE_VOLUME)
                p->volume = big ? UINT16_MAX : 0;

        switch (type) {
        case WIRE_P_HELLO:
                p->hello = (struct wire_hello) {
                        .version_min = 1, .version_max = big ? UINT32_MAX : 1,
                        .features = big ? UINT64_MAX : 0, .instance_id = big ? UINT64_MAX : 1,
                        .node_id = big ? WIRE_NODE_ID_MAX : 0,
                        .flags = big ? WIRE_HELLO_FLAGS : variant == 2 ? WIRE_HELLO_INITIATOR : 0,
                };
                if (big) {
                        fill(p->hello.host, WIRE_NAME_MAX, 'h');
                        strcpy(p->hello.resource, "r\xc3\xa9-0_9.x"); /* UTF-8 passes */
                } else {
                        strcpy(p->hello.host, "a");
                        strcpy(p->hello.resource, "b");
                }
                break;
        case WIRE_P_AUTH_CHALLENGE:
                p->auth_challenge.alg = big ? WIRE_HMAC_SHA512 : variant == 1 ? WIRE_HMAC_MD5 : WIRE_HMAC_SHA1;
                p->auth_challenge.challenge_len = big ? WIRE_AUTH_CHALLENGE_MAX : WIRE_AUTH_CHALLENGE_MIN;
                memset(p->auth_challenge.challenge, big ? 0xff : 0x5a, p->auth_challenge.challenge_len);
                break;
        case WIRE_P_AUTH_RESPONSE:
                p->auth_response.response_len = big ? 64 : variant == 1 ? 16 : 20;
                memset(p->auth_response.response, 0xa5, p->auth_response.response_len);
                break;
        case WIRE_P_SETTINGS:
                if (big) {
                        p->settings = (struct wire_settings) {
                                .protocol = WIRE_PROTOCOL_C, .flags = WIRE_SETTINGS_FLAGS,
                                .after_sb_0pri = WIRE_ASB_DISCARD_NODE,
                                .after_sb_1pri = WIRE_ASB_CALL_PRI_LOST_AFTER_SB,
                                .after_sb_2pri = WIRE_ASB_VIOLENTLY_AS0P,
                        };
                        fill(p->settings.discard_node, WIRE_NAME_MAX, 'n');
                        fill(p->settings.integrity_alg, WIRE_ALG_MAX, 'i');
                        fill(p->settings.verify_alg, WIRE_ALG_MAX, 'v');
                        fill(p->settings.csums_alg, WIRE_ALG_MAX, 'c');
                } else if (variant == 1) {
                        p->settings = (struct wire_settings) {
                                .protocol = WIRE_PROTOCOL_A, .after_sb_0pri = WIRE_ASB_DISCONNECT,
                                .after_sb_1pri = WIRE_ASB_DISCONNECT, .after_sb_2pri = WIRE_ASB_DISCONNECT,
                        };
                } else {
                        p->settings = (struct wire_settings) {
                                .protocol = WIRE_PROTOCOL_B, .after_sb_0pri = WIRE_ASB_DISCARD_LEAST_CHANGES,
                                .after_sb_1pri = WIRE_ASB_CONSENSUS,
                                .after_sb_2pri = WIRE_ASB_CALL_PRI_LOST_AFTER_SB,
                        };
                        strcpy(p->settings.csums_alg, "sha1");
                }
                break;
        case WIRE_P_SIZES:
                p->sizes = (struct wire_sizes) {
                        .backing_size = big ? UINT64_MAX - 511 : 0, .usable_size = big ? UINT64_MAX - 511 : 0,
                        .requested_size = big ? UINT64_MAX - 511 : 0, .current_size = big ? UINT64_MAX - 511 : 0,
                        .max_io_size = big ? WIRE_MAX_DATA : 512, .flags = big ? WIRE_SIZES_FLAGS : 0,
                };
                break;
        case WIRE_P_UUIDS:
                if (big) {
                        p->uuids = (struct wire_uuids) {
                                .current = UINT64_MAX, .bitmap = UINT64_MAX - 1,
                                .history = { 1, 2, 3, UINT64_MAX }, .bits_set = UINT64_MAX,
                                .flags = WIRE_UUID_FLAGS,
                        };
                }
                break;
        case WIRE_P_STATE:
                p->state = big ? (struct wire_state) { WIRE_ROLE_SECONDARY, WIRE_DISK_UP_TO_DATE,
                                                       WIRE_REPL_VERIFY_TARGET, WIRE_STATE_FLAGS }
                               : (struct wire_state) { WIRE_ROLE_PRIMARY, WIRE_DISK_DISKLESS,
                                                       WIRE_REPL_ESTABLISHED, 0 };
                break;
        case WIRE_P_STATE_CHANGE_REQUEST:
                p->sc_request = big ? (struct wire_state_change_request) { UINT32_MAX, WIRE_ROLE_SECONDARY,
                                                                           WIRE_SCR_FORCE }
                                    : (struct wire_state_change_request) { 0, WIRE_ROLE_PRIMARY, 0 };
                break;
        case WIRE_P_STATE_CHANGE_REPLY:
                p->sc_reply.request_id = big ? UINT32_MAX : 0;
                p->sc_reply.result = big ? WIRE_SC_REFUSED : WIRE_SC_GRANTED;
                if (big) {
                        fill(p->sc_reply.text, WIRE_TEXT_MAX, 'x');
                        p->sc_reply.text[3] = ' ';
                }
                break;
        case WIRE_P_PING:
        case WIRE_P_PING_ACK:
                p->ping.cookie = big ? UINT64_MAX : 0;
                break;
        case WIRE_P_DISCONNECT:
        case WIRE_P_ERROR:
                p->close.reason = big ? WIRE_REASON_INTERNAL : WIRE_REASON_PROTOCOL;
                if (big)
                        fill(p->close.text, WIRE_TEXT_MAX, 't');
                break;
        case WIRE_P_DATA:
                if (big)
                        p->data = (struct wire_data) {
                                .id = UINT64_MAX, .offset = UINT64_MAX - 2 * (uint64_t) MiB + 1,
                                .length = WIRE_MAX_DATA, .flags = WIRE_DATA_FUA | WIRE_DATA_FLUSH | WIRE_DATA_RESYNC,
                                .epoch = UINT32_MAX, .data = big_data, .data_len = WIRE_MAX_DATA,
                        };
                else if (variant == 1)
                        p->data = (struct wire_data) { .id = 1, .offset = 0, .length = WIRE_MAX_RANGE,
                                                       .flags = WIRE_DATA_TRIM };
                else
                        p->data = (struct wire_data) { .id = 2, .offset = 512, .length = 4096,
                                                       .flags = WIRE_DATA_WRITE_ZEROES | WIRE_DATA_NO_UNMAP };
                /* the offset must be 512-aligned */
                p->data.offset &= ~(uint64_t) 511;
                break;
        case WIRE_P_RS_DATA_REPLY:
                if (variant == 1)
                        p->data = (struct wire_data) { .id = 0, .length = WIRE_MAX_DATA, .flags = WIRE_RS_ZEROES };
                else
                        p->data = (struct wire_data) { .id = UINT64_MAX, .offset = 4096, .length = 512,
                                                       .data = big_data, .data_len = 512 };
                break;
        case WIRE_P_RECV_ACK:
        case WIRE_P_WRITE_ACK:
        case WIRE_P_NEG_ACK:
        case WIRE_P_OUT_OF_SYNC:
                p->block = big ? (struct wire_block) { UINT64_MAX, 0, WIRE_MAX_RANGE, 0 }
                               : (struct wire_block) { 1, UINT64_MAX - 511 - 512 + 1, 512, 0 };
                p->block.offset &= ~(uint64_t) 511;
                if (type == WIRE_P_OUT_OF_SYNC)
                        p->block.id = 0;
                if (type == WIRE_P_NEG_ACK)
                        p->block.code = big ? WIRE_NEG_NO_DISK : WIRE_NEG_IO_ERROR;
                break;
        case WIRE_P_RS_IS_IN_SYNC:
        case WIRE_P_RS_CANCEL:
        case WIRE_P_OV_REQUEST:
        case WIRE_P_OV_RESULT:
                p->block = big ? (struct wire_block) { UINT64_MAX, 1u << 20, WIRE_MAX_DATA, 0 }
                               : (struct wire_block) { 0, 0, 512, 0 };
                if (type == WIRE_P_RS_CANCEL)
                        p->block.code = big ? WIRE_RS_CANCEL_ABORTED : WIRE_RS_CANCEL_IO_ERROR;
                if (type == WIRE_P_OV_RESULT)
                        p->block.code = big ? WIRE_OV_IO_ERROR : WIRE_OV_IN_SYNC;
                break;
        case WIRE_P_RS_DATA_REQUEST:
        case WIRE_P_OV_REPLY:
                p->digest_block = (struct wire_digest_block) {
                        .id = big ? UINT64_MAX : 0, .offset = big ? 1u << 30 : 0,
                        .length = big ? WIRE_MAX_DATA : 512,
                        .alg = big ? WIRE_DIGEST_SHA512 : variant == 2 || type == WIRE_P_OV_REPLY
                                ? WIRE_DIGEST_CRC32C : WIRE_DIGEST_NONE,
                };
                p->digest_block.digest_len = wire_digest_size(p->digest_block.alg);
                memset(p->digest_block.digest, 0x77, p->digest_block.digest_len);
                break;
        case WIRE_P_BARRIER:
        case WIRE_P_BARRIER_ACK:
                p->barrier = big ? (struct wire_barrier) { UINT32_MAX, UINT32_MAX } : (struct wire_barrier) { 0, 0 };
                break;
        case WIRE_P_BITMAP:
                if (big)
                        p->bitmap = (struct wire_bitmap) {
                                .encoding = WIRE_BITMAP_RLE, .flags = WIRE_BITMAP_FIRST_SET | WIRE_BITMAP_LAST,
                                .bit_offset = 64, .bit_count = 300, .body = rle_body, .body_len = sizeof rle_body,
                        };
                else if (variant == 1)
                        p->bitmap = (struct wire_bitmap) { .encoding = WIRE_BITMAP_PLAIN };
                else
                        p->bitmap = (struct wire_bitmap) {
                                .encoding = WIRE_BITMAP_PLAIN, .bit_offset = UINT64_C(1) << 40,
                                .bit_count = 100, .body = plain_body, .body_len = sizeof plain_body,
                        };
                break;
        case WIRE_P_SYNC_PARAMS:
                if (big) {
                        p->sync_params = (struct wire_sync_params) {
                                .resync_rate = 4u << 20, .c_plan_ahead = 300, .c_fill_target = 1u << 20,
                                .c_delay_target = 100, .c_max_rate = 4u << 20, .c_min_rate = 4u << 20,
                        };
                        fill(p->sync_params.verify_alg, WIRE_ALG_MAX, 'v');
                        fill(p->sync_params.csums_alg, WIRE_ALG_MAX, 'c');
                } else
                        p->sync_params = (struct wire_sync_params) {
                                .resync_rate = 1, .c_delay_target = 1, .c_max_rate = 250,
                        };
                break;
        case WIRE_P_SYNC_PAUSE:
        case WIRE_P_SYNC_RESUME:
                p->sync_pause.reason = big ? WIRE_PAUSE_DEPENDENCY : WIRE_PAUSE_USER;
                break;
        default:
                fail_msg("no sample for type 0x%04x", type);
        }
}

/* Encodes p, reads it back through the frame reader and returns the frame
 * (pointing into b). */
static void encode_frame(const struct wire_packet *p, struct buf *b, struct wire_frame *f) {
        char why[256] = "";
        size_t need = 0;
        int r;

        buf_clear(b);
        r = wire_packet_encode(b, p);
        if (r < 0)
                fail_msg("encoding %s failed: %d", wire_packet_name(p->type), r);
        r = wire_frame_next(NULL, b, f, &need, why, sizeof why);
        if (r != 1)
                fail_msg("reading %s back: %d %s", wire_packet_name(p->type), r, why);
        assert_int_equal(f->frame_len, b->len);
        assert_int_equal(f->hdr.type, p->type);
        assert_int_equal(f->hdr.volume, p->volume);
}

/* ---- round trips ---------------------------------------------------------- */

static void test_header_layout(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        static const uint8_t want[] = {
                'T', 'N', 'D', 'W', 0x00, 0x0a, 0x00, 0x00, 0, 0, 0, 8, 0, 0, 0, 0,
                0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        };

        assert_int_equal(wire_ping_encode(&b, WIRE_P_PING, &(struct wire_ping) { 0x0102030405060708 }), 0);
        assert_int_equal(b.len, sizeof want);
        assert_memory_equal(b.data, want, sizeof want);
}

static void test_roundtrip_all(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT, b2 = BUF_INIT;
        size_t known = 0;

        for (unsigned t = 0; t <= UINT16_MAX; t++)
                if (wire_packet_info((uint16_t) t)) {
                        assert_int_equal(wire_packet_info((uint16_t) t)->type, t);
                        known++;
                }
        assert_int_equal(known, ELEMENTSOF(all_types));
        memset(big_data, 0xd7, sizeof big_data);

        for (size_t i = 0; i < ELEMENTSOF(all_types); i++)
                for (int v = 0; v < NVARIANTS; v++) {
                        const struct wire_packet_info *pi = wire_packet_info(all_types[i]);
                        struct wire_packet in, out;
                        struct wire_frame f;
                        char why[256] = "";
                        int r;

                        sample(all_types[i], v, &in);
                        encode_frame(&in, &b, &f);
                        assert_true(f.payload_len >= pi->min_payload && f.payload_len <= pi->max_payload);
                        r = wire_packet_decode(&f, &out, why, sizeof why);
                        if (r < 0)
                                fail_msg("%s variant %d: %s", pi->name, v, why);
                        assert_int_equal(out.type, in.type);
                        assert_int_equal(out.volume, in.volume);
                        /* re-encoding gives the same bytes, so every field
                         * came back (the explicit checks below and the
                         * patch offsets of the rejection tests pin the
                         * layout itself) */
                        buf_clear(&b2);
                        assert_int_equal(wire_packet_encode(&b2, &out), 0);
                        assert_int_equal(b2.len, b.len);
                        assert_memory_equal(b2.data, b.data, b.len);
                }
}

static void test_roundtrip_values(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        struct wire_packet in, out;
        struct wire_frame f;

        sample(WIRE_P_HELLO, 0, &in);
        encode_frame(&in, &b, &f);
        assert_int_equal(wire_packet_decode(&f, &out, NULL, 0), 0);
        assert_int_equal(out.hello.version_max, UINT32_MAX);
        assert_true(out.hello.features == UINT64_MAX && out.hello.instance_id == UINT64_MAX);
        assert_int_equal(out.hello.node_id, 31);
        assert_int_equal(out.hello.flags, WIRE_HELLO_FLAGS);
        assert_string_equal(out.hello.host, in.hello.host);
        assert_string_equal(out.hello.resource, "r\xc3\xa9-0_9.x");

        sample(WIRE_P_UUIDS, 0, &in);
        encode_frame(&in, &b, &f);
        assert_int_equal(wire_packet_decode(&f, &out, NULL, 0), 0);
        assert_true(out.uuids.current == UINT64_MAX && out.uuids.bitmap == UINT64_MAX - 1);
        assert_true(out.uuids.history[0] == 1 && out.uuids.history[2] == 3 && out.uuids.history[3] == UINT64_MAX);
        assert_int_equal(out.uuids.flags, WIRE_UUID_FLAGS);
        assert_int_equal(out.volume, UINT16_MAX);

        sample(WIRE_P_SETTINGS, 0, &in);
        encode_frame(&in, &b, &f);
        assert_int_equal(wire_packet_decode(&f, &out, NULL, 0), 0);
        assert_int_equal(out.settings.protocol, WIRE_PROTOCOL_C);
        assert_int_equal(out.settings.after_sb_0pri, WIRE_ASB_DISCARD_NODE);
        assert_int_equal(out.settings.after_sb_2pri, WIRE_ASB_VIOLENTLY_AS0P);
        assert_int_equal(strlen(out.settings.csums_alg), WIRE_ALG_MAX);
        assert_int_equal(wire_settings_compare(&in.settings, &out.settings, NULL, 0), -EPROTO);
        out.settings.flags &= ~WIRE_SETTINGS_DISCARD_MY_DATA; /* may be set on one side only */
        assert_int_equal(wire_settings_compare(&in.settings, &out.settings, NULL, 0), 0);

        sample(WIRE_P_AUTH_CHALLENGE, 0, &in);
        encode_frame(&in, &b, &f);
        assert_memory_equal(f.payload, "\x06sha512\x40\xff", 9);
        assert_int_equal(wire_packet_decode(&f, &out, NULL, 0), 0);
        assert_int_equal(out.auth_challenge.alg, WIRE_HMAC_SHA512);
        assert_int_equal(out.auth_challenge.challenge_len, 64);

        memset(big_data, 0xd7, sizeof big_data);
        sample(WIRE_P_DATA, 0, &in);
        encode_frame(&in, &b, &f);
        assert_int_equal(b.len, WIRE_HEADER_SIZE + 32 + WIRE_MAX_DATA);
        assert_int_equal(wire_packet_decode(&f, &out, NULL, 0), 0);
        assert_true(out.data.id == UINT64_MAX && out.data.epoch == UINT32_MAX);
        assert_int_equal(out.data.offset, in.data.offset);
        assert_int_equal(out.data.flags, in.data.flags);
        assert_int_equal(out.data.data_len, WIRE_MAX_DATA);
        assert_ptr_equal(out.data.data, f.payload + 32);
        assert_memory_equal(out.data.data, big_data, WIRE_MAX_DATA);

        sample(WIRE_P_DATA, 1, &in); /* TRIM: no data, 128 MiB */
        encode_frame(&in, &b, &f);
        assert_int_equal(f.payload_len, 32);
        assert_int_equal(wire_packet_decode(&f, &out, NULL, 0), 0);
        assert_int_equal(out.data.length, WIRE_MAX_RANGE);
        assert_null(out.data.data);
        assert_int_equal(out.data.data_len, 0);

        sample(WIRE_P_BITMAP, 0, &in);
        encode_frame(&in, &b, &f);
        assert_int_equal(wire_packet_decode(&f, &out, NULL, 0), 0);
        assert_int_equal(out.bitmap.encoding, WIRE_BITMAP_RLE);
        assert_int_equal(out.bitmap.flags, WIRE_BITMAP_FIRST_SET | WIRE_BITMAP_LAST);
        assert_int_equal(out.bitmap.bit_offset, 64);
        assert_int_equal(out.bitmap.bit_count, 300);
        assert_int_equal(out.bitmap.body_len, 3);
        assert_memory_equal(out.bitmap.body, in.bitmap.body, 3);
}

/* The smallest encoding of each variable-length type is the table's
 * minimum, so the reader never refuses a valid packet. */
static void test_min_sizes(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        for (size_t i = 0; i < ELEMENTSOF(all_types); i++) {
                const struct wire_packet_info *pi = wire_packet_info(all_types[i]);
                struct wire_packet p;
                struct wire_frame f;

                sample(all_types[i], 1, &p);
                if (all_types[i] == WIRE_P_OV_REPLY)
                        continue; /* a digest is required: never below 29 */
                encode_frame(&p, &b, &f);
                if (f.payload_len != pi->min_payload)
                        fail_msg("%s: smallest payload %zu, table says %u", pi->name, f.payload_len,
                                 pi->min_payload);
        }
        assert_int_equal(wire_packet_info(WIRE_P_OV_REPLY)->min_payload, 25);
}

static void test_data_header_only(void **state) {
        _cleanup_buf_ struct buf whole = BUF_INIT, split = BUF_INIT;
        struct wire_data d = { .id = 7, .offset = 8192, .length = 4096, .epoch = 3, .data = big_data,
                               .data_len = 4096 };

        assert_int_equal(wire_data_encode(&whole, WIRE_P_DATA, 2, &d), 0);
        assert_int_equal(wire_data_encode_header(&split, WIRE_P_DATA, 2, &d), 0);
        assert_int_equal(split.len, WIRE_HEADER_SIZE + 32);
        assert_int_equal(buf_append(&split, big_data, 4096), 0);
        assert_int_equal(split.len, whole.len);
        assert_memory_equal(split.data, whole.data, whole.len);
        d.data = NULL; /* header only needs no data pointer */
        buf_clear(&split);
        assert_int_equal(wire_data_encode_header(&split, WIRE_P_DATA, 2, &d), 0);
        assert_int_equal(wire_data_encode(&split, WIRE_P_DATA, 2, &d), -EINVAL);
}

/* Encoders refuse invalid structs and leave the buffer as it was. */
static void expect_encode_einval(const struct wire_packet *p) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        assert_int_equal(buf_append_str(&b, "prefix"), 0);
        if (wire_packet_encode(&b, p) != -EINVAL)
                fail_msg("%s: invalid struct was encoded", wire_packet_name(p->type));
        assert_int_equal(b.len, 6);
        assert_string_equal(b.data, "prefix");
}

static void test_encode_rejects(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        struct wire_packet p;

        sample(WIRE_P_HELLO, 1, &p);
        p.hello.node_id = 32;
        expect_encode_einval(&p);
        sample(WIRE_P_HELLO, 1, &p);
        p.hello.host[0] = '\0';
        expect_encode_einval(&p);
        sample(WIRE_P_PING, 1, &p);
        p.volume = 1; /* connection packet */
        expect_encode_einval(&p);
        sample(WIRE_P_SETTINGS, 1, &p);
        p.settings.protocol = 0;
        expect_encode_einval(&p);
        sample(WIRE_P_SETTINGS, 1, &p);
        p.settings.after_sb_1pri = WIRE_ASB_DISCARD_ZERO_CHANGES;
        expect_encode_einval(&p);
        sample(WIRE_P_DATA, 0, &p);
        p.data.data_len = 512;
        expect_encode_einval(&p);
        sample(WIRE_P_AUTH_CHALLENGE, 1, &p);
        p.auth_challenge.challenge_len = 65;
        expect_encode_einval(&p);
        sample(WIRE_P_BITMAP, 0, &p);
        p.bitmap.bit_count = 301;
        expect_encode_einval(&p);
        sample(WIRE_P_STATE, 1, &p);
        p.state.disk = 1000; /* would not fit the u8 either */
        expect_encode_einval(&p);
        p.type = 0x7777;
        expect_encode_einval(&p);

        /* a shared-layout encoder given a type of another layout */
        assert_int_equal(wire_block_encode(&b, WIRE_P_DATA, 0, &(struct wire_block) { 1, 0, 512, 0 }), -EINVAL);
        assert_int_equal(wire_ping_encode(&b, WIRE_P_BARRIER, &(struct wire_ping) { 1 }), -EINVAL);
        assert_int_equal(wire_close_decode(WIRE_P_PING, "\0\0\0\1\0", 5, &p.close, NULL, 0), -EINVAL);
        assert_int_equal(b.len, 0);
}

/* ---- decoder rejections --------------------------------------------------- */

struct patch {
        size_t off;
        unsigned width;  /* bytes written at off, big-endian */
        uint64_t value;
        size_t len;      /* new payload length (cut or zero-extended), or SIZE_MAX */
};

/* Encodes sample(type, variant), applies the patch to the payload and
 * expects the decoder to fail with -EBADMSG and a reason containing sub. */
static void expect_bad(uint16_t type, int variant, struct patch pt, const char *sub) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_free_ uint8_t *payload = NULL;
        struct wire_packet p, out;
        struct wire_frame f;
        char why[256] = "";
        size_t len;
        int r;

        sample(type, variant, &p);
        encode_frame(&p, &b, &f);
        len = pt.len == SIZE_MAX ? f.payload_len : pt.len;
        payload = calloc(1, MAX(len, f.payload_len) + 1);
        assert_non_null(payload);
        memcpy(payload, f.payload, f.payload_len);
        for (unsigned i = 0; i < pt.width && pt.off + i < MAX(len, f.payload_len); i++)
                payload[pt.off + i] = (uint8_t) (pt.value >> (8 * (pt.width - 1 - i)));
        f.payload = payload;
        f.payload_len = len;
        r = wire_packet_decode(&f, &out, why, sizeof why);
        if (r != -EBADMSG || !strstr(why, sub))
                fail_msg("%s variant %d patched at %zu: got %d \"%s\", expected \"%s\"",
                         wire_packet_name(type), variant, pt.off, r, why, sub);
}

#define TRUNC(n) ((struct patch) { 0, 0, 0, (n) })
#define SET(o, w, v) ((struct patch) { (o), (w), (v), SIZE_MAX })
#define SETLEN(o, w, v, n) ((struct patch) { (o), (w), (v), (n) })

static void test_reject_handshake(void **state) {
        /* HELLO: fixed part 32 bytes, then host (len at 32), resource */
        expect_bad(WIRE_P_HELLO, 1, TRUNC(20), "ends inside instance id");
        expect_bad(WIRE_P_HELLO, 1, TRUNC(26), "ends inside node id");
        expect_bad(WIRE_P_HELLO, 1, TRUNC(0), "payload of 0 bytes ends inside version_min");
        expect_bad(WIRE_P_HELLO, 1, TRUNC(35), "ends inside resource name");
        expect_bad(WIRE_P_HELLO, 1, SET(0, 4, 0), "version_min is 0");
        expect_bad(WIRE_P_HELLO, 1, SET(0, 4, 2), "version range 2..1 is empty");
        expect_bad(WIRE_P_HELLO, 1, SET(16, 8, 0), "instance id is 0");
        expect_bad(WIRE_P_HELLO, 1, SET(24, 4, 32), "node id 32 is above 31");
        expect_bad(WIRE_P_HELLO, 1, SET(28, 4, 4), "reserved flag bits 0x4");
        expect_bad(WIRE_P_HELLO, 1, SET(33, 1, ' '), "host name has a forbidden character 0x20");
        expect_bad(WIRE_P_HELLO, 1, SET(33, 1, 0), "host name contains a NUL byte");
        expect_bad(WIRE_P_HELLO, 1, SET(33, 1, '\n'), "forbidden character 0x0a");
        expect_bad(WIRE_P_HELLO, 1, SET(32, 2, 0x0001), "host name is empty");
        expect_bad(WIRE_P_HELLO, 1, SET(32, 1, 0), "ends inside resource name"); /* 'a' read as a length */
        expect_bad(WIRE_P_HELLO, 0, SET(32, 1, 65), "host name is 65 bytes, at most 64");
        expect_bad(WIRE_P_HELLO, 1, SET(34, 1, 0), "resource name is empty");

        expect_bad(WIRE_P_AUTH_CHALLENGE, 1, SET(1, 3, 0x787878), "unknown HMAC algorithm 'xxx'");
        expect_bad(WIRE_P_AUTH_CHALLENGE, 1, SET(1, 1, 0), "algorithm contains a NUL");
        expect_bad(WIRE_P_AUTH_CHALLENGE, 1, SET(0, 1, 0), "algorithm is empty");
        expect_bad(WIRE_P_AUTH_CHALLENGE, 0, SET(0, 1, 64), "algorithm is 64 bytes, at most 63");
        expect_bad(WIRE_P_AUTH_CHALLENGE, 1, SET(4, 1, 31), "unexpected bytes after the last field");
        expect_bad(WIRE_P_AUTH_CHALLENGE, 1, SETLEN(4, 1, 31, 5 + 31), "challenge is 31 bytes, must be 32..64");
        expect_bad(WIRE_P_AUTH_CHALLENGE, 1, TRUNC(10), "ends inside challenge");
        expect_bad(WIRE_P_AUTH_CHALLENGE, 0, SETLEN(7, 1, 65, 8 + 65), "challenge is 65 bytes, at most 64");
        expect_bad(WIRE_P_AUTH_RESPONSE, 1, TRUNC(1 + 15), "ends inside response");
        expect_bad(WIRE_P_AUTH_RESPONSE, 1, SETLEN(0, 1, 15, 16), "response is 15 bytes, no HMAC has that size");
        expect_bad(WIRE_P_AUTH_RESPONSE, 1, SET(0, 1, 15), "1 unexpected bytes");
        expect_bad(WIRE_P_AUTH_RESPONSE, 0, SETLEN(0, 1, 65, 66), "response is 65 bytes, at most 64");

        /* SETTINGS: protocol, flags, asb0..2, 3 reserved, 4 strings from 8 */
        expect_bad(WIRE_P_SETTINGS, 1, SET(0, 1, 0), "protocol 0 is not A (1), B (2) or C (3)");
        expect_bad(WIRE_P_SETTINGS, 1, SET(0, 1, 4), "protocol 4");
        expect_bad(WIRE_P_SETTINGS, 1, SET(1, 1, 4), "reserved flag bits 0x4");
        expect_bad(WIRE_P_SETTINGS, 1, SET(2, 1, WIRE_ASB_CONSENSUS), "after-sb-0pri policy 7 (consensus)");
        expect_bad(WIRE_P_SETTINGS, 1, SET(3, 1, WIRE_ASB_DISCARD_ZERO_CHANGES), "after-sb-1pri policy 4");
        expect_bad(WIRE_P_SETTINGS, 1, SET(4, 1, WIRE_ASB_DISCARD_SECONDARY), "after-sb-2pri policy 9");
        expect_bad(WIRE_P_SETTINGS, 1, SET(4, 1, 0), "after-sb-2pri policy 0 (n/a)");
        expect_bad(WIRE_P_SETTINGS, 1, SET(2, 1, 11), "after-sb-0pri policy 11");
        expect_bad(WIRE_P_SETTINGS, 1, SET(2, 1, WIRE_ASB_DISCARD_NODE), "discard-node name is empty");
        expect_bad(WIRE_P_SETTINGS, 0, SET(2, 1, WIRE_ASB_DISCONNECT), "discard-node name given");
        expect_bad(WIRE_P_SETTINGS, 1, SET(5, 1, 1), "reserved bytes at offset 5 are not 0");
        expect_bad(WIRE_P_SETTINGS, 1, SET(7, 1, 1), "reserved bytes at offset 5");
        expect_bad(WIRE_P_SETTINGS, 1, TRUNC(11), "ends inside csums-alg");
        expect_bad(WIRE_P_SETTINGS, 1, TRUNC(13), "unexpected bytes");
        expect_bad(WIRE_P_SETTINGS, 2, SET(12, 1, ' '), "csums-alg has a forbidden character 0x20");
        expect_bad(WIRE_P_SETTINGS, 0, SET(8, 1, 65), "discard-node name is 65 bytes, at most 64");
        expect_bad(WIRE_P_SETTINGS, 0, SET(73, 1, 64), "data-integrity-alg is 64 bytes, at most 63");

        expect_bad(WIRE_P_STATE_CHANGE_REQUEST, 1, SET(4, 1, 0), "role 0 is not Primary");
        expect_bad(WIRE_P_STATE_CHANGE_REQUEST, 1, SET(4, 1, 3), "role 3");
        expect_bad(WIRE_P_STATE_CHANGE_REQUEST, 1, SET(6, 1, 1), "reserved bytes at offset 5");
        expect_bad(WIRE_P_STATE_CHANGE_REQUEST, 1, SET(8, 4, 2), "reserved flag bits 0x2");
        expect_bad(WIRE_P_STATE_CHANGE_REQUEST, 1, TRUNC(11), "ends inside flags");
        expect_bad(WIRE_P_STATE_CHANGE_REPLY, 1, SET(4, 4, 0), "result 0 is outside 1..5");
        expect_bad(WIRE_P_STATE_CHANGE_REPLY, 1, SET(4, 4, 6), "result 6");
        expect_bad(WIRE_P_STATE_CHANGE_REPLY, 0, SET(12, 1, 0x7f), "text has a forbidden character 0x7f");
        expect_bad(WIRE_P_STATE_CHANGE_REPLY, 1, TRUNC(10), "unexpected bytes");
        expect_bad(WIRE_P_STATE_CHANGE_REPLY, 1, TRUNC(6), "ends inside result");

        expect_bad(WIRE_P_PING, 1, TRUNC(7), "ends inside cookie");
        expect_bad(WIRE_P_PING_ACK, 1, TRUNC(9), "unexpected bytes");
        expect_bad(WIRE_P_ERROR, 1, SET(0, 4, 0), "reason 0 is outside 1..16");
        expect_bad(WIRE_P_DISCONNECT, 1, SET(0, 4, 17), "DISCONNECT: reason 17");
        expect_bad(WIRE_P_ERROR, 1, SET(0, 4, UINT32_MAX), "reason 4294967295");
        expect_bad(WIRE_P_ERROR, 0, SET(5, 1, '\r'), "ERROR: text has a forbidden character 0x0d");
        expect_bad(WIRE_P_ERROR, 1, SET(4, 1, 1), "ends inside text");
        expect_bad(WIRE_P_ERROR, 1, TRUNC(6), "unexpected bytes");
}

static void test_reject_state(void **state) {
        expect_bad(WIRE_P_SIZES, 1, TRUNC(39), "ends inside flags");
        expect_bad(WIRE_P_SIZES, 1, TRUNC(41), "unexpected bytes");
        expect_bad(WIRE_P_SIZES, 0, SET(7, 1, 1), "backing size 18446744073709551105 is not a multiple of 512");
        expect_bad(WIRE_P_SIZES, 1, SET(8, 8, 512), "usable size 512 exceeds backing size 0");
        expect_bad(WIRE_P_SIZES, 1, SET(16, 8, 100), "requested size 100");
        expect_bad(WIRE_P_SIZES, 1, SET(24, 8, 1), "current size 1");
        expect_bad(WIRE_P_SIZES, 1, SET(32, 4, 0), "max IO size 0");
        expect_bad(WIRE_P_SIZES, 1, SET(32, 4, 2 * MiB), "max IO size 2097152");
        expect_bad(WIRE_P_SIZES, 1, SET(32, 4, 1000), "max IO size 1000");
        expect_bad(WIRE_P_SIZES, 1, SET(36, 4, 4), "SIZES: reserved flag bits 0x4");

        expect_bad(WIRE_P_UUIDS, 1, SET(56, 4, 0x100), "reserved flag bits 0x100");
        expect_bad(WIRE_P_UUIDS, 1, SET(60, 4, 1), "reserved bytes at offset 60");
        expect_bad(WIRE_P_UUIDS, 1, TRUNC(63), "ends inside reserved");
        expect_bad(WIRE_P_UUIDS, 1, TRUNC(48), "ends inside bits set");

        expect_bad(WIRE_P_STATE, 1, SET(0, 1, 0), "role 0 is not Primary (1) or Secondary (2)");
        expect_bad(WIRE_P_STATE, 1, SET(0, 1, 3), "role 3");
        expect_bad(WIRE_P_STATE, 1, SET(1, 1, 0), "disk state 0 is outside 1..5");
        expect_bad(WIRE_P_STATE, 1, SET(1, 1, 6), "disk state 6");
        expect_bad(WIRE_P_STATE, 1, SET(2, 1, 0), "replication state 0 is outside 1..11");
        expect_bad(WIRE_P_STATE, 1, SET(2, 1, 12), "replication state 12");
        expect_bad(WIRE_P_STATE, 1, SET(3, 1, 1), "reserved bytes at offset 3");
        expect_bad(WIRE_P_STATE, 1, SET(4, 4, 0x10), "reserved flag bits 0x10");
        expect_bad(WIRE_P_STATE, 1, TRUNC(2), "ends inside repl");
}

static void test_reject_data_path(void **state) {
        /* DATA: id 0, offset 8, length 16, flags 20, epoch 24, reserved 28 */
        expect_bad(WIRE_P_DATA, 2, SET(0, 8, 0), "DATA: sequence number is 0");
        expect_bad(WIRE_P_DATA, 2, SET(8, 8, 100), "offset 100 is not a multiple of 512");
        expect_bad(WIRE_P_DATA, 2, SET(16, 4, 4000), "length 4000 is not a multiple of 512");
        expect_bad(WIRE_P_DATA, 2, SET(16, 4, 0), "length 0 is outside 512..134217728");
        expect_bad(WIRE_P_DATA, 1, SET(16, 4, WIRE_MAX_RANGE + 512), "length 134218240 is outside");
        expect_bad(WIRE_P_DATA, 2, SET(20, 4, 0x40), "DATA: reserved flag bits 0x40");
        expect_bad(WIRE_P_DATA, 2, SET(20, 4, WIRE_DATA_TRIM | WIRE_DATA_WRITE_ZEROES), "TRIM and WRITE_ZEROES");
        expect_bad(WIRE_P_DATA, 1, SET(20, 4, WIRE_DATA_TRIM | WIRE_DATA_NO_UNMAP), "NO_UNMAP without");
        expect_bad(WIRE_P_DATA, 2, SET(20, 4, 0), "length field says 4096 bytes but 0 bytes of data follow");
        expect_bad(WIRE_P_DATA, 0, SET(16, 4, WIRE_MAX_DATA - 512), "length field says 1048064 bytes but 1048576");
        expect_bad(WIRE_P_DATA, 0, SET(16, 4, WIRE_MAX_DATA + 512), "length 1049088 is outside 512..1048576");
        expect_bad(WIRE_P_DATA, 2, TRUNC(33), "1 bytes of data follow a range that carries none");
        expect_bad(WIRE_P_DATA, 2, SET(28, 4, 1), "reserved bytes at offset 28");
        expect_bad(WIRE_P_DATA, 2, TRUNC(31), "ends inside reserved");
        expect_bad(WIRE_P_DATA, 1, SET(8, 8, UINT64_MAX - 511), "wraps past 2^64");
        expect_bad(WIRE_P_RS_DATA_REPLY, 0, SET(24, 4, 1), "RS_DATA_REPLY: epoch is 1");
        expect_bad(WIRE_P_RS_DATA_REPLY, 0, SET(20, 4, 2), "RS_DATA_REPLY: reserved flag bits 0x2");
        expect_bad(WIRE_P_RS_DATA_REPLY, 0, SET(20, 4, WIRE_RS_ZEROES), "512 bytes of data follow a range that");
        expect_bad(WIRE_P_RS_DATA_REPLY, 1, SET(16, 4, 2 * MiB), "length 2097152 is outside 512..1048576");

        /* blocks: id 0, offset 8, length 16, code 20 */
        expect_bad(WIRE_P_RECV_ACK, 1, SET(0, 8, 0), "RECV_ACK: sequence number is 0");
        expect_bad(WIRE_P_WRITE_ACK, 1, SET(0, 8, 0), "WRITE_ACK: sequence number is 0");
        expect_bad(WIRE_P_NEG_ACK, 1, SET(0, 8, 0), "NEG_ACK: sequence number is 0");
        expect_bad(WIRE_P_WRITE_ACK, 1, SET(20, 4, 1), "code field is 1, must be 0");
        expect_bad(WIRE_P_NEG_ACK, 1, SET(20, 4, 0), "NEG_ACK: code 0 is outside 1..2");
        expect_bad(WIRE_P_NEG_ACK, 1, SET(20, 4, 3), "code 3 is outside 1..2");
        expect_bad(WIRE_P_OUT_OF_SYNC, 1, SET(0, 8, 5), "OUT_OF_SYNC: id is 5, must be 0");
        expect_bad(WIRE_P_OUT_OF_SYNC, 0, SET(16, 4, WIRE_MAX_RANGE + 512), "is outside 512..134217728");
        expect_bad(WIRE_P_RS_IS_IN_SYNC, 1, SET(16, 4, 0), "length 0 is outside 512..1048576");
        expect_bad(WIRE_P_OV_REQUEST, 0, SET(16, 4, 2 * MiB), "OV_REQUEST: length 2097152");
        expect_bad(WIRE_P_OV_REQUEST, 1, SET(20, 4, 1), "code field is 1");
        expect_bad(WIRE_P_RS_CANCEL, 1, SET(20, 4, 4), "RS_CANCEL: code 4 is outside 1..3");
        expect_bad(WIRE_P_OV_RESULT, 1, SET(20, 4, 0), "OV_RESULT: code 0 is outside 1..3");
        expect_bad(WIRE_P_RECV_ACK, 1, SET(8, 8, 1), "offset 1 is not a multiple");
        expect_bad(WIRE_P_RECV_ACK, 1, SET(16, 4, 1024), "wraps past 2^64");
        expect_bad(WIRE_P_OV_RESULT, 1, TRUNC(23), "ends inside code");
        expect_bad(WIRE_P_OV_RESULT, 1, TRUNC(25), "unexpected bytes");

        /* digest blocks: id 0, offset 8, length 16, alg 20, reserved 21..23, len 24 */
        expect_bad(WIRE_P_RS_DATA_REQUEST, 1, SET(20, 1, 6), "digest algorithm 6 is outside 0..5");
        expect_bad(WIRE_P_OV_REPLY, 1, SET(20, 1, 0), "OV_REPLY: digest algorithm is none");
        expect_bad(WIRE_P_RS_DATA_REQUEST, 1, SET(20, 1, WIRE_DIGEST_MD5), "digest is 0 bytes, md5 gives 16");
        expect_bad(WIRE_P_OV_REPLY, 1, SET(20, 1, WIRE_DIGEST_SHA1), "digest is 4 bytes, sha1 gives 20");
        expect_bad(WIRE_P_RS_DATA_REQUEST, 2, SET(20, 1, 0), "digest is 4 bytes, none gives 0");
        expect_bad(WIRE_P_RS_DATA_REQUEST, 1, SET(22, 1, 1), "reserved bytes at offset 21");
        expect_bad(WIRE_P_OV_REPLY, 1, SET(24, 1, 5), "ends inside digest");
        expect_bad(WIRE_P_OV_REPLY, 1, SET(24, 1, 3), "unexpected bytes");
        expect_bad(WIRE_P_OV_REPLY, 0, SETLEN(24, 1, 65, 25 + 65), "digest is 65 bytes, at most 64");
        expect_bad(WIRE_P_RS_DATA_REQUEST, 1, SET(16, 4, 0), "length 0 is outside");

        expect_bad(WIRE_P_BARRIER, 1, TRUNC(4), "ends inside writes");
        expect_bad(WIRE_P_BARRIER_ACK, 1, TRUNC(12), "unexpected bytes");
}

static void test_reject_resync(void **state) {
        /* BITMAP: encoding 0, flags 1, reserved 2..7, bit offset 8, bit count 16, body 24 */
        expect_bad(WIRE_P_BITMAP, 1, SET(0, 1, 0), "encoding 0 is neither plain (1) nor RLE (2)");
        expect_bad(WIRE_P_BITMAP, 1, SET(0, 1, 3), "encoding 3");
        expect_bad(WIRE_P_BITMAP, 1, SET(1, 1, 4), "BITMAP: reserved flag bits 0x4");
        expect_bad(WIRE_P_BITMAP, 2, SET(1, 1, WIRE_BITMAP_FIRST_SET), "FIRST_SET without RLE runs");
        expect_bad(WIRE_P_BITMAP, 1, SET(2, 1, 1), "reserved bytes at offset 2");
        expect_bad(WIRE_P_BITMAP, 1, SET(7, 1, 1), "reserved bytes at offset 2");
        expect_bad(WIRE_P_BITMAP, 1, SET(8, 8, 32), "bit offset 32 is not a multiple of 64");
        expect_bad(WIRE_P_BITMAP, 2, SET(8, 8, UINT64_MAX - 63), "wrap past 2^64");
        expect_bad(WIRE_P_BITMAP, 2, SET(16, 8, 129), "129 bits need 24 bytes of words, body has 16");
        expect_bad(WIRE_P_BITMAP, 2, TRUNC(24 + 12), "100 bits need 16 bytes of words, body has 12");
        expect_bad(WIRE_P_BITMAP, 2, SET(16, 8, 67), "bits past the chunk's 67 bits are set");
        expect_bad(WIRE_P_BITMAP, 1, SET(16, 8, 1), "1 bits need 8 bytes");
        expect_bad(WIRE_P_BITMAP, 1, TRUNC(23), "ends inside bit count");
        /* RLE body at 24: 100, 0xc8 0x01 for 300 bits */
        expect_bad(WIRE_P_BITMAP, 0, SET(16, 8, 299), "RLE run of 200 bits at bit 100 overflows the chunk's 299 bits");
        expect_bad(WIRE_P_BITMAP, 0, SET(16, 8, 301), "RLE runs cover 300 of the chunk's 301 bits");
        expect_bad(WIRE_P_BITMAP, 0, SET(24, 1, 0), "RLE run at byte 0 has length 0");
        expect_bad(WIRE_P_BITMAP, 0, SET(26, 1, 0x81), "RLE run at byte 1 is truncated");
        expect_bad(WIRE_P_BITMAP, 0, SET(25, 2, 0xc800), "RLE run at byte 1 is not minimally encoded");
        expect_bad(WIRE_P_BITMAP, 0, SET(16, 8, 0), "FIRST_SET without RLE runs");
        expect_bad(WIRE_P_BITMAP, 0, SETLEN(1, 1, 0, 24), "RLE runs cover 0 of the chunk's 300 bits");

        /* a varint of more than 64 bits: ten bytes, the last > 1 */
        {
                static const uint8_t p[] = {
                        2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
                };
                struct wire_bitmap bm;
                char why[256] = "";

                assert_int_equal(wire_bitmap_decode(p, sizeof p, &bm, why, sizeof why), -EBADMSG);
                assert_non_null(strstr(why, "RLE run at byte 0 does not fit 64 bits"));
        }

        /* SYNC_PARAMS: six u32 from 0, then two strings at 24 */
        expect_bad(WIRE_P_SYNC_PARAMS, 1, SET(0, 4, 0), "resync-rate 0 is outside 1..4194304");
        expect_bad(WIRE_P_SYNC_PARAMS, 0, SET(0, 4, (4u << 20) + 1), "resync-rate 4194305");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, SET(4, 4, 301), "c-plan-ahead 301 is outside 0..300");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, SET(8, 4, (1u << 20) + 1), "c-fill-target 1048577");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, SET(12, 4, 0), "c-delay-target 0 is outside 1..100");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, SET(12, 4, 101), "c-delay-target 101");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, SET(16, 4, 249), "c-max-rate 249 is outside 250..4194304");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, SET(20, 4, (4u << 20) + 1), "c-min-rate 4194305");
        expect_bad(WIRE_P_SYNC_PARAMS, 0, SET(25, 1, 0x1f), "verify-alg has a forbidden character 0x1f");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, TRUNC(25), "ends inside csums-alg");
        expect_bad(WIRE_P_SYNC_PARAMS, 1, TRUNC(27), "unexpected bytes");
        expect_bad(WIRE_P_SYNC_PAUSE, 1, SET(0, 4, 0), "SYNC_PAUSE: reason 0 is neither user (1) nor dependency (2)");
        expect_bad(WIRE_P_SYNC_RESUME, 1, SET(0, 4, 3), "SYNC_RESUME: reason 3");
        expect_bad(WIRE_P_SYNC_RESUME, 1, TRUNC(3), "ends inside reason");
}

static void test_decode_extensions(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        struct wire_packet p;
        struct wire_hello h;
        struct wire_auth_challenge c;
        struct wire_frame f;
        uint8_t payload[200];

        /* HELLO tolerates fields of later versions after the known ones */
        sample(WIRE_P_HELLO, 1, &p);
        encode_frame(&p, &b, &f);
        memcpy(payload, f.payload, f.payload_len);
        memset(payload + f.payload_len, 0xee, 40);
        assert_int_equal(wire_hello_decode(payload, f.payload_len + 40, &h, NULL, 0), 0);
        assert_memory_equal(&h, &p.hello, sizeof h);

        /* kernel-style algorithm names are accepted in a challenge */
        payload[0] = 12;
        memcpy(payload + 1, "HMAC(Sha256)", 12);
        payload[13] = 32;
        memset(payload + 14, 1, 32);
        assert_int_equal(wire_auth_challenge_decode(payload, 46, &c, NULL, 0), 0);
        assert_int_equal(c.alg, WIRE_HMAC_SHA256);
        assert_int_equal(c.challenge_len, 32);

        /* decoders given NULL with a length, or a foreign type */
        assert_int_equal(wire_hello_decode(NULL, 10, &h, NULL, 0), -EINVAL);
        assert_int_equal(wire_hello_decode(NULL, 0, &h, NULL, 0), -EBADMSG);
        assert_int_equal(wire_block_decode(WIRE_P_BITMAP, payload, 24, &p.block, NULL, 0), -EINVAL);
}

/* ---- the frame reader ----------------------------------------------------- */

static void build_stream(struct buf *b, size_t *ret_n, uint16_t *types) {
        static const uint16_t seq[] = { WIRE_P_HELLO, WIRE_P_DATA, WIRE_P_PING, WIRE_P_BITMAP, WIRE_P_ERROR,
                                        WIRE_P_SETTINGS, WIRE_P_RS_DATA_REPLY, WIRE_P_BARRIER };
        struct wire_packet p;

        for (size_t i = 0; i < ELEMENTSOF(seq); i++) {
                sample(seq[i], 2, &p);
                if (seq[i] == WIRE_P_DATA) {
                        p.data.flags = 0;
                        p.data.data = big_data;
                        p.data.data_len = p.data.length;
                }
                assert_int_equal(wire_packet_encode(b, &p), 0);
                types[i] = seq[i];
        }
        *ret_n = ELEMENTSOF(seq);
}

static void test_reader_byte_at_a_time(void **state) {
        _cleanup_buf_ struct buf stream = BUF_INIT, in = BUF_INIT;
        uint16_t types[16];
        size_t n, got = 0, need_before = SIZE_MAX;

        build_stream(&stream, &n, types);
        for (size_t i = 0; i < stream.len; i++) {
                struct wire_frame f;
                size_t need = 0;
                char why[256] = "";
                int r;

                assert_int_equal(buf_putc(&in, stream.data[i]), 0);
                r = wire_frame_next(NULL, &in, &f, &need, why, sizeof why);
                if (r < 0)
                        fail_msg("byte %zu: %s", i, why);
                if (r == 0) {
                        /* need is exact and shrinks by one per byte, except
                         * when the header completes and reveals the payload */
                        assert_true(need >= 1);
                        if (in.len > WIRE_HEADER_SIZE && need_before != SIZE_MAX)
                                assert_int_equal(need, need_before - 1);
                        need_before = need;
                        continue;
                }
                assert_int_equal(need_before, 1);
                assert_int_equal(f.frame_len, in.len);
                assert_int_equal(f.hdr.type, types[got]);
                assert_int_equal(wire_packet_decode(&f, &(struct wire_packet) {0}, why, sizeof why), 0);
                got++;
                buf_consume(&in, f.frame_len);
                need_before = SIZE_MAX;
        }
        assert_int_equal(got, n);
        assert_int_equal(in.len, 0);
}

static void test_reader_many_in_one(void **state) {
        _cleanup_buf_ struct buf stream = BUF_INIT;
        struct wire_session s = { .version = 1, .features = WIRE_FEATURES_KNOWN };
        uint16_t types[16];
        size_t n, got = 0, need = 0;
        struct wire_frame f;
        int r;

        build_stream(&stream, &n, types);
        assert_int_equal(buf_append(&stream, "TNDW", 4), 0); /* start of the next */
        while ((r = wire_frame_next(&s, &stream, &f, &need, NULL, 0)) == 1) {
                assert_int_equal(f.hdr.type, types[got++]);
                buf_consume(&stream, f.frame_len);
        }
        assert_int_equal(r, 0);
        assert_int_equal(got, n);
        assert_int_equal(need, WIRE_HEADER_SIZE - 4);
        buf_clear(&stream);
        assert_int_equal(wire_frame_next(&s, &stream, &f, &need, NULL, 0), 0);
        assert_int_equal(need, WIRE_HEADER_SIZE);
}

static int frame_error(const struct wire_session *s, const void *bytes, size_t len, char *why, size_t why_size) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        struct wire_frame f;
        size_t need = 0;

        assert_int_equal(buf_append(&b, bytes, len), 0);
        return wire_frame_next(s, &b, &f, &need, why, why_size);
}

static void expect_frame_error(const struct wire_session *s, const void *bytes, size_t len, int err,
                               const char *sub) {
        char why[256] = "";
        int r = frame_error(s, bytes, len, why, sizeof why);

        if (r != err || !strstr(why, sub))
                fail_msg("got %d \"%s\", expected %d \"%s\"", r, why, err, sub);
}

static void header(uint8_t *h, uint16_t type, uint16_t volume, uint32_t length) {
        memcpy(h, "TNDW", 4);
        h[4] = (uint8_t) (type >> 8);
        h[5] = (uint8_t) type;
        h[6] = (uint8_t) (volume >> 8);
        h[7] = (uint8_t) volume;
        h[8] = (uint8_t) (length >> 24);
        h[9] = (uint8_t) (length >> 16);
        h[10] = (uint8_t) (length >> 8);
        h[11] = (uint8_t) length;
        memset(h + 12, 0, 4);
}

static void test_reader_errors(void **state) {
        const struct wire_session none = {0}, v1 = { .version = 1, .features = 0 };
        const struct wire_session all = { .version = 1, .features = WIRE_FEATURES_KNOWN };
        _cleanup_buf_ struct buf b = BUF_INIT;
        struct wire_packet p;
        struct wire_frame f;
        uint8_t h[16];
        size_t need;

        expect_frame_error(NULL, "X", 1, -EBADMSG, "bad magic: byte 0 is 0x58, expected 0x54");
        expect_frame_error(NULL, "TNDX", 4, -EBADMSG, "byte 3 is 0x58, expected 0x57");
        expect_frame_error(NULL, "GET / HTTP/1.1\r\n", 16, -EBADMSG, "bad magic");

        header(h, WIRE_P_PING, 0, 8);
        h[15] = 1;
        expect_frame_error(NULL, h, 16, -EBADMSG, "header: reserved field is 0x00000001");
        header(h, 0x0099, 0, 8);
        expect_frame_error(NULL, h, 16, -EPROTO, "unknown packet type 0x0099");
        header(h, 0, 0, 0);
        expect_frame_error(NULL, h, 16, -EPROTO, "unknown packet type 0x0000");
        header(h, WIRE_P_PING, 3, 8);
        expect_frame_error(NULL, h, 16, -EBADMSG, "PING is a connection packet but names volume 3");
        header(h, WIRE_P_DATA, 0, UINT32_MAX);
        expect_frame_error(NULL, h, 16, -EMSGSIZE, "DATA: payload length 4294967295 is outside 32..1048608");
        header(h, WIRE_P_DATA, 0, 31);
        expect_frame_error(NULL, h, 16, -EMSGSIZE, "outside 32..");
        header(h, WIRE_P_PING, 0, 9);
        expect_frame_error(NULL, h, 16, -EMSGSIZE, "PING: payload length 9 is outside 8..8");
        header(h, WIRE_P_BITMAP, 0, 64 * 1024 + 1);
        expect_frame_error(NULL, h, 16, -EMSGSIZE, "BITMAP: payload length 65537");

        /* before HELLO: only HELLO, ERROR, DISCONNECT */
        header(h, WIRE_P_DATA, 0, 32);
        expect_frame_error(&none, h, 16, -EPROTO, "DATA before the HELLO exchange");
        header(h, WIRE_P_HELLO, 0, 36);
        assert_int_equal(frame_error(&none, h, 16, NULL, 0), 0);
        header(h, WIRE_P_ERROR, 0, 5);
        assert_int_equal(frame_error(&none, h, 16, NULL, 0), 0);
        header(h, WIRE_P_DISCONNECT, 0, 5);
        assert_int_equal(frame_error(&none, h, 16, NULL, 0), 0);

        /* features: a whole type, judged from the header */
        header(h, WIRE_P_RS_IS_IN_SYNC, 0, 24);
        expect_frame_error(&v1, h, 16, -EPROTO, "RS_IS_IN_SYNC needs feature CSUM_RESYNC");
        assert_int_equal(frame_error(&all, h, 16, NULL, 0), 0);

        /* features inside payloads, judged when the payload is complete */
        {
                static const struct { uint16_t type; int variant; const char *feature; } cases[] = {
                        { WIRE_P_DATA, 1, "TRIM" },
                        { WIRE_P_DATA, 2, "WRITE_ZEROES" },
                        { WIRE_P_BITMAP, 0, "RESYNC_BITMAP_RLE" },
                        { WIRE_P_RS_DATA_REQUEST, 2, "CSUM_RESYNC" },
                        { WIRE_P_RS_DATA_REPLY, 1, "THIN_RESYNC" },
                };
                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        char why[256] = "", want[128];

                        sample(cases[i].type, cases[i].variant, &p);
                        buf_clear(&b);
                        assert_int_equal(wire_packet_encode(&b, &p), 0);
                        snprintf(want, sizeof want, "%s uses feature %s, which was not agreed",
                                 wire_packet_name(cases[i].type), cases[i].feature);
                        /* incomplete: the header passes, the payload is awaited */
                        b.len--;
                        assert_int_equal(wire_frame_next(&v1, &b, &f, &need, why, sizeof why), 0);
                        assert_int_equal(need, 1);
                        b.len++;
                        assert_int_equal(wire_frame_next(&v1, &b, &f, &need, why, sizeof why), -EPROTO);
                        assert_non_null(strstr(why, want));
                        assert_int_equal(wire_frame_next(&all, &b, &f, &need, why, sizeof why), 1);
                        assert_int_equal(wire_frame_next(NULL, &b, &f, &need, why, sizeof why), 1);
                }
        }
        /* the same packets without the optional variant pass without features */
        sample(WIRE_P_BITMAP, 2, &p);
        buf_clear(&b);
        assert_int_equal(wire_packet_encode(&b, &p), 0);
        assert_int_equal(wire_frame_next(&v1, &b, &f, &need, NULL, 0), 1);
        sample(WIRE_P_RS_DATA_REQUEST, 1, &p);
        buf_clear(&b);
        assert_int_equal(wire_packet_encode(&b, &p), 0);
        assert_int_equal(wire_frame_next(&v1, &b, &f, &need, NULL, 0), 1);
}

/* ---- handshake ------------------------------------------------------------ */

static void hello(struct wire_hello *h, uint32_t node, bool initiator) {
        *h = (struct wire_hello) {
                .version_min = WIRE_VERSION_MIN, .version_max = WIRE_VERSION_MAX,
                .features = WIRE_FEATURES_KNOWN, .instance_id = 42 + node, .node_id = node,
                .flags = initiator ? WIRE_HELLO_INITIATOR : 0,
        };
        snprintf(h->host, sizeof h->host, "node%u", node);
        strcpy(h->resource, "r0");
}

static void expect_negotiate(const struct wire_hello *a, const struct wire_hello *b, int err, const char *msg) {
        struct wire_session s = { 99, 99 };
        char why[256] = "";

        assert_int_equal(wire_hello_negotiate(a, b, &s, why, sizeof why), err);
        assert_string_equal(why, msg);
        assert_int_equal(s.version, 99); /* untouched on failure */
}

static void test_negotiate(void **state) {
        struct wire_hello a, b;
        struct wire_session s;

        hello(&a, 1, true);
        hello(&b, 2, false);
        b.features = WIRE_FEATURE_TRIM | WIRE_FEATURE_CSUM_RESYNC | (UINT64_C(1) << 40);
        assert_int_equal(wire_hello_negotiate(&a, &b, &s, NULL, 0), 0);
        assert_int_equal(s.version, 1);
        assert_int_equal(s.features, WIRE_FEATURE_TRIM | WIRE_FEATURE_CSUM_RESYNC);

        /* the highest common version */
        a.version_min = 1, a.version_max = 3;
        b.version_min = 2, b.version_max = 5;
        assert_int_equal(wire_hello_negotiate(&a, &b, &s, NULL, 0), 0);
        assert_int_equal(s.version, 3);
        b.version_min = 4;
        expect_negotiate(&a, &b, -EPROTONOSUPPORT, "no common protocol version: 1..3 here, 4..5 on peer");

        hello(&a, 1, true);
        hello(&b, 2, false);
        strcpy(b.resource, "r1");
        expect_negotiate(&a, &b, -EPROTO, "resource: r0 here, r1 on peer");
        hello(&b, 1, false);
        expect_negotiate(&a, &b, -EPROTO, "node id: 1 both here and on peer node1");
        hello(&b, 2, true);
        expect_negotiate(&a, &b, -EPROTO, "both sides claim to have initiated the connection");
        hello(&a, 1, false);
        hello(&b, 2, false);
        expect_negotiate(&a, &b, -EPROTO, "neither sides claim to have initiated the connection");
        hello(&a, 1, true);
        a.flags |= WIRE_HELLO_AUTH;
        expect_negotiate(&a, &b, -EACCES, "authentication: required here, not configured on peer");
        b.flags |= WIRE_HELLO_AUTH;
        assert_int_equal(wire_hello_negotiate(&a, &b, &s, NULL, 0), 0);
}

static void test_race(void **state) {
        /* node 1 and node 2 connect at once: both keep the one node 2 opened */
        struct wire_race_conn mine = { .peer_instance_id = 7, .initiated_here = true };
        struct wire_race_conn theirs = { .peer_instance_id = 7, .initiated_here = false };

        assert_true(wire_race_keep_new(1, 2, &mine, &theirs));    /* node 1: old = own */
        assert_false(wire_race_keep_new(1, 2, &theirs, &mine));   /* node 1: old = node 2's */
        /* node 2 sees node 1's instance 9 on both */
        mine.peer_instance_id = theirs.peer_instance_id = 9;
        assert_false(wire_race_keep_new(2, 1, &mine, &theirs));   /* node 2: old = own, keep it */
        assert_true(wire_race_keep_new(2, 1, &theirs, &mine));    /* node 2: new = own, keep it */

        /* a new instance id: the peer started over, the new one wins */
        theirs.peer_instance_id = 10;
        assert_true(wire_race_keep_new(2, 1, &mine, &theirs));
        assert_true(wire_race_keep_new(1, 2, &mine, &theirs));
        /* same instance and same initiator: keep the old one */
        theirs = mine;
        assert_false(wire_race_keep_new(1, 2, &mine, &theirs));

        uint64_t id1 = 0, id2 = 0;
        assert_int_equal(wire_make_instance_id(&id1), 0);
        assert_int_equal(wire_make_instance_id(&id2), 0);
        assert_true(id1 != 0 && id2 != 0 && id1 != id2);
}

/* ---- authentication ------------------------------------------------------- */

static void test_auth_all_algorithms(void **state) {
        static const char *const names[] = { "md5", "SHA1", "hmac(sha256)", "HMAC(sha512)" };
        static const size_t sizes[] = { 16, 20, 32, 64 };
        const char secret[] = "correct horse battery staple";

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                int alg = wire_hmac_alg_from_name(names[i]);
                struct wire_auth_challenge ca, cb;
                struct wire_auth_response ra, rb;
                char why[256] = "";

                assert_true(alg > 0);
                assert_int_equal(wire_hmac_size(alg), sizes[i]);
                assert_int_equal(wire_auth_make_challenge(alg, &ca), 0);
                assert_int_equal(wire_auth_make_challenge(alg, &cb), 0);
                assert_int_equal(ca.challenge_len, WIRE_AUTH_CHALLENGE_LEN);
                assert_memory_not_equal(ca.challenge, cb.challenge, ca.challenge_len);

                /* node 1 answers node 2's challenge and vice versa */
                assert_int_equal(wire_auth_response(secret, strlen(secret), &cb, &ca, 1, &ra), 0);
                assert_int_equal(wire_auth_response(secret, strlen(secret), &ca, &cb, 2, &rb), 0);
                assert_int_equal(ra.response_len, sizes[i]);
                assert_int_equal(wire_auth_verify(secret, strlen(secret), &cb, &ca, 1, &ra, why, sizeof why), 0);
                assert_int_equal(wire_auth_verify(secret, strlen(secret), &ca, &cb, 2, &rb, why, sizeof why), 0);

                /* a wrong secret fails on both sides */
                assert_int_equal(wire_auth_verify("wrong", 5, &cb, &ca, 1, &ra, why, sizeof why), -EACCES);
                assert_string_equal(why, "wrong response: the shared secret differs");

                /* reflection: each node's own response presented back to it */
                assert_int_equal(wire_auth_verify(secret, strlen(secret), &ca, &cb, 2, &ra, why, sizeof why),
                                 -EACCES);
                assert_int_equal(wire_auth_verify(secret, strlen(secret), &cb, &ca, 1, &rb, why, sizeof why),
                                 -EACCES);
        }
}

static void test_auth_attacks(void **state) {
        const char secret[] = "s3cret";
        struct wire_auth_challenge ca, cb, cc;
        struct wire_auth_response r, r2;
        char why[256] = "";

        assert_int_equal(wire_auth_make_challenge(WIRE_HMAC_SHA256, &ca), 0);
        assert_int_equal(wire_auth_make_challenge(WIRE_HMAC_SHA256, &cb), 0);
        assert_int_equal(wire_auth_make_challenge(WIRE_HMAC_SHA256, &cc), 0);
        assert_int_equal(wire_auth_response(secret, 6, &ca, &cb, 2, &r), 0);

        /* replay into a session where node 1 chose another challenge */
        assert_int_equal(wire_auth_verify(secret, 6, &cc, &cb, 2, &r, why, sizeof why), -EACCES);
        /* the same challenges but a responder claiming another node id */
        assert_int_equal(wire_auth_verify(secret, 6, &ca, &cb, 3, &r, why, sizeof why), -EACCES);
        /* an attacker echoing our challenge as its own */
        assert_int_equal(wire_auth_verify(secret, 6, &ca, &ca, 2, &r, why, sizeof why), -EACCES);
        assert_string_equal(why, "the peer sent our own challenge back");
        /* truncated response */
        r2 = r;
        r2.response_len = 20;
        assert_int_equal(wire_auth_verify(secret, 6, &ca, &cb, 2, &r2, why, sizeof why), -EACCES);
        assert_string_equal(why, "response is 20 bytes, HMAC-sha256 gives 32");
        /* one flipped bit */
        r2 = r;
        r2.response[31] ^= 1;
        assert_int_equal(wire_auth_verify(secret, 6, &ca, &cb, 2, &r2, why, sizeof why), -EACCES);
        /* a peer challenging with a weaker algorithm gets no answer */
        cc.alg = WIRE_HMAC_MD5;
        assert_int_equal(wire_auth_response(secret, 6, &cc, &cb, 2, &r2), -EACCES);
        assert_int_equal(wire_auth_verify(secret, 6, &ca, &cc, 2, &r, why, sizeof why), -EACCES);
        assert_string_equal(why, "cram-hmac-alg: sha256 here, md5 on peer");
        /* bad arguments */
        assert_int_equal(wire_auth_response(secret, 0, &ca, &cb, 2, &r2), -EINVAL);
        assert_int_equal(wire_auth_make_challenge(0, &cc), -EINVAL);
        cb.challenge_len = 10;
        assert_int_equal(wire_auth_response(secret, 6, &ca, &cb, 2, &r2), -EINVAL);
}

/* The response is HMAC(secret, "tandem-auth-v1" || responder id (be32) ||
 * len || answered challenge || len || own challenge), as documented. */
static void test_auth_known_answer(void **state) {
        struct wire_auth_challenge answered = { .alg = WIRE_HMAC_SHA256, .challenge_len = 32 };
        struct wire_auth_challenge own = { .alg = WIRE_HMAC_SHA256, .challenge_len = 40 };
        struct wire_auth_response r;
        uint8_t msg[256], want[32];
        size_t n = 0;

        memset(answered.challenge, 0x11, 32);
        memset(own.challenge, 0x22, 40);
        memcpy(msg, "tandem-auth-v1", 14);
        n = 14;
        memcpy(msg + n, "\x00\x00\x00\x05", 4);
        n += 4;
        msg[n++] = 32;
        memset(msg + n, 0x11, 32);
        n += 32;
        msg[n++] = 40;
        memset(msg + n, 0x22, 40);
        n += 40;
        assert_int_equal(gnutls_hmac_fast(GNUTLS_MAC_SHA256, "key", 3, msg, n, want), 0);
        assert_int_equal(wire_auth_response("key", 3, &answered, &own, 5, &r), 0);
        assert_int_equal(r.response_len, 32);
        assert_memory_equal(r.response, want, 32);
}

/* ---- SETTINGS comparison ----------------------------------------------------- */

static void settings(struct wire_settings *s) {
        *s = (struct wire_settings) {
                .protocol = WIRE_PROTOCOL_C, .after_sb_0pri = WIRE_ASB_DISCARD_ZERO_CHANGES,
                .after_sb_1pri = WIRE_ASB_DISCARD_SECONDARY, .after_sb_2pri = WIRE_ASB_DISCONNECT,
        };
        strcpy(s->verify_alg, "sha1");
}

static void expect_mismatch(const struct wire_settings *a, const struct wire_settings *b, const char *msg) {
        char why[256] = "";

        assert_int_equal(wire_settings_compare(a, b, why, sizeof why), -EPROTO);
        assert_string_equal(why, msg);
}

static void test_settings_compare(void **state) {
        struct wire_settings a, b;

        settings(&a);
        settings(&b);
        assert_int_equal(wire_settings_compare(&a, &b, NULL, 0), 0);
        b.protocol = WIRE_PROTOCOL_A;
        expect_mismatch(&a, &b, "protocol: C here, A on peer");
        settings(&b);
        b.flags = WIRE_SETTINGS_TWO_PRIMARIES;
        expect_mismatch(&a, &b, "allow-two-primaries: no here, yes on peer");
        settings(&b);
        b.after_sb_0pri = WIRE_ASB_DISCONNECT;
        expect_mismatch(&a, &b, "after-sb-0pri: discard-zero-changes here, disconnect on peer");
        a.after_sb_0pri = b.after_sb_0pri = WIRE_ASB_DISCARD_NODE;
        strcpy(a.discard_node, "alice");
        strcpy(b.discard_node, "bob");
        expect_mismatch(&a, &b, "after-sb-0pri: discard-node-alice here, discard-node-bob on peer");
        strcpy(b.discard_node, "alice");
        assert_int_equal(wire_settings_compare(&a, &b, NULL, 0), 0);
        settings(&a);
        settings(&b);
        b.after_sb_1pri = WIRE_ASB_CONSENSUS;
        expect_mismatch(&a, &b, "after-sb-1pri: discard-secondary here, consensus on peer");
        settings(&b);
        b.after_sb_2pri = WIRE_ASB_CALL_PRI_LOST_AFTER_SB;
        expect_mismatch(&a, &b, "after-sb-2pri: disconnect here, call-pri-lost-after-sb on peer");
        settings(&b);
        b.flags = WIRE_SETTINGS_DISCARD_MY_DATA;
        assert_int_equal(wire_settings_compare(&a, &b, NULL, 0), 0); /* one side is fine */
        a.flags = WIRE_SETTINGS_DISCARD_MY_DATA;
        expect_mismatch(&a, &b, "discard-my-data: set on both nodes");
        settings(&a);
        settings(&b);
        strcpy(a.integrity_alg, "crc32c");
        expect_mismatch(&a, &b, "data-integrity-alg: crc32c here, (none) on peer");
        settings(&a);
        strcpy(b.verify_alg, "md5");
        expect_mismatch(&a, &b, "verify-alg: sha1 here, md5 on peer");
        settings(&b);
        strcpy(b.csums_alg, "sha256");
        expect_mismatch(&a, &b, "csums-alg: (none) here, sha256 on peer");
}

/* ---- names ---------------------------------------------------------------- */

static void test_names(void **state) {
        assert_string_equal(wire_packet_name(WIRE_P_DATA), "DATA");
        assert_string_equal(wire_packet_name(WIRE_P_STATE_CHANGE_REPLY), "STATE_CHANGE_REPLY");
        assert_string_equal(wire_packet_name(WIRE_P_SYNC_RESUME), "SYNC_RESUME");
        assert_string_equal(wire_packet_name(0x1234), "UNKNOWN");
        assert_string_equal(wire_packet_name(0), "UNKNOWN");
        assert_null(wire_packet_info(0x0030));
        for (size_t i = 0; i < ELEMENTSOF(all_types); i++)
                assert_string_not_equal(wire_packet_name(all_types[i]), "UNKNOWN");

        assert_string_equal(wire_protocol_name(WIRE_PROTOCOL_B), "B");
        assert_null(wire_protocol_name(0));
        assert_string_equal(wire_role_name(WIRE_ROLE_PRIMARY), "Primary");
        assert_string_equal(wire_disk_state_name(WIRE_DISK_UP_TO_DATE), "UpToDate");
        assert_null(wire_disk_state_name(6));
        assert_string_equal(wire_repl_state_name(WIRE_REPL_SYNC_SOURCE), "SyncSource");
        assert_string_equal(wire_reason_name(WIRE_REASON_AUTH_FAILED), "auth-failed");
        assert_null(wire_reason_name(-1));
        assert_string_equal(wire_after_sb_name(WIRE_ASB_VIOLENTLY_AS0P), "violently-as0p");
        assert_string_equal(wire_digest_alg_name(WIRE_DIGEST_CRC32C), "crc32c");
        assert_null(wire_digest_alg_name(WIRE_DIGEST_NONE));

        assert_int_equal(wire_protocol_from_name("C"), WIRE_PROTOCOL_C);
        assert_int_equal(wire_protocol_from_name("c"), -EINVAL);
        assert_int_equal(wire_after_sb_from_name("discard-least-changes"), WIRE_ASB_DISCARD_LEAST_CHANGES);
        assert_int_equal(wire_after_sb_from_name("discard-node"), -EINVAL);
        assert_int_equal(wire_after_sb_from_name("frob"), -EINVAL);
        assert_int_equal(wire_hmac_alg_from_name("sha512"), WIRE_HMAC_SHA512);
        assert_int_equal(wire_hmac_alg_from_name("hmac(md5)"), WIRE_HMAC_MD5);
        assert_int_equal(wire_hmac_alg_from_name("hmac(sha256"), -EINVAL);
        assert_int_equal(wire_hmac_alg_from_name("hmac()"), -EINVAL);
        assert_int_equal(wire_hmac_alg_from_name("hmac(verylongalgorithmname)"), -EINVAL);
        assert_int_equal(wire_hmac_alg_from_name("sha-256"), -EINVAL);
        assert_int_equal(wire_hmac_alg_from_name(NULL), -EINVAL);
        assert_int_equal(wire_digest_alg_from_name("CRC32C"), WIRE_DIGEST_CRC32C);
        assert_int_equal(wire_digest_alg_from_name("sha384"), -EINVAL);
        assert_int_equal(wire_digest_size(WIRE_DIGEST_SHA1), 20);
        assert_int_equal(wire_digest_size(9), 0);
        assert_int_equal(wire_hmac_size(0), 0);
}

/* ---- bitmaps -------------------------------------------------------------- */

static bool get_bit(const uint64_t *w, uint64_t i) {
        return (w[i / 64] >> (i % 64)) & 1;
}

/* Decodes every BITMAP packet in b and sets the bits of its runs in out. */
static void apply_chunks(struct buf *b, uint64_t *out, uint64_t nbits, bool *ret_last, size_t *ret_chunks) {
        struct wire_frame f;
        struct wire_packet p;
        char why[256] = "";
        size_t chunks = 0;
        uint64_t next = 0;

        *ret_last = false;
        while (wire_frame_next(NULL, b, &f, NULL, why, sizeof why) == 1) {
                struct wire_bitmap_iter it;
                uint64_t start, count;
                bool set;

                if (wire_packet_decode(&f, &p, why, sizeof why) < 0)
                        fail_msg("chunk %zu: %s", chunks, why);
                assert_false(*ret_last); /* nothing after the last chunk */
                assert_int_equal(p.bitmap.bit_offset, next);
                wire_bitmap_iter_init(&it, &p.bitmap);
                while (wire_bitmap_iter_next(&it, &start, &count, &set)) {
                        assert_true(count > 0 && start + count <= nbits);
                        for (uint64_t i = start; i < start + count; i++)
                                if (set)
                                        out[i / 64] |= UINT64_C(1) << (i % 64);
                }
                next += p.bitmap.bit_count;
                *ret_last = p.bitmap.flags & WIRE_BITMAP_LAST;
                buf_consume(b, f.frame_len);
                chunks++;
        }
        assert_int_equal(next, nbits);
        *ret_chunks = chunks;
}

static void check_rle(const uint64_t *words, uint64_t nbits, size_t max_body, size_t *ret_chunks) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        _cleanup_free_ uint64_t *out = calloc(nbits / 64 + 1, 8);
        uint64_t at = 0;
        bool last;

        assert_non_null(out);
        do {
                uint64_t covered = 0;

                assert_int_equal(wire_bitmap_encode_rle(&b, 1, at, words + at / 64, nbits - at, true, max_body,
                                                        &covered), 0);
                assert_true(covered > 0 || nbits == 0);
                assert_true(at + covered == nbits || covered % 64 == 0);
                at += covered;
        } while (at < nbits);
        apply_chunks(&b, out, nbits, &last, ret_chunks);
        assert_true(last);
        for (uint64_t i = 0; i < nbits; i++)
                if (get_bit(out, i) != get_bit(words, i))
                        fail_msg("bit %" PRIu64 " of %" PRIu64 " differs (max_body %zu)", i, nbits, max_body);
}

static void test_bitmap_rle(void **state) {
        static uint64_t words[4096];
        uint64_t x = 0x9e3779b97f4a7c15;
        size_t chunks;

        /* all clear, 262144 bits: one chunk, one run of 3 bytes */
        memset(words, 0, sizeof words);
        check_rle(words, 4096 * 64, 64, &chunks);
        assert_int_equal(chunks, 1);
        /* all set, odd length */
        memset(words, 0xff, sizeof words);
        words[4095] = 0;
        check_rle(words, 4095 * 64 - 3, 64, &chunks);
        assert_int_equal(chunks, 1);
        /* alternating bits: worst case, 64 bits per 64-byte chunk */
        for (size_t i = 0; i < 64; i++)
                words[i] = 0x5555555555555555;
        check_rle(words, 64 * 64, 64, &chunks);
        assert_int_equal(chunks, 64);
        check_rle(words, 64 * 64 - 1, 100, &chunks);
        /* random runs of random lengths, with several budgets */
        memset(words, 0, sizeof words);
        for (uint64_t i = 0; i < 4096 * 64;) {
                uint64_t run;

                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                run = 1 + x % (x & 1 ? 3 : 3000);
                if ((x >> 8) & 1)
                        for (uint64_t j = i; j < i + run && j < 4096 * 64; j++)
                                words[j / 64] |= UINT64_C(1) << (j % 64);
                i += run;
        }
        check_rle(words, 4096 * 64, 64, &chunks);
        check_rle(words, 4096 * 64 - 17, 200, &chunks);
        check_rle(words, 4096 * 64, 1 << 20, &chunks); /* clamped to the packet limit */
        check_rle(words, 1, 64, &chunks);
        check_rle(words, 0, 64, &chunks);
        assert_int_equal(chunks, 1);

        _cleanup_buf_ struct buf b = BUF_INIT;
        uint64_t covered;
        assert_int_equal(wire_bitmap_encode_rle(&b, 0, 0, words, 64, true, 63, &covered), -EINVAL);
        assert_int_equal(wire_bitmap_encode_rle(&b, 0, 32, words, 64, true, 64, &covered), -EINVAL);
        assert_int_equal(wire_bitmap_encode_rle(&b, 0, 0, NULL, 64, true, 64, &covered), -EINVAL);
        assert_int_equal(b.len, 0);
}

static void test_bitmap_plain(void **state) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        static uint64_t words[8189], out[8189];
        const uint64_t max_bits = 8189 * 64;
        size_t chunks;
        bool last;

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                words[i] = (uint64_t) i * 0x0101010101010101 ^ (i % 3 ? ~UINT64_C(0) : 0);
        assert_int_equal(wire_bitmap_encode_plain(&b, 4, 0, words, max_bits, true), 0);
        assert_int_equal(b.len, WIRE_HEADER_SIZE + 24 + 8189 * 8);
        apply_chunks(&b, out, max_bits, &last, &chunks);
        assert_true(last);
        assert_memory_equal(out, words, sizeof words);

        assert_int_equal(wire_bitmap_encode_plain(&b, 4, 0, words, max_bits + 1, true), -EMSGSIZE);
        words[1] = UINT64_C(1) << 63;
        assert_int_equal(wire_bitmap_encode_plain(&b, 4, 0, words, 127, false), -EINVAL); /* bit 127 set */
        assert_int_equal(wire_bitmap_encode_plain(&b, 4, 0, words, 128, false), 0);
        assert_int_equal(wire_bitmap_encode_plain(&b, 4, 64, NULL, 0, true), 0);
        assert_int_equal(wire_bitmap_encode_plain(&b, 4, 1, words, 64, true), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_layout),
                cmocka_unit_test(test_roundtrip_all),
                cmocka_unit_test(test_roundtrip_values),
                cmocka_unit_test(test_min_sizes),
                cmocka_unit_test(test_data_header_only),
                cmocka_unit_test(test_encode_rejects),
                cmocka_unit_test(test_reject_handshake),
                cmocka_unit_test(test_reject_state),
                cmocka_unit_test(test_reject_data_path),
                cmocka_unit_test(test_reject_resync),
                cmocka_unit_test(test_decode_extensions),
                cmocka_unit_test(test_reader_byte_at_a_time),
                cmocka_unit_test(test_reader_many_in_one),
                cmocka_unit_test(test_reader_errors),
                cmocka_unit_test(test_negotiate),
                cmocka_unit_test(test_race),
                cmocka_unit_test(test_auth_all_algorithms),
                cmocka_unit_test(test_auth_attacks),
                cmocka_unit_test(test_auth_known_answer),
                cmocka_unit_test(test_settings_compare),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_bitmap_rle),
                cmocka_unit_test(test_bitmap_plain),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
