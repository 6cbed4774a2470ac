/* peer.h: the connection of a resource to its peer node: connecting both
 * ways, the handshake (docs/wire-protocol.md), sending our writes and
 * applying the peer's, acks, barriers, the sync decision and the resync.
 * Connection and replication states: docs/disk-states.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "resource.h"

struct peer;

enum peer_write_kind { PEER_WRITE_DATA, PEER_WRITE_ZERO, PEER_WRITE_TRIM };

/* One of our writes on its way to the peer. Owned by the caller until
 * `written` has been called. */
struct peer_write {
        uint32_t volume;
        enum peer_write_kind kind;
        uint64_t offset;
        uint32_t length;
        const void *data;           /* PEER_WRITE_DATA */
        bool fua;
        /* The ack the protocol asks for arrived (A: the packet is in the
         * kernel's socket buffer, B: the peer received it, C: it is on the
         * peer's disk), error 0; or the write will never get it (connection
         * lost, the peer's write failed), negative errno. Called once. */
        void (*acked)(struct peer_write *w, int error);
        /* The write is on the peer's disk (error 0) or lost (negative
         * errno); called once, after `acked`. */
        void (*written)(struct peer_write *w, int error);
        void *userdata;

        /* Private to peer.c. */
        uint64_t seq;
        uint64_t sent_mark;         /* protocol A: acked once this many bytes are sent */
        bool acked_done;
        struct peer_write *next;
};

/* A FLUSH or FUA barrier: completes once every write the peer received
 * before it is durable there. */
struct peer_flush {
        void (*done)(struct peer_flush *f, int error);
        void *userdata;
        /* Private. */
        uint32_t epoch;
        struct peer_flush *next;
};

/* Start connecting r to r->peer_host. */
int peer_new(struct resource *r, struct peer **ret, char *err, size_t err_size);

/* Drop the connection and stop connecting. Writes waiting for acks get
 * their callbacks with -ECONNABORTED before this returns. NULL allowed. */
void peer_free(struct peer *p);

enum res_conn peer_conn_state(const struct peer *p);
enum res_repl peer_repl_state(const struct peer *p);
/* The peer's role and disk state as it last reported them (strings for
 * status: "Secondary", "UpToDate"; "Unknown"/"DUnknown" when not
 * connected). */
const char *peer_role_text(const struct peer *p);
bool peer_is_primary(const struct peer *p);
const char *peer_disk_text(const struct peer *p, uint32_t volume);
/* Bytes the current or last resync of a volume moved (sent as
 * SyncSource, received as SyncTarget). */
uint64_t peer_resynced_bytes(const struct peer *p, uint32_t volume);
/* Resync progress of a volume, in 4 KiB blocks still to go / in total. */
void peer_sync_progress(const struct peer *p, uint32_t volume, uint64_t *ret_left, uint64_t *ret_total);

/* Send a write. Returns false when not connected (the caller marks the
 * range out of sync instead); the callbacks then never run. */
bool peer_submit_write(struct peer *p, struct peer_write *w);
/* Send a barrier; returns false when not connected. */
bool peer_submit_flush(struct peer *p, struct peer_flush *f);

/* After a promotion on an established connection: start a full sync to
 * every volume whose peer disk is Inconsistent (the initial sync). */
void peer_resync_after_promote(struct peer *p);

/* Start an online verify of every volume with this node as
 * VerifySource. Returns 0 or a negative errno with a message in err. */
int peer_verify_start(struct peer *p, char *err, size_t err_size);
/* Verify progress of a volume, in 4 KiB blocks. */
void peer_verify_progress(const struct peer *p, uint32_t volume, uint64_t *ret_done, uint64_t *ret_total,
                          uint64_t *ret_out_of_sync);

/* invalidate (remote false: this side becomes SyncTarget of a full sync
 * from the peer) and invalidate-remote (the peer becomes SyncTarget).
 * Returns 1 when the resync started, 0 when not connected (the caller
 * invalidates locally; the resync follows at connect), or a negative
 * errno with a message in err. */
int peer_invalidate(struct peer *p, bool remote, char *err, size_t err_size);
/* new-current-uuid --clear-bitmap while connected to a freshly created
 * peer: tell it to take our new current generation and skip the initial
 * sync. Returns 1 when told, 0 when not connected, or a negative errno. */
int peer_skip_initial_sync(struct peer *p, uint32_t volume, char *err, size_t err_size);
/* pause-sync (pause true) and resume-sync: while either side has paused,
 * the resync makes no progress (PausedSyncS/PausedSyncT). */
int peer_pause_sync(struct peer *p, bool pause, char *err, size_t err_size);

/* Send a volume's generation identifiers (after a local change). */
void peer_send_uuids(struct peer *p, uint32_t volume);

/* Tell the peer about a local state change (role, disk states). */
void peer_send_state(struct peer *p);

/* Whether we may become Primary as far as the peer's last reported state
 * tells (refused while it is Primary, or about to be, and two primaries
 * are not allowed). Returns 0, or a negative errno with a message in err. */
int peer_check_promote(struct peer *p, char *err, size_t err_size);

/* Called once with the peer's answer to a promotion request: error 0
 * (granted) or a negative errno with `why` saying what happened. */
typedef void (*peer_role_done_t)(void *userdata, int error, const char *why);

/* Ask the peer to agree that we become Primary (two-phase, so that two
 * simultaneous promotions never both succeed; docs/wire-protocol.md).
 * Returns 1 when the request is on its way and `done` will run; 0 when no
 * question is needed (not connected, or two primaries allowed); a
 * negative errno with a message in err when it cannot be asked. `done`
 * does not run when the peer is freed first. */
int peer_request_promotion(struct peer *p, bool force, peer_role_done_t done, void *userdata, char *err,
                           size_t err_size);

/* After the peer granted a promotion that then failed here: tell it, so
 * that it may promote itself again. */
void peer_release_promotion(struct peer *p);
