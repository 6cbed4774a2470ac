/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Encoder, validating decoder and frame reader of the replication wire
 * protocol (docs/wire-protocol.md), and its HMAC challenge-response. Each
 * packet type has a row in one table: its field layout (which drives both
 * encoding and decoding), its size bounds and a check function on the
 * host struct, shared by encoder and decoder so that we never send what
 * the peer would reject. */

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <strings.h>
#include <sys/param.h>

#include "wire.h"
#include "wire_internal.h"

/* ---- errors and byte order --------------------------------------------- */


#define BAD(...) wire_fail(why, why_size, -EBADMSG, __VA_ARGS__)

const char *wire_strna(const char *s) {
        return s ? s : "n/a";
}

/* Big-endian unsigned integer of width 1..8 bytes. */
static uint64_t get_be(const uint8_t *p, size_t width) {
        uint64_t v = 0;

        for (size_t i = 0; i < width; i++)
                v = v << 8 | p[i];
        return v;
}

void wire_put_be(uint8_t *p, size_t width, uint64_t v) {
        for (size_t i = width; i > 0; i--, v >>= 8)
                p[i - 1] = (uint8_t) v;
}

#define get16(p) ((uint16_t) get_be(p, 2))
#define get32(p) ((uint32_t) get_be(p, 4))
#define get64(p) get_be(p, 8)

/* Host struct members of 1, 2, 4 or 8 bytes (enums are 4). memcpy keeps
 * this free of aliasing questions. */
static uint64_t load_uint(const void *src, size_t size) {
        uint8_t u8;
        uint16_t u16;
        uint32_t u32;
        uint64_t u64;

        switch (size) {
        case 1: memcpy(&u8, src, 1); return u8;
        case 2: memcpy(&u16, src, 2); return u16;
        case 4: memcpy(&u32, src, 4); return u32;
        default: memcpy(&u64, src, 8); return u64;
        }
}

static void store_uint(void *dst, size_t size, uint64_t v) {
        uint8_t u8 = (uint8_t) v;
        uint16_t u16 = (uint16_t) v;
        uint32_t u32 = (uint32_t) v;

        switch (size) {
        case 1: memcpy(dst, &u8, 1); break;
        case 2: memcpy(dst, &u16, 2); break;
        case 4: memcpy(dst, &u32, 4); break;
        default: memcpy(dst, &v, 8); break;
        }
}

static bool fits(uint64_t v, size_t bytes) {
        return bytes >= 8 || v >> (8 * bytes) == 0;
}

/* ---- strings ------------------------------------------------------------ */

/* Names and algorithm names are single printable words: they go into logs
 * and messages. Texts may have spaces. Bytes >= 0x80 pass (UTF-8). */
static int check_str(const char *pkt, const char *field, const char *s, size_t min, size_t max,
                     bool spaces, char *why, size_t why_size) {
        size_t n = strnlen(s, max + 1);

        if (n > max)
                return BAD("%s: %s is longer than %zu bytes", pkt, field, max);
        if (n < min)
                return BAD("%s: %s is empty", pkt, field);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c < 0x20 || c == 0x7f || (c == ' ' && !spaces))
                        return BAD("%s: %s has a forbidden character 0x%02x at byte %zu", pkt, field, c, i);
        }
        return 0;
}

/* ---- names -------------------------------------------------------------- */

#define NAME_FROM_TABLE(table, v) ((v) >= 0 && (size_t) (v) < ELEMENTSOF(table) ? (table)[v] : NULL)

static const char *const protocol_names[] = { [1] = "A", "B", "C" };
static const char *const after_sb_names[] = {
        [WIRE_ASB_DISCONNECT] = "disconnect",
        [WIRE_ASB_DISCARD_YOUNGER_PRIMARY] = "discard-younger-primary",
        [WIRE_ASB_DISCARD_OLDER_PRIMARY] = "discard-older-primary",
        [WIRE_ASB_DISCARD_ZERO_CHANGES] = "discard-zero-changes",
        [WIRE_ASB_DISCARD_LEAST_CHANGES] = "discard-least-changes",
        [WIRE_ASB_DISCARD_NODE] = "discard-node",
        [WIRE_ASB_CONSENSUS] = "consensus",
        [WIRE_ASB_VIOLENTLY_AS0P] = "violently-as0p",
        [WIRE_ASB_DISCARD_SECONDARY] = "discard-secondary",
        [WIRE_ASB_CALL_PRI_LOST_AFTER_SB] = "call-pri-lost-after-sb",
};
static const char *const role_names[] = { [1] = "Primary", "Secondary" };
static const char *const disk_names[] = {
        [1] = "Diskless", "Inconsistent", "Outdated", "Consistent", "UpToDate",
};
static const char *const repl_names[] = {
        [1] = "Established", "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT",
        "SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT", "VerifyS", "VerifyT",
};
static const char *const reason_names[] = {
        [1] = "protocol-error", "version", "auth-failed", "auth-config", "resource-mismatch",
        "node-id", "settings-mismatch", "duplicate-connection", "split-brain",
        "unrelated-data", "size", "io-error", "timeout", "admin", "shutdown", "internal",
};
static const char *const sc_result_names[] = {
        [WIRE_SC_GRANTED] = "granted", [WIRE_SC_TWO_PRIMARIES] = "two-primaries",
        [WIRE_SC_NO_UP_TO_DATE] = "no-up-to-date", [WIRE_SC_CONCURRENT] = "concurrent",
        [WIRE_SC_REFUSED] = "refused",
};
static const char *const hmac_names[] = { [1] = "md5", "sha1", "sha256", "sha512" };
static const size_t hmac_sizes[] = { [1] = 16, 20, 32, 64 };
static const char *const digest_names[] = { [1] = "crc32c", "md5", "sha1", "sha256", "sha512" };
static const size_t digest_sizes[] = { 0, 4, 16, 20, 32, 64 };

const char *wire_protocol_name(enum wire_protocol p) { return NAME_FROM_TABLE(protocol_names, (int) p); }
const char *wire_after_sb_name(enum wire_after_sb a) { return NAME_FROM_TABLE(after_sb_names, (int) a); }
const char *wire_role_name(enum wire_role r) { return NAME_FROM_TABLE(role_names, (int) r); }
const char *wire_disk_state_name(enum wire_disk_state d) { return NAME_FROM_TABLE(disk_names, (int) d); }
const char *wire_repl_state_name(enum wire_repl_state r) { return NAME_FROM_TABLE(repl_names, (int) r); }
const char *wire_reason_name(enum wire_reason r) { return NAME_FROM_TABLE(reason_names, (int) r); }
const char *wire_sc_result_name(enum wire_sc_result r) { return NAME_FROM_TABLE(sc_result_names, (int) r); }
const char *wire_hmac_alg_name(enum wire_hmac_alg a) { return NAME_FROM_TABLE(hmac_names, (int) a); }
const char *wire_digest_alg_name(enum wire_digest_alg a) { return NAME_FROM_TABLE(digest_names, (int) a); }

size_t wire_hmac_size(enum wire_hmac_alg a) {
        return (int) a >= 1 && (size_t) a < ELEMENTSOF(hmac_sizes) ? hmac_sizes[a] : 0;
}

size_t wire_digest_size(enum wire_digest_alg a) {
        return (int) a >= 0 && (size_t) a < ELEMENTSOF(digest_sizes) ? digest_sizes[a] : 0;
}

static int index_of(const char *const *table, size_t n, const char *s, bool icase) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && (icase ? strcasecmp(table[i], s) : strcmp(table[i], s)) == 0)
                        return (int) i;
        return -EINVAL;
}

int wire_protocol_from_name(const char *s) {
        return index_of(protocol_names, ELEMENTSOF(protocol_names), s, false);
}

