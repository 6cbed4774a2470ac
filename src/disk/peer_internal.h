/* peer_internal.h: what peer.c (connections, handshake, state),
 * peer_data.c (replicated writes, acks, barriers) and peer_sync.c (sync
 * decision, bitmap exchange, resync) share. Not for other modules. */
#pragma once

#include "buf.h"
#include "peer.h"
#include "uuid.h"
#include "wire.h"

#define PEER_MAX_VOLUMES 64
/* Features we offer: RS_IS_IN_SYNC (CSUM_RESYNC) is also how a SyncTarget
 * confirms that a resync write landed. */
#define PEER_FEATURES (WIRE_FEATURE_TRIM | WIRE_FEATURE_WRITE_ZEROES | WIRE_FEATURE_RESYNC_BITMAP_RLE | \
                       WIRE_FEATURE_CSUM_RESYNC)

/* Handshake progress of one TCP connection. */
enum conn_phase {
        PHASE_HELLO,        /* waiting for the peer's HELLO */
        PHASE_AUTH,         /* mutual challenge/response */
        PHASE_SETTINGS,     /* waiting for the peer's SETTINGS */
        PHASE_STATE,        /* waiting for SIZES, UUIDS, STATE of every volume */
        PHASE_ESTABLISHED,
};

struct conn {
        struct peer *p;
        uint64_t id;                /* unique per peer: tells whether a conn still exists */
        int fd;
        sd_event_source *src;
        bool initiated_here;
        bool connecting;            /* non-blocking connect() in progress */
        bool send_failed;           /* a send failed: only the read side may still notice */
        enum conn_phase phase;
        struct buf in, out;
        /* Consumed bytes at the front of in and out: dropping them with a
         * memmove after every packet or send costs more than the rest of
         * the data path under a backlog, so they are dropped in bulk. */
        size_t in_off, out_off;
        uint64_t out_sent;          /* bytes ever sent on this connection */
        uint64_t out_queued;        /* bytes ever queued */
        struct wire_session session;
        struct wire_hello peer_hello;
        struct wire_auth_challenge my_challenge, peer_challenge;
        bool got_challenge, verified, settings_sent;
        bool peer_discard_my_data;  /* its SETTINGS said connect --discard-my-data */
        unsigned vols_sized, vols_uuided, vols_stated;
        struct conn *next;
};

/* A write received from the peer, being applied locally. */
struct rx_write {
        struct peer *p;
        uint64_t gen;               /* the connection it came on */
        uint64_t seq;
        bool resync;                /* an RS_DATA_REPLY */
        uint64_t request_id;
        struct vreq vr;
        void *buf;
        struct rx_write *next;
};

/* A barrier received from the peer, waiting for earlier writes. */
struct rx_barrier {
        struct wire_barrier b;
        uint64_t last_seq;          /* every write up to this must be done */
        bool flushing;
        struct io_req io;
        struct peer *p;
        struct rx_barrier *next;
};

/* An outstanding resync request (on the SyncTarget). */
struct rs_request {
        uint64_t id;
        uint32_t volume;
        uint64_t offset;
        uint32_t length;
        bool conflict;              /* an application write overlapped it meanwhile */
        bool writing;               /* its data arrived and is being written */
        struct rs_request *next;
};

/* A resync read being served (on the SyncSource). */
struct rs_serve {
        struct peer *p;
        uint64_t gen;
        uint32_t volume;
        uint64_t id;
        struct vreq vr;
        void *buf;
};

/* Per-volume replication state. */
struct peer_volume {
        struct wire_sizes sizes;
        struct wire_uuids uuids;        /* as the peer sent them */
        struct wire_uuids uuids_at_connect;
        struct wire_state state;
        bool have_sizes, have_uuids, have_state;
        enum res_repl repl;
        bool bitmap_sent, bitmap_received;
        uint64_t sync_total;            /* blocks to resync when it began */
        uint64_t rs_cursor;             /* next bit to request (target) */
        uint64_t sync_uuid;
        uint64_t resynced_bytes;
        bool rs_hold;                   /* SyncTarget waits for before-resync-target */
        /* online verify (peer_verify.c), in 4 KiB blocks */
        uint64_t ov_cursor;             /* source: next byte offset to ask for */
        unsigned ov_in_flight;          /* source: requests without a result yet */
        uint64_t ov_done, ov_total, ov_out_of_sync;
        bool ov_finished;               /* a verify ran to its end since connect */
};

