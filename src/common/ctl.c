/* ctl.c: control socket server and client (protocol in ctl.h and
 * docs/control-protocol.md). The server runs inside a daemon's event loop
 * and never trusts what a client sends: oversized, malformed or non-object
 * requests get an error reply, never a crash. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "sock.h"
#include "util.h"

/* How much a closing connection drains before it is dropped, and how many
 * clients may be connected at once. */
#define CTL_DISCARD_MAX (64u * 1024 * 1024)
#define CTL_MAX_CONNECTIONS 64

struct ctl_conn {
        struct ctl_server *server;
        sd_event_source *source;
        int fd;
        struct buf in;
        struct buf out;
        bool closing;           /* reply queued, then drain input until EOF */
        size_t discarded;       /* bytes dropped while closing */
        struct ctl_deferred *deferred; /* a reply the handler owes */
        bool failed;            /* out of memory inside a handler: drop */
        unsigned deferrals;     /* ctl_server_defer() calls, ever */
        struct ctl_conn *prev, *next;
};

/* Outlives its connection: the handler's side holds it until it replies. */
struct ctl_deferred {
        struct ctl_conn *conn; /* NULL once the client is gone */
};

struct ctl_server {
        sd_event *loop;
        sd_event_source *listen_source;
        int listen_fd;
        char *path;
        ctl_handler_t handler;
        void *userdata;
        struct ctl_conn *conns;
        unsigned n_conns;
        struct ctl_conn *dispatching; /* whose request the handler is serving */
};

static void conn_free(struct ctl_conn *c) {
        if (!c)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                c->server->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->server->n_conns--;
        if (c->deferred)
                c->deferred->conn = NULL;
        sd_event_source_disable_unref(c->source);
        safe_close(c->fd);
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
}

json_t *ctl_reply_ok(const char *output) {
        return json_pack("{s:b,s:s}", "ok", 1, "output", output ? output : "");
}

json_t *ctl_reply_error(int error, const char *fmt, ...) {
        char *msg = NULL;
        va_list ap;
        json_t *j;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return NULL;
        j = json_pack("{s:b,s:s,s:i}", "ok", 0, "error", msg, "errno", error < 0 ? -error : error);
        if (!j) {
                /* The message quoted bytes that are not UTF-8 (a client's
                 * bad input echoed by the JSON parser): keep it ASCII. */
                for (char *c = msg; *c; c++)
                        if ((unsigned char) *c >= 0x80 || (unsigned char) *c < 0x20)
                                *c = '?';
                j = json_pack("{s:b,s:s,s:i}", "ok", 0, "error", msg, "errno", error < 0 ? -error : error);
        }
        free(msg);
        return j;
}

json_t *ctl_request_new(const char *command, int argc, char *const *argv) {
        json_t *args = json_array();
        if (!args)
                return NULL;
        for (int i = 0; i < argc; i++)
                if (json_array_append_new(args, json_string(argv[i])) < 0) {
                        json_decref(args);
                        return NULL;
                }
        return json_pack("{s:s,s:o}", "command", command, "args", args);
}

/* Queue one reply line; takes the reference to `reply`. */
static int conn_queue_reply(struct ctl_conn *c, json_t *reply) {
        char *text;
        int r;

        if (!reply)
                return -ENOMEM;
        text = json_dumps(reply, JSON_COMPACT);
        json_decref(reply);
        if (!text)
                return -ENOMEM;
        r = buf_append_str(&c->out, text);
        free(text);
        if (r >= 0)
                r = buf_putc(&c->out, '\n');
        return r;
}

json_t *ctl_request_parse(const char *line, json_t **ret_error_reply) {
        json_error_t jerr;
        json_t *req, *cmd, *args, *a;
        size_t i;

        *ret_error_reply = NULL;
        req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
        if (!req) {
                *ret_error_reply = ctl_reply_error(EBADMSG, "request is not valid JSON (column %d): %s",
                                                   jerr.column, jerr.text);
                return NULL;
        }
        cmd = json_object_get(req, "command");
        args = json_object_get(req, "args");
        if (!json_is_object(req) || !json_is_string(cmd))
                *ret_error_reply = ctl_reply_error(EBADMSG,
                                                   "request must be an object with a string \"command\"");
        else if (args && !json_is_array(args))
                *ret_error_reply = ctl_reply_error(EBADMSG,
                                                   "request member \"args\" must be an array of strings");
        else
                json_array_foreach(args, i, a)
                        if (!json_is_string(a)) {
                                *ret_error_reply = ctl_reply_error(EBADMSG,
                                                                   "request argument %zu is not a string", i);
                                break;
                        }
        if (*ret_error_reply) {
                json_decref(req);
                return NULL;
        }
        if (!args && json_object_set_new(req, "args", json_array()) < 0) {
                json_decref(req);
                *ret_error_reply = ctl_reply_error(ENOMEM, "out of memory");
                return NULL;
        }
        return req;
}

