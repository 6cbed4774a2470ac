/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nbd_proto.h: the NBD wire protocol as pure functions on byte buffers: the
 * server side of the fixed-newstyle handshake as an incremental state
 * machine, transmission request parsing and validation, reply encoding, and
 * the few client-side encoders/decoders tests need. No IO happens here;
 * nbd_server.c moves the bytes. docs/nbd.md describes the whole design.
 *
 * All numbers on the wire are big-endian. Names and values follow the NBD
 * protocol specification (proto.md of the NBD project).
 *
 * Handshake state machine (struct nbd_handshake):
 *
 *       nbd_handshake_start(): greeting out
 *                 |
 *                 v
 *        NBD_HS_CLIENT_FLAGS --unknown flag bit--> error (hard close)
 *                 | 4 bytes
 *                 v
 *   +----> NBD_HS_OPT_HEADER --bad magic--> error (hard close)
 *   |             | 16 bytes
 *   |             +-- length <= NBD_OPT_MAX_DATA --> NBD_HS_OPT_DATA
 *   |             +-- length <= NBD_OPT_MAX_SKIP --> NBD_HS_OPT_SKIP
 *   |             +-- larger -----------------------> error (hard close)
 *   |             |
 *   |    option complete: reply appended to out
 *   +-------------+-- INFO, LIST, unsupported, failed GO
 *                 +-- ABORT ---------------------> NBD_HS_CLOSED (send ACK, close)
 *                 +-- GO ok, EXPORT_NAME ok -----> NBD_HS_TRANSMISSION
 *                 +-- EXPORT_NAME failed --------> error (hard close)
 *
 * NBD_HS_TRANSMISSION and NBD_HS_CLOSED are final: nbd_handshake_feed()
 * consumes no byte in them, so whatever follows the final option in the
 * input is left for the transmission phase. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Magic numbers. */
#define NBD_MAGIC                 UINT64_C(0x4e42444d41474943)  /* "NBDMAGIC" */
#define NBD_IHAVEOPT              UINT64_C(0x49484156454f5054)  /* "IHAVEOPT" */
#define NBD_REP_MAGIC             UINT64_C(0x0003e889045565a9)
#define NBD_REQUEST_MAGIC         UINT32_C(0x25609513)
#define NBD_SIMPLE_REPLY_MAGIC    UINT32_C(0x67446698)

/* Handshake flags (server, 16 bits) and client flags (32 bits). */
#define NBD_FLAG_FIXED_NEWSTYLE   (1u << 0)
#define NBD_FLAG_NO_ZEROES        (1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_C_NO_ZEROES      (1u << 1)

/* Transmission flags (16 bits). */
#define NBD_FLAG_HAS_FLAGS         (1u << 0)
#define NBD_FLAG_READ_ONLY         (1u << 1)
#define NBD_FLAG_SEND_FLUSH        (1u << 2)
#define NBD_FLAG_SEND_FUA          (1u << 3)
#define NBD_FLAG_ROTATIONAL        (1u << 4)
#define NBD_FLAG_SEND_TRIM         (1u << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBD_FLAG_SEND_DF           (1u << 7)
#define NBD_FLAG_CAN_MULTI_CONN    (1u << 8)
#define NBD_FLAG_SEND_RESIZE       (1u << 9)
#define NBD_FLAG_SEND_CACHE        (1u << 10)
#define NBD_FLAG_SEND_FAST_ZERO    (1u << 11)

/* Options. */
#define NBD_OPT_EXPORT_NAME       1u
#define NBD_OPT_ABORT             2u
#define NBD_OPT_LIST              3u
#define NBD_OPT_PEEK_EXPORT       4u
#define NBD_OPT_STARTTLS          5u
#define NBD_OPT_INFO              6u
#define NBD_OPT_GO                7u
#define NBD_OPT_STRUCTURED_REPLY  8u
#define NBD_OPT_LIST_META_CONTEXT 9u
#define NBD_OPT_SET_META_CONTEXT  10u
#define NBD_OPT_EXTENDED_HEADERS  11u

