/* volume.c: the local side of a replicated volume (see volume.h): attach
 * and detach, write ordering, write-intent bits, out-of-sync marks and the
 * IO itself through io_uring. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "volume.h"

/* Write-intent chunks stay hot this many timer ticks after their last
 * write settled: rewriting a page for every write to a busy chunk would
 * cost a synchronous metadata write per application write. */
#define WI_TICK_USEC (2 * 1000 * 1000ULL)
#define WI_COOL_TICKS 2
#define ZERO_BUF_SIZE (1024 * 1024)

/* Someone waiting for a bitmap page write to land. One waiter may wait
 * for several pages, so each wait is a node of its own. */
struct page_waiter {
        void (*landed)(void *ctx, int error);
        void *ctx;
        struct page_waiter *next;
};

/* One on-disk page of a bitmap being written, with who waits for it. */
struct wi_page_write {
        struct volume *v;
        enum meta_region region;
        uint64_t page;
        bool in_flight;
        bool again;                         /* changed after it was encoded: write once more */
        struct page_waiter *waiters;        /* woken when the write in flight lands */
        struct page_waiter *next_waiters;   /* need the next write */
        uint8_t *buf;
        struct io_req io;
        struct wi_page_write *next;
};

/* Someone waiting for out-of-sync marks to be durable. */
struct oos_waiter {
        void (*done)(void *userdata, int error);
        void *userdata;
        unsigned pages;             /* page writes still to land */
        int error;
};

const char *vol_disk_state_name(enum vol_disk_state s) {
        switch (s) {
        case VOL_DISKLESS: return "Diskless";
        case VOL_ATTACHING: return "Attaching";
        case VOL_FAILED: return "Failed";
        case VOL_INCONSISTENT: return "Inconsistent";
        case VOL_OUTDATED: return "Outdated";
        case VOL_CONSISTENT: return "Consistent";
        case VOL_UPTODATE: return "UpToDate";
        }
        return "?";
}

uint64_t volume_random_uuid(void) {
        uint64_t v = 0;
        while (v <= UUID_JUST_CREATED)
                if (getrandom(&v, sizeof(v), 0) != sizeof(v))
                        v = (uint64_t) now_usec(CLOCK_REALTIME) * 6364136223846793005ULL;
        return v;
}

void volume_get_uuids(const struct volume *v, struct disk_uuids *ret) {
        ret->current = v->sb.current_uuid;
        ret->bitmap = v->sb.bitmap_uuid;
        for (int i = 0; i < UUID_HISTORY; i++)
                ret->history[i] = v->sb.history_uuids[i];
}

void volume_set_uuids(struct volume *v, const struct disk_uuids *u) {
        v->sb.current_uuid = u->current;
        v->sb.bitmap_uuid = u->bitmap;
        for (int i = 0; i < UUID_HISTORY; i++)
                v->sb.history_uuids[i] = u->history[i];
}

int volume_write_super(struct volume *v, char *err, size_t err_size) {
        return meta_write_super(v->md, &v->sb, err, err_size);
}

unsigned volume_inflight(const struct volume *v) {
        unsigned n = 0;
        for (struct vreq *r = v->inflight_head; r; r = r->next)
                n++;
        return n;
}

/* ---- bitmap pages (write intent and out of sync) ---- */

static struct wi_page_write *page_write_get(struct volume *v, enum meta_region region, uint64_t page) {
        struct wi_page_write *w;

        for (w = v->wi_writes; w; w = w->next)
                if (w->region == region && w->page == page)
                        return w;
        w = calloc(1, sizeof(*w));
        if (!w)
                return NULL;
        if (posix_memalign((void **) &w->buf, 4096, BITMAP_PAGE_SIZE) != 0) {
                free(w);
                return NULL;
        }
        w->v = v;
        w->region = region;
        w->page = page;
        w->next = v->wi_writes;
        v->wi_writes = w;
        return w;
}

static void page_write_start(struct wi_page_write *w);
static void vreq_continue(struct vreq *r);

static void oos_waiter_landed(void *ctx, int error) {
        struct oos_waiter *o = ctx;
        if (error && !o->error)
                o->error = error;
        if (--o->pages == 0) {
                o->done(o->userdata, o->error);
                free(o);
        }
}

static void vreq_wi_landed(void *ctx, int error) {
        struct vreq *r = ctx;
        if (error && !r->error)
                r->error = error;
        if (--r->wi_waits == 0)
                vreq_continue(r);
}

