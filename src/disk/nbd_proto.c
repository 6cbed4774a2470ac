/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NBD wire protocol without IO: the server's handshake state machine,
 * request validation and the encoders/decoders; see nbd_proto.h and
 * docs/nbd.md. Everything here works on byte buffers so that unit tests and
 * the fuzzer drive it without sockets. */

#include <errno.h>
#include <stdarg.h>
#include <sys/uio.h>

#include "nbd_proto.h"

/* ---- Small helpers ---- */

static bool is_pow2(uint32_t v) {
        return v && !(v & (v - 1));
}

/* Copies up to 64 bytes of untrusted text into a printable form for error
 * messages and logs: control and non-ASCII bytes become '?'. */
static const char *sanitize(const char *s, size_t len, char *dst, size_t size) {
        size_t i, n = len < size - 4 ? len : size - 4;

        for (i = 0; i < n && i < 64; i++)
                dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        if (i < len) {
                memcpy(dst + i, "...", 3);
                i += 3;
        }
        dst[i] = 0;
        return dst;
}

uint16_t nbd_proto_transmission_flags(bool read_only, bool can_flush, bool can_fua,
                                      bool can_trim, bool can_write_zeroes,
                                      bool can_multi_conn) {
        uint16_t f = NBD_FLAG_HAS_FLAGS;

        if (read_only)
                f |= NBD_FLAG_READ_ONLY;
        if (can_flush)
                f |= NBD_FLAG_SEND_FLUSH;
        if (can_fua && !read_only)
                f |= NBD_FLAG_SEND_FUA;
        if (can_trim && !read_only)
                f |= NBD_FLAG_SEND_TRIM;
        if (can_write_zeroes && !read_only)
                f |= NBD_FLAG_SEND_WRITE_ZEROES;
        if (can_multi_conn)
                f |= NBD_FLAG_CAN_MULTI_CONN;
        return f;
}

int nbd_export_desc_normalize(struct nbd_export_desc *d) {
        uint32_t floor_pref;

        if (d->min_block == 0)
                d->min_block = NBD_DEFAULT_MIN_BLOCK;
        if (d->preferred_block == 0)
                d->preferred_block = NBD_DEFAULT_PREFERRED_BLOCK;
        if (d->max_block == 0 || d->max_block > NBD_MAX_PAYLOAD)
                d->max_block = NBD_MAX_PAYLOAD;
        d->flags |= NBD_FLAG_HAS_FLAGS;

        if (!is_pow2(d->min_block) || d->min_block > 65536)
                return -EINVAL;
        floor_pref = d->min_block > 512 ? d->min_block : 512;
        if (!is_pow2(d->preferred_block) || d->preferred_block < floor_pref)
                return -EINVAL;
        if (d->max_block % d->min_block != 0)
                return -EINVAL;
        if ((uint64_t) d->max_block < (d->preferred_block < d->size ? d->preferred_block : d->size))
                return -EINVAL;
        return 0;
}

uint32_t nbd_proto_rep_error_from_errno(int error) {
        switch (error < 0 ? -error : error) {
        case ENOENT:
                return NBD_REP_ERR_UNKNOWN;
        case ESHUTDOWN:
                return NBD_REP_ERR_SHUTDOWN;
        case EPERM:
        case EACCES:
                return NBD_REP_ERR_POLICY;
        case EINVAL:
                return NBD_REP_ERR_INVALID;
        case E2BIG:
        case EMSGSIZE:
                return NBD_REP_ERR_TOO_BIG;
        case EOPNOTSUPP:
                return NBD_REP_ERR_UNSUP;
        default:
                return NBD_REP_ERR_UNKNOWN;
        }
}

uint32_t nbd_proto_error_from_errno(int error) {
        switch (error < 0 ? -error : error) {
        case 0:
                return 0;
        case EPERM:
        case EACCES:
        case EROFS:
                return NBD_EPERM;
        case EIO:
                return NBD_EIO;
        case ENOMEM:
                return NBD_ENOMEM;
        case EINVAL:
                return NBD_EINVAL;
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
                return NBD_ENOSPC;
        case EOVERFLOW:
                return NBD_EOVERFLOW;
        case EOPNOTSUPP:
                return NBD_ENOTSUP;
        case ESHUTDOWN:
                return NBD_ESHUTDOWN;
        default:
                return NBD_EIO;
        }
}