int wire_after_sb_from_name(const char *s) {
        /* "discard-node" alone is not a word of drbd.conf: it needs a NAME */
        if (s && streq(s, "discard-node"))
                return -EINVAL;
        return index_of(after_sb_names, ELEMENTSOF(after_sb_names), s, false);
}

int wire_hmac_alg_from_name(const char *s) {
        char inner[16];
        size_t n;

        if (!s)
                return -EINVAL;
        /* The kernel crypto API's "hmac(sha256)" names the same thing. */
        n = strlen(s);
        if (n > 6 && strncasecmp(s, "hmac(", 5) == 0 && s[n - 1] == ')') {
                if (n - 6 >= sizeof inner)
                        return -EINVAL;
                memcpy(inner, s + 5, n - 6);
                inner[n - 6] = '\0';
                s = inner;
        }
        return index_of(hmac_names, ELEMENTSOF(hmac_names), s, true);
}

int wire_digest_alg_from_name(const char *s) {
        return index_of(digest_names, ELEMENTSOF(digest_names), s, true);
}

static const char *feature_name(uint64_t f) {
        switch (f) {
        case WIRE_FEATURE_TRIM: return "TRIM";
        case WIRE_FEATURE_WRITE_ZEROES: return "WRITE_ZEROES";
        case WIRE_FEATURE_RESYNC_BITMAP_RLE: return "RESYNC_BITMAP_RLE";
        case WIRE_FEATURE_CSUM_RESYNC: return "CSUM_RESYNC";
        case WIRE_FEATURE_THIN_RESYNC: return "THIN_RESYNC";
        default: return "?";
        }
}

/* ---- field layouts -------------------------------------------------------- */

/* A payload is a sequence of fields; the same list encodes and decodes. */
enum field_kind {
        F_UINT,    /* big-endian integer of width bytes <-> a struct member */
        F_ZERO,    /* width reserved bytes, must be 0 */
        F_STR,     /* u8 length + bytes (no NUL) <-> char[max + 1] */
        F_BYTES,   /* u8 length + bytes <-> uint8_t[max], size_t length at aux */
        F_HMAC,    /* an HMAC algorithm as its name (F_STR) <-> enum wire_hmac_alg */
        F_REST,    /* all remaining bytes <-> const uint8_t *, size_t length at aux */
};

struct field {
        uint8_t kind, width, msize;
        uint16_t off, aux, max;
        const char *name;
};

#define MSIZE(T, m) sizeof(((T *) 0)->m)
#define UINT(T, m, w, nm) { F_UINT, w, MSIZE(T, m), offsetof(T, m), 0, 0, nm }
#define ZERO(w) { F_ZERO, w, 0, 0, 0, 0, "reserved" }
#define STR(T, m, nm) { F_STR, 0, 0, offsetof(T, m), 0, MSIZE(T, m) - 1, nm }
#define BYTES(T, m, len, nm) { F_BYTES, 0, 0, offsetof(T, m), offsetof(T, len), MSIZE(T, m), nm }
#define HMAC(T, m, nm) { F_HMAC, 0, MSIZE(T, m), offsetof(T, m), 0, WIRE_ALG_MAX, nm }
#define REST(T, m, len, nm) { F_REST, 0, 0, offsetof(T, m), offsetof(T, len), 0, nm }

#define H struct wire_hello
static const struct field hello_fields[] = {
        UINT(H, version_min, 4, "version_min"), UINT(H, version_max, 4, "version_max"),
        UINT(H, features, 8, "features"), UINT(H, instance_id, 8, "instance id"),
        UINT(H, node_id, 4, "node id"), UINT(H, flags, 4, "flags"),
        STR(H, host, "host name"), STR(H, resource, "resource name"),
};
#undef H
#define C struct wire_auth_challenge
static const struct field challenge_fields[] = {
        HMAC(C, alg, "algorithm"), BYTES(C, challenge, challenge_len, "challenge"),
};
#undef C
static const struct field response_fields[] = {
        BYTES(struct wire_auth_response, response, response_len, "response"),
};
#define S struct wire_settings
static const struct field settings_fields[] = {
        UINT(S, protocol, 1, "protocol"), UINT(S, flags, 1, "flags"),
        UINT(S, after_sb_0pri, 1, "after-sb-0pri"), UINT(S, after_sb_1pri, 1, "after-sb-1pri"),
        UINT(S, after_sb_2pri, 1, "after-sb-2pri"), ZERO(3),
        STR(S, discard_node, "discard-node name"), STR(S, integrity_alg, "data-integrity-alg"),
        STR(S, verify_alg, "verify-alg"), STR(S, csums_alg, "csums-alg"),
};
#undef S
#define S struct wire_sizes
static const struct field sizes_fields[] = {
        UINT(S, backing_size, 8, "backing size"), UINT(S, usable_size, 8, "usable size"),
        UINT(S, requested_size, 8, "requested size"), UINT(S, current_size, 8, "current size"),
        UINT(S, max_io_size, 4, "max IO size"), UINT(S, flags, 4, "flags"),
};
#undef S
#define U struct wire_uuids
static const struct field uuids_fields[] = {
        UINT(U, current, 8, "current"), UINT(U, bitmap, 8, "bitmap"),
        UINT(U, history[0], 8, "history[0]"), UINT(U, history[1], 8, "history[1]"),
        UINT(U, history[2], 8, "history[2]"), UINT(U, history[3], 8, "history[3]"),
        UINT(U, bits_set, 8, "bits set"), UINT(U, flags, 4, "flags"), ZERO(4),
};
#undef U
#define S struct wire_state
static const struct field state_fields[] = {
        UINT(S, role, 1, "role"), UINT(S, disk, 1, "disk"), UINT(S, repl, 1, "repl"), ZERO(1),
        UINT(S, flags, 4, "flags"),
};
#undef S
#define R struct wire_state_change_request
static const struct field sc_request_fields[] = {
        UINT(R, request_id, 4, "request id"), UINT(R, role, 1, "role"), ZERO(3), UINT(R, flags, 4, "flags"),
};
#undef R
#define R struct wire_state_change_reply
static const struct field sc_reply_fields[] = {
        UINT(R, request_id, 4, "request id"), UINT(R, result, 4, "result"), STR(R, text, "text"),
};
#undef R
static const struct field ping_fields[] = {
        UINT(struct wire_ping, cookie, 8, "cookie"),
};
static const struct field close_fields[] = {
        UINT(struct wire_close, reason, 4, "reason"), STR(struct wire_close, text, "text"),
};
#define D struct wire_data
static const struct field data_fields[] = {
        UINT(D, id, 8, "id"), UINT(D, offset, 8, "offset"), UINT(D, length, 4, "length"),
        UINT(D, flags, 4, "flags"), UINT(D, epoch, 4, "epoch"), ZERO(4), REST(D, data, data_len, "data"),
};
#undef D
#define B struct wire_block
static const struct field block_fields[] = {
        UINT(B, id, 8, "id"), UINT(B, offset, 8, "offset"), UINT(B, length, 4, "length"),
        UINT(B, code, 4, "code"),
};
#undef B
#define B struct wire_digest_block
static const struct field digest_block_fields[] = {
        UINT(B, id, 8, "id"), UINT(B, offset, 8, "offset"), UINT(B, length, 4, "length"),
        UINT(B, alg, 1, "digest algorithm"), ZERO(3), BYTES(B, digest, digest_len, "digest"),
};
#undef B
static const struct field barrier_fields[] = {
        UINT(struct wire_barrier, epoch, 4, "epoch"), UINT(struct wire_barrier, writes, 4, "writes"),
};
#define B struct wire_bitmap
static const struct field bitmap_fields[] = {
        UINT(B, encoding, 1, "encoding"), UINT(B, flags, 1, "flags"), ZERO(6),
        UINT(B, bit_offset, 8, "bit offset"), UINT(B, bit_count, 8, "bit count"),
        REST(B, body, body_len, "body"),
};
#undef B
#define S struct wire_sync_params
static const struct field sync_params_fields[] = {
        UINT(S, resync_rate, 4, "resync-rate"), UINT(S, c_plan_ahead, 4, "c-plan-ahead"),
        UINT(S, c_fill_target, 4, "c-fill-target"), UINT(S, c_delay_target, 4, "c-delay-target"),
        UINT(S, c_max_rate, 4, "c-max-rate"), UINT(S, c_min_rate, 4, "c-min-rate"),
        STR(S, verify_alg, "verify-alg"), STR(S, csums_alg, "csums-alg"),
};
#undef S
static const struct field sync_pause_fields[] = {
        UINT(struct wire_sync_pause, reason, 4, "reason"),
};

