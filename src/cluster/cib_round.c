/* cib_round.c: the join/heal round as a state machine (see cib_round.h). */
#include <errno.h>
#include <string.h>

#include "cib_round.h"

void cib_round_init(struct cib_round *r, uint32_t self) {
        memset(r, 0, sizeof(*r));
        r->self = self;
        r->chosen = -1;
}

static int member_index(const struct cib_round *r, uint32_t node) {
        for (size_t i = 0; i < r->n_members; i++)
                if (r->members[i] == node)
                        return (int) i;
        return -1;
}

int cib_round_view(struct cib_round *r, const uint32_t *members, size_t n) {
        bool has_self = false;

        if (n == 0 || n > CIB_ROUND_MAX_MEMBERS)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                has_self = has_self || members[i] == r->self;
                for (size_t j = 0; j < i; j++)
                        if (members[j] == members[i])
                                return -EINVAL;
        }
        if (!has_self)
                return -EINVAL;
        memcpy(r->members, members, n * sizeof(*members));
        r->n_members = n;
        memset(r->have_offer, 0, sizeof(r->have_offer));
        r->n_offers = 0;
        r->chosen = -1;
        r->state = CIB_ROUND_COLLECTING;
        return CIB_ROUND_SEND_OFFER;
}

int cib_round_offer(struct cib_round *r, const struct cib_msg *offer) {
        struct cib_offer ordered[CIB_ROUND_MAX_MEMBERS];
        int i = member_index(r, offer->from), c;

        if (r->state != CIB_ROUND_COLLECTING || offer->type != CIB_MSG_OFFER || i < 0 || r->have_offer[i])
                return CIB_ROUND_IGNORED;
        r->have_offer[i] = true;
        r->offers[i] = (struct cib_offer) { .node = offer->from, .version = offer->version };
        memcpy(r->offers[i].digest, offer->digest, CIB_DIGEST_LEN);
        if (++r->n_offers < r->n_members)
                return CIB_ROUND_WAIT;
        /* Every offer is in: the same choice on every member. */
        memcpy(ordered, r->offers, r->n_members * sizeof(*ordered));
        if (cib_sync_agreed(ordered, r->n_members)) {
                r->state = CIB_ROUND_IDLE;
                return CIB_ROUND_DONE;
        }
        c = cib_sync_choose(ordered, r->n_members);
        if (c < 0)
                return c;
        r->chosen = c;
        r->state = CIB_ROUND_AWAITING_SYNC;
        return r->offers[c].node == r->self ? CIB_ROUND_SEND_SYNC : CIB_ROUND_WAIT;
}

int cib_round_sync(struct cib_round *r, const struct cib_msg *sync) {
        const struct cib_offer *o;

        if (r->state != CIB_ROUND_AWAITING_SYNC || sync->type != CIB_MSG_SYNC)
                return CIB_ROUND_IGNORED;
        o = &r->offers[r->chosen];
        if (sync->from != o->node || cib_version_compare(&sync->version, &o->version) != 0)
                return CIB_ROUND_IGNORED;
        r->state = CIB_ROUND_IDLE;
        r->chosen = -1;
        return CIB_ROUND_ADOPT;
}

bool cib_round_open(const struct cib_round *r) {
        return r->state != CIB_ROUND_IDLE;
}

uint32_t cib_round_chosen(const struct cib_round *r) {
        return r->state == CIB_ROUND_AWAITING_SYNC ? r->offers[r->chosen].node : 0;
}