/* Option reply types. Errors have bit 31 set. */
#define NBD_REP_ACK               1u
#define NBD_REP_SERVER            2u
#define NBD_REP_INFO              3u
#define NBD_REP_META_CONTEXT      4u
#define NBD_REP_FLAG_ERROR        (1u << 31)
#define NBD_REP_ERR_UNSUP           (NBD_REP_FLAG_ERROR | 1u)
#define NBD_REP_ERR_POLICY          (NBD_REP_FLAG_ERROR | 2u)
#define NBD_REP_ERR_INVALID         (NBD_REP_FLAG_ERROR | 3u)
#define NBD_REP_ERR_PLATFORM        (NBD_REP_FLAG_ERROR | 4u)
#define NBD_REP_ERR_TLS_REQD        (NBD_REP_FLAG_ERROR | 5u)
#define NBD_REP_ERR_UNKNOWN         (NBD_REP_FLAG_ERROR | 6u)
#define NBD_REP_ERR_SHUTDOWN        (NBD_REP_FLAG_ERROR | 7u)
#define NBD_REP_ERR_BLOCK_SIZE_REQD (NBD_REP_FLAG_ERROR | 8u)
#define NBD_REP_ERR_TOO_BIG         (NBD_REP_FLAG_ERROR | 9u)

/* Information types of NBD_REP_INFO. */
#define NBD_INFO_EXPORT           0u
#define NBD_INFO_NAME             1u
#define NBD_INFO_DESCRIPTION      2u
#define NBD_INFO_BLOCK_SIZE       3u

/* Commands and command flags. */
#define NBD_CMD_READ              0u
#define NBD_CMD_WRITE             1u
#define NBD_CMD_DISC              2u
#define NBD_CMD_FLUSH             3u
#define NBD_CMD_TRIM              4u
#define NBD_CMD_CACHE             5u
#define NBD_CMD_WRITE_ZEROES      6u
#define NBD_CMD_BLOCK_STATUS      7u
#define NBD_CMD_RESIZE            8u

#define NBD_CMD_FLAG_FUA          (1u << 0)
#define NBD_CMD_FLAG_NO_HOLE      (1u << 1)
#define NBD_CMD_FLAG_DF           (1u << 2)
#define NBD_CMD_FLAG_REQ_ONE      (1u << 3)
#define NBD_CMD_FLAG_FAST_ZERO    (1u << 4)
#define NBD_CMD_FLAG_PAYLOAD_LEN  (1u << 5)

/* Error values of replies. */
#define NBD_EPERM                 1u
#define NBD_EIO                   5u
#define NBD_ENOMEM                12u
#define NBD_EINVAL                22u
#define NBD_ENOSPC                28u
#define NBD_EOVERFLOW             75u
#define NBD_ENOTSUP               95u
#define NBD_ESHUTDOWN             108u

/* Sizes of fixed messages. */
#define NBD_GREETING_SIZE         18u   /* NBDMAGIC, IHAVEOPT, handshake flags */
#define NBD_CLIENT_FLAGS_SIZE     4u
#define NBD_OPTION_HEADER_SIZE    16u
#define NBD_OPTION_REPLY_HEADER_SIZE 20u
#define NBD_EXPORT_NAME_REPLY_SIZE 134u /* size, flags, 124 zero bytes */
#define NBD_REQUEST_SIZE          28u
#define NBD_SIMPLE_REPLY_SIZE     16u

/* Limits. Strings (export names, descriptions, messages) are at most 4096
 * bytes by the spec. Option data up to NBD_OPT_MAX_DATA is collected and
 * parsed; up to NBD_OPT_MAX_SKIP it is read and dropped and the option
 * gets NBD_REP_ERR_TOO_BIG; anything larger is taken as a denial of
 * service attempt and the connection is closed. */
#define NBD_MAX_STRING            4096u
#define NBD_OPT_MAX_DATA          (64u * 1024)
#define NBD_OPT_MAX_SKIP          (16u * 1024 * 1024)

/* Block size constraints the server applies when the backend gives 0, and
 * the largest payload it buffers (2^25, the spec's interoperable maximum
 * for READ and WRITE). */
#define NBD_DEFAULT_MIN_BLOCK     1u
#define NBD_DEFAULT_PREFERRED_BLOCK 4096u
#define NBD_MAX_PAYLOAD           (32u * 1024 * 1024)

/* What the handshake announces about one export and what requests are
 * validated against. */
struct nbd_export_desc {
        uint64_t size;            /* bytes */
        uint16_t flags;           /* transmission flags, NBD_FLAG_HAS_FLAGS included */
        uint32_t min_block, preferred_block, max_block;
        const char *description;  /* may be NULL; only read during the call */
};

/* Transmission flags for an export with these properties. A read-only
 * export does not advertise TRIM, WRITE_ZEROES or FUA (they would fail). */
uint16_t nbd_proto_transmission_flags(bool read_only, bool can_flush, bool can_fua,
                                      bool can_trim, bool can_write_zeroes,
                                      bool can_multi_conn);

