/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The replication wire protocol between two tandem-diskd: packet framing,
 * the encoder and validating decoder of every packet, version and feature
 * negotiation and the HMAC challenge-response. docs/wire-protocol.md is the
 * specification; this header is its C face. Nothing here does IO or logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Every function that can reject input takes (char *why, size_t why_size):
 * on failure it writes a one-line reason naming the packet and the field
 * ("DATA: offset 1000 is not a multiple of 512"). why may be NULL.
 * Errors: -EBADMSG malformed content, -EMSGSIZE a length out of bounds,
 * -EPROTO a packet the session does not allow (unknown type, feature not
 * agreed) or incompatible peers, -EPROTONOSUPPORT no common version,
 * -EACCES authentication failure, -EINVAL a host struct that may not be
 * encoded, -ENOMEM. Decoders touch *ret only on success. */

/* ---- framing ----------------------------------------------------------- */

#define WIRE_MAGIC UINT32_C(0x544e4457) /* "TNDW" */
#define WIRE_HEADER_SIZE 16u

/* Protocol versions this code speaks. */
#define WIRE_VERSION_MIN 1u
#define WIRE_VERSION_MAX 1u

#define WIRE_SECTOR_SIZE 512u
#define WIRE_MAX_DATA (1024u * 1024u)               /* data bytes in a packet */
#define WIRE_MAX_RANGE (128u * 1024u * 1024u)       /* TRIM/WRITE_ZEROES/OOS */
#define WIRE_BITMAP_MAX_PAYLOAD (64u * 1024u)
#define WIRE_MAX_PAYLOAD (32u + WIRE_MAX_DATA)      /* largest of any type */

#define WIRE_NODE_ID_MAX 31u
#define WIRE_NAME_MAX 64u     /* host and resource names, bytes */
#define WIRE_ALG_MAX 63u      /* algorithm names, bytes */
#define WIRE_TEXT_MAX 255u    /* reason texts, bytes */

enum wire_packet_type {
        /* connection and handshake */
        WIRE_P_HELLO                = 0x0001,
        WIRE_P_AUTH_CHALLENGE       = 0x0002,
        WIRE_P_AUTH_RESPONSE        = 0x0003,
        WIRE_P_SETTINGS             = 0x0004,
        WIRE_P_SIZES                = 0x0005,
        WIRE_P_UUIDS                = 0x0006,
        WIRE_P_STATE                = 0x0007,
        WIRE_P_STATE_CHANGE_REQUEST = 0x0008,
        WIRE_P_STATE_CHANGE_REPLY   = 0x0009,
        WIRE_P_PING                 = 0x000a,
        WIRE_P_PING_ACK             = 0x000b,
        WIRE_P_DISCONNECT           = 0x000c,
        WIRE_P_ERROR                = 0x000d,
        /* data path */
        WIRE_P_DATA                 = 0x0020,
        WIRE_P_RECV_ACK             = 0x0021,
        WIRE_P_WRITE_ACK            = 0x0022,
        WIRE_P_NEG_ACK              = 0x0023,
        WIRE_P_BARRIER              = 0x0024,
        WIRE_P_BARRIER_ACK          = 0x0025,
        WIRE_P_OUT_OF_SYNC          = 0x0026,
        /* resync and online verify */
        WIRE_P_BITMAP               = 0x0040,
        WIRE_P_RS_DATA_REQUEST      = 0x0041,
        WIRE_P_RS_DATA_REPLY        = 0x0042,
        WIRE_P_RS_IS_IN_SYNC        = 0x0043,
        WIRE_P_RS_CANCEL            = 0x0044,
        WIRE_P_OV_REQUEST           = 0x0045,
        WIRE_P_OV_REPLY             = 0x0046,
        WIRE_P_OV_RESULT            = 0x0047,
        WIRE_P_SYNC_PARAMS          = 0x0048,
        WIRE_P_SYNC_PAUSE           = 0x0049,
        WIRE_P_SYNC_RESUME          = 0x004a,
};

/* Feature bits, offered in HELLO; the agreed set is the intersection.
 * Each gates optional packets or packet variants (see the doc). */
#define WIRE_FEATURE_TRIM              (UINT64_C(1) << 0)
#define WIRE_FEATURE_WRITE_ZEROES      (UINT64_C(1) << 1)
#define WIRE_FEATURE_RESYNC_BITMAP_RLE (UINT64_C(1) << 2)
#define WIRE_FEATURE_CSUM_RESYNC       (UINT64_C(1) << 3)
#define WIRE_FEATURE_THIN_RESYNC       (UINT64_C(1) << 4)
#define WIRE_FEATURES_KNOWN            (UINT64_C(0x1f))

