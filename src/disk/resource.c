/* resource.c: a resource's life (up, attach, connect, promote, down), its
 * NBD export while Primary, and the replicated write path (see
 * resource.h and docs/disk-states.md). */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "nbd_server.h"
#include "peer.h"
#include "resource.h"

const char *res_role_name(enum res_role r) {
        return r == ROLE_PRIMARY ? "Primary" : "Secondary";
}

const char *res_conn_name(enum res_conn c) {
        switch (c) {
        case CONN_STANDALONE: return "StandAlone";
        case CONN_CONNECTING: return "Connecting";
        case CONN_CONNECTED: return "Connected";
        }
        return "?";
}

const char *res_repl_name(enum res_repl r) {
        switch (r) {
        case REPL_OFF: return "Off";
        case REPL_ESTABLISHED: return "Established";
        case REPL_SYNC_SOURCE: return "SyncSource";
        case REPL_SYNC_TARGET: return "SyncTarget";
        case REPL_VERIFY_SOURCE: return "VerifyS";
        case REPL_VERIFY_TARGET: return "VerifyT";
        case REPL_PAUSED_SYNC_S: return "PausedSyncS";
        case REPL_PAUSED_SYNC_T: return "PausedSyncT";
        }
        return "?";
}

/* ---- the replicated write path ---- */

/* One NBD request on its way through the local disk and the peer. */
struct rwrite {
        struct resource *r;
        struct volume *v;
        struct nbd_io *io;
        struct vreq vr;
        struct peer_write pw;
        struct peer_flush pf;
        unsigned waits;             /* before the NBD reply: local IO, peer ack, out-of-sync mark */
        bool peer_pending;          /* pw sent, `written` not yet called */
        bool marking;               /* an out-of-sync mark in progress */
        bool settle_after_mark;
        bool replied;
        int error;
};

static void rwrite_maybe_free(struct rwrite *w) {
        if (w->replied && !w->peer_pending && !w->marking) {
                w->r->writes_in_flight--;
                free(w);
        }
}

static void rwrite_wait_done(struct rwrite *w) {
        if (--w->waits > 0)
                return;
        w->replied = true;
        nbd_io_complete(w->io, w->error);
        rwrite_maybe_free(w);
}

static bool is_write(const struct rwrite *w) {
        return w->vr.type == VREQ_WRITE || w->vr.type == VREQ_ZERO;
}

static void on_marked(void *userdata, int error) {
        struct rwrite *w = userdata;
        w->marking = false;
        if (error < 0) {
                log_error("%s: cannot record out-of-sync blocks: %s", w->v->name, strerror(-error));
                if (!w->error)
                        w->error = error;
        }
        if (w->settle_after_mark && !w->vr.error)
                volume_settle(w->v, &w->vr);
        rwrite_wait_done(w);
}

/* The peer will not get this write: record it in the bitmap first. */
static void rwrite_mark(struct rwrite *w, bool settle) {
        w->marking = true;
        w->settle_after_mark = settle;
        volume_mark_out_of_sync(w->v, w->vr.offset, w->vr.length, on_marked, w);
}

static void on_local_done(struct vreq *vr, int error) {
        struct rwrite *w = vr->userdata;
        if (error < 0 && !w->error)
                w->error = error;
        /* Without a peer that could hold the write, it settles now. */
        if (is_write(w) && !error && !w->peer_pending && !w->marking && !w->settle_after_mark)
                volume_settle(w->v, vr);
        rwrite_wait_done(w);
}

static void on_peer_acked(struct peer_write *pw, int error) {
        struct rwrite *w = pw->userdata;
        if (error < 0) {
                /* Lost on the way: the reply waits until the blocks are
                 * marked out of sync, so an acknowledged write is always
                 * either on the peer or in the bitmap. */
                w->waits++;
                rwrite_mark(w, false);
        }
        rwrite_wait_done(w);
}

static void on_peer_written(struct peer_write *pw, int error) {
        struct rwrite *w = pw->userdata;
        w->peer_pending = false;
        if (error < 0 && w->pw.acked_done) {
                /* Acked under protocol A or B, then lost before it reached
                 * the peer's disk. */
                w->waits++;
                w->replied = false;
                rwrite_mark(w, true);
                return;
        }
        if (!w->vr.error && w->vr.v)
                volume_settle(w->v, &w->vr);
        rwrite_maybe_free(w);
}