const char *nbd_proto_option_name(uint32_t opt) {
        static const char *const names[] = {
                [NBD_OPT_EXPORT_NAME] = "NBD_OPT_EXPORT_NAME",
                [NBD_OPT_ABORT] = "NBD_OPT_ABORT",
                [NBD_OPT_LIST] = "NBD_OPT_LIST",
                [NBD_OPT_PEEK_EXPORT] = "NBD_OPT_PEEK_EXPORT",
                [NBD_OPT_STARTTLS] = "NBD_OPT_STARTTLS",
                [NBD_OPT_INFO] = "NBD_OPT_INFO",
                [NBD_OPT_GO] = "NBD_OPT_GO",
                [NBD_OPT_STRUCTURED_REPLY] = "NBD_OPT_STRUCTURED_REPLY",
                [NBD_OPT_LIST_META_CONTEXT] = "NBD_OPT_LIST_META_CONTEXT",
                [NBD_OPT_SET_META_CONTEXT] = "NBD_OPT_SET_META_CONTEXT",
                [NBD_OPT_EXTENDED_HEADERS] = "NBD_OPT_EXTENDED_HEADERS",
        };

        return opt < ELEMENTSOF(names) && names[opt] ? names[opt] : "unknown";
}

const char *nbd_proto_command_name(uint16_t type) {
        static const char *const names[] = {
                [NBD_CMD_READ] = "NBD_CMD_READ",
                [NBD_CMD_WRITE] = "NBD_CMD_WRITE",
                [NBD_CMD_DISC] = "NBD_CMD_DISC",
                [NBD_CMD_FLUSH] = "NBD_CMD_FLUSH",
                [NBD_CMD_TRIM] = "NBD_CMD_TRIM",
                [NBD_CMD_CACHE] = "NBD_CMD_CACHE",
                [NBD_CMD_WRITE_ZEROES] = "NBD_CMD_WRITE_ZEROES",
                [NBD_CMD_BLOCK_STATUS] = "NBD_CMD_BLOCK_STATUS",
                [NBD_CMD_RESIZE] = "NBD_CMD_RESIZE",
        };

        return type < ELEMENTSOF(names) && names[type] ? names[type] : "unknown";
}

const char *nbd_proto_reply_name(uint32_t type) {
        switch (type) {
        case NBD_REP_ACK: return "NBD_REP_ACK";
        case NBD_REP_SERVER: return "NBD_REP_SERVER";
        case NBD_REP_INFO: return "NBD_REP_INFO";
        case NBD_REP_META_CONTEXT: return "NBD_REP_META_CONTEXT";
        case NBD_REP_ERR_UNSUP: return "NBD_REP_ERR_UNSUP";
        case NBD_REP_ERR_POLICY: return "NBD_REP_ERR_POLICY";
        case NBD_REP_ERR_INVALID: return "NBD_REP_ERR_INVALID";
        case NBD_REP_ERR_PLATFORM: return "NBD_REP_ERR_PLATFORM";
        case NBD_REP_ERR_TLS_REQD: return "NBD_REP_ERR_TLS_REQD";
        case NBD_REP_ERR_UNKNOWN: return "NBD_REP_ERR_UNKNOWN";
        case NBD_REP_ERR_SHUTDOWN: return "NBD_REP_ERR_SHUTDOWN";
        case NBD_REP_ERR_BLOCK_SIZE_REQD: return "NBD_REP_ERR_BLOCK_SIZE_REQD";
        case NBD_REP_ERR_TOO_BIG: return "NBD_REP_ERR_TOO_BIG";
        default: return "unknown";
        }
}

/* ---- Handshake ---- */

void nbd_handshake_init(struct nbd_handshake *hs, const struct nbd_handshake_ops *ops,
                        void *userdata) {
        *hs = (struct nbd_handshake) {
                .state = NBD_HS_CLIENT_FLAGS,
                .ops = ops,
                .userdata = userdata,
        };
}

