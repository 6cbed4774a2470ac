/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_colocation.c: role-less colocation in placement. A dependent is
 * placed after its primary and takes its score on the primary's node (or,
 * for INFINITY, only that node); before that, the primary adds its
 * dependents' node scores scaled by score/INFINITY ("influence"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched_colocation.h"

static bool same_attr(const struct sched *s, const char *attr, int a, int b) {
        const char *va = sched_node_attr(s, a, attr), *vb = sched_node_attr(s, b, attr);

        return va && vb && strcmp(va, vb) == 0;
}

static void set_weight(struct srsc *r, int n, int w) {
        if (r->weights[n] != SCORE_ABSENT)
                r->weights[n] = w;
        for (size_t i = 0; i < r->n_children; i++)
                set_weight(r->children[i], n, w);
}

static void add_weight(struct srsc *r, int n, int w) {
        if (r->weights[n] != SCORE_ABSENT)
                r->weights[n] = sched_score_add(r->weights[n], w);
        for (size_t i = 0; i < r->n_children; i++)
                add_weight(r->children[i], n, w);
}

/* Nodes where primary is (or will be) active: its assignment, or for a
 * clone its instances' assignments. */
static bool placed_on(const struct srsc *primary, int n, enum cib_role role) {
        if (!primary->is_clone)
                return primary->assigned == n;
        for (size_t i = 0; i < primary->n_children; i++) {
                const struct srsc *c = primary->children[i];

                if (c->assigned != n)
                        continue;
                if (role == CIB_ROLE_UNKNOWN || (role == CIB_ROLE_PROMOTED && c->next_role == CIB_ROLE_PROMOTED) ||
                    (role == CIB_ROLE_UNPROMOTED && c->next_role != CIB_ROLE_PROMOTED))
                        return true;
        }
        return false;
}

static void follow_primary(struct sched *s, struct srsc *dep, const struct srsc *primary,
                           const struct cib_colocation *co) {
        for (size_t n = 0; n < s->n_nodes; n++) {
                bool match = false;

                for (size_t p = 0; p < s->n_nodes && !match; p++)
                        match = placed_on(primary, (int) p, co->with_role) && same_attr(s, co->node_attribute, (int) n, (int) p);
                if (co->score >= CIB_INFINITY) {
                        if (!match)
                                set_weight(dep, (int) n, -CIB_INFINITY);
                } else if (co->score <= -CIB_INFINITY) {
                        if (match)
                                set_weight(dep, (int) n, -CIB_INFINITY);
                } else if (match)
                        add_weight(dep, (int) n, co->score);
        }
}

/* The dependent's score on a node as the primary sees it: its best
 * score among available nodes with the same attribute value. */
static int dependent_score(const struct sched *s, const struct srsc *dep, const char *attr, int n) {
        int best = -CIB_INFINITY;
        bool any = false;

        for (size_t o = 0; o < s->n_nodes; o++) {
                if (dep->weights[o] == SCORE_ABSENT || !sched_node_can_run(&s->nodes[o]) ||
                    !same_attr(s, attr, (int) o, n))
                        continue;
                if (!any || dep->weights[o] > best)
                        best = dep->weights[o];
                any = true;
        }
        return best;
}

static bool can_run_any(const struct sched *s, const int *w) {
        for (size_t n = 0; n < s->n_nodes; n++)
                if (w[n] != SCORE_ABSENT && w[n] >= 0 && sched_node_can_run(&s->nodes[n]))
                        return true;
        return false;
}

static void merge_dependent(struct sched *s, struct srsc *primary, const struct srsc *dep,
                            const struct cib_colocation *co) {
        float factor = (float) co->score / CIB_INFINITY;
        int *backup = malloc(s->n_nodes * sizeof(int));

        if (!backup)
                return;
        memcpy(backup, primary->weights, s->n_nodes * sizeof(int));
        for (size_t n = 0; n < s->n_nodes; n++) {
                int score, w;
                float wf;

                if (primary->weights[n] == SCORE_ABSENT)
                        continue;
                score = dependent_score(s, dep, co->node_attribute, (int) n);
                if (factor < 0 && score < 0)
                        continue;
                wf = factor * (float) score;
                w = (int) (wf < 0 ? wf - 0.5f : wf + 0.5f);
                if (w == 0 && score != 0)
                        w = factor > 0 ? 1 : -1;
                primary->weights[n] = sched_score_add(w, primary->weights[n]);
        }
        if (!can_run_any(s, primary->weights))
                memcpy(primary->weights, backup, s->n_nodes * sizeof(int));
        free(backup);
}

void sched_apply_colocations(struct sched *s, struct srsc *r) {
        const struct cib *c = s->cib;

        for (size_t i = 0; i < c->n_colocations; i++) {
                const struct cib_colocation *co = &c->colocations[i];
                struct srsc *primary;

                if (strcmp(co->rsc, r->id) != 0 || co->rsc_role != CIB_ROLE_UNKNOWN)
                        continue;
                primary = sched_find_rsc(s, co->with_rsc);
                if (!primary || primary == r)
                        continue;
                /* With a role of a promotable clone: after its promotion. */
                if (co->with_role != CIB_ROLE_UNKNOWN && (!primary->is_clone || !primary->promotable || r->is_clone))
                        continue;
                sched_place_rsc(s, primary);
                if (primary->provisional)
                        continue; /* a loop: Pacemaker ignores the constraint then */
                follow_primary(s, r, primary, co);
        }
        for (size_t i = 0; i < c->n_colocations; i++) {
                const struct cib_colocation *co = &c->colocations[i];
                struct srsc *dep;

                if (strcmp(co->with_rsc, r->id) != 0 || co->rsc_role != CIB_ROLE_UNKNOWN ||
                    co->with_role != CIB_ROLE_UNKNOWN)
                        continue;
                dep = sched_find_rsc(s, co->rsc);
                if (!dep || dep == r || !dep->provisional || dep->is_clone)
                        continue;
                if (!co->influence && r->n_running)
                        continue;
                merge_dependent(s, r, dep, co);
        }
}