static void on_peer_flushed(struct peer_flush *f, int error) {
        struct rwrite *w = f->userdata;
        /* A lost connection does not fail the flush: what the peer did not
         * confirm is in the bitmap by the time its writes complete. */
        rwrite_wait_done(w);
}

static bool peer_wanted(const struct resource *r) {
        return r->peer_host != NULL;
}

void resource_nbd_submit(void *export_ctx, struct nbd_io *io) {
        struct volume *v = export_ctx;
        struct rwrite *w;

        w = calloc(1, sizeof(*w));
        if (!w) {
                nbd_io_complete(io, -ENOMEM);
                return;
        }
        w->r = v->owner;
        w->v = v;
        w->io = io;
        w->r->writes_in_flight++;
        w->vr.offset = io->offset;
        w->vr.length = io->length;
        w->vr.data = io->data;
        w->vr.fua = io->fua;
        w->vr.done = on_local_done;
        w->vr.userdata = w;
        w->waits = 1;
        switch (io->type) {
        case NBD_IO_READ: w->vr.type = VREQ_READ; break;
        case NBD_IO_WRITE: w->vr.type = VREQ_WRITE; break;
        case NBD_IO_FLUSH: w->vr.type = VREQ_FLUSH; break;
        case NBD_IO_TRIM: w->vr.type = VREQ_ZERO; w->vr.punch = true; break;
        case NBD_IO_WRITE_ZEROES: w->vr.type = VREQ_ZERO; w->vr.punch = !io->no_hole; break;
        }

        if (is_write(w)) {
                w->pw.volume = v->number;
                w->pw.kind = io->type == NBD_IO_WRITE ? PEER_WRITE_DATA
                             : io->type == NBD_IO_TRIM ? PEER_WRITE_TRIM : PEER_WRITE_ZERO;
                w->pw.offset = io->offset;
                w->pw.length = io->length;
                w->pw.data = io->data;
                w->pw.fua = io->fua;
                w->pw.acked = on_peer_acked;
                w->pw.written = on_peer_written;
                w->pw.userdata = w;
                /* Count the peer's ack before sending: under protocol A it
                 * may come from inside peer_submit_write(). */
                w->waits++;
                w->peer_pending = true;
                if (!w->r->peer || !peer_submit_write(w->r->peer, &w->pw)) {
                        w->peer_pending = false;
                        if (peer_wanted(w->r))
                                rwrite_mark(w, false);
                        else
                                w->waits--;
                }
        } else if (w->vr.type == VREQ_FLUSH && w->r->peer) {
                w->pf.done = on_peer_flushed;
                w->pf.userdata = w;
                w->waits++;
                if (!peer_submit_flush(w->r->peer, &w->pf))
                        w->waits--;
        }
        volume_submit(v, &w->vr);
}

int resource_nbd_lookup(void *server_ctx, const char *name, struct nbd_export_info *ret_info,
                        void **ret_export_ctx) {
        struct resource *r = server_ctx;
        unsigned long n = 0;
        char *end = NULL;

        if (*name) {
                errno = 0;
                n = strtoul(name, &end, 10);
                if (errno || *end || !isdigit((unsigned char) name[0]))
                        return -ENOENT;
        }
        if (n >= r->n_volumes)
                return -ENOENT;
        struct volume *v = r->volumes[n];
        if (!v || r->role != ROLE_PRIMARY || v->disk != VOL_UPTODATE)
                return -ESHUTDOWN;
        *ret_info = (struct nbd_export_info) {
                .size = v->size,
                .can_trim = true,
                .can_write_zeroes = true,
                .can_flush = true,
                .can_fua = true,
                .can_multi_conn = true,
                /* Replication works in 512-byte sectors; O_DIRECT wants
                 * the block size. qemu honours the minimum. */
                .min_block = v->backing->direct ? 4096 : 512,
                .preferred_block = 4096,
                .max_block = 1024 * 1024,
                .description = v->name,
        };
        *ret_export_ctx = v;
        return 0;
}

int resource_nbd_list(void *server_ctx, void (*emit)(void *emit_ctx, const char *name, const char *description),
                      void *emit_ctx) {
        struct resource *r = server_ctx;
        char name[24];
        for (size_t i = 0; i < r->n_volumes; i++)
                if (r->volumes[i]) {
                        snprintf(name, sizeof(name), "%zu", i);
                        emit(emit_ctx, name, r->volumes[i]->name);
                }
        return 0;
}

