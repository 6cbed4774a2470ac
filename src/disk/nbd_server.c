/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NBD server's connections on sd-event: accepting, reading and writing
 * with non-blocking sockets, request buffers and their limits, and the
 * lifetime rules that keep every request valid until the backend completed
 * it. The protocol itself is in nbd_proto.c; see nbd_server.h for the
 * connection state diagram and docs/nbd.md for the design. */

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>

#include "nbd_proto.h"
#include "nbd_server.h"
#include "sock.h"

#define RBUF_SIZE           (64u * 1024)     /* socket input buffer per connection */
#define HS_OUT_MAX          (256u * 1024)    /* stop reading options above this backlog */
#define HS_FEED_MAX         4096u            /* option bytes handled between backlog checks */
#define READS_PER_RUN       16               /* fairness between connections */
#define DIRECT_READ_MIN     (16u * 1024)     /* payloads from here on bypass rbuf */
#define SEND_MAX_IOS        64               /* replies per sendmsg() */
#define BUF_ALIGN           4096u
#define ACCEPT_RETRY_USEC   (100 * 1000)

enum conn_phase {
        CONN_HANDSHAKE,     /* options */
        CONN_TRANSMISSION,  /* requests */
        CONN_DRAINING,      /* no more input: replies still go out, then close */
        CONN_ZOMBIE,        /* socket closed: waits for submitted requests */
};

enum rx_state {
        RX_HEADER,          /* next bytes are a request header */
        RX_PAYLOAD,         /* reading a WRITE payload into rx_io->data */
        RX_DISCARD,         /* dropping the payload of a rejected WRITE */
};

struct listener {
        struct nbd_server *server;
        struct listener *next;
        int fd;
        bool tcp;
        char *path;                  /* unix socket file to remove, or NULL */
        sd_event_source *src;
        sd_event_source *retry;      /* accept() paused after EMFILE and friends */
};

struct nbd_conn {
        struct nbd_server *server;
        struct nbd_conn *prev, *next;
        unsigned id;
        char peer[SOCK_ADDR_STR_MAX];
        int fd;
        sd_event_source *io_src;
        sd_event_source *kick;       /* deferred run after completions */
        sd_event_source *timer;      /* handshake time limit */
        enum conn_phase phase;
        bool busy;                   /* inside conn_run(): completions only queue */
        int reads_left;              /* read() budget of the current run */

        struct nbd_handshake hs;
        struct buf out;              /* handshake output */
        size_t out_off;

        void *export_ctx;
        bool opened;                 /* open() succeeded: close() is owed */
        struct nbd_export_desc desc;

        uint8_t *rbuf;
        size_t rpos, rlen;           /* unread input is rbuf[rpos..rlen) */
        enum rx_state rx;
        struct nbd_io *rx_io;        /* RX_PAYLOAD / RX_DISCARD */
        uint32_t rx_left;            /* payload bytes still to come */
        bool have_pending;           /* parsed request waiting for resources */
        struct nbd_request pending;
        struct nbd_request_verdict pending_v;

        uint64_t n_requests;         /* for the log */
        unsigned in_flight;          /* ios from header to sent reply */
        size_t in_flight_bytes;      /* their buffers */
        unsigned submitted;          /* ios the backend holds */
        struct nbd_io *q_head, *q_tail;  /* replies to send */
        size_t q_off;                /* bytes of q_head already sent */
};

struct nbd_server {
        sd_event *event;
        const struct nbd_backend_ops *ops;
        void *server_ctx;
        struct listener *listeners;
        struct nbd_conn *conns;
        unsigned next_id;
        int tcp_port;
        bool freeing;
        uint64_t handshake_usec;
        nbd_server_log_fn log_fn;
        void *log_userdata;
};

static void conn_finalize(struct nbd_conn *c);
static void conn_close(struct nbd_conn *c);

