/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration of tandem-diskd: /etc/tandem/disk.conf in DRBD's
 * drbd.conf syntax (8.3, 8.4 and 9 forms), parsed, resolved (common merged
 * into each resource, volumes merged per host) and validated into typed
 * structs. docs/disk-config.md describes the accepted language. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"

/* Where a statement stands: file as given to the loader (or the resolved
 * path of an include), 1-based line and byte column. file is NULL for
 * something that was never written (a default). */
struct disk_config_loc {
        const char *file;
        unsigned line;
        unsigned column;
};

/* The first error found, as "FILE:LINE:COLUMN: message" (truncated to fit). */
#define DISK_CONFIG_ERROR_MAX 2048
struct disk_config_error {
        char message[DISK_CONFIG_ERROR_MAX];
};

/* The sections that hold options. SYNCER is DRBD 8.3's section; its options
 * are stored at their 8.4 places (net, disk or options). */
enum disk_section {
        DISK_SECTION_GLOBAL,
        DISK_SECTION_OPTIONS,
        DISK_SECTION_NET,
        DISK_SECTION_DISK,
        DISK_SECTION_STARTUP,
        DISK_SECTION_HANDLERS,
        DISK_SECTION_SYNCER,
        _DISK_SECTION_MAX,
};

/* Every option, in the canonical order the dump prints them (grouped by
 * the section they are printed in). The table in config_options.c has one
 * entry per id, in this order. */
enum disk_option {
        /* global */
        DISK_OPT_USAGE_COUNT,
        DISK_OPT_MINOR_COUNT,
        DISK_OPT_DIALOG_REFRESH,
        DISK_OPT_DISABLE_IP_VERIFICATION,
        DISK_OPT_UDEV_ALWAYS_USE_VNR,
        DISK_OPT_CMD_TIMEOUT_SHORT,
        DISK_OPT_CMD_TIMEOUT_MEDIUM,
        DISK_OPT_CMD_TIMEOUT_LONG,
        /* options (resource options of 8.4/9) */
        DISK_OPT_CPU_MASK,
        DISK_OPT_ON_NO_DATA_ACCESSIBLE,
        DISK_OPT_AUTO_PROMOTE,
        DISK_OPT_AUTO_PROMOTE_TIMEOUT,
        DISK_OPT_MAX_IO_DEPTH,
        DISK_OPT_PEER_ACK_WINDOW,
        DISK_OPT_PEER_ACK_DELAY,
        DISK_OPT_TWOPC_TIMEOUT,
        DISK_OPT_TWOPC_RETRY_TIMEOUT,
        DISK_OPT_QUORUM,
        DISK_OPT_ON_NO_QUORUM,
        DISK_OPT_QUORUM_MINIMUM_REDUNDANCY,
        DISK_OPT_ON_SUSPENDED_PRIMARY_OUTDATED,
        /* net */
        DISK_OPT_PROTOCOL,
        DISK_OPT_TRANSPORT,
        DISK_OPT_TIMEOUT,
        DISK_OPT_CONNECT_INT,
        DISK_OPT_PING_INT,
        DISK_OPT_PING_TIMEOUT,
        DISK_OPT_SOCKET_CHECK_TIMEOUT,
        DISK_OPT_KO_COUNT,
        DISK_OPT_MAX_BUFFERS,
        DISK_OPT_MAX_EPOCH_SIZE,
        DISK_OPT_UNPLUG_WATERMARK,
        DISK_OPT_SNDBUF_SIZE,
        DISK_OPT_RCVBUF_SIZE,
        DISK_OPT_ALLOW_TWO_PRIMARIES,
        DISK_OPT_CRAM_HMAC_ALG,
        DISK_OPT_SHARED_SECRET,
        DISK_OPT_AFTER_SB_0PRI,
        DISK_OPT_AFTER_SB_1PRI,
        DISK_OPT_AFTER_SB_2PRI,
        DISK_OPT_ALWAYS_ASBP,
        DISK_OPT_RR_CONFLICT,
        DISK_OPT_DATA_INTEGRITY_ALG,
        DISK_OPT_TCP_CORK,
        DISK_OPT_ON_CONGESTION,
        DISK_OPT_CONGESTION_FILL,
        DISK_OPT_CONGESTION_EXTENTS,
        DISK_OPT_CSUMS_ALG,
        DISK_OPT_CSUMS_AFTER_CRASH_ONLY,
        DISK_OPT_VERIFY_ALG,
        DISK_OPT_USE_RLE,
        DISK_OPT_FENCING,
        DISK_OPT_DISCARD_MY_DATA,
        DISK_OPT_ALLOW_REMOTE_READ,
        /* disk */
        DISK_OPT_SIZE,
        DISK_OPT_ON_IO_ERROR,
        DISK_OPT_DISK_BARRIER,
        DISK_OPT_DISK_FLUSHES,
        DISK_OPT_DISK_DRAIN,
        DISK_OPT_MD_FLUSHES,
        DISK_OPT_MAX_BIO_BVECS,
        DISK_OPT_RESYNC_RATE,
        DISK_OPT_RESYNC_AFTER,
        DISK_OPT_AL_EXTENTS,
        DISK_OPT_AL_UPDATES,
        DISK_OPT_C_PLAN_AHEAD,
        DISK_OPT_C_DELAY_TARGET,
        DISK_OPT_C_FILL_TARGET,
        DISK_OPT_C_MAX_RATE,
        DISK_OPT_C_MIN_RATE,
        DISK_OPT_DISK_TIMEOUT,
        DISK_OPT_READ_BALANCING,
        DISK_OPT_RS_DISCARD_GRANULARITY,
        DISK_OPT_DISCARD_ZEROES_IF_ALIGNED,
        DISK_OPT_DISABLE_WRITE_SAME,
        /* startup */
        DISK_OPT_WFC_TIMEOUT,
        DISK_OPT_DEGR_WFC_TIMEOUT,
        DISK_OPT_OUTDATED_WFC_TIMEOUT,
        DISK_OPT_WAIT_AFTER_SB,
        DISK_OPT_BECOME_PRIMARY_ON,
        DISK_OPT_STACKED_TIMEOUTS,
        /* handlers */
        DISK_OPT_PRI_ON_INCON_DEGR,
        DISK_OPT_PRI_LOST_AFTER_SB,
        DISK_OPT_PRI_LOST,
        DISK_OPT_FENCE_PEER,
        DISK_OPT_UNFENCE_PEER,
        DISK_OPT_LOCAL_IO_ERROR,
        DISK_OPT_INITIAL_SPLIT_BRAIN,
        DISK_OPT_SPLIT_BRAIN,
        DISK_OPT_BEFORE_RESYNC_TARGET,
        DISK_OPT_AFTER_RESYNC_TARGET,
        DISK_OPT_BEFORE_RESYNC_SOURCE,
        DISK_OPT_OUT_OF_SYNC,
        DISK_OPT_QUORUM_LOST,
        DISK_OPT_DISCONNECTED,
        _DISK_OPT_MAX,
};

