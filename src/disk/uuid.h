/* uuid.h: DRBD's generation identifiers and the decision they drive when
 * two nodes connect: who has the newer data, and whether a bitmap-based
 * sync, a full sync or nothing at all is needed. Pure functions, no IO;
 * docs/disk-generations.md states the rules as a table.
 *
 * Every identifier is 64 bits. Bit 0 of the current identifier records
 * whether the node was Primary when it was made (DRBD's UUID_PRIMARY) and
 * is ignored when identifiers are compared. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define UUID_JUST_CREATED     UINT64_C(4)
#define UUID_PRIMARY_BIT      UINT64_C(1)
/* Added to the bitmap identifier when a resync starts on the SyncSource. */
#define UUID_NEW_BM_OFFSET    UINT64_C(0x0001000000000000)
#define UUID_HISTORY          2

struct disk_uuids {
        uint64_t current;
        uint64_t bitmap;                 /* 0 = no bitmap generation */
        uint64_t history[UUID_HISTORY];  /* [0] newest */
};

/* One side as seen at connect time. */
struct uuid_side {
        struct disk_uuids uuids;
        bool crashed_primary;   /* was Primary when it went down uncleanly */
};

/* The verdict of uuid_compare(), with DRBD's numeric values: positive means
 * this node is the sync source, negative the target. */
enum uuid_verdict {
        UUID_NO_SYNC = 0,
        UUID_SOURCE_BITMAP = 1,
        UUID_TARGET_BITMAP = -1,
        UUID_SOURCE_FULL = 2,
        UUID_TARGET_FULL = -2,
        UUID_SPLIT_BRAIN_AUTO = 100,   /* both changed, common bitmap ancestor */
        UUID_SPLIT_BRAIN = -100,       /* both changed, only a history ancestor */
        UUID_UNRELATED = -1000,        /* no common ancestor at all */
};

/* Compare the two sides. `resolve_conflicts` breaks the tie when both were
 * Primary at a crash (the node with the flag becomes target, as in DRBD).
 * On return *ret_rule names the rule that fired (10, 20, ..., 100). Rules 34,
 * 35, 51 and 71 repair identifiers after a lost sync-UUID message: the
 * repaired sets are written back into *self and *peer (the caller persists
 * its own and may log both). */
enum uuid_verdict uuid_compare(struct uuid_side *self, struct uuid_side *peer, bool resolve_conflicts,
                               int *ret_rule);

/* A human-readable name of a verdict ("SyncSource (bitmap)", ...). */
const char *uuid_verdict_name(enum uuid_verdict v);

/* What the rule numbers mean, for logs: "rule 40: common power failure, ...". */
const char *uuid_rule_text(int rule);

/* Apply the connect-time disk-state override of DRBD: when exactly one side
 * is Inconsistent, the consistent side becomes the source, and a full sync
 * is kept full. Both flags say whether that side's disk is Inconsistent. */
enum uuid_verdict uuid_apply_inconsistency(enum uuid_verdict v, bool self_inconsistent,
                                           bool peer_inconsistent);

/* Start a new data generation (a Primary losing its peer, a promotion while
 * disconnected): the current identifier becomes the bitmap identifier (when
 * none is set yet) and `fresh` (random, chosen by the caller) becomes the
 * current one, with bit 0 set when `primary`. */
void uuid_new_current(struct disk_uuids *u, uint64_t fresh, bool primary);

/* Move the bitmap identifier into the history (resync finished on the
 * source, or the bitmap was cleared). */
void uuid_clear_bitmap(struct disk_uuids *u);

/* Resync start on the SyncSource: a new bitmap identifier derived from the
 * old one (or `fresh` when there is none). Returns the identifier that is
 * sent to the target as its new current identifier. */
uint64_t uuid_start_sync_source(struct disk_uuids *u, uint64_t fresh);

/* The target received the source's sync identifier. */
void uuid_start_sync_target(struct disk_uuids *u, uint64_t sync_uuid);

/* Resync finished on the target: take the source's current identifier and
 * history (`source` as the source sent them at connect time, before the
 * resync started); the sync identifier goes into our history, as it goes
 * into the source's, so that both sides end with equal sets. */
void uuid_finish_sync_target(struct disk_uuids *u, const struct disk_uuids *source);

/* Resync finished on the source. */
void uuid_finish_sync_source(struct disk_uuids *u);