int resource_nbd_open(void *export_ctx) {
        struct volume *v = export_ctx;
        v->owner->nbd_clients++;
        return 0;
}

void resource_nbd_close(void *export_ctx) {
        struct volume *v = export_ctx;
        v->owner->nbd_clients--;
}

static const struct nbd_backend_ops backend_ops = {
        .lookup = resource_nbd_lookup,
        .list = resource_nbd_list,
        .open = resource_nbd_open,
        .close = resource_nbd_close,
        .submit = resource_nbd_submit,
};

static void nbd_log(void *userdata, int level, const char *message) {
        struct resource *r = userdata;
        log_full(level, "%s: nbd: %s", r->name, message);
}

/* ---- life cycle ---- */

static int start_export(struct resource *r, char *err, size_t err_size) {
        int k;

        if (r->nbd)
                return 0;
        k = nbd_server_new(r->env->loop, &backend_ops, r, &r->nbd);
        if (k >= 0) {
                nbd_server_set_log(r->nbd, nbd_log, r);
                k = nbd_server_listen_unix(r->nbd, r->nbd_path, 0600);
        }
        if (k < 0) {
                snprintf(err, err_size, "%s: cannot serve NBD on %s: %s", r->name, r->nbd_path, strerror(-k));
                nbd_server_free(r->nbd);
                r->nbd = NULL;
                return k;
        }
        log_info("%s: serving NBD on %s", r->name, r->nbd_path);
        return 0;
}

void resource_stop_export(struct resource *r) {
        if (!r->nbd)
                return;
        nbd_server_free(r->nbd);
        r->nbd = NULL;
}

/* Persist a volume's flags after a state change; logs on failure. */
static void save_volume(struct volume *v) {
        char err[META_REASON_SIZE];
        uint32_t f = v->sb.flags & ~(META_F_CONSISTENT | META_F_WAS_UP_TO_DATE);

        if (v->disk >= VOL_CONSISTENT)
                f |= META_F_CONSISTENT;
        if (v->disk == VOL_UPTODATE)
                f |= META_F_CONSISTENT | META_F_WAS_UP_TO_DATE;
        if (v->disk == VOL_OUTDATED)
                f |= META_F_CONSISTENT;
        if (v->owner->role == ROLE_PRIMARY)
                f |= META_F_PRIMARY_IND;
        else
                f &= ~META_F_PRIMARY_IND;
        v->sb.flags = f;
        if (volume_write_super(v, err, sizeof(err)) < 0)
                log_error("%s: cannot write metadata: %s", v->name, err);
}

void resource_set_disk_state(struct resource *r, struct volume *v, enum vol_disk_state s) {
        if (v->disk == s)
                return;
        log_info("%s: disk %s -> %s", v->name, vol_disk_state_name(v->disk), vol_disk_state_name(s));
        v->disk = s;
        save_volume(v);
        if (r->peer)
                peer_send_state(r->peer);
        disk_events_poke(r->env->events);
}

int resource_attach(struct resource *r, char *err, size_t err_size) {
        int k;

        for (size_t i = 0; i < r->n_volumes; i++) {
                if (r->volumes[i])
                        continue;
                k = volume_attach(r->env->loop, r->env->ring, r->name, &r->me->volumes[i], &r->volumes[i],
                                  err, err_size);
                if (k < 0)
                        return k;
                r->volumes[i]->owner = r;
                log_info("%s: attached %s (%s, %llu bytes%s%s)", r->volumes[i]->name,
                         r->me->volumes[i].disk, vol_disk_state_name(r->volumes[i]->disk),
                         (unsigned long long) r->volumes[i]->size,
                         r->volumes[i]->backing->direct ? ", O_DIRECT" : "",
                         r->volumes[i]->crashed ? ", after an unclean shutdown" : "");
        }
        if (r->peer)
                peer_send_state(r->peer);
        return 0;
}

int resource_detach(struct resource *r, char *err, size_t err_size) {
        if (r->role == ROLE_PRIMARY) {
                snprintf(err, err_size, "%s: cannot detach while Primary", r->name);
                return -EBUSY;
        }
        if (r->peer && peer_conn_state(r->peer) == CONN_CONNECTED) {
                snprintf(err, err_size, "%s: disconnect before detaching (a diskless peer is not supported)",
                         r->name);
                return -EBUSY;
        }
        for (size_t i = 0; i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                if (!v)
                        continue;
                if (volume_inflight(v) > 0 || v->pending_meta > 0) {
                        snprintf(err, err_size, "%s: IO in flight, try again", v->name);
                        return -EAGAIN;
                }
                volume_detach(v);
                r->volumes[i] = NULL;
        }
        return 0;
}

