/* uuid.c: generation identifiers and the connect-time comparison, after
 * DRBD 8.4's drbd_uuid_compare() (see uuid.h and docs/disk-generations.md).
 * The rule numbers are DRBD's, so that its documentation and logs map
 * one to one. */
#include <stddef.h>

#include "uuid.h"

static uint64_t strip(uint64_t u) {
        return u & ~UUID_PRIMARY_BIT;
}

static void move_history(struct disk_uuids *u) {
        for (int i = UUID_HISTORY - 1; i > 0; i--)
                u->history[i] = u->history[i - 1];
}

enum uuid_verdict uuid_compare(struct uuid_side *self_side, struct uuid_side *peer_side,
                               bool resolve_conflicts, int *ret_rule) {
        struct disk_uuids *me = &self_side->uuids, *pe = &peer_side->uuids;
        uint64_t self = strip(me->current), peer = strip(pe->current);

        *ret_rule = 10;
        if (self == UUID_JUST_CREATED && peer == UUID_JUST_CREATED)
                return UUID_NO_SYNC;
        *ret_rule = 20;
        if ((self == UUID_JUST_CREATED || self == 0) && peer != UUID_JUST_CREATED)
                return UUID_TARGET_FULL;
        *ret_rule = 30;
        if (self != UUID_JUST_CREATED && (peer == UUID_JUST_CREATED || peer == 0))
                return UUID_SOURCE_FULL;

        if (self == peer) {
                if (pe->bitmap == 0 && me->bitmap != 0) {
                        /* I was SyncSource; did I miss the resync-finished
                         * event? Then my bitmap generation is the peer's
                         * newest history entry. */
                        if (strip(me->bitmap) == strip(pe->history[0]) &&
                            strip(me->history[0]) == strip(pe->history[1])) {
                                move_history(me);
                                me->history[0] = me->bitmap;
                                me->bitmap = 0;
                                *ret_rule = 34;
                        } else
                                *ret_rule = 36;
                        return UUID_SOURCE_BITMAP;
                }
                if (me->bitmap == 0 && pe->bitmap != 0) {
                        if (strip(pe->bitmap) == strip(me->history[0]) &&
                            strip(pe->history[0]) == strip(me->history[1])) {
                                move_history(pe);
                                pe->history[0] = pe->bitmap;
                                pe->bitmap = 0;
                                *ret_rule = 35;
                        } else
                                *ret_rule = 37;
                        return UUID_TARGET_BITMAP;
                }
                /* Same generation on both: a common power failure. Whoever
                 * was Primary at the crash has the newer writes in flight. */
                *ret_rule = 40;
                switch ((self_side->crashed_primary ? 1 : 0) + (peer_side->crashed_primary ? 2 : 0)) {
                case 0: return UUID_NO_SYNC;
                case 1: return UUID_SOURCE_BITMAP;
                case 2: return UUID_TARGET_BITMAP;
                default: return resolve_conflicts ? UUID_TARGET_BITMAP : UUID_SOURCE_BITMAP;
                }
        }

        *ret_rule = 50;
        if (self == strip(pe->bitmap))
                return UUID_TARGET_BITMAP;

        *ret_rule = 51;
        if (self == strip(pe->history[0]) &&
            strip(pe->history[0]) + UUID_NEW_BM_OFFSET == strip(pe->bitmap)) {
                /* The peer started a resync as source but our copy of its
                 * sync identifier got lost: undo that start on its side. */
                pe->bitmap = pe->history[0];
                pe->history[0] = pe->history[1];
                return UUID_TARGET_BITMAP;
        }

        *ret_rule = 60;
        for (int i = 0; i < UUID_HISTORY; i++)
                if (self == strip(pe->history[i]))
                        return UUID_TARGET_FULL;

        *ret_rule = 70;
        if (strip(me->bitmap) == peer)
                return UUID_SOURCE_BITMAP;

        *ret_rule = 71;
        if (strip(me->history[0]) == peer &&
            strip(me->history[0]) + UUID_NEW_BM_OFFSET == strip(me->bitmap)) {
                me->bitmap = me->history[0];
                me->history[0] = me->history[1];
                return UUID_SOURCE_BITMAP;
        }

        *ret_rule = 80;
        for (int i = 0; i < UUID_HISTORY; i++)
                if (strip(me->history[i]) == peer)
                        return UUID_SOURCE_FULL;

        *ret_rule = 90;
        if (strip(me->bitmap) == strip(pe->bitmap) && strip(me->bitmap) != 0)
                return UUID_SPLIT_BRAIN_AUTO;

        *ret_rule = 100;
        for (int i = 0; i < UUID_HISTORY; i++)
                for (int j = 0; j < UUID_HISTORY; j++)
                        if (strip(me->history[i]) != 0 && strip(me->history[i]) == strip(pe->history[j]))
                                return UUID_SPLIT_BRAIN;
        return UUID_UNRELATED;
}

