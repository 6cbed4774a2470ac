/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_promote.c: roles of promotable clone instances: each placed
 * instance's promotion score (the master-* node attribute plus location
 * constraints for the Promoted role), then the best promoted-max of them,
 * at most promoted-node-max per node, are promoted. */
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

static int promotion_score(struct sched *s, const struct srsc *clone, const struct srsc *inst) {
        char name[600];
        const char *v;
        int score = -1, node = inst->assigned;
        const char *base = clone->unique ? inst->id : clone->def->child->id;

        snprintf(name, sizeof(name), "master-%s", base);
        v = sched_node_attr(s, node, name);
        if (!v && !clone->unique) {
                snprintf(name, sizeof(name), "master-%s", inst->id);
                v = sched_node_attr(s, node, name);
        }
        if (v)
                cib_score_parse(v, &score);
        for (size_t i = 0; i < s->cib->n_locations; i++) {
                const struct cib_location *l = &s->cib->locations[i];

                if (l->role != CIB_ROLE_PROMOTED || strcmp(l->rsc, clone->id) != 0)
                        continue;
                if (l->node) {
                        if (strcasecmp(l->node, s->nodes[node].name) == 0)
                                score = sched_score_add(score, l->score);
                        continue;
                }
                for (size_t r = 0; r < l->n_rules; r++) {
                        struct sched_attr_ctx a;
                        struct cib_rule_ctx ctx;
                        const char *rs = cib_xattr(l->rules[r], "score");
                        int rv = 0;

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

static const struct srsc *const *sort_scores_base;
static int *sort_scores;

static int cmp_promotion(const void *x, const void *y) {
        const struct srsc *a = *(const struct srsc *const *) x, *b = *(const struct srsc *const *) y;
        int sa = sort_scores[a->doc_order], sb = sort_scores[b->doc_order];

        if (sa != sb)
                return sa > sb ? -1 : 1;
        if (a->role != b->role)
                return a->role > b->role ? -1 : 1;
        return a->index < b->index ? -1 : a->index > b->index;
}

void sched_promote(struct sched *s, struct srsc *clone) {
        size_t n = clone->n_children;
        struct srsc **order = calloc(n ? n : 1, sizeof(*order));
        int *scores = calloc(n ? n : 1, sizeof(int));
        int *per_node = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(int));
        int promoted = 0;

        if (!order || !scores || !per_node)
                goto out;
        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = clone->children[i];

                order[i] = inst;
                inst->doc_order = i;
                scores[i] = inst->assigned >= 0 ? promotion_score(s, clone, inst) : -CIB_INFINITY;
                inst->promotion_score = scores[i];
        }
        sort_scores = scores;
        sort_scores_base = (const struct srsc *const *) order;
        qsort(order, n, sizeof(*order), cmp_promotion);
        for (size_t i = 0; i < n; i++) {
                struct srsc *inst = order[i];

                if (inst->assigned < 0)
                        continue;
                if (inst->next_role == CIB_ROLE_STARTED || inst->next_role == CIB_ROLE_UNKNOWN)
                        inst->next_role = CIB_ROLE_UNPROMOTED;
                if (!inst->managed) {
                        inst->next_role = inst->role;
                        if (inst->role == CIB_ROLE_PROMOTED)
                                promoted++;
                        continue;
                }
                if (promoted >= clone->promoted_max || scores[inst->doc_order] < 0 ||
                    per_node[inst->assigned] >= clone->promoted_node_max ||
                    clone->target_role == CIB_ROLE_UNPROMOTED || inst->target_role == CIB_ROLE_UNPROMOTED)
                        continue;
                inst->next_role = CIB_ROLE_PROMOTED;
                per_node[inst->assigned]++;
                promoted++;
        }
out:
        sort_scores = NULL;
        free(order);
        free(scores);
        free(per_node);
}