int resource_connect(struct resource *r, bool discard_my_data, char *err, size_t err_size) {
        if (!r->peer_host) {
                snprintf(err, err_size, "%s: no peer is configured for host %s", r->name, r->me->name);
                return -EINVAL;
        }
        if (r->peer && peer_conn_state(r->peer) != CONN_STANDALONE) {
                if (discard_my_data) {
                        snprintf(err, err_size, "%s: --discard-my-data needs a StandAlone resource "
                                 "('tandem disk disconnect %s' first)", r->name, r->name);
                        return -EBUSY;
                }
                return 0;
        }
        /* StandAlone (after a split brain, say): start over. */
        peer_free(r->peer);
        r->peer = NULL;
        if (discard_my_data && r->role == ROLE_PRIMARY) {
                snprintf(err, err_size, "%s: a Primary cannot discard its data ('tandem disk secondary %s' first)",
                         r->name, r->name);
                return -EBUSY;
        }
        r->discard_my_data = discard_my_data;
        return peer_new(r, &r->peer, err, err_size);
}

static bool all_attached(const struct resource *r) {
        for (size_t i = 0; i < r->n_volumes; i++)
                if (!r->volumes[i])
                        return false;
        return true;
}

int resource_invalidate(struct resource *r, bool remote, char *err, size_t err_size) {
        int k;

        if (!all_attached(r)) {
                snprintf(err, err_size, "%s: not every volume is attached", r->name);
                return -ENODEV;
        }
        if (!remote && r->role == ROLE_PRIMARY) {
                snprintf(err, err_size, "%s: a Primary cannot invalidate its data ('tandem disk secondary %s' first)",
                         r->name, r->name);
                return -EBUSY;
        }
        if (r->peer) {
                k = peer_invalidate(r->peer, remote, err, err_size);
                if (k != 0)
                        return k < 0 ? k : 0;
        } else if (remote) {
                snprintf(err, err_size, "%s: invalidate-remote needs a connection", r->name);
                return -ENOTCONN;
        }
        /* Not connected: the whole volume is out of sync and the data is
         * not to be used; the full resync follows at connect. */
        for (size_t i = 0; i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                bitmap_set_range(v->oos, 0, bitmap_size(v->oos));
                (void) meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos);
                resource_set_disk_state(r, v, VOL_INCONSISTENT);
                log_notice("%s: invalidated: a full resync from the peer follows at connect", v->name);
        }
        return 0;
}

int resource_outdate(struct resource *r, char *err, size_t err_size) {
        if (r->role == ROLE_PRIMARY) {
                snprintf(err, err_size, "%s: a Primary cannot be outdated", r->name);
                return -EBUSY;
        }
        if (r->peer && peer_conn_state(r->peer) == CONN_CONNECTED) {
                snprintf(err, err_size, "%s: refusing to outdate while connected", r->name);
                return -EBUSY;
        }
        for (size_t i = 0; i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                if (v && (v->disk == VOL_UPTODATE || v->disk == VOL_CONSISTENT))
                        resource_set_disk_state(r, v, VOL_OUTDATED);
        }
        return 0;
}

int resource_new_current_uuid(struct resource *r, bool clear_bitmap, char *err, size_t err_size) {
        int k;

        if (!all_attached(r)) {
                snprintf(err, err_size, "%s: not every volume is attached", r->name);
                return -ENODEV;
        }
        for (size_t i = 0; i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                struct disk_uuids u;
                volume_get_uuids(v, &u);
                uuid_new_current(&u, volume_random_uuid(), r->role == ROLE_PRIMARY);
                if (clear_bitmap) {
                        u.bitmap = 0;
                        bitmap_clear_range(v->oos, 0, bitmap_size(v->oos));
                        (void) meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos);
                }
                volume_set_uuids(v, &u);
                log_notice("%s: new current generation %016llX%s", v->name, (unsigned long long) u.current,
                           clear_bitmap ? ", bitmap cleared" : "");
                if (r->peer && clear_bitmap && (k = peer_skip_initial_sync(r->peer, (uint32_t) i, err, err_size)) < 0)
                        return k;
                if (clear_bitmap)
                        resource_set_disk_state(r, v, VOL_UPTODATE);
                save_volume(v);
                if (r->peer)
                        peer_send_uuids(r->peer, (uint32_t) i);
        }
        return 0;
}

