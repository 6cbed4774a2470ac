/* io.c: io_uring on sd-event (see io.h). Completions arrive through an
 * eventfd registered with the ring; submissions are batched per event-loop
 * iteration by a deferred source, so a burst of requests from one NBD read
 * costs one io_uring_enter. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

struct io_ring {
        struct io_uring ring;
        unsigned depth;
        unsigned in_ring;         /* submitted to the kernel, not completed */
        unsigned queued;          /* waiting in pending */
        unsigned prepared;        /* SQEs prepared since the last submit */
        struct io_req *pending, *pending_tail;
        sd_event_source *event_source;
        sd_event_source *defer_source;
        int efd;
};

/* A completed request with its result, waiting for its callback: `done`
 * runs from the loop, never from inside io_read() and friends, which keeps
 * callers free of re-entrancy. */
struct io_ready {
        struct io_req *req;
        int result;
};

static void queue_append(struct io_req **head, struct io_req **tail, struct io_req *req) {
        req->next = NULL;
        if (*tail)
                (*tail)->next = req;
        else
                *head = req;
        *tail = req;
}

static struct io_req *queue_pop(struct io_req **head, struct io_req **tail) {
        struct io_req *req = *head;
        if (req) {
                *head = req->next;
                if (!*head)
                        *tail = NULL;
                req->next = NULL;
        }
        return req;
}

/* Prepare the SQE for (the rest of) req. Returns false when the SQ is full. */
static bool prep(struct io_ring *r, struct io_req *req) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

        if (!sqe)
                return false;
        switch (req->op) {
        case IO_OP_READ:
                io_uring_prep_read(sqe, req->fd, req->buf + req->progress,
                                   (unsigned) (req->len - req->progress), req->off + req->progress);
                break;
        case IO_OP_WRITE:
                io_uring_prep_write(sqe, req->fd, req->buf + req->progress,
                                    (unsigned) (req->len - req->progress), req->off + req->progress);
                sqe->rw_flags = req->mode;
                break;
        case IO_OP_FSYNC:
                io_uring_prep_fsync(sqe, req->fd, IORING_FSYNC_DATASYNC);
                break;
        case IO_OP_FALLOCATE:
                io_uring_prep_fallocate(sqe, req->fd, req->mode, req->off, req->len);
                break;
        }
        io_uring_sqe_set_data(sqe, req);
        r->in_ring++;
        r->prepared++;
        return true;
}

static void schedule_submit(struct io_ring *r) {
        (void) sd_event_source_set_enabled(r->defer_source, SD_EVENT_ONESHOT);
}

static void start(struct io_ring *r, struct io_req *req) {
        req->next = NULL;
        if (r->in_ring >= r->depth || r->pending || !prep(r, req)) {
                queue_append(&r->pending, &r->pending_tail, req);
                r->queued++;
        }
        schedule_submit(r);
}

static void fill(struct io_req *req, enum io_op op, int fd, void *buf, size_t len, uint64_t off,
                 int mode) {
        req->op = op;
        req->fd = fd;
        req->buf = buf;
        req->len = len;
        req->progress = 0;
        req->off = off;
        req->mode = mode;
}

void io_read(struct io_ring *r, struct io_req *req, int fd, void *buf, size_t len, uint64_t off) {
        fill(req, IO_OP_READ, fd, buf, len, off, 0);
        start(r, req);
}

void io_write(struct io_ring *r, struct io_req *req, int fd, const void *buf, size_t len,
              uint64_t off, bool fua) {
        fill(req, IO_OP_WRITE, fd, (void *) buf, len, off, fua ? RWF_DSYNC : 0);
        start(r, req);
}

void io_fsync(struct io_ring *r, struct io_req *req, int fd) {
        fill(req, IO_OP_FSYNC, fd, NULL, 0, 0, 0);
        start(r, req);
}

void io_fallocate(struct io_ring *r, struct io_req *req, int fd, int mode, uint64_t off,
                  uint64_t len) {
        fill(req, IO_OP_FALLOCATE, fd, NULL, (size_t) len, off, mode);
        start(r, req);
}

