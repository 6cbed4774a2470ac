/* peer_verify.c: online verify (`tandem disk verify`), as DRBD does it.
 * The node that starts it is VerifySource: it asks for a digest of every
 * 4 KiB block (OV_REQUEST), the VerifyTarget reads the block and answers
 * with its digest under verify-alg (OV_REPLY), the source reads its own
 * copy, compares, and tells the result (OV_RESULT). Blocks that differ
 * are logged, marked out of sync on both sides and counted; the
 * out-of-sync handler runs at the end when any were found. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "handler.h"
#include "log.h"
#include "peer_internal.h"

#define OV_BLOCK 4096u
#define OV_WINDOW 256u          /* requests in flight */

/* A block being read here: for our own comparison (source) or to answer
 * the peer (target). */
struct ov_read {
        struct peer *p;
        uint64_t gen;
        uint32_t volume;
        uint64_t id;
        bool source;
        struct wire_digest_block peer_digest;   /* source: what the target sent */
        struct vreq vr;
        void *buf;
};

static struct conn *live(struct peer *p) {
        return p->c && p->c->phase == PHASE_ESTABLISHED ? p->c : NULL;
}

static enum wire_digest_alg verify_alg(const struct peer *p) {
        const char *name = p->r->cfg->net.verify_alg;
        int a = name ? wire_digest_alg_from_name(name) : -EINVAL;
        return a > 0 ? (enum wire_digest_alg) a : WIRE_DIGEST_NONE;
}

static void request_more(struct peer *p, uint32_t volume);

static void finish(struct peer *p, uint32_t volume) {
        struct peer_volume *pv = &p->vol[volume];
        struct volume *v = p->r->volumes[volume];

        pv->repl = REPL_ESTABLISHED;
        log_notice("%s: online verify done: %llu of %llu blocks checked, %llu out of sync (%llu KiB)", v->name,
                   (unsigned long long) pv->ov_done, (unsigned long long) pv->ov_total,
                   (unsigned long long) pv->ov_out_of_sync, (unsigned long long) pv->ov_out_of_sync * 4);
        pv->ov_finished = true;
        if (pv->ov_out_of_sync > 0) {
                (void) meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos);
                (void) handler_run(p->r, "out-of-sync", (int) volume);
        }
        peer_send_volume_state(p, volume);
        resource_peer_state_changed(p->r);
}

static void found_out_of_sync(struct peer *p, uint32_t volume, uint64_t offset, uint32_t length) {
        struct volume *v = p->r->volumes[volume];

        p->vol[volume].ov_out_of_sync += (length + OV_BLOCK - 1) / OV_BLOCK;
        (void) bitmap_mark_bytes(v->oos, offset, length);
        log_warning("%s: online verify: block %llu (offset %llu, %u bytes) is out of sync", v->name,
                    (unsigned long long) (offset / OV_BLOCK), (unsigned long long) offset, length);
}

static void on_read(struct vreq *vr, int error) {
        struct ov_read *o = vr->userdata;
        struct peer *p = o->p;
        uint8_t digest[WIRE_DIGEST_MAX];
        enum wire_digest_alg alg = verify_alg(p);
        int n = error < 0 ? error : disk_digest(alg, o->buf, vr->length, digest);

        if (!p->dying && o->gen == p->gen && live(p)) {
                if (o->source) {
                        struct peer_volume *pv = &p->vol[o->volume];
                        bool same = n > 0 && o->peer_digest.alg == alg && o->peer_digest.digest_len == (size_t) n &&
                                    memcmp(o->peer_digest.digest, digest, (size_t) n) == 0;
                        uint32_t code = n < 0 || o->peer_digest.digest_len == 0 ? WIRE_OV_IO_ERROR
                                        : same ? WIRE_OV_IN_SYNC : WIRE_OV_OUT_OF_SYNC;
                        if (code == WIRE_OV_IO_ERROR)
                                log_error("%s: online verify: block at %llu could not be read on %s",
                                          vr->v->name, (unsigned long long) vr->offset,
                                          n < 0 ? "this node" : p->r->peer_host->name);
                        if (code != WIRE_OV_IN_SYNC)
                                found_out_of_sync(p, o->volume, vr->offset, vr->length);
                        peer_send_block(p, WIRE_P_OV_RESULT, o->volume, o->id, vr->offset, vr->length, code);
                        pv->ov_done++;
                        pv->ov_in_flight--;
                        request_more(p, o->volume);
                } else {
                        struct conn *c = p->c;
                        struct wire_digest_block b = { .id = o->id, .offset = vr->offset, .length = vr->length,
                                                       .alg = alg };
                        size_t before = c->out.len;
                        if (n > 0) {
                                memcpy(b.digest, digest, (size_t) n);
                                b.digest_len = (size_t) n;
                        } else
                                log_error("%s: online verify: cannot read or digest block at %llu: %s",
                                          vr->v->name, (unsigned long long) vr->offset, strerror(-n));
                        /* A reply without a digest (length 0) says "could not read". */
                        if (wire_digest_block_encode(&c->out, WIRE_P_OV_REPLY, (uint16_t) o->volume, &b) >= 0)
                                peer_conn_queued(c, before);
                        peer_conn_queue(c);
                }
        }
        free(o->buf);
        free(o);
        (void) peer_io_unref(p);
}

