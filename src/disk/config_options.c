/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The meaning of a parsed disk.conf: the option table (every option of
 * net, disk, startup, handlers, options and global, from drbd.conf(5) of
 * DRBD 8.4 and 9 plus the 8.3 spellings), option values and "did you
 * mean" suggestions, then resolution (common into resources, volumes into
 * hosts, node-ids, typed views) and the validation of the whole. */
#include <limits.h>
#include <netinet/in.h>
#include <strings.h>

#include "config_internal.h"
#include "sock.h"

#define SEC(x) (1u << DISK_SECTION_##x)

static const char *const usage_count_words[] = { "yes", "no", "ask", NULL };
static const char *const protocol_words[] = { "A", "B", "C", NULL };
/* The last word is a prefix: discard-node-NODE names the node whose data
 * is thrown away. */
static const char *const after_sb_0pri_words[] = {
        "disconnect", "discard-younger-primary", "discard-older-primary",
        "discard-zero-changes", "discard-least-changes", "discard-node-", NULL,
};
static const char *const after_sb_1pri_words[] = {
        "disconnect", "consensus", "violently-as0p", "discard-secondary",
        "call-pri-lost-after-sb", NULL,
};
static const char *const after_sb_2pri_words[] = {
        "disconnect", "violently-as0p", "call-pri-lost-after-sb", NULL,
};
static const char *const rr_conflict_words[] = {
        "disconnect", "call-pri-lost", "violently", "retry-connect", "auto-discard", NULL,
};
static const char *const fencing_words[] = {
        "dont-care", "resource-only", "resource-and-stonith", NULL,
};
static const char *const on_congestion_words[] = { "block", "pull-ahead", "disconnect", NULL };
static const char *const on_io_error_words[] = { "pass_on", "call-local-io-error", "detach", NULL };
static const char *const read_balancing_words[] = {
        "prefer-local", "prefer-remote", "round-robin", "least-pending",
        "when-congested-remote", "32K-striping", "64K-striping", "128K-striping",
        "256K-striping", "512K-striping", "1M-striping", NULL,
};
static const char *const io_policy_words[] = { "io-error", "suspend-io", NULL };
static const char *const ospo_words[] = { "disconnect", "force-secondary", NULL };
static const char *const quorum_words[] = { "off", "majority", "all", NULL };

#define OPT(id, nm, sec, mask, knd, ...)                                       \
        [DISK_OPT_##id] = {                                                    \
                .name = nm,                                                    \
                .section = DISK_SECTION_##sec,                                 \
                .sections = SEC(sec) | (mask),                                 \
                .kind = DISK_OPT_KIND_##knd,                                   \
                __VA_ARGS__                                                    \
        }
#define FLAG(id, nm, sec, mask, d, use) OPT(id, nm, sec, mask, BOOL, .def = d, .used_by = use)
#define ENUM(id, nm, sec, mask, w, d, use) OPT(id, nm, sec, mask, ENUM, .words = w, .def = d, .used_by = use)
#define INT(id, nm, sec, mask, lo, hi, d, use)                                 \
        OPT(id, nm, sec, mask, INT, .min = lo, .max = hi, .def = d, .used_by = use)
/* lo, hi and d count in u bytes, as DRBD writes them. */
#define SIZE(id, nm, sec, mask, u, lo, hi, d, use)                             \
        OPT(id, nm, sec, mask, SIZE, .unit = u, .min = lo, .max = hi, .def = (uint64_t) (d) * (u), .used_by = use)
#define STR(id, nm, sec, mask, ml, ds, use)                                    \
        OPT(id, nm, sec, mask, STRING, .max_len = ml, .def_str = ds, .used_by = use)
#define HANDLER(id, nm, use) OPT(id, nm, HANDLERS, 0, COMMAND, .max_len = CFG_WORD_MAX, .used_by = use)

#define PARSED "parsed only"
#define LATER(x) "later: " x