void nbd_handshake_done(struct nbd_handshake *hs) {
        if (!hs)
                return;
        buf_free(&hs->data);
        hs->out = NULL;
}

int nbd_handshake_start(struct nbd_handshake *hs, struct buf *out) {
        uint8_t g[NBD_GREETING_SIZE];

        nbd_put64(g, NBD_MAGIC);
        nbd_put64(g + 8, NBD_IHAVEOPT);
        nbd_put16(g + 16, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
        return buf_append(out, g, sizeof(g));
}

_printf_(3, 4)
static int hs_fail(struct nbd_handshake *hs, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(hs->error, sizeof(hs->error), fmt, ap);
        va_end(ap);
        return error;
}

/* One option reply: the header, then n pieces of data. */
static int put_reply_v(struct nbd_handshake *hs, uint32_t type, const struct iovec *iov, size_t n) {
        uint8_t h[NBD_OPTION_REPLY_HEADER_SIZE];
        size_t len = 0;
        int r;

        for (size_t i = 0; i < n; i++)
                len += iov[i].iov_len;
        nbd_put64(h, NBD_REP_MAGIC);
        nbd_put32(h + 8, hs->opt);
        nbd_put32(h + 12, type);
        nbd_put32(h + 16, (uint32_t) len);
        r = buf_reserve(hs->out, sizeof(h) + len);
        if (r < 0)
                return r;
        (void) buf_append(hs->out, h, sizeof(h));
        for (size_t i = 0; i < n; i++)
                if (iov[i].iov_len)
                        (void) buf_append(hs->out, iov[i].iov_base, iov[i].iov_len);
        return 0;
}

static int put_reply(struct nbd_handshake *hs, uint32_t type, const void *d1, size_t l1,
                     const void *d2, size_t l2) {
        const struct iovec iov[2] = {
                { (void *) d1, l1 },
                { (void *) d2, l2 },
        };

        return put_reply_v(hs, type, iov, 2);
}

/* An error reply with a message for the user (the spec allows one). */
_printf_(3, 4)
static int put_error(struct nbd_handshake *hs, uint32_t type, const char *fmt, ...) {
        char msg[256];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if ((size_t) n >= sizeof(msg))
                n = sizeof(msg) - 1;
        return put_reply(hs, type, msg, (size_t) n, NULL, 0);
}

static int put_info(struct nbd_handshake *hs, uint16_t info, const void *data, size_t len) {
        uint8_t t[2];

        nbd_put16(t, info);
        return put_reply(hs, NBD_REP_INFO, t, sizeof(t), data, len);
}

/* The export name of EXPORT_NAME/INFO/GO must be a valid string. */
static bool name_valid(const char *name, size_t len) {
        return len <= NBD_MAX_STRING && !memchr(name, 0, len);
}

/* Looks up name and validates what the backend said about it: returns
 * the backend's negative errno, 1 if the export has invalid block size
 * constraints, or 0. */
static int hs_lookup(struct nbd_handshake *hs, const char *name, struct nbd_export_desc *ret,
                     void **ret_export) {
        struct nbd_export_desc d = {};
        void *export = NULL;
        int r;

        r = hs->ops->lookup(hs->userdata, name, &d, &export);
        if (r < 0)
                return r;
        if (nbd_export_desc_normalize(&d) < 0)
                return 1;
        *ret = d;
        *ret_export = export;
        return 0;
}

static const char *lookup_error_text(int r) {
        if (r == -ENOENT)
                return "no such export";
        if (r > 0)
                return "the export has invalid block size constraints";
        return strerror(-r);
}

static int opt_export_name(struct nbd_handshake *hs) {
        uint8_t reply[NBD_EXPORT_NAME_REPLY_SIZE] = {};
        const char *name = hs->data.data ? hs->data.data : "";
        struct nbd_export_desc d;
        void *export;
        char pn[80];
        int r;

        if (!name_valid(name, hs->data.len))
                return hs_fail(hs, -EPROTO, "NBD_OPT_EXPORT_NAME: export name of %zu bytes is not a valid string",
                               hs->data.len);
        r = hs_lookup(hs, name, &d, &export);
        if (r != 0)
                return hs_fail(hs, -EPROTO, "NBD_OPT_EXPORT_NAME '%s': %s",
                               sanitize(name, hs->data.len, pn, sizeof(pn)), lookup_error_text(r));
        if (hs->ops->open) {
                r = hs->ops->open(hs->userdata, export);
                if (r < 0)
                        return hs_fail(hs, -EPROTO, "NBD_OPT_EXPORT_NAME '%s': cannot open: %s",
                                       sanitize(name, hs->data.len, pn, sizeof(pn)), strerror(-r));
        }
        nbd_put64(reply, d.size);
        nbd_put16(reply + 8, d.flags);
        r = buf_append(hs->out, reply, hs->no_zeroes ? 10 : sizeof(reply));
        if (r < 0)
                return r;
        d.description = NULL;
        hs->export = d;
        hs->export_handle = export;
        hs->state = NBD_HS_TRANSMISSION;
        return 0;
}

static void list_emit(void *emit_ctx, const char *name, const char *description) {
        struct nbd_handshake *hs = emit_ctx;
        struct iovec iov[3];
        size_t nl, dl;
        uint8_t l[4];
        int r;

        if (hs->emit_error < 0 || !name)
                return;
        nl = strlen(name);
        if (nl > NBD_MAX_STRING)
                return;  /* a client could not ask for it anyway */
        dl = description ? strnlen(description, NBD_MAX_STRING) : 0;
        nbd_put32(l, (uint32_t) nl);
        iov[0] = (struct iovec) { l, sizeof(l) };
        iov[1] = (struct iovec) { (void *) name, nl };
        iov[2] = (struct iovec) { (void *) description, dl };
        r = put_reply_v(hs, NBD_REP_SERVER, iov, 3);
        if (r < 0)
                hs->emit_error = r;
}

static int opt_list(struct nbd_handshake *hs) {
        int r = 0;

        if (hs->opt_len != 0)
                return put_error(hs, NBD_REP_ERR_INVALID, "NBD_OPT_LIST takes no data, got %u bytes",
                                 hs->opt_len);
        hs->emit_error = 0;
        if (hs->ops->list)
                r = hs->ops->list(hs->userdata, list_emit, hs);
        if (hs->emit_error < 0)
                return hs->emit_error;
        if (r < 0)
                return put_error(hs, nbd_proto_rep_error_from_errno(r), "cannot list exports: %s",
                                 strerror(-r));
        return put_reply(hs, NBD_REP_ACK, NULL, 0, NULL, 0);
}

/* NBD_OPT_INFO and NBD_OPT_GO share their format. */
static int opt_info_go(struct nbd_handshake *hs) {
        const uint8_t *p = (const uint8_t *) hs->data.data;
        bool want_name = false, want_desc = false;
        uint32_t len = hs->opt_len, name_len;
        bool go = hs->opt == NBD_OPT_GO;
        const char *oname = nbd_proto_option_name(hs->opt);
        struct nbd_export_desc d;
        _cleanup_free_ char *name = NULL;
        uint8_t info[14];
        void *export;
        char pn[80];
        uint16_t n;
        int r;

        if (len < 6)
                return put_error(hs, NBD_REP_ERR_INVALID, "%s: option data of %u bytes is too short",
                                 oname, len);
        name_len = nbd_get32(p);
        if (name_len > len - 6)
                return put_error(hs, NBD_REP_ERR_INVALID,
                                 "%s: name length %u does not fit option data of %u bytes",
                                 oname, name_len, len);
        n = nbd_get16(p + 4 + name_len);
        if ((uint64_t) 4 + name_len + 2 + 2 * (uint64_t) n != len)
                return put_error(hs, NBD_REP_ERR_INVALID,
                                 "%s: %u information requests do not match option data of %u bytes",
                                 oname, n, len);
        if (!name_valid((const char *) p + 4, name_len))
                return put_error(hs, NBD_REP_ERR_INVALID, "%s: the export name is not a valid string",
                                 oname);
        name = strndup((const char *) p + 4, name_len);
        if (!name)
                return -ENOMEM;
        for (uint16_t i = 0; i < n; i++) {
                uint16_t t = nbd_get16(p + 4 + name_len + 2 + 2 * i);

                /* Unknown requests are ignored, as the spec says. */
                if (t == NBD_INFO_NAME)
                        want_name = true;
                else if (t == NBD_INFO_DESCRIPTION)
                        want_desc = true;
        }

        r = hs_lookup(hs, name, &d, &export);
        if (r != 0)
                return put_error(hs, nbd_proto_rep_error_from_errno(r > 0 ? -ENOENT : r),
                                 "export '%s': %s", sanitize(name, name_len, pn, sizeof(pn)),
                                 lookup_error_text(r));
        if (go && hs->ops->open) {
                r = hs->ops->open(hs->userdata, export);
                if (r < 0)
                        return put_error(hs, nbd_proto_rep_error_from_errno(r),
                                         "export '%s': cannot open: %s",
                                         sanitize(name, name_len, pn, sizeof(pn)), strerror(-r));
        }

        nbd_put64(info, d.size);
        nbd_put16(info + 8, d.flags);
        r = put_info(hs, NBD_INFO_EXPORT, info, 10);
        if (r >= 0 && want_name)
                r = put_info(hs, NBD_INFO_NAME, name, name_len);
        if (r >= 0 && want_desc && d.description)
                r = put_info(hs, NBD_INFO_DESCRIPTION, d.description,
                             strnlen(d.description, NBD_MAX_STRING));
        /* Always sent: our maximum is not the spec's default (unlimited). */
        nbd_put32(info, d.min_block);
        nbd_put32(info + 4, d.preferred_block);
        nbd_put32(info + 8, d.max_block);
        if (r >= 0)
                r = put_info(hs, NBD_INFO_BLOCK_SIZE, info, 12);
        if (r >= 0)
                r = put_reply(hs, NBD_REP_ACK, NULL, 0, NULL, 0);
        if (r < 0)
                return r;
        if (go) {
                d.description = NULL;
                hs->export = d;
                hs->export_handle = export;
                hs->state = NBD_HS_TRANSMISSION;
        }
        return 0;
}

/* Acts on a complete option; returns 0 or a negative errno (fatal). */
static int hs_option(struct nbd_handshake *hs) {
        hs->state = NBD_HS_OPT_HEADER;
        switch (hs->opt) {
        case NBD_OPT_EXPORT_NAME:
                return opt_export_name(hs);
        case NBD_OPT_ABORT:
                /* Data is ignored, as the spec asks. */
                hs->state = NBD_HS_CLOSED;
                return put_reply(hs, NBD_REP_ACK, NULL, 0, NULL, 0);
        case NBD_OPT_LIST:
                return opt_list(hs);
        case NBD_OPT_INFO:
        case NBD_OPT_GO:
                return opt_info_go(hs);
        default:
                /* STARTTLS, STRUCTURED_REPLY, META_CONTEXT, EXTENDED_HEADERS
                 * and unknown options: we speak plain simple replies. */
                return put_error(hs, NBD_REP_ERR_UNSUP, "option %u (%s) is not supported",
                                 hs->opt, nbd_proto_option_name(hs->opt));
        }
}

static int hs_header(struct nbd_handshake *hs) {
        uint64_t magic = nbd_get64(hs->hdr);
        int r;

        if (magic != NBD_IHAVEOPT)
                return hs_fail(hs, -EPROTO, "option %u: bad magic 0x%016llx, expected IHAVEOPT",
                               hs->n_options + 1, (unsigned long long) magic);
        hs->opt = nbd_get32(hs->hdr + 8);
        hs->opt_len = nbd_get32(hs->hdr + 12);
        hs->n_options++;
        buf_clear(&hs->data);

        if (hs->opt_len == 0)
                return hs_option(hs);
        if (hs->opt_len <= NBD_OPT_MAX_DATA) {
                r = buf_reserve(&hs->data, hs->opt_len);
                if (r < 0)
                        return r;
                hs->state = NBD_HS_OPT_DATA;
                return 0;
        }
        if (hs->opt == NBD_OPT_EXPORT_NAME)
                /* It cannot be answered with an error; the name is invalid anyway. */
                return hs_fail(hs, -EPROTO, "NBD_OPT_EXPORT_NAME with %u bytes of data", hs->opt_len);
        if (hs->opt_len > NBD_OPT_MAX_SKIP)
                return hs_fail(hs, -EMSGSIZE, "option %u (%s) with %u bytes of data, limit is %u",
                               hs->opt, nbd_proto_option_name(hs->opt), hs->opt_len, NBD_OPT_MAX_SKIP);
        hs->skip_left = hs->opt_len;
        hs->state = NBD_HS_OPT_SKIP;
        return 0;
}

static int hs_client_flags(struct nbd_handshake *hs) {
        uint32_t f = nbd_get32(hs->hdr);

        /* The spec: the server MUST drop the connection on unknown client
         * flags. A client without FIXED_NEWSTYLE is served the same way (the
         * spec allows it); it only ever sends NBD_OPT_EXPORT_NAME. */
        if (f & ~(uint32_t) (NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES))
                return hs_fail(hs, -EPROTO, "client flags 0x%08x have unknown bits", f);
        hs->client_flags = f;
        hs->no_zeroes = f & NBD_FLAG_C_NO_ZEROES;
        hs->state = NBD_HS_OPT_HEADER;
        return 0;
}

/* Moves up to want - hdr_len bytes into hdr; true once it holds want. */
static bool fill_hdr(struct nbd_handshake *hs, size_t want, const uint8_t **p, size_t *left) {
        size_t n = want - hs->hdr_len;

        if (n > *left)
                n = *left;
        memcpy(hs->hdr + hs->hdr_len, *p, n);
        hs->hdr_len += n;
        *p += n;
        *left -= n;
        if (hs->hdr_len < want)
                return false;
        hs->hdr_len = 0;
        return true;
}

int nbd_handshake_feed(struct nbd_handshake *hs, const void *in, size_t len,
                       size_t *ret_consumed, struct buf *out) {
        const uint8_t *p = in;
        size_t left = len, n;
        int r = 0;

        if (hs->error[0]) {
                *ret_consumed = 0;
                return -EPROTO;
        }
        hs->out = out;
        while (r >= 0) {
                switch (hs->state) {
                case NBD_HS_CLIENT_FLAGS:
                        if (!fill_hdr(hs, NBD_CLIENT_FLAGS_SIZE, &p, &left))
                                goto done;
                        r = hs_client_flags(hs);
                        break;
                case NBD_HS_OPT_HEADER:
                        if (!fill_hdr(hs, NBD_OPTION_HEADER_SIZE, &p, &left))
                                goto done;
                        r = hs_header(hs);
                        break;
                case NBD_HS_OPT_DATA:
                        if (left == 0)
                                goto done;
                        n = hs->opt_len - hs->data.len;
                        if (n > left)
                                n = left;
                        (void) buf_append(&hs->data, p, n);  /* reserved in hs_header() */
                        p += n;
                        left -= n;
                        if (hs->data.len == hs->opt_len)
                                r = hs_option(hs);
                        break;
                case NBD_HS_OPT_SKIP:
                        if (left == 0)
                                goto done;
                        n = hs->skip_left < left ? hs->skip_left : left;
                        p += n;
                        left -= n;
                        hs->skip_left -= (uint32_t) n;
                        if (hs->skip_left == 0) {
                                hs->state = NBD_HS_OPT_HEADER;
                                r = put_error(hs, NBD_REP_ERR_TOO_BIG,
                                              "option data of %u bytes exceeds the limit of %u",
                                              hs->opt_len, NBD_OPT_MAX_DATA);
                        }
                        break;
                case NBD_HS_TRANSMISSION:
                case NBD_HS_CLOSED:
                        goto done;
                }
        }
done:
        hs->out = NULL;
        *ret_consumed = len - left;
        if (r < 0) {
                if (!hs->error[0])
                        (void) hs_fail(hs, r, "%s", strerror(-r));
                return r;
        }
        return hs->state;
}

/* ---- Transmission ---- */

int nbd_request_parse(const uint8_t in[NBD_REQUEST_SIZE], struct nbd_request *ret) {
        if (nbd_get32(in) != NBD_REQUEST_MAGIC)
                return -EBADMSG;
        *ret = (struct nbd_request) {
                .flags = nbd_get16(in + 4),
                .type = nbd_get16(in + 6),
                .cookie = nbd_get64(in + 8),
                .offset = nbd_get64(in + 16),
                .length = nbd_get32(in + 24),
        };
        return 0;
}

static int verdict(struct nbd_request_verdict *v, enum nbd_request_action a, uint32_t error,
                   const char *reason) {
        v->action = a;
        v->error = error;
        v->reason = reason;
        return 0;
}

static int check(const struct nbd_request *req, const struct nbd_export_desc *e,
                 struct nbd_request_verdict *ret) {
        const uint16_t known = NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_DF |
                               NBD_CMD_FLAG_REQ_ONE | NBD_CMD_FLAG_FAST_ZERO |
                               NBD_CMD_FLAG_PAYLOAD_LEN;
        bool is_write = req->type == NBD_CMD_WRITE;
        bool writes = is_write || req->type == NBD_CMD_TRIM || req->type == NBD_CMD_WRITE_ZEROES;
        uint16_t allowed = 0;

        *ret = (struct nbd_request_verdict) { .payload = is_write ? req->length : 0 };

        switch (req->type) {
        case NBD_CMD_DISC:
                return verdict(ret, NBD_REQUEST_DISCONNECT, 0, NULL);
        case NBD_CMD_WRITE:
                if (req->length > NBD_MAX_PAYLOAD)
                        return verdict(ret, NBD_REQUEST_CLOSE, 0,
                                       "write payload larger than 32 MiB");
                allowed = NBD_CMD_FLAG_FUA;
                break;
        case NBD_CMD_READ:
        case NBD_CMD_FLUSH:
        case NBD_CMD_TRIM:
                allowed = NBD_CMD_FLAG_FUA;
                break;
        case NBD_CMD_WRITE_ZEROES:
                allowed = NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE;
                break;
        default:
                /* Only WRITE carries a payload without extended headers; a
                 * command claiming one leaves the stream unparseable. */
                if (req->flags & NBD_CMD_FLAG_PAYLOAD_LEN)
                        return verdict(ret, NBD_REQUEST_CLOSE, 0,
                                       "unsupported command with a payload");
                return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL, "unsupported command");
        }

        if (!is_write && (req->flags & NBD_CMD_FLAG_PAYLOAD_LEN))
                return verdict(ret, NBD_REQUEST_CLOSE, 0, "command flag PAYLOAD_LEN without extended headers");
        if (req->flags & ~known)
                return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL, "unknown command flags");
        if (req->flags & ~allowed)
                return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL, "command flag not valid for this command");
        if ((req->flags & NBD_CMD_FLAG_FUA) && !(e->flags & NBD_FLAG_SEND_FUA))
                return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL, "FUA was not negotiated");
        if (writes && (e->flags & NBD_FLAG_READ_ONLY))
                return verdict(ret, NBD_REQUEST_REJECT, NBD_EPERM, "the export is read-only");

        switch (req->type) {
        case NBD_CMD_FLUSH:
                if (!(e->flags & NBD_FLAG_SEND_FLUSH))
                        return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL, "flush was not negotiated");
                if (req->offset != 0 || req->length != 0)
                        return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL,
                                       "flush with nonzero offset or length");
                return verdict(ret, NBD_REQUEST_SUBMIT, 0, NULL);
        case NBD_CMD_TRIM:
                if (!(e->flags & NBD_FLAG_SEND_TRIM))
                        return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL, "trim was not negotiated");
                break;
        case NBD_CMD_WRITE_ZEROES:
                if (!(e->flags & NBD_FLAG_SEND_WRITE_ZEROES))
                        return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL,
                                       "write zeroes was not negotiated");
                break;
        }

        if (req->offset > e->size || req->length > e->size - req->offset)
                /* ENOSPC for writes, EINVAL otherwise, as the spec asks. */
                return verdict(ret, NBD_REQUEST_REJECT,
                               is_write || req->type == NBD_CMD_WRITE_ZEROES ? NBD_ENOSPC : NBD_EINVAL,
                               "request beyond the end of the export");
        if (e->min_block > 1 && (req->offset % e->min_block || req->length % e->min_block))
                return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL,
                               "request not aligned to the minimum block size");
        /* TRIM is exempt from the maximum block size by the spec. */
        if (req->type != NBD_CMD_TRIM && req->length > e->max_block)
                return verdict(ret, NBD_REQUEST_REJECT, NBD_EINVAL,
                               "request larger than the maximum block size");
        if (req->length == 0)
                return verdict(ret, NBD_REQUEST_NOOP, 0, NULL);
        return verdict(ret, NBD_REQUEST_SUBMIT, 0, NULL);
}