enum wire_scope {
        WIRE_SCOPE_CONNECTION, /* header volume must be 0 */
        WIRE_SCOPE_VOLUME,     /* header volume names the volume */
};

/* The dispatch table entry of a packet type: what the frame reader checks
 * before a handler runs. */
struct wire_packet_info {
        uint16_t type;
        const char *name;
        enum wire_scope scope;
        uint32_t min_payload, max_payload;
        uint32_t since_version;
        uint64_t feature;       /* 0, or the feature the whole type needs */
        bool before_hello;      /* accepted before a version is agreed */
};

/* The table entry of type, or NULL for an unknown type. */
const struct wire_packet_info *wire_packet_info(uint16_t type);

/* "DATA", "BARRIER_ACK", ...; "UNKNOWN" for an unknown type. */
const char *wire_packet_name(uint16_t type);

/* What both ends agreed on in the handshake. version 0 means "no HELLO
 * exchanged yet": only HELLO, ERROR and DISCONNECT are accepted then. */
struct wire_session {
        uint32_t version;
        uint64_t features;
};

struct wire_header {
        uint16_t type;
        uint16_t volume;
        uint32_t length; /* payload bytes after the header */
};

/* A complete packet found at the start of the input. payload points into
 * the input buffer and is valid until that buffer changes. */
struct wire_frame {
        struct wire_header hdr;
        const uint8_t *payload;
        size_t payload_len;
        size_t frame_len; /* header + payload: what to buf_consume() */
};

/* Looks for one packet at the start of in. Returns 1 and fills *ret when
 * it is complete; 0 and sets *ret_need to the number of bytes still
 * missing when it is not (ret_need may be NULL); negative on a protocol
 * error, found as early as possible: a wrong magic byte, a reserved field,
 * an unknown type, a type not allowed by s (version, feature, before
 * HELLO), a volume on a connection packet, or a length outside the type's
 * bounds are all reported once the header is in, before the payload is
 * waited for. Type-level feature bits inside the payload (TRIM in DATA,
 * RLE in BITMAP, ...) are checked once the payload is complete. s may be
 * NULL: then every known type and variant is accepted (tools, fuzzing).
 * The content of the payload is not validated: that is the decoder's. */
int wire_frame_next(const struct wire_session *s, const struct buf *in,
                    struct wire_frame *ret, size_t *ret_need,
                    char *why, size_t why_size);

/* ---- enums carried in packets ------------------------------------------ */

enum wire_protocol { WIRE_PROTOCOL_A = 1, WIRE_PROTOCOL_B = 2, WIRE_PROTOCOL_C = 3 };

enum wire_after_sb {
        WIRE_ASB_DISCONNECT = 1,              /* all three */
        WIRE_ASB_DISCARD_YOUNGER_PRIMARY = 2, /* 0pri */
        WIRE_ASB_DISCARD_OLDER_PRIMARY = 3,   /* 0pri */
        WIRE_ASB_DISCARD_ZERO_CHANGES = 4,    /* 0pri */
        WIRE_ASB_DISCARD_LEAST_CHANGES = 5,   /* 0pri */
        WIRE_ASB_DISCARD_NODE = 6,            /* 0pri, with a node name */
        WIRE_ASB_CONSENSUS = 7,               /* 1pri */
        WIRE_ASB_VIOLENTLY_AS0P = 8,          /* 1pri, 2pri */
        WIRE_ASB_DISCARD_SECONDARY = 9,       /* 1pri */
        WIRE_ASB_CALL_PRI_LOST_AFTER_SB = 10, /* 1pri, 2pri */
};

enum wire_role { WIRE_ROLE_PRIMARY = 1, WIRE_ROLE_SECONDARY = 2 };

enum wire_disk_state {
        WIRE_DISK_DISKLESS = 1,
        WIRE_DISK_INCONSISTENT = 2,
        WIRE_DISK_OUTDATED = 3,
        WIRE_DISK_CONSISTENT = 4,
        WIRE_DISK_UP_TO_DATE = 5,
};

/* Replication state of a volume on an established connection (DRBD's
 * connection states from Connected on). */
