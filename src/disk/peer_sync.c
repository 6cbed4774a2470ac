/* peer_sync.c: what happens once both sides know each other's volumes:
 * the sync decision on generation identifiers (uuid.c, with DRBD's rule
 * numbers in the log), the exchange of out-of-sync bitmaps, and the
 * resync itself, driven by the SyncTarget: it requests runs of
 * out-of-sync blocks, the SyncSource reads them (after any write in
 * flight to the same blocks) and replies, the target writes them and
 * confirms. A request that an application write overlapped meanwhile is
 * discarded and asked again, so older resync data never overwrites newer
 * data. docs/disk-generations.md, docs/disk-states.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "log.h"
#include "peer_internal.h"
#include "split_brain.h"

#define RS_MAX_REQUEST (WIRE_MAX_DATA)           /* bytes per request */

static struct conn *live(struct peer *p) {
        return p->c && p->c->phase == PHASE_ESTABLISHED ? p->c : NULL;
}

static void persist_bitmap(struct volume *v) {
        if (meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos) < 0)
                log_error("%s: cannot write the out-of-sync bitmap", v->name);
}

static void persist_super(struct volume *v) {
        char err[META_REASON_SIZE];
        if (volume_write_super(v, err, sizeof(err)) < 0)
                log_error("%s: cannot write metadata: %s", v->name, err);
}

static void wire_to_disk_uuids(const struct wire_uuids *w, struct disk_uuids *u) {
        u->current = w->current;
        u->bitmap = w->bitmap;
        for (int i = 0; i < UUID_HISTORY; i++)
                u->history[i] = w->history[i];
}

/* Send our whole out-of-sync bitmap of volume, RLE-coded, page by page. */
static int send_bitmap(struct peer *p, uint32_t volume) {
        struct conn *c = live(p);
        struct volume *v = p->r->volumes[volume];
        uint64_t words[BITMAP_PAGE_SIZE / 8];
        uint8_t page[BITMAP_PAGE_SIZE];
        uint64_t pages = bitmap_pages(v->oos), nbits = bitmap_size(v->oos);

        if (!c)
                return -ENOTCONN;
        for (uint64_t pg = 0; pg < pages; pg++) {
                uint64_t first = pg * BITMAP_BITS_PER_PAGE;
                uint64_t bits = nbits - first < BITMAP_BITS_PER_PAGE ? nbits - first : BITMAP_BITS_PER_PAGE;
                uint64_t done = 0;

                bitmap_page_encode(v->oos, pg, page);
                for (size_t i = 0; i < ELEMENTSOF(words); i++)
                        words[i] = le64toh(((const uint64_t *) page)[i]);
                while (done < bits) {
                        uint64_t covered = 0;
                        size_t before = c->out.len;
                        int k = wire_bitmap_encode_rle(&c->out, (uint16_t) volume, first + done, words + done / 64,
                                                       bits - done, pg == pages - 1, WIRE_BITMAP_MAX_PAYLOAD,
                                                       &covered);
                        if (k < 0 || covered == 0)
                                return k < 0 ? k : -EIO;
                        c->out_queued += c->out.len - before;
                        done += covered;
                }
        }
        p->vol[volume].bitmap_sent = true;
        peer_conn_queue(c);
        return 0;
}

static void request_more(struct peer *p, uint32_t volume);
static void maybe_finish_target(struct peer *p, uint32_t volume);

void peer_sync_kick(struct peer *p, uint32_t volume) {
        request_more(p, volume);
}

void peer_sync_checkpoint(struct peer *p) {
        /* The bits cleared so far belong to blocks whose resync writes
         * completed; the fdatasync of the bitmap write makes both durable,
         * so a crash resumes from here rather than from the start. */
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct volume *v = p->r->volumes[i];
                if (v && p->vol[i].repl == REPL_SYNC_TARGET && bitmap_dirty_pages(v->oos) > 0)
                        persist_bitmap(v);
        }
}