/* Reads fields into st (zeroed by the caller). open_ended: bytes after
 * the last field are tolerated (HELLO: fields of later versions). */
static int fields_decode(const char *pkt, const struct field *fl, size_t nf, bool open_ended,
                         const uint8_t *p, size_t len, void *st, char *why, size_t why_size) {
        char name[WIRE_ALG_MAX + 1];
        size_t pos = 0;

        for (size_t i = 0; i < nf; i++) {
                const struct field *f = &fl[i];
                uint8_t *m = (uint8_t *) st + f->off;
                size_t n;

                switch (f->kind) {
                case F_UINT:
                case F_ZERO:
                        if (len - pos < f->width)
                                return BAD("%s: payload of %zu bytes ends inside %s", pkt, len, f->name);
                        if (f->kind == F_UINT) {
                                uint64_t v = get_be(p + pos, f->width);

                                if (!fits(v, f->msize)) /* only if a layout is wrong */
                                        return BAD("%s: %s %" PRIu64 " is too large", pkt, f->name, v);
                                store_uint(m, f->msize, v);
                        } else if (get_be(p + pos, f->width) != 0)
                                return BAD("%s: reserved bytes at offset %zu are not 0", pkt, pos);
                        pos += f->width;
                        break;
                case F_STR:
                case F_BYTES:
                case F_HMAC:
                        if (len - pos < 1 || len - pos - 1 < p[pos])
                                return BAD("%s: payload of %zu bytes ends inside %s", pkt, len, f->name);
                        n = p[pos++];
                        if (n > f->max)
                                return BAD("%s: %s is %zu bytes, at most %u allowed", pkt, f->name, n, f->max);
                        if (f->kind == F_BYTES) {
                                memcpy(m, p + pos, n);
                                memcpy((uint8_t *) st + f->aux, &n, sizeof n);
                        } else {
                                char *dst = f->kind == F_STR ? (char *) m : name;
                                int r;

                                if (memchr(p + pos, '\0', n))
                                        return BAD("%s: %s contains a NUL byte", pkt, f->name);
                                memcpy(dst, p + pos, n);
                                dst[n] = '\0';
                                if (f->kind == F_HMAC) {
                                        r = check_str(pkt, f->name, name, 1, WIRE_ALG_MAX, false, why, why_size);
                                        if (r < 0)
                                                return r;
                                        r = wire_hmac_alg_from_name(name);
                                        if (r < 0)
                                                return BAD("%s: unknown HMAC algorithm '%s'", pkt, name);
                                        store_uint(m, f->msize, (uint64_t) r);
                                }
                        }
                        pos += n;
                        break;
                case F_REST: {
                        const uint8_t *rest = len > pos ? p + pos : NULL;

                        n = len - pos;
                        memcpy(m, &rest, sizeof rest);
                        memcpy((uint8_t *) st + f->aux, &n, sizeof n);
                        pos = len;
                        break;
                }
                }
        }
        if (pos != len && !open_ended)
                return BAD("%s: %zu unexpected bytes after the last field", pkt, len - pos);
        return 0;
}

/* Appends the fields of st to out. copy_rest false: an F_REST field is
 * not copied, its length is returned in *ret_rest for the header. The
 * struct was checked, so strings and byte arrays fit their prefixes. */
static int fields_encode(struct buf *out, const struct field *fl, size_t nf, const void *st,
                         bool copy_rest, size_t *ret_rest) {
        const uint8_t *base = st;

        *ret_rest = 0;
        for (size_t i = 0; i < nf; i++) {
                const struct field *f = &fl[i];
                uint8_t tmp[8] = {0}, n8;
                const char *s;
                const uint8_t *ptr;
                size_t n;
                uint64_t v;
                int r = 0;

                switch (f->kind) {
                case F_UINT:
                        v = load_uint(base + f->off, f->msize);
                        if (!fits(v, f->width))
                                return -EINVAL;
                        wire_put_be(tmp, f->width, v);
                        __attribute__((fallthrough));
                case F_ZERO:
                        r = buf_append(out, tmp, f->width);
                        break;
                case F_STR:
                case F_HMAC:
                        if (f->kind == F_STR)
                                s = (const char *) base + f->off;
                        else
                                s = wire_hmac_alg_name((enum wire_hmac_alg) load_uint(base + f->off, f->msize));
                        n8 = (uint8_t) strlen(s);
                        r = buf_append(out, &n8, 1);
                        if (r >= 0)
                                r = buf_append(out, s, n8);
                        break;
                case F_BYTES:
                        memcpy(&n, base + f->aux, sizeof n);
                        n8 = (uint8_t) n;
                        r = buf_append(out, &n8, 1);
                        if (r >= 0)
                                r = buf_append(out, base + f->off, n);
                        break;
                case F_REST:
                        memcpy(&ptr, base + f->off, sizeof ptr);
                        memcpy(&n, base + f->aux, sizeof n);
                        if (!copy_rest)
                                *ret_rest = n;
                        else if (n > 0)
                                r = buf_append(out, ptr, n);
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- checks on host structs ---------------------------------------------- */

typedef int (*check_fn)(uint16_t type, const void *st, char *why, size_t why_size);

/* A byte range: 512-aligned offset and length within [min, max], no
 * overflow of offset + length. */
static int check_range(const char *pkt, uint64_t offset, uint64_t length, uint64_t min, uint64_t max,
                       char *why, size_t why_size) {
        if (offset % WIRE_SECTOR_SIZE)
                return BAD("%s: offset %" PRIu64 " is not a multiple of 512", pkt, offset);
        if (length % WIRE_SECTOR_SIZE)
                return BAD("%s: length %" PRIu64 " is not a multiple of 512", pkt, length);
        if (length < min || length > max)
                return BAD("%s: length %" PRIu64 " is outside %" PRIu64 "..%" PRIu64, pkt, length, min, max);
        if (offset > UINT64_MAX - length)
                return BAD("%s: range at offset %" PRIu64 " wraps past 2^64", pkt, offset);
        return 0;
}

static int check_flags(const char *pkt, uint32_t flags, uint32_t known, char *why, size_t why_size) {
        if (flags & ~known)
                return BAD("%s: reserved flag bits 0x%x are set", pkt, flags & ~known);
        return 0;
}

static int hello_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_hello *h = st;
        int r;

        if (h->version_min < 1)
                return BAD("HELLO: version_min is 0, versions start at 1");
        if (h->version_min > h->version_max)
                return BAD("HELLO: version range %u..%u is empty", h->version_min, h->version_max);
        if (h->instance_id == 0)
                return BAD("HELLO: instance id is 0");
        if (h->node_id > WIRE_NODE_ID_MAX)
                return BAD("HELLO: node id %u is above %u", h->node_id, WIRE_NODE_ID_MAX);
        if ((r = check_flags("HELLO", h->flags, WIRE_HELLO_FLAGS, why, why_size)) < 0 ||
            (r = check_str("HELLO", "host name", h->host, 1, WIRE_NAME_MAX, false, why, why_size)) < 0)
                return r;
        return check_str("HELLO", "resource name", h->resource, 1, WIRE_NAME_MAX, false, why, why_size);
}

int wire_challenge_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_auth_challenge *c = st;

        if (!wire_hmac_alg_name(c->alg))
                return BAD("AUTH_CHALLENGE: unknown HMAC algorithm %d", (int) c->alg);
        if (c->challenge_len < WIRE_AUTH_CHALLENGE_MIN || c->challenge_len > WIRE_AUTH_CHALLENGE_MAX)
                return BAD("AUTH_CHALLENGE: challenge is %zu bytes, must be %u..%u", c->challenge_len,
                           WIRE_AUTH_CHALLENGE_MIN, WIRE_AUTH_CHALLENGE_MAX);
        return 0;
}

static int response_check(uint16_t type, const void *st, char *why, size_t why_size) {
        size_t n = ((const struct wire_auth_response *) st)->response_len;

        if (n != 16 && n != 20 && n != 32 && n != 64)
                return BAD("AUTH_RESPONSE: response is %zu bytes, no HMAC has that size", n);
        return 0;
}

static bool asb_allowed(int slot, enum wire_after_sb a) {
        switch (a) {
        case WIRE_ASB_DISCONNECT:
                return true;
        case WIRE_ASB_DISCARD_YOUNGER_PRIMARY:
        case WIRE_ASB_DISCARD_OLDER_PRIMARY:
        case WIRE_ASB_DISCARD_ZERO_CHANGES:
        case WIRE_ASB_DISCARD_LEAST_CHANGES:
        case WIRE_ASB_DISCARD_NODE:
                return slot == 0;
        case WIRE_ASB_CONSENSUS:
        case WIRE_ASB_DISCARD_SECONDARY:
                return slot == 1;
        case WIRE_ASB_VIOLENTLY_AS0P:
        case WIRE_ASB_CALL_PRI_LOST_AFTER_SB:
                return slot >= 1;
        default:
                return false;
        }
}

static int settings_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_settings *s = st;
        const enum wire_after_sb asb[3] = { s->after_sb_0pri, s->after_sb_1pri, s->after_sb_2pri };
        const struct { const char *name, *value; } algs[] = {
                { "data-integrity-alg", s->integrity_alg },
                { "verify-alg", s->verify_alg },
                { "csums-alg", s->csums_alg },
        };
        int r;

        if (!wire_protocol_name(s->protocol))
                return BAD("SETTINGS: protocol %u is not A (1), B (2) or C (3)", (unsigned) s->protocol);
        if ((r = check_flags("SETTINGS", s->flags, WIRE_SETTINGS_FLAGS, why, why_size)) < 0)
                return r;
        for (int i = 0; i < 3; i++)
                if (!asb_allowed(i, asb[i]))
                        return BAD("SETTINGS: after-sb-%dpri policy %u (%s) is not allowed there", i,
                                   (unsigned) asb[i], wire_strna(wire_after_sb_name(asb[i])));
        if (s->after_sb_0pri == WIRE_ASB_DISCARD_NODE) {
                r = check_str("SETTINGS", "discard-node name", s->discard_node, 1, WIRE_NAME_MAX, false,
                              why, why_size);
                if (r < 0)
                        return r;
        } else if (s->discard_node[0])
                return BAD("SETTINGS: discard-node name given but after-sb-0pri is %s",
                           wire_after_sb_name(s->after_sb_0pri));
        for (size_t i = 0; i < ELEMENTSOF(algs); i++)
                if ((r = check_str("SETTINGS", algs[i].name, algs[i].value, 0, WIRE_ALG_MAX, false,
                                   why, why_size)) < 0)
                        return r;
        return 0;
}