/* Fills in the defaults for zero block sizes (1, 4096, NBD_MAX_PAYLOAD),
 * lowers max_block to NBD_MAX_PAYLOAD, and checks the constraints the spec
 * puts on the values: min a power of two <= 64 KiB, preferred a power of
 * two >= max(min, 512), max a multiple of min and >= min(preferred, size).
 * Returns 0, or -EINVAL (d then holds the normalised values so far). */
int nbd_export_desc_normalize(struct nbd_export_desc *d);

/* Maps an option-phase failure (negative errno) to an NBD_REP_ERR_*:
 * ENOENT -> UNKNOWN, ESHUTDOWN -> SHUTDOWN, EPERM/EACCES -> POLICY,
 * EINVAL -> INVALID, E2BIG/EMSGSIZE -> TOO_BIG, EOPNOTSUPP -> UNSUP,
 * anything else -> UNKNOWN (the export is not available). */
uint32_t nbd_proto_rep_error_from_errno(int error);

/* Maps a backend failure (negative errno; positive is taken as negative)
 * to the NBD error of a reply. 0 gives 0; unknown errors give NBD_EIO. */
uint32_t nbd_proto_error_from_errno(int error);

/* Human-readable names for logs and tests ("NBD_OPT_GO", "NBD_CMD_READ",
 * "NBD_REP_ERR_UNKNOWN"); "unknown" for values the spec does not name. */
const char *nbd_proto_option_name(uint32_t opt);
const char *nbd_proto_command_name(uint16_t type);
const char *nbd_proto_reply_name(uint32_t type);

/* ---- Handshake (server side) ---- */

enum nbd_handshake_state {
        NBD_HS_CLIENT_FLAGS,  /* greeting sent; waiting for the client flags */
        NBD_HS_OPT_HEADER,    /* waiting for an option header */
        NBD_HS_OPT_DATA,      /* collecting option data */
        NBD_HS_OPT_SKIP,      /* dropping oversized option data */
        NBD_HS_TRANSMISSION,  /* export chosen: transmission begins (final) */
        NBD_HS_CLOSED,        /* NBD_OPT_ABORT answered: close once sent (final) */
};

/* What the handshake needs from the server. */
struct nbd_handshake_ops {
        /* Describe export `name` (NUL-free, at most NBD_MAX_STRING bytes).
         * Returns 0 with *ret filled (any block size 0 means the default)
         * and *ret_export set to an opaque handle, or a negative errno
         * (-ENOENT: no such export). Required. */
        int (*lookup)(void *userdata, const char *name, struct nbd_export_desc *ret,
                      void **ret_export);
        /* Commit to export (from lookup()) for the transmission phase: called
         * for GO and EXPORT_NAME only, after the export passed validation
         * and before the success reply. A negative errno refuses. May be
         * NULL. */
        int (*open)(void *userdata, void *export);
        /* NBD_OPT_LIST: call emit() once per export; 0 or a negative errno.
         * May be NULL (the list is empty). */
        int (*list)(void *userdata,
                    void (*emit)(void *emit_ctx, const char *name, const char *description),
                    void *emit_ctx);
};

struct nbd_handshake {
        enum nbd_handshake_state state;
        uint32_t client_flags;
        bool no_zeroes;              /* client sent NBD_FLAG_C_NO_ZEROES */
        unsigned n_options;          /* options processed so far */

        /* Result, valid in NBD_HS_TRANSMISSION: the export chosen, with the
         * normalised description (description pointer cleared). */
        struct nbd_export_desc export;
        void *export_handle;

        /* Why feed() failed, for the caller's log ("" if it did not). */
        char error[160];

        /* Private. */
        const struct nbd_handshake_ops *ops;
        void *userdata;
        uint8_t hdr[NBD_OPTION_HEADER_SIZE];
        size_t hdr_len;
        uint32_t opt, opt_len;
        struct buf data;             /* option data, at most NBD_OPT_MAX_DATA */
        uint32_t skip_left;
        struct buf *out;             /* during feed() only */
        int emit_error;              /* during LIST only */
};

/* Prepares hs for one connection. ops and userdata must outlive hs. */
void nbd_handshake_init(struct nbd_handshake *hs, const struct nbd_handshake_ops *ops,
                        void *userdata);

/* Releases what hs holds (not the export: that is the caller's). NULL ok. */
void nbd_handshake_done(struct nbd_handshake *hs);

/* Appends the server greeting (NBDMAGIC, IHAVEOPT, FIXED_NEWSTYLE|NO_ZEROES)
 * to out. -ENOMEM. */
int nbd_handshake_start(struct nbd_handshake *hs, struct buf *out);

