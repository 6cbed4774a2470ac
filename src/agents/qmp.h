/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qmp.h: a small blocking client of the QEMU Machine Protocol: connect to
 * a monitor's unix socket, negotiate capabilities, run commands with a
 * deadline and collect the events that arrive meanwhile. Whatever the
 * peer sends, errors come back as a negative errno and a reason text. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "util.h"

/* Longest line accepted from QEMU. A query-migrate or query-status reply
 * is well under 4 KiB; 1 MiB leaves room for query-qmp-schema. */
#define QMP_LINE_MAX (1024 * 1024)

enum qmp_message_type {
        QMP_GREETING,   /* {"QMP": {...}} */
        QMP_RETURN,     /* {"return": ..., "id": ...} */
        QMP_ERROR,      /* {"error": {"class": ..., "desc": ...}, "id": ...} */
        QMP_EVENT,      /* {"event": "NAME", "data": {...}, "timestamp": {...}} */
};

/* One parsed message. json owns everything the other fields point to. */
struct qmp_message {
        enum qmp_message_type type;
        json_t *json;           /* the whole object (one reference) */
        json_t *id;             /* the "id" member or NULL (return, error) */
        json_t *value;          /* return value, error object, event data or NULL */
        const char *event;      /* event name (QMP_EVENT) */
        const char *error_class; /* error class (QMP_ERROR) */
        const char *error_desc; /* error description (QMP_ERROR) */
};

/* Parses one line of QMP (without the newline; a trailing "\r" is
 * allowed). Fills ret on success; -EBADMSG with a reason in why for
 * anything that is not a well-formed QMP message (bad JSON, not an object,
 * none of the four shapes, members of the wrong type). */
int qmp_message_parse(const char *line, size_t len, struct qmp_message *ret, char *why, size_t why_size);

/* Drops the reference ret->json holds and clears m. NULL-safe. */
void qmp_message_clear(struct qmp_message *m);

struct qmp;

/* Connects to the monitor socket at path, reads the greeting and sends
 * qmp_capabilities, all within timeout_ms. Errors: the connect error
 * (-ENOENT, -ECONNREFUSED, ...), -ETIMEDOUT, -ECONNRESET when QEMU closed
 * the socket, -EBADMSG for a malformed greeting, -EREMOTEIO if QEMU
 * refused the capabilities. */
int qmp_connect(const char *path, int timeout_ms, struct qmp **ret, char *why, size_t why_size);

/* The same on a connected stream socket fd, which the connection owns
 * from then on (closed also on failure). */
int qmp_connect_fd(int fd, int timeout_ms, struct qmp **ret, char *why, size_t why_size);

/* Closes the connection and frees the queued events. NULL-safe. */
void qmp_close(struct qmp *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct qmp *, qmp_close);

/* Runs command with args (borrowed; NULL for none) and waits at most
 * timeout_ms for its reply; events that arrive meanwhile are queued.
 * On success *ret_return (if not NULL) receives a new reference to the
 * "return" value. -EREMOTEIO when QEMU answered with an error (its class
 * and text in why), -ETIMEDOUT, -ECONNRESET, -EBADMSG, -EMSGSIZE for a
 * line over QMP_LINE_MAX; after any error but -EREMOTEIO the connection
 * is unusable and later calls return -ENOTCONN. */
int qmp_execute(struct qmp *q, const char *command, json_t *args, int timeout_ms,
                json_t **ret_return, char *why, size_t why_size);

/* Returns the next event (queued, or read within timeout_ms) as a new
 * reference to the whole event object. -ETIMEDOUT if none came; the other
 * errors as for qmp_execute. */
int qmp_next_event(struct qmp *q, int timeout_ms, json_t **ret_event, char *why, size_t why_size);
