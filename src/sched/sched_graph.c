/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_graph.c: the transition graph and its simulated execution. The
 * graph holds the required, runnable actions; its synapses are listed
 * resource by resource (a clone's instances before the clone), each
 * resource's actions newest first, then the cluster-wide actions. Like
 * crm_simulate, execution sweeps the list repeatedly and fires every
 * synapse whose inputs have completed; each completes at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

static bool in_graph(const struct saction *a) {
        return (a->flags & SA_RUNNABLE) && (!(a->flags & SA_OPTIONAL) || (a->flags & SA_PRINT_ALWAYS));
}

struct graph {
        struct saction **syn;
        size_t n;
};

static void add(struct graph *g, struct saction *a) {
        if (!in_graph(a) || (a->flags & SA_DUMPED))
                return;
        a->flags |= SA_DUMPED;
        g->syn[g->n++] = a;
}

static void add_rsc(struct graph *g, struct srsc *r) {
        for (size_t i = 0; i < r->n_children; i++)
                add_rsc(g, r->children[i]);
        for (size_t i = r->n_actions; i-- > 0;)
                add(g, r->actions[i]);
}

static bool ready(const struct saction *a) {
        for (size_t i = 0; i < a->n_inputs; i++) {
                const struct saction *first = a->inputs[i].action;

                if ((first->flags & SA_DUMPED) && !first->done)
                        return false;
        }
        return true;
}

static void remove_running(struct sched *s, struct srsc *r, int node) {
        for (size_t i = 0; i < r->n_running; i++)
                if (r->running[i] == node) {
                        memmove(&r->running[i], &r->running[i + 1], (r->n_running - i - 1) * sizeof(int));
                        r->n_running--;
                        s->nodes[node].n_running--;
                        break;
                }
        r->role_on[node] = CIB_ROLE_STOPPED;
        if (r->n_running == 0)
                r->role = CIB_ROLE_STOPPED;
}

static void add_running(struct sched *s, struct srsc *r, int node, enum cib_role role) {
        bool found = false;

        for (size_t i = 0; i < r->n_running; i++)
                found = found || r->running[i] == node;
        if (!found) {
                r->running[r->n_running++] = node;
                s->nodes[node].n_running++;
        }
        r->role_on[node] = role;
        r->role = role;
}

/* The effect of an action on the state printed as the revised status. */
static void apply(struct sched *s, struct saction *a) {
        struct srsc *r = a->rsc;
        bool promotable = r && r->parent && r->parent->promotable;

        if (!r) {
                if (strcmp(a->task, "stonith") == 0 && a->node >= 0) {
                        struct snode *n = &s->nodes[a->node];

                        n->online = n->unclean = n->pending = false;
                        n->standby = false;
                        for (size_t i = 0; i < s->n_prims; i++)
                                remove_running(s, s->prims[i], a->node);
                }
                return;
        }
        if (a->flags & SA_PSEUDO) {
                if (strcmp(a->task, "stop") == 0 && a->node >= 0)
                        remove_running(s, r, a->node);
                return;
        }
        if (strcmp(a->task, "migrate_to") == 0)
                return; /* the source keeps it until the stop */
        if (strcmp(a->task, "start") == 0 || strcmp(a->task, "migrate_from") == 0) {
                add_running(s, r, a->node, promotable ? CIB_ROLE_UNPROMOTED : CIB_ROLE_STARTED);
                r->failed = false;
                r->pending_task = NULL;
        } else if (strcmp(a->task, "stop") == 0) {
                /* A pending start (call-id -1) stays the newest entry of
                 * the history, so the resource still looks active there. */
                if (!(r->start_pending && r->pending_node == a->node))
                        remove_running(s, r, a->node);
                r->failed = false;
                r->pending_task = NULL;
        } else if (strcmp(a->task, "promote") == 0) {
                add_running(s, r, a->node, CIB_ROLE_PROMOTED);
                r->failed = false;
        } else if (strcmp(a->task, "demote") == 0) {
                add_running(s, r, a->node, CIB_ROLE_UNPROMOTED);
        }
}

/* The name crm_simulate shows for a resource: an anonymous instance goes
 * by the name its history uses, or by its primitive's id when some history
 * uses that, else by its own id. */
static const char *display_id(const struct sched *s, const struct srsc *r) {
        const char *id;

        if (!r->parent || r->parent->unique)
                return r->id;
        id = r->clone_name && strcmp(r->clone_name, r->def->id) != 0 ? r->clone_name : r->def->id;
        for (size_t i = 0; i < s->n_prims; i++)
                if (strcmp(s->prims[i]->id, id) == 0 ||
                    (s->prims[i]->clone_name && strcmp(s->prims[i]->clone_name, id) == 0))
                        return id;
        return r->id;
}

static void print_action(const struct sched *s, const struct saction *a, FILE *f) {
        const char *id;

        if (a->flags & SA_PSEUDO) {
                /* An anonymous instance's implied action goes by its name. */
                if (a->rsc && a->rsc->parent && !a->rsc->parent->unique && !a->notify_kind &&
                    strcmp(a->task, "notify") != 0)
                        fprintf(f, "  * Pseudo action:   %s_%s_%u\n", display_id(s, a->rsc), a->task, a->interval_ms);
                else
                        fprintf(f, "  * Pseudo action:   %s\n", a->key);
                return;
        }
        if (!a->rsc) {
                if (strcmp(a->task, "stonith") == 0)
                        fprintf(f, "  * Fencing %s (%s)\n", s->nodes[a->node].name, a->fence_op ? "reboot" : "off");
                else
                        fprintf(f, "  * Cluster action:  %s on %s\n", a->task, s->nodes[a->node].name);
                return;
        }
        id = display_id(s, a->rsc);
        if (strcmp(a->task, "clear_failcount") == 0) {
                fprintf(f, "  * Cluster action:  %s for %s on %s\n", a->task, id, s->nodes[a->node].name);
                return;
        }
        if (a->interval_ms)
                fprintf(f, "  * Resource action: %-15s %s=%u on %s\n", id, a->task, a->interval_ms,
                        s->nodes[a->node].name);
        else
                fprintf(f, "  * Resource action: %-15s %s on %s\n", id, a->task, s->nodes[a->node].name);
}

/* The revised status is read back in <status> order: list the nodes a
 * resource is active on in that order. */
static void sort_running(struct sched *s, struct srsc *r) {
        for (size_t i = 1; i < r->n_running; i++)
                for (size_t j = i; j > 0; j--) {
                        const struct cib_node *a = s->nodes[r->running[j - 1]].cib, *b = s->nodes[r->running[j]].cib;
                        int ka = a->has_state ? a->state_index : 1 << 20, kb = b->has_state ? b->state_index : 1 << 20;
                        int t;

                        if (ka <= kb)
                                break;
                        t = r->running[j];
                        r->running[j] = r->running[j - 1];
                        r->running[j - 1] = t;
                }
}

void sched_execute(struct sched *s, FILE *f) {
        struct graph g = { .syn = calloc(s->n_actions ? s->n_actions : 1, sizeof(struct saction *)) };
        size_t done = 0;
        bool progress = true;

        if (!g.syn)
                return;
        for (size_t i = 0; i < s->n_resources; i++)
                add_rsc(&g, s->resources[i]);
        for (size_t i = s->n_actions; i-- > 0;)
                add(&g, s->actions[i]);
        while (done < g.n && progress) {
                progress = false;
                for (size_t i = 0; i < g.n; i++) {
                        struct saction *a = g.syn[i];

                        if (a->done || !ready(a))
                                continue;
                        print_action(s, a, f);
                        apply(s, a);
                        a->done = true;
                        done++;
                        progress = true;
                }
        }
        free(g.syn);
        for (size_t i = 0; i < s->n_prims; i++) {
                struct srsc *r = s->prims[i];

                r->pending_task = NULL;
                if (r->n_running == 0)
                        r->failed = false;
                sort_running(s, r);
        }
}