static int sizes_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_sizes *s = st;
        const struct { const char *name; uint64_t v; } f[] = {
                { "backing size", s->backing_size }, { "usable size", s->usable_size },
                { "requested size", s->requested_size }, { "current size", s->current_size },
        };

        for (size_t i = 0; i < ELEMENTSOF(f); i++)
                if (f[i].v % WIRE_SECTOR_SIZE)
                        return BAD("SIZES: %s %" PRIu64 " is not a multiple of 512", f[i].name, f[i].v);
        if (s->usable_size > s->backing_size)
                return BAD("SIZES: usable size %" PRIu64 " exceeds backing size %" PRIu64,
                           s->usable_size, s->backing_size);
        if (s->max_io_size < WIRE_SECTOR_SIZE || s->max_io_size > WIRE_MAX_DATA ||
            s->max_io_size % WIRE_SECTOR_SIZE)
                return BAD("SIZES: max IO size %u is not a multiple of 512 in 512..%u",
                           s->max_io_size, WIRE_MAX_DATA);
        return check_flags("SIZES", s->flags, WIRE_SIZES_FLAGS, why, why_size);
}

static int uuids_check(uint16_t type, const void *st, char *why, size_t why_size) {
        return check_flags("UUIDS", ((const struct wire_uuids *) st)->flags, WIRE_UUID_FLAGS, why, why_size);
}

static int state_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_state *s = st;

        if (!wire_role_name(s->role))
                return BAD("STATE: role %u is not Primary (1) or Secondary (2)", (unsigned) s->role);
        if (!wire_disk_state_name(s->disk))
                return BAD("STATE: disk state %u is outside 1..5", (unsigned) s->disk);
        if (!wire_repl_state_name(s->repl))
                return BAD("STATE: replication state %u is outside 1..11", (unsigned) s->repl);
        return check_flags("STATE", s->flags, WIRE_STATE_FLAGS, why, why_size);
}

static int sc_request_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_state_change_request *s = st;

        if (!wire_role_name(s->role))
                return BAD("STATE_CHANGE_REQUEST: role %u is not Primary (1) or Secondary (2)",
                           (unsigned) s->role);
        return check_flags("STATE_CHANGE_REQUEST", s->flags, WIRE_SCR_FLAGS, why, why_size);
}

static int sc_reply_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_state_change_reply *s = st;

        if (s->result < WIRE_SC_GRANTED || s->result > WIRE_SC_REFUSED)
                return BAD("STATE_CHANGE_REPLY: result %u is outside 1..5", (unsigned) s->result);
        return check_str("STATE_CHANGE_REPLY", "text", s->text, 0, WIRE_TEXT_MAX, true, why, why_size);
}

static int close_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_close *c = st;

        if (!wire_reason_name(c->reason))
                return BAD("%s: reason %u is outside 1..16", wire_packet_name(type), (unsigned) c->reason);
        return check_str(wire_packet_name(type), "text", c->text, 0, WIRE_TEXT_MAX, true, why, why_size);
}

static int data_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_data *d = st;
        const char *name = wire_packet_name(type);
        bool nodata;
        int r;

        if (type == WIRE_P_DATA) {
                if (d->id == 0)
                        return BAD("DATA: sequence number is 0, they start at 1");
                if ((r = check_flags("DATA", d->flags, WIRE_DATA_FLAGS, why, why_size)) < 0)
                        return r;
                if ((d->flags & WIRE_DATA_TRIM) && (d->flags & WIRE_DATA_WRITE_ZEROES))
                        return BAD("DATA: TRIM and WRITE_ZEROES are both set");
                if ((d->flags & WIRE_DATA_NO_UNMAP) && !(d->flags & WIRE_DATA_WRITE_ZEROES))
                        return BAD("DATA: NO_UNMAP without WRITE_ZEROES");
                nodata = d->flags & (WIRE_DATA_TRIM | WIRE_DATA_WRITE_ZEROES);
        } else {
                if ((r = check_flags("RS_DATA_REPLY", d->flags, WIRE_RS_FLAGS, why, why_size)) < 0)
                        return r;
                if (d->epoch != 0)
                        return BAD("RS_DATA_REPLY: epoch is %u, resync replies carry 0", d->epoch);
                nodata = d->flags & WIRE_RS_ZEROES;
        }
        r = check_range(name, d->offset, d->length, WIRE_SECTOR_SIZE,
                        nodata && type == WIRE_P_DATA ? WIRE_MAX_RANGE : WIRE_MAX_DATA, why, why_size);
        if (r < 0)
                return r;
        if (nodata && d->data_len != 0)
                return BAD("%s: %zu bytes of data follow a range that carries none", name, d->data_len);
        if (!nodata && d->data_len != d->length)
                return BAD("%s: length field says %u bytes but %zu bytes of data follow", name,
                           d->length, d->data_len);
        if (d->data_len > 0 && !d->data)
                return -EINVAL;
        return 0;
}

