/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched.c: the scheduler's entry points: unpack the model into a working
 * set, run the phases (placement, actions, orderings, fencing) in order,
 * and release everything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sched_internal.h"
#include "sched_notify.h"

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
        sched_notify_create(s);
        if (getenv("TANDEM_SCHED_DEBUG"))
                for (size_t i = 0; i < s->n_actions; i++) {
                        const struct saction *a = s->actions[i];

                        fprintf(stderr, "action %d %s on %s%s%s%s reason=%s inputs:", a->id, a->key,
                                a->node >= 0 ? s->nodes[a->node].name : "-", a->flags & SA_OPTIONAL ? " optional" : "",
                                a->flags & SA_RUNNABLE ? " runnable" : "", a->flags & SA_PSEUDO ? " pseudo" : "",
                                a->reason ? a->reason : "");
                        for (size_t j = 0; j < a->n_inputs; j++)
                                fprintf(stderr, " %d/%x", a->inputs[j].action->id, a->inputs[j].flags);
                        fprintf(stderr, "\n");
                }
}

void sched_free(struct sched *s) {
        if (!s)
                return;
        sched_unpack_free(s);
        free(s);
}