enum wire_repl_state {
        WIRE_REPL_ESTABLISHED = 1,
        WIRE_REPL_STARTING_SYNC_SOURCE = 2,
        WIRE_REPL_STARTING_SYNC_TARGET = 3,
        WIRE_REPL_WF_BITMAP_SOURCE = 4,
        WIRE_REPL_WF_BITMAP_TARGET = 5,
        WIRE_REPL_SYNC_SOURCE = 6,
        WIRE_REPL_SYNC_TARGET = 7,
        WIRE_REPL_PAUSED_SYNC_SOURCE = 8,
        WIRE_REPL_PAUSED_SYNC_TARGET = 9,
        WIRE_REPL_VERIFY_SOURCE = 10,
        WIRE_REPL_VERIFY_TARGET = 11,
};

/* Why a connection ends: ERROR and DISCONNECT carry one. */
enum wire_reason {
        WIRE_REASON_PROTOCOL = 1,           /* malformed or unexpected packet */
        WIRE_REASON_VERSION = 2,            /* no common protocol version */
        WIRE_REASON_AUTH_FAILED = 3,        /* wrong response: secret differs */
        WIRE_REASON_AUTH_CONFIG = 4,        /* secret/alg configured differently */
        WIRE_REASON_RESOURCE_MISMATCH = 5,  /* peer serves another resource */
        WIRE_REASON_NODE_ID = 6,            /* node ids clash or unexpected */
        WIRE_REASON_SETTINGS_MISMATCH = 7,  /* SETTINGS do not agree */
        WIRE_REASON_DUPLICATE_CONNECTION = 8, /* lost the connect race */
        WIRE_REASON_SPLIT_BRAIN = 9,        /* split brain not auto-resolved */
        WIRE_REASON_UNRELATED_DATA = 10,    /* UUIDs share no history */
        WIRE_REASON_SIZE = 11,              /* sizes cannot be reconciled */
        WIRE_REASON_IO_ERROR = 12,          /* local disk failure */
        WIRE_REASON_TIMEOUT = 13,           /* ping or ack timeout */
        WIRE_REASON_ADMIN = 14,             /* tandem disk disconnect/down */
        WIRE_REASON_SHUTDOWN = 15,          /* daemon stopping */
        WIRE_REASON_INTERNAL = 16,          /* a bug or resource exhaustion */
};

enum wire_hmac_alg {
        WIRE_HMAC_MD5 = 1,
        WIRE_HMAC_SHA1 = 2,
        WIRE_HMAC_SHA256 = 3,
        WIRE_HMAC_SHA512 = 4,
};

/* Digests of data blocks for checksum-based resync and online verify. */
enum wire_digest_alg {
        WIRE_DIGEST_NONE = 0,
        WIRE_DIGEST_CRC32C = 1,
        WIRE_DIGEST_MD5 = 2,
        WIRE_DIGEST_SHA1 = 3,
        WIRE_DIGEST_SHA256 = 4,
        WIRE_DIGEST_SHA512 = 5,
};
#define WIRE_DIGEST_MAX 64u

/* Names for logs and messages; NULL for a value out of range. */
const char *wire_protocol_name(enum wire_protocol p);     /* "A" */
const char *wire_after_sb_name(enum wire_after_sb a);     /* "discard-zero-changes" */
const char *wire_role_name(enum wire_role r);             /* "Primary" */
const char *wire_disk_state_name(enum wire_disk_state d); /* "UpToDate" */
const char *wire_repl_state_name(enum wire_repl_state r); /* "SyncSource" */
const char *wire_reason_name(enum wire_reason r);         /* "auth-failed" */
enum wire_sc_result;
const char *wire_sc_result_name(enum wire_sc_result r);   /* "concurrent" */
const char *wire_hmac_alg_name(enum wire_hmac_alg a);     /* "sha256" */
const char *wire_digest_alg_name(enum wire_digest_alg a); /* "crc32c" */

/* Parsers for the words of disk.conf. Return the value or -EINVAL. The
 * after-sb parser takes the bare policy word; "discard-node-NAME" is
 * matched by the config parser, which stores DISCARD_NODE and NAME. */
int wire_protocol_from_name(const char *s);   /* "A", "B", "C" */
int wire_after_sb_from_name(const char *s);
/* cram-hmac-alg: "md5", "sha1", "sha256", "sha512" or the kernel names
 * "hmac(sha256)" etc., case-insensitive. */
int wire_hmac_alg_from_name(const char *s);
int wire_digest_alg_from_name(const char *s); /* verify-alg, csums-alg */

/* Output size of a digest (0 for NONE) or HMAC, or 0 if out of range. */
size_t wire_digest_size(enum wire_digest_alg a);
size_t wire_hmac_size(enum wire_hmac_alg a);

