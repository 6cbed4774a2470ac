/* io.h: disk IO through io_uring on the daemon's event loop.
 *
 * One ring per daemon. A request is a caller-owned struct io_req: the
 * caller fills nothing but `done` and `userdata`, starts it with one of the
 * io_* calls and gets exactly one call of `done` on the event loop (never
 * from inside the io_* call itself). Short reads and writes are continued
 * until the whole range is done or an error occurs, so `done` sees either
 * the full length or a negative errno. Requests beyond the ring's depth
 * wait in a queue; nothing is dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct io_ring;
struct io_req;

/* result: the number of bytes (the full length) or 0 for fsync/fallocate,
 * or a negative errno. */
typedef void (*io_done_t)(struct io_req *req, int result);

enum io_op { IO_OP_READ, IO_OP_WRITE, IO_OP_FSYNC, IO_OP_FALLOCATE };

struct io_req {
        io_done_t done;
        void *userdata;
        /* Private to io.c from here on. */
        enum io_op op;
        int fd;
        char *buf;
        size_t len;
        size_t progress;    /* bytes done so far (short IO is continued) */
        uint64_t off;
        int mode;           /* fallocate mode; RWF_* flags for writes */
        struct io_req *next;
};

/* A ring of `depth` entries whose completions are handled on loop e. */
int io_ring_new(sd_event *e, unsigned depth, struct io_ring **ret);

/* Free the ring. Requests still in flight are waited for (their `done` is
 * not called). NULL allowed. */
void io_ring_free(struct io_ring *r);

/* Requests started and not yet completed, queued ones included. */
unsigned io_ring_inflight(const struct io_ring *r);

void io_read(struct io_ring *r, struct io_req *req, int fd, void *buf, size_t len, uint64_t off);
/* fua: the data is durable when `done` reports success (RWF_DSYNC). */
void io_write(struct io_ring *r, struct io_req *req, int fd, const void *buf, size_t len,
              uint64_t off, bool fua);
/* fdatasync(2). */
void io_fsync(struct io_ring *r, struct io_req *req, int fd);
/* fallocate(2) with `mode` (e.g. FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE). */
void io_fallocate(struct io_ring *r, struct io_req *req, int fd, int mode, uint64_t off,
                  uint64_t len);
