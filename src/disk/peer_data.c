/* peer_data.c: the replicated data path between the peers: our writes as
 * DATA packets and their acks per protocol (A: sent, B: RECV_ACK, C:
 * WRITE_ACK), barriers for FLUSH, and on the other side applying the
 * peer's writes in order, acking them, and answering barriers once every
 * earlier write is durable. docs/wire-protocol.md has the packets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peer_internal.h"

static struct conn *live(struct peer *p) {
        return p->c && p->c->phase == PHASE_ESTABLISHED ? p->c : NULL;
}

static enum disk_protocol protocol(const struct peer *p) {
        return p->r->cfg->net.protocol;
}

/* ---- our writes ---- */

bool peer_submit_write(struct peer *p, struct peer_write *w) {
        struct conn *c = live(p);
        struct wire_data d = { 0 };
        size_t before;

        if (!c)
                return false;
        d.id = p->next_seq;
        d.offset = w->offset;
        d.length = w->length;
        d.epoch = p->epoch;
        if (w->fua)
                d.flags |= WIRE_DATA_FUA;
        if (w->kind == PEER_WRITE_TRIM)
                d.flags |= WIRE_DATA_TRIM;
        else if (w->kind == PEER_WRITE_ZERO)
                d.flags |= WIRE_DATA_WRITE_ZEROES | WIRE_DATA_NO_UNMAP;
        else {
                d.data = w->data;
                d.data_len = w->length;
        }
        before = c->out.len;
        if (wire_data_encode(&c->out, WIRE_P_DATA, (uint16_t) w->volume, &d) < 0) {
                log_error("%s: cannot encode a write of %u bytes at %llu", p->r->name, w->length,
                          (unsigned long long) w->offset);
                return false;
        }
        c->out_queued += c->out.len - before;
        w->seq = p->next_seq++;
        w->sent_mark = c->out_queued;
        w->acked_done = false;
        w->next = NULL;
        if (p->tx_tail)
                p->tx_tail->next = w;
        else
                p->tx_head = w;
        p->tx_tail = w;
        p->epoch_writes++;
        peer_conn_queue(c);
        return true;
}

static void write_acked(struct peer_write *w, int error) {
        if (w->acked_done)
                return;
        w->acked_done = true;
        w->acked(w, error);
}

/* Remove w from the list (prev is its predecessor or NULL). */
static void tx_unlink(struct peer *p, struct peer_write *prev, struct peer_write *w) {
        if (prev)
                prev->next = w->next;
        else
                p->tx_head = w->next;
        if (p->tx_tail == w)
                p->tx_tail = prev;
}

void peer_data_on_sent(struct peer *p) {
        if (protocol(p) != DISK_PROTOCOL_A || !p->c)
                return;
        for (struct peer_write *w = p->tx_head, *next; w; w = next) {
                next = w->next;
                if (w->sent_mark > p->c->out_sent)
                        break;
                write_acked(w, 0);
        }
}

static int handle_ack(struct peer *p, const struct wire_packet *pk) {
        struct peer_write *prev = NULL, *w;

        for (w = p->tx_head; w; prev = w, w = w->next)
                if (w->seq == pk->block.id)
                        break;
        if (!w) {
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "%s for unknown write %llu",
                                wire_packet_name(pk->type), (unsigned long long) pk->block.id);
                return -EPROTO;
        }
        switch (pk->type) {
        case WIRE_P_RECV_ACK:
                if (protocol(p) == DISK_PROTOCOL_B)
                        write_acked(w, 0);
                return 1;
        case WIRE_P_WRITE_ACK:
                tx_unlink(p, prev, w);
                write_acked(w, 0);
                w->written(w, 0);
                return 1;
        default: /* NEG_ACK */
                log_error("%s: the peer failed to write %u bytes at %llu", p->r->name, w->length,
                          (unsigned long long) w->offset);
                tx_unlink(p, prev, w);
                write_acked(w, -EIO);
                w->written(w, -EIO);
                return 1;
        }
}

bool peer_submit_flush(struct peer *p, struct peer_flush *f) {
        struct conn *c = live(p);
        struct wire_barrier b;
        size_t before;

        if (!c)
                return false;
        b.epoch = p->epoch;
        b.writes = p->epoch_writes;
        before = c->out.len;
        if (wire_barrier_encode(&c->out, WIRE_P_BARRIER, &b) < 0)
                return false;
        c->out_queued += c->out.len - before;
        f->epoch = p->epoch++;
        p->epoch_writes = 0;
        f->next = NULL;
        if (p->flush_tail)
                p->flush_tail->next = f;
        else
                p->flush_head = f;
        p->flush_tail = f;
        peer_conn_queue(c);
        return true;
}

