/* volume.h: one replicated volume's local side: its backing store and
 * metadata, the out-of-sync and write-intent bitmaps, its disk state, and
 * the local IO path every write goes through, whether it came from an NBD
 * client, from the peer or from a resync.
 *
 * Local write path (volume_submit):
 *   1. wait while an earlier write overlapping this one is still in
 *      flight, so that overlapping writes reach the disk in the order they
 *      were submitted (the peer applies them in the same order);
 *   2. make the write-intent bits of the chunks it touches durable;
 *   3. submit the IO; `done` is called with 0 or a negative errno.
 * Until volume_settle() is called for it, a write keeps its write-intent
 * chunks hot: the replication layer settles a write once the peer has it
 * on disk, or its blocks are durably marked out of sync. Chunks idle for a
 * while are cleared lazily. Disk states: docs/disk-states.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "bitmap.h"
#include "disk_config.h"
#include "io.h"
#include "meta.h"
#include "uuid.h"

enum vol_disk_state {
        VOL_DISKLESS,
        VOL_ATTACHING,
        VOL_FAILED,
        VOL_INCONSISTENT,
        VOL_OUTDATED,
        VOL_CONSISTENT,
        VOL_UPTODATE,
};
const char *vol_disk_state_name(enum vol_disk_state s);

enum vreq_type { VREQ_READ, VREQ_WRITE, VREQ_FLUSH, VREQ_ZERO };

struct volume;

/* A request on the local disk. The caller owns it and fills the public
 * part; `done` is called exactly once, from the event loop. */
struct vreq {
        enum vreq_type type;
        uint64_t offset;
        uint32_t length;
        void *data;             /* READ: filled; WRITE: written (aligned to 4096) */
        bool fua;               /* WRITE/ZERO: durable when done */
        bool punch;             /* ZERO: a hole may be punched (TRIM, or WRITE_ZEROES without NO_HOLE) */
        bool ordered;           /* READ: wait for overlapping writes submitted before it (resync reads) */
        void (*done)(struct vreq *r, int error);
        void *userdata;

        /* Private to volume.c. */
        struct volume *v;
        struct vreq *prev, *next;   /* the volume's list of writes in flight */
        unsigned blockers;          /* overlapping writes ahead of this one */
        unsigned wi_waits;          /* write-intent pages still being written */
        bool in_flight;             /* on the in-flight list */
        bool hot;                   /* holds write-intent chunk references */
        int error;
        struct io_req io;
};

struct resource;

struct volume {
        struct resource *owner;     /* set by the resource that attached it */
        struct sd_event *loop;
        struct io_ring *ring;
        char *name;                 /* "r0/0" for messages */
        uint32_t number;
        enum vol_disk_state disk;
        struct meta_dev *backing;
        struct meta_dev *md;        /* == backing when internal */
        struct meta_location loc;
        struct meta_super sb;
        struct bitmap *oos;         /* out of sync, 4 KiB per bit */
        struct bitmap *wi;          /* write intent, one bit per chunk */
        uint32_t *wi_refs;          /* writes in flight per chunk */
        uint8_t *wi_idle;           /* timer ticks a hot chunk has been idle */
        bool crashed;               /* attach found an unclean shutdown */
        uint64_t size;              /* usable bytes */
        struct vreq *inflight_head, *inflight_tail;
        /* write-intent pages being written, and who waits for them */
        struct wi_page_write *wi_writes;
        sd_event_source *wi_timer;
        uint64_t writes, reads;     /* counters for status */
        uint64_t bytes_written, bytes_read;
        unsigned pending_meta;      /* bitmap page writes in flight */
};

/* Open the backing store (and meta-disk) of `cfg` and read its metadata.
 * node_id is ours (for a check). On failure returns a negative errno with
 * a message in err. The disk state follows from the metadata flags. */
int volume_attach(sd_event *loop, struct io_ring *ring, const char *resource,
                  const struct disk_volume *cfg, struct volume **ret, char *err, size_t err_size);

/* Detach: wait for nothing (the caller has drained IO), clear the
 * write-intent bitmap, record a clean shutdown, close. NULL allowed. */
void volume_detach(struct volume *v);

/* Start a request (see the top of this file). */
void volume_submit(struct volume *v, struct vreq *r);

/* The replication layer is done with write r: its write-intent chunks may
 * cool down. Called once for every successful WRITE/ZERO. */
void volume_settle(struct volume *v, struct vreq *r);

/* Mark [offset, offset+length) out of sync and make that durable before
 * calling done(userdata, error). */
void volume_mark_out_of_sync(struct volume *v, uint64_t offset, uint64_t length,
                             void (*done)(void *userdata, int error), void *userdata);

/* Write the superblock now (synchronously; control path only). */
int volume_write_super(struct volume *v, char *err, size_t err_size);

/* Generation identifiers of the volume, as uuid.c uses them. */
void volume_get_uuids(const struct volume *v, struct disk_uuids *ret);
void volume_set_uuids(struct volume *v, const struct disk_uuids *u);

/* Random 64-bit value for a new generation. */
uint64_t volume_random_uuid(void);

/* Number of writes in flight. */
unsigned volume_inflight(const struct volume *v);