const char *uuid_verdict_name(enum uuid_verdict v) {
        switch (v) {
        case UUID_NO_SYNC: return "no sync";
        case UUID_SOURCE_BITMAP: return "SyncSource (bitmap-based)";
        case UUID_TARGET_BITMAP: return "SyncTarget (bitmap-based)";
        case UUID_SOURCE_FULL: return "SyncSource (full sync)";
        case UUID_TARGET_FULL: return "SyncTarget (full sync)";
        case UUID_SPLIT_BRAIN_AUTO: return "split brain (auto-recoverable)";
        case UUID_SPLIT_BRAIN: return "split brain (not auto-recoverable)";
        case UUID_UNRELATED: return "unrelated data";
        }
        return "?";
}

const char *uuid_rule_text(int rule) {
        switch (rule) {
        case 10: return "both sides just created";
        case 20: return "this side just created, the peer has data";
        case 30: return "the peer just created, this side has data";
        case 34: return "this side was SyncSource and missed the resync-finished event (corrected)";
        case 35: return "the peer was SyncSource and missed the resync-finished event (corrected)";
        case 36: return "this side was SyncSource, the peer did not record the sync identifier";
        case 37: return "the peer was SyncSource, this side did not record the sync identifier";
        case 40: return "same current generation (common power failure or clean reconnect)";
        case 50: return "this side's current generation is the peer's bitmap generation";
        case 51: return "the peer's last sync-identifier message was lost (corrected)";
        case 60: return "this side's current generation is in the peer's history";
        case 70: return "the peer's current generation is this side's bitmap generation";
        case 71: return "this side's last sync-identifier message was lost (corrected)";
        case 80: return "the peer's current generation is in this side's history";
        case 90: return "both changed since a common bitmap generation";
        case 100: return "both changed, common ancestor only in the history";
        }
        return "no common ancestor";
}

enum uuid_verdict uuid_apply_inconsistency(enum uuid_verdict v, bool self_inconsistent,
                                           bool peer_inconsistent) {
        if (self_inconsistent == peer_inconsistent)
                return v;
        bool full = v == UUID_SPLIT_BRAIN || v == UUID_SOURCE_FULL || v == UUID_TARGET_FULL;
        if (self_inconsistent)
                return full ? UUID_TARGET_FULL : UUID_TARGET_BITMAP;
        return full ? UUID_SOURCE_FULL : UUID_SOURCE_BITMAP;
}

void uuid_new_current(struct disk_uuids *u, uint64_t fresh, bool primary) {
        if (u->bitmap == 0)
                u->bitmap = u->current;
        u->current = (fresh & ~UUID_PRIMARY_BIT) | (primary ? UUID_PRIMARY_BIT : 0);
}

void uuid_clear_bitmap(struct disk_uuids *u) {
        if (u->bitmap == 0)
                return;
        move_history(u);
        u->history[0] = u->bitmap;
        u->bitmap = 0;
}

uint64_t uuid_start_sync_source(struct disk_uuids *u, uint64_t fresh) {
        uint64_t b = u->bitmap;
        if (b != 0 && b != UUID_JUST_CREATED)
                b += UUID_NEW_BM_OFFSET;
        else
                b = fresh;
        u->bitmap = b;
        return b;
}

void uuid_start_sync_target(struct disk_uuids *u, uint64_t sync_uuid) {
        u->current = sync_uuid;
        u->bitmap = 0;
}

void uuid_finish_sync_target(struct disk_uuids *u, const struct disk_uuids *source) {
        /* Our current identifier is the sync identifier the source sent at
         * the start; the source moves the same value into its history when
         * it finishes, so both end with equal sets. */
        uint64_t sync = u->current;
        u->current = source->current;
        u->bitmap = 0;
        u->history[1] = source->history[0];
        u->history[0] = sync;
}

void uuid_finish_sync_source(struct disk_uuids *u) {
        uuid_clear_bitmap(u);
}