static const struct disk_option_info options[_DISK_OPT_MAX] = {
        ENUM(USAGE_COUNT, "usage-count", GLOBAL, 0, usage_count_words, DISK_USAGE_COUNT_ASK, PARSED),
        INT(MINOR_COUNT, "minor-count", GLOBAL, 0, 1, 1048576, 32, PARSED),
        INT(DIALOG_REFRESH, "dialog-refresh", GLOBAL, 0, 0, 600, 1, LATER("startup wait")),
        FLAG(DISABLE_IP_VERIFICATION, "disable-ip-verification", GLOBAL, 0, 0, LATER("startup checks")),
        FLAG(UDEV_ALWAYS_USE_VNR, "udev-always-use-vnr", GLOBAL, 0, 0, PARSED),
        INT(CMD_TIMEOUT_SHORT, "cmd-timeout-short", GLOBAL, 0, 0, 1000000, 5, LATER("tandem disk CLI")),
        INT(CMD_TIMEOUT_MEDIUM, "cmd-timeout-medium", GLOBAL, 0, 0, 1000000, 121, LATER("tandem disk CLI")),
        INT(CMD_TIMEOUT_LONG, "cmd-timeout-long", GLOBAL, 0, 0, 1000000, 600, LATER("tandem disk CLI")),

        STR(CPU_MASK, "cpu-mask", OPTIONS, SEC(SYNCER), 256, NULL, PARSED),
        ENUM(ON_NO_DATA_ACCESSIBLE, "on-no-data-accessible", OPTIONS, SEC(SYNCER), io_policy_words,
             DISK_IO_POLICY_IO_ERROR, LATER("NBD server")),
        FLAG(AUTO_PROMOTE, "auto-promote", OPTIONS, 0, 1, LATER("roles")),
        INT(AUTO_PROMOTE_TIMEOUT, "auto-promote-timeout", OPTIONS, 0, 0, 600, 20, LATER("roles")),
        INT(MAX_IO_DEPTH, "max-io-depth", OPTIONS, 0, 4, UINT32_MAX, 8000, LATER("NBD server")),
        SIZE(PEER_ACK_WINDOW, "peer-ack-window", OPTIONS, 0, 512, 2048, 204800, 4096, LATER("replication")),
        INT(PEER_ACK_DELAY, "peer-ack-delay", OPTIONS, 0, 1, 10000, 100, LATER("replication")),
        INT(TWOPC_TIMEOUT, "twopc-timeout", OPTIONS, 0, 50, 600, 300, LATER("roles")),
        INT(TWOPC_RETRY_TIMEOUT, "twopc-retry-timeout", OPTIONS, 0, 1, 50, 1, LATER("roles")),
        OPT(QUORUM, "quorum", OPTIONS, 0, ENUM_OR_INT, .words = quorum_words, .min = 1, .max = 32,
            .def = DISK_QUORUM_OFF, .used_by = LATER("quorum")),
        ENUM(ON_NO_QUORUM, "on-no-quorum", OPTIONS, 0, io_policy_words, DISK_IO_POLICY_SUSPEND_IO,
             LATER("quorum")),
        OPT(QUORUM_MINIMUM_REDUNDANCY, "quorum-minimum-redundancy", OPTIONS, 0, ENUM_OR_INT,
            .words = quorum_words, .min = 1, .max = 32, .def = DISK_QUORUM_OFF, .used_by = LATER("quorum")),
        ENUM(ON_SUSPENDED_PRIMARY_OUTDATED, "on-suspended-primary-outdated", OPTIONS, 0, ospo_words,
             DISK_OSPO_DISCONNECT, LATER("quorum")),

        OPT(PROTOCOL, "protocol", NET, 0, ENUM, .words = protocol_words, .def = DISK_PROTOCOL_C,
            .nocase = true, .used_by = "now: validation; later: replication"),
        STR(TRANSPORT, "transport", NET, 0, 64, "tcp", LATER("replication (tcp only)")),
        INT(TIMEOUT, "timeout", NET, 0, 1, 600, 60, LATER("replication")),
        INT(CONNECT_INT, "connect-int", NET, 0, 1, 120, 10, LATER("replication")),
        INT(PING_INT, "ping-int", NET, 0, 1, 120, 10, LATER("replication")),
        INT(PING_TIMEOUT, "ping-timeout", NET, 0, 1, 300, 5, LATER("replication")),
        INT(SOCKET_CHECK_TIMEOUT, "socket-check-timeout", NET, 0, 0, 300, 0, LATER("replication")),
        INT(KO_COUNT, "ko-count", NET, 0, 0, 200, 7, LATER("replication")),
        INT(MAX_BUFFERS, "max-buffers", NET, 0, 32, 131072, 2048, LATER("replication")),
        INT(MAX_EPOCH_SIZE, "max-epoch-size", NET, 0, 1, 20000, 2048, LATER("replication")),
        INT(UNPLUG_WATERMARK, "unplug-watermark", NET, SEC(DISK), 1, 131072, 128, PARSED),
        SIZE(SNDBUF_SIZE, "sndbuf-size", NET, 0, 1, 0, 10 << 20, 0, LATER("replication")),
        SIZE(RCVBUF_SIZE, "rcvbuf-size", NET, 0, 1, 0, 10 << 20, 0, LATER("replication")),
        FLAG(ALLOW_TWO_PRIMARIES, "allow-two-primaries", NET, 0, 0, "now: validation; later: roles"),
        STR(CRAM_HMAC_ALG, "cram-hmac-alg", NET, 0, 63, NULL, LATER("peer authentication")),
        STR(SHARED_SECRET, "shared-secret", NET, 0, 64, NULL, LATER("peer authentication")),
        ENUM(AFTER_SB_0PRI, "after-sb-0pri", NET, 0, after_sb_0pri_words, DISK_ASB0_DISCONNECT,
             "now: validation; later: split-brain recovery"),
        ENUM(AFTER_SB_1PRI, "after-sb-1pri", NET, 0, after_sb_1pri_words, DISK_ASB1_DISCONNECT,
             LATER("split-brain recovery")),
        ENUM(AFTER_SB_2PRI, "after-sb-2pri", NET, 0, after_sb_2pri_words, DISK_ASB2_DISCONNECT,
             LATER("split-brain recovery")),
        FLAG(ALWAYS_ASBP, "always-asbp", NET, 0, 0, LATER("split-brain recovery")),
        ENUM(RR_CONFLICT, "rr-conflict", NET, 0, rr_conflict_words, DISK_RR_CONFLICT_DISCONNECT,
             LATER("resync")),
        STR(DATA_INTEGRITY_ALG, "data-integrity-alg", NET, 0, 63, NULL, LATER("replication")),
        FLAG(TCP_CORK, "tcp-cork", NET, 0, 1, LATER("replication")),
        ENUM(ON_CONGESTION, "on-congestion", NET, 0, on_congestion_words, DISK_ON_CONGESTION_BLOCK,
             LATER("replication")),
        SIZE(CONGESTION_FILL, "congestion-fill", NET, 0, 512, 0, 10 << 21, 0, LATER("replication")),
        INT(CONGESTION_EXTENTS, "congestion-extents", NET, 0, 67, 65534, 1237, LATER("replication")),
        STR(CSUMS_ALG, "csums-alg", NET, SEC(SYNCER), 63, NULL, LATER("resync")),
        FLAG(CSUMS_AFTER_CRASH_ONLY, "csums-after-crash-only", NET, 0, 0, LATER("resync")),
        STR(VERIFY_ALG, "verify-alg", NET, SEC(SYNCER), 63, NULL, LATER("online verify")),
        FLAG(USE_RLE, "use-rle", NET, SEC(SYNCER), 1, LATER("resync")),
        ENUM(FENCING, "fencing", NET, SEC(DISK), fencing_words, DISK_FENCING_DONT_CARE, LATER("fencing")),
        FLAG(DISCARD_MY_DATA, "discard-my-data", NET, 0, 0, LATER("split-brain recovery")),
        FLAG(ALLOW_REMOTE_READ, "allow-remote-read", NET, 0, 1, LATER("NBD server")),

        SIZE(SIZE, "size", DISK, 0, 512, 0, UINT64_C(2) << 40, 0, LATER("volumes")),
        ENUM(ON_IO_ERROR, "on-io-error", DISK, 0, on_io_error_words, DISK_ON_IO_ERROR_DETACH,
             LATER("disk IO")),
        FLAG(DISK_BARRIER, "disk-barrier", DISK, 0, 0, PARSED),
        FLAG(DISK_FLUSHES, "disk-flushes", DISK, 0, 1, LATER("disk IO")),
        FLAG(DISK_DRAIN, "disk-drain", DISK, 0, 1, LATER("disk IO")),
        FLAG(MD_FLUSHES, "md-flushes", DISK, 0, 1, LATER("metadata")),
        INT(MAX_BIO_BVECS, "max-bio-bvecs", DISK, 0, 0, 128, 0, PARSED),
        SIZE(RESYNC_RATE, "resync-rate", DISK, 0, 1024, 1, 4 << 21, 250, LATER("resync")),
        STR(RESYNC_AFTER, "resync-after", DISK, 0, 256, NULL, LATER("resync")),
        INT(AL_EXTENTS, "al-extents", DISK, SEC(SYNCER), 67, 65534, 1237, LATER("activity log")),
        FLAG(AL_UPDATES, "al-updates", DISK, 0, 1, LATER("activity log")),
        INT(C_PLAN_AHEAD, "c-plan-ahead", DISK, SEC(SYNCER), 0, 300, 20, LATER("resync")),
        INT(C_DELAY_TARGET, "c-delay-target", DISK, SEC(SYNCER), 1, 100, 10, LATER("resync")),
        SIZE(C_FILL_TARGET, "c-fill-target", DISK, SEC(SYNCER), 512, 0, 1 << 20, 100, LATER("resync")),
        SIZE(C_MAX_RATE, "c-max-rate", DISK, SEC(SYNCER), 1024, 250, 4 << 20, 102400, LATER("resync")),
        SIZE(C_MIN_RATE, "c-min-rate", DISK, SEC(SYNCER), 1024, 0, 4 << 20, 250, LATER("resync")),
        INT(DISK_TIMEOUT, "disk-timeout", DISK, 0, 0, 6000, 0, LATER("disk IO")),
        ENUM(READ_BALANCING, "read-balancing", DISK, 0, read_balancing_words,
             DISK_READ_BALANCING_PREFER_LOCAL, LATER("NBD server")),
        SIZE(RS_DISCARD_GRANULARITY, "rs-discard-granularity", DISK, 0, 1, 0, 1 << 20, 0, LATER("resync")),
        FLAG(DISCARD_ZEROES_IF_ALIGNED, "discard-zeroes-if-aligned", DISK, 0, 1, LATER("disk IO")),
        FLAG(DISABLE_WRITE_SAME, "disable-write-same", DISK, 0, 0, PARSED),

        INT(WFC_TIMEOUT, "wfc-timeout", STARTUP, 0, 0, 300000, 0, LATER("startup wait")),
        INT(DEGR_WFC_TIMEOUT, "degr-wfc-timeout", STARTUP, 0, 0, 300000, 0, LATER("startup wait")),
        INT(OUTDATED_WFC_TIMEOUT, "outdated-wfc-timeout", STARTUP, 0, 0, 300000, 0, LATER("startup wait")),
        FLAG(WAIT_AFTER_SB, "wait-after-sb", STARTUP, 0, 0, LATER("startup wait")),
        STR(BECOME_PRIMARY_ON, "become-primary-on", STARTUP, 0, 256, NULL, "now: validation; later: roles"),
        FLAG(STACKED_TIMEOUTS, "stacked-timeouts", STARTUP, 0, 0, PARSED),

        HANDLER(PRI_ON_INCON_DEGR, "pri-on-incon-degr", LATER("handlers")),
        HANDLER(PRI_LOST_AFTER_SB, "pri-lost-after-sb", LATER("handlers")),
        HANDLER(PRI_LOST, "pri-lost", LATER("handlers")),
        HANDLER(FENCE_PEER, "fence-peer", LATER("fencing")),
        HANDLER(UNFENCE_PEER, "unfence-peer", LATER("fencing")),
        HANDLER(LOCAL_IO_ERROR, "local-io-error", LATER("handlers")),
        HANDLER(INITIAL_SPLIT_BRAIN, "initial-split-brain", LATER("handlers")),
        HANDLER(SPLIT_BRAIN, "split-brain", LATER("handlers")),
        HANDLER(BEFORE_RESYNC_TARGET, "before-resync-target", LATER("handlers")),
        HANDLER(AFTER_RESYNC_TARGET, "after-resync-target", LATER("handlers")),
        HANDLER(BEFORE_RESYNC_SOURCE, "before-resync-source", LATER("handlers")),
        HANDLER(OUT_OF_SYNC, "out-of-sync", LATER("handlers")),
        HANDLER(QUORUM_LOST, "quorum-lost", LATER("handlers")),
        HANDLER(DISCONNECTED, "disconnected", LATER("handlers")),
};

