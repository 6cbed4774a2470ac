/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_fencing.c: fencing of unclean nodes and shutdowns. A node that
 * must be fenced gets a stonith action when fencing is possible (enabled,
 * a fencing device configured, quorum or no-quorum-policy=ignore); the
 * stops of its resources are then implied by the fencing (pseudo-actions
 * ordered after it). Without fencing those stops cannot run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_notify.h"

static bool can_fence(const struct sched *s, const struct snode *n) {
        if (!s->stonith_enabled || !s->has_stonith_rsc)
                return false;
        if (s->have_quorum || strcmp(s->no_quorum_policy, "ignore") == 0)
                return true;
        return n->online;
}

void sched_fencing(struct sched *s) {
        struct saction *last = NULL, *dc = NULL;
        struct saction **others = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(*others));
        size_t n_others = 0;
        bool concurrent = s->concurrent_fencing;

        if (!others)
                return;

        for (size_t i = 0; i < s->n_prims; i++)
                if (s->prims[i]->is_stonith && !s->prims[i]->orphan)
                        s->has_stonith_rsc = true;
        for (size_t n = 0; n < s->n_nodes; n++) {
                struct snode *node = &s->nodes[n];
                struct saction *f;
                char key[300];

                if (!node->unclean && node->online && node->shutdown) {
                        struct saction *sd = sched_cluster_action(s, "do_shutdown", "do_shutdown", (int) n, false);

                        for (size_t i = 0; sd && i < s->n_prims; i++) {
                                struct srsc *r = s->prims[i];

                                for (size_t j = 0; j < r->n_actions; j++)
                                        if (r->actions[j]->node == (int) n && strcmp(r->actions[j]->task, "stop") == 0)
                                                sched_order(r->actions[j], sd, SO_OPTIONAL);
                        }
                        continue;
                }
                if (!node->unclean || !can_fence(s, node))
                        continue;
                snprintf(key, sizeof(key), "stonith-%s-reboot", node->name);
                f = sched_find_action(s, NULL, "stonith", (int) n);
                if (!f)
                        f = sched_cluster_action(s, key, "stonith", (int) n, false);
                if (!f)
                        continue;
                f->flags &= ~SA_OPTIONAL;
                f->fence_op = 1;
                f->reason = node->fence_reason;
                f->flags |= SA_RUNNABLE;
                node->fence = true;
                for (size_t i = 0; i < s->n_prims; i++) {
                        struct srsc *r = s->prims[i];

                        for (size_t j = 0; j < r->n_actions; j++) {
                                struct saction *a = r->actions[j];

                                if (a->node == (int) n && (strcmp(a->task, "stop") == 0 || strcmp(a->task, "demote") == 0)) {
                                        a->flags |= SA_PSEUDO | SA_RUNNABLE;
                                        sched_order(f, a, SO_IMPLIES_THEN);
                                        /* The instance's clone stops after the fencing too. */
                                        for (size_t k = 0; r->parent && k < r->parent->n_actions; k++) {
                                                struct saction *c = r->parent->actions[k];

                                                if (!c->notify_kind && strcmp(c->task, "stop") == 0 &&
                                                    strcmp(a->task, "stop") == 0)
                                                        sched_order(f, c, SO_OPTIONAL);
                                        }
                                }
                        }
                }
                /* Fencing is concurrent unless configured otherwise;
                 * the DC is fenced after every other node. */
                if (s->cib->dc_uuid && strcmp(s->cib->dc_uuid, node->id) == 0)
                        dc = f;
                else {
                        if (last && !concurrent)
                                sched_order(last, f, SO_OPTIONAL);
                        last = f;
                        others[n_others++] = f;
                }
        }
        for (size_t i = 0; dc && i < n_others; i++)
                sched_order(others[i], dc, SO_OPTIONAL);
        free(others);
}
