/* split_brain.c: DRBD's after-sb policies and manual recovery, a pure
 * function (split_brain.h). The three recovery functions follow DRBD's
 * drbd_asb_recover_{0,1,2}p in behaviour: the 1pri and 2pri policies
 * mostly defer to the 0pri one and then check its result against roles. */
#include <stdio.h>

#include "split_brain.h"
#include "util.h"

#define UNRESOLVED (-100)
#define MIN_U64(a, b) ((a) < (b) ? (a) : (b))
#define MAX_U64(a, b) ((a) > (b) ? (a) : (b))

/* Decide by changes: discard-zero-changes, then (unless that policy alone
 * is asked for) discard-least-changes. */
static int by_changes(const struct sb_side *self, const struct sb_side *peer, bool resolve_conflicts,
                      bool least_too, char *why, size_t why_size) {
        if (self->changed == 0 && peer->changed == 0) {
                snprintf(why, why_size, "neither side changed anything; the tie goes to node-id order");
                return resolve_conflicts ? -1 : 1;
        }
        if (peer->changed == 0 || self->changed == 0) {
                snprintf(why, why_size, "%s has no changes", peer->changed == 0 ? peer->name : self->name);
                return peer->changed == 0 ? 1 : -1;
        }
        if (!least_too) {
                snprintf(why, why_size, "both sides changed data (%llu and %llu blocks)",
                         (unsigned long long) self->changed, (unsigned long long) peer->changed);
                return UNRESOLVED;
        }
        if (self->changed != peer->changed) {
                snprintf(why, why_size, "%s changed fewer blocks (%llu against %llu)",
                         self->changed < peer->changed ? self->name : peer->name,
                         (unsigned long long) MIN_U64(self->changed, peer->changed),
                         (unsigned long long) MAX_U64(self->changed, peer->changed));
                return self->changed < peer->changed ? -1 : 1;
        }
        snprintf(why, why_size, "both changed %llu blocks; the tie goes to node-id order",
                 (unsigned long long) self->changed);
        return resolve_conflicts ? -1 : 1;
}

static int recover_0p(const struct disk_net_options *net, const struct sb_side *self, const struct sb_side *peer,
                      bool resolve_conflicts, char *why, size_t why_size) {
        switch (net->after_sb_0pri) {
        case DISK_ASB0_DISCONNECT:
                snprintf(why, why_size, "after-sb-0pri disconnect");
                return UNRESOLVED;
        case DISK_ASB0_DISCARD_YOUNGER_PRIMARY:
        case DISK_ASB0_DISCARD_OLDER_PRIMARY:
                /* The side that was Primary when the connection broke is
                 * the older Primary; the other became Primary later. */
                if (self->lost_peer_as_primary != peer->lost_peer_as_primary) {
                        bool keep_older = net->after_sb_0pri == DISK_ASB0_DISCARD_YOUNGER_PRIMARY;
                        bool keep_self = self->lost_peer_as_primary == keep_older;
                        snprintf(why, why_size, "%s is the %s Primary",
                                 keep_self ? peer->name : self->name, keep_older ? "younger" : "older");
                        return keep_self ? 1 : -1;
                }
                /* DRBD: "did not find a decision, using discard-least-changes". */
                return by_changes(self, peer, resolve_conflicts, true, why, why_size);
        case DISK_ASB0_DISCARD_ZERO_CHANGES:
                return by_changes(self, peer, resolve_conflicts, false, why, why_size);
        case DISK_ASB0_DISCARD_LEAST_CHANGES:
                return by_changes(self, peer, resolve_conflicts, true, why, why_size);
        case DISK_ASB0_DISCARD_NODE:
                snprintf(why, why_size, "discard-node-%s", net->after_sb_0pri_node);
                if (streq(net->after_sb_0pri_node, self->name))
                        return -1;
                if (streq(net->after_sb_0pri_node, peer->name))
                        return 1;
                return UNRESOLVED;
        }
        return UNRESOLVED;
}