/* DRBD 8.3 spellings, accepted only in the section that had them. */
static const struct {
        const char *name;
        int id;
        enum disk_section section;
        bool negate;            /* "no-X;" means "X no;" */
} aliases[] = {
        { "rate", DISK_OPT_RESYNC_RATE, DISK_SECTION_SYNCER, false },
        { "after", DISK_OPT_RESYNC_AFTER, DISK_SECTION_SYNCER, false },
        { "no-disk-barrier", DISK_OPT_DISK_BARRIER, DISK_SECTION_DISK, true },
        { "no-disk-flushes", DISK_OPT_DISK_FLUSHES, DISK_SECTION_DISK, true },
        { "no-disk-drain", DISK_OPT_DISK_DRAIN, DISK_SECTION_DISK, true },
        { "no-md-flushes", DISK_OPT_MD_FLUSHES, DISK_SECTION_DISK, true },
        { "no-tcp-cork", DISK_OPT_TCP_CORK, DISK_SECTION_NET, true },
        { "outdate-peer", DISK_OPT_FENCE_PEER, DISK_SECTION_HANDLERS, false },
};

static const char *const section_names[_DISK_SECTION_MAX] = {
        [DISK_SECTION_GLOBAL] = "global",
        [DISK_SECTION_OPTIONS] = "options",
        [DISK_SECTION_NET] = "net",
        [DISK_SECTION_DISK] = "disk",
        [DISK_SECTION_STARTUP] = "startup",
        [DISK_SECTION_HANDLERS] = "handlers",
        [DISK_SECTION_SYNCER] = "syncer",
};

const char *cfg_section_name(enum disk_section s) {
        return (unsigned) s < _DISK_SECTION_MAX ? section_names[s] : "?";
}

const struct disk_option_info *disk_option_info(enum disk_option id) {
        return (unsigned) id < _DISK_OPT_MAX ? &options[id] : NULL;
}

int disk_option_from_name(const char *name) {
        for (int i = 0; i < _DISK_OPT_MAX; i++)
                if (streq(options[i].name, name))
                        return i;
        return -ENOENT;
}

/* Edit distance with a small cap: names are short, and anything further
 * than a few edits away is no useful suggestion. */
static unsigned edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64], prev;

        if (la >= ELEMENTSOF(row) || lb >= ELEMENTSOF(row))
                return UINT32_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                prev = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cur = row[j];
                        unsigned best = prev + (a[i - 1] != b[j - 1]);

                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        prev = cur;
                }
        }
        return row[lb];
}

static bool valid_in(const struct disk_option_info *o, enum disk_section section) {
        return (o->sections & (1u << section)) != 0;
}

/* Appends "net or disk" style list of the sections that accept o. */
static void sections_of(const struct disk_option_info *o, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = '\0';
        for (int s = 0; s < _DISK_SECTION_MAX; s++) {
                if (!valid_in(o, (enum disk_section) s) || s == DISK_SECTION_SYNCER)
                        continue;
                n += (size_t) snprintf(buf + n, size - n, "%s%s", n ? " or " : "", section_names[s]);
                if (n >= size)
                        return;
        }
}