/* Debug builds check every field against the connection's phase. */
static void conn_check(const struct nbd_conn *c) {
#ifndef NDEBUG
        assert(c->submitted <= c->in_flight);
        assert(c->in_flight <= NBD_SERVER_MAX_IN_FLIGHT);
        assert((c->rx == RX_HEADER) == !c->rx_io);
        assert(c->rpos <= c->rlen && c->rlen <= RBUF_SIZE);
        assert(!c->q_head == !c->q_tail);
        assert(c->out_off <= c->out.len);
        switch (c->phase) {
        case CONN_HANDSHAKE:
                assert(!c->opened && c->in_flight == 0 && !c->have_pending && c->fd >= 0);
                break;
        case CONN_TRANSMISSION:
                assert(c->opened && c->fd >= 0);
                assert(!c->have_pending || c->rx == RX_HEADER);
                break;
        case CONN_DRAINING:
                assert(!c->have_pending && !c->rx_io && c->fd >= 0);
                break;
        case CONN_ZOMBIE:
                assert(c->fd < 0 && !c->q_head && !c->rx_io && !c->have_pending);
                assert(c->in_flight == c->submitted);
                break;
        }
#endif
}

_printf_(3, 4)
static void conn_log(struct nbd_conn *c, int level, const char *fmt, ...) {
        struct nbd_server *s = c->server;
        char msg[512];
        va_list ap;
        int n;

        if (!s->log_fn)
                return;
        n = snprintf(msg, sizeof(msg), "nbd client %u (%s): ", c->id, c->peer);
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof(msg) - (size_t) n, fmt, ap);
        va_end(ap);
        s->log_fn(s->log_userdata, level, msg);
}

_printf_(3, 4)
static void server_log(struct nbd_server *s, int level, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        if (!s->log_fn)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        s->log_fn(s->log_userdata, level, msg);
}

/* ---- Handshake glue ---- */

static int hs_lookup(void *userdata, const char *name, struct nbd_export_desc *ret, void **ret_export) {
        struct nbd_conn *c = userdata;
        struct nbd_server *s = c->server;
        struct nbd_export_info info = {};
        void *ctx = NULL;
        int r;

        r = s->ops->lookup(s->server_ctx, name, &info, &ctx);
        if (r < 0)
                return r;
        *ret = (struct nbd_export_desc) {
                .size = info.size,
                .flags = nbd_proto_transmission_flags(info.read_only, info.can_flush, info.can_fua,
                                                      info.can_trim, info.can_write_zeroes,
                                                      info.can_multi_conn),
                .min_block = info.min_block,
                .preferred_block = info.preferred_block,
                .max_block = info.max_block,
                .description = info.description,
        };
        *ret_export = ctx;
        return 0;
}

static int hs_open(void *userdata, void *export) {
        struct nbd_conn *c = userdata;
        int r;

        if (c->server->ops->open) {
                r = c->server->ops->open(export);
                if (r < 0)
                        return r;
        }
        c->export_ctx = export;
        c->opened = true;
        return 0;
}

static int hs_list(void *userdata, void (*emit)(void *, const char *, const char *), void *emit_ctx) {
        struct nbd_conn *c = userdata;
        struct nbd_server *s = c->server;

        return s->ops->list ? s->ops->list(s->server_ctx, emit, emit_ctx) : 0;
}

static const struct nbd_handshake_ops hs_ops = {
        .lookup = hs_lookup,
        .open = hs_open,
        .list = hs_list,
};

/* ---- Requests ---- */

static size_t buf_size_for(uint32_t length) {
        return ((size_t) length + BUF_ALIGN - 1) / BUF_ALIGN * BUF_ALIGN;
}

static void io_free(struct nbd_conn *c, struct nbd_io *io) {
        c->in_flight--;
        c->in_flight_bytes -= io->buf_size;
        free(io->data);
        free(io);
}

static bool conn_has_output(const struct nbd_conn *c) {
        return c->out_off < c->out.len || c->q_head;
}

static void conn_queue_reply(struct nbd_conn *c, struct nbd_io *io) {
        nbd_simple_reply_encode(io->reply, io->error, io->cookie);
        io->next = NULL;
        if (c->q_tail)
                c->q_tail->next = io;
        else
                c->q_head = io;
        c->q_tail = io;
}

static void conn_kick(struct nbd_conn *c) {
        (void) sd_event_source_set_enabled(c->kick, SD_EVENT_ONESHOT);
}

static void conn_submit(struct nbd_conn *c, struct nbd_io *io) {
        io->submitted = true;
        c->submitted++;
        c->server->ops->submit(c->export_ctx, io);
}

