/* events.c: `tandem disk events`, in the style of `drbdsetup events2`.
 * The state of every object (resource, connection, device, peer-device)
 * is one line of key:value pairs; a snapshot of all lines is taken on
 * every state change the resources report, and at most every 100 ms while
 * anyone listens; the lines that differ from the previous snapshot go to
 * the subscribers as create/change/destroy events. docs/disk-events.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "control.h"
#include "ctl.h"
#include "events.h"
#include "log.h"
#include "peer.h"
#include "resource.h"
#include "util.h"

#define POLL_USEC (100 * 1000ULL)

struct subscriber {
        struct ctl_stream *stream;
        char *resource;             /* NULL: all */
        struct subscriber *next;
};

/* One object's line: its key (type and identity) and the full text. */
struct item {
        char *key;
        char *text;
};

struct disk_events {
        struct diskd *d;
        struct subscriber *subs;
        struct item *items;
        size_t n_items;
        sd_event_source *timer;
        sd_event_source *soon;      /* a poke waiting for the loop */
};

static void items_free(struct item *items, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(items[i].key);
                free(items[i].text);
        }
        free(items);
}

static int add_item(struct item **items, size_t *n, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int add_item(struct item **items, size_t *n, const char *key, const char *fmt, ...) {
        struct item *grown = realloc(*items, (*n + 1) * sizeof(**items));
        va_list ap;
        char *text;
        int k;

        if (!grown)
                return -ENOMEM;
        *items = grown;
        va_start(ap, fmt);
        k = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        grown[*n].key = strdup(key);
        grown[*n].text = text;
        if (!grown[*n].key) {
                free(text);
                return -ENOMEM;
        }
        (*n)++;
        return 0;
}

/* The lines of one resource, in events2's order. */
static int resource_items(struct resource *r, struct item **items, size_t *n) {
        char key[512];
        int k;

        snprintf(key, sizeof(key), "resource name:%s", r->name);
        k = add_item(items, n, key, "%s role:%s", key, res_role_name(r->role));
        for (size_t i = 0; k >= 0 && i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                const struct disk_volume *dv = &r->me->volumes[i];
                snprintf(key, sizeof(key), "device name:%s volume:%u", r->name, dv->number);
                if (dv->minor_set)
                        k = add_item(items, n, key, "%s minor:%u disk:%s open:%s", key, dv->minor,
                                     v ? vol_disk_state_name(v->disk) : "Diskless",
                                     r->nbd_clients > 0 ? "yes" : "no");
                else
                        k = add_item(items, n, key, "%s disk:%s open:%s", key,
                                     v ? vol_disk_state_name(v->disk) : "Diskless", r->nbd_clients > 0 ? "yes" : "no");
        }
        if (k < 0 || !r->peer_host)
                return k;
        enum res_conn c = r->peer ? peer_conn_state(r->peer) : CONN_STANDALONE;
        snprintf(key, sizeof(key), "connection name:%s peer-node-id:%u conn-name:%s", r->name, r->peer_host->node_id,
                 r->peer_host->name);
        k = add_item(items, n, key, "%s connection:%s role:%s%s", key, res_conn_name(c),
                     r->peer ? peer_role_text(r->peer) : "Unknown",
                     c == CONN_STANDALONE && r->split_brain_unresolved ? " split-brain:yes" : "");
        for (size_t i = 0; k >= 0 && i < r->n_volumes; i++) {
                enum res_repl rs = r->peer ? peer_repl_state(r->peer) : REPL_OFF;
                char extra[64] = "";
                if (rs == REPL_SYNC_SOURCE || rs == REPL_SYNC_TARGET || rs == REPL_PAUSED_SYNC_S ||
                    rs == REPL_PAUSED_SYNC_T) {
                        uint64_t left, total;
                        peer_sync_progress(r->peer, (uint32_t) i, &left, &total);
                        snprintf(extra, sizeof(extra), " done:%u",
                                 total ? (unsigned) (100 * (total - left) / total) : 100u);
                }
                snprintf(key, sizeof(key), "peer-device name:%s peer-node-id:%u conn-name:%s volume:%u", r->name,
                         r->peer_host->node_id, r->peer_host->name, r->me->volumes[i].number);
                k = add_item(items, n, key, "%s replication:%s peer-disk:%s resync-suspended:%s%s", key,
                             res_repl_name(rs), r->peer ? peer_disk_text(r->peer, (uint32_t) i) : "DUnknown",
                             rs == REPL_PAUSED_SYNC_S || rs == REPL_PAUSED_SYNC_T ? "user" : "no", extra);
        }
        return k;
}

static int snapshot(struct diskd *d, struct item **ret, size_t *ret_n) {
        struct item *items = NULL;
        size_t n = 0;
        const char *name;
        struct resource *r;
        int k = 0;

        HASHMAP_FOREACH(name, r, d->resources, it)
                if ((k = resource_items(r, &items, &n)) < 0)
                        break;
        if (k < 0) {
                items_free(items, n);
                return k;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

static const struct item *find(const struct item *items, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (streq(items[i].key, key))
                        return &items[i];
        return NULL;
}

/* "resource name:r0 ..." belongs to resource r0. */
static bool about(const char *line, const char *resource) {
        const char *p = strstr(line, " name:");
        size_t len;

        if (!resource)
                return true;
        len = strlen(resource);
        return p && strncmp(p + 6, resource, len) == 0 && (p[6 + len] == ' ' || p[6 + len] == '\0');
}

static void broadcast(struct disk_events *ev, const char *verb, const char *text) {
        for (struct subscriber *s = ev->subs; s; s = s->next) {
                if (!about(text, s->resource) || !ctl_stream_alive(s->stream))
                        continue;
                char *line;
                if (asprintf(&line, "%s %s", verb, text) < 0)
                        continue;
                (void) ctl_stream_push(s->stream, json_pack("{s:s}", "event", line));
                free(line);
        }
}

static void drop_gone(struct disk_events *ev) {
        for (struct subscriber **pp = &ev->subs; *pp;) {
                struct subscriber *s = *pp;
                if (ctl_stream_alive(s->stream)) {
                        pp = &s->next;
                        continue;
                }
                *pp = s->next;
                ctl_stream_free(s->stream);
                free(s->resource);
                free(s);
        }
        if (!ev->subs)
                ev->timer = sd_event_source_disable_unref(ev->timer);
}

void disk_events_check(struct disk_events *ev) {
        struct item *now;
        size_t n;

        if (!ev || snapshot(ev->d, &now, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                const struct item *old = find(ev->items, ev->n_items, now[i].key);
                if (!old)
                        broadcast(ev, "create", now[i].text);
                else if (!streq(old->text, now[i].text))
                        broadcast(ev, "change", now[i].text);
        }
        for (size_t i = ev->n_items; i-- > 0;)
                if (!find(now, n, ev->items[i].key))
                        broadcast(ev, "destroy", ev->items[i].key);
        items_free(ev->items, ev->n_items);
        ev->items = now;
        ev->n_items = n;
        drop_gone(ev);
}

static int on_soon(sd_event_source *s, void *userdata) {
        struct disk_events *ev = userdata;

        ev->soon = sd_event_source_disable_unref(ev->soon);
        disk_events_check(ev);
        return 0;
}

void disk_events_poke(struct disk_events *ev) {
        if (!ev || !ev->subs || ev->soon)
                return;
        (void) sd_event_add_defer(ev->d->env.loop, &ev->soon, on_soon, ev);
}

void disk_events_emit_verb(struct disk_events *ev, const char *verb, const char *text) {
        if (ev)
                broadcast(ev, verb, text);
}

void disk_events_emit(struct disk_events *ev, const char *text) {
        disk_events_emit_verb(ev, "call", text);
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        struct disk_events *ev = userdata;

        disk_events_check(ev);
        if (ev->timer)
                (void) sd_event_source_set_time_relative(ev->timer, POLL_USEC);
        return 0;
}

int disk_events_new(struct diskd *d, struct disk_events **ret) {
        struct disk_events *ev = calloc(1, sizeof(*ev));

        if (!ev)
                return -ENOMEM;
        ev->d = d;
        *ret = ev;
        return 0;
}

void disk_events_free(struct disk_events *ev) {
        if (!ev)
                return;
        while (ev->subs) {
                struct subscriber *s = ev->subs;
                ev->subs = s->next;
                ctl_stream_free(s->stream);
                free(s->resource);
                free(s);
        }
        sd_event_source_disable_unref(ev->timer);
        sd_event_source_disable_unref(ev->soon);
        items_free(ev->items, ev->n_items);
        free(ev);
}

json_t *disk_events_subscribe(struct disk_events *ev, struct ctl_server *ctl, const char *resource, bool now) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        struct item *items;
        size_t n;
        int k;

        /* Bring the others up to date first: the new one starts from the
         * state its reply shows. */
        disk_events_check(ev);
        k = snapshot(ev->d, &items, &n);
        if (k < 0)
                return ctl_reply_error(-k, "events: %s", strerror(-k));
        for (size_t i = 0; i < n; i++)
                if (about(items[i].text, resource))
                        (void) buf_printf(&out, "exists %s\n", items[i].text);
        (void) buf_append_str(&out, "exists -\n");
        if (!now) {
                struct subscriber *s = calloc(1, sizeof(*s));
                if (!s || (resource && !(s->resource = strdup(resource)))) {
                        free(s);
                        return ctl_reply_error(ENOMEM, "events: out of memory");
                }
                s->stream = ctl_server_stream(ctl);
                if (!s->stream) {
                        free(s->resource);
                        free(s);
                        return ctl_reply_error(ENOMEM, "events: out of memory");
                }
                s->next = ev->subs;
                ev->subs = s;
                /* The baseline for the events to come is the state just
                 * shown (with nobody listening, none was kept). */
                items_free(ev->items, ev->n_items);
                ev->items = items;
                ev->n_items = n;
                items = NULL;
                n = 0;
                if (!ev->timer && sd_event_add_time_relative(ev->d->env.loop, &ev->timer, CLOCK_MONOTONIC, POLL_USEC,
                                                             10 * 1000, on_poll, ev) >= 0)
                        (void) sd_event_source_set_enabled(ev->timer, SD_EVENT_ON);
        }
        items_free(items, n);
        return ctl_reply_ok(out.data ? out.data : "");
}