static int handle_barrier_ack(struct peer *p, const struct wire_barrier *b) {
        struct peer_flush *f;

        while ((f = p->flush_head) && (int32_t) (f->epoch - b->epoch) <= 0) {
                p->flush_head = f->next;
                if (!p->flush_head)
                        p->flush_tail = NULL;
                f->done(f, 0);
        }
        return 1;
}

/* ---- the peer's writes ---- */

void peer_send_block(struct peer *p, uint16_t type, uint32_t volume, uint64_t id, uint64_t offset,
                       uint32_t length, uint32_t code) {
        struct conn *c = live(p);
        struct wire_block b = { .id = id, .offset = offset, .length = length, .code = code };
        size_t before;

        if (!c)
                return;
        before = c->out.len;
        if (wire_block_encode(&c->out, type, (uint16_t) volume, &b) >= 0)
                c->out_queued += c->out.len - before;
        peer_conn_queue(c);
}

static void check_barriers(struct peer *p);

static void on_barrier_flushed(struct io_req *io, int result) {
        struct rx_barrier *b = io->userdata;
        struct peer *p = b->p;

        if (result < 0)
                log_error("%s: flush for the peer's barrier failed: %s", p->r->name, strerror(-result));
        else if (!p->dying && live(p)) {
                struct wire_barrier ack = b->b;
                size_t before = p->c->out.len;
                if (wire_barrier_encode(&p->c->out, WIRE_P_BARRIER_ACK, &ack) >= 0)
                        p->c->out_queued += p->c->out.len - before;
                peer_conn_queue(p->c);
        }
        if (!p->dying && p->barriers == b) {
                p->barriers = b->next;
                free(b);
                if (!peer_io_unref(p))
                        check_barriers(p);
                return;
        }
        free(b);
        (void) peer_io_unref(p);
}

/* Answer the oldest barrier once every write before it is done. */
static void check_barriers(struct peer *p) {
        struct rx_barrier *b = p->barriers;
        struct volume *v = p->r->n_volumes ? p->r->volumes[0] : NULL;

        if (!b || b->flushing)
                return;
        if (p->rx_head && p->rx_head->seq <= b->last_seq)
                return;
        b->flushing = true;
        p->io_refs++;
        b->io.done = on_barrier_flushed;
        b->io.userdata = b;
        /* One fsync per backing store makes every completed write durable. */
        if (v)
                io_fsync(p->r->env->ring, &b->io, v->backing->fd);
        else
                on_barrier_flushed(&b->io, 0);
}

static void rx_unlink(struct peer *p, struct rx_write *x) {
        struct rx_write **pp = &p->rx_head, *prev = NULL;
        for (; *pp; prev = *pp, pp = &(*pp)->next)
                if (*pp == x) {
                        *pp = x->next;
                        if (p->rx_tail == x)
                                p->rx_tail = prev;
                        return;
                }
}

static void on_rx_written(struct vreq *vr, int error) {
        struct rx_write *x = vr->userdata;
        struct peer *p = x->p;
        uint32_t vol = vr->v->number;

        if (!p->dying && x->gen == p->gen) {
                rx_unlink(p, x);
                if (error < 0) {
                        log_error("%s: writing the peer's data at %llu failed: %s", vr->v->name,
                                  (unsigned long long) vr->offset, strerror(-error));
                        peer_send_block(p, WIRE_P_NEG_ACK, vol, x->seq, vr->offset, vr->length, WIRE_NEG_IO_ERROR);
                } else {
                        peer_send_block(p, WIRE_P_WRITE_ACK, vol, x->seq, vr->offset, vr->length, 0);
                        /* An application write makes its blocks equal on
                         * both sides: they are in sync now. */
                        bitmap_clear_bytes(vr->v->oos, vr->offset, vr->length);
                }
                volume_settle(vr->v, vr);
                check_barriers(p);
        } else if (!error)
                volume_settle(vr->v, vr);
        free(x->buf);
        free(x);
        (void) peer_io_unref(p);
}

struct rx_write *peer_rx_write_new(struct peer *p, const struct wire_data *d) {
        struct rx_write *x = calloc(1, sizeof(*x));