int cfg_option_lookup(const char *name, enum disk_section section, const struct disk_config_loc *loc,
                      int *ret_id, bool *ret_negate, struct disk_config_error *err) {
        const char *best = NULL;
        unsigned best_d = UINT32_MAX;
        char where[64];

        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (aliases[i].section == section && streq(aliases[i].name, name)) {
                        *ret_id = aliases[i].id;
                        *ret_negate = aliases[i].negate;
                        return 0;
                }
        for (int i = 0; i < _DISK_OPT_MAX; i++) {
                if (!streq(options[i].name, name))
                        continue;
                if (valid_in(&options[i], section)) {
                        *ret_id = i;
                        *ret_negate = false;
                        return 0;
                }
                sections_of(&options[i], where, sizeof(where));
                return cfg_error(err, loc, "option '%s' does not belong in the %s section (it goes in %s)",
                                 name, section_names[section], where);
        }

        /* Suggest among the names valid here: a misspelt option is far
         * more common than one put in the wrong section. */
        for (int i = 0; i < _DISK_OPT_MAX; i++) {
                unsigned d;

                if (!valid_in(&options[i], section))
                        continue;
                d = edit_distance(name, options[i].name);
                if (d < best_d) {
                        best_d = d;
                        best = options[i].name;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(aliases); i++) {
                unsigned d;

                if (aliases[i].section != section)
                        continue;
                d = edit_distance(name, aliases[i].name);
                if (d < best_d) {
                        best_d = d;
                        best = aliases[i].name;
                }
        }
        if (best && best_d <= 3 && best_d * 3 <= strlen(best))
                return cfg_error(err, loc, "unknown option '%s' in the %s section; did you mean '%s'?",
                                 name, section_names[section], best);
        return cfg_error(err, loc, "unknown option '%s' in the %s section", name, section_names[section]);
}

static int parse_number(const char *s, bool allow_sectors, uint64_t *ret) {
        size_t l = strlen(s);

        if (l == 0)
                return -EINVAL;
        if (s[l - 1] >= '0' && s[l - 1] <= '9')
                return parse_u64(s, ret);
        if (!allow_sectors && s[l - 1] == 's')
                return -EINVAL;
        return parse_size(s, ret);
}

/* Lists the words of o for messages: "A, B, C". */
static void word_list(const struct disk_option_info *o, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; o->words[i] && n < size; i++) {
                const char *w = o->words[i];
                bool prefix = w[strlen(w) - 1] == '-';

                n += (size_t) snprintf(buf + n, size - n, "%s%s%s", i ? ", " : "", w, prefix ? "NODE" : "");
        }
}

static int match_word(const struct disk_option_info *o, const char *s, const char **ret_rest) {
        for (int i = 0; o->words[i]; i++) {
                const char *w = o->words[i], *rest;
                size_t l = strlen(w);

                if (w[l - 1] == '-') {
                        rest = startswith(s, w);
                        if (rest && *rest) {
                                *ret_rest = rest;
                                return i;
                        }
                } else if (o->nocase ? strcasecmp(w, s) == 0 : streq(w, s)) {
                        *ret_rest = NULL;
                        return i;
                }
        }
        return -1;
}

static int range_error(const struct disk_option_info *o, const struct cfg_token *t, struct disk_config_error *err) {
        _cleanup_buf_ struct buf lo = BUF_INIT, hi = BUF_INIT;

        if (o->kind != DISK_OPT_KIND_SIZE)
                return cfg_error(err, &t->loc, "value %s of %s is out of range (%" PRIu64 "..%" PRIu64 ")",
                                 t->text, o->name, o->min, o->max);
        if (cfg_format_size(&lo, o->min * o->unit, o->unit) < 0 ||
            cfg_format_size(&hi, o->max * o->unit, o->unit) < 0)
                return cfg_oom(err, &t->loc);
        return cfg_error(err, &t->loc, "value %s of %s is out of range (%s..%s)", t->text, o->name, lo.data, hi.data);
}

int cfg_option_parse(int id, bool negate, const struct cfg_stmt *st,
                     struct disk_option_value *ret, struct disk_config_error *err) {
        const struct disk_option_info *o = &options[id];
        struct disk_option_value v = { .set = true, .loc = st->kw.loc, .word = -1 };
        const struct cfg_token *t = st->n_args > 0 ? &st->args[0] : NULL;
        char usage[512];
        const char *rest;
        uint64_t n;
        int r;

        if (negate) {
                r = cfg_check_args(st, 0, 0, "it takes no value", err);
                if (r < 0)
                        return r;
                *ret = v;
                return 0;
        }

        switch (o->kind) {
        case DISK_OPT_KIND_BOOL:
                r = cfg_check_args(st, 0, 1, "yes or no", err);
                if (r < 0)
                        return r;
                if (!t || streq(t->text, "yes"))
                        v.num = 1;
                else if (!streq(t->text, "no"))
                        return cfg_error(err, &t->loc, "%s takes yes or no, not '%s'", o->name, t->text);
                break;

        case DISK_OPT_KIND_ENUM:
        case DISK_OPT_KIND_ENUM_OR_INT:
                word_list(o, usage, sizeof(usage));
                if (o->kind == DISK_OPT_KIND_ENUM_OR_INT)
                        snprintf(usage + strlen(usage), sizeof(usage) - strlen(usage),
                                 " or a number %" PRIu64 "..%" PRIu64, o->min, o->max);
                r = cfg_check_args(st, 1, 1, usage, err);
                if (r < 0)
                        return r;
                v.word = match_word(o, t->text, &rest);
                if (v.word >= 0) {
                        v.num = (uint64_t) v.word;
                        if (rest) {
                                v.str = strdup(rest);
                                if (!v.str)
                                        return cfg_oom(err, &t->loc);
                        }
                        break;
                }
                if (o->kind == DISK_OPT_KIND_ENUM_OR_INT && parse_u64(t->text, &n) == 0) {
                        if (n < o->min || n > o->max)
                                return range_error(o, t, err);
                        v.num = n;
                        break;
                }
                return cfg_error(err, &t->loc, "unknown value '%s' for %s (allowed: %s)", t->text, o->name, usage);

        case DISK_OPT_KIND_INT:
                r = cfg_check_args(st, 1, 1, "a number", err);
                if (r < 0)
                        return r;
                r = parse_number(t->text, false, &n);
                if (r == -ERANGE)
                        return range_error(o, t, err);
                if (r < 0)
                        return cfg_error(err, &t->loc, "%s takes a number, not '%s'", o->name, t->text);
                if (n < o->min || n > o->max)
                        return range_error(o, t, err);
                v.num = n;
                break;

        case DISK_OPT_KIND_SIZE: {
                size_t l;

                r = cfg_check_args(st, 1, 1, "a size such as 100M", err);
                if (r < 0)
                        return r;
                l = strlen(t->text);
                r = parse_number(t->text, true, &n);
                if (r == 0 && l > 0 && t->text[l - 1] >= '0' && t->text[l - 1] <= '9' &&
                    __builtin_mul_overflow(n, o->unit, &n))
                        r = -ERANGE;
                if (r == -ERANGE)
                        return range_error(o, t, err);
                if (r < 0)
                        return cfg_error(err, &t->loc,
                                         "bad size '%s' for %s (a number with an optional suffix K, M, G, T or s)",
                                         t->text, o->name);
                if (n < o->min * o->unit || n > o->max * o->unit)
                        return range_error(o, t, err);
                v.num = n;
                break;
        }

        case DISK_OPT_KIND_STRING:
        case DISK_OPT_KIND_COMMAND:
                r = cfg_check_args(st, 1, 1,
                                   o->kind == DISK_OPT_KIND_COMMAND ?
                                   "one command; quote it if it contains spaces" :
                                   "one value; quote it if it contains spaces", err);
                if (r < 0)
                        return r;
                if (strlen(t->text) > o->max_len)
                        return cfg_error(err, &t->loc, "value of %s is longer than %zu bytes", o->name, o->max_len);
                if (o->kind == DISK_OPT_KIND_COMMAND && t->text[strspn(t->text, " \t")] == '\0')
                        return cfg_error(err, &t->loc, "empty command for handler %s", o->name);
                v.str = strdup(t->text);
                if (!v.str)
                        return cfg_oom(err, &t->loc);
                break;
        }

        *ret = v;
        return 0;
}