static bool conn_resources_for(const struct nbd_conn *c, size_t bytes) {
        if (c->in_flight >= NBD_SERVER_MAX_IN_FLIGHT)
                return false;
        /* One request always fits when nothing else holds memory. */
        return bytes == 0 || c->in_flight_bytes == 0 ||
               c->in_flight_bytes + bytes <= NBD_SERVER_MAX_IN_FLIGHT_BYTES;
}

static size_t pending_bytes(const struct nbd_conn *c) {
        const struct nbd_request *q = &c->pending;

        if (c->pending_v.action != NBD_REQUEST_SUBMIT)
                return 0;
        if (q->type != NBD_CMD_READ && q->type != NBD_CMD_WRITE)
                return 0;
        return buf_size_for(q->length);
}

static enum nbd_io_type io_type_of(uint16_t cmd) {
        switch (cmd) {
        case NBD_CMD_READ: return NBD_IO_READ;
        case NBD_CMD_WRITE: return NBD_IO_WRITE;
        case NBD_CMD_FLUSH: return NBD_IO_FLUSH;
        case NBD_CMD_TRIM: return NBD_IO_TRIM;
        default: return NBD_IO_WRITE_ZEROES;
        }
}

/* Starts the pending request if resources allow: 1 started, 0 still
 * blocked, negative errno on failure. */
static int conn_start_request(struct nbd_conn *c) {
        const struct nbd_request *q = &c->pending;
        struct nbd_request_verdict v = c->pending_v;
        size_t bytes = pending_bytes(c);
        struct nbd_io *io;

        if (!conn_resources_for(c, bytes))
                return 0;
        io = calloc(1, sizeof(*io));
        if (!io)
                return -ENOMEM;
        *io = (struct nbd_io) {
                .type = io_type_of(q->type),
                .offset = q->offset,
                .length = q->length,
                .fua = (q->flags & NBD_CMD_FLAG_FUA) && q->type != NBD_CMD_READ &&
                       q->type != NBD_CMD_FLUSH,
                .no_hole = q->flags & NBD_CMD_FLAG_NO_HOLE,
                .export_ctx = c->export_ctx,
                .conn = c,
                .cookie = q->cookie,
        };
        if (bytes) {
                if (posix_memalign(&io->data, BUF_ALIGN, bytes) != 0) {
                        /* Tell the client instead of dropping it. */
                        io->data = NULL;
                        v.action = NBD_REQUEST_REJECT;
                        v.error = NBD_ENOMEM;
                } else
                        io->buf_size = bytes;
        }
        c->have_pending = false;
        c->in_flight++;
        c->in_flight_bytes += io->buf_size;

        switch (v.action) {
        case NBD_REQUEST_SUBMIT:
                if (q->type == NBD_CMD_WRITE) {
                        c->rx_io = io;
                        c->rx_left = q->length;
                        c->rx = RX_PAYLOAD;
                } else {
                        if (q->type == NBD_CMD_FLUSH)
                                io->offset = io->length = 0;
                        conn_submit(c, io);
                }
                break;
        case NBD_REQUEST_REJECT:
                io->error = v.error;
                conn_log(c, LOG_DEBUG, "%s offset %llu length %u rejected: %s",
                         nbd_proto_command_name(q->type), (unsigned long long) q->offset, q->length,
                         v.reason ? v.reason : strerror(ENOMEM));
                if (v.payload > 0) {
                        c->rx_io = io;
                        c->rx_left = v.payload;
                        c->rx = RX_DISCARD;
                } else
                        conn_queue_reply(c, io);
                break;
        default:  /* NOOP */
                conn_queue_reply(c, io);
                break;
        }
        return 1;
}

/* ---- Input ---- */

/* read() with the run's budget: >0 bytes, 0 end of file, -EAGAIN (nothing
 * now or budget spent), other negative errno. */
static ssize_t conn_read(struct nbd_conn *c, void *p, size_t n) {
        ssize_t k;

        if (c->reads_left <= 0)
                return -EAGAIN;
        c->reads_left--;
        do
                k = read(c->fd, p, n);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        return k;
}

/* Reads more into rbuf, compacting first. */
static ssize_t conn_fill(struct nbd_conn *c) {
        ssize_t k;

        if (c->rpos == c->rlen)
                c->rpos = c->rlen = 0;
        else if (c->rlen == RBUF_SIZE) {
                memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
                c->rlen -= c->rpos;
                c->rpos = 0;
        }
        if (c->rlen == RBUF_SIZE)
                return -ENOBUFS;  /* callers only fill when less than a header is left */
        k = conn_read(c, c->rbuf + c->rlen, RBUF_SIZE - c->rlen);
        if (k > 0)
                c->rlen += (size_t) k;
        return k;
}