int resource_pause_sync(struct resource *r, bool pause, char *err, size_t err_size) {
        if (!r->peer) {
                snprintf(err, err_size, "%s: not connected", r->name);
                return -ENOTCONN;
        }
        return peer_pause_sync(r->peer, pause, err, err_size);
}

int resource_verify(struct resource *r, char *err, size_t err_size) {
        if (!r->peer || peer_conn_state(r->peer) != CONN_CONNECTED) {
                snprintf(err, err_size, "%s: verify needs a connected peer", r->name);
                return -ENOTCONN;
        }
        return peer_verify_start(r->peer, err, err_size);
}

int resource_disconnect(struct resource *r, char *err, size_t err_size) {
        peer_free(r->peer);
        r->peer = NULL;
        return 0;
}

/* The local conditions for a promotion (and the peer's last reported
 * state). */
static int check_promotable(struct resource *r, bool force, char *err, size_t err_size) {
        bool connected = r->peer && peer_conn_state(r->peer) == CONN_CONNECTED;

        if (r->promoting.active) {
                snprintf(err, err_size, "%s: a promotion is in progress", r->name);
                return -EBUSY;
        }
        if (!all_attached(r)) {
                snprintf(err, err_size, "%s: not every volume is attached", r->name);
                return -ENODEV;
        }
        for (size_t i = 0; i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                bool usable = v->disk == VOL_UPTODATE ||
                              /* DRBD with fencing dont-care: a Consistent disk
                               * whose peer is unknown may be promoted. */
                              (v->disk == VOL_CONSISTENT && !connected &&
                               r->cfg->net.fencing == DISK_FENCING_DONT_CARE);
                if (!usable && !force) {
                        snprintf(err, err_size, "%s: refusing to become Primary: disk is %s, not UpToDate "
                                 "(use --force to promote anyway, e.g. for the initial sync)",
                                 v->name, vol_disk_state_name(v->disk));
                        return -EROFS;
                }
        }
        return r->peer ? peer_check_promote(r->peer, err, err_size) : 0;
}

static int promote_now(struct resource *r, bool force, char *err, size_t err_size) {
        bool connected = r->peer && peer_conn_state(r->peer) == CONN_CONNECTED;
        int k;

        r->role = ROLE_PRIMARY;
        for (size_t i = 0; i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                /* A promotion without the peer, or a forced one, starts a
                 * new generation (DRBD's rule): its writes are what the
                 * peer lacks. */
                struct disk_uuids u;
                volume_get_uuids(v, &u);
                if ((!connected && u.bitmap == 0) || v->disk != VOL_UPTODATE) {
                        uuid_new_current(&u, volume_random_uuid(), true);
                        volume_set_uuids(v, &u);
                }
                if (v->disk != VOL_UPTODATE) {
                        log_notice("%s: %s -> UpToDate by promotion%s", v->name, vol_disk_state_name(v->disk),
                                   force ? " (--force)" : "");
                        v->disk = VOL_UPTODATE;
                }
                save_volume(v);
        }
        k = start_export(r, err, err_size);
        if (k < 0) {
                r->role = ROLE_SECONDARY;
                for (size_t i = 0; i < r->n_volumes; i++)
                        save_volume(r->volumes[i]);
                return k;
        }
        log_notice("%s: Secondary -> Primary", r->name);
        disk_events_poke(r->env->events);
        if (r->peer) {
                peer_send_state(r->peer);
                peer_resync_after_promote(r->peer);
        }
        return 0;
}

/* The peer answered our promotion request. */
static void on_promotion_answer(void *userdata, int error, const char *why) {
        struct resource *r = userdata;
        resource_done_t done = r->promoting.done;
        void *done_userdata = r->promoting.userdata;
        char err[1024] = "";
        int k = error;

        r->promoting.active = false;
        r->promoting.done = NULL;
        if (k >= 0) {
                /* Things may have changed while we waited. */
                k = check_promotable(r, r->promoting.force, err, sizeof(err));
                if (k >= 0)
                        k = promote_now(r, r->promoting.force, err, sizeof(err));
                if (k < 0 && r->peer)
                        peer_release_promotion(r->peer);
                why = err;
        }
        if (k < 0)
                log_notice("%s", *why ? why : strerror(-k));
        done(done_userdata, k < 0 ? k : 0, k < 0 ? why : NULL);
}