void nbd_request_check(const struct nbd_request *req, const struct nbd_export_desc *e,
                       struct nbd_request_verdict *ret) {
        (void) check(req, e, ret);
}

void nbd_simple_reply_encode(uint8_t out[NBD_SIMPLE_REPLY_SIZE], uint32_t error, uint64_t cookie) {
        nbd_put32(out, NBD_SIMPLE_REPLY_MAGIC);
        nbd_put32(out + 4, error);
        nbd_put64(out + 8, cookie);
}

/* ---- Client side ---- */

void nbd_request_encode(uint8_t out[NBD_REQUEST_SIZE], const struct nbd_request *req) {
        nbd_put32(out, NBD_REQUEST_MAGIC);
        nbd_put16(out + 4, req->flags);
        nbd_put16(out + 6, req->type);
        nbd_put64(out + 8, req->cookie);
        nbd_put64(out + 16, req->offset);
        nbd_put32(out + 24, req->length);
}

int nbd_option_encode(struct buf *out, uint32_t opt, const void *data, uint32_t len) {
        uint8_t h[NBD_OPTION_HEADER_SIZE];
        int r;

        nbd_put64(h, NBD_IHAVEOPT);
        nbd_put32(h + 8, opt);
        nbd_put32(h + 12, len);
        r = buf_reserve(out, sizeof(h) + len);
        if (r < 0)
                return r;
        (void) buf_append(out, h, sizeof(h));
        if (len)
                (void) buf_append(out, data, len);
        return 0;
}