/* The client closed its side: what was fully received is still served. */
static void conn_eof(struct nbd_conn *c) {
        if (c->rx_io) {
                conn_log(c, LOG_DEBUG, "end of input inside a request payload, request dropped");
                io_free(c, c->rx_io);
                c->rx_io = NULL;
                c->rx = RX_HEADER;
        } else if (c->rpos < c->rlen)
                conn_log(c, LOG_DEBUG, "end of input inside a request header");
        c->rpos = c->rlen = 0;
        c->phase = CONN_DRAINING;
}

/* Moves payload bytes from rbuf or the socket into the current io (or
 * nowhere for RX_DISCARD): 1 progress, 0 wait, negative errno. */
static int conn_payload(struct nbd_conn *c) {
        struct nbd_io *io = c->rx_io;
        size_t n;
        ssize_t k;

        if (c->rpos < c->rlen) {
                n = c->rlen - c->rpos < c->rx_left ? c->rlen - c->rpos : c->rx_left;
                if (c->rx == RX_PAYLOAD)
                        memcpy((uint8_t *) io->data + (io->length - c->rx_left), c->rbuf + c->rpos, n);
                c->rpos += n;
                c->rx_left -= (uint32_t) n;
        } else if (c->rx == RX_PAYLOAD && c->rx_left >= DIRECT_READ_MIN) {
                k = conn_read(c, (uint8_t *) io->data + (io->length - c->rx_left), c->rx_left);
                if (k <= 0)
                        return k == 0 ? -ECONNRESET : (int) k;
                c->rx_left -= (uint32_t) k;
        } else {
                k = conn_fill(c);
                if (k <= 0)
                        return k == 0 ? -ECONNRESET : (int) k;
                return 1;
        }

        if (c->rx_left == 0) {
                enum rx_state was = c->rx;

                /* Consistent before submit(): it may complete inline. */
                c->rx_io = NULL;
                c->rx = RX_HEADER;
                if (was == RX_PAYLOAD)
                        conn_submit(c, io);
                else
                        conn_queue_reply(c, io);
        }
        return 1;
}

static int conn_header(struct nbd_conn *c) {
        struct nbd_request q;
        struct nbd_request_verdict v;
        ssize_t k;

        if (c->rlen - c->rpos < NBD_REQUEST_SIZE) {
                k = conn_fill(c);
                if (k <= 0)
                        return k == 0 ? -ECONNRESET : (int) k;
                return 1;
        }
        if (nbd_request_parse(c->rbuf + c->rpos, &q) < 0) {
                conn_log(c, LOG_WARNING, "request with bad magic 0x%08x, closing",
                         nbd_get32(c->rbuf + c->rpos));
                return -EPROTO;
        }
        c->rpos += NBD_REQUEST_SIZE;
        nbd_request_check(&q, &c->desc, &v);
        switch (v.action) {
        case NBD_REQUEST_DISCONNECT:
                conn_log(c, LOG_DEBUG, "NBD_CMD_DISC");
                c->phase = CONN_DRAINING;
                return 0;
        case NBD_REQUEST_CLOSE:
                conn_log(c, LOG_WARNING, "%s (type %u) offset %llu length %u: %s, closing",
                         nbd_proto_command_name(q.type), q.type, (unsigned long long) q.offset,
                         q.length, v.reason);
                return -EPROTO;
        default:
                c->pending = q;
                c->pending_v = v;
                c->have_pending = true;
                c->n_requests++;
                return 1;
        }
}

/* Transmission input until there is nothing to do without waiting. */
static int conn_transmission_input(struct nbd_conn *c) {
        int r;

        for (;;) {
                if (c->phase != CONN_TRANSMISSION)
                        return 0;
                if (c->have_pending) {
                        r = conn_start_request(c);
                        if (r <= 0)
                                return r;
                        continue;
                }
                r = c->rx == RX_HEADER ? conn_header(c) : conn_payload(c);
                if (r == -ECONNRESET) {
                        conn_eof(c);
                        return 0;
                }
                if (r == -EAGAIN || r == 0)
                        return 0;
                if (r < 0)
                        return r;
        }
}

