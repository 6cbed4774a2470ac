/* resource.h: a replicated resource on this node: its role, its volumes,
 * its connection to the peer and, while Primary, its NBD export.
 * State machines and the write path: docs/disk-states.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "buf.h"
#include "disk_config.h"
#include "io.h"
#include "volume.h"

/* What every resource of the daemon shares. */
struct diskd_env {
        sd_event *loop;
        struct io_ring *ring;
        const char *run_dir;        /* /run/tandem: control and NBD sockets */
        char hostname[256];         /* matched against "on HOST" */
};

enum res_role { ROLE_SECONDARY, ROLE_PRIMARY };
const char *res_role_name(enum res_role r);

enum res_conn { CONN_STANDALONE, CONN_CONNECTING, CONN_CONNECTED };
const char *res_conn_name(enum res_conn c);

enum res_repl {
        REPL_OFF, REPL_ESTABLISHED, REPL_SYNC_SOURCE, REPL_SYNC_TARGET, REPL_VERIFY_SOURCE, REPL_VERIFY_TARGET,
        REPL_PAUSED_SYNC_S, REPL_PAUSED_SYNC_T,     /* shown for SyncSource/SyncTarget while paused */
};
const char *res_repl_name(enum res_repl r);

struct peer;
struct nbd_server;

/* Called once with the outcome of a command that had to wait: error 0, or
 * a negative errno and a message. */
typedef void (*resource_done_t)(void *userdata, int error, const char *why);

struct resource {
        struct diskd_env *env;
        char *name;
        struct disk_config *config;         /* owned: the file as it was at `up` */
        const struct disk_resource *cfg;
        const struct disk_host *me;
        const struct disk_host *peer_host;  /* NULL: no peer configured */
        enum res_role role;
        struct volume **volumes;            /* NULL entries: not attached */
        size_t n_volumes;
        struct peer *peer;                  /* NULL: StandAlone */
        struct nbd_server *nbd;             /* while Primary */
        char *nbd_path;
        unsigned nbd_clients;
        unsigned writes_in_flight;          /* replicated writes not completed */
        bool discard_my_data;               /* connect --discard-my-data: until the next sync decision */
        unsigned split_brains;              /* detected since `up` */
        bool split_brain_unresolved;        /* the last one left us StandAlone */
        char last_split_brain[300];         /* how the last one was settled, or not */
        struct {                            /* resource_primary() waiting for the peer */
                bool active, force;
                resource_done_t done;
                void *userdata;
        } promoting;
};

/* Bring resource `name` of config c up: attach every volume and start
 * connecting to the peer. Takes ownership of c (also on failure). Errors
 * leave nothing behind and put a message in err. */
int resource_up(struct diskd_env *env, struct disk_config *c, const char *name,
                struct resource **ret, char *err, size_t err_size);

/* Take the resource down (disconnect, detach, free). Refused while
 * Primary with NBD clients (-EBUSY); a Primary without clients is demoted
 * first. On success the resource is freed. */
int resource_down(struct resource *r, char *err, size_t err_size);

int resource_attach(struct resource *r, char *err, size_t err_size);
int resource_detach(struct resource *r, char *err, size_t err_size);
/* Start connecting (again, when StandAlone). discard_my_data: DRBD's
 * `connect --discard-my-data`: a split brain found at this connect is
 * settled with this side as SyncTarget. */
int resource_connect(struct resource *r, bool discard_my_data, char *err, size_t err_size);
int resource_disconnect(struct resource *r, char *err, size_t err_size);
/* drbdadm's invalidate (remote false) and invalidate-remote. */
int resource_invalidate(struct resource *r, bool remote, char *err, size_t err_size);
/* Mark the data Outdated (Secondary, not connected). */
int resource_outdate(struct resource *r, char *err, size_t err_size);
/* A new current generation; clear_bitmap also clears the bitmap and
 * declares the data UpToDate (on a fresh pair: no initial sync). */
int resource_new_current_uuid(struct resource *r, bool clear_bitmap, char *err, size_t err_size);
/* pause-sync (pause true) / resume-sync. */
int resource_pause_sync(struct resource *r, bool pause, char *err, size_t err_size);
/* Start an online verify against the peer (this node VerifySource); it
 * runs on, its progress in the status. */
int resource_verify(struct resource *r, char *err, size_t err_size);
/* Become Primary. Returns 0 when done, a negative errno with a message in
 * err, or 1 while the peer's agreement is asked (connected, two primaries
 * not allowed): `done` then runs once with the outcome, also when the
 * resource goes down first. */
int resource_primary(struct resource *r, bool force, resource_done_t done, void *userdata, char *err,
                     size_t err_size);
int resource_secondary(struct resource *r, char *err, size_t err_size);

/* A split brain was detected on a volume; why says how it was settled
 * (or that it was not: then the resource stays StandAlone). */
void resource_note_split_brain(struct resource *r, uint32_t volume, bool resolved, const char *why);

/* Append the drbdadm-style status (text) to out. */
int resource_status_text(struct resource *r, bool verbose, struct buf *out);
/* The same as a JSON object (new reference). */
struct json_t;
struct json_t *resource_status_json(struct resource *r);

/* The NBD backend of a resource (nbd_server.h's interface): the per-
 * resource unix socket uses these with server_ctx = the resource and
 * export names "0", "1", ... ("" = volume 0); the daemon's TCP listener
 * (control.c) maps "RES/N" onto them. */
struct nbd_export_info;
struct nbd_io;
int resource_nbd_lookup(void *server_ctx, const char *name, struct nbd_export_info *ret_info,
                        void **ret_export_ctx);
int resource_nbd_list(void *server_ctx, void (*emit)(void *emit_ctx, const char *name, const char *description),
                      void *emit_ctx);
int resource_nbd_open(void *export_ctx);
void resource_nbd_close(void *export_ctx);
void resource_nbd_submit(void *export_ctx, struct nbd_io *io);

/* Close the NBD export and its clients (daemon shutdown). */
void resource_stop_export(struct resource *r);

/* Change a volume's disk state, persist its flags and tell the peer. */
void resource_set_disk_state(struct resource *r, struct volume *v, enum vol_disk_state s);

/* Called by peer.c. */
void resource_peer_state_changed(struct resource *r);
/* Mark a volume's range out of sync and persist; done(userdata, err). */
void resource_mark_out_of_sync(struct resource *r, uint32_t volume, uint64_t offset, uint64_t length,
                               void (*done)(void *userdata, int error), void *userdata);