/* ---- handshake --------------------------------------------------------- */

#define WIRE_HELLO_INITIATOR (1u << 0) /* the sender called connect() */
#define WIRE_HELLO_AUTH      (1u << 1) /* the sender requires mutual auth */
#define WIRE_HELLO_FLAGS     (0x3u)

struct wire_hello {
        uint32_t version_min, version_max;
        uint64_t features;      /* may hold bits this side does not know */
        uint64_t instance_id;   /* random, non-zero, per connect cycle */
        uint32_t node_id;       /* 0..WIRE_NODE_ID_MAX */
        uint32_t flags;         /* WIRE_HELLO_* */
        char host[WIRE_NAME_MAX + 1];
        char resource[WIRE_NAME_MAX + 1];
};

/* Checks the peer's HELLO against ours and agrees a session: the highest
 * common version and the common known features. -EPROTONOSUPPORT when the
 * version ranges do not overlap; -EPROTO when the resource names differ,
 * the node ids are equal, or both or neither side claim to have initiated
 * the connection; -EACCES when one side requires authentication and the
 * other does not. why names the mismatch with both values. */
int wire_hello_negotiate(const struct wire_hello *mine, const struct wire_hello *peer,
                         struct wire_session *ret, char *why, size_t why_size);

/* Two TCP connections to the same peer node exist during a simultaneous
 * connect: "old" (the one already in handshake or established) and "new"
 * (whose HELLO just arrived). Each is described by the peer's instance id
 * on it and by whether this node initiated it. Returns true if the new
 * one is kept (and the old one closed with DUPLICATE_CONNECTION), false
 * if the new one is closed. Both nodes reach the same verdict:
 *  - the peer's instance ids differ: the peer began a new connect cycle
 *    and has given up the old connection; keep the new one;
 *  - else, different initiators: keep the connection initiated by the
 *    node with the higher node id;
 *  - else (one node opened both in one cycle, which a correct peer never
 *    does): keep the old one. */
struct wire_race_conn {
        uint64_t peer_instance_id;
        bool initiated_here;
};
bool wire_race_keep_new(uint32_t my_node_id, uint32_t peer_node_id,
                        const struct wire_race_conn *old_conn,
                        const struct wire_race_conn *new_conn);

/* A random non-zero instance id from GnuTLS's generator. */
int wire_make_instance_id(uint64_t *ret);

#define WIRE_AUTH_CHALLENGE_MIN 32u
#define WIRE_AUTH_CHALLENGE_MAX 64u
#define WIRE_AUTH_CHALLENGE_LEN 64u /* what we send */

struct wire_auth_challenge {
        enum wire_hmac_alg alg;
        uint8_t challenge[WIRE_AUTH_CHALLENGE_MAX];
        size_t challenge_len;   /* WIRE_AUTH_CHALLENGE_MIN..MAX */
};

struct wire_auth_response {
        uint8_t response[WIRE_DIGEST_MAX];
        size_t response_len;    /* 16, 20, 32 or 64 */
};

/* Fills *ret with alg and WIRE_AUTH_CHALLENGE_LEN random bytes. */
int wire_auth_make_challenge(enum wire_hmac_alg alg, struct wire_auth_challenge *ret);

/* The response this node sends: HMAC(secret, "tandem-auth-v1" ||
 * responder node id || the peer's challenge || our own challenge), with
 * the algorithm of the peer's challenge. The responder's node id binds the
 * direction: a response reflected back to its author never verifies.
 * -EINVAL for an empty secret or a bad alg/challenge. */
int wire_auth_response(const void *secret, size_t secret_len,
                       const struct wire_auth_challenge *peer_challenge,
                       const struct wire_auth_challenge *my_challenge,
                       uint32_t my_node_id, struct wire_auth_response *ret);

/* Verifies the peer's response to my_challenge in constant time. 0 if it
 * is right; -EACCES if it is wrong (secret differs, reflected, replayed
 * from another session, wrong length) or if the peer sent our own
 * challenge back; -EINVAL for bad arguments. */
int wire_auth_verify(const void *secret, size_t secret_len,
                     const struct wire_auth_challenge *my_challenge,
                     const struct wire_auth_challenge *peer_challenge,
                     uint32_t peer_node_id, const struct wire_auth_response *response,
                     char *why, size_t why_size);

#define WIRE_SETTINGS_TWO_PRIMARIES   (1u << 0)
#define WIRE_SETTINGS_DISCARD_MY_DATA (1u << 1)
#define WIRE_SETTINGS_FLAGS           (0x3u)