static int block_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_block *b = st;
        const char *name = wire_packet_name(type);
        uint32_t code_max = 0;
        uint64_t max = WIRE_MAX_DATA;

        switch (type) {
        case WIRE_P_NEG_ACK:
                code_max = WIRE_NEG_NO_DISK;
                __attribute__((fallthrough));
        case WIRE_P_RECV_ACK:
        case WIRE_P_WRITE_ACK:
                if (b->id == 0)
                        return BAD("%s: sequence number is 0, they start at 1", name);
                max = WIRE_MAX_RANGE;
                break;
        case WIRE_P_OUT_OF_SYNC:
                if (b->id != 0)
                        return BAD("OUT_OF_SYNC: id is %" PRIu64 ", must be 0", b->id);
                max = WIRE_MAX_RANGE;
                break;
        case WIRE_P_RS_CANCEL:
                code_max = WIRE_RS_CANCEL_ABORTED;
                break;
        case WIRE_P_OV_RESULT:
                code_max = WIRE_OV_IO_ERROR;
                break;
        default: /* RS_IS_IN_SYNC, OV_REQUEST */
                break;
        }
        if (code_max == 0 && b->code != 0)
                return BAD("%s: code field is %u, must be 0", name, b->code);
        if (code_max != 0 && (b->code < 1 || b->code > code_max))
                return BAD("%s: code %u is outside 1..%u", name, b->code, code_max);
        return check_range(name, b->offset, b->length, WIRE_SECTOR_SIZE, max, why, why_size);
}

static int digest_block_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_digest_block *b = st;
        const char *name = wire_packet_name(type);

        if ((unsigned) b->alg > WIRE_DIGEST_SHA512)
                return BAD("%s: digest algorithm %u is outside 0..5", name, (unsigned) b->alg);
        if (type == WIRE_P_OV_REPLY && b->alg == WIRE_DIGEST_NONE)
                return BAD("OV_REPLY: digest algorithm is none");
        if (b->digest_len != wire_digest_size(b->alg))
                return BAD("%s: digest is %zu bytes, %s gives %zu", name, b->digest_len,
                           b->alg ? wire_digest_alg_name(b->alg) : "none", wire_digest_size(b->alg));
        return check_range(name, b->offset, b->length, WIRE_SECTOR_SIZE, WIRE_MAX_DATA, why, why_size);
}

static int no_check(uint16_t type, const void *st, char *why, size_t why_size) {
        return 0;
}

static int bitmap_check(uint16_t type, const void *st, char *why, size_t why_size);

static int sync_params_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_sync_params *s = st;
        const struct { const char *name; uint32_t v, lo, hi; } f[] = {
                { "resync-rate", s->resync_rate, 1, 4u << 20 },
                { "c-plan-ahead", s->c_plan_ahead, 0, 300 },
                { "c-fill-target", s->c_fill_target, 0, 1u << 20 },
                { "c-delay-target", s->c_delay_target, 1, 100 },
                { "c-max-rate", s->c_max_rate, 250, 4u << 20 },
                { "c-min-rate", s->c_min_rate, 0, 4u << 20 },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(f); i++)
                if (f[i].v < f[i].lo || f[i].v > f[i].hi)
                        return BAD("SYNC_PARAMS: %s %u is outside %u..%u", f[i].name, f[i].v, f[i].lo, f[i].hi);
        r = check_str("SYNC_PARAMS", "verify-alg", s->verify_alg, 0, WIRE_ALG_MAX, false, why, why_size);
        if (r < 0)
                return r;
        return check_str("SYNC_PARAMS", "csums-alg", s->csums_alg, 0, WIRE_ALG_MAX, false, why, why_size);
}

static int sync_pause_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_sync_pause *s = st;

        if (s->reason != WIRE_PAUSE_USER && s->reason != WIRE_PAUSE_DEPENDENCY)
                return BAD("%s: reason %u is neither user (1) nor dependency (2)", wire_packet_name(type),
                           (unsigned) s->reason);
        return 0;
}

/* ---- the dispatch table ------------------------------------------------ */

struct packet_desc {
        struct wire_packet_info info;
        const struct field *fields;
        size_t nfields;
        check_fn check;
};