int nbd_option_info_data(struct buf *out, const char *name, const uint16_t *infos, uint16_t n) {
        size_t nl = strlen(name);
        uint8_t b[4];
        int r;

        if (nl > NBD_MAX_STRING)
                return -EINVAL;
        r = buf_reserve(out, 4 + nl + 2 + 2 * (size_t) n);
        if (r < 0)
                return r;
        nbd_put32(b, (uint32_t) nl);
        (void) buf_append(out, b, 4);
        (void) buf_append(out, name, nl);
        nbd_put16(b, n);
        (void) buf_append(out, b, 2);
        for (uint16_t i = 0; i < n; i++) {
                nbd_put16(b, infos[i]);
                (void) buf_append(out, b, 2);
        }
        return 0;
}

int nbd_option_reply_parse(const uint8_t in[NBD_OPTION_REPLY_HEADER_SIZE],
                           struct nbd_option_reply *ret) {
        if (nbd_get64(in) != NBD_REP_MAGIC)
                return -EBADMSG;
        *ret = (struct nbd_option_reply) {
                .opt = nbd_get32(in + 8),
                .type = nbd_get32(in + 12),
                .length = nbd_get32(in + 16),
        };
        return 0;
}

int nbd_simple_reply_parse(const uint8_t in[NBD_SIMPLE_REPLY_SIZE], uint32_t *ret_error,
                           uint64_t *ret_cookie) {
        if (nbd_get32(in) != NBD_SIMPLE_REPLY_MAGIC)
                return -EBADMSG;
        *ret_error = nbd_get32(in + 4);
        *ret_cookie = nbd_get64(in + 8);
        return 0;
}