int resource_primary(struct resource *r, bool force, resource_done_t done, void *userdata, char *err,
                     size_t err_size) {
        int k;

        if (r->role == ROLE_PRIMARY)
                return 0;
        k = check_promotable(r, force, err, err_size);
        if (k < 0)
                return k;
        if (r->peer) {
                k = peer_request_promotion(r->peer, force, on_promotion_answer, r, err, err_size);
                if (k < 0)
                        return k;
                if (k > 0) {
                        r->promoting.active = true;
                        r->promoting.force = force;
                        r->promoting.done = done;
                        r->promoting.userdata = userdata;
                        return 1;
                }
        }
        return promote_now(r, force, err, err_size);
}

int resource_secondary(struct resource *r, char *err, size_t err_size) {
        if (r->role == ROLE_SECONDARY)
                return 0;
        if (r->nbd_clients > 0) {
                snprintf(err, err_size, "%s: refusing to become Secondary: %u NBD client%s connected to %s",
                         r->name, r->nbd_clients, r->nbd_clients == 1 ? " is" : "s are", r->nbd_path);
                return -EBUSY;
        }
        if (r->writes_in_flight > 0) {
                snprintf(err, err_size, "%s: writes still in flight, try again", r->name);
                return -EAGAIN;
        }
        resource_stop_export(r);
        r->role = ROLE_SECONDARY;
        for (size_t i = 0; i < r->n_volumes; i++)
                if (r->volumes[i])
                        save_volume(r->volumes[i]);
        log_notice("%s: Primary -> Secondary", r->name);
        disk_events_poke(r->env->events);
        if (r->peer)
                peer_send_state(r->peer);
        return 0;
}

static void resource_free(struct resource *r) {
        if (!r)
                return;
        if (r->promoting.active) {
                char why[256];
                snprintf(why, sizeof(why), "%s: went down while promoting", r->name);
                r->promoting.active = false;
                r->promoting.done(r->promoting.userdata, -ECONNABORTED, why);
        }
        resource_stop_export(r);
        peer_free(r->peer);
        for (size_t i = 0; i < r->n_volumes; i++)
                volume_detach(r->volumes[i]);
        free(r->volumes);
        free(r->nbd_path);
        free(r->name);
        disk_config_free(r->config);
        free(r);
}

int resource_up(struct diskd_env *env, struct disk_config *c, const char *name,
                struct resource **ret, char *err, size_t err_size) {
        const struct disk_host *peers[8];
        struct resource *r;
        int k;

        r = calloc(1, sizeof(*r));
        if (!r) {
                disk_config_free(c);
                return -ENOMEM;
        }
        r->env = env;
        r->config = c;
        r->cfg = disk_config_find_resource(c, name);
        r->name = strdup(name);
        if (!r->name) {
                resource_free(r);
                return -ENOMEM;
        }
        if (!r->cfg) {
                snprintf(err, err_size, "%s: no such resource in the configuration", name);
                resource_free(r);
                return -ENOENT;
        }
        r->me = disk_resource_find_host(r->cfg, env->hostname);
        if (!r->me) {
                snprintf(err, err_size, "%s: no 'on %s' section (this host's name)", name, env->hostname);
                resource_free(r);
                return -ENXIO;
        }
        if (r->cfg->n_hosts > ELEMENTSOF(peers) + 1) {
                snprintf(err, err_size, "%s: too many hosts", name);
                resource_free(r);
                return -E2BIG;
        }
        size_t n_peers = disk_resource_peers(r->cfg, r->me, peers);
        if (n_peers > 1) {
                snprintf(err, err_size, "%s: %zu peers configured; tandem replicates to one peer so far",
                         name, n_peers);
                resource_free(r);
                return -EOPNOTSUPP;
        }
        r->peer_host = n_peers == 1 ? peers[0] : NULL;
        if (asprintf(&r->nbd_path, "%s/%s.nbd", env->run_dir, name) < 0) {
                r->nbd_path = NULL;
                resource_free(r);
                return -ENOMEM;
        }
        r->n_volumes = r->me->n_volumes;
        r->volumes = calloc(r->n_volumes ? r->n_volumes : 1, sizeof(*r->volumes));
        if (!r->volumes) {
                resource_free(r);
                return -ENOMEM;
        }
        k = resource_attach(r, err, err_size);
        if (k >= 0 && r->peer_host)
                k = resource_connect(r, false, err, err_size);
        if (k < 0) {
                resource_free(r);
                return k;
        }
        *ret = r;
        return 0;
}