static int submit_read(struct peer *p, uint32_t volume, uint64_t id, uint64_t offset, uint32_t length,
                       const struct wire_digest_block *peer_digest) {
        struct volume *v = p->r->volumes[volume];
        struct ov_read *o = calloc(1, sizeof(*o));

        if (!o || posix_memalign(&o->buf, 4096, length) != 0) {
                free(o);
                return -ENOMEM;
        }
        o->p = p;
        o->gen = p->gen;
        o->volume = volume;
        o->id = id;
        o->source = peer_digest != NULL;
        if (peer_digest)
                o->peer_digest = *peer_digest;
        o->vr.type = VREQ_READ;
        o->vr.ordered = true;   /* after writes in flight to the same blocks */
        o->vr.offset = offset;
        o->vr.length = length;
        o->vr.data = o->buf;
        o->vr.done = on_read;
        o->vr.userdata = o;
        p->io_refs++;
        volume_submit(v, &o->vr);
        return 0;
}

static void request_more(struct peer *p, uint32_t volume) {
        struct peer_volume *pv = &p->vol[volume];
        struct volume *v = p->r->volumes[volume];

        if (pv->repl != REPL_VERIFY_SOURCE)
                return;
        while (pv->ov_in_flight < OV_WINDOW && pv->ov_cursor < v->size) {
                uint32_t length = (uint32_t) (v->size - pv->ov_cursor < OV_BLOCK ? v->size - pv->ov_cursor : OV_BLOCK);
                peer_send_block(p, WIRE_P_OV_REQUEST, volume, pv->ov_cursor / OV_BLOCK, pv->ov_cursor, length, 0);
                pv->ov_cursor += length;
                pv->ov_in_flight++;
        }
        if (pv->ov_in_flight == 0 && pv->ov_cursor >= v->size)
                finish(p, volume);
}

int peer_verify_start(struct peer *p, char *err, size_t err_size) {
        if (!live(p)) {
                snprintf(err, err_size, "%s: verify needs a connection to %s", p->r->name, p->r->peer_host->name);
                return -ENOTCONN;
        }
        if (verify_alg(p) == WIRE_DIGEST_NONE) {
                snprintf(err, err_size, "%s: verify-alg is not set in the net section (e.g. verify-alg sha256;)",
                         p->r->name);
                return -EINVAL;
        }
        for (uint32_t i = 0; i < p->n_volumes; i++)
                if (p->vol[i].repl != REPL_ESTABLISHED) {
                        snprintf(err, err_size, "%s: cannot verify during %s", p->r->name,
                                 res_repl_name(p->vol[i].repl));
                        return -EBUSY;
                }
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct peer_volume *pv = &p->vol[i];
                struct volume *v = p->r->volumes[i];
                if (!v)
                        continue;
                pv->repl = REPL_VERIFY_SOURCE;
                pv->ov_cursor = 0;
                pv->ov_in_flight = 0;
                pv->ov_done = 0;
                pv->ov_out_of_sync = 0;
                pv->ov_finished = false;
                pv->ov_total = (v->size + OV_BLOCK - 1) / OV_BLOCK;
                log_notice("%s: online verify starts (%s, %llu blocks)", v->name, p->r->cfg->net.verify_alg,
                           (unsigned long long) pv->ov_total);
                peer_send_volume_state(p, i);
                request_more(p, i);
        }
        resource_peer_state_changed(p->r);
        return 0;
}