static void on_page_written(struct io_req *io, int result) {
        struct wi_page_write *w = io->userdata;
        struct volume *v = w->v;
        struct bitmap *b = w->region == META_REGION_BITMAP ? v->oos : v->wi;
        struct page_waiter *waiters = w->waiters, *pw;

        w->in_flight = false;
        v->pending_meta--;
        if (result < 0)
                bitmap_page_mark_dirty(b, w->page);
        w->waiters = NULL;
        if (w->again || w->next_waiters) {
                w->waiters = w->next_waiters;
                w->next_waiters = NULL;
                page_write_start(w);
        }
        while ((pw = waiters)) {
                waiters = pw->next;
                pw->landed(pw->ctx, result < 0 ? result : 0);
                free(pw);
        }
}

static void page_write_start(struct wi_page_write *w) {
        struct volume *v = w->v;
        struct bitmap *b = w->region == META_REGION_BITMAP ? v->oos : v->wi;

        w->again = false;
        w->in_flight = true;
        v->pending_meta++;
        /* Encode, then clean: a change made while the write is in flight
         * makes the page dirty again and is caught by `again`. */
        bitmap_page_encode(b, w->page, w->buf);
        bitmap_page_mark_clean(b, w->page);
        w->io.done = on_page_written;
        w->io.userdata = w;
        io_write(v->ring, &w->io, v->md->fd, w->buf, BITMAP_PAGE_SIZE,
                 meta_bitmap_page_offset(&v->sb, w->region, w->page), true);
}

/* Make `page` of `region` durable; landed(ctx, error) is called once the
 * page, as changed so far, is on disk (landed may be NULL). Returns
 * -ENOMEM, else 0. */
static int page_write_request(struct volume *v, enum meta_region region, uint64_t page,
                              void (*landed)(void *ctx, int error), void *ctx) {
        struct wi_page_write *w = page_write_get(v, region, page);
        struct page_waiter *pw = NULL;

        if (!w)
                return -ENOMEM;
        if (landed) {
                pw = calloc(1, sizeof(*pw));
                if (!pw)
                        return -ENOMEM;
                pw->landed = landed;
                pw->ctx = ctx;
        }
        if (w->in_flight) {
                /* The write in flight was encoded before our change. */
                w->again = true;
                if (pw) {
                        pw->next = w->next_waiters;
                        w->next_waiters = pw;
                }
                return 0;
        }
        if (pw) {
                pw->next = w->waiters;
                w->waiters = pw;
        }
        page_write_start(w);
        return 0;
}

void volume_mark_out_of_sync(struct volume *v, uint64_t offset, uint64_t length,
                             void (*done)(void *userdata, int error), void *userdata) {
        struct oos_waiter *o = calloc(1, sizeof(*o));
        uint64_t first, last;

        if (!o) {
                done(userdata, -ENOMEM);
                return;
        }
        o->done = done;
        o->userdata = userdata;
        o->pages = 1;   /* held until every page is requested */
        if (length > 0 && bitmap_mark_bytes(v->oos, offset, length) >= 0) {
                first = offset / META_BLOCK_SIZE / BITMAP_BITS_PER_PAGE;
                last = (offset + length - 1) / META_BLOCK_SIZE / BITMAP_BITS_PER_PAGE;
                for (uint64_t p = first; p <= last; p++)
                        if (bitmap_page_is_dirty(v->oos, p)) {
                                o->pages++;
                                if (page_write_request(v, META_REGION_BITMAP, p, oos_waiter_landed, o) < 0)
                                        oos_waiter_landed(o, -ENOMEM);
                        }
        }
        oos_waiter_landed(o, 0);
}

/* ---- write ordering and write intent ---- */

static bool overlaps(const struct vreq *a, const struct vreq *b) {
        return a->offset < b->offset + b->length && b->offset < a->offset + a->length;
}

static uint64_t chunk_of(const struct volume *v, uint64_t offset) {
        return offset / v->sb.layout.wi_chunk_size;
}

/* Take write-intent references for r's chunks; queue page writes for
 * chunks that were cold. */
