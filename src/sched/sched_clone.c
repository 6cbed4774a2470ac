/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_clone.c: placement of clone instances: instances that are active
 * keep their node when it is allowed and not over its share, the others
 * go to the best nodes, at most clone-node-max per node and clone-max in
 * all. */
#include <stdlib.h>
#include <string.h>

#include "sched_colocation.h"

static int count_on(const struct srsc *clone, int node) {
        int n = 0;

        for (size_t i = 0; i < clone->n_children; i++)
                if (!clone->children[i]->provisional && clone->children[i]->assigned == node)
                        n++;
        return n;
}

/* Places an instance, on prefer if that is as good as the best node. */
static bool place_instance(struct sched *s, struct srsc *clone, struct srsc *inst, int prefer, int limit) {
        int *backup, node;

        if (!inst->provisional)
                return inst->assigned >= 0;
        if (prefer >= 0 && (inst->weights[prefer] == SCORE_ABSENT || inst->weights[prefer] < 0))
                return false;
        backup = malloc(s->n_nodes * sizeof(int));
        if (!backup)
                return false;
        memcpy(backup, inst->weights, s->n_nodes * sizeof(int));
        for (size_t n = 0; n < s->n_nodes; n++)
                if (inst->weights[n] != SCORE_ABSENT && count_on(clone, (int) n) >= limit)
                        inst->weights[n] = -CIB_INFINITY;
        node = sched_choose_node(s, inst, prefer);
        if (prefer >= 0 && node != prefer) {
                memcpy(inst->weights, backup, s->n_nodes * sizeof(int));
                free(backup);
                return false;
        }
        free(backup);
        sched_assign(s, inst, node);
        return node >= 0;
}

static const struct sched *sort_s;

static int cmp_desc(const void *x, const void *y) {
        int a = *(const int *) x, b = *(const int *) y;

        return a > b ? -1 : a < b;
}

/* Compares the instances' node scores, best against best, second best
 * against second best, and so on. */
static int cmp_weights(const struct srsc *a, const struct srsc *b) {
        size_t n = sort_s->n_nodes;
        int wa[n ? n : 1], wb[n ? n : 1];

        for (size_t i = 0; i < n; i++) {
                wa[i] = a->weights[i] == SCORE_ABSENT || !sched_node_can_run(&sort_s->nodes[i]) ? -CIB_INFINITY : a->weights[i];
                wb[i] = b->weights[i] == SCORE_ABSENT || !sched_node_can_run(&sort_s->nodes[i]) ? -CIB_INFINITY : b->weights[i];
        }
        qsort(wa, n, sizeof(int), cmp_desc);
        qsort(wb, n, sizeof(int), cmp_desc);
        for (size_t i = 0; i < n; i++)
                if (wa[i] != wb[i])
                        return wa[i] > wb[i] ? -1 : 1;
        return 0;
}

static int cmp_instances(const void *x, const void *y) {
        const struct srsc *a = *(const struct srsc *const *) x, *b = *(const struct srsc *const *) y;
        bool ra = a->n_running > 0, rb = b->n_running > 0;
        /* Active on a lost node: placed last. */
        bool sa = ra && (sort_s->nodes[a->running[0]].unclean || !sort_s->nodes[a->running[0]].online);
        bool sb = rb && (sort_s->nodes[b->running[0]].unclean || !sort_s->nodes[b->running[0]].online);
        int c;

        if (sa != sb)
                return sa ? 1 : -1;

        if (ra != rb)
                return ra ? -1 : 1;
        if (ra) {
                bool ca = sched_node_can_run(&sort_s->nodes[a->running[0]]);
                bool cb = sched_node_can_run(&sort_s->nodes[b->running[0]]);

                if (ca != cb)
                        return ca ? -1 : 1;
                if (a->role != b->role)
                        return a->role > b->role ? -1 : 1;
                if (a->weights[a->running[0]] != b->weights[b->running[0]])
                        return a->weights[a->running[0]] > b->weights[b->running[0]] ? -1 : 1;
        }
        c = cmp_weights(a, b);
        if (c)
                return c;
        return a->index < b->index ? -1 : a->index > b->index;
}

/* Positive promotion scores attract instances to their nodes. */
static void add_promotion_scores(struct sched *s, struct srsc *clone) {
        for (size_t i = 0; i < clone->n_children; i++) {
                struct srsc *inst = clone->children[i];

                for (size_t n = 0; n < s->n_nodes; n++) {
                        int score;

                        if (inst->weights[n] == SCORE_ABSENT || !sched_node_can_run(&s->nodes[n]))
                                continue;
                        if (sched_promotion_attr(s, clone, inst, (int) n, &score) && score > 0)
                                inst->weights[n] = sched_score_add(inst->weights[n], score);
                }
        }
}

void sched_place_clone(struct sched *s, struct srsc *clone) {
        struct srsc **order;
        size_t n = clone->n_children;
        int available = 0, loop_max, allocated = 0;

        if (!clone->provisional || clone->allocating)
                return;
        clone->allocating = true;
        sched_apply_colocations(s, clone);
        clone->allocating = false;
        clone->provisional = false;

        order = calloc(n ? n : 1, sizeof(*order));
        if (!order)
                return;
        memcpy(order, clone->children, n * sizeof(*order));
        if (clone->promotable)
                add_promotion_scores(s, clone);
        sort_s = s;
        qsort(order, n, sizeof(*order), cmp_instances);
        sort_s = NULL;
        for (size_t i = 0; i < n; i++)
                order[i]->alloc_order = i;

        for (size_t i = 0; i < s->n_nodes; i++)
                if (sched_node_can_run(&s->nodes[i]))
                        available++;
        loop_max = available ? clone->clone_max / available : 1;
        if (loop_max < 1)
                loop_max = 1;

        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = order[i];

                if (inst->orphan || inst->target_role == CIB_ROLE_STOPPED)
                        sched_assign(s, inst, -1);
                else if (!inst->managed) {
                        sched_assign(s, inst, inst->n_running ? inst->running[0] : -1);
                        if (inst->n_running)
                                allocated++;
                }
        }
        /* Instances stay where they are when they may. */
        for (size_t i = 0; i < n && allocated < clone->clone_max; i++) {
                struct srsc *inst = order[i];
                int cur;

                if (!inst->n_running || !inst->provisional || inst->failed)
                        continue;
                cur = inst->running[0];
                if (!sched_node_can_run(&s->nodes[cur]) || inst->weights[cur] == SCORE_ABSENT ||
                    inst->weights[cur] < 0)
                        continue;
                if (count_on(clone, cur) >= loop_max)
                        continue;
                if (place_instance(s, clone, inst, cur, clone->clone_node_max))
                        allocated++;
        }
        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = order[i];

                if (!inst->provisional)
                        continue;
                if (allocated >= clone->clone_max) {
                        sched_assign(s, inst, -1);
                        continue;
                }
                if (place_instance(s, clone, inst, -1, clone->clone_node_max))
                        allocated++;
                else if (inst->provisional)
                        sched_assign(s, inst, -1);
        }
        free(order);
        if (clone->promotable)
                sched_promote(s, clone);
}