static int conn_handshake_input(struct nbd_conn *c) {
        size_t used;
        ssize_t k;
        int r;

        for (;;) {
                /* In slices: a few bytes of NBD_OPT_LIST can ask for a lot of
                 * output, so the backlog is checked in between. */
                while (c->rpos < c->rlen && c->out.len - c->out_off <= HS_OUT_MAX) {
                        size_t n = c->rlen - c->rpos < HS_FEED_MAX ? c->rlen - c->rpos : HS_FEED_MAX;

                        r = nbd_handshake_feed(&c->hs, c->rbuf + c->rpos, n, &used, &c->out);
                        c->rpos += used;
                        if (r < 0) {
                                conn_log(c, LOG_WARNING, "handshake failed: %s", c->hs.error);
                                return r;
                        }
                        if (r == NBD_HS_TRANSMISSION) {
                                c->desc = c->hs.export;
                                c->phase = CONN_TRANSMISSION;
                                c->timer = sd_event_source_disable_unref(c->timer);
                                conn_log(c, LOG_INFO, "export of %llu bytes in transmission (flags 0x%04x)",
                                         (unsigned long long) c->desc.size, c->desc.flags);
                                return conn_transmission_input(c);
                        }
                        if (r == NBD_HS_CLOSED) {
                                conn_log(c, LOG_DEBUG, "NBD_OPT_ABORT");
                                c->phase = CONN_DRAINING;
                                return 0;
                        }
                }
                /* Options answered faster than the client reads them wait. */
                if (c->rpos < c->rlen || c->out.len - c->out_off > HS_OUT_MAX)
                        return 0;
                k = conn_fill(c);
                if (k == 0) {
                        conn_log(c, LOG_DEBUG, "client left during the handshake");
                        return -ECONNRESET;
                }
                if (k < 0)
                        return k == -EAGAIN ? 0 : (int) k;
        }
}

/* ---- Output ---- */

static int conn_send(struct nbd_conn *c, struct iovec *iov, int n, size_t *ret_sent) {
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t) n };
        ssize_t k;

        do
                k = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        *ret_sent = (size_t) k;
        return 0;
}

/* Sends what is queued until the socket is full: 0 or a negative errno. */
static int conn_flush(struct nbd_conn *c) {
        struct iovec iov[2 * SEND_MAX_IOS];
        size_t sent;
        int r, n;

        while (c->out_off < c->out.len) {
                iov[0] = (struct iovec) { c->out.data + c->out_off, c->out.len - c->out_off };
                r = conn_send(c, iov, 1, &sent);
                if (r < 0)
                        return r == -EAGAIN ? 0 : r;
                c->out_off += sent;
        }
        if (c->out.len) {
                buf_clear(&c->out);
                c->out_off = 0;
        }

        while (c->q_head) {
                size_t skip = c->q_off;

                n = 0;
                for (struct nbd_io *io = c->q_head; io && n + 2 <= 2 * SEND_MAX_IOS; io = io->next) {
                        size_t dl = io->type == NBD_IO_READ && io->error == 0 ? io->length : 0;

                        if (skip < sizeof(io->reply))
                                iov[n++] = (struct iovec) { io->reply + skip, sizeof(io->reply) - skip };
                        if (dl > 0) {
                                size_t d0 = skip > sizeof(io->reply) ? skip - sizeof(io->reply) : 0;

                                iov[n++] = (struct iovec) { (uint8_t *) io->data + d0, dl - d0 };
                        }
                        skip = 0;
                }
                r = conn_send(c, iov, n, &sent);
                if (r < 0)
                        return r == -EAGAIN ? 0 : r;
                while (c->q_head) {
                        struct nbd_io *io = c->q_head;
                        size_t total = sizeof(io->reply) +
                                       (io->type == NBD_IO_READ && io->error == 0 ? io->length : 0);

                        if (c->q_off + sent < total) {
                                c->q_off += sent;
                                break;
                        }
                        sent -= total - c->q_off;
                        c->q_off = 0;
                        c->q_head = io->next;
                        if (!c->q_head)
                                c->q_tail = NULL;
                        io_free(c, io);
                }
        }
        return 0;
}

