/* membership.c: quorum and member names from corosync (see membership.h). */
#include <corosync/cmap.h>
#include <corosync/corotypes.h>
#include <corosync/quorum.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "membership.h"
#include "util.h"

#define RETRY_USEC (2 * 1000 * 1000ULL)
#define MAX_MEMBERS 256

struct membership {
        sd_event *loop;
        quorum_handle_t quorum;
        bool connected;
        bool quorate;
        uint64_t ring_seq;
        uint32_t members[MAX_MEMBERS];
        size_t n_members;
        sd_event_source *io;
        sd_event_source *retry;
};

static int connect_corosync(struct membership *m);

static void on_quorum_notify(quorum_handle_t handle, uint32_t quorate, uint64_t ring_seq,
                             uint32_t n, uint32_t *view) {
        struct membership *m = NULL;

        if (quorum_context_get(handle, (const void **) &m) != CS_OK || !m)
                return;
        if (n > MAX_MEMBERS)
                n = MAX_MEMBERS;
        if (m->quorate != !!quorate)
                log_notice("cluster is %s", quorate ? "quorate" : "no longer quorate");
        m->quorate = quorate;
        m->ring_seq = ring_seq;
        m->n_members = n;
        memcpy(m->members, view, n * sizeof(uint32_t));
        log_info("membership changed: %u member(s), ring %llu", n, (unsigned long long) ring_seq);
}

static void disconnect(struct membership *m) {
        m->io = sd_event_source_disable_unref(m->io);
        if (m->connected)
                quorum_finalize(m->quorum);
        m->connected = false;
        m->quorate = false;
        m->n_members = 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        struct membership *m = userdata;
        m->retry = sd_event_source_disable_unref(m->retry);
        (void) connect_corosync(m);
        return 0;
}

static int schedule_retry(struct membership *m) {
        if (m->retry)
                return 0;
        return sd_event_add_time_relative(m->loop, &m->retry, CLOCK_MONOTONIC, RETRY_USEC, 0,
                                          on_retry, m);
}

static int on_quorum_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct membership *m = userdata;

        if (quorum_dispatch(m->quorum, CS_DISPATCH_ALL) != CS_OK) {
                log_warning("lost the connection to corosync; retrying");
                disconnect(m);
                (void) schedule_retry(m);
        }
        return 0;
}

static int connect_corosync(struct membership *m) {
        quorum_callbacks_t cb = { .quorum_notify_fn = on_quorum_notify };
        uint32_t type;
        int fd, r;

        if (quorum_initialize(&m->quorum, &cb, &type) != CS_OK) {
                log_debug("corosync not reachable yet");
                return schedule_retry(m);
        }
        m->connected = true;
        if (quorum_context_set(m->quorum, m) != CS_OK ||
            quorum_fd_get(m->quorum, &fd) != CS_OK ||
            quorum_trackstart(m->quorum, CS_TRACK_CURRENT | CS_TRACK_CHANGES) != CS_OK) {
                disconnect(m);
                return schedule_retry(m);
        }
        r = sd_event_add_io(m->loop, &m->io, fd, EPOLLIN, on_quorum_io, m);
        if (r < 0) {
                disconnect(m);
                return r;
        }
        log_info("connected to corosync");
        return 0;
}

int membership_new(sd_event *e, struct membership **ret) {
        struct membership *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->loop = sd_event_ref(e);
        r = connect_corosync(m);
        if (r < 0) {
                membership_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

void membership_free(struct membership *m) {
        if (!m)
                return;
        disconnect(m);
        sd_event_source_disable_unref(m->retry);
        sd_event_unref(m->loop);
        free(m);
}

bool membership_connected(const struct membership *m) { return m->connected; }
bool membership_quorate(const struct membership *m) { return m->quorate; }
size_t membership_count(const struct membership *m) { return m->n_members; }

/* Name of node `nodeid` from corosync's nodelist, or NULL. */
static char *node_name(cmap_handle_t cmap, uint32_t nodeid) {
        char key[CMAP_KEYNAME_MAXLEN + 1];
        for (unsigned i = 0; i < MAX_MEMBERS; i++) {
                uint32_t id;
                char *name = NULL;
                snprintf(key, sizeof(key), "nodelist.node.%u.nodeid", i);
                if (cmap_get_uint32(cmap, key, &id) != CS_OK)
                        return NULL;
                if (id != nodeid)
                        continue;
                snprintf(key, sizeof(key), "nodelist.node.%u.name", i);
                if (cmap_get_string(cmap, key, &name) == CS_OK)
                        return name;
                return NULL;
        }
        return NULL;
}

int membership_describe(const struct membership *m, struct buf *out) {
        cmap_handle_t cmap;
        bool have_cmap;
        int r;

        if (!m->connected)
                return buf_append_str(out, "Stack: corosync (not reachable)\n");
        r = buf_printf(out, "Stack: corosync, partition %s quorum\nMembers:",
                       m->quorate ? "with" : "WITHOUT");
        if (r < 0)
                return r;
        have_cmap = cmap_initialize(&cmap) == CS_OK;
        for (size_t i = 0; i < m->n_members; i++) {
                _cleanup_free_ char *name = have_cmap ? node_name(cmap, m->members[i]) : NULL;
                r = name ? buf_printf(out, " %s", name) : buf_printf(out, " node%u", m->members[i]);
                if (r < 0)
                        break;
        }
        if (have_cmap)
                cmap_finalize(cmap);
        return r < 0 ? r : buf_putc(out, '\n');
}