void peer_verify_progress(const struct peer *p, uint32_t volume, uint64_t *ret_done, uint64_t *ret_total,
                          uint64_t *ret_out_of_sync) {
        const struct peer_volume *pv = &p->vol[volume];
        *ret_done = pv->ov_done;
        *ret_total = pv->ov_total;
        *ret_out_of_sync = pv->ov_out_of_sync;
}

static bool request_ok(struct peer *p, const struct wire_packet *pk, uint64_t offset, uint32_t length) {
        struct volume *v = pk->volume < p->r->n_volumes ? p->r->volumes[pk->volume] : NULL;

        if (v && length > 0 && length <= OV_BLOCK && offset % 512 == 0 && offset + length <= v->size)
                return true;
        peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "%s for %u bytes at %llu on volume %u",
                        wire_packet_name(pk->type), length, (unsigned long long) offset, pk->volume);
        return false;
}

int peer_verify_handle(struct peer *p, const struct wire_packet *pk) {
        struct peer_volume *pv = pk->volume < p->n_volumes ? &p->vol[pk->volume] : NULL;

        switch (pk->type) {
        case WIRE_P_OV_REQUEST:
                if (!request_ok(p, pk, pk->block.offset, pk->block.length))
                        return -EPROTO;
                if (pv->repl == REPL_ESTABLISHED) {
                        pv->repl = REPL_VERIFY_TARGET;
                        pv->ov_done = pv->ov_out_of_sync = 0;
                        pv->ov_total = (p->r->volumes[pk->volume]->size + OV_BLOCK - 1) / OV_BLOCK;
                        pv->ov_finished = false;
                        log_notice("%s: online verify started by %s", p->r->volumes[pk->volume]->name,
                                   p->r->peer_host->name);
                        resource_peer_state_changed(p->r);
                }
                if (submit_read(p, pk->volume, pk->block.id, pk->block.offset, pk->block.length, NULL) < 0) {
                        peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_INTERNAL, "out of memory");
                        return -ENOMEM;
                }
                return 1;
        case WIRE_P_OV_REPLY:
                if (!request_ok(p, pk, pk->digest_block.offset, pk->digest_block.length))
                        return -EPROTO;
                if (pv->repl != REPL_VERIFY_SOURCE || pv->ov_in_flight == 0) {
                        peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "OV_REPLY without a request");
                        return -EPROTO;
                }
                if (submit_read(p, pk->volume, pk->digest_block.id, pk->digest_block.offset,
                                pk->digest_block.length, &pk->digest_block) < 0) {
                        peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_INTERNAL, "out of memory");
                        return -ENOMEM;
                }
                return 1;
        case WIRE_P_OV_RESULT:
                if (!request_ok(p, pk, pk->block.offset, pk->block.length))
                        return -EPROTO;
                if (pv->repl == REPL_VERIFY_TARGET) {
                        pv->ov_done++;
                        if (pk->block.code != WIRE_OV_IN_SYNC)
                                found_out_of_sync(p, pk->volume, pk->block.offset, pk->block.length);
                }
                return 1;
        case WIRE_P_STATE:
                /* The source says it is done. */
                if (pv && pv->repl == REPL_VERIFY_TARGET && pk->state.repl == WIRE_REPL_ESTABLISHED) {
                        struct volume *v = p->r->volumes[pk->volume];
                        pv->repl = REPL_ESTABLISHED;
                        pv->ov_finished = true;
                        log_notice("%s: online verify by %s done: %llu blocks out of sync", v->name,
                                   p->r->peer_host->name, (unsigned long long) pv->ov_out_of_sync);
                        if (pv->ov_out_of_sync > 0)
                                (void) meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos);
                        resource_peer_state_changed(p->r);
                }
                return 0;
        default:
                return 0;
        }
}

void peer_verify_abort(struct peer *p) {
        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct peer_volume *pv = &p->vol[i];
                if (pv->repl == REPL_VERIFY_SOURCE || pv->repl == REPL_VERIFY_TARGET)
                        log_warning("%s: online verify interrupted after %llu of %llu blocks",
                                    p->r->volumes[i] ? p->r->volumes[i]->name : p->r->name,
                                    (unsigned long long) pv->ov_done, (unsigned long long) pv->ov_total);
                pv->ov_in_flight = 0;
        }
}