struct wire_settings {
        enum wire_protocol protocol;
        uint8_t flags; /* WIRE_SETTINGS_* */
        enum wire_after_sb after_sb_0pri, after_sb_1pri, after_sb_2pri;
        char discard_node[WIRE_NAME_MAX + 1]; /* iff 0pri is DISCARD_NODE */
        char integrity_alg[WIRE_ALG_MAX + 1]; /* "" = none */
        char verify_alg[WIRE_ALG_MAX + 1];
        char csums_alg[WIRE_ALG_MAX + 1];
};

/* 0 if the two sides' settings may connect; -EPROTO with why naming the
 * first mismatch ("protocol: C here, A on peer") otherwise. discard-my-data
 * may be set on at most one side; everything else must be equal. */
int wire_settings_compare(const struct wire_settings *mine, const struct wire_settings *peer,
                          char *why, size_t why_size);

/* ---- per-volume state -------------------------------------------------- */

#define WIRE_SIZES_FORCED    (1u << 0) /* resize --assume-peer-has-space */
#define WIRE_SIZES_NO_RESYNC (1u << 1) /* resize --assume-clean */
#define WIRE_SIZES_FLAGS     (0x3u)

struct wire_sizes {
        uint64_t backing_size;   /* bytes of the backing store, 0 if diskless */
        uint64_t usable_size;    /* data area after metadata, <= backing */
        uint64_t requested_size; /* "size" option, 0 = not set */
        uint64_t current_size;   /* size exported now, 0 = not yet */
        uint32_t max_io_size;    /* 512..WIRE_MAX_DATA, multiple of 512 */
        uint32_t flags;          /* WIRE_SIZES_* */
};

#define WIRE_UUID_HISTORY 4
#define WIRE_UUID_CONSISTENT        (1u << 0)
#define WIRE_UUID_WAS_UP_TO_DATE    (1u << 1)
#define WIRE_UUID_CRASHED_PRIMARY   (1u << 2)
#define WIRE_UUID_PRIMARY           (1u << 3)
#define WIRE_UUID_PEER_OUTDATED     (1u << 4)
#define WIRE_UUID_SKIP_INITIAL_SYNC (1u << 5)
#define WIRE_UUID_FULL_SYNC         (1u << 6)
#define WIRE_UUID_LOST_PEER_AS_PRIMARY (1u << 7)
#define WIRE_UUID_FLAGS             (0xffu)

struct wire_uuids {
        uint64_t current, bitmap, history[WIRE_UUID_HISTORY];
        uint64_t bits_set;  /* set bits in the out-of-sync bitmap */
        uint32_t flags;     /* WIRE_UUID_* */
};

#define WIRE_STATE_USER_PAUSED       (1u << 0) /* tandem disk pause-sync */
#define WIRE_STATE_DEPENDENCY_PAUSED (1u << 1) /* resync-after */
#define WIRE_STATE_MIGRATION         (1u << 2) /* live migration window */
#define WIRE_STATE_IO_SUSPENDED      (1u << 3)
#define WIRE_STATE_FLAGS             (0xfu)

struct wire_state {
        enum wire_role role;
        enum wire_disk_state disk;
        enum wire_repl_state repl;
        uint32_t flags; /* WIRE_STATE_* */
};

#define WIRE_SCR_FORCE (1u << 0) /* primary --force */
#define WIRE_SCR_FLAGS (0x1u)

/* "I want to change my role": the peer grants or refuses. */
struct wire_state_change_request {
        uint32_t request_id;
        enum wire_role role;
        uint32_t flags; /* WIRE_SCR_* */
};

enum wire_sc_result {
        WIRE_SC_GRANTED = 1,
        WIRE_SC_TWO_PRIMARIES = 2,  /* the peer is Primary, only one allowed */
        WIRE_SC_NO_UP_TO_DATE = 3,  /* no UpToDate data would remain */
        WIRE_SC_CONCURRENT = 4,     /* another change is in progress */
        WIRE_SC_REFUSED = 5,        /* other reason, see text */
};

struct wire_state_change_reply {
        uint32_t request_id;
        enum wire_sc_result result;
        char text[WIRE_TEXT_MAX + 1];
};

/* PING and PING_ACK: the ack echoes the cookie. */
struct wire_ping {
        uint64_t cookie;
};

/* DISCONNECT and ERROR. */
struct wire_close {
        enum wire_reason reason;
        char text[WIRE_TEXT_MAX + 1];
};