/* before-resync-target ended: go on, or drop the connection when it
 * failed (DRBD's rule). The peer was kept alive for this by an io_ref. */
struct hold {
        struct peer *p;
        uint64_t gen;
        uint32_t volume;
};

static void on_before_target_done(void *userdata, int status) {
        struct hold *h = userdata;
        struct peer *p = h->p;
        uint32_t volume = h->volume;
        bool same = !p->dying && h->gen == p->gen && live(p);

        free(h);
        if (same && p->vol[volume].repl == REPL_SYNC_TARGET) {
                p->vol[volume].rs_hold = false;
                if (status != 0)
                        peer_close_with(p, p->c, WIRE_P_DISCONNECT, WIRE_REASON_ADMIN,
                                        "%s: the before-resync-target handler returned %d",
                                        p->r->volumes[volume]->name, status);
                else
                        request_more(p, volume);
        }
        (void) peer_io_unref(p);
}

static void run_before_target(struct peer *p, uint32_t volume) {
        struct hold *h = calloc(1, sizeof(*h));

        if (!h)
                return;
        *h = (struct hold){ .p = p, .gen = p->gen, .volume = volume };
        p->io_refs++;
        p->vol[volume].rs_hold = true;
        if (handler_run_then(p->r, "before-resync-target", (int) volume, on_before_target_done, h) <= 0) {
                p->vol[volume].rs_hold = false;
                p->io_refs--;
                free(h);
        }
}

void peer_sync_start(struct peer *p, uint32_t volume, enum uuid_verdict verdict) {
        struct volume *v = p->r->volumes[volume];
        struct peer_volume *pv = &p->vol[volume];
        bool full = verdict == UUID_SOURCE_FULL || verdict == UUID_TARGET_FULL;

        if (full) {
                bitmap_set_range(v->oos, 0, bitmap_size(v->oos));
                persist_bitmap(v);
        }
        pv->rs_cursor = 0;
        pv->resynced_bytes = 0;
        pv->bitmap_received = false;
        pv->rs_hold = false;
        if (verdict > 0) {
                struct disk_uuids u;
                /* The generations chose our data (a crashed Primary comes
                 * back Consistent): it is the up-to-date copy now. */
                if (v->disk == VOL_CONSISTENT || v->disk == VOL_OUTDATED)
                        resource_set_disk_state(p->r, v, VOL_UPTODATE);
                pv->repl = REPL_SYNC_SOURCE;
                volume_get_uuids(v, &u);
                pv->sync_uuid = uuid_start_sync_source(&u, volume_random_uuid());
                volume_set_uuids(v, &u);
                persist_super(v);
                /* The target takes the sync identifier from this UUIDS. */
                peer_send_uuids(p, volume);
                (void) handler_run(p->r, "before-resync-source", (int) volume);
        } else {
                pv->repl = REPL_SYNC_TARGET;
                peer_rate_start(p);
                run_before_target(p, volume);
                if (v->disk != VOL_INCONSISTENT)
                        resource_set_disk_state(p->r, v, VOL_INCONSISTENT);
                /* The source's latest UUIDS carry the sync identifier as
                 * their bitmap identifier (it sent them before its STATE). */
                if (pv->have_uuids && pv->uuids.bitmap && pv->uuids.bitmap != v->sb.current_uuid &&
                    pv->uuids.bitmap != pv->uuids_at_connect.bitmap) {
                        struct disk_uuids u;
                        volume_get_uuids(v, &u);
                        uuid_start_sync_target(&u, pv->uuids.bitmap);
                        volume_set_uuids(v, &u);
                        persist_super(v);
                }
        }
        pv->sync_total = bitmap_count(v->oos);
        log_notice("%s: resync starts as %s, %llu KiB marked out of sync here", v->name,
                   res_repl_name(pv->repl), (unsigned long long) pv->sync_total * 4);
        /* STATE first: a peer that learns of the resync from it must know
         * before our bitmap arrives. */
        peer_send_volume_state(p, volume);
        (void) send_bitmap(p, volume);
}

