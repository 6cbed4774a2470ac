/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_place.c: placement of primitives: each resource's node scores
 * (symmetric default, location constraints and rules, stickiness, fail
 * counts, bans), the order resources are placed in, colocation with
 * already placed resources, and the choice of a node. */
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "sched_colocation.h"

static void add_weight(struct srsc *r, int node, int score) {
        if (r->weights[node] == SCORE_ABSENT)
                r->weights[node] = score;
        else
                r->weights[node] = sched_score_add(r->weights[node], score);
}

static int rule_score(const struct sched *s, const struct _xmlNode *rule, int node, int dflt) {
        const char *sa = cib_xattr(rule, "score-attribute");
        const char *score = cib_xattr(rule, "score");
        int v = dflt;

        if (score)
                cib_score_parse(score, &v);
        if (sa) {
                const char *val = sched_node_attr(s, node, sa);

                v = 0;
                if (val)
                        cib_score_parse(val, &v);
        }
        return v;
}

enum cib_role sched_rule_role(const struct _xmlNode *rule) {
        enum cib_role role = CIB_ROLE_UNKNOWN;
        const char *v = cib_xattr(rule, "role");

        if (v && cib_role_parse(v, &role) < 0)
                role = CIB_ROLE_UNKNOWN;
        return role == CIB_ROLE_STARTED ? CIB_ROLE_UNKNOWN : role;
}

/* Adds a location constraint's scores to r's weights (role-less only). */
static void apply_location(struct sched *s, const struct cib_location *l, struct srsc *r) {
        if (l->role != CIB_ROLE_UNKNOWN)
                return;
        if (l->node) {
                int n = sched_node_index(s, l->node);

                if (n >= 0)
                        add_weight(r, n, l->score);
                return;
        }
        for (size_t i = 0; i < l->n_rules; i++)
                for (size_t n = 0; n < s->n_nodes; n++) {
                        struct sched_attr_ctx a;
                        struct cib_rule_ctx ctx;

                        if (sched_rule_role(l->rules[i]) != CIB_ROLE_UNKNOWN)
                                break; /* a rule for a role weighs on promotion only */
                        sched_rule_ctx(s, (int) n, &a, &ctx);
                        if (cib_rule_matches(l->rules[i], &ctx))
                                add_weight(r, (int) n, rule_score(s, l->rules[i], (int) n, 0));
                }
}

static void init_weights(struct sched *s, struct srsc *r) {
        for (size_t n = 0; n < s->n_nodes; n++) {
                r->weights[n] = s->symmetric ? 0 : SCORE_ABSENT;
                if (s->nodes[n].health)
                        add_weight(r, (int) n, s->nodes[n].health);
        }
        for (size_t i = 0; i < s->cib->n_locations; i++)
                if (strcmp(s->cib->locations[i].rsc, r->id) == 0)
                        apply_location(s, &s->cib->locations[i], r);
}

/* Stickiness, fail limits and hard-error bans of a primitive. */
static void apply_state_scores(struct sched *s, struct srsc *r) {
        if (r->managed && r->n_running == 1 && r->stickiness) {
                int n = r->running[0];

                if (r->weights[n] != SCORE_ABSENT || s->symmetric)
                        add_weight(r, n, r->stickiness);
        }
        for (size_t n = 0; n < s->n_nodes; n++) {
                struct srsc *target = r->parent && !r->parent->unique ? r->parent : r;

                if (r->banned[n])
                        add_weight(r, (int) n, -CIB_INFINITY);
                if (r->fail_count[n] > 0 && r->migration_threshold > 0 &&
                    r->fail_count[n] >= r->migration_threshold) {
                        add_weight(target, (int) n, -CIB_INFINITY);
                        if (target != r)
                                for (size_t i = 0; i < target->n_children; i++)
                                        add_weight(target->children[i], (int) n, -CIB_INFINITY);
                }
        }
}

void sched_assign(struct sched *s, struct srsc *r, int node) {
        r->provisional = false;
        r->assigned = node;
        if (node >= 0) {
                s->nodes[node].n_assigned++;
                if (r->next_role == CIB_ROLE_UNKNOWN)
                        r->next_role = CIB_ROLE_STARTED;
        } else
                r->next_role = CIB_ROLE_STOPPED;
}

static int effective(const struct sched *s, const struct srsc *r, int n) {
        if (r->weights[n] == SCORE_ABSENT || !sched_node_can_run(&s->nodes[n]))
                return -CIB_INFINITY;
        return r->weights[n];
}

/* Pacemaker's node order: score, then fewest placed resources, then the
 * current node, then the name. */
static bool better(const struct sched *s, const struct srsc *r, int a, int b, int current) {
        int wa = effective(s, r, a), wb = effective(s, r, b);

        if (wa != wb)
                return wa > wb;
        if (strcmp(s->placement_strategy, "minimal") != 0) {
                if (s->nodes[a].n_assigned != s->nodes[b].n_assigned)
                        return s->nodes[a].n_assigned < s->nodes[b].n_assigned;
                if (a == current)
                        return true;
                if (b == current)
                        return false;
        }
        /* Plain byte order here, unlike the node list's natural order. */
        return strcmp(s->nodes[a].name, s->nodes[b].name) < 0;
}