static void submit_now(struct io_ring *r) {
        struct io_req *req;

        /* Move what waited into free ring slots, then tell the kernel. */
        while (r->pending && r->in_ring < r->depth) {
                req = r->pending;
                if (!prep(r, req))
                        break;
                queue_pop(&r->pending, &r->pending_tail);
                r->queued--;
        }
        if (r->prepared > 0) {
                int n = io_uring_submit(&r->ring);
                if (n > 0)
                        r->prepared -= (unsigned) n < r->prepared ? (unsigned) n : r->prepared;
                /* On -EAGAIN/-EBUSY the SQEs stay prepared and are submitted
                 * once completions have freed resources. */
        }
}

static int on_defer(sd_event_source *s, void *userdata) {
        submit_now(userdata);
        return 0;
}

/* Handle one CQE; returns true when the request finished. */
static bool complete_one(struct io_ring *r, struct io_req *req, int res, int *ret_result) {
        r->in_ring--;
        if (res < 0) {
                *ret_result = res;
                return true;
        }
        if (req->op == IO_OP_READ || req->op == IO_OP_WRITE) {
                if (res == 0) {
                        /* End of file inside a range the caller thought was there. */
                        *ret_result = -EIO;
                        return true;
                }
                req->progress += (size_t) res;
                if (req->progress < req->len) {
                        start(r, req);  /* short IO: continue with the rest */
                        return false;
                }
                *ret_result = (int) (req->len > INT32_MAX ? INT32_MAX : req->len);
                return true;
        }
        *ret_result = 0;
        return true;
}

static int on_eventfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct io_ring *r = userdata;
        struct io_uring_cqe *cqe;
        uint64_t v;

        (void) read(r->efd, &v, sizeof(v));
        /* Collect first, then call back: a callback may start new IO. */
        for (;;) {
                struct io_ready batch[64];
                unsigned n = 0;
                while (n < ELEMENTSOF(batch) && io_uring_peek_cqe(&r->ring, &cqe) == 0) {
                        struct io_req *req = io_uring_cqe_get_data(cqe);
                        int result;
                        int res = cqe->res;
                        io_uring_cqe_seen(&r->ring, cqe);
                        if (req && complete_one(r, req, res, &result))
                                batch[n++] = (struct io_ready) { req, result };
                }
                if (n == 0)
                        break;
                submit_now(r);
                for (unsigned i = 0; i < n; i++)
                        batch[i].req->done(batch[i].req, batch[i].result);
        }
        submit_now(r);
        return 0;
}

int io_ring_new(sd_event *e, unsigned depth, struct io_ring **ret) {
        struct io_ring *r;
        int err;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->depth = depth;
        r->efd = -1;
        err = io_uring_queue_init(depth, &r->ring, 0);
        if (err < 0) {
                free(r);
                return err;
        }
        r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->efd < 0) {
                err = -errno;
                goto fail;
        }
        err = io_uring_register_eventfd(&r->ring, r->efd);
        if (err < 0)
                goto fail;
        err = sd_event_add_io(e, &r->event_source, r->efd, EPOLLIN, on_eventfd, r);
        if (err < 0)
                goto fail;
        err = sd_event_add_defer(e, &r->defer_source, on_defer, r);
        if (err < 0)
                goto fail;
        (void) sd_event_source_set_enabled(r->defer_source, SD_EVENT_OFF);
        *ret = r;
        return 0;
fail:
        io_ring_free(r);
        return err;
}

unsigned io_ring_inflight(const struct io_ring *r) {
        return r->in_ring + r->queued;
}

void io_ring_free(struct io_ring *r) {
        struct io_uring_cqe *cqe;

        if (!r)
                return;
        if (r->ring.ring_fd >= 0) {
                /* The kernel still owns buffers of requests in flight. */
                if (r->prepared)
                        io_uring_submit(&r->ring);
                while (r->in_ring > 0 && io_uring_wait_cqe(&r->ring, &cqe) == 0) {
                        io_uring_cqe_seen(&r->ring, cqe);
                        r->in_ring--;
                }
                io_uring_queue_exit(&r->ring);
        }
        sd_event_source_disable_unref(r->event_source);
        sd_event_source_disable_unref(r->defer_source);
        safe_close(r->efd);
        free(r);
}