/* ---- Connection lifetime ---- */

static bool conn_wants_read(const struct nbd_conn *c) {
        switch (c->phase) {
        case CONN_HANDSHAKE:
                return c->out.len - c->out_off <= HS_OUT_MAX;
        case CONN_TRANSMISSION:
                return !c->have_pending;
        default:
                return false;
        }
}

/* After a run: close when done, else set the events to wait for. */
static void conn_update(struct nbd_conn *c) {
        uint32_t events = 0;

        if (c->phase == CONN_DRAINING && !conn_has_output(c) && c->in_flight == 0) {
                conn_close(c);
                return;
        }
        if (c->have_pending && conn_resources_for(c, pending_bytes(c)))
                conn_kick(c);
        /* Options left in rbuf while the backlog was too large. */
        if (c->phase == CONN_HANDSHAKE && c->rpos < c->rlen && c->out.len - c->out_off <= HS_OUT_MAX)
                conn_kick(c);
        if (conn_wants_read(c))
                events |= EPOLLIN;
        if (conn_has_output(c))
                events |= EPOLLOUT;
        if (events) {
                (void) sd_event_source_set_io_events(c->io_src, events);
                (void) sd_event_source_set_enabled(c->io_src, SD_EVENT_ON);
        } else
                (void) sd_event_source_set_enabled(c->io_src, SD_EVENT_OFF);
}

static void conn_run(struct nbd_conn *c, uint32_t revents) {
        int r;

        c->busy = true;
        c->reads_left = READS_PER_RUN;
        r = conn_flush(c);
        if (r >= 0 && c->phase == CONN_HANDSHAKE)
                r = conn_handshake_input(c);
        else if (r >= 0 && c->phase == CONN_TRANSMISSION)
                r = conn_transmission_input(c);
        if (r >= 0)
                r = conn_flush(c);
        /* Hang-up while we neither read nor have anything to write. */
        if (r >= 0 && (revents & (EPOLLHUP | EPOLLERR)) && !conn_wants_read(c) && !conn_has_output(c))
                r = -ECONNRESET;
        c->busy = false;
        conn_check(c);
        if (r < 0) {
                if (r != -EPROTO && r != -ECONNRESET)
                        conn_log(c, LOG_INFO, "connection lost: %s", strerror(-r));
                conn_close(c);
                return;
        }
        conn_update(c);
}

static int on_conn_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        conn_run(userdata, revents);
        return 0;
}

static int on_conn_kick(sd_event_source *src, void *userdata) {
        struct nbd_conn *c = userdata;

        if (c->phase == CONN_ZOMBIE) {
                if (c->submitted == 0)
                        conn_finalize(c);
                return 0;
        }
        conn_run(c, 0);
        return 0;
}

static void server_destroy(struct nbd_server *s) {
        sd_event_unref(s->event);
        free(s);
}

/* Releases everything; the backend gets close() if open() succeeded. */
static void conn_finalize(struct nbd_conn *c) {
        struct nbd_server *s = c->server;

        if (c->opened && s->ops->close)
                s->ops->close(c->export_ctx);
        c->opened = false;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        sd_event_source_disable_unref(c->io_src);
        sd_event_source_disable_unref(c->kick);
        sd_event_source_disable_unref(c->timer);
        nbd_handshake_done(&c->hs);
        buf_free(&c->out);
        free(c->rbuf);
        free(c);
        if (s->freeing && !s->conns)
                server_destroy(s);
}

/* Closes the socket now and drops everything not in the backend's hands. */
static void conn_close(struct nbd_conn *c) {
        conn_log(c, LOG_INFO, "disconnected after %llu requests", (unsigned long long) c->n_requests);
        (void) sd_event_source_set_enabled(c->io_src, SD_EVENT_OFF);
        c->fd = safe_close(c->fd);
        while (c->q_head) {
                struct nbd_io *io = c->q_head;

                c->q_head = io->next;
                io_free(c, io);
        }
        c->q_tail = NULL;
        if (c->rx_io) {
                io_free(c, c->rx_io);
                c->rx_io = NULL;
        }
        c->have_pending = false;
        c->phase = CONN_ZOMBIE;
        if (c->submitted == 0)
                conn_finalize(c);
        else
                conn_log(c, LOG_DEBUG, "waiting for %u requests in the backend", c->submitted);
}