void cfg_option_value_done(struct disk_option_value *v) {
        free(v->str);
        *v = (struct disk_option_value) { .word = -1 };
}

static bool has_value(const struct disk_option_value *opt, int id) {
        return opt[id].set || opt[id].inherited;
}

uint64_t cfg_opt_num(const struct disk_option_value *opt, int id) {
        if (has_value(opt, id))
                return opt[id].num;
        return options[id].def;
}

int cfg_opt_word(const struct disk_option_value *opt, int id) {
        if (has_value(opt, id))
                return opt[id].word;
        return (int) options[id].def;
}

const char *cfg_opt_str(const struct disk_option_value *opt, int id) {
        if (has_value(opt, id))
                return opt[id].str;
        return options[id].def_str;
}

static uint32_t u32(const struct disk_option_value *opt, int id) {
        uint64_t v = cfg_opt_num(opt, id);

        return v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
}

static bool flag(const struct disk_option_value *opt, int id) {
        return cfg_opt_num(opt, id) != 0;
}

static struct disk_quorum quorum(const struct disk_option_value *opt, int id) {
        int w = cfg_opt_word(opt, id);

        if (w >= 0)
                return (struct disk_quorum) { .kind = (enum disk_quorum_kind) w };
        return (struct disk_quorum) { .kind = DISK_QUORUM_COUNT, .count = u32(opt, id) };
}

void cfg_fill_global(struct disk_config *c) {
        const struct disk_option_value *o = c->global_opt;

        c->global = (struct disk_global_options) {
                .usage_count = (enum disk_usage_count) cfg_opt_word(o, DISK_OPT_USAGE_COUNT),
                .minor_count = u32(o, DISK_OPT_MINOR_COUNT),
                .dialog_refresh = u32(o, DISK_OPT_DIALOG_REFRESH),
                .disable_ip_verification = flag(o, DISK_OPT_DISABLE_IP_VERIFICATION),
                .udev_always_use_vnr = flag(o, DISK_OPT_UDEV_ALWAYS_USE_VNR),
                .cmd_timeout_short = u32(o, DISK_OPT_CMD_TIMEOUT_SHORT),
                .cmd_timeout_medium = u32(o, DISK_OPT_CMD_TIMEOUT_MEDIUM),
                .cmd_timeout_long = u32(o, DISK_OPT_CMD_TIMEOUT_LONG),
        };
}

