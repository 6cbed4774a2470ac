/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nbd_server.h: tandem-diskd's NBD server: accepts connections on unix and
 * TCP sockets, runs the handshake (nbd_proto.h) and the transmission phase
 * on an sd-event loop, and hands each request to a backend through
 * struct nbd_backend_ops. Replies go out in completion order (simple
 * replies, identified by cookie). docs/nbd.md has the details.
 *
 * A connection's life:
 *
 *   HANDSHAKE --GO/EXPORT_NAME ok, open()--> TRANSMISSION
 *       |                                     |  NBD_CMD_DISC or EOF: stop reading,
 *       |                                     |  finish in-flight requests, send replies
 *       |                                     v
 *       |                                  DRAINING --all replies sent--+
 *       |                                                               |
 *       +--ABORT answered / error---------------------------------------+--> socket closed
 *                                                                            |
 *   protocol violation, send error, nbd_server_free(): socket closed at once |
 *                                                                            v
 *                                    ZOMBIE (waits for submitted requests) --> close(), freed
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

/* Per connection: requests between header and sent reply (in the backend,
 * waiting for their payload, or with a queued reply), and the data buffers
 * they hold. At either limit the server stops reading the socket. */
#define NBD_SERVER_MAX_IN_FLIGHT        128u
#define NBD_SERVER_MAX_IN_FLIGHT_BYTES  (64u * 1024 * 1024)

/* A client that has not finished the handshake by then is disconnected
 * (qemu and libnbd need milliseconds). nbd_server_set_handshake_timeout(). */
#define NBD_SERVER_HANDSHAKE_TIMEOUT_USEC (30u * 1000 * 1000)

struct nbd_export_info {
        uint64_t size;               /* bytes */
        bool read_only;
        bool can_trim, can_write_zeroes, can_flush, can_fua, can_multi_conn;
        uint32_t min_block, preferred_block, max_block;  /* 0 = server defaults (1, 4096, 32 MiB) */
        const char *description;     /* may be NULL; copied by the server */
};

enum nbd_io_type { NBD_IO_READ, NBD_IO_WRITE, NBD_IO_FLUSH, NBD_IO_TRIM, NBD_IO_WRITE_ZEROES };

struct nbd_conn;

/* One request handed to the backend. Owned by the server; valid until the
 * backend calls nbd_io_complete() for it (exactly once). */
struct nbd_io {
        enum nbd_io_type type;
        uint64_t offset;
        uint32_t length;
        bool fua;                    /* WRITE/TRIM/WRITE_ZEROES: durable before completion */
        bool no_hole;                /* WRITE_ZEROES: must not punch a hole */
        void *data;                  /* READ: length bytes to fill; WRITE: the payload. Aligned to 4096 (the backend may use O_DIRECT). */
        void *export_ctx;            /* what lookup() returned for this connection's export */

        /* Private to nbd_server.c from here on. */
        struct nbd_conn *conn;
        struct nbd_io *next;         /* in the connection's reply queue */
        uint64_t cookie;
        uint32_t error;              /* NBD error of the reply */
        size_t buf_size;             /* bytes allocated at data (counted against the limit) */
        uint8_t reply[16];           /* the simple reply header */
        bool submitted;              /* in the backend's hands */
};

struct nbd_backend_ops {
        /* Find an export by name ("" = the default export). Fill *ret_info and
         * *ret_export_ctx and return 0, or return -ENOENT (unknown name) or
         * another negative errno (e.g. -EAGAIN/-ESHUTDOWN: not available now).
         * Called during the handshake for INFO, GO and EXPORT_NAME. */
        int (*lookup)(void *server_ctx, const char *name, struct nbd_export_info *ret_info, void **ret_export_ctx);
        /* NBD_OPT_LIST: call emit() once per export; return 0 or a negative errno. */
        int (*list)(void *server_ctx, void (*emit)(void *emit_ctx, const char *name, const char *description), void *emit_ctx);
        /* A connection entered transmission on this export (GO or EXPORT_NAME
         * accepted) / left it (closed for any reason, after all its in-flight
         * requests completed). open() may refuse with a negative errno, then the
         * client gets an error reply to GO (or the connection is closed for
         * EXPORT_NAME). May be NULL. */
        int (*open)(void *export_ctx);
        void (*close)(void *export_ctx);
        /* Start one request. The backend completes it later, or inline before
         * returning, with nbd_io_complete(). */
        void (*submit)(void *export_ctx, struct nbd_io *io);
};

/* Additional contract details (docs/nbd.md, "Backend interface"):
 * - lookup() takes no reference: a handle from an INFO that is never
 *   opened is simply forgotten. list may be NULL (empty list).
 * - close() is called once per successful open(), from the event loop or
 *   from nbd_server_free(), never from inside nbd_io_complete() while the
 *   loop is dispatching.
 * - Requests reach submit() fully validated (inside the export, within
 *   max_block, aligned to min_block, length > 0 except FLUSH, no write to a
 *   read-only export, no flag that was not advertised).
 * - WRITE, TRIM and WRITE_ZEROES replies are sent only after completion;
 *   FLUSH must cover every write completed before it was submitted. */

struct nbd_server;

/* New server on loop e (a reference is taken); no listener yet. ops must
 * outlive the server; ops->lookup and ops->submit are required. */
int nbd_server_new(sd_event *e, const struct nbd_backend_ops *ops, void *server_ctx, struct nbd_server **ret);

/* Listen on a unix socket path (mode 0600 by default; created with sock_unix_listen from sock.h) / on a TCP address.
 * mode 0 means 0600. A server may have several listeners. TCP port 0
 * picks a free port: see nbd_server_tcp_port(). */
int nbd_server_listen_unix(struct nbd_server *s, const char *path, mode_t mode);
int nbd_server_listen_tcp(struct nbd_server *s, const struct sockaddr *sa, socklen_t len);

/* The port of the most recent TCP listener, or -ENOENT if there is none. */
int nbd_server_tcp_port(const struct nbd_server *s);

/* Serve an already connected socket (tests use socketpair). Takes ownership of fd. */
int nbd_server_add_connection(struct nbd_server *s, int fd);

/* Number of connections in transmission on export_ctx (NULL: all connections).
 * Precisely: connections whose export was opened and not yet closed,
 * including those that are draining or waiting for in-flight requests
 * after the client went away. NULL counts them on every export. */
unsigned nbd_server_clients(const struct nbd_server *s, const void *export_ctx);

/* Stop listening (removes the unix socket file), leave connections as they are. */
void nbd_server_stop_listening(struct nbd_server *s);

/* Close every connection now (in-flight requests: their completions are still
 * awaited internally, the memory stays valid until then), stop listening, free
 * the server once the last in-flight request has completed. NULL allowed.
 * Must not be called from inside one of the server's callbacks. */
void nbd_server_free(struct nbd_server *s);

/* Complete a request: error 0 or a negative errno. */
void nbd_io_complete(struct nbd_io *io, int error);

/* Time limit for the handshake of connections accepted from now on; 0 for
 * none. Default NBD_SERVER_HANDSHAKE_TIMEOUT_USEC. */
void nbd_server_set_handshake_timeout(struct nbd_server *s, uint64_t usec);

/* Optional: where the server reports what it cannot return as an error
 * (connections accepted and closed, protocol violations with their
 * reason). level is a syslog level; message has no trailing newline. */
typedef void (*nbd_server_log_fn)(void *userdata, int level, const char *message);
void nbd_server_set_log(struct nbd_server *s, nbd_server_log_fn fn, void *userdata);