        if (!x || (d->data_len && posix_memalign(&x->buf, 4096, d->data_len) != 0)) {
                free(x);
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_INTERNAL, "out of memory");
                return NULL;
        }
        /* The payload lives in the receive buffer: copy it out, aligned
         * for O_DIRECT. */
        if (d->data_len)
                memcpy(x->buf, d->data, d->data_len);
        x->p = p;
        x->gen = p->gen;
        x->vr.offset = d->offset;
        x->vr.length = d->length;
        x->vr.data = x->buf;
        return x;
}

static int handle_data(struct peer *p, const struct wire_packet *pk) {
        const struct wire_data *d = &pk->data;
        struct volume *v = pk->volume < p->r->n_volumes ? p->r->volumes[pk->volume] : NULL;
        struct rx_write *x;

        if (p->r->role == ROLE_PRIMARY && !p->r->cfg->net.allow_two_primaries) {
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL,
                                "received a write while Primary (two primaries are not allowed)");
                return -EPROTO;
        }
        if (!v || d->offset + d->length > v->size) {
                peer_send_block(p, WIRE_P_NEG_ACK, pk->volume, d->id, d->offset, d->length, WIRE_NEG_NO_DISK);
                return 1;
        }
        if (d->id <= p->rx_last_seq) {
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "write %llu out of order (after %llu)",
                                (unsigned long long) d->id, (unsigned long long) p->rx_last_seq);
                return -EPROTO;
        }
        x = peer_rx_write_new(p, d);
        if (!x)
                return -ENOMEM;
        x->seq = d->id;
        p->rx_last_seq = d->id;
        x->vr.fua = d->flags & WIRE_DATA_FUA;
        if (d->flags & (WIRE_DATA_TRIM | WIRE_DATA_WRITE_ZEROES)) {
                x->vr.type = VREQ_ZERO;
                x->vr.punch = !(d->flags & WIRE_DATA_NO_UNMAP);
        } else
                x->vr.type = VREQ_WRITE;
        x->vr.done = on_rx_written;
        x->vr.userdata = x;
        if (p->rx_tail)
                p->rx_tail->next = x;
        else
                p->rx_head = x;
        p->rx_tail = x;
        p->io_refs++;
        if (protocol(p) == DISK_PROTOCOL_B)
                peer_send_block(p, WIRE_P_RECV_ACK, pk->volume, d->id, d->offset, d->length, 0);
        peer_sync_on_app_write(p, pk->volume, d->offset, d->length);
        volume_submit(v, &x->vr);
        return 1;
}

static int handle_barrier(struct peer *p, const struct wire_barrier *wb) {
        struct rx_barrier *b = calloc(1, sizeof(*b)), **pp;

        if (!b) {
                peer_close_with(p, p->c, WIRE_P_ERROR, WIRE_REASON_INTERNAL, "out of memory");
                return -ENOMEM;
        }
        b->b = *wb;
        b->p = p;
        b->last_seq = p->rx_last_seq;
        for (pp = &p->barriers; *pp; pp = &(*pp)->next)
                ;
        *pp = b;
        check_barriers(p);
        return 1;
}

int peer_data_handle(struct peer *p, const struct wire_packet *pk) {
        switch (pk->type) {
        case WIRE_P_DATA:
                return handle_data(p, pk);
        case WIRE_P_RECV_ACK:
        case WIRE_P_WRITE_ACK:
        case WIRE_P_NEG_ACK:
                return handle_ack(p, pk);
        case WIRE_P_BARRIER:
                return handle_barrier(p, &pk->barrier);
        case WIRE_P_BARRIER_ACK:
                return handle_barrier_ack(p, &pk->barrier);
        }
        return 0;
}

void peer_data_abort(struct peer *p) {
        struct peer_write *w;
        struct peer_flush *f;
        struct rx_barrier *b;

        while ((w = p->tx_head)) {
                p->tx_head = w->next;
                if (!p->tx_head)
                        p->tx_tail = NULL;
                write_acked(w, -ECONNABORTED);
                w->written(w, -ECONNABORTED);
        }
        while ((f = p->flush_head)) {
                p->flush_head = f->next;
                if (!p->flush_head)
                        p->flush_tail = NULL;
                f->done(f, -ECONNABORTED);
        }
        /* Barriers waiting for writes are dropped; one whose flush is in
         * flight is freed by its completion. */
        while ((b = p->barriers)) {
                p->barriers = b->next;
                if (!b->flushing)
                        free(b);
        }
        /* Writes of the peer still in flight finish locally; their acks
         * have nowhere to go. */
        p->rx_head = p->rx_tail = NULL;
        p->gen++;
        p->rx_last_seq = 0;
        p->next_seq = 1;
        p->epoch = 1;
        p->epoch_writes = 0;
}