/* A split brain at connect: the after-sb policies and discard-my-data
 * (split_brain.h) turn it into a sync direction in *ret_verdict, or the
 * connection is dropped and both sides stay StandAlone. Returns 0 or a
 * negative errno when the connection is gone. */
static int settle_split_brain(struct peer *p, uint32_t volume, enum uuid_verdict verdict,
                              enum uuid_verdict *ret_verdict) {
        struct resource *r = p->r;
        struct volume *v = r->volumes[volume];
        struct peer_volume *pv = &p->vol[volume];
        struct sb_side self = {
                .name = r->me->name,
                .primary = r->role == ROLE_PRIMARY,
                .lost_peer_as_primary = v->sb.flags & META_F_LOST_PEER_AS_PRIMARY,
                .changed = bitmap_count(v->oos),
                .discard_my_data = r->discard_my_data || r->cfg->net.discard_my_data,
        };
        struct sb_side peer = {
                .name = r->peer_host->name,
                .primary = pv->state.role == WIRE_ROLE_PRIMARY,
                .lost_peer_as_primary = pv->uuids_at_connect.flags & WIRE_UUID_LOST_PEER_AS_PRIMARY,
                .changed = pv->uuids_at_connect.bits_set,
                .discard_my_data = p->c->peer_discard_my_data,
        };
        bool auto_ok = verdict == UUID_SPLIT_BRAIN_AUTO || r->cfg->net.always_asbp;
        struct sb_decision d;

        split_brain_resolve(&r->cfg->net, &self, &peer, p->my_node_id > p->peer_node_id, auto_ok,
                            verdict == UUID_SPLIT_BRAIN, &d);
        if (d.verdict == -100) {
                log_error("%s: split brain detected but unresolved (%s), dropping the connection", v->name, d.why);
                resource_note_split_brain(r, volume, false, d.why);
                (void) handler_run(r, "split-brain", (int) volume);
                p->standalone = true;
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_SPLIT_BRAIN,
                                "%s: split brain detected, dropping the connection", v->name);
                return -EPROTO;
        }
        log_warning("%s: split brain detected, %s: sync from %s", v->name, d.why,
                    d.verdict > 0 ? r->me->name : r->peer_host->name);
        resource_note_split_brain(r, volume, true, d.why);
        if (d.demote_self) {
                char err[256];
                if (resource_secondary(r, err, sizeof(err)) < 0) {
                        log_error("%s: cannot give up the Primary role after split brain: %s", v->name, err);
                        (void) handler_run(r, "pri-lost-after-sb", (int) volume);
                        p->standalone = true;
                        peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_SPLIT_BRAIN,
                                        "%s: split brain victim cannot become Secondary", v->name);
                        return -EPROTO;
                }
                log_warning("%s: gave up the Primary role after split brain", v->name);
        }
        *ret_verdict = (enum uuid_verdict) d.verdict;
        return 0;
}