/* Returns the reply, or NULL when the handler deferred it (or on ENOMEM,
 * which *ret_oom tells apart). */
static json_t *dispatch_line(struct ctl_conn *c, const char *line, bool *ret_oom) {
        struct ctl_server *s = c->server;
        json_t *req, *reply = NULL;
        const char *cmd;
        int r;

        *ret_oom = false;
        req = ctl_request_parse(line, &reply);
        if (!req) {
                *ret_oom = !reply;
                return reply;
        }
        cmd = json_string_value(json_object_get(req, "command"));
        unsigned deferrals = c->deferrals;
        s->dispatching = c;
        r = s->handler(cmd, json_object_get(req, "args"), req, &reply, s->userdata);
        s->dispatching = NULL;
        if (r >= 0 && !reply && c->deferrals == deferrals)
                r = -ENOMEM; /* neither a reply nor a promise of one */
        if (r < 0 && c->deferred) {
                /* The handler failed after deferring: answer now. */
                c->deferred->conn = NULL;
                c->deferred = NULL;
        }
        if (r < 0) {
                json_decref(reply);
                reply = ctl_reply_error(r, "%s failed: %s", cmd, strerror(-r));
        }
        json_decref(req);
        *ret_oom = !reply && c->deferrals == deferrals;
        return reply;
}

static int conn_update_events(struct ctl_conn *c) {
        uint32_t ev = c->out.len > 0 ? EPOLLOUT : EPOLLIN;
        return sd_event_source_set_io_events(c->source, ev);
}

/* After an oversized request the connection only drains: its reply has
 * been sent and the write side shut down, and whatever the client still
 * sends is read and dropped until it closes, so that it sees the reply
 * rather than a reset. */
static int conn_discard_input(struct ctl_conn *c) {
        char scratch[16384];
        ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0)
                return -ECONNRESET;
        c->discarded += (size_t) n;
        return c->discarded > CTL_DISCARD_MAX ? -EMSGSIZE : 0;
}

/* Serve the buffered requests one at a time: the next line waits until
 * the reply to this one has been written (or, when deferred, given), so
 * replies keep request order. Returns a negative errno when the
 * connection must be dropped. */
static int conn_process(struct ctl_conn *c) {
        while (c->out.len == 0 && !c->closing && !c->deferred) {
                char *nl = memchr(c->in.data ? c->in.data : "", '\n', c->in.len);
                size_t line_len = nl ? (size_t) (nl - c->in.data) : c->in.len;
                json_t *reply;
                bool oom;

                /* Checked on the line, not on what one read happened to
                 * bring: a newline just past the limit must not let an
                 * oversized line through. */
                if (line_len > CTL_REQUEST_MAX) {
                        if (conn_queue_reply(c, ctl_reply_error(EMSGSIZE,
                                        "request longer than %d bytes", CTL_REQUEST_MAX)) < 0)
                                return -ENOMEM;
                        c->closing = true;
                        buf_free(&c->in);
                        break;
                }
                if (!nl)
                        break;
                *nl = '\0';
                reply = dispatch_line(c, c->in.data, &oom);
                buf_consume(&c->in, (size_t) (nl - c->in.data) + 1);
                if (oom || c->failed || (reply && conn_queue_reply(c, reply) < 0))
                        return -ENOMEM;
        }
        /* A client that pipelines requests behind a deferred one may not
         * make the daemon buffer without end. */
        if (c->deferred && c->in.len > 2 * CTL_REQUEST_MAX)
                return -EMSGSIZE;
        return conn_update_events(c);
}

static int on_conn_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct ctl_conn *c = userdata;
        ssize_t n;

        if (revents & EPOLLOUT) {
                n = send(fd, c->out.data, c->out.len, MSG_NOSIGNAL);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        goto drop;
                if (n > 0)
                        buf_consume(&c->out, (size_t) n);
                if (c->closing && c->out.len == 0)
                        (void) shutdown(fd, SHUT_WR);
        } else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (c->closing) {
                        if (conn_discard_input(c) < 0)
                                goto drop;
                        return 0;
                }
                if (buf_reserve(&c->in, 4096) < 0)
                        goto drop;
                n = recv(fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, 0);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0)
                        goto drop;
                c->in.len += (size_t) n;
                c->in.data[c->in.len] = '\0';
        }

        if (conn_process(c) < 0)
                conn_free(c);
        return 0;