#define CONN WIRE_SCOPE_CONNECTION
#define VOL WIRE_SCOPE_VOLUME
#define P(t, sc, lo, hi, feat, pre, layout, chk) \
        [WIRE_P_##t] = { { WIRE_P_##t, #t, sc, lo, hi, 1, feat, pre }, layout, ELEMENTSOF(layout), chk }

/* Size bounds follow from the layouts: fixed fields, plus 1..1+max for
 * each length-prefixed field, plus any trailing data. */
static const struct packet_desc packet_table[] = {
        /* HELLO's maximum leaves room for fields of later versions */
        P(HELLO, CONN, 36, 1024, 0, true, hello_fields, hello_check),
        P(AUTH_CHALLENGE, CONN, 1 + 3 + 1 + WIRE_AUTH_CHALLENGE_MIN,
          1 + WIRE_ALG_MAX + 1 + WIRE_AUTH_CHALLENGE_MAX, 0, false, challenge_fields, wire_challenge_check),
        P(AUTH_RESPONSE, CONN, 1 + 16, 1 + WIRE_DIGEST_MAX, 0, false, response_fields, response_check),
        P(SETTINGS, CONN, 12, 12 + WIRE_NAME_MAX + 3 * WIRE_ALG_MAX, 0, false, settings_fields, settings_check),
        P(SIZES, VOL, 40, 40, 0, false, sizes_fields, sizes_check),
        P(UUIDS, VOL, 64, 64, 0, false, uuids_fields, uuids_check),
        P(STATE, VOL, 8, 8, 0, false, state_fields, state_check),
        P(STATE_CHANGE_REQUEST, CONN, 12, 12, 0, false, sc_request_fields, sc_request_check),
        P(STATE_CHANGE_REPLY, CONN, 9, 9 + WIRE_TEXT_MAX, 0, false, sc_reply_fields, sc_reply_check),
        P(PING, CONN, 8, 8, 0, false, ping_fields, no_check),
        P(PING_ACK, CONN, 8, 8, 0, false, ping_fields, no_check),
        P(DISCONNECT, CONN, 5, 5 + WIRE_TEXT_MAX, 0, true, close_fields, close_check),
        P(ERROR, CONN, 5, 5 + WIRE_TEXT_MAX, 0, true, close_fields, close_check),
        P(DATA, VOL, 32, 32 + WIRE_MAX_DATA, 0, false, data_fields, data_check),
        P(RECV_ACK, VOL, 24, 24, 0, false, block_fields, block_check),
        P(WRITE_ACK, VOL, 24, 24, 0, false, block_fields, block_check),
        P(NEG_ACK, VOL, 24, 24, 0, false, block_fields, block_check),
        P(BARRIER, CONN, 8, 8, 0, false, barrier_fields, no_check),
        P(BARRIER_ACK, CONN, 8, 8, 0, false, barrier_fields, no_check),
        P(OUT_OF_SYNC, VOL, 24, 24, 0, false, block_fields, block_check),
        P(BITMAP, VOL, 24, WIRE_BITMAP_MAX_PAYLOAD, 0, false, bitmap_fields, bitmap_check),
        P(RS_DATA_REQUEST, VOL, 25, 25 + WIRE_DIGEST_MAX, 0, false, digest_block_fields, digest_block_check),
        P(RS_DATA_REPLY, VOL, 32, 32 + WIRE_MAX_DATA, 0, false, data_fields, data_check),
        P(RS_IS_IN_SYNC, VOL, 24, 24, WIRE_FEATURE_CSUM_RESYNC, false, block_fields, block_check),
        P(RS_CANCEL, VOL, 24, 24, 0, false, block_fields, block_check),
        P(OV_REQUEST, VOL, 24, 24, 0, false, block_fields, block_check),
        P(OV_REPLY, VOL, 25, 25 + WIRE_DIGEST_MAX, 0, false, digest_block_fields, digest_block_check),
        P(OV_RESULT, VOL, 24, 24, 0, false, block_fields, block_check),
        P(SYNC_PARAMS, VOL, 26, 26 + 2 * WIRE_ALG_MAX, 0, false, sync_params_fields, sync_params_check),
        P(SYNC_PAUSE, VOL, 4, 4, 0, false, sync_pause_fields, sync_pause_check),
        P(SYNC_RESUME, VOL, 4, 4, 0, false, sync_pause_fields, sync_pause_check),
};

#undef P
#undef CONN
#undef VOL

static const struct packet_desc *desc_of(uint16_t type) {
        if (type >= ELEMENTSOF(packet_table) || !packet_table[type].info.name)
                return NULL;
        return &packet_table[type];
}

const struct wire_packet_info *wire_packet_info(uint16_t type) {
        const struct packet_desc *d = desc_of(type);

        return d ? &d->info : NULL;
}

const char *wire_packet_name(uint16_t type) {
        const struct packet_desc *d = desc_of(type);

        return d ? d->info.name : "UNKNOWN";
}

/* The descriptor of type if its layout is `fields`: the shared-layout
 * functions refuse a type of another layout. */
static const struct packet_desc *desc_with(uint16_t type, const struct field *fields) {
        const struct packet_desc *d = desc_of(type);

        return d && d->fields == fields ? d : NULL;
}

static int encode_as(struct buf *out, const struct packet_desc *d, uint16_t volume, const void *st,
                     bool copy_rest) {
        uint8_t h[WIRE_HEADER_SIZE] = {0};
        size_t start = out->len, rest;
        int r;

        if (!d || (d->info.scope == WIRE_SCOPE_CONNECTION && volume != 0) ||
            d->check(d->info.type, st, NULL, 0) < 0)
                return -EINVAL;
        wire_put_be(h, 4, WIRE_MAGIC);
        wire_put_be(h + 4, 2, d->info.type);
        wire_put_be(h + 6, 2, volume);
        r = buf_append(out, h, sizeof h);
        if (r >= 0)
                r = fields_encode(out, d->fields, d->nfields, st, copy_rest, &rest);
        if (r < 0) {
                buf_truncate(out, start);
                return r;
        }
        wire_put_be((uint8_t *) out->data + start + 8, 4, (uint32_t) (out->len - start - WIRE_HEADER_SIZE + rest));
        return 0;
}

static int decode_as(const struct packet_desc *d, const void *p, size_t len, void *ret, size_t ret_size,
                     char *why, size_t why_size) {
        struct wire_packet pk = {0};
        int r;

        if (!d || (len > 0 && !p))
                return -EINVAL;
        r = fields_decode(d->info.name, d->fields, d->nfields, d->info.type == WIRE_P_HELLO, p, len,
                          &pk.hello, why, why_size);
        if (r < 0)
                return r;
        r = d->check(d->info.type, &pk.hello, why, why_size);
        if (r < 0)
                return r;
        memcpy(ret, &pk.hello, ret_size);
        return 0;
}

/* Variants inside a payload that need an agreed feature; the payload has
 * at least the type's minimum length here. */
static uint64_t payload_feature(uint16_t type, const uint8_t *p) {
        uint32_t flags;

        switch (type) {
        case WIRE_P_DATA:
                flags = get32(p + 20);
                if (flags & WIRE_DATA_TRIM)
                        return WIRE_FEATURE_TRIM;
                if (flags & (WIRE_DATA_WRITE_ZEROES | WIRE_DATA_NO_UNMAP))
                        return WIRE_FEATURE_WRITE_ZEROES;
                return 0;
        case WIRE_P_RS_DATA_REPLY:
                return get32(p + 20) & WIRE_RS_ZEROES ? WIRE_FEATURE_THIN_RESYNC : 0;
        case WIRE_P_BITMAP:
                return p[0] == WIRE_BITMAP_RLE ? WIRE_FEATURE_RESYNC_BITMAP_RLE : 0;
        case WIRE_P_RS_DATA_REQUEST:
                return p[20] != WIRE_DIGEST_NONE ? WIRE_FEATURE_CSUM_RESYNC : 0;
        default:
                return 0;
        }
}

int wire_frame_next(const struct wire_session *s, const struct buf *in, struct wire_frame *ret,
                    size_t *ret_need, char *why, size_t why_size) {
        const uint8_t *d = (const uint8_t *) in->data;
        size_t len = in->data ? in->len : 0;
        const struct wire_packet_info *pi;
        bool agreed = s && s->version != 0;
        uint8_t magic[4];
        struct wire_header h;
        uint64_t feat;
        uint32_t reserved;

        /* Reject a foreign stream on its first wrong byte. */
        wire_put_be(magic, 4, WIRE_MAGIC);
        for (size_t i = 0; i < len && i < 4; i++)
                if (d[i] != magic[i])
                        return BAD("bad magic: byte %zu is 0x%02x, expected 0x%02x (not a tandem peer, "
                                   "or the stream lost its framing)", i, d[i], magic[i]);
        if (len < WIRE_HEADER_SIZE) {
                if (ret_need)
                        *ret_need = WIRE_HEADER_SIZE - len;
                return 0;
        }

        h.type = get16(d + 4);
        h.volume = get16(d + 6);
        h.length = get32(d + 8);
        reserved = get32(d + 12);
        if (reserved != 0)
                return BAD("header: reserved field is 0x%08x, must be 0", reserved);
        pi = wire_packet_info(h.type);
        if (!pi)
                return wire_fail(why, why_size, -EPROTO, "unknown packet type 0x%04x", h.type);
        if (s && !agreed && !pi->before_hello)
                return wire_fail(why, why_size, -EPROTO, "%s before the HELLO exchange", pi->name);
        if (agreed && s->version < pi->since_version)
                return wire_fail(why, why_size, -EPROTO, "%s needs protocol version %u, agreed %u",
                            pi->name, pi->since_version, s->version);
        if (agreed && pi->feature && !(s->features & pi->feature))
                return wire_fail(why, why_size, -EPROTO, "%s needs feature %s, which was not agreed",
                            pi->name, feature_name(pi->feature));
        if (pi->scope == WIRE_SCOPE_CONNECTION && h.volume != 0)
                return BAD("%s is a connection packet but names volume %u", pi->name, h.volume);
        if (h.length < pi->min_payload || h.length > pi->max_payload)
                return wire_fail(why, why_size, -EMSGSIZE, "%s: payload length %u is outside %u..%u",
                            pi->name, h.length, pi->min_payload, pi->max_payload);

        if (len - WIRE_HEADER_SIZE < h.length) {
                if (ret_need)
                        *ret_need = WIRE_HEADER_SIZE + h.length - len;
                return 0;
        }

        feat = payload_feature(h.type, d + WIRE_HEADER_SIZE);
        if (agreed && feat && !(s->features & feat))
                return wire_fail(why, why_size, -EPROTO, "%s uses feature %s, which was not agreed",
                            pi->name, feature_name(feat));

        *ret = (struct wire_frame) {
                .hdr = h,
                .payload = d + WIRE_HEADER_SIZE,
                .payload_len = h.length,
                .frame_len = WIRE_HEADER_SIZE + h.length,
        };
        return 1;
}

/* ---- the codec functions ------------------------------------------------ */

/* The encoders and decoders declared in wire.h are thin wrappers over the
 * table; these macros spell them out. Shared layouts take the type and
 * refuse one of another layout. */
#define CODEC(name, T, TYPE)                                                                  \
        int wire_##name##_encode(struct buf *out, const T *x) {                               \
                return encode_as(out, desc_of(TYPE), 0, x, true);                             \
        }                                                                                     \
        int wire_##name##_decode(const void *p, size_t len, T *ret, char *why, size_t why_size) { \
                return decode_as(desc_of(TYPE), p, len, ret, sizeof *ret, why, why_size);     \
        }