int peer_sync_decide(struct peer *p) {
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct volume *v = p->r->volumes[i];
                struct peer_volume *pv = &p->vol[i];
                struct uuid_side self = { 0 }, peer = { 0 };
                enum uuid_verdict verdict;
                int rule;

                if (!v)
                        continue;
                volume_get_uuids(v, &self.uuids);
                self.crashed_primary = v->sb.flags & META_F_CRASHED_PRIMARY;
                wire_to_disk_uuids(&pv->uuids_at_connect, &peer.uuids);
                peer.crashed_primary = pv->uuids_at_connect.flags & WIRE_UUID_CRASHED_PRIMARY;
                verdict = uuid_compare(&self, &peer, p->my_node_id > p->peer_node_id, &rule);
                /* Rules 34, 35, 51, 71 repaired identifiers. */
                volume_set_uuids(v, &self.uuids);
                enum uuid_verdict before = verdict;
                verdict = uuid_apply_inconsistency(verdict, v->disk == VOL_INCONSISTENT,
                                                   pv->state.disk == WIRE_DISK_INCONSISTENT);
                log_notice("%s: sync decision: %s by rule %d: %s%s", v->name, uuid_verdict_name(verdict), rule,
                           uuid_rule_text(rule),
                           before != verdict ? " (overridden: one side is Inconsistent)" : "");
                if (verdict == UUID_UNRELATED) {
                        p->standalone = true;
                        peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_UNRELATED_DATA,
                                        "%s: the peer's data is unrelated to ours (no common generation)", v->name);
                        return -EPROTO;
                }
                if (verdict == UUID_SPLIT_BRAIN || verdict == UUID_SPLIT_BRAIN_AUTO) {
                        int k = settle_split_brain(p, i, verdict, &verdict);
                        if (k < 0)
                                return k;
                }
                v->sb.flags &= ~META_F_LOST_PEER_AS_PRIMARY;
                if (verdict == UUID_NO_SYNC) {
                        pv->repl = REPL_ESTABLISHED;
                        if (bitmap_count(v->oos) > 0)
                                log_info("%s: no resync, but %llu blocks are marked in the bitmap", v->name,
                                         (unsigned long long) bitmap_count(v->oos));
                        if ((v->disk == VOL_CONSISTENT || v->disk == VOL_OUTDATED) &&
                            pv->state.disk >= WIRE_DISK_OUTDATED && pv->state.disk != WIRE_DISK_DISKLESS)
                                resource_set_disk_state(p->r, v, VOL_UPTODATE);
                        else
                                peer_send_volume_state(p, i);
                        continue;
                }
                if (verdict > 0 && v->disk < VOL_CONSISTENT) {
                        p->standalone = true;
                        peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL,
                                        "%s: this side would be SyncSource but its disk is %s", v->name,
                                        vol_disk_state_name(v->disk));
                        return -EPROTO;
                }
                if (verdict < 0 && p->r->role == ROLE_PRIMARY) {
                        enum disk_rr_conflict rr = p->r->cfg->net.rr_conflict;
                        if (rr != DISK_RR_CONFLICT_VIOLENTLY) {
                                if (rr == DISK_RR_CONFLICT_CALL_PRI_LOST)
                                        (void) handler_run(p->r, "pri-lost", (int) i);
                                p->standalone = rr != DISK_RR_CONFLICT_RETRY_CONNECT;
                                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_SPLIT_BRAIN,
                                                "%s: this Primary would become SyncTarget; refusing (rr-conflict)",
                                                v->name);
                                return -EPROTO;
                        }
                        log_warning("%s: becoming SyncTarget while Primary, violating the stable-data "
                                    "assumption (rr-conflict violently)", v->name);
                }
                peer_sync_start(p, i, verdict);
                if (!live(p))
                        return -ECONNRESET;
        }
        /* Used: a later connect is an ordinary one again (as in DRBD). */
        p->r->discard_my_data = false;
        p->r->split_brain_unresolved = false;
        return 0;
}

/* ---- SyncTarget ---- */

static bool requested(const struct peer *p, uint32_t volume, uint64_t offset, uint32_t length) {
        for (struct rs_request *q = p->rs_head; q; q = q->next)
                if (q->volume == volume && q->offset < offset + length && offset < q->offset + q->length)
                        return true;
        return false;
}

