/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qmp.c: the QMP client of qmp.h. One JSON object per line each way;
 * replies are matched to commands by an "id" counter, and events read
 * while waiting for a reply are queued for qmp_next_event(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "qmp.h"
#include "sock.h"

struct qmp {
        int fd;
        bool broken;            /* a read or write failed: stream out of sync */
        struct buf in;          /* bytes read past the last line */
        json_t *events;         /* array of queued event objects */
        json_int_t next_id;
};

void qmp_message_clear(struct qmp_message *m) {
        if (!m)
                return;
        json_decref(m->json);
        *m = (struct qmp_message) {0};
}

/* Copies the start of s for an error message, so that a huge or binary
 * line does not flood the log. */
static const char *excerpt(const char *s, size_t len, char *buf, size_t size) {
        size_t n = 0;

        for (size_t i = 0; i < len && n + 4 < size; i++)
                buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        if (n < len && n + 4 <= size) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n] = '\0';
        return buf;
}

int qmp_message_parse(const char *line, size_t len, struct qmp_message *ret, char *why, size_t why_size) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        struct qmp_message m = {0};
        json_error_t jerr;
        char ex[64];
        json_t *v;

        if (len > 0 && line[len - 1] == '\r')
                len--;
        j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                return format_error(why, why_size, -EBADMSG, "QMP sent invalid JSON at column %d (%s): %s",
                                    jerr.column, jerr.text, excerpt(line, len, ex, sizeof(ex)));
        if (!json_is_object(j))
                return format_error(why, why_size, -EBADMSG, "QMP sent a JSON %s, not an object: %s",
                                    json_is_array(j) ? "array" : "scalar", excerpt(line, len, ex, sizeof(ex)));

        m.id = json_object_get(j, "id");
        if ((v = json_object_get(j, "QMP"))) {
                if (!json_is_object(v))
                        return format_error(why, why_size, -EBADMSG, "QMP greeting: \"QMP\" is not an object");
                m.type = QMP_GREETING;
                m.value = v;
        } else if ((v = json_object_get(j, "return"))) {
                m.type = QMP_RETURN;
                m.value = v;
        } else if ((v = json_object_get(j, "error"))) {
                json_t *cls = json_object_get(v, "class"), *desc = json_object_get(v, "desc");
                if (!json_is_object(v) || !json_is_string(cls) || !json_is_string(desc))
                        return format_error(why, why_size, -EBADMSG,
                                            "QMP error reply without string \"class\" and \"desc\": %s",
                                            excerpt(line, len, ex, sizeof(ex)));
                m.type = QMP_ERROR;
                m.value = v;
                m.error_class = json_string_value(cls);
                m.error_desc = json_string_value(desc);
        } else if ((v = json_object_get(j, "event"))) {
                json_t *data = json_object_get(j, "data");
                if (!json_is_string(v))
                        return format_error(why, why_size, -EBADMSG, "QMP event name is not a string: %s",
                                            excerpt(line, len, ex, sizeof(ex)));
                if (data && !json_is_object(data))
                        return format_error(why, why_size, -EBADMSG, "QMP event %s: \"data\" is not an object",
                                            json_string_value(v));
                m.type = QMP_EVENT;
                m.event = json_string_value(v);
                m.value = data;
        } else
                return format_error(why, why_size, -EBADMSG,
                                    "QMP message is neither greeting, return, error nor event: %s",
                                    excerpt(line, len, ex, sizeof(ex)));
        m.json = TAKE_PTR(j);
        *ret = m;
        return 0;
}

void qmp_close(struct qmp *q) {
        if (!q)
                return;
        safe_close(q->fd);
        buf_free(&q->in);
        json_decref(q->events);
        free(q);
}

static int64_t deadline_of(int timeout_ms) {
        return timeout_ms < 0 ? -1 : now_usec(CLOCK_MONOTONIC) + (int64_t) timeout_ms * 1000;
}

static int remaining(int64_t deadline) {
        int64_t left;

        if (deadline < 0)
                return -1;
        left = (deadline - now_usec(CLOCK_MONOTONIC) + 999) / 1000;
        return left > 0 ? (int) left : 0;
}

/* Reads and parses the next message; marks the connection broken on any
 * error, since the stream position is then unknown. */
static int read_message(struct qmp *q, int64_t deadline, struct qmp_message *ret, char *why, size_t why_size) {
        _cleanup_free_ char *line = NULL;
        int r;

        if (q->broken)
                return format_error(why, why_size, -ENOTCONN, "QMP connection already failed");
        r = sock_read_line(q->fd, &q->in, QMP_LINE_MAX, remaining(deadline), &line);
        if (r == -ETIMEDOUT)
                return format_error(why, why_size, r, "QEMU did not answer in time");
        if (r < 0) {
                q->broken = true;
                if (r == -EMSGSIZE)
                        return format_error(why, why_size, r, "QMP sent a line longer than %d bytes", QMP_LINE_MAX);
                if (r == -ECONNRESET)
                        return format_error(why, why_size, r, "QEMU closed the QMP socket");
                return format_error(why, why_size, r, "reading from QMP: %s", strerror(-r));
        }
        r = qmp_message_parse(line, strlen(line), ret, why, why_size);
        if (r < 0)
                q->broken = true;
        return r;
}