drop:
        conn_free(c);
        return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct ctl_server *s = userdata;
        struct ctl_conn *c;
        uid_t uid;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0; /* EAGAIN, or the client went away: nothing to do */
        /* The socket is mode 0600 already; the credential check keeps a
         * socket file with wrong permissions from opening the daemon to
         * anyone but root and the daemon's own user; the cap on
         * connections keeps idle clients from exhausting descriptors. */
        if (sock_peer_uid(cfd, &uid) < 0 || (uid != 0 && uid != geteuid()) ||
            s->n_conns >= CTL_MAX_CONNECTIONS) {
                safe_close(cfd);
                return 0;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(cfd);
                return 0;
        }
        c->server = s;
        c->fd = cfd;
        r = sd_event_add_io(s->loop, &c->source, cfd, EPOLLIN, on_conn_io, c);
        if (r < 0) {
                safe_close(cfd);
                free(c);
                return 0;
        }
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
        return 0;
}

int ctl_server_new(sd_event *e, const char *path, ctl_handler_t handler, void *userdata,
                   struct ctl_server **ret) {
        struct ctl_server *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->listen_fd = -1;
        s->loop = sd_event_ref(e);
        s->handler = handler;
        s->userdata = userdata;
        s->path = strdup(path);
        if (!s->path) {
                r = -ENOMEM;
                goto fail;
        }
        r = sock_unix_listen(path, 16, 0600, &s->listen_fd);
        if (r < 0)
                goto fail;
        r = sd_event_add_io(e, &s->listen_source, s->listen_fd, EPOLLIN, on_accept, s);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        if (s->listen_fd >= 0)
                (void) unlink(path);
        ctl_server_free(s);
        return r;
}

void ctl_server_free(struct ctl_server *s) {
        if (!s)
                return;
        while (s->conns)
                conn_free(s->conns);
        sd_event_source_disable_unref(s->listen_source);
        if (s->listen_fd >= 0) {
                safe_close(s->listen_fd);
                (void) unlink(s->path);
        }
        free(s->path);
        sd_event_unref(s->loop);
        free(s);
}

struct ctl_deferred *ctl_server_defer(struct ctl_server *s) {
        struct ctl_conn *c = s->dispatching;
        struct ctl_deferred *d;

        assert(c && !c->deferred);
        d = calloc(1, sizeof(*d));
        if (!d)
                return NULL;
        d->conn = c;
        c->deferred = d;
        c->deferrals++;
        return d;
}

void ctl_deferred_reply(struct ctl_deferred *d, json_t *reply) {
        struct ctl_conn *c;

        if (!d) {
                json_decref(reply);
                return;
        }
        c = d->conn;
        free(d);
        if (!c) {
                json_decref(reply);
                return;
        }
        c->deferred = NULL;
        if (conn_queue_reply(c, reply ? reply : ctl_reply_error(ENOMEM, "out of memory")) < 0)
                c->failed = true;
        /* Answered from inside its own handler: the dispatch loop that
         * called the handler goes on by itself (and drops a failed one). */
        if (c->server->dispatching == c)
                return;
        if (c->failed || conn_process(c) < 0)
                conn_free(c);
}

unsigned ctl_server_connections(const struct ctl_server *s) {
        return s->n_conns;
}

int ctl_call(const char *path, json_t *request, int timeout_ms, json_t **ret_reply) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL, *line = NULL;
        _cleanup_buf_ struct buf in = BUF_INIT;
        json_t *reply;
        int r;

        r = sock_unix_connect_timeout(path, timeout_ms, &fd);
        if (r < 0)
                return r;
        text = json_dumps(request, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        r = sock_write_all(fd, text, strlen(text));
        if (r >= 0)
                r = sock_write_all(fd, "\n", 1);
        if (r < 0)
                return r;
        r = sock_read_line(fd, &in, 64 * 1024 * 1024, timeout_ms, &line);
        if (r < 0)
                return r;
        reply = json_loads(line, 0, NULL);
        if (!json_is_object(reply) || !json_is_boolean(json_object_get(reply, "ok"))) {
                json_decref(reply);
                return -EBADMSG;
        }
        *ret_reply = reply;
        return 0;
}