static void request_more(struct peer *p, uint32_t volume) {
        struct conn *c = live(p);

        if (peer_sync_paused(p))
                return;
        struct volume *v = p->r->volumes[volume];
        struct peer_volume *pv = &p->vol[volume];
        uint64_t nbits = bitmap_size(v->oos);

        if (!c || pv->repl != REPL_SYNC_TARGET || !pv->bitmap_received || pv->rs_hold)
                return;
        uint64_t window = peer_rate_window(p);
        while (p->rs_bytes_in_flight < window) {
                uint64_t bit = bitmap_find_next_set(v->oos, pv->rs_cursor);
                if (bit >= nbits) {
                        if (!p->rs_head && bitmap_count(v->oos) > 0) {
                                /* A pass ended with blocks left (conflicts):
                                 * another pass. */
                                pv->rs_cursor = 0;
                                continue;
                        }
                        break;
                }
                uint64_t end = bitmap_find_next_clear(v->oos, bit);
                if (end - bit > RS_MAX_REQUEST / META_BLOCK_SIZE)
                        end = bit + RS_MAX_REQUEST / META_BLOCK_SIZE;
                uint64_t offset = bit * META_BLOCK_SIZE;
                uint64_t length = (end - bit) * META_BLOCK_SIZE;
                if (offset + length > v->size)
                        length = v->size - offset;
                if (requested(p, volume, offset, (uint32_t) length)) {
                        pv->rs_cursor = end;
                        continue;
                }
                if (!peer_rate_take(p, (uint32_t) length))
                        break;  /* the next tick asks for more */
                pv->rs_cursor = end;
                struct rs_request *q = calloc(1, sizeof(*q));
                if (!q)
                        return;
                q->id = p->rs_next_id++;
                q->volume = volume;
                q->offset = offset;
                q->length = (uint32_t) length;
                q->next = p->rs_head;
                p->rs_head = q;
                p->rs_bytes_in_flight += length;
                struct wire_digest_block b = { .id = q->id, .offset = offset, .length = (uint32_t) length,
                                               .alg = WIRE_DIGEST_NONE };
                size_t before = c->out.len;
                if (wire_digest_block_encode(&c->out, WIRE_P_RS_DATA_REQUEST, (uint16_t) volume, &b) >= 0)
                        c->out_queued += c->out.len - before;
        }
        peer_conn_queue(c);
        maybe_finish_target(p, volume);
}

static void maybe_finish_target(struct peer *p, uint32_t volume) {
        struct volume *v = p->r->volumes[volume];
        struct peer_volume *pv = &p->vol[volume];
        struct disk_uuids u, source;

        if (pv->repl != REPL_SYNC_TARGET || !pv->bitmap_received || bitmap_count(v->oos) > 0)
                return;
        for (struct rs_request *q = p->rs_head; q; q = q->next)
                if (q->volume == volume)
                        return;
        /* The source's identifiers as it sent them last: its current and
         * history do not change during a resync. */
        volume_get_uuids(v, &u);
        wire_to_disk_uuids(&pv->uuids, &source);
        uuid_finish_sync_target(&u, &source);
        volume_set_uuids(v, &u);
        v->sb.flags &= ~META_F_CRASHED_PRIMARY;
        persist_bitmap(v);
        pv->repl = REPL_ESTABLISHED;
        log_notice("%s: resync finished: %llu KiB received", v->name,
                   (unsigned long long) pv->resynced_bytes / 1024);
        (void) handler_run(p->r, "after-resync-target", (int) volume);
        resource_set_disk_state(p->r, v, VOL_UPTODATE);
        peer_send_uuids(p, volume);
        peer_send_volume_state(p, volume);
}

/* Remove request id from the list; NULL if there is none. */
static struct rs_request *take_request(struct peer *p, uint64_t id) {
        for (struct rs_request **pp = &p->rs_head; *pp; pp = &(*pp)->next)
                if ((*pp)->id == id) {
                        struct rs_request *q = *pp;
                        *pp = q->next;
                        p->rs_bytes_in_flight -= q->length;
                        return q;
                }
        return NULL;
}

static struct rs_request *find_request(struct peer *p, uint64_t id) {
        for (struct rs_request *q = p->rs_head; q; q = q->next)
                if (q->id == id)
                        return q;
        return NULL;
}