static int send_json(struct qmp *q, json_t *msg, char *why, size_t why_size) {
        _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
        _cleanup_buf_ struct buf line = BUF_INIT;
        int r;

        if (q->broken)
                return format_error(why, why_size, -ENOTCONN, "QMP connection already failed");
        if (!text || buf_printf(&line, "%s\n", text) < 0)
                return format_error(why, why_size, -ENOMEM, "out of memory");
        r = sock_write_all(q->fd, line.data, line.len);
        if (r < 0) {
                q->broken = true;
                return format_error(why, why_size, r, "writing to QMP: %s", strerror(-r));
        }
        return 0;
}

int qmp_execute(struct qmp *q, const char *command, json_t *args, int timeout_ms,
                json_t **ret_return, char *why, size_t why_size) {
        _cleanup_(json_decrefp) json_t *msg = NULL;
        int64_t deadline = deadline_of(timeout_ms);
        json_int_t id = q->next_id++;
        int r;

        msg = json_pack("{s:s, s:I}", "execute", command, "id", id);
        if (!msg || (args && json_object_set(msg, "arguments", args) < 0))
                return format_error(why, why_size, -ENOMEM, "out of memory");
        r = send_json(q, msg, why, why_size);
        if (r < 0)
                return r;

        for (;;) {
                _cleanup_(qmp_message_clear) struct qmp_message m = {0};

                r = read_message(q, deadline, &m, why, why_size);
                if (r == -ETIMEDOUT) {
                        /* A late reply would be taken for the next command's. */
                        q->broken = true;
                        return format_error(why, why_size, r, "QEMU did not answer %s in time", command);
                }
                if (r < 0)
                        return r;
                if (m.type == QMP_EVENT) {
                        if (json_array_append(q->events, m.json) < 0)
                                return format_error(why, why_size, -ENOMEM, "out of memory");
                        continue;
                }
                if (m.type == QMP_GREETING || !json_is_integer(m.id) || json_integer_value(m.id) != id) {
                        q->broken = true;
                        return format_error(why, why_size, -EBADMSG, "QMP sent a reply that belongs to no command");
                }
                if (m.type == QMP_ERROR)
                        return format_error(why, why_size, -EREMOTEIO, "QEMU refused %s: %s (%s)",
                                            command, m.error_desc, m.error_class);
                if (ret_return)
                        *ret_return = json_incref(m.value);
                return 0;
        }
}

int qmp_next_event(struct qmp *q, int timeout_ms, json_t **ret_event, char *why, size_t why_size) {
        int64_t deadline = deadline_of(timeout_ms);
        int r;

        if (json_array_size(q->events) > 0) {
                *ret_event = json_incref(json_array_get(q->events, 0));
                json_array_remove(q->events, 0);
                return 0;
        }
        for (;;) {
                _cleanup_(qmp_message_clear) struct qmp_message m = {0};

                r = read_message(q, deadline, &m, why, why_size);
                if (r < 0)
                        return r;
                if (m.type != QMP_EVENT) {
                        q->broken = true;
                        return format_error(why, why_size, -EBADMSG, "QMP sent a reply when no command was pending");
                }
                *ret_event = TAKE_PTR(m.json);
                return 0;
        }
}

int qmp_connect_fd(int fd, int timeout_ms, struct qmp **ret, char *why, size_t why_size) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        _cleanup_(qmp_message_clear) struct qmp_message greeting = {0};
        int64_t deadline = deadline_of(timeout_ms);
        int r;

        q = calloc(1, sizeof(*q));
        if (!q) {
                safe_close(fd);
                return format_error(why, why_size, -ENOMEM, "out of memory");
        }
        q->fd = fd;
        q->events = json_array();
        if (!q->events)
                return format_error(why, why_size, -ENOMEM, "out of memory");

        r = read_message(q, deadline, &greeting, why, why_size);
        if (r < 0)
                return r;
        if (greeting.type != QMP_GREETING)
                return format_error(why, why_size, -EBADMSG, "the peer does not greet like QMP");
        r = qmp_execute(q, "qmp_capabilities", NULL, remaining(deadline), NULL, why, why_size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(q);
        return 0;
}

int qmp_connect(const char *path, int timeout_ms, struct qmp **ret, char *why, size_t why_size) {
        int64_t deadline = deadline_of(timeout_ms);
        int fd, r;

        r = sock_unix_connect_timeout(path, timeout_ms, &fd);
        if (r < 0)
                return format_error(why, why_size, r, "connecting to %s: %s", path, strerror(-r));
        r = qmp_connect_fd(fd, remaining(deadline), ret, why, why_size);
        if (r < 0 && why && why_size > 0) {
                char inner[256];
                snprintf(inner, sizeof(inner), "%s", why);
                snprintf(why, why_size, "%s: %s", path, inner);
        }
        return r;
}