#define CODEC_VOL(name, T, TYPE)                                                              \
        int wire_##name##_encode(struct buf *out, uint16_t volume, const T *x) {              \
                return encode_as(out, desc_of(TYPE), volume, x, true);                        \
        }                                                                                     \
        int wire_##name##_decode(const void *p, size_t len, T *ret, char *why, size_t why_size) { \
                return decode_as(desc_of(TYPE), p, len, ret, sizeof *ret, why, why_size);     \
        }
#define CODEC_SHARED_DECODE(name, T, layout)                                                  \
        int wire_##name##_decode(uint16_t type, const void *p, size_t len, T *ret,            \
                                 char *why, size_t why_size) {                                \
                return decode_as(desc_with(type, layout), p, len, ret, sizeof *ret, why, why_size); \
        }
#define CODEC_SHARED(name, T, layout)                                                         \
        int wire_##name##_encode(struct buf *out, uint16_t type, const T *x) {                \
                return encode_as(out, desc_with(type, layout), 0, x, true);                   \
        }                                                                                     \
        CODEC_SHARED_DECODE(name, T, layout)
#define CODEC_SHARED_VOL(name, T, layout)                                                     \
        int wire_##name##_encode(struct buf *out, uint16_t type, uint16_t volume, const T *x) { \
                return encode_as(out, desc_with(type, layout), volume, x, true);              \
        }                                                                                     \
        CODEC_SHARED_DECODE(name, T, layout)

CODEC(hello, struct wire_hello, WIRE_P_HELLO)
CODEC(auth_challenge, struct wire_auth_challenge, WIRE_P_AUTH_CHALLENGE)
CODEC(auth_response, struct wire_auth_response, WIRE_P_AUTH_RESPONSE)
CODEC(settings, struct wire_settings, WIRE_P_SETTINGS)
CODEC_VOL(sizes, struct wire_sizes, WIRE_P_SIZES)
CODEC_VOL(uuids, struct wire_uuids, WIRE_P_UUIDS)
CODEC_VOL(state, struct wire_state, WIRE_P_STATE)
CODEC(state_change_request, struct wire_state_change_request, WIRE_P_STATE_CHANGE_REQUEST)
CODEC(state_change_reply, struct wire_state_change_reply, WIRE_P_STATE_CHANGE_REPLY)
CODEC_SHARED(ping, struct wire_ping, ping_fields)
CODEC_SHARED(close, struct wire_close, close_fields)
CODEC_SHARED_VOL(data, struct wire_data, data_fields)
CODEC_SHARED_VOL(block, struct wire_block, block_fields)
CODEC_SHARED_VOL(digest_block, struct wire_digest_block, digest_block_fields)
CODEC_SHARED(barrier, struct wire_barrier, barrier_fields)
CODEC_VOL(bitmap, struct wire_bitmap, WIRE_P_BITMAP)
CODEC_VOL(sync_params, struct wire_sync_params, WIRE_P_SYNC_PARAMS)
CODEC_SHARED_VOL(sync_pause, struct wire_sync_pause, sync_pause_fields)

int wire_data_encode_header(struct buf *out, uint16_t type, uint16_t volume, const struct wire_data *d) {
        /* The data is checked for its length only: the caller sends it. */
        struct wire_data hd = *d;

        if (!hd.data)
                hd.data = (const uint8_t *) "";
        return encode_as(out, desc_with(type, data_fields), volume, &hd, false);
}

int wire_packet_decode(const struct wire_frame *f, struct wire_packet *ret, char *why, size_t why_size) {
        const struct packet_desc *d = desc_of(f->hdr.type);
        struct wire_packet pk = { .type = f->hdr.type, .volume = f->hdr.volume };
        int r;

        if (!d)
                return wire_fail(why, why_size, -EPROTO, "unknown packet type 0x%04x", f->hdr.type);
        r = decode_as(d, f->payload, f->payload_len, &pk.hello, sizeof pk - offsetof(struct wire_packet, hello),
                      why, why_size);
        if (r < 0)
                return r;
        *ret = pk;
        return 0;
}

int wire_packet_encode(struct buf *out, const struct wire_packet *p) {
        return encode_as(out, desc_of(p->type), p->volume, &p->hello, true);
}

/* ---- BITMAP ------------------------------------------------------------ */

#define BITMAP_FIXED 24u
#define BITMAP_MAX_BODY (WIRE_BITMAP_MAX_PAYLOAD - BITMAP_FIXED)

/* One LEB128 run length at body[*pos]. Only the shortest encoding of each
 * value is accepted, so that a chunk has exactly one byte form. */
static int rle_read(const uint8_t *body, size_t len, size_t *pos, uint64_t *ret, char *why, size_t why_size) {
        size_t start = *pos;
        uint64_t v = 0;

        for (unsigned shift = 0;; shift += 7) {
                uint8_t c;

                if (*pos >= len)
                        return BAD("BITMAP: RLE run at byte %zu is truncated", start);
                c = body[(*pos)++];
                if (shift == 63 && c > 1)
                        return BAD("BITMAP: RLE run at byte %zu does not fit 64 bits", start);
                v |= (uint64_t) (c & 0x7f) << shift;
                if (!(c & 0x80)) {
                        if (c == 0 && shift > 0)
                                return BAD("BITMAP: RLE run at byte %zu is not minimally encoded", start);
                        break;
                }
        }
        *ret = v;
        return 0;
}

static size_t rle_size(uint64_t v) {
        size_t n = 1;

        for (; v >= 0x80; v >>= 7)
                n++;
        return n;
}

static int rle_append(struct buf *out, uint64_t v) {
        uint8_t b[10];
        size_t n = 0;

        for (; v >= 0x80; v >>= 7)
                b[n++] = (uint8_t) (v | 0x80);
        b[n++] = (uint8_t) v;
        return buf_append(out, b, n);
}