enum disk_option_kind {
        DISK_OPT_KIND_BOOL,        /* "name;" (yes), "name yes;", "name no;" */
        DISK_OPT_KIND_ENUM,        /* one word of a fixed list */
        DISK_OPT_KIND_INT,         /* decimal, optional K/M/G factor, range-checked */
        DISK_OPT_KIND_SIZE,        /* bytes; a plain number counts in the option's unit */
        DISK_OPT_KIND_STRING,      /* any text */
        DISK_OPT_KIND_COMMAND,     /* a handler's shell command */
        DISK_OPT_KIND_ENUM_OR_INT, /* a word of the list or an integer (quorum) */
};

/* A static description of one option (the table in config_options.c). */
struct disk_option_info {
        const char *name;
        enum disk_section section;  /* where it is stored and printed */
        unsigned sections;          /* bit (1 << section) for every section that accepts it */
        enum disk_option_kind kind;
        const char *const *words;   /* ENUM, ENUM_OR_INT: NULL-terminated; a word
                                     * ending in '-' is a prefix (discard-node-) */
        bool nocase;                /* words match case-insensitively (protocol) */
        uint64_t min, max;          /* INT, ENUM_OR_INT, SIZE (SIZE: in unit) */
        uint64_t unit;              /* SIZE: bytes one plain number stands for */
        uint64_t def;               /* default: BOOL 0/1, ENUM word index, INT value,
                                     * SIZE bytes; STRING/COMMAND: none */
        const char *def_str;        /* STRING default, or NULL */
        size_t max_len;             /* STRING, COMMAND: longest accepted text */
        const char *used_by;        /* the part of tandem that acts on it */
};

/* The description of id, or NULL when id is out of range. */
const struct disk_option_info *disk_option_info(enum disk_option id);

/* The option named name (canonical names only, not 8.3 aliases), or
 * -ENOENT. */