/* ---- data path --------------------------------------------------------- */

#define WIRE_DATA_FUA          (1u << 0)
#define WIRE_DATA_FLUSH        (1u << 1) /* flush the backing device first */
#define WIRE_DATA_TRIM         (1u << 2) /* no data; needs FEATURE_TRIM */
#define WIRE_DATA_WRITE_ZEROES (1u << 3) /* no data; needs FEATURE_WRITE_ZEROES */
#define WIRE_DATA_NO_UNMAP     (1u << 4) /* with WRITE_ZEROES: allocate */
#define WIRE_DATA_RESYNC       (1u << 5) /* receiver may mark range in sync */
#define WIRE_DATA_FLAGS        (0x3fu)

#define WIRE_RS_ZEROES         (1u << 0) /* RS_DATA_REPLY: reads as zeroes */
#define WIRE_RS_FLAGS          (0x1u)

/* DATA (id = sequence number >= 1) and RS_DATA_REPLY (id = request id,
 * epoch 0). data points into the decoded payload; data_len is length, or
 * 0 when the flags say the range has no data. */
struct wire_data {
        uint64_t id;
        uint64_t offset;    /* bytes, multiple of 512 */
        uint32_t length;    /* bytes, multiple of 512 */
        uint32_t flags;     /* WIRE_DATA_* or WIRE_RS_* */
        uint32_t epoch;
        const uint8_t *data;
        size_t data_len;
};

enum wire_neg_reason { WIRE_NEG_IO_ERROR = 1, WIRE_NEG_NO_DISK = 2 };
enum wire_rs_cancel { WIRE_RS_CANCEL_IO_ERROR = 1, WIRE_RS_CANCEL_BUSY = 2, WIRE_RS_CANCEL_ABORTED = 3 };
enum wire_ov_result { WIRE_OV_IN_SYNC = 1, WIRE_OV_OUT_OF_SYNC = 2, WIRE_OV_IO_ERROR = 3 };

/* The shared layout of RECV_ACK, WRITE_ACK, NEG_ACK (id = the write's
 * sequence number), OUT_OF_SYNC (id 0), RS_IS_IN_SYNC, RS_CANCEL,
 * OV_REQUEST and OV_RESULT (id = request id). code is a wire_neg_reason
 * for NEG_ACK, a wire_rs_cancel for RS_CANCEL, a wire_ov_result for
 * OV_RESULT, and 0 for the others. */
struct wire_block {
        uint64_t id;
        uint64_t offset;
        uint32_t length;
        uint32_t code;
};

/* RS_DATA_REQUEST (digest optional: checksum-based resync) and OV_REPLY
 * (digest required). */
struct wire_digest_block {
        uint64_t id;
        uint64_t offset;
        uint32_t length;
        enum wire_digest_alg alg;
        uint8_t digest[WIRE_DIGEST_MAX];
        size_t digest_len; /* wire_digest_size(alg) */
};

/* BARRIER (writes sent in the epoch) and BARRIER_ACK (writes completed). */
struct wire_barrier {
        uint32_t epoch;
        uint32_t writes;
};

/* ---- resync ------------------------------------------------------------ */

enum wire_bitmap_encoding { WIRE_BITMAP_PLAIN = 1, WIRE_BITMAP_RLE = 2 };
#define WIRE_BITMAP_LAST      (1u << 0) /* the final chunk of the bitmap */
#define WIRE_BITMAP_FIRST_SET (1u << 1) /* RLE: the first run is of set bits */
#define WIRE_BITMAP_FLAGS     (0x3u)

/* A chunk of the out-of-sync bitmap covering bits [bit_offset, bit_offset
 * + bit_count). body points into the decoded payload: PLAIN, big-endian
 * 64-bit words, bit i of the chunk is bit i%64 of word i/64; RLE, LEB128
 * run lengths alternating clear/set (or set/clear with FIRST_SET). */
struct wire_bitmap {
        enum wire_bitmap_encoding encoding;
        uint32_t flags;         /* WIRE_BITMAP_* */
        uint64_t bit_offset;    /* multiple of 64 */
        uint64_t bit_count;
        const uint8_t *body;
        size_t body_len;
};

/* Walks a decoded (hence valid) chunk as runs of equal bits. */
struct wire_bitmap_iter {
        const struct wire_bitmap *bm;
        size_t pos;        /* byte position in body (RLE) */
        uint64_t bit;      /* next bit, relative to bit_offset */
        bool set;          /* polarity of the next RLE run */
};
void wire_bitmap_iter_init(struct wire_bitmap_iter *it, const struct wire_bitmap *bm);
/* Returns true and the next run (absolute start bit, length, value), or
 * false at the end of the chunk. */