int resource_down(struct resource *r, char *err, size_t err_size) {
        int k;

        if (r->role == ROLE_PRIMARY && (k = resource_secondary(r, err, err_size)) < 0)
                return k;
        if (r->writes_in_flight > 0) {
                snprintf(err, err_size, "%s: writes still in flight, try again", r->name);
                return -EAGAIN;
        }
        peer_free(r->peer);
        r->peer = NULL;
        k = resource_detach(r, err, err_size);
        if (k < 0)
                return k;
        log_info("%s: down", r->name);
        resource_free(r);
        return 0;
}

void resource_peer_state_changed(struct resource *r) {
        disk_events_poke(r->env->events);
}

void resource_mark_out_of_sync(struct resource *r, uint32_t volume, uint64_t offset, uint64_t length,
                               void (*done)(void *userdata, int error), void *userdata) {
        if (volume >= r->n_volumes || !r->volumes[volume]) {
                done(userdata, -ENODEV);
                return;
        }
        volume_mark_out_of_sync(r->volumes[volume], offset, length, done, userdata);
}

/* ---- status ---- */

void resource_note_split_brain(struct resource *r, uint32_t volume, bool resolved, const char *why) {
        char text[512];

        r->split_brains++;
        r->split_brain_unresolved = !resolved;
        snprintf(r->last_split_brain, sizeof(r->last_split_brain), "volume %u: %s", volume, why);
        snprintf(text, sizeof(text), "split-brain name:%s peer-node-id:%u conn-name:%s volume:%u resolved:%s",
                 r->name, r->peer_host ? r->peer_host->node_id : 0, r->peer_host ? r->peer_host->name : "-",
                 volume, resolved ? "yes" : "no");
        disk_events_emit(r->env->events, text);
}

int resource_status_text(struct resource *r, bool verbose, struct buf *out) {
        bool multi = r->n_volumes > 1;
        int k = buf_printf(out, "%s role:%s\n", r->name, res_role_name(r->role));

        for (size_t i = 0; k >= 0 && i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                const char *state = v ? vol_disk_state_name(v->disk) : "Diskless";
                if (multi)
                        k = buf_printf(out, "  volume:%zu disk:%s", i, state);
                else
                        k = buf_printf(out, "  disk:%s", state);
                if (k >= 0 && v && r->nbd_clients > 0 && i == 0)
                        k = buf_printf(out, " open:yes");
                if (k >= 0 && v && verbose) {
                        struct disk_uuids u;
                        volume_get_uuids(v, &u);
                        k = buf_printf(out, " size:%llu out-of-sync:%llu current:%016llX bitmap:%016llX "
                                       "history:%016llX:%016llX",
                                       (unsigned long long) v->size,
                                       (unsigned long long) bitmap_count(v->oos) * META_BLOCK_SIZE,
                                       (unsigned long long) u.current, (unsigned long long) u.bitmap,
                                       (unsigned long long) u.history[0], (unsigned long long) u.history[1]);
                }
                if (k >= 0)
                        k = buf_putc(out, '\n');
        }
        if (k < 0 || !r->peer_host)
                return k;
        enum res_conn c = r->peer ? peer_conn_state(r->peer) : CONN_STANDALONE;
        if (c != CONN_CONNECTED)
                return buf_printf(out, "  %s connection:%s%s\n", r->peer_host->name, res_conn_name(c),
                                  c == CONN_STANDALONE && r->split_brain_unresolved ? " split-brain:yes" : "");
        k = buf_printf(out, "  %s role:%s\n", r->peer_host->name, peer_role_text(r->peer));
        for (size_t i = 0; k >= 0 && i < r->n_volumes; i++) {
                enum res_repl rs = peer_repl_state(r->peer);
                if (multi)
                        k = buf_printf(out, "    volume:%zu ", i);
                else
                        k = buf_printf(out, "    ");
                if (k >= 0)
                        k = buf_printf(out, "replication:%s peer-disk:%s", res_repl_name(rs),
                                       peer_disk_text(r->peer, (uint32_t) i));
                if (k >= 0 && (rs == REPL_SYNC_SOURCE || rs == REPL_SYNC_TARGET)) {
                        uint64_t left, total;
                        peer_sync_progress(r->peer, (uint32_t) i, &left, &total);
                        k = buf_printf(out, " done:%.2f", total ? 100.0 * (double) (total - left) / (double) total : 100.0);
                }
                if (k >= 0 && (rs == REPL_VERIFY_SOURCE || rs == REPL_VERIFY_TARGET)) {
                        uint64_t done, total, oos;
                        peer_verify_progress(r->peer, (uint32_t) i, &done, &total, &oos);
                        k = buf_printf(out, " done:%.2f", total ? 100.0 * (double) done / (double) total : 100.0);
                }
                if (k >= 0)
                        k = buf_putc(out, '\n');
        }
        return k;
}