int disk_option_from_name(const char *name);

/* The value an option has in a resource (or in global). For a value that
 * was neither set nor inherited, set and inherited are false and the typed
 * structs below hold the default. */
struct disk_option_value {
        bool set;                   /* written in the resource (or global) itself */
        bool inherited;             /* taken over from common */
        struct disk_config_loc loc; /* the statement that set it */
        uint64_t num;               /* BOOL 0/1; INT; SIZE in bytes; ENUM_OR_INT number */
        int word;                   /* ENUM, ENUM_OR_INT: word index, -1 for a number */
        char *str;                  /* STRING, COMMAND; the node of discard-node-NODE */
};

enum disk_usage_count { DISK_USAGE_COUNT_YES, DISK_USAGE_COUNT_NO, DISK_USAGE_COUNT_ASK };
enum disk_protocol { DISK_PROTOCOL_A, DISK_PROTOCOL_B, DISK_PROTOCOL_C };
enum disk_after_sb_0pri {
        DISK_ASB0_DISCONNECT,
        DISK_ASB0_DISCARD_YOUNGER_PRIMARY,
        DISK_ASB0_DISCARD_OLDER_PRIMARY,
        DISK_ASB0_DISCARD_ZERO_CHANGES,
        DISK_ASB0_DISCARD_LEAST_CHANGES,
        DISK_ASB0_DISCARD_NODE,     /* discard-node-NODE; the node is after_sb_0pri_node */
};
enum disk_after_sb_1pri {
        DISK_ASB1_DISCONNECT,
        DISK_ASB1_CONSENSUS,
        DISK_ASB1_VIOLENTLY_AS0P,
        DISK_ASB1_DISCARD_SECONDARY,
        DISK_ASB1_CALL_PRI_LOST_AFTER_SB,
};
enum disk_after_sb_2pri {
        DISK_ASB2_DISCONNECT,
        DISK_ASB2_VIOLENTLY_AS0P,
        DISK_ASB2_CALL_PRI_LOST_AFTER_SB,
};
enum disk_rr_conflict {
        DISK_RR_CONFLICT_DISCONNECT,
        DISK_RR_CONFLICT_CALL_PRI_LOST,
        DISK_RR_CONFLICT_VIOLENTLY,
        DISK_RR_CONFLICT_RETRY_CONNECT,
        DISK_RR_CONFLICT_AUTO_DISCARD,
};
enum disk_fencing { DISK_FENCING_DONT_CARE, DISK_FENCING_RESOURCE_ONLY, DISK_FENCING_RESOURCE_AND_STONITH };
enum disk_on_congestion { DISK_ON_CONGESTION_BLOCK, DISK_ON_CONGESTION_PULL_AHEAD, DISK_ON_CONGESTION_DISCONNECT };
enum disk_on_io_error { DISK_ON_IO_ERROR_PASS_ON, DISK_ON_IO_ERROR_CALL_LOCAL_IO_ERROR, DISK_ON_IO_ERROR_DETACH };
enum disk_read_balancing {
        DISK_READ_BALANCING_PREFER_LOCAL,
        DISK_READ_BALANCING_PREFER_REMOTE,
        DISK_READ_BALANCING_ROUND_ROBIN,
        DISK_READ_BALANCING_LEAST_PENDING,
        DISK_READ_BALANCING_WHEN_CONGESTED_REMOTE,
        DISK_READ_BALANCING_32K_STRIPING,
        DISK_READ_BALANCING_64K_STRIPING,
        DISK_READ_BALANCING_128K_STRIPING,
        DISK_READ_BALANCING_256K_STRIPING,
        DISK_READ_BALANCING_512K_STRIPING,
        DISK_READ_BALANCING_1M_STRIPING,
};
enum disk_io_policy { DISK_IO_POLICY_IO_ERROR, DISK_IO_POLICY_SUSPEND_IO };
enum disk_on_suspended_primary_outdated { DISK_OSPO_DISCONNECT, DISK_OSPO_FORCE_SECONDARY };

/* quorum and quorum-minimum-redundancy: off, majority, all, or a count. */
enum disk_quorum_kind { DISK_QUORUM_OFF, DISK_QUORUM_MAJORITY, DISK_QUORUM_ALL, DISK_QUORUM_COUNT };
struct disk_quorum {
        enum disk_quorum_kind kind;
        uint32_t count;             /* DISK_QUORUM_COUNT: 1..32 */
};