static void wi_prepare(struct volume *v, struct vreq *r) {
        uint64_t first = chunk_of(v, r->offset), last = chunk_of(v, r->offset + r->length - 1);

        r->hot = true;
        r->wi_waits = 1;  /* held until every page is requested */
        for (uint64_t c = first; c <= last && c < v->sb.layout.wi_bits; c++) {
                v->wi_refs[c]++;
                v->wi_idle[c] = 0;
                if (bitmap_set(v->wi, c) == 1) {
                        r->wi_waits++;
                        if (page_write_request(v, META_REGION_WRITE_INTENT, c / BITMAP_BITS_PER_PAGE,
                                               vreq_wi_landed, r) < 0)
                                vreq_wi_landed(r, -ENOMEM);
                }
        }
        vreq_wi_landed(r, 0);
}

void volume_settle(struct volume *v, struct vreq *r) {
        if (!r->hot)
                return;
        r->hot = false;
        uint64_t first = chunk_of(v, r->offset), last = chunk_of(v, r->offset + r->length - 1);
        for (uint64_t c = first; c <= last && c < v->sb.layout.wi_bits; c++) {
                if (v->wi_refs[c] > 0)
                        v->wi_refs[c]--;
                v->wi_idle[c] = 0;
        }
}

static int on_wi_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct volume *v = userdata;
        uint64_t n = bitmap_size(v->wi);
        bool changed = false;

        /* A hot chunk with no write in flight cools down over a few ticks,
         * then its bit is cleared (lazily written: a crash before that only
         * resyncs a little more). */
        for (uint64_t c = bitmap_find_next_set(v->wi, 0); c < n; c = bitmap_find_next_set(v->wi, c + 1)) {
                if (v->wi_refs[c] != 0)
                        continue;
                if (++v->wi_idle[c] >= WI_COOL_TICKS) {
                        v->wi_idle[c] = 0;
                        bitmap_clear(v->wi, c);
                        changed = true;
                }
        }
        if (changed)
                for (uint64_t p = bitmap_next_dirty_page(v->wi, 0); p < bitmap_pages(v->wi);
                     p = bitmap_next_dirty_page(v->wi, p + 1))
                        (void) page_write_request(v, META_REGION_WRITE_INTENT, p, NULL, NULL);
        (void) sd_event_source_set_time_relative(s, WI_TICK_USEC);
        return 0;
}

/* ---- the IO itself ---- */

static void vreq_finish(struct vreq *r) {
        struct volume *v = r->v;

        if (r->in_flight) {
                /* Unblock later writes that overlapped this one. */
                for (struct vreq *o = r->next; o; o = o->next)
                        if (r->type != VREQ_READ && o->blockers > 0 && overlaps(o, r) && --o->blockers == 0) {
                                if (o->type == VREQ_READ)
                                        vreq_continue(o);
                                else
                                        wi_prepare(v, o);
                        }
                if (r->prev)
                        r->prev->next = r->next;
                else
                        v->inflight_head = r->next;
                if (r->next)
                        r->next->prev = r->prev;
                else
                        v->inflight_tail = r->prev;
                r->in_flight = false;
        }
        if (r->error && r->hot)
                volume_settle(v, r);
        r->done(r, r->error);
}

static void on_io_done(struct io_req *io, int result) {
        struct vreq *r = io->userdata;
        struct volume *v = r->v;

        if (result < 0 && !r->error)
                r->error = result;
        if (r->type == VREQ_ZERO && result == -EOPNOTSUPP && r->error == -EOPNOTSUPP) {
                /* No fallocate here: fall back to writing zeros. */
                r->error = 0;
                r->punch = false;
                r->type = VREQ_WRITE;
                r->data = NULL;
                vreq_continue(r);
                return;
        }
        if (r->type == VREQ_WRITE && r->data == NULL && !r->error) {
                /* Zeros written by the fallback, one buffer at a time. */
                uint32_t step = r->length < ZERO_BUF_SIZE ? r->length : ZERO_BUF_SIZE;
                r->offset += step;
                r->length -= step;
                if (r->length > 0) {
                        vreq_continue(r);
                        return;
                }
        }
        if (result >= 0) {
                if (r->type == VREQ_READ) {
                        v->reads++;
                        v->bytes_read += r->length;
                } else if (r->type != VREQ_FLUSH) {
                        v->writes++;
                        v->bytes_written += r->length;
                }
        }
        vreq_finish(r);
}

static void *zero_buffer(void) {
        static void *zeros;
        if (!zeros && posix_memalign(&zeros, 4096, ZERO_BUF_SIZE) == 0)
                memset(zeros, 0, ZERO_BUF_SIZE);
        return zeros;
}