json_t *resource_status_json(struct resource *r) {
        json_t *o = json_object(), *vols = json_array(), *peer = NULL;

        if (!o || !vols) {
                json_decref(o);
                json_decref(vols);
                return NULL;
        }
        json_object_set_new(o, "name", json_string(r->name));
        json_object_set_new(o, "role", json_string(res_role_name(r->role)));
        json_object_set_new(o, "nbd-socket", json_string(r->nbd_path));
        json_object_set_new(o, "nbd-clients", json_integer(r->nbd_clients));
        json_object_set_new(o, "split-brains", json_integer(r->split_brains));
        if (r->split_brains)
                json_object_set_new(o, "last-split-brain", json_string(r->last_split_brain));
        for (size_t i = 0; i < r->n_volumes; i++) {
                struct volume *v = r->volumes[i];
                json_t *jv = json_object();
                if (!jv)
                        continue;
                json_object_set_new(jv, "volume", json_integer((json_int_t) i));
                json_object_set_new(jv, "disk-state", json_string(v ? vol_disk_state_name(v->disk) : "Diskless"));
                if (v) {
                        struct disk_uuids u;
                        char hex[20];
                        volume_get_uuids(v, &u);
                        json_object_set_new(jv, "size", json_integer((json_int_t) v->size));
                        json_object_set_new(jv, "out-of-sync", json_integer((json_int_t) (bitmap_count(v->oos) * META_BLOCK_SIZE)));
                        snprintf(hex, sizeof(hex), "%016llX", (unsigned long long) u.current);
                        json_object_set_new(jv, "current-uuid", json_string(hex));
                        json_object_set_new(jv, "writes", json_integer((json_int_t) v->writes));
                        json_object_set_new(jv, "bytes-written", json_integer((json_int_t) v->bytes_written));
                }
                json_array_append_new(vols, jv);
        }
        json_object_set_new(o, "volumes", vols);
        if (r->peer_host) {
                enum res_conn c = r->peer ? peer_conn_state(r->peer) : CONN_STANDALONE;
                peer = json_object();
                if (peer) {
                        json_object_set_new(peer, "name", json_string(r->peer_host->name));
                        json_object_set_new(peer, "connection-state", json_string(res_conn_name(c)));
                        if (c == CONN_CONNECTED) {
                                json_t *pv = json_array();
                                json_object_set_new(peer, "role", json_string(peer_role_text(r->peer)));
                                json_object_set_new(peer, "replication-state",
                                                    json_string(res_repl_name(peer_repl_state(r->peer))));
                                for (size_t i = 0; pv && i < r->n_volumes; i++) {
                                        uint64_t left = 0, total = 0;
                                        json_t *x = json_object();
                                        peer_sync_progress(r->peer, (uint32_t) i, &left, &total);
                                        json_object_set_new(x, "volume", json_integer((json_int_t) i));
                                        json_object_set_new(x, "peer-disk-state",
                                                            json_string(peer_disk_text(r->peer, (uint32_t) i)));
                                        json_object_set_new(x, "resync-left", json_integer((json_int_t) left * META_BLOCK_SIZE));
                                        json_object_set_new(x, "resynced",
                                                            json_integer((json_int_t) peer_resynced_bytes(r->peer, (uint32_t) i)));
                                        uint64_t ov_done, ov_total, ov_oos;
                                        peer_verify_progress(r->peer, (uint32_t) i, &ov_done, &ov_total, &ov_oos);
                                        json_object_set_new(x, "verified", json_integer((json_int_t) (ov_done * META_BLOCK_SIZE)));
                                        json_object_set_new(x, "verify-out-of-sync",
                                                            json_integer((json_int_t) (ov_oos * META_BLOCK_SIZE)));
                                        json_array_append_new(pv, x);
                                }
                                json_object_set_new(peer, "volumes", pv);
                        }
                        json_object_set_new(o, "peer", peer);
                }
        }
        return o;
}