bool wire_bitmap_iter_next(struct wire_bitmap_iter *it, uint64_t *ret_start,
                           uint64_t *ret_count, bool *ret_set);

/* Encodes a PLAIN chunk of bit_count bits from words (host order, bit i
 * = bit i%64 of words[i/64]); bits past bit_count in the last word must
 * be 0. -EMSGSIZE if it does not fit one packet. */
int wire_bitmap_encode_plain(struct buf *out, uint16_t volume, uint64_t bit_offset,
                             const uint64_t *words, uint64_t bit_count, bool last);

/* Encodes as much of bits [0, bit_count) of words as fits max_body bytes
 * of runs (clamped to the packet's limit; at least 64, else -EINVAL) as
 * an RLE chunk at bit_offset (a multiple of 64), and returns in
 * *ret_covered how many bits it holds: at least min(64, bit_count), and a
 * multiple of 64 unless it reaches bit_count, so that the caller's next
 * chunk, at bit_offset + covered with words + covered / 64, starts on a
 * word. LAST is set only if last and everything was covered. */
int wire_bitmap_encode_rle(struct buf *out, uint16_t volume, uint64_t bit_offset,
                           const uint64_t *words, uint64_t bit_count, bool last,
                           size_t max_body, uint64_t *ret_covered);

/* SYNC_PARAMS: the resync controller, DRBD's units and ranges. */
struct wire_sync_params {
        uint32_t resync_rate;    /* KiB/s, 1..4194304 */
        uint32_t c_plan_ahead;   /* 0.1 s, 0..300 (0 = fixed rate) */
        uint32_t c_fill_target;  /* sectors, 0..1048576 */
        uint32_t c_delay_target; /* 0.1 s, 1..100 */
        uint32_t c_max_rate;     /* KiB/s, 250..4194304 */
        uint32_t c_min_rate;     /* KiB/s, 0..4194304 */
        char verify_alg[WIRE_ALG_MAX + 1];
        char csums_alg[WIRE_ALG_MAX + 1];
};

enum wire_pause_reason { WIRE_PAUSE_USER = 1, WIRE_PAUSE_DEPENDENCY = 2 };

/* SYNC_PAUSE and SYNC_RESUME. */
struct wire_sync_pause {
        enum wire_pause_reason reason;
};

/* ---- encoders and decoders --------------------------------------------- */

/* Every encoder appends one whole packet (header and payload) to out and
 * returns 0; it validates the struct as the decoder would and returns
 * -EINVAL (or -ENOMEM) leaving out unchanged. Encoders of shared layouts
 * take the packet type; volume goes in the header (0 for connection
 * packets). Every decoder validates every field of (payload, len) of the
 * given type; see the error convention at the top. */
int wire_hello_encode(struct buf *out, const struct wire_hello *h);
int wire_hello_decode(const void *p, size_t len, struct wire_hello *ret, char *why, size_t why_size);
int wire_auth_challenge_encode(struct buf *out, const struct wire_auth_challenge *c);
int wire_auth_challenge_decode(const void *p, size_t len, struct wire_auth_challenge *ret,
                               char *why, size_t why_size);
int wire_auth_response_encode(struct buf *out, const struct wire_auth_response *r);
int wire_auth_response_decode(const void *p, size_t len, struct wire_auth_response *ret,
                              char *why, size_t why_size);
int wire_settings_encode(struct buf *out, const struct wire_settings *s);
int wire_settings_decode(const void *p, size_t len, struct wire_settings *ret, char *why, size_t why_size);
int wire_sizes_encode(struct buf *out, uint16_t volume, const struct wire_sizes *s);
int wire_sizes_decode(const void *p, size_t len, struct wire_sizes *ret, char *why, size_t why_size);
int wire_uuids_encode(struct buf *out, uint16_t volume, const struct wire_uuids *u);
int wire_uuids_decode(const void *p, size_t len, struct wire_uuids *ret, char *why, size_t why_size);
int wire_state_encode(struct buf *out, uint16_t volume, const struct wire_state *s);
int wire_state_decode(const void *p, size_t len, struct wire_state *ret, char *why, size_t why_size);
int wire_state_change_request_encode(struct buf *out, const struct wire_state_change_request *r);
int wire_state_change_request_decode(const void *p, size_t len, struct wire_state_change_request *ret,
                                     char *why, size_t why_size);
