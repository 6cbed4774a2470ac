/* split_brain.h: the automatic split-brain recovery policies of DRBD
 * (after-sb-0pri, after-sb-1pri, after-sb-2pri) and the manual
 * `connect --discard-my-data`, as a pure function of what both sides know
 * at connect. docs/disk-generations.md has the table. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "disk_config.h"

struct sb_side {
        const char *name;           /* host name, for discard-node-NAME */
        bool primary;               /* role now */
        bool lost_peer_as_primary;  /* was Primary when the connection was lost */
        uint64_t changed;           /* blocks marked out of sync (its changes) */
        bool discard_my_data;       /* connect --discard-my-data */
};

struct sb_decision {
        /* +1/-1: this side is SyncSource/SyncTarget by bitmap; +2/-2 the
         * same by full sync; -100: unresolved, disconnect. */
        int verdict;
        /* call-pri-lost-after-sb decided that this Primary loses: it must
         * become Secondary first, and when it cannot, the
         * pri-lost-after-sb handler runs and the connection is dropped. */
        bool demote_self;
        char why[256];              /* which policy decided, for the log */
};

/* Decide a split brain between self and peer: under net's after-sb
 * policies when `use_policies` (a common bitmap ancestor, or always-asbp),
 * then by discard-my-data. `resolve_conflicts` is true on exactly one of
 * the two nodes (the one with the higher node id): when a policy cannot
 * tell the sides apart, that node discards its data. `no_common_bitmap`:
 * the bitmaps do not cover what differs, so a resolution means a full
 * sync. Both nodes reach opposite verdicts from the same inputs. */
void split_brain_resolve(const struct disk_net_options *net, const struct sb_side *self, const struct sb_side *peer,
                         bool resolve_conflicts, bool use_policies, bool no_common_bitmap,
                         struct sb_decision *ret);