static int recover_1p(const struct disk_net_options *net, const struct sb_side *self, const struct sb_side *peer,
                      bool resolve_conflicts, bool *demote_self, char *why, size_t why_size) {
        int hg;

        switch (net->after_sb_1pri) {
        case DISK_ASB1_DISCONNECT:
                snprintf(why, why_size, "after-sb-1pri disconnect");
                return UNRESOLVED;
        case DISK_ASB1_CONSENSUS:
                /* The 0pri policy's answer, if it agrees with the roles:
                 * the Secondary's data is the one discarded. */
                hg = recover_0p(net, self, peer, resolve_conflicts, why, why_size);
                if ((hg == -1 && !self->primary) || (hg == 1 && self->primary))
                        return hg;
                if (hg != UNRESOLVED)
                        snprintf(why, why_size, "consensus: after-sb-0pri would discard the Primary's data");
                return UNRESOLVED;
        case DISK_ASB1_VIOLENTLY_AS0P:
                return recover_0p(net, self, peer, resolve_conflicts, why, why_size);
        case DISK_ASB1_DISCARD_SECONDARY:
                snprintf(why, why_size, "discard-secondary: %s is Secondary", self->primary ? peer->name : self->name);
                return self->primary ? 1 : -1;
        case DISK_ASB1_CALL_PRI_LOST_AFTER_SB:
                hg = recover_0p(net, self, peer, resolve_conflicts, why, why_size);
                if (hg == -1 && self->primary)
                        *demote_self = true;
                return hg;
        }
        return UNRESOLVED;
}

static int recover_2p(const struct disk_net_options *net, const struct sb_side *self, const struct sb_side *peer,
                      bool resolve_conflicts, bool *demote_self, char *why, size_t why_size) {
        int hg;

        switch (net->after_sb_2pri) {
        case DISK_ASB2_DISCONNECT:
                snprintf(why, why_size, "after-sb-2pri disconnect");
                return UNRESOLVED;
        case DISK_ASB2_VIOLENTLY_AS0P:
                return recover_0p(net, self, peer, resolve_conflicts, why, why_size);
        case DISK_ASB2_CALL_PRI_LOST_AFTER_SB:
                hg = recover_0p(net, self, peer, resolve_conflicts, why, why_size);
                if (hg == -1)
                        *demote_self = true;
                return hg;
        }
        return UNRESOLVED;
}

void split_brain_resolve(const struct disk_net_options *net, const struct sb_side *self, const struct sb_side *peer,
                         bool resolve_conflicts, bool use_policies, bool no_common_bitmap,
                         struct sb_decision *ret) {
        struct sb_decision d = { .verdict = UNRESOLVED };
        char why[sizeof(d.why)] = "";
        int primaries = self->primary + peer->primary;
        int hg;

        if (!use_policies) {
                snprintf(why, sizeof(why), "no common bitmap ancestor, policies not applied");
                hg = UNRESOLVED;
        } else if (primaries == 0)
                hg = recover_0p(net, self, peer, resolve_conflicts, why, sizeof(why));
        else if (primaries == 1)
                hg = recover_1p(net, self, peer, resolve_conflicts, &d.demote_self, why, sizeof(why));
        else
                hg = recover_2p(net, self, peer, resolve_conflicts, &d.demote_self, why, sizeof(why));
        if (hg != UNRESOLVED) {
                snprintf(d.why, sizeof(d.why), "%d primaries, automatically solved (%s)", primaries, why);
        } else {
                d.demote_self = false;
                /* Manual recovery: the side that was told to discard its
                 * data becomes SyncTarget. */
                if (self->discard_my_data != peer->discard_my_data) {
                        hg = self->discard_my_data ? -1 : 1;
                        snprintf(d.why, sizeof(d.why), "manually solved: %s discards its data",
                                 self->discard_my_data ? self->name : peer->name);
                } else
                        snprintf(d.why, sizeof(d.why), "%d primaries, unresolved (%s)%s", primaries, why,
                                 self->discard_my_data ? "; both sides were told to discard their data" : "");
        }
        /* Without a common bitmap ancestor the bitmaps do not cover what
         * differs: a resolution means a full sync. */
        d.verdict = hg != UNRESOLVED && no_common_bitmap ? 2 * hg : hg;
        *ret = d;
}