static int bitmap_check(uint16_t type, const void *st, char *why, size_t why_size) {
        const struct wire_bitmap *bm = st;
        uint64_t covered = 0, run;
        int r;

        if (bm->encoding != WIRE_BITMAP_PLAIN && bm->encoding != WIRE_BITMAP_RLE)
                return BAD("BITMAP: encoding %u is neither plain (1) nor RLE (2)", (unsigned) bm->encoding);
        if ((r = check_flags("BITMAP", bm->flags, WIRE_BITMAP_FLAGS, why, why_size)) < 0)
                return r;
        if ((bm->flags & WIRE_BITMAP_FIRST_SET) && (bm->encoding != WIRE_BITMAP_RLE || bm->bit_count == 0))
                return BAD("BITMAP: FIRST_SET without RLE runs");
        if (bm->bit_offset % 64)
                return BAD("BITMAP: bit offset %" PRIu64 " is not a multiple of 64", bm->bit_offset);
        if (bm->bit_offset > UINT64_MAX - bm->bit_count)
                return BAD("BITMAP: bits %" PRIu64 "+%" PRIu64 " wrap past 2^64", bm->bit_offset, bm->bit_count);
        if (bm->body_len > BITMAP_MAX_BODY)
                return BAD("BITMAP: body of %zu bytes exceeds %u", bm->body_len, BITMAP_MAX_BODY);
        if (bm->body_len > 0 && !bm->body)
                return -EINVAL;

        if (bm->encoding == WIRE_BITMAP_PLAIN) {
                uint64_t words = bm->bit_count / 64 + (bm->bit_count % 64 != 0);

                if (bm->body_len % 8 || words != bm->body_len / 8)
                        return BAD("BITMAP: %" PRIu64 " bits need %" PRIu64 " bytes of words, body has %zu",
                                   bm->bit_count, words * 8, bm->body_len);
                if (bm->bit_count % 64 && get64(bm->body + bm->body_len - 8) >> (bm->bit_count % 64))
                        return BAD("BITMAP: bits past the chunk's %" PRIu64 " bits are set", bm->bit_count);
                return 0;
        }

        for (size_t pos = 0; pos < bm->body_len;) {
                size_t at = pos;

                if ((r = rle_read(bm->body, bm->body_len, &pos, &run, why, why_size)) < 0)
                        return r;
                if (run == 0)
                        return BAD("BITMAP: RLE run at byte %zu has length 0", at);
                if (run > bm->bit_count - covered)
                        return BAD("BITMAP: RLE run of %" PRIu64 " bits at bit %" PRIu64
                                   " overflows the chunk's %" PRIu64 " bits", run, covered, bm->bit_count);
                covered += run;
        }
        if (covered != bm->bit_count)
                return BAD("BITMAP: RLE runs cover %" PRIu64 " of the chunk's %" PRIu64 " bits",
                           covered, bm->bit_count);
        return 0;
}

/* Word i of a bitmap: host-order words from a caller, or big-endian ones
 * in a packet body. */
typedef uint64_t (*word_fn)(const void *words, uint64_t index);

static uint64_t host_word(const void *words, uint64_t i) {
        return ((const uint64_t *) words)[i];
}

static uint64_t wire_word(const void *words, uint64_t i) {
        return get64((const uint8_t *) words + 8 * i);
}

static bool bit_at(word_fn get, const void *words, uint64_t i) {
        return (get(words, i / 64) >> (i % 64)) & 1;
}

/* The first bit at or after i (below n) whose value differs from set. */
static uint64_t run_end(word_fn get, const void *words, uint64_t i, uint64_t n, bool set) {
        while (i < n) {
                uint64_t word = get(words, i / 64);

                if (set)
                        word = ~word;
                word &= ~UINT64_C(0) << (i % 64);
                if (word) {
                        uint64_t e = (i & ~UINT64_C(63)) + (uint64_t) __builtin_ctzll(word);
                        return MIN(e, n);
                }
                i = (i & ~UINT64_C(63)) + 64;
        }
        return n;
}

void wire_bitmap_iter_init(struct wire_bitmap_iter *it, const struct wire_bitmap *bm) {
        *it = (struct wire_bitmap_iter) { .bm = bm, .set = bm->flags & WIRE_BITMAP_FIRST_SET };
}

bool wire_bitmap_iter_next(struct wire_bitmap_iter *it, uint64_t *ret_start, uint64_t *ret_count, bool *ret_set) {
        const struct wire_bitmap *bm = it->bm;
        uint64_t run;
        bool set;

        if (it->bit >= bm->bit_count)
                return false;
        if (bm->encoding == WIRE_BITMAP_RLE) {
                if (rle_read(bm->body, bm->body_len, &it->pos, &run, NULL, 0) < 0 || run == 0)
                        return false; /* not reached for a decoded chunk */
                run = MIN(run, bm->bit_count - it->bit);
                set = it->set;
                it->set = !it->set;
        } else {
                set = bit_at(wire_word, bm->body, it->bit);
                run = run_end(wire_word, bm->body, it->bit, bm->bit_count, set) - it->bit;
        }
        *ret_start = bm->bit_offset + it->bit;
        *ret_count = run;
        *ret_set = set;
        it->bit += run;
        return true;
}

int wire_bitmap_encode_plain(struct buf *out, uint16_t volume, uint64_t bit_offset,
                             const uint64_t *words, uint64_t bit_count, bool last) {
        _cleanup_buf_ struct buf body = BUF_INIT;
        uint64_t nwords = bit_count / 64 + (bit_count % 64 != 0);
        int r = 0;

        if (bit_count > (uint64_t) BITMAP_MAX_BODY / 8 * 64)
                return -EMSGSIZE;
        if (nwords > 0 && !words)
                return -EINVAL;
        for (uint64_t i = 0; i < nwords && r >= 0; i++) {
                uint8_t b[8];

                wire_put_be(b, 8, words[i]);
                r = buf_append(&body, b, sizeof b);
        }
        if (r < 0)
                return r;
        /* The encoder's check rejects set bits past bit_count. */
        return wire_bitmap_encode(out, volume, &(struct wire_bitmap) {
                .encoding = WIRE_BITMAP_PLAIN, .flags = last ? WIRE_BITMAP_LAST : 0,
                .bit_offset = bit_offset, .bit_count = bit_count,
                .body = (const uint8_t *) body.data, .body_len = body.len,
        });
}

int wire_bitmap_encode_rle(struct buf *out, uint16_t volume, uint64_t bit_offset,
                           const uint64_t *words, uint64_t bit_count, bool last,
                           size_t max_body, uint64_t *ret_covered) {
        _cleanup_buf_ struct buf body = BUF_INIT;
        uint64_t s = 0, end = 0;
        size_t used = 0;
        uint32_t flags = 0;
        bool first_set, set;
        int r;

        /* 64 bytes always hold the first 64 bits (at most 64 runs of one
         * byte each), so every chunk makes progress. */
        max_body = MIN(max_body, (size_t) BITMAP_MAX_BODY);
        if (max_body < 64 || (bit_count > 0 && !words))
                return -EINVAL;
        first_set = bit_count > 0 && bit_at(host_word, words, 0);

        /* Pass 1: the furthest end (a multiple of 64, or bit_count) whose
         * encoding fits max_body. */
        for (set = first_set; s < bit_count; set = !set) {
                uint64_t e = run_end(host_word, words, s, bit_count, set);
                uint64_t aligned = e & ~UINT64_C(63);
                size_t vs = rle_size(e - s), rem = max_body - used;

                if (vs <= rem) {
                        used += vs;
                        if (e == bit_count)
                                end = e;
                        else if (aligned > s)
                                end = aligned;
                        s = e;
                        continue;
                }
                /* Only part of this run fits: cut it at a word boundary. */
                if (rem > 0) {
                        uint64_t lmax = (UINT64_C(1) << (7 * rem)) - 1; /* rem < vs <= 10 */
                        uint64_t cut = (s + MIN(e - s, lmax)) & ~UINT64_C(63);

                        if (cut > s)
                                end = cut;
                }
                break;
        }

        if (end > 0 && first_set)
                flags |= WIRE_BITMAP_FIRST_SET;
        if (last && end == bit_count)
                flags |= WIRE_BITMAP_LAST;
        /* Pass 2: the runs of [0, end). */
        s = 0;
        for (set = first_set; s < end; set = !set) {
                uint64_t e = run_end(host_word, words, s, end, set);

                r = rle_append(&body, e - s);
                if (r < 0)
                        return r;
                s = e;
        }
        r = wire_bitmap_encode(out, volume, &(struct wire_bitmap) {
                .encoding = WIRE_BITMAP_RLE, .flags = flags, .bit_offset = bit_offset, .bit_count = end,
                .body = (const uint8_t *) body.data, .body_len = body.len,
        });
        if (r < 0)
                return r;
        *ret_covered = end;
        return 0;
}