void nbd_io_complete(struct nbd_io *io, int error) {
        struct nbd_conn *c = io->conn;

        assert(io->submitted);  /* exactly once per request */
        conn_check(c);
        io->submitted = false;
        c->submitted--;
        if (c->phase == CONN_ZOMBIE) {
                io_free(c, io);
                if (c->submitted > 0)
                        return;
                /* close() must not run inside the backend's completion while
                 * the loop dispatches: finish from the loop instead. */
                if (sd_event_get_state(c->server->event) == SD_EVENT_RUNNING)
                        conn_kick(c);
                else
                        conn_finalize(c);
                return;
        }
        io->error = nbd_proto_error_from_errno(error);
        conn_queue_reply(c, io);
        if (!c->busy)
                conn_kick(c);
}

static int on_handshake_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        struct nbd_conn *c = userdata;

        c->timer = sd_event_source_disable_unref(c->timer);
        if (c->phase != CONN_HANDSHAKE)
                return 0;
        conn_log(c, LOG_WARNING, "handshake not finished within %llu ms, closing",
                 (unsigned long long) (c->server->handshake_usec / 1000));
        conn_close(c);
        return 0;
}

static void peer_name(int fd, char *buf, size_t size) {
        struct sockaddr_storage ss = {};
        socklen_t len = sizeof(ss);

        if (getpeername(fd, (struct sockaddr *) &ss, &len) < 0 ||
            sock_format_addr((struct sockaddr *) &ss, len, buf, size) < 0)
                snprintf(buf, size, "%s", len && ss.ss_family == AF_UNIX ? "unix" : "?");
}

int nbd_server_add_connection(struct nbd_server *s, int fd) {
        _cleanup_close_ int fd_owned = fd;
        struct nbd_conn *c;
        int r;

        if (!s || fd < 0 || s->freeing)
                return -EINVAL;
        r = sock_set_nonblock(fd, true);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->server = s;
        c->fd = -1;
        c->rbuf = malloc(RBUF_SIZE);
        if (!c->rbuf) {
                free(c);
                return -ENOMEM;
        }
        nbd_handshake_init(&c->hs, &hs_ops, c);
        r = nbd_handshake_start(&c->hs, &c->out);
        if (r >= 0)
                r = sd_event_add_io(s->event, &c->io_src, fd, EPOLLIN | EPOLLOUT, on_conn_io, c);
        if (r >= 0)
                r = sd_event_add_defer(s->event, &c->kick, on_conn_kick, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->kick, SD_EVENT_OFF);
        if (r >= 0 && s->handshake_usec > 0)
                r = sd_event_add_time_relative(s->event, &c->timer, CLOCK_MONOTONIC, s->handshake_usec, 0,
                                               on_handshake_timeout, c);
        if (r < 0) {
                sd_event_source_disable_unref(c->io_src);
                sd_event_source_disable_unref(c->kick);
                sd_event_source_disable_unref(c->timer);
                buf_free(&c->out);
                free(c->rbuf);
                free(c);
                return r;
        }
        c->fd = TAKE_FD(fd_owned);
        c->id = ++s->next_id;
        peer_name(c->fd, c->peer, sizeof(c->peer));
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        conn_log(c, LOG_DEBUG, "connected");
        return 0;
}

/* ---- Listeners ---- */

static int on_accept_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        struct listener *l = userdata;

        l->retry = sd_event_source_disable_unref(l->retry);
        (void) sd_event_source_set_enabled(l->src, SD_EVENT_ON);
        return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct listener *l = userdata;
        struct nbd_server *s = l->server;
        int one = 1, cfd, r;

        for (int i = 0; i < 32; i++) {
                cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        server_log(s, LOG_WARNING, "nbd: accept() failed: %m; pausing for 100 ms");
                        /* Out of fds or memory: pause rather than spin. */
                        if (!l->retry &&
                            sd_event_add_time_relative(s->event, &l->retry, CLOCK_MONOTONIC,
                                                       ACCEPT_RETRY_USEC, 0, on_accept_retry, l) >= 0)
                                (void) sd_event_source_set_enabled(l->src, SD_EVENT_OFF);
                        return 0;
                }
                if (l->tcp)
                        (void) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                r = nbd_server_add_connection(s, cfd);
                if (r < 0)
                        server_log(s, LOG_WARNING, "nbd: cannot serve a new connection: %s", strerror(-r));
        }
        return 0;
}

