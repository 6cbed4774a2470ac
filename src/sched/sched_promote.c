/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_promote.c: roles of promotable clone instances. Each placed
 * instance gets a priority: its promotion score (the master-* node
 * attribute, -1 when unset) plus the clone's location constraints for the
 * Promoted role. The clone sums its instances' priorities per node; each
 * instance then takes its node's sum, and the best of them, up to
 * promoted-max and promoted-node-max, are promoted. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sched_internal.h"

bool sched_promotion_attr(struct sched *s, const struct srsc *clone, const struct srsc *inst, int node, int *ret) {
        char name[600];
        const char *v;
        const char *base = clone->unique ? inst->id : clone->def->child->id;

        bool filter = false, decided = false, known_anywhere = inst->n_running > 0;

        for (size_t n = 0; n < s->n_nodes; n++)
                known_anywhere = known_anywhere || inst->known_on[n];
        if (!clone->unique) {
                /* Only the instance active on a node gets its score there;
                 * with none active, any instance probed there does. */
                for (size_t i = 0; i < clone->n_children && !decided; i++)
                        for (size_t j = 0; j < clone->children[i]->n_running; j++)
                                if (clone->children[i]->running[j] == node) {
                                        filter = clone->children[i] == inst;
                                        decided = true;
                                }
                for (size_t i = 0; i < clone->n_children && !decided; i++)
                        if (clone->children[i]->known_on[node])
                                filter = decided = true;
        }
        if (!filter && known_anywhere && !inst->known_on[node])
                return false;
        /* The name the history knows the instance by, then its own,
         * then (anonymous clones) the primitive's. */
        v = NULL;
        if (inst->clone_name) {
                snprintf(name, sizeof(name), "master-%s", inst->clone_name);
                v = sched_node_attr(s, node, name);
        }
        if (!v) {
                snprintf(name, sizeof(name), "master-%s", inst->id);
                v = sched_node_attr(s, node, name);
        }
        if (!v && !clone->unique) {
                snprintf(name, sizeof(name), "master-%s", base);
                v = sched_node_attr(s, node, name);
        }
        if (!v)
                return false;
        *ret = 0;
        cib_score_parse(v, ret);
        return true;
}

/* Location constraints of the clone for the Promoted role on node. */
static int promoted_locations(struct sched *s, const struct srsc *clone, int node) {
        int score = 0;

        for (size_t i = 0; i < s->cib->n_locations; i++) {
                const struct cib_location *l = &s->cib->locations[i];

                if (strcmp(l->rsc, clone->id) != 0)
                        continue;
                if (l->node) {
                        if (l->role != CIB_ROLE_PROMOTED)
                                continue;
                        if (strcasecmp(l->node, s->nodes[node].name) == 0)
                                score = sched_score_add(score, l->score);
                        continue;
                }
                for (size_t r = 0; r < l->n_rules; r++) {
                        struct sched_attr_ctx a;
                        struct cib_rule_ctx ctx;
                        const char *rs = cib_xattr(l->rules[r], "score");
                        int rv = 0;

                        if (l->role != CIB_ROLE_PROMOTED && sched_rule_role(l->rules[r]) != CIB_ROLE_PROMOTED)
                                continue;
                        sched_rule_ctx(s, node, &a, &ctx);
                        if (!cib_rule_matches(l->rules[r], &ctx))
                                continue;
                        if (rs)
                                cib_score_parse(rs, &rv);
                        score = sched_score_add(score, rv);
                }
        }
        return score;
}

static int cmp_promotion(const void *x, const void *y) {
        const struct srsc *a = *(const struct srsc *const *) x, *b = *(const struct srsc *const *) y;

        if (a->promotion_score != b->promotion_score)
                return a->promotion_score > b->promotion_score ? -1 : 1;
        if (a->role != b->role)
                return a->role > b->role ? -1 : 1;
        return a->alloc_order < b->alloc_order ? -1 : a->alloc_order > b->alloc_order;
}

void sched_promote(struct sched *s, struct srsc *clone) {
        size_t n = clone->n_children;
        struct srsc **order = calloc(n ? n : 1, sizeof(*order));
        int *per_node = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(int));
        int *node_sum = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(int));
        int promoted = 0;

        if (!order || !per_node || !node_sum)
                goto out;
        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = clone->children[i];
                int score;

                order[i] = inst;
                inst->promotion_score = 0;
                if (inst->assigned < 0)
                        continue;
                if (inst->next_role == CIB_ROLE_STARTED || inst->next_role == CIB_ROLE_UNKNOWN)
                        inst->next_role = CIB_ROLE_UNPROMOTED;
                if (!sched_promotion_attr(s, clone, inst, inst->assigned, &score))
                        score = -1;
                score = sched_score_add(score, promoted_locations(s, clone, inst->assigned));
                inst->promotion_score = score;
        }
        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = clone->children[i];

                if (inst->assigned >= 0 && inst->promotion_score >= 0)
                        node_sum[inst->assigned] = sched_score_add(node_sum[inst->assigned], inst->promotion_score);
        }
        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = clone->children[i];

                if (!inst->managed && inst->role == CIB_ROLE_PROMOTED)
                        inst->promotion_score = CIB_INFINITY;
                else if (inst->assigned >= 0 && inst->promotion_score >= 0)
                        inst->promotion_score = node_sum[inst->assigned];
        }
        qsort(order, n, sizeof(*order), cmp_promotion);
        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = order[i];

                if (inst->assigned < 0)
                        continue;
                if (!inst->managed) {
                        inst->next_role = inst->role;
                        if (inst->role == CIB_ROLE_PROMOTED)
                                promoted++;
                        continue;
                }
                if (promoted >= clone->promoted_max || inst->promotion_score < 0 ||
                    per_node[inst->assigned] >= clone->promoted_node_max ||
                    clone->target_role == CIB_ROLE_UNPROMOTED || inst->target_role == CIB_ROLE_UNPROMOTED)
                        continue;
                inst->next_role = CIB_ROLE_PROMOTED;
                per_node[inst->assigned]++;
                promoted++;
        }
out:
        free(order);
        free(per_node);
        free(node_sum);
}