static void on_rs_written(struct vreq *vr, int error) {
        struct rx_write *x = vr->userdata;
        struct peer *p = x->p;
        struct volume *v = vr->v;

        if (!error)
                volume_settle(v, vr);
        if (!p->dying && x->gen == p->gen) {
                /* The request stayed on the list while its data was written,
                 * so that no other pass asked for the same blocks. */
                free(take_request(p, x->request_id));
                if (error < 0)
                        log_error("%s: writing resync data at %llu failed: %s", v->name,
                                  (unsigned long long) vr->offset, strerror(-error));
                else {
                        struct wire_block b = { .id = x->request_id, .offset = vr->offset, .length = vr->length };
                        bitmap_clear_bytes(v->oos, vr->offset, vr->length);
                        p->vol[v->number].resynced_bytes += vr->length;
                        if (live(p)) {
                                size_t before = p->c->out.len;
                                if (wire_block_encode(&p->c->out, WIRE_P_RS_IS_IN_SYNC, (uint16_t) v->number, &b) >= 0)
                                        p->c->out_queued += p->c->out.len - before;
                                peer_conn_queue(p->c);
                        }
                }
                request_more(p, v->number);
        }
        free(x->buf);
        free(x);
        (void) peer_io_unref(p);
}

static int handle_rs_reply(struct peer *p, const struct wire_packet *pk) {
        const struct wire_data *d = &pk->data;
        struct rs_request *q = find_request(p, d->id);
        struct volume *v;
        struct rx_write *x;

        if (!q || q->writing) {
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "resync reply %llu was not asked for",
                                (unsigned long long) d->id);
                return -EPROTO;
        }
        if (q->conflict || q->offset != d->offset || q->length != d->length || q->volume != pk->volume) {
                /* An application write overlapped it: ask again later. */
                uint32_t vol = q->volume;
                free(take_request(p, d->id));
                request_more(p, vol);
                return 1;
        }
        v = p->r->volumes[q->volume];
        x = peer_rx_write_new(p, d);
        if (!x)
                return -ENOMEM;
        q->writing = true;
        x->resync = true;
        x->request_id = d->id;
        x->vr.type = d->data_len ? VREQ_WRITE : VREQ_ZERO;
        x->vr.done = on_rs_written;
        x->vr.userdata = x;
        p->io_refs++;
        volume_submit(v, &x->vr);
        return 1;
}

void peer_sync_on_app_write(struct peer *p, uint32_t volume, uint64_t offset, uint32_t length) {
        /* Only requests still waiting for their data: one being written is
         * ahead of this write on the volume and is overwritten by it. */
        for (struct rs_request *q = p->rs_head; q; q = q->next)
                if (!q->writing && q->volume == volume && q->offset < offset + length &&
                    offset < q->offset + q->length)
                        q->conflict = true;
}

static int handle_bitmap(struct peer *p, const struct wire_packet *pk) {
        struct volume *v = pk->volume < p->r->n_volumes ? p->r->volumes[pk->volume] : NULL;
        struct peer_volume *pv = &p->vol[pk->volume < p->n_volumes ? pk->volume : 0];
        struct wire_bitmap_iter it;
        uint64_t start, count;
        bool set;

        if (!v || pk->bitmap.bit_offset + pk->bitmap.bit_count > bitmap_size(v->oos)) {
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "bitmap chunk beyond volume %u",
                                pk->volume);
                return -EPROTO;
        }
        wire_bitmap_iter_init(&it, &pk->bitmap);
        while (wire_bitmap_iter_next(&it, &start, &count, &set))
                if (set)
                        bitmap_set_range(v->oos, start, count);
        if (pk->bitmap.flags & WIRE_BITMAP_LAST) {
                pv->bitmap_received = true;
                persist_bitmap(v);
                if (pv->sync_total < bitmap_count(v->oos))
                        pv->sync_total = bitmap_count(v->oos);
                log_info("%s: bitmaps exchanged: %llu KiB to resync", v->name,
                         (unsigned long long) bitmap_count(v->oos) * 4);
                request_more(p, pk->volume);
        }
        return 1;
}

/* ---- SyncSource ---- */

