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

static const char *const tasks[] = { "start", "stop", "promote", "demote" };

static int task_index(const char *task) {
        for (int i = 0; i < 4; i++)
                if (strcmp(tasks[i], task) == 0)
                        return i;
        return -1;
}

void sched_notify_boundaries(struct sched *s, struct srsc *c, const char *task, struct saction *begin,
                             struct saction *end) {
        struct saction *pre, *pre_done, *post, *post_done, *(*n)[4] = c->notif;
        int t = task_index(task);

        if (!c->notify || !begin || !end || t < 0)
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
        n[t][0] = pre;
        n[t][1] = pre_done;
        n[t][2] = post;
        n[t][3] = post_done;
        /* Notifications of one clone action come after those of the
         * actions that precede it. */
        if (t == 1 && n[0][0])
                sched_order(post_done, n[0][0], SO_OPTIONAL);
        if (t == 3 && n[2][0]) {
                sched_order(n[1][3], n[2][0], SO_OPTIONAL);
                sched_order(n[0][3], n[2][0], SO_OPTIONAL);
                sched_order(post_done, n[2][0], SO_OPTIONAL);
                sched_order(post_done, n[0][0], SO_OPTIONAL);
                sched_order(post_done, n[1][0], SO_OPTIONAL);
        }
}

static struct saction *find_task(const struct srsc *r, const char *task) {
        for (size_t i = 0; i < r->n_actions; i++)
                if (strcmp(r->actions[i]->task, task) == 0 && !r->actions[i]->interval_ms)
                        return r->actions[i];
        return NULL;
}

/* One instance's notify action between a pre or post pseudo-action and
 * its confirmation. */
static struct saction *notify(struct sched *s, struct srsc *inst, int node, int t, bool post) {
        struct saction *op = inst->parent->notif[t][post ? 2 : 0], *done = inst->parent->notif[t][post ? 3 : 1];
        struct saction *a;
        char key[600];

        if (!op || !done || node < 0 || !s->nodes[node].online || !(op->flags & SA_RUNNABLE))
                return NULL;
        snprintf(key, sizeof(key), "%s_%s_notify_%s_0", inst->id, post ? "post" : "pre", tasks[t]);
        a = sched_keyed_action(s, inst, key, "notify", node, op->flags & SA_OPTIONAL);
        if (!a)
                return NULL;
        sched_order(op, a, SO_OPTIONAL);
        sched_order(a, done, SO_OPTIONAL);
        if (post)
                for (size_t i = 0; i < inst->n_actions; i++) {
                        struct saction *m = inst->actions[i];

                        if (strcmp(m->task, "monitor") == 0 && m->interval_ms && !(m->flags & SA_OPTIONAL))
                                sched_order(done, m, SO_OPTIONAL);
                }
        return a;
}

static void instance_notifications(struct sched *s, struct srsc *inst, int t) {
        struct srsc *c = inst->parent;

        if (t != 1) {
                struct saction *clone_op = NULL;

                for (size_t i = 0; i < c->n_actions; i++)
                        if (strcmp(c->actions[i]->task, tasks[t]) == 0 && !c->actions[i]->notify_kind)
                                clone_op = c->actions[i];
                if (!clone_op || (clone_op->flags & SA_OPTIONAL))
                        return;
        }
        if (inst->n_running && (t == 1 || t == 3)) {
                struct saction *stop = find_task(inst, "stop");

                for (size_t i = 0; i < inst->n_running; i++) {
                        int node = inst->running[i];

                        if (stop && (stop->flags & SA_PSEUDO) && s->nodes[node].unclean)
                                continue;
                        notify(s, inst, node, t, false);
                        if (t == 3 || !stop || (stop->flags & SA_OPTIONAL))
                                notify(s, inst, node, t, true);
                }
        }
        if (inst->next_role != CIB_ROLE_STOPPED && inst->assigned >= 0 && (t == 0 || t == 2)) {
                struct saction *start = find_task(inst, "start");

                if (!start)
                        return;
                if (t != 0 || (start->flags & SA_OPTIONAL))
                        notify(s, inst, inst->assigned, t, false);
                notify(s, inst, inst->assigned, t, true);
        }
}

/* The clone action a boundary brackets, and its completion. */
static struct saction *clone_task(struct srsc *c, const char *task) {
        for (size_t i = 0; i < c->n_actions; i++)
                if (strcmp(c->actions[i]->task, task) == 0 && !c->actions[i]->notify_kind)
                        return c->actions[i];
        return NULL;
}

void sched_notify_create(struct sched *s) {
        for (size_t i = 0; i < s->n_resources; i++) {
                struct srsc *c = s->resources[i];

                if (!c->is_clone || !c->notify)
                        continue;
                /* Notifications are needed when their clone action became
                 * required after they were created. */
                for (int t = 0; t < 4; t++) {
                        struct saction *begin = clone_task(c, tasks[t]), *end = clone_task(c, sched_done_task(tasks[t]));

                        if (begin && !(begin->flags & SA_OPTIONAL))
                                for (int k = 0; k < 2; k++)
                                        if (c->notif[t][k])
                                                c->notif[t][k]->flags &= ~SA_OPTIONAL;
                        if (end && !(end->flags & SA_OPTIONAL))
                                for (int k = 2; k < 4; k++)
                                        if (c->notif[t][k])
                                                c->notif[t][k]->flags &= ~SA_OPTIONAL;
                }
                for (int t = 0; t < 4; t++)
                        for (size_t k = 0; k < c->n_children; k++)
                                instance_notifications(s, c->children[k], t);
        }
}
