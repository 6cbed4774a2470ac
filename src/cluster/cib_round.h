/* cib_round.h: the join/heal round of CIB replication as a pure state
 * machine (docs/cib-replication.md, "Joins and partition heals"). Each
 * member feeds it what CPG delivers, in delivery order: configuration
 * changes (the new view), offers and syncs; it answers what the member
 * must do. Fed the same deliveries, every member reaches the same
 * decisions, which is what makes the chosen CIB the same everywhere.
 *
 * States and transitions:
 *
 *     IDLE ----view----> COLLECTING ---last offer, all digests equal---> IDLE
 *                            |
 *                            +--------last offer, digests differ------> AWAITING_SYNC
 *     AWAITING_SYNC ---sync from the chosen member, at its version---> IDLE
 *     any state ---view---> COLLECTING (a new round; earlier offers are void)
 *
 * While the round is open (COLLECTING, AWAITING_SYNC) no member sends
 * CIB changes, and a change delivered is refused by every member alike. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cib_sync.h"

enum cib_round_state {
        CIB_ROUND_IDLE,
        CIB_ROUND_COLLECTING,
        CIB_ROUND_AWAITING_SYNC,
};

/* What the member must do after a delivery. */
enum cib_round_action {
        CIB_ROUND_WAIT,        /* nothing yet */
        CIB_ROUND_SEND_OFFER,  /* send an offer of my CIB */
        CIB_ROUND_SEND_SYNC,   /* I was chosen: send a sync of my CIB */
        CIB_ROUND_ADOPT,       /* take the delivered sync's CIB; the round is over */
        CIB_ROUND_DONE,        /* the round is over, my CIB is everyone's */
        CIB_ROUND_IGNORED,     /* the message does not belong to this round (logged by the caller) */
};

#define CIB_ROUND_MAX_MEMBERS 256

struct cib_round {
        enum cib_round_state state;
        uint32_t self;
        uint32_t members[CIB_ROUND_MAX_MEMBERS];
        size_t n_members;
        struct cib_offer offers[CIB_ROUND_MAX_MEMBERS];
        bool have_offer[CIB_ROUND_MAX_MEMBERS];
        size_t n_offers;
        int chosen;            /* index into offers, in AWAITING_SYNC */
};

/* Start in IDLE as member `self`. */
void cib_round_init(struct cib_round *r, uint32_t self);

/* A configuration change: the members of the new view. Returns
 * SEND_OFFER, or -EINVAL for more than CIB_ROUND_MAX_MEMBERS, a view
 * without self, or a node id twice. */
int cib_round_view(struct cib_round *r, const uint32_t *members, size_t n);

/* An offer delivered. Returns WAIT (more to come), DONE (all agreed),
 * SEND_SYNC (I was chosen and others differ), WAIT for the others in
 * that case, or IGNORED (not collecting, not a member, a second offer). */
int cib_round_offer(struct cib_round *r, const struct cib_msg *offer);

/* A sync delivered: ADOPT when it comes from the chosen member at the
 * version it offered (the sender adopts its own sync too, which changes
 * nothing), else IGNORED. */
int cib_round_sync(struct cib_round *r, const struct cib_msg *sync);

/* Whether CIB changes are held back now. */
bool cib_round_open(const struct cib_round *r);

/* The chosen member's node id while awaiting its sync, else 0. */
uint32_t cib_round_chosen(const struct cib_round *r);