/* Typed views of the resolved options (explicit, else common, else the
 * default). Strings point into the resource's opt[] and are NULL when
 * unset. Time units are DRBD's: "ds" is 0.1 s. */
struct disk_global_options {
        enum disk_usage_count usage_count;
        uint32_t minor_count;
        uint32_t dialog_refresh;            /* s */
        bool disable_ip_verification;
        bool udev_always_use_vnr;
        uint32_t cmd_timeout_short, cmd_timeout_medium, cmd_timeout_long;  /* s */
};

struct disk_resource_options {
        const char *cpu_mask;
        enum disk_io_policy on_no_data_accessible;
        bool auto_promote;
        uint32_t auto_promote_timeout;      /* ds */
        uint32_t max_io_depth;
        uint64_t peer_ack_window;           /* bytes */
        uint32_t peer_ack_delay;            /* ms */
        uint32_t twopc_timeout;             /* ds */
        uint32_t twopc_retry_timeout;       /* ds */
        struct disk_quorum quorum;
        enum disk_io_policy on_no_quorum;
        struct disk_quorum quorum_minimum_redundancy;
        enum disk_on_suspended_primary_outdated on_suspended_primary_outdated;
};

struct disk_net_options {
        enum disk_protocol protocol;
        const char *transport;
        uint32_t timeout;                   /* ds */
        uint32_t connect_int;               /* s */
        uint32_t ping_int;                  /* s */
        uint32_t ping_timeout;              /* ds */
        uint32_t socket_check_timeout;      /* ds */
        uint32_t ko_count;
        uint32_t max_buffers;
        uint32_t max_epoch_size;
        uint32_t unplug_watermark;
        uint64_t sndbuf_size;               /* bytes, 0 = let the kernel tune */
        uint64_t rcvbuf_size;               /* bytes, 0 = let the kernel tune */
        bool allow_two_primaries;
        const char *cram_hmac_alg;
        const char *shared_secret;
        enum disk_after_sb_0pri after_sb_0pri;
        const char *after_sb_0pri_node;     /* DISK_ASB0_DISCARD_NODE: the node */
        enum disk_after_sb_1pri after_sb_1pri;
        enum disk_after_sb_2pri after_sb_2pri;
        bool always_asbp;
        enum disk_rr_conflict rr_conflict;
        const char *data_integrity_alg;
        bool tcp_cork;
        enum disk_on_congestion on_congestion;
        uint64_t congestion_fill;           /* bytes */
        uint32_t congestion_extents;
        const char *csums_alg;
        bool csums_after_crash_only;
        const char *verify_alg;
        bool use_rle;
        enum disk_fencing fencing;          /* written in net (9) or disk (8.4) */
        bool discard_my_data;
        bool allow_remote_read;
};

struct disk_disk_options {
        uint64_t size;                      /* bytes, 0 = the whole backing device */
        enum disk_on_io_error on_io_error;
        bool disk_barrier, disk_flushes, disk_drain, md_flushes;
        uint32_t max_bio_bvecs;
        uint64_t resync_rate;               /* bytes/s */
        const char *resync_after;           /* a resource name, or NULL */
        uint32_t al_extents;
        bool al_updates;
        uint32_t c_plan_ahead;              /* ds, 0 = fixed resync_rate */
        uint32_t c_delay_target;            /* ds */
        uint64_t c_fill_target;             /* bytes */
        uint64_t c_max_rate;                /* bytes/s */
        uint64_t c_min_rate;                /* bytes/s */
        uint32_t disk_timeout;              /* ds, 0 = none */
        enum disk_read_balancing read_balancing;
        uint64_t rs_discard_granularity;    /* bytes */
        bool discard_zeroes_if_aligned;
        bool disable_write_same;
};

struct disk_startup_options {
        uint32_t wfc_timeout;               /* s, 0 = forever */
        uint32_t degr_wfc_timeout;          /* s */
        uint32_t outdated_wfc_timeout;      /* s */
        bool wait_after_sb;
        const char *become_primary_on;      /* a host name, "both", or NULL */
        bool stacked_timeouts;
};

enum disk_meta_kind {
        DISK_META_UNSET,
        DISK_META_INTERNAL,
        DISK_META_EXTERNAL,
};

/* One volume of a host, resolved: resource-level "volume N" (or the
 * shorthand directly in the resource) completed by the host's own. */