/* Consumes client bytes from in and appends the server's answers to out.
 * Stops at the end of input or when a final state is reached, and sets
 * *ret_consumed to the bytes used (bytes after the final option are left
 * for the transmission phase). Returns the new state (>= 0), or a negative
 * errno when the connection must be closed without further ado (hs->error
 * says why): -EPROTO for a protocol violation (unknown client flags, bad
 * option magic, malformed or failed NBD_OPT_EXPORT_NAME), -EMSGSIZE for
 * option data beyond NBD_OPT_MAX_SKIP, -ENOMEM. After an error or in a
 * final state, further calls consume nothing and return the same. */
int nbd_handshake_feed(struct nbd_handshake *hs, const void *in, size_t len,
                       size_t *ret_consumed, struct buf *out);

/* ---- Transmission ---- */

struct nbd_request {
        uint16_t flags;    /* NBD_CMD_FLAG_* */
        uint16_t type;     /* NBD_CMD_* */
        uint64_t cookie;   /* the client's handle, echoed in the reply */
        uint64_t offset;
        uint32_t length;
};

/* Decodes a 28-byte request header. -EBADMSG if the magic is wrong (the
 * stream is out of sync: close the connection). */
int nbd_request_parse(const uint8_t in[NBD_REQUEST_SIZE], struct nbd_request *ret);

/* What to do with a parsed request. */
enum nbd_request_action {
        NBD_REQUEST_SUBMIT,      /* valid: hand it to the backend (WRITE: after the payload) */
        NBD_REQUEST_NOOP,        /* valid but zero-length: reply success without IO */
        NBD_REQUEST_REJECT,      /* reply `error` (after dropping `payload` bytes) */
        NBD_REQUEST_DISCONNECT,  /* NBD_CMD_DISC: finish in-flight requests, close */
        NBD_REQUEST_CLOSE,       /* cannot continue the stream: hard disconnect */
};

struct nbd_request_verdict {
        enum nbd_request_action action;
        uint32_t error;          /* NBD_E* for REJECT, else 0 */
        uint32_t payload;        /* bytes of payload that follow the header */
        const char *reason;      /* static text for REJECT and CLOSE, else NULL */
};

/* Validates req against export e (normalised) and says what to do; see
 * docs/nbd.md for the rules. A WRITE's payload is always accounted for:
 * it is read for SUBMIT, dropped for REJECT, and CLOSE is the verdict when
 * it is larger than NBD_MAX_PAYLOAD. */
void nbd_request_check(const struct nbd_request *req, const struct nbd_export_desc *e,
                       struct nbd_request_verdict *ret);

/* Encodes a simple reply header. */
void nbd_simple_reply_encode(uint8_t out[NBD_SIMPLE_REPLY_SIZE], uint32_t error, uint64_t cookie);

/* ---- Client side (tests, fuzzing, tools) ---- */

/* Encodes a request header. */
void nbd_request_encode(uint8_t out[NBD_REQUEST_SIZE], const struct nbd_request *req);

/* Appends an option (IHAVEOPT, opt, length, data) to out. -ENOMEM. */
int nbd_option_encode(struct buf *out, uint32_t opt, const void *data, uint32_t len);

/* Appends the data of NBD_OPT_INFO/NBD_OPT_GO: name, then n info types.
 * -EINVAL if name is longer than NBD_MAX_STRING; -ENOMEM. */
int nbd_option_info_data(struct buf *out, const char *name, const uint16_t *infos, uint16_t n);

struct nbd_option_reply {
        uint32_t opt;
        uint32_t type;
        uint32_t length;         /* bytes of data that follow the header */
};

/* Decodes a 20-byte option reply header. -EBADMSG on a wrong magic. */
int nbd_option_reply_parse(const uint8_t in[NBD_OPTION_REPLY_HEADER_SIZE],
                           struct nbd_option_reply *ret);

/* Decodes a 16-byte simple reply header. -EBADMSG on a wrong magic. */
int nbd_simple_reply_parse(const uint8_t in[NBD_SIMPLE_REPLY_SIZE], uint32_t *ret_error,
                           uint64_t *ret_cookie);

/* Big-endian loads and stores used by the codec, exported for tests. */
static inline uint16_t nbd_get16(const uint8_t *p) {
        return (uint16_t) ((uint16_t) p[0] << 8 | p[1]);
}
static inline uint32_t nbd_get32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}
static inline uint64_t nbd_get64(const uint8_t *p) {
        return (uint64_t) nbd_get32(p) << 32 | nbd_get32(p + 4);
}
static inline void nbd_put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}
static inline void nbd_put32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}
static inline void nbd_put64(uint8_t *p, uint64_t v) {
        nbd_put32(p, (uint32_t) (v >> 32));
        nbd_put32(p + 4, (uint32_t) v);
}