int sched_choose_node(struct sched *s, struct srsc *r, int prefer) {
        int best = -1, current = r->n_running == 1 ? r->running[0] : -1;

        for (size_t n = 0; n < s->n_nodes; n++)
                if (best < 0 || better(s, r, (int) n, best, current))
                        best = (int) n;
        if (best < 0 || effective(s, r, best) < 0)
                return -1;
        if (prefer >= 0 && effective(s, r, prefer) >= 0 && effective(s, r, prefer) == effective(s, r, best))
                return prefer;
        return best;
}

/* Places one primitive (not a clone instance). */
static void place_primitive(struct sched *s, struct srsc *r) {
        int node;

        if (!r->provisional)
                return;
        if (r->allocating)
                return; /* colocation loop */
        r->allocating = true;
        sched_apply_colocations(s, r);
        r->allocating = false;
        if (!r->provisional)
                return;
        if (!r->managed) {
                sched_assign(s, r, r->n_running ? r->running[0] : -1);
                if (r->n_running)
                        r->next_role = r->role;
                return;
        }
        if (r->n_running > 1) {
                const char *policy = sched_rsc_meta(s, r, "multiple-active");

                if (policy && strcmp(policy, "stop_only") == 0)
                        r->next_role = CIB_ROLE_STOPPED;
                else if (policy && strcmp(policy, "block") == 0) {
                        r->managed = false;
                        r->blocked = true;
                        sched_assign(s, r, r->running[0]);
                        return;
                }
        }
        if (r->target_role == CIB_ROLE_STOPPED || r->next_role == CIB_ROLE_STOPPED || r->orphan) {
                sched_assign(s, r, -1);
                return;
        }
        node = sched_choose_node(s, r, -1);
        sched_assign(s, r, node);
        if (node < 0)
                r->stop_reason_availability = true;
}

void sched_place_rsc(struct sched *s, struct srsc *r) {
        if (r->is_clone)
                sched_place_clone(s, r);
        else
                place_primitive(s, r);
}

/* Resources are placed by priority, then in document order; with a
 * placement strategy other than "default", ties go to the higher score
 * where they are now, then to the higher score on the first nodes. */
static int weight_on_current(const struct sched *s, const struct srsc *r) {
        const struct srsc *p = r->is_clone ? NULL : r;

        if (!p || p->n_running == 0 || p->weights[p->running[0]] == SCORE_ABSENT)
                return -CIB_INFINITY;
        return p->weights[p->running[0]];
}

static const struct sched *sort_ctx;

static int cmp_rsc(const void *x, const void *y) {
        const struct srsc *a = *(const struct srsc *const *) x, *b = *(const struct srsc *const *) y;
        int wa, wb;

        if (a->priority != b->priority)
                return a->priority > b->priority ? -1 : 1;
        if (strcmp(sort_ctx->placement_strategy, "default") == 0)
                goto same;
        wa = weight_on_current(sort_ctx, a);
        wb = weight_on_current(sort_ctx, b);
        if (wa != wb)
                return wa > wb ? -1 : 1;
        for (size_t n = 0; n < sort_ctx->n_nodes; n++) {
                wa = a->weights[n] == SCORE_ABSENT ? -CIB_INFINITY : a->weights[n];
                wb = b->weights[n] == SCORE_ABSENT ? -CIB_INFINITY : b->weights[n];
                if (wa != wb)
                        return wa > wb ? -1 : 1;
        }
same:
        return a->doc_order < b->doc_order ? -1 : a->doc_order > b->doc_order;
}

void sched_place(struct sched *s) {
        struct srsc **order = calloc(s->n_resources ? s->n_resources : 1, sizeof(*order));

        if (!order)
                return;
        for (size_t i = 0; i < s->n_resources; i++) {
                struct srsc *r = s->resources[i];

                order[i] = r;
                r->doc_order = i;
                init_weights(s, r);
                for (size_t c = 0; c < r->n_children; c++) {
                        memcpy(r->children[c]->weights, r->weights, s->n_nodes * sizeof(int));
                }
        }
        for (size_t i = 0; i < s->n_resources; i++) {
                struct srsc *r = s->resources[i];

                if (r->is_clone)
                        for (size_t c = 0; c < r->n_children; c++)
                                apply_state_scores(s, r->children[c]);
                else
                        apply_state_scores(s, r);
        }
        sort_ctx = s;
        qsort(order, s->n_resources, sizeof(*order), cmp_rsc);
        sort_ctx = NULL;
        for (size_t i = 0; i < s->n_resources; i++)
                sched_place_rsc(s, order[i]);
        free(order);
}