static void vreq_continue(struct vreq *r) {
        struct volume *v = r->v;

        if (r->error) {
                vreq_finish(r);
                return;
        }
        r->io.done = on_io_done;
        r->io.userdata = r;
        switch (r->type) {
        case VREQ_READ:
                io_read(v->ring, &r->io, v->backing->fd, r->data, r->length, r->offset);
                break;
        case VREQ_WRITE:
                if (r->data)
                        io_write(v->ring, &r->io, v->backing->fd, r->data, r->length, r->offset, r->fua);
                else {
                        void *z = zero_buffer();
                        if (!z) {
                                r->error = -ENOMEM;
                                vreq_finish(r);
                                return;
                        }
                        io_write(v->ring, &r->io, v->backing->fd, z,
                                 r->length < ZERO_BUF_SIZE ? r->length : ZERO_BUF_SIZE, r->offset, r->fua);
                }
                break;
        case VREQ_FLUSH:
                io_fsync(v->ring, &r->io, v->backing->fd);
                break;
        case VREQ_ZERO:
                io_fallocate(v->ring, &r->io, v->backing->fd,
                             (r->punch ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) | FALLOC_FL_KEEP_SIZE,
                             r->offset, r->length);
                break;
        }
}

void volume_submit(struct volume *v, struct vreq *r) {
        r->v = v;
        r->error = 0;
        r->hot = false;
        r->blockers = 0;
        r->wi_waits = 0;
        r->in_flight = false;
        r->prev = r->next = NULL;

        if ((r->type == VREQ_READ && !r->ordered) || r->type == VREQ_FLUSH) {
                vreq_continue(r);
                return;
        }
        if (r->length == 0 || r->offset + r->length > v->size || r->offset + r->length < r->offset) {
                r->error = -EINVAL;
                vreq_continue(r);
                return;
        }
        /* Ordered reads wait for earlier writes but never hold up later
         * ones: they are on the list only to be woken. */
        for (struct vreq *o = v->inflight_head; o; o = o->next)
                if (o->type != VREQ_READ && overlaps(o, r))
                        r->blockers++;
        r->in_flight = true;
        r->prev = v->inflight_tail;
        if (v->inflight_tail)
                v->inflight_tail->next = r;
        else
                v->inflight_head = r;
        v->inflight_tail = r;
        if (r->blockers == 0) {
                if (r->type == VREQ_READ)
                        vreq_continue(r);
                else
                        wi_prepare(v, r);
        }
}

/* ---- attach and detach ---- */

static enum vol_disk_state state_from_flags(uint32_t flags) {
        if (!(flags & META_F_CONSISTENT))
                return VOL_INCONSISTENT;
        if (!(flags & META_F_WAS_UP_TO_DATE))
                return VOL_OUTDATED;
        return VOL_CONSISTENT;
}

/* Free v and what it holds, without touching the metadata on disk. */
static void volume_free(struct volume *v) {
        struct wi_page_write *w;

        sd_event_source_disable_unref(v->wi_timer);
        while ((w = v->wi_writes)) {
                v->wi_writes = w->next;
                free(w->buf);
                free(w);
        }
        if (v->md != v->backing)
                meta_dev_free(v->md);
        meta_dev_free(v->backing);
        bitmap_free(v->oos);
        bitmap_free(v->wi);
        free(v->wi_refs);
        free(v->wi_idle);
        free(v->name);
        free(v);
}