void cfg_fill_resource(struct disk_resource *r) {
        const struct disk_option_value *o = r->opt;

        r->options = (struct disk_resource_options) {
                .cpu_mask = cfg_opt_str(o, DISK_OPT_CPU_MASK),
                .on_no_data_accessible = (enum disk_io_policy) cfg_opt_word(o, DISK_OPT_ON_NO_DATA_ACCESSIBLE),
                .auto_promote = flag(o, DISK_OPT_AUTO_PROMOTE),
                .auto_promote_timeout = u32(o, DISK_OPT_AUTO_PROMOTE_TIMEOUT),
                .max_io_depth = u32(o, DISK_OPT_MAX_IO_DEPTH),
                .peer_ack_window = cfg_opt_num(o, DISK_OPT_PEER_ACK_WINDOW),
                .peer_ack_delay = u32(o, DISK_OPT_PEER_ACK_DELAY),
                .twopc_timeout = u32(o, DISK_OPT_TWOPC_TIMEOUT),
                .twopc_retry_timeout = u32(o, DISK_OPT_TWOPC_RETRY_TIMEOUT),
                .quorum = quorum(o, DISK_OPT_QUORUM),
                .on_no_quorum = (enum disk_io_policy) cfg_opt_word(o, DISK_OPT_ON_NO_QUORUM),
                .quorum_minimum_redundancy = quorum(o, DISK_OPT_QUORUM_MINIMUM_REDUNDANCY),
                .on_suspended_primary_outdated =
                        (enum disk_on_suspended_primary_outdated) cfg_opt_word(o, DISK_OPT_ON_SUSPENDED_PRIMARY_OUTDATED),
        };
        r->net = (struct disk_net_options) {
                .protocol = (enum disk_protocol) cfg_opt_word(o, DISK_OPT_PROTOCOL),
                .transport = cfg_opt_str(o, DISK_OPT_TRANSPORT),
                .timeout = u32(o, DISK_OPT_TIMEOUT),
                .connect_int = u32(o, DISK_OPT_CONNECT_INT),
                .ping_int = u32(o, DISK_OPT_PING_INT),
                .ping_timeout = u32(o, DISK_OPT_PING_TIMEOUT),
                .socket_check_timeout = u32(o, DISK_OPT_SOCKET_CHECK_TIMEOUT),
                .ko_count = u32(o, DISK_OPT_KO_COUNT),
                .max_buffers = u32(o, DISK_OPT_MAX_BUFFERS),
                .max_epoch_size = u32(o, DISK_OPT_MAX_EPOCH_SIZE),
                .unplug_watermark = u32(o, DISK_OPT_UNPLUG_WATERMARK),
                .sndbuf_size = cfg_opt_num(o, DISK_OPT_SNDBUF_SIZE),
                .rcvbuf_size = cfg_opt_num(o, DISK_OPT_RCVBUF_SIZE),
                .allow_two_primaries = flag(o, DISK_OPT_ALLOW_TWO_PRIMARIES),
                .cram_hmac_alg = cfg_opt_str(o, DISK_OPT_CRAM_HMAC_ALG),
                .shared_secret = cfg_opt_str(o, DISK_OPT_SHARED_SECRET),
                .after_sb_0pri = (enum disk_after_sb_0pri) cfg_opt_word(o, DISK_OPT_AFTER_SB_0PRI),
                .after_sb_0pri_node = cfg_opt_str(o, DISK_OPT_AFTER_SB_0PRI),
                .after_sb_1pri = (enum disk_after_sb_1pri) cfg_opt_word(o, DISK_OPT_AFTER_SB_1PRI),
                .after_sb_2pri = (enum disk_after_sb_2pri) cfg_opt_word(o, DISK_OPT_AFTER_SB_2PRI),
                .always_asbp = flag(o, DISK_OPT_ALWAYS_ASBP),
                .rr_conflict = (enum disk_rr_conflict) cfg_opt_word(o, DISK_OPT_RR_CONFLICT),
                .data_integrity_alg = cfg_opt_str(o, DISK_OPT_DATA_INTEGRITY_ALG),
                .tcp_cork = flag(o, DISK_OPT_TCP_CORK),
                .on_congestion = (enum disk_on_congestion) cfg_opt_word(o, DISK_OPT_ON_CONGESTION),
                .congestion_fill = cfg_opt_num(o, DISK_OPT_CONGESTION_FILL),
                .congestion_extents = u32(o, DISK_OPT_CONGESTION_EXTENTS),
                .csums_alg = cfg_opt_str(o, DISK_OPT_CSUMS_ALG),
                .csums_after_crash_only = flag(o, DISK_OPT_CSUMS_AFTER_CRASH_ONLY),
                .verify_alg = cfg_opt_str(o, DISK_OPT_VERIFY_ALG),
                .use_rle = flag(o, DISK_OPT_USE_RLE),
                .fencing = (enum disk_fencing) cfg_opt_word(o, DISK_OPT_FENCING),
                .discard_my_data = flag(o, DISK_OPT_DISCARD_MY_DATA),
                .allow_remote_read = flag(o, DISK_OPT_ALLOW_REMOTE_READ),
        };
        r->disk = (struct disk_disk_options) {
                .size = cfg_opt_num(o, DISK_OPT_SIZE),
                .on_io_error = (enum disk_on_io_error) cfg_opt_word(o, DISK_OPT_ON_IO_ERROR),
                .disk_barrier = flag(o, DISK_OPT_DISK_BARRIER),
                .disk_flushes = flag(o, DISK_OPT_DISK_FLUSHES),
                .disk_drain = flag(o, DISK_OPT_DISK_DRAIN),
                .md_flushes = flag(o, DISK_OPT_MD_FLUSHES),
                .max_bio_bvecs = u32(o, DISK_OPT_MAX_BIO_BVECS),
                .resync_rate = cfg_opt_num(o, DISK_OPT_RESYNC_RATE),
                .resync_after = cfg_opt_str(o, DISK_OPT_RESYNC_AFTER),
                .al_extents = u32(o, DISK_OPT_AL_EXTENTS),
                .al_updates = flag(o, DISK_OPT_AL_UPDATES),
                .c_plan_ahead = u32(o, DISK_OPT_C_PLAN_AHEAD),
                .c_delay_target = u32(o, DISK_OPT_C_DELAY_TARGET),
                .c_fill_target = cfg_opt_num(o, DISK_OPT_C_FILL_TARGET),
                .c_max_rate = cfg_opt_num(o, DISK_OPT_C_MAX_RATE),
                .c_min_rate = cfg_opt_num(o, DISK_OPT_C_MIN_RATE),
                .disk_timeout = u32(o, DISK_OPT_DISK_TIMEOUT),
                .read_balancing = (enum disk_read_balancing) cfg_opt_word(o, DISK_OPT_READ_BALANCING),
                .rs_discard_granularity = cfg_opt_num(o, DISK_OPT_RS_DISCARD_GRANULARITY),
                .discard_zeroes_if_aligned = flag(o, DISK_OPT_DISCARD_ZEROES_IF_ALIGNED),
                .disable_write_same = flag(o, DISK_OPT_DISABLE_WRITE_SAME),
        };
        r->startup = (struct disk_startup_options) {
                .wfc_timeout = u32(o, DISK_OPT_WFC_TIMEOUT),
                .degr_wfc_timeout = u32(o, DISK_OPT_DEGR_WFC_TIMEOUT),
                .outdated_wfc_timeout = u32(o, DISK_OPT_OUTDATED_WFC_TIMEOUT),
                .wait_after_sb = flag(o, DISK_OPT_WAIT_AFTER_SB),
                .become_primary_on = cfg_opt_str(o, DISK_OPT_BECOME_PRIMARY_ON),
                .stacked_timeouts = flag(o, DISK_OPT_STACKED_TIMEOUTS),
        };
}

int cfg_format_size(struct buf *out, uint64_t bytes, uint64_t unit) {
        static const struct { char suffix; unsigned shift; } units[] = {
                { 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 }, { 's', 9 },
        };

        if (bytes == 0)
                return buf_putc(out, '0');
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                uint64_t m = UINT64_C(1) << units[i].shift;

                /* Options counted in bytes print plain rather than in
                 * sectors; every other option is a multiple of 512. */
                if (units[i].suffix == 's' && unit == 1)
                        break;
                if (bytes % m == 0)
                        return buf_printf(out, "%" PRIu64 "%c", bytes / m, units[i].suffix);
        }
        return buf_printf(out, "%" PRIu64, bytes);
}

int cfg_format_value(int id, const struct disk_option_value *v, struct buf *out) {
        const struct disk_option_info *o = &options[id];

        switch (o->kind) {
        case DISK_OPT_KIND_BOOL:
                return buf_append_str(out, v->num ? "yes" : "no");
        case DISK_OPT_KIND_ENUM:
        case DISK_OPT_KIND_ENUM_OR_INT:
                if (v->word < 0)
                        return buf_printf(out, "%" PRIu64, v->num);
                if (v->str) {
                        _cleanup_free_ char *w = strjoin(o->words[v->word], v->str, NULL);

                        return w ? cfg_append_word(out, w, false) : -ENOMEM;
                }
                return buf_append_str(out, o->words[v->word]);
        case DISK_OPT_KIND_INT:
                return buf_printf(out, "%" PRIu64, v->num);
        case DISK_OPT_KIND_SIZE:
                return cfg_format_size(out, v->num, o->unit);
        case DISK_OPT_KIND_STRING:
        case DISK_OPT_KIND_COMMAND:
                return cfg_append_word(out, v->str ? v->str : "", false);
        }
        return -EINVAL;
}

/* ---- resolution and validation ----------------------------------------- */

static int inherit_common(struct cfg_ctx *ctx, struct disk_resource *r) {
        for (int id = 0; id < _DISK_OPT_MAX; id++) {
                const struct disk_option_value *from = &ctx->common[id];

                if (!from->set || r->opt[id].set)
                        continue;
                r->opt[id] = *from;
                r->opt[id].set = false;
                r->opt[id].inherited = true;
                if (from->str && !(r->opt[id].str = strdup(from->str)))
                        return cfg_oom(ctx->err, &from->loc);
        }
        return 0;
}

static int dup_field(char **to, const char *from) {
        if (!from)
                return 0;
        *to = strdup(from);
        return *to ? 0 : -ENOMEM;
}

