/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_notify.c: notifications of clones with notify=true. Each clone
 * action (start, stop, promote, demote) gets pre and post notification
 * pseudo-actions with confirmations; every instance active before (pre)
 * or after (post) the action gets a notify action in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_notify.h"

static struct saction *boundary(struct sched *s, struct srsc *c, const char *kind, const char *task,
                                const char *action_task, const struct saction *like) {
        char key[600];
        struct saction *a;

        snprintf(key, sizeof(key), "%s_%s_notify_%s_0", c->id, kind, task);
        a = sched_pseudo(s, c, key, action_task, like->flags & SA_OPTIONAL);
        if (a) {
                free(a->notify_kind);
                a->notify_kind = strdup(kind);
                if (!(like->flags & SA_RUNNABLE))
                        a->flags &= ~SA_RUNNABLE;
        }
        return a;
}

void sched_notify_boundaries(struct sched *s, struct srsc *c, const char *task, struct saction *begin,
                             struct saction *end) {
        struct saction *pre, *pre_done, *post, *post_done;

        if (!c->notify || !begin || !end)
                return;
        pre = boundary(s, c, "pre", task, "notify", begin);
        pre_done = boundary(s, c, "confirmed-pre", task, "notified", begin);
        sched_order(pre, pre_done, SO_OPTIONAL);
        sched_order(pre_done, begin, SO_OPTIONAL);
        post = boundary(s, c, "post", sched_done_task(task), "notify", end);
        post_done = boundary(s, c, "confirmed-post", sched_done_task(task), "notified", end);
        sched_order(end, post, SO_IMPLIES_THEN);
        sched_order(post, post_done, SO_IMPLIES_THEN);
        sched_order(pre_done, post, SO_OPTIONAL);
}

void sched_notify_orderings(struct sched *s) {
        (void) s;
}