int volume_attach(sd_event *loop, struct io_ring *ring, const char *resource,
                  const struct disk_volume *cfg, struct volume **ret, char *err, size_t err_size) {
        char reason[META_REASON_SIZE];
        struct volume *v;
        int r;

        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v->loop = loop;
        v->ring = ring;
        v->number = cfg->number;
        v->disk = VOL_ATTACHING;
        if (asprintf(&v->name, "%s/%u", resource, cfg->number) < 0) {
                free(v);
                return -ENOMEM;
        }
        v->loc.kind = cfg->meta == DISK_META_INTERNAL ? META_INTERNAL
                      : cfg->meta_index >= 0 ? META_EXTERNAL_INDEXED : META_EXTERNAL_FLEX;
        v->loc.index = cfg->meta_index >= 0 ? (uint32_t) cfg->meta_index : 0;

        r = meta_dev_open(cfg->disk, META_DEV_WRITE | META_DEV_EXCL, &v->backing);
        if (r < 0) {
                snprintf(err, err_size, "%s: cannot open backing device %s: %s", v->name, cfg->disk, strerror(-r));
                goto fail;
        }
        if (v->loc.kind == META_INTERNAL)
                v->md = v->backing;
        else {
                r = meta_dev_open(cfg->meta_disk, META_DEV_WRITE | META_DEV_NO_DIRECT, &v->md);
                if (r < 0) {
                        snprintf(err, err_size, "%s: cannot open meta-disk %s: %s", v->name, cfg->meta_disk,
                                 strerror(-r));
                        goto fail;
                }
        }
        r = meta_read(v->backing, v->loc.kind == META_INTERNAL ? NULL : v->md, &v->loc, &v->sb,
                      reason, sizeof(reason));
        if (r < 0) {
                snprintf(err, err_size, "%s: no usable metadata on %s: %s%s", v->name,
                         v->loc.kind == META_INTERNAL ? cfg->disk : cfg->meta_disk, reason,
                         r == -ENODATA ? " (run 'tandem disk create-md')" : "");
                goto fail;
        }
        v->size = v->sb.layout.data_size;
        r = meta_read_bitmap(v->md, &v->sb, META_REGION_BITMAP, &v->oos, reason, sizeof(reason));
        if (r >= 0)
                r = meta_read_bitmap(v->md, &v->sb, META_REGION_WRITE_INTENT, &v->wi, reason, sizeof(reason));
        if (r < 0) {
                snprintf(err, err_size, "%s: cannot read bitmaps: %s", v->name, reason);
                goto fail;
        }
        v->wi_refs = calloc(bitmap_size(v->wi) ? bitmap_size(v->wi) : 1, sizeof(uint32_t));
        v->wi_idle = calloc(bitmap_size(v->wi) ? bitmap_size(v->wi) : 1, sizeof(uint8_t));
        if (!v->wi_refs || !v->wi_idle) {
                r = -ENOMEM;
                goto fail;
        }

        if (!(v->sb.flags & META_F_CLEAN_SHUTDOWN)) {
                /* A crash: every chunk that was hot may hold writes the
                 * peer does not have, or vice versa. Resync them. */
                v->crashed = true;
                bitmap_mark_from(v->oos, v->wi);
                if (v->sb.flags & META_F_PRIMARY_IND)
                        v->sb.flags |= META_F_CRASHED_PRIMARY;
                if (meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos) < 0) {
                        snprintf(err, err_size, "%s: cannot write the bitmap after a crash", v->name);
                        r = -EIO;
                        goto fail;
                }
        }
        /* The write-intent bitmap starts empty: what it held is in the
         * out-of-sync bitmap now. */
        bitmap_clear_range(v->wi, 0, bitmap_size(v->wi));
        if (meta_write_bitmap_pages(v->md, &v->sb, META_REGION_WRITE_INTENT, v->wi) < 0) {
                snprintf(err, err_size, "%s: cannot write the write-intent bitmap", v->name);
                r = -EIO;
                goto fail;
        }
        v->sb.flags &= ~META_F_CLEAN_SHUTDOWN;
        r = meta_write_super(v->md, &v->sb, reason, sizeof(reason));
        if (r < 0) {
                snprintf(err, err_size, "%s: cannot write the superblock: %s", v->name, reason);
                goto fail;
        }
        r = sd_event_add_time_relative(loop, &v->wi_timer, CLOCK_MONOTONIC, WI_TICK_USEC, 0, on_wi_tick, v);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(v->wi_timer, SD_EVENT_ON);
        v->disk = state_from_flags(v->sb.flags);
        *ret = v;
        return 0;
fail:
        volume_free(v);
        return r;
}

void volume_detach(struct volume *v) {
        char reason[META_REASON_SIZE];

        if (!v)
                return;
        v->wi_timer = sd_event_source_disable_unref(v->wi_timer);
        /* Page writes still in flight belong to the ring; the ring is
         * drained by the caller before a detach (volume_inflight() == 0
         * and pending_meta == 0), so the buffers can go. */
        /* Out-of-sync bits first: clearing the write intent before they
         * are durable could lose them in a crash between the two. */
        (void) meta_write_bitmap_pages(v->md, &v->sb, META_REGION_BITMAP, v->oos);
        bitmap_clear_range(v->wi, 0, bitmap_size(v->wi));
        (void) meta_write_bitmap_pages(v->md, &v->sb, META_REGION_WRITE_INTENT, v->wi);
        v->sb.flags |= META_F_CLEAN_SHUTDOWN;
        (void) meta_write_super(v->md, &v->sb, reason, sizeof(reason));
        volume_free(v);
}