static int server_add_listener(struct nbd_server *s, int fd, bool tcp, const char *path) {
        _cleanup_close_ int fd_owned = fd;
        struct listener *l;
        int r;

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->server = s;
        l->tcp = tcp;
        if (path) {
                l->path = strdup(path);
                if (!l->path) {
                        free(l);
                        return -ENOMEM;
                }
        }
        r = sd_event_add_io(s->event, &l->src, fd, EPOLLIN, on_accept, l);
        if (r < 0) {
                free(l->path);
                free(l);
                return r;
        }
        l->fd = TAKE_FD(fd_owned);
        l->next = s->listeners;
        s->listeners = l;
        return 0;
}

int nbd_server_listen_unix(struct nbd_server *s, const char *path, mode_t mode) {
        int fd, r;

        if (!s || !path)
                return -EINVAL;
        r = sock_unix_listen(path, SOMAXCONN, mode ? mode : 0600, &fd);
        if (r < 0)
                return r;
        r = server_add_listener(s, fd, false, path);
        if (r < 0)
                (void) unlink(path);
        return r;
}

int nbd_server_listen_tcp(struct nbd_server *s, const struct sockaddr *sa, socklen_t len) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd, r, port = -1;

        if (!s || !sa)
                return -EINVAL;
        r = sock_tcp_listen(sa, len, &fd);
        if (r < 0)
                return r;
        if (getsockname(fd, (struct sockaddr *) &ss, &sl) >= 0) {
                if (ss.ss_family == AF_INET)
                        port = ntohs(((struct sockaddr_in *) &ss)->sin_port);
                else if (ss.ss_family == AF_INET6)
                        port = ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
        }
        r = server_add_listener(s, fd, true, NULL);
        if (r < 0)
                return r;
        if (port >= 0)
                s->tcp_port = port;
        return 0;
}

int nbd_server_tcp_port(const struct nbd_server *s) {
        return s && s->tcp_port > 0 ? s->tcp_port : -ENOENT;
}

void nbd_server_stop_listening(struct nbd_server *s) {
        if (!s)
                return;
        while (s->listeners) {
                struct listener *l = s->listeners;

                s->listeners = l->next;
                sd_event_source_disable_unref(l->src);
                sd_event_source_disable_unref(l->retry);
                safe_close(l->fd);
                if (l->path)
                        (void) unlink(l->path);
                free(l->path);
                free(l);
        }
        s->tcp_port = 0;
}

/* ---- Server ---- */

int nbd_server_new(sd_event *e, const struct nbd_backend_ops *ops, void *server_ctx, struct nbd_server **ret) {
        struct nbd_server *s;

        if (!e || !ops || !ops->lookup || !ops->submit || !ret)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        s->handshake_usec = NBD_SERVER_HANDSHAKE_TIMEOUT_USEC;
        s->ops = ops;
        s->server_ctx = server_ctx;
        *ret = s;
        return 0;
}

void nbd_server_set_handshake_timeout(struct nbd_server *s, uint64_t usec) {
        if (s)
                s->handshake_usec = usec;
}

void nbd_server_set_log(struct nbd_server *s, nbd_server_log_fn fn, void *userdata) {
        if (!s)
                return;
        s->log_fn = fn;
        s->log_userdata = userdata;
}

unsigned nbd_server_clients(const struct nbd_server *s, const void *export_ctx) {
        unsigned n = 0;

        if (!s)
                return 0;
        for (const struct nbd_conn *c = s->conns; c; c = c->next)
                if (c->opened && (!export_ctx || c->export_ctx == export_ctx))
                        n++;
        return n;
}

void nbd_server_free(struct nbd_server *s) {
        struct nbd_conn *c, *next;

        if (!s)
                return;
        nbd_server_stop_listening(s);
        s->freeing = true;
        /* conn_close() may free c (and, once the list is empty, s). */
        for (c = s->conns; c; c = next) {
                bool last = !c->next;

                next = c->next;
                if (c->phase == CONN_ZOMBIE) {
                        if (c->submitted == 0)
                                conn_finalize(c);
                } else
                        conn_close(c);
                if (last)
                        return;
        }
        server_destroy(s);
}