static void on_rs_read(struct vreq *vr, int error) {
        struct rs_serve *s = vr->userdata;
        struct peer *p = s->p;

        if (!p->dying && s->gen == p->gen && live(p)) {
                struct conn *c = p->c;
                size_t before = c->out.len;
                if (error < 0) {
                        struct wire_block b = { .id = s->id, .offset = vr->offset, .length = vr->length,
                                                .code = WIRE_RS_CANCEL_IO_ERROR };
                        log_error("%s: reading for resync at %llu failed: %s", vr->v->name,
                                  (unsigned long long) vr->offset, strerror(-error));
                        (void) wire_block_encode(&c->out, WIRE_P_RS_CANCEL, (uint16_t) s->volume, &b);
                } else {
                        struct wire_data d = { .id = s->id, .offset = vr->offset, .length = vr->length,
                                               .data = s->buf, .data_len = vr->length };
                        if (s->volume < p->n_volumes)
                                p->vol[s->volume].resynced_bytes += vr->length;
                        (void) wire_data_encode(&c->out, WIRE_P_RS_DATA_REPLY, (uint16_t) s->volume, &d);
                }
                c->out_queued += c->out.len - before;
                peer_conn_queue(c);
        }
        if (!p->dying)
                p->rs_serving--;
        free(s->buf);
        free(s);
        (void) peer_io_unref(p);
}

static int handle_rs_request(struct peer *p, const struct wire_packet *pk) {
        const struct wire_digest_block *b = &pk->digest_block;
        struct volume *v = pk->volume < p->r->n_volumes ? p->r->volumes[pk->volume] : NULL;
        struct rs_serve *s;

        if (!v || b->offset + b->length > v->size || b->length == 0 || b->length > RS_MAX_REQUEST) {
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "bad resync request on volume %u",
                                pk->volume);
                return -EPROTO;
        }
        s = calloc(1, sizeof(*s));
        if (!s || posix_memalign(&s->buf, 4096, b->length) != 0) {
                free(s);
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_INTERNAL, "out of memory");
                return -ENOMEM;
        }
        s->p = p;
        s->gen = p->gen;
        s->volume = pk->volume;
        s->id = b->id;
        s->vr.type = VREQ_READ;
        s->vr.ordered = true;   /* after writes in flight to the same blocks */
        s->vr.offset = b->offset;
        s->vr.length = b->length;
        s->vr.data = s->buf;
        s->vr.done = on_rs_read;
        s->vr.userdata = s;
        p->io_refs++;
        p->rs_serving++;
        volume_submit(v, &s->vr);
        return 1;
}

static void finish_source(struct peer *p, uint32_t volume) {
        struct volume *v = p->r->volumes[volume];
        struct peer_volume *pv = &p->vol[volume];
        struct disk_uuids u;

        volume_get_uuids(v, &u);
        uuid_finish_sync_source(&u);
        volume_set_uuids(v, &u);
        v->sb.flags &= ~META_F_CRASHED_PRIMARY;
        bitmap_clear_range(v->oos, 0, bitmap_size(v->oos));
        persist_bitmap(v);
        persist_super(v);
        pv->repl = REPL_ESTABLISHED;
        log_notice("%s: resync finished: the peer is UpToDate", v->name);
        peer_send_uuids(p, volume);
        peer_send_volume_state(p, volume);
}

