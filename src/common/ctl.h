/* ctl.h: the control protocol between the `tandem` command and the daemons.
 *
 * A daemon listens on a unix socket under /run/tandem (mode 0600; only
 * peers with uid 0 or the daemon's own uid are served). The wire format is documented in
 * docs/control-protocol.md: each request is one line of JSON, an object
 * with a string member "command" and an optional array of strings "args";
 * each reply is one line of JSON, {"ok":true,"output":TEXT,...} or
 * {"ok":false,"error":TEXT,"errno":N}. A connection may carry several
 * request/reply pairs, strictly one after the other. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

/* Longest request line a server accepts; longer ones get an error reply
 * and the connection is closed. */
#define CTL_REQUEST_MAX (1024 * 1024)

/* A request handler: fills *ret_reply with a new reply object (built with
 * ctl_reply_ok()/ctl_reply_error() or by hand) and returns 0, or returns a
 * negative errno, which the server turns into an error reply. A handler
 * that cannot answer yet calls ctl_server_defer() and returns 0 with
 * *ret_reply NULL. `command` and `args` point into `request` and live as
 * long as it. */
typedef int (*ctl_handler_t)(const char *command, json_t *args, json_t *request,
                             json_t **ret_reply, void *userdata);

struct ctl_server;

/* Listen on `path` and serve requests on loop `e`, calling `handler` for
 * each. Returns 0 and the server in *ret, or a negative errno
 * (-EADDRINUSE when another daemon answers on that path). */
int ctl_server_new(sd_event *e, const char *path, ctl_handler_t handler, void *userdata,
                   struct ctl_server **ret);

/* Close the listener and every connection and remove the socket file.
 * NULL allowed. */
void ctl_server_free(struct ctl_server *s);

/* A reply given later, when the handler has to wait for something (a
 * peer's answer, say). The connection reads no further request until it
 * is given. */
struct ctl_deferred;

/* Inside a handler only: take over the reply to the request being
 * handled. Returns NULL on ENOMEM (the handler then replies at once). The
 * caller must end it with ctl_deferred_reply() exactly once. */
struct ctl_deferred *ctl_server_defer(struct ctl_server *s);

/* Send `reply` (stolen; NULL means out of memory, sent as an error) as
 * the answer to the deferred request and free d. When the client has gone
 * away meanwhile, the reply is dropped. */
void ctl_deferred_reply(struct ctl_deferred *d, json_t *reply);

/* Number of open client connections (for tests and status). */
unsigned ctl_server_connections(const struct ctl_server *s);

/* Reply builders; both return a new reference or NULL on ENOMEM. */
json_t *ctl_reply_ok(const char *output);
json_t *ctl_reply_error(int error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Build a request object {"command":command,"args":[argv...]}.
 * argc may be 0. Returns a new reference or NULL on ENOMEM. */
json_t *ctl_request_new(const char *command, int argc, char *const *argv);

/* Parse and check one request line. Returns the request object (a new
 * reference; "args" is always present, as an array of strings), or NULL
 * with *ret_error_reply set to the error reply that names what is wrong.
 * Never trusts `line`: this is the server's whole input validation. */
json_t *ctl_request_parse(const char *line, json_t **ret_error_reply);

/* Send `request` to the daemon at `path` and wait up to timeout_ms for its
 * reply. Returns 0 and the reply in *ret_reply; -ENOENT/-ECONNREFUSED when
 * no daemon listens there, -ETIMEDOUT, -EBADMSG for a reply that is not a
 * JSON object with a boolean "ok". */
int ctl_call(const char *path, json_t *request, int timeout_ms, json_t **ret_reply);