/* Copies the fields of from that are set over to (which owns its strings). */
static int overlay_volume(struct disk_volume *to, const struct disk_volume *from) {
        if (from->device || from->minor_set) {
                free(to->device);
                to->device = NULL;
                if (dup_field(&to->device, from->device) < 0)
                        return -ENOMEM;
                to->minor_set = from->minor_set;
                to->minor = from->minor;
                to->device_loc = from->device_loc;
        }
        if (from->disk) {
                free(to->disk);
                to->disk = NULL;
                if (dup_field(&to->disk, from->disk) < 0)
                        return -ENOMEM;
                to->disk_loc = from->disk_loc;
        }
        if (from->meta != DISK_META_UNSET) {
                free(to->meta_disk);
                to->meta_disk = NULL;
                if (dup_field(&to->meta_disk, from->meta_disk) < 0)
                        return -ENOMEM;
                to->meta = from->meta;
                to->meta_index = from->meta_index;
                to->meta_loc = from->meta_loc;
        }
        return 0;
}

static int cmp_volume(const void *a, const void *b) {
        const struct disk_volume *x = a, *y = b;

        return x->number < y->number ? -1 : x->number > y->number;
}

/* host->volumes = resource-level volumes completed by the host's own. */
static int merge_volumes(struct cfg_ctx *ctx, const struct cfg_vols *rv, const struct cfg_vols *hv,
                         struct disk_host *host) {
        size_t n = rv->n + hv->n;
        struct disk_volume *out;

        out = calloc(n ? n : 1, sizeof(*out));
        if (!out)
                return cfg_oom(ctx->err, &host->loc);
        host->volumes = out;
        host->n_volumes = 0;
        for (size_t pass = 0; pass < 2; pass++) {
                const struct cfg_vols *src = pass == 0 ? rv : hv;

                for (size_t i = 0; i < src->n; i++) {
                        const struct disk_volume *from = &src->items[i].v;
                        struct disk_volume *to = NULL;

                        for (size_t j = 0; j < host->n_volumes; j++)
                                if (out[j].number == from->number)
                                        to = &out[j];
                        if (!to) {
                                to = &out[host->n_volumes++];
                                *to = (struct disk_volume) { .number = from->number, .meta_index = -1 };
                        }
                        to->loc = from->loc;
                        if (overlay_volume(to, from) < 0)
                                return cfg_oom(ctx->err, &from->loc);
                }
        }
        qsort(out, host->n_volumes, sizeof(*out), cmp_volume);
        return 0;
}