struct peer {
        struct resource *r;
        uint32_t my_node_id, peer_node_id;
        uint64_t instance_id;
        int listen_fd;
        sd_event_source *listen_src;
        sd_event_source *retry_timer;
        sd_event_source *ping_timer;
        struct conn *pending;           /* connections before HELLO agreed */
        struct conn *c;                 /* the connection past HELLO */
        bool outgoing_in_progress;
        bool standalone;                /* gave up (settings, unrelated data): needs `connect` */
        /* ping */
        uint64_t ping_cookie;
        bool ping_outstanding;
        uint64_t last_rx_usec;
        /* writes of ours waiting for acks, in sequence order */
        uint64_t next_seq;
        struct peer_write *tx_head, *tx_tail;
        uint32_t epoch, epoch_writes;
        struct peer_flush *flush_head, *flush_tail;
        /* writes of the peer being applied, in sequence order */
        struct rx_write *rx_head, *rx_tail;
        uint64_t rx_last_seq;
        struct rx_barrier *barriers;
        /* resync */
        struct rs_request *rs_head;
        uint64_t rs_next_id;
        uint64_t rs_bytes_in_flight;
        /* resync rate (peer_rate.c) */
        sd_event_source *rs_tick;
        int64_t rs_budget;              /* bytes the SyncTarget may still request this tick */
        uint64_t rs_tick_rx_seq;        /* rx_last_seq at the last tick: application writes seen? */
        bool rs_throttled;              /* held to c-min-rate */
        unsigned rs_ticks;
        unsigned rs_serving;
        /* local IO still holding a pointer to this peer; peer_free()
         * leaves the struct to the last completion */
        unsigned io_refs;
        bool dying;
        uint64_t gen;                   /* counts connections: acks go only to the one a write came on */
        uint64_t next_conn_id;
        bool new_generation_done;       /* after losing the peer while Primary */
        bool user_paused, peer_paused;  /* pause-sync here / on the peer */
        /* role changes the peer must agree to (peer_role.c) */
        struct {
                uint32_t next_id, id;
                bool outstanding;       /* our request waits for its reply */
                bool granted_to_peer;   /* we let the peer promote: no promotion here until it did */
                sd_event_source *timer;
                peer_role_done_t done;
                void *userdata;
        } promo;
        size_t n_volumes;
        struct peer_volume vol[PEER_MAX_VOLUMES];
};

/* Drop one io_ref; frees a dying peer at the last one. Returns true when
 * the peer is gone (the caller must not touch it). */
bool peer_io_unref(struct peer *p);

/* peer.c */
void peer_conn_queue(struct conn *c);           /* start writing what is queued */
void peer_conn_queued(struct conn *c, size_t before); /* account for bytes an encoder appended */
void peer_connection_lost(struct peer *p, const char *why);
void peer_close_with(struct peer *p, struct conn *c, uint16_t type, enum wire_reason reason,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void peer_send_volume_state(struct peer *p, uint32_t volume);
enum wire_disk_state peer_wire_disk(enum vol_disk_state s);

/* peer_data.c */
/* Queue one packet of the shared 24-byte block layout (acks, OV_*). */
void peer_send_block(struct peer *p, uint16_t type, uint32_t volume, uint64_t id, uint64_t offset,
                     uint32_t length, uint32_t code);
/* A received write with its data copied out of the receive buffer; on
 * ENOMEM the connection is closed and NULL returned. */
struct rx_write *peer_rx_write_new(struct peer *p, const struct wire_data *d);
void peer_data_on_sent(struct peer *p);         /* protocol A acks */
int peer_data_handle(struct peer *p, const struct wire_packet *pk);
void peer_data_abort(struct peer *p);           /* connection lost */

/* peer_role.c */
/* STATE_CHANGE_REQUEST/_REPLY, and STATE as an observer. Returns 1 when
 * the packet was consumed. */
int peer_role_handle(struct peer *p, const struct wire_packet *pk);
void peer_role_abort(struct peer *p, const char *why);  /* connection lost */

/* peer_verify.c */
/* OV_REQUEST/_REPLY/_RESULT; STATE as an observer. Returns 1 when the
 * packet was consumed, 0 when not, a negative errno when the connection
 * was closed. */
int peer_verify_handle(struct peer *p, const struct wire_packet *pk);
void peer_verify_abort(struct peer *p);

/* peer_sync.c */
int peer_sync_decide(struct peer *p);           /* all volumes' state known */
/* Begin a resync of volume in the direction of verdict (> 0 source). */
void peer_sync_start(struct peer *p, uint32_t volume, enum uuid_verdict verdict);
/* Ask for more resync data (SyncTarget), e.g. after a resume. */
void peer_sync_kick(struct peer *p, uint32_t volume);
/* Write the SyncTarget's bitmap progress to disk (every second). */
void peer_sync_checkpoint(struct peer *p);

/* peer_rate.c */
void peer_rate_start(struct peer *p);           /* a volume became SyncTarget */
void peer_rate_stop(struct peer *p);
bool peer_rate_take(struct peer *p, uint32_t length);  /* may a request of length go out now? */
uint64_t peer_rate_window(const struct peer *p);        /* bytes of requests in flight at most */

/* peer_admin.c */
bool peer_sync_paused(const struct peer *p);    /* by either side's pause-sync */
void peer_admin_skip_initial_sync(struct peer *p, uint32_t volume, const struct wire_uuids *u);
int peer_admin_handle(struct peer *p, const struct wire_packet *pk);   /* SYNC_PAUSE/_RESUME */
int peer_sync_handle(struct peer *p, const struct wire_packet *pk);
void peer_sync_on_app_write(struct peer *p, uint32_t volume, uint64_t offset, uint32_t length);
void peer_sync_abort(struct peer *p);
