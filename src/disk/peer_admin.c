/* peer_admin.c: the administrator's resync commands on a connection, as
 * drbdadm has them: invalidate (this side becomes SyncTarget of a full
 * sync), invalidate-remote (the peer does), new-current-uuid
 * --clear-bitmap on a fresh pair (both UpToDate without an initial sync),
 * pause-sync and resume-sync. */
#include <errno.h>
#include <stdio.h>

#include "log.h"
#include "peer_internal.h"

static struct conn *live(struct peer *p) {
        return p->c && p->c->phase == PHASE_ESTABLISHED ? p->c : NULL;
}

static int check_established(struct peer *p, const char *what, char *err, size_t err_size) {
        if (!live(p))
                return 0;
        for (uint32_t i = 0; i < p->n_volumes; i++)
                if (p->vol[i].repl != REPL_ESTABLISHED) {
                        snprintf(err, err_size, "%s: cannot %s during %s", p->r->name, what,
                                 res_repl_name(p->vol[i].repl));
                        return -EBUSY;
                }
        return 1;
}

int peer_invalidate(struct peer *p, bool remote, char *err, size_t err_size) {
        int k = check_established(p, remote ? "invalidate-remote" : "invalidate", err, err_size);

        if (k < 0)
                return k;
        if (k == 0) {
                if (remote) {
                        snprintf(err, err_size, "%s: invalidate-remote needs a connection to %s", p->r->name,
                                 p->r->peer_host->name);
                        return -ENOTCONN;
                }
                return 0; /* the caller invalidates locally; the resync comes at connect */
        }
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct peer_volume *pv = &p->vol[i];
                struct volume *v = p->r->volumes[i];
                if (!v)
                        continue;
                if (remote ? v->disk != VOL_UPTODATE : pv->state.disk != WIRE_DISK_UP_TO_DATE) {
                        snprintf(err, err_size, "%s: refusing: %s is not UpToDate", v->name,
                                 remote ? p->r->me->name : p->r->peer_host->name);
                        return -EROFS;
                }
                if (remote && pv->state.role == WIRE_ROLE_PRIMARY) {
                        snprintf(err, err_size, "%s: refusing: %s is Primary, its data is in use", v->name,
                                 p->r->peer_host->name);
                        return -EBUSY;
                }
        }
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct volume *v = p->r->volumes[i];
                if (!v)
                        continue;
                log_notice("%s: %s: full resync %s %s", v->name, remote ? "invalidate-remote" : "invalidate",
                           remote ? "to" : "from", p->r->peer_host->name);
                peer_sync_start(p, i, remote ? UUID_SOURCE_FULL : UUID_TARGET_FULL);
                if (!live(p))
                        return -ECONNRESET;
        }
        return 1;
}

/* ---- new-current-uuid --clear-bitmap ---- */

int peer_skip_initial_sync(struct peer *p, uint32_t volume, char *err, size_t err_size) {
        struct volume *v = p->r->volumes[volume];
        struct peer_volume *pv = &p->vol[volume];
        struct conn *c = live(p);
        struct wire_uuids u = { .flags = WIRE_UUID_SKIP_INITIAL_SYNC | WIRE_UUID_CONSISTENT };
        size_t before;

        if (!c)
                return 0;
        if (pv->state.disk != WIRE_DISK_INCONSISTENT || pv->uuids.current != UUID_JUST_CREATED) {
                snprintf(err, err_size, "%s: --clear-bitmap on a connected resource needs a freshly created "
                         "peer (its disk is %s)", v->name, wire_disk_state_name(pv->state.disk));
                return -EBUSY;
        }
        u.current = v->sb.current_uuid;
        before = c->out.len;
        if (wire_uuids_encode(&c->out, (uint16_t) volume, &u) >= 0)
                peer_conn_queued(c, before);
        peer_conn_queue(c);
        return 1;
}

void peer_admin_skip_initial_sync(struct peer *p, uint32_t volume, const struct wire_uuids *wu) {
        struct volume *v = volume < p->r->n_volumes ? p->r->volumes[volume] : NULL;
        struct disk_uuids u;

        if (!v || v->sb.current_uuid != UUID_JUST_CREATED || v->disk != VOL_INCONSISTENT) {
                log_warning("%s: the peer asks to skip the initial sync, but this side is not freshly created",
                            v ? v->name : p->r->name);
                return;
        }
        volume_get_uuids(v, &u);
        u.current = wu->current;
        u.bitmap = 0;
        volume_set_uuids(v, &u);
        bitmap_clear_range(v->oos, 0, bitmap_size(v->oos));
        (void) meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos);
        log_notice("%s: accepted the peer's new current generation %016llX, skipping the initial sync", v->name,
                   (unsigned long long) wu->current);
        p->vol[volume].state.disk = WIRE_DISK_UP_TO_DATE;
        resource_set_disk_state(p->r, v, VOL_UPTODATE);
        resource_peer_state_changed(p->r);
}

/* ---- pause-sync, resume-sync ---- */

bool peer_sync_paused(const struct peer *p) {
        return p->user_paused || p->peer_paused;
}

static void send_pause(struct peer *p, bool pause) {
        struct conn *c = live(p);
        struct wire_sync_pause sp = { .reason = WIRE_PAUSE_USER };

        if (!c)
                return;
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                size_t before = c->out.len;
                if (wire_sync_pause_encode(&c->out, pause ? WIRE_P_SYNC_PAUSE : WIRE_P_SYNC_RESUME, (uint16_t) i,
                                           &sp) >= 0)
                        peer_conn_queued(c, before);
        }
        peer_conn_queue(c);
}

static void resumed(struct peer *p) {
        if (peer_sync_paused(p))
                return;
        for (uint32_t i = 0; i < p->n_volumes; i++)
                peer_sync_kick(p, i);
}

int peer_pause_sync(struct peer *p, bool pause, char *err, size_t err_size) {
        if (p->user_paused == pause) {
                snprintf(err, err_size, "%s: the resync is %s here already", p->r->name,
                         pause ? "paused" : "not paused");
                return -EALREADY;
        }
        p->user_paused = pause;
        log_notice("%s: %s", p->r->name, pause ? "resync paused (pause-sync)" : "resync resumed (resume-sync)");
        send_pause(p, pause);
        resumed(p);
        resource_peer_state_changed(p->r);
        return 0;
}

int peer_admin_handle(struct peer *p, const struct wire_packet *pk) {
        if (pk->type != WIRE_P_SYNC_PAUSE && pk->type != WIRE_P_SYNC_RESUME)
                return 0;
        bool pause = pk->type == WIRE_P_SYNC_PAUSE;
        if (pk->volume == 0 && p->peer_paused != pause) {
                p->peer_paused = pause;
                log_notice("%s: %s %s the resync", p->r->name, p->r->peer_host->name, pause ? "paused" : "resumed");
                resumed(p);
                resource_peer_state_changed(p->r);
        }
        return 1;
}