int wire_state_change_reply_encode(struct buf *out, const struct wire_state_change_reply *r);
int wire_state_change_reply_decode(const void *p, size_t len, struct wire_state_change_reply *ret,
                                   char *why, size_t why_size);
/* type: PING or PING_ACK */
int wire_ping_encode(struct buf *out, uint16_t type, const struct wire_ping *p);
int wire_ping_decode(uint16_t type, const void *p, size_t len, struct wire_ping *ret,
                     char *why, size_t why_size);
/* type: DISCONNECT or ERROR */
int wire_close_encode(struct buf *out, uint16_t type, const struct wire_close *c);
int wire_close_decode(uint16_t type, const void *p, size_t len, struct wire_close *ret,
                      char *why, size_t why_size);
/* type: DATA or RS_DATA_REPLY. wire_data_encode copies d->data (d->data_len
 * bytes); wire_data_encode_header writes only the header and the fixed
 * fields, with the header length counting d->data_len bytes of data that
 * the caller sends next from its own buffer (no copy). */
int wire_data_encode(struct buf *out, uint16_t type, uint16_t volume, const struct wire_data *d);
int wire_data_encode_header(struct buf *out, uint16_t type, uint16_t volume, const struct wire_data *d);
int wire_data_decode(uint16_t type, const void *p, size_t len, struct wire_data *ret,
                     char *why, size_t why_size);
/* type: RECV_ACK, WRITE_ACK, NEG_ACK, OUT_OF_SYNC, RS_IS_IN_SYNC,
 * RS_CANCEL, OV_REQUEST, OV_RESULT */
int wire_block_encode(struct buf *out, uint16_t type, uint16_t volume, const struct wire_block *b);
int wire_block_decode(uint16_t type, const void *p, size_t len, struct wire_block *ret,
                      char *why, size_t why_size);
/* type: RS_DATA_REQUEST or OV_REPLY */
int wire_digest_block_encode(struct buf *out, uint16_t type, uint16_t volume,
                             const struct wire_digest_block *b);
int wire_digest_block_decode(uint16_t type, const void *p, size_t len, struct wire_digest_block *ret,
                             char *why, size_t why_size);
/* type: BARRIER or BARRIER_ACK */
int wire_barrier_encode(struct buf *out, uint16_t type, const struct wire_barrier *b);
int wire_barrier_decode(uint16_t type, const void *p, size_t len, struct wire_barrier *ret,
                        char *why, size_t why_size);
int wire_bitmap_encode(struct buf *out, uint16_t volume, const struct wire_bitmap *bm);
int wire_bitmap_decode(const void *p, size_t len, struct wire_bitmap *ret, char *why, size_t why_size);
int wire_sync_params_encode(struct buf *out, uint16_t volume, const struct wire_sync_params *s);
int wire_sync_params_decode(const void *p, size_t len, struct wire_sync_params *ret,
                            char *why, size_t why_size);
/* type: SYNC_PAUSE or SYNC_RESUME */
int wire_sync_pause_encode(struct buf *out, uint16_t type, uint16_t volume, const struct wire_sync_pause *s);
int wire_sync_pause_decode(uint16_t type, const void *p, size_t len, struct wire_sync_pause *ret,
                           char *why, size_t why_size);

/* Any packet, for generic code (dispatch, tracing, fuzzing): the member
 * used is the one of type's layout. Pointers (data, body) point into the
 * frame's payload. */
struct wire_packet {
        uint16_t type;
        uint16_t volume;
        union {
                struct wire_hello hello;
                struct wire_auth_challenge auth_challenge;
                struct wire_auth_response auth_response;
                struct wire_settings settings;
                struct wire_sizes sizes;
                struct wire_uuids uuids;
                struct wire_state state;
                struct wire_state_change_request sc_request;
                struct wire_state_change_reply sc_reply;
                struct wire_ping ping;
                struct wire_close close;
                struct wire_data data;
                struct wire_block block;
                struct wire_digest_block digest_block;
                struct wire_barrier barrier;
                struct wire_bitmap bitmap;
                struct wire_sync_params sync_params;
                struct wire_sync_pause sync_pause;
        };
};

/* Decodes a frame from wire_frame_next() with the decoder of its type. */
int wire_packet_decode(const struct wire_frame *f, struct wire_packet *ret, char *why, size_t why_size);
/* Encodes p with the encoder of p->type. */
int wire_packet_encode(struct buf *out, const struct wire_packet *p);