int peer_sync_handle(struct peer *p, const struct wire_packet *pk) {
        uint32_t vol = pk->volume;

        switch (pk->type) {
        case WIRE_P_BITMAP:
                return handle_bitmap(p, pk);
        case WIRE_P_RS_DATA_REQUEST:
                return handle_rs_request(p, pk);
        case WIRE_P_RS_DATA_REPLY:
                return handle_rs_reply(p, pk);
        case WIRE_P_RS_CANCEL: {
                struct rs_request *q = take_request(p, pk->block.id);
                log_warning("%s: the peer could not read %u bytes at %llu for the resync", p->r->name,
                            pk->block.length, (unsigned long long) pk->block.offset);
                free(q);
                return 1;
        }
        case WIRE_P_RS_IS_IN_SYNC: {
                struct volume *v = vol < p->r->n_volumes ? p->r->volumes[vol] : NULL;
                if (v)
                        bitmap_clear_bytes(v->oos, pk->block.offset, pk->block.length);
                return 1;
        }
        case WIRE_P_UUIDS:
                if (pk->uuids.flags & WIRE_UUID_SKIP_INITIAL_SYNC) {
                        peer_admin_skip_initial_sync(p, vol, &pk->uuids);
                        return 1;
                }
                /* The SyncSource's new bitmap identifier is our sync
                 * identifier: take it as current. */
                if (vol < p->n_volumes && p->vol[vol].repl == REPL_SYNC_TARGET && p->r->volumes[vol]) {
                        struct volume *v = p->r->volumes[vol];
                        struct disk_uuids u;
                        volume_get_uuids(v, &u);
                        if (pk->uuids.bitmap && u.current != pk->uuids.bitmap) {
                                uuid_start_sync_target(&u, pk->uuids.bitmap);
                                volume_set_uuids(v, &u);
                                persist_super(v);
                        }
                }
                return 1;
        case WIRE_P_STATE:
                if (vol >= p->n_volumes || !p->r->volumes[vol])
                        return 1;
                if (p->vol[vol].repl == REPL_SYNC_SOURCE &&
                    pk->state.disk == WIRE_DISK_UP_TO_DATE && pk->state.repl == WIRE_REPL_ESTABLISHED)
                        finish_source(p, vol);
                else if (p->vol[vol].repl == REPL_ESTABLISHED && pk->state.repl == WIRE_REPL_SYNC_TARGET) {
                        /* The peer invalidated itself: serve it. */
                        log_info("%s: the peer asks for a full resync: becoming SyncSource", p->r->volumes[vol]->name);
                        peer_sync_start(p, vol, UUID_SOURCE_BITMAP);
                } else if (p->vol[vol].repl == REPL_ESTABLISHED && pk->state.repl == WIRE_REPL_SYNC_SOURCE) {
                        /* The peer started a resync on an established
                         * connection (a forced promotion): follow it —
                         * unless we are Primary, whose data is in use. */
                        if (p->r->role == ROLE_PRIMARY) {
                                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL,
                                                "%s: the peer wants to resync onto a Primary",
                                                p->r->volumes[vol]->name);
                                return -EPROTO;
                        }
                        log_info("%s: the peer starts a resync: becoming SyncTarget", p->r->volumes[vol]->name);
                        peer_sync_start(p, vol, UUID_TARGET_BITMAP);
                }
                return 1;
        }
        return 0;
}

void peer_sync_abort(struct peer *p) {
        struct rs_request *q;

        while ((q = p->rs_head)) {
                p->rs_head = q->next;
                free(q);
        }
        p->rs_bytes_in_flight = 0;
        peer_rate_stop(p);
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct volume *v = p->r->volumes[i];
                if (v && (p->vol[i].repl == REPL_SYNC_SOURCE || p->vol[i].repl == REPL_SYNC_TARGET)) {
                        /* Keep what is left for the next connection. */
                        persist_bitmap(v);
                        log_warning("%s: resync interrupted with %llu KiB left", v->name,
                                    (unsigned long long) bitmap_count(v->oos) * 4);
                }
                p->vol[i].bitmap_sent = p->vol[i].bitmap_received = false;
        }
}

void peer_resync_after_promote(struct peer *p) {
        if (!live(p))
                return;
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct volume *v = p->r->volumes[i];
                if (v && v->disk == VOL_UPTODATE && p->vol[i].repl == REPL_ESTABLISHED &&
                    p->vol[i].have_state && p->vol[i].state.disk == WIRE_DISK_INCONSISTENT) {
                        log_notice("%s: the peer is Inconsistent: full sync from here", v->name);
                        peer_sync_start(p, i, UUID_SOURCE_FULL);
                }
        }
}
