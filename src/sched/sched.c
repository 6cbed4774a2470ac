/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched.c: the scheduler's entry points: unpack the model into a working
 * set, run the phases (placement, actions, orderings, fencing) in order,
 * and release everything. */
#include <errno.h>
#include <stdlib.h>

#include "sched_internal.h"

int sched_new(const struct cib *c, const struct sched_options *o, struct sched **ret, char *why, size_t why_size) {
        struct sched *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->cib = c;
        s->opts = *o;
        r = sched_unpack(s, why, why_size);
        if (r < 0) {
                sched_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void sched_compute(struct sched *s) {
        sched_place(s);
        sched_create_actions(s);
        sched_fencing(s);
        sched_create_orderings(s);
        sched_update_runnable(s);
}

void sched_free(struct sched *s) {
        if (!s)
                return;
        sched_unpack_free(s);
        free(s);
}