static bool same_address(const struct disk_host *a, const struct disk_host *b) {
        if (a->address.ss_family != b->address.ss_family)
                return false;
        if (a->address.ss_family == AF_INET) {
                const struct sockaddr_in *x = (const void *) &a->address, *y = (const void *) &b->address;

                return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
        }
        const struct sockaddr_in6 *x = (const void *) &a->address, *y = (const void *) &b->address;

        return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static const char *addr_str(const struct disk_host *h, char *buf, size_t size) {
        if (sock_format_addr((const struct sockaddr *) &h->address, h->address_len, buf, size) < 0)
                snprintf(buf, size, "%s", h->address_text);
        return buf;
}

static int assign_node_ids(struct cfg_ctx *ctx, struct disk_resource *r) {
        uint64_t used = 0;
        uint32_t next = 0;
        char where[PATH_MAX + 32] = "";

        for (size_t i = 0; i < r->n_hosts; i++) {
                struct disk_host *h = &r->hosts[i];

                if (!h->node_id_set)
                        continue;
                if (used & (UINT64_C(1) << h->node_id)) {
                        for (size_t j = 0; j < i; j++)
                                if (r->hosts[j].node_id_set && r->hosts[j].node_id == h->node_id)
                                        cfg_fmt_loc(&r->hosts[j].node_id_loc, where, sizeof(where));
                        return cfg_error(ctx->err, &h->node_id_loc, "node-id %" PRIu32 " of host %s is already used in resource %s (at %s)",
                                         h->node_id, h->name, r->name, where);
                }
                used |= UINT64_C(1) << h->node_id;
        }
        /* Hosts without node-id get the lowest free ids in host order: with
         * none written this is 0, 1, ... as DRBD 8.4 implies. */
        for (size_t i = 0; i < r->n_hosts; i++) {
                struct disk_host *h = &r->hosts[i];

                if (h->node_id_set)
                        continue;
                while (next <= CFG_NODE_ID_MAX && (used & (UINT64_C(1) << next)))
                        next++;
                if (next > CFG_NODE_ID_MAX)
                        return cfg_error(ctx->err, &h->loc, "resource %s has more hosts than node-ids (0..%d)",
                                         r->name, CFG_NODE_ID_MAX);
                h->node_id = next;
                used |= UINT64_C(1) << next;
        }
        return 0;
}

static int validate_volumes(struct cfg_ctx *ctx, const struct disk_resource *r) {
        const struct disk_host *first = &r->hosts[0];

        if (first->n_volumes == 0)
                return cfg_error(ctx->err, &r->loc,
                                 "resource %s defines no volume (give disk and meta-disk, directly or in 'volume N { }')",
                                 r->name);
        for (size_t i = 0; i < r->n_hosts; i++) {
                const struct disk_host *h = &r->hosts[i];

                for (size_t v = 0; v < h->n_volumes; v++) {
                        const struct disk_volume *vol = &h->volumes[v];

                        if (!vol->disk)
                                return cfg_error(ctx->err, &vol->loc, "volume %" PRIu32 " of host %s in resource %s has no disk",
                                                 vol->number, h->name, r->name);
                        if (vol->meta == DISK_META_UNSET)
                                return cfg_error(ctx->err, &vol->loc,
                                                 "volume %" PRIu32 " of host %s in resource %s has no meta-disk",
                                                 vol->number, h->name, r->name);
                }
                /* Volumes are replicated between all hosts: same numbers everywhere. */
                for (size_t v = 0; v < h->n_volumes; v++)
                        if (!disk_host_find_volume(first, h->volumes[v].number))
                                return cfg_error(ctx->err, &h->volumes[v].loc,
                                                 "volume %" PRIu32 " is defined for host %s but not for host %s of resource %s",
                                                 h->volumes[v].number, h->name, first->name, r->name);
                for (size_t v = 0; v < first->n_volumes; v++)
                        if (!disk_host_find_volume(h, first->volumes[v].number))
                                return cfg_error(ctx->err, &first->volumes[v].loc,
                                                 "volume %" PRIu32 " is defined for host %s but not for host %s of resource %s",
                                                 first->volumes[v].number, first->name, h->name, r->name);
        }
        return 0;
}

static int validate_resource(struct cfg_ctx *ctx, struct disk_resource *r) {
        const struct disk_option_value *o = r->opt;
        char a1[SOCK_ADDR_STR_MAX], l1[PATH_MAX + 32], l2[PATH_MAX + 32];
        int e;

        if (r->n_hosts == 0)
                return cfg_error(ctx->err, &r->loc, "resource %s has no 'on HOST { }' section", r->name);
        for (size_t i = 0; i < r->n_hosts; i++)
                if (!r->hosts[i].address_text)
                        return cfg_error(ctx->err, &r->hosts[i].loc, "host %s of resource %s has no address",
                                         r->hosts[i].name, r->name);
        e = validate_volumes(ctx, r);
        if (e < 0)
                return e;
        e = assign_node_ids(ctx, r);
        if (e < 0)
                return e;
        for (size_t i = 0; i < r->n_hosts; i++)
                for (size_t j = 0; j < i; j++) {
                        const struct disk_host *a = &r->hosts[j], *b = &r->hosts[i];

                        if (!same_address(a, b))
                                continue;
                        return cfg_error(ctx->err, &b->address_loc,
                                         "hosts %s and %s of resource %s have the same address %s (%s at %s, %s at %s)",
                                         a->name, b->name, r->name, addr_str(b, a1, sizeof(a1)),
                                         a->name, cfg_fmt_loc(&a->address_loc, l1, sizeof(l1)),
                                         b->name, cfg_fmt_loc(&b->address_loc, l2, sizeof(l2)));
                }

        if (r->net.allow_two_primaries && r->net.protocol != DISK_PROTOCOL_C) {
                const struct disk_option_value *p = &o[DISK_OPT_PROTOCOL];

                return cfg_error(ctx->err, &o[DISK_OPT_ALLOW_TWO_PRIMARIES].loc,
                                 "allow-two-primaries requires protocol C (resource %s has protocol %s, set at %s)",
                                 r->name, disk_option_info(DISK_OPT_PROTOCOL)->words[r->net.protocol],
                                 cfg_fmt_loc(&p->loc, l1, sizeof(l1)));
        }
        if (r->net.after_sb_0pri == DISK_ASB0_DISCARD_NODE &&
            !disk_resource_find_host(r, r->net.after_sb_0pri_node))
                return cfg_error(ctx->err, &o[DISK_OPT_AFTER_SB_0PRI].loc,
                                 "after-sb-0pri discard-node-%s: resource %s has no host %s",
                                 r->net.after_sb_0pri_node, r->name, r->net.after_sb_0pri_node);
        if (r->startup.become_primary_on && !streq(r->startup.become_primary_on, "both") &&
            !disk_resource_find_host(r, r->startup.become_primary_on))
                return cfg_error(ctx->err, &o[DISK_OPT_BECOME_PRIMARY_ON].loc,
                                 "become-primary-on %s: resource %s has no such host (use a host name or 'both')",
                                 r->startup.become_primary_on, r->name);
        return 0;
}

/* Checks what two resources must not share: an address (IP and port) and
 * a minor on the same host. */
static int validate_across(struct cfg_ctx *ctx) {
        struct disk_config *c = ctx->c;
        char a[SOCK_ADDR_STR_MAX], l1[PATH_MAX + 32];

        for (size_t i = 0; i < c->n_resources; i++)
                for (size_t j = 0; j < i; j++) {
                        const struct disk_resource *r = c->resources[i], *q = c->resources[j];

                        for (size_t h = 0; h < r->n_hosts; h++)
                                for (size_t k = 0; k < q->n_hosts; k++) {
                                        const struct disk_host *x = &r->hosts[h], *y = &q->hosts[k];

                                        if (same_address(x, y))
                                                return cfg_error(ctx->err, &x->address_loc,
                                                                 "address %s of host %s in resource %s is already used by host %s in resource %s (at %s)",
                                                                 addr_str(x, a, sizeof(a)), x->name, r->name, y->name, q->name,
                                                                 cfg_fmt_loc(&y->address_loc, l1, sizeof(l1)));
                                        if (!streq(x->name, y->name))
                                                continue;
                                        for (size_t v = 0; v < x->n_volumes; v++)
                                                for (size_t w = 0; w < y->n_volumes; w++) {
                                                        const struct disk_volume *xv = &x->volumes[v], *yv = &y->volumes[w];

                                                        if (xv->minor_set && yv->minor_set && xv->minor == yv->minor)
                                                                return cfg_error(ctx->err, &xv->device_loc,
                                                                                 "minor %" PRIu32 " of host %s is used by resource %s and resource %s (at %s)",
                                                                                 xv->minor, x->name, r->name, q->name,
                                                                                 cfg_fmt_loc(&yv->device_loc, l1, sizeof(l1)));
                                                }
                                }
                }
        return 0;
}

static int minors_within(struct cfg_ctx *ctx, const struct disk_resource *r) {
        char l1[PATH_MAX + 32];

        for (size_t h = 0; h < r->n_hosts; h++) {
                const struct disk_host *x = &r->hosts[h];

                for (size_t v = 0; v < x->n_volumes; v++)
                        for (size_t w = 0; w < v; w++)
                                if (x->volumes[v].minor_set && x->volumes[w].minor_set &&
                                    x->volumes[v].minor == x->volumes[w].minor)
                                        return cfg_error(ctx->err, &x->volumes[v].device_loc,
                                                         "minor %" PRIu32 " of host %s is used by volumes %" PRIu32 " and %" PRIu32 " of resource %s (at %s)",
                                                         x->volumes[v].minor, x->name, x->volumes[w].number,
                                                         x->volumes[v].number, r->name,
                                                         cfg_fmt_loc(&x->volumes[w].device_loc, l1, sizeof(l1)));
        }
        return 0;
}

int cfg_resolve(struct cfg_ctx *ctx) {
        struct disk_config *c = ctx->c;
        int r;

        cfg_fill_global(c);
        for (size_t i = 0; i < c->n_resources; i++) {
                struct disk_resource *res = c->resources[i];

                r = inherit_common(ctx, res);
                if (r < 0)
                        return r;
                cfg_fill_resource(res);
                for (size_t h = 0; h < res->n_hosts; h++) {
                        r = merge_volumes(ctx, &ctx->res[i].vols, &ctx->res[i].host_vols[h], &res->hosts[h]);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < c->n_resources; i++) {
                r = validate_resource(ctx, c->resources[i]);
                if (r < 0)
                        return r;
                r = minors_within(ctx, c->resources[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_resources; i++) {
                const char *after = c->resources[i]->disk.resync_after;
                _cleanup_free_ char *name = NULL;

                if (!after)
                        continue;
                /* DRBD 9 writes "resource/volume". */
                name = strndup(after, strcspn(after, "/"));
                if (!name)
                        return cfg_oom(ctx->err, NULL);
                if (!disk_config_find_resource(c, name) || streq(name, c->resources[i]->name))
                        return cfg_error(ctx->err, &c->resources[i]->opt[DISK_OPT_RESYNC_AFTER].loc,
                                         "resync-after %s: no other resource is called %s", after, name);
        }
        return validate_across(ctx);
}