struct disk_volume {
        uint32_t number;
        struct disk_config_loc loc;         /* host-level definition if any, else resource-level */
        char *device;                       /* "/dev/drbd0" as written, or NULL */
        bool minor_set;
        uint32_t minor;                     /* from "minor N" or /dev/drbdN */
        struct disk_config_loc device_loc;
        char *disk;                         /* the backing device */
        struct disk_config_loc disk_loc;
        enum disk_meta_kind meta;
        char *meta_disk;                    /* DISK_META_EXTERNAL: the device */
        int32_t meta_index;                 /* DISK_META_EXTERNAL: index, -1 = flexible */
        struct disk_config_loc meta_loc;
};

/* One "on HOST { }" of a resource. */
struct disk_host {
        char *name;
        struct disk_config_loc loc;
        bool node_id_set;                   /* written; else assigned (see docs) */
        uint32_t node_id;
        struct disk_config_loc node_id_loc;
        char *address_text;                 /* as written, e.g. "ipv4 10.0.0.1:7788" */
        struct sockaddr_storage address;
        socklen_t address_len;
        struct disk_config_loc address_loc;
        struct disk_volume *volumes;        /* sorted by number; every host has the same numbers */
        size_t n_volumes;
};

struct disk_resource {
        char *name;
        struct disk_config_loc loc;
        struct disk_option_value opt[_DISK_OPT_MAX];  /* only resource-section options */
        struct disk_resource_options options;
        struct disk_net_options net;
        struct disk_disk_options disk;
        struct disk_startup_options startup;
        struct disk_host *hosts;            /* in file order */
        size_t n_hosts;
};

struct disk_config {
        char **files;                       /* every file read, the main one first; locs point here */
        size_t n_files;
        struct disk_option_value global_opt[_DISK_OPT_MAX];  /* only global options */
        struct disk_global_options global;
        struct disk_resource **resources;   /* in file order */
        size_t n_resources;
};

struct disk_config_parse_options {
        bool forbid_include;                /* "include" is an error (untrusted text, fuzzing) */
        unsigned max_include_depth;         /* 0: 16 */
};

/* Reads, resolves and validates the configuration at path (and the files
 * it includes). opts may be NULL. On failure returns a negative errno
 * (-EINVAL for anything wrong with the text, -ENOENT/-EACCES/... when
 * the main file cannot be read, -ENOMEM) and, if err is not NULL, fills
 * err->message with "FILE:LINE:COLUMN: what is wrong" (or "FILE: reason"
 * for an unreadable file). The caller frees *ret with disk_config_free(). */
int disk_config_load(const char *path, const struct disk_config_parse_options *opts,
                     struct disk_config **ret, struct disk_config_error *err);

/* Same for text already in memory: len bytes (NUL bytes in them are an
 * error). name is used in locations and messages, and includes are
 * relative to its directory (the current one if it has no '/'). */
int disk_config_parse(const char *name, const char *text, size_t len,
                      const struct disk_config_parse_options *opts,
                      struct disk_config **ret, struct disk_config_error *err);

/* Frees c and everything in it. NULL is allowed. */
void disk_config_free(struct disk_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct disk_config *, disk_config_free)
#define _cleanup_disk_config_ _cleanup_(disk_config_freep)

/* The resource called name, or NULL. */
const struct disk_resource *disk_config_find_resource(const struct disk_config *c, const char *name);

/* The "on" entry of r whose name is exactly hostname (DRBD matches it
 * against uname -n), or NULL. */
const struct disk_host *disk_resource_find_host(const struct disk_resource *r, const char *hostname);

/* Stores in peers (room for r->n_hosts entries) every host of r other
 * than local, in file order, and returns how many. local may be NULL
 * (then every host is a peer). */
size_t disk_resource_peers(const struct disk_resource *r, const struct disk_host *local,
                           const struct disk_host **peers);

/* The volume numbered number of h, or NULL. */
const struct disk_volume *disk_host_find_volume(const struct disk_host *h, uint32_t number);

/* The command of handler name ("fence-peer", ...) for r, or NULL when it
 * is not set (there are no default handlers). */
const char *disk_resource_handler(const struct disk_resource *r, const char *name);

/* Appends to out the configuration in canonical drbd.conf form: the
 * global section (if anything is set) and every resource with common
 * merged in, or only the resource called resource when it is not NULL
 * (-ENOENT if there is none). Parsing the output gives the same
 * configuration; dumping that again gives the same text. -ENOMEM on
 * allocation failure (out then holds a partial dump). */
int disk_config_dump(const struct disk_config *c, const char *resource, struct buf *out);
