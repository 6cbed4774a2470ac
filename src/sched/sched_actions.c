/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_actions.c: the actions that take each resource from its current
 * role and node to its next ones (the role state machine below), probes
 * for resources whose state on a node is unknown, recurring monitors,
 * and the pseudo-actions that bracket a clone's instances. Action ids
 * follow creation order, as the graph's execution order depends on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "sched_notify.h"

/* Role state machine: the next role on the way from a role to a goal
 * (Pacemaker's rsc_state_matrix), indexed [current][goal]. */
static const enum cib_role next_step[5][5] = {
        /* Unknown */    { CIB_ROLE_UNKNOWN, CIB_ROLE_STOPPED, CIB_ROLE_STOPPED, CIB_ROLE_STOPPED, CIB_ROLE_STOPPED },
        /* Stopped */    { CIB_ROLE_STOPPED, CIB_ROLE_STOPPED, CIB_ROLE_STARTED, CIB_ROLE_UNPROMOTED, CIB_ROLE_UNPROMOTED },
        /* Started */    { CIB_ROLE_STOPPED, CIB_ROLE_STOPPED, CIB_ROLE_STARTED, CIB_ROLE_UNPROMOTED, CIB_ROLE_PROMOTED },
        /* Unpromoted */ { CIB_ROLE_STOPPED, CIB_ROLE_STOPPED, CIB_ROLE_STOPPED, CIB_ROLE_UNPROMOTED, CIB_ROLE_PROMOTED },
        /* Promoted */   { CIB_ROLE_STOPPED, CIB_ROLE_UNPROMOTED, CIB_ROLE_UNPROMOTED, CIB_ROLE_UNPROMOTED, CIB_ROLE_PROMOTED },
};

static char *make_key(const char *rsc, const char *task, unsigned interval) {
        char *k = NULL;

        if (asprintf(&k, "%s_%s_%u", rsc, task, interval) < 0)
                return NULL;
        return k;
}

struct saction *sched_find_action(const struct sched *s, const struct srsc *r, const char *task, int node) {
        if (r) {
                for (size_t i = 0; i < r->n_actions; i++) {
                        struct saction *a = r->actions[i];

                        if (strcmp(a->task, task) == 0 && a->interval_ms == 0 && (node < -1 || a->node == node))
                                return a;
                }
                return NULL;
        }
        for (size_t i = 0; i < s->n_actions; i++) {
                struct saction *a = s->actions[i];

                if (!a->rsc && strcmp(a->task, task) == 0 && (node < -1 || a->node == node))
                        return a;
        }
        return NULL;
}

static void set_runnable(struct sched *s, struct saction *a);

/* An action of r with this key on node; one created without a node is
 * given this node, as Pacemaker does. */
static struct saction *find_key(struct sched *s, const struct srsc *r, const char *key, int node) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_actions; i++)
                if (strcmp(r->actions[i]->key, key) == 0 && r->actions[i]->node == node)
                        return r->actions[i];
        for (size_t i = 0; node >= 0 && i < r->n_actions; i++)
                if (strcmp(r->actions[i]->key, key) == 0 && r->actions[i]->node < 0 &&
                    !(r->actions[i]->flags & SA_PSEUDO)) {
                        r->actions[i]->node = node;
                        set_runnable(s, r->actions[i]);
                        return r->actions[i];
                }
        return NULL;
}

/* Whether an action on node may run, and why not. */
static void set_runnable(struct sched *s, struct saction *a) {
        const struct snode *n;
        bool needs_quorum;

        if (a->flags & SA_PSEUDO || (a->node < 0 && !a->rsc)) {
                a->flags |= SA_RUNNABLE;
                return;
        }
        if (a->node < 0) {
                a->flags &= ~SA_RUNNABLE; /* not placed */
                return;
        }
        n = &s->nodes[a->node];
        a->flags |= SA_RUNNABLE;
        if (!n->online) {
                a->flags &= ~SA_RUNNABLE;
                return;
        }
        if (n->pending) {
                a->flags &= ~SA_RUNNABLE;
                return;
        }
        needs_quorum = a->rsc && !a->rsc->requires_nothing &&
                       (strcmp(a->task, "start") == 0 || strcmp(a->task, "promote") == 0 ||
                        (strcmp(a->task, "monitor") == 0 && a->interval_ms > 0) ||
                        strcmp(a->task, "migrate_to") == 0 || strcmp(a->task, "migrate_from") == 0);
        if (!needs_quorum || s->have_quorum)
                return;
        if (strcmp(s->no_quorum_policy, "stop") == 0 || strcmp(s->no_quorum_policy, "suicide") == 0) {
                a->flags &= ~SA_RUNNABLE;
                a->reason = "no quorum";
        } else if (strcmp(s->no_quorum_policy, "freeze") == 0) {
                if (a->rsc->n_running == 0 || a->rsc->next_role > a->rsc->role) {
                        a->flags &= ~SA_RUNNABLE;
                        a->reason = "quorum freeze";
                }
        }
}

static struct saction *new_action(struct sched *s, struct srsc *r, char *key, const char *task, int node,
                                  unsigned interval_ms, bool optional, bool pseudo) {
        struct saction *a, **slot;

        a = find_key(s, r, key, node);
        if (a) {
                free(key);
                if (!optional)
                        a->flags &= ~SA_OPTIONAL;
                return a;
        }
        a = calloc(1, sizeof(*a));
        if (!a || !key) {
                free(a);
                free(key);
                return NULL;
        }
        a->id = ++s->next_action_id;
        a->key = key;
        a->task = strdup(task);
        a->rsc = r;
        a->node = node;
        a->interval_ms = interval_ms;
        if (optional)
                a->flags |= SA_OPTIONAL;
        if (pseudo)
                a->flags |= SA_PSEUDO;
        set_runnable(s, a);
        slot = realloc(s->actions, (s->n_actions + 1) * sizeof(*slot));
        if (slot) {
                s->actions = slot;
                s->actions[s->n_actions++] = a;
        }
        if (r) {
                slot = realloc(r->actions, (r->n_actions + 1) * sizeof(*slot));
                if (slot) {
                        r->actions = slot;
                        r->actions[r->n_actions++] = a;
                }
        }
        return a;
}

struct saction *sched_action(struct sched *s, struct srsc *r, const char *task, int node, unsigned interval_ms,
                             bool optional) {
        return new_action(s, r, make_key(r->id, task, interval_ms), task, node, interval_ms, optional,
                          r->is_clone);
}

struct saction *sched_keyed_action(struct sched *s, struct srsc *r, const char *key, const char *task, int node,
                                   bool optional) {
        return new_action(s, r, strdup(key), task, node, 0, optional, false);
}

struct saction *sched_pseudo(struct sched *s, struct srsc *r, const char *key, const char *task, bool optional) {
        char *k = strdup(key);

        return new_action(s, r, k, task, -1, 0, optional, true);
}

struct saction *sched_cluster_action(struct sched *s, const char *key, const char *task, int node, bool pseudo) {
        return new_action(s, NULL, strdup(key), task, node, 0, false, pseudo);
}

/* The four steps of the state machine. */
static void stop_rsc(struct sched *s, struct srsc *r, bool optional) {
        for (size_t i = 0; i < r->n_running; i++) {
                struct saction *a = sched_action(s, r, "stop", r->running[i], 0, optional);

                if (!a)
                        continue;
                if (r->no_quorum_stop)
                        a->reason = "no quorum";
                else if (r->assigned < 0)
                        a->reason = "node availability";
                if (r->orphan && !r->parent && !optional)
                        sched_delete(s, r, r->running[i]);
                if (!r->managed)
                        a->flags &= ~SA_RUNNABLE;
        }
}

static void start_rsc(struct sched *s, struct srsc *r, int node, bool optional) {
        if (node >= 0)
                sched_action(s, r, "start", node, 0, optional);
}

static void promote_rsc(struct sched *s, struct srsc *r, int node, bool optional) {
        struct saction *start, *p;

        if (node < 0)
                return;
        start = sched_find_action(s, r, "start", node);
        p = sched_action(s, r, "promote", node, 0, optional);
        if (p && start && !(start->flags & SA_RUNNABLE))
                p->flags &= ~SA_RUNNABLE;
}

static void demote_rsc(struct sched *s, struct srsc *r, bool optional) {
        for (size_t i = 0; i < r->n_running; i++)
                sched_action(s, r, "demote", r->running[i], 0, optional);
}

static void step(struct sched *s, struct srsc *r, enum cib_role from, enum cib_role to, int node, bool optional) {
        if (to == CIB_ROLE_STOPPED) {
                if (from == CIB_ROLE_PROMOTED)
                        demote_rsc(s, r, optional);
                else
                        stop_rsc(s, r, optional);
        } else if (from == CIB_ROLE_STOPPED)
                start_rsc(s, r, node, optional);
        else if (to == CIB_ROLE_PROMOTED)
                promote_rsc(s, r, node, optional);
        else if (from == CIB_ROLE_PROMOTED)
                demote_rsc(s, r, optional);
        else if (from == CIB_ROLE_UNPROMOTED && to == CIB_ROLE_STARTED)
                stop_rsc(s, r, optional);
}

/* Whether the history shows the recurring operation active on node: its
 * action was then created while reading the status. */
static bool monitor_active(const struct sched *s, const struct srsc *r, int node, unsigned interval) {
        for (size_t i = 0; i < r->n_actions; i++)
                if (strcmp(r->actions[i]->task, "monitor") == 0 && r->actions[i]->interval_ms == interval &&
                    r->actions[i]->node == node)
                        return true;
        return false;
}

/* Two operations with the same name and interval are a configuration
 * error Pacemaker ignores both for. */
static bool duplicate_op(const struct srsc *r, const struct cib_op *op) {
        for (size_t i = 0; i < r->def->n_ops; i++) {
                const struct cib_op *o = &r->def->ops[i];

                if (o != op && o->interval_ms == op->interval_ms && strcmp(o->name, op->name) == 0)
                        return true;
        }
        return false;
}

static void recurring(struct sched *s, struct srsc *r, int node) {
        struct saction *start = sched_find_action(s, r, "start", node);
        bool restarting = start && !(start->flags & SA_OPTIONAL);

        for (size_t i = 0; i < r->def->n_ops; i++) {
                const struct cib_op *op = &r->def->ops[i];
                enum cib_role want = r->next_role;
                bool optional;
                struct saction *m, *promote, *demote;

                if (strcmp(op->name, "monitor") != 0 || op->interval_ms == 0 || !op->enabled || duplicate_op(r, op))
                        continue;
                if (want == CIB_ROLE_STARTED && r->parent && r->parent->promotable)
                        want = CIB_ROLE_UNPROMOTED;
                if (op->role == CIB_ROLE_STOPPED)
                        continue;
                /* A monitor without a role is for the unpromoted role. A
                 * monitor active in the wrong role is cancelled before the
                 * role changes. */
                if ((op->role == CIB_ROLE_UNKNOWN && want == CIB_ROLE_PROMOTED) ||
                    (op->role != CIB_ROLE_UNKNOWN && op->role != want)) {
                        if (r->n_running == 1 && r->running[0] == node && monitor_active(s, r, node, op->interval_ms)) {
                                struct saction *c = new_action(s, r, make_key(r->id, "cancel", op->interval_ms),
                                                               "cancel", node, op->interval_ms, false, false);
                                struct saction *after = sched_find_action(s, r, want == CIB_ROLE_PROMOTED ? "promote" : "demote", node);

                                if (c && after)
                                        sched_order(c, after, SO_RUNNABLE_LEFT);
                        }
                        continue;
                }
                promote = sched_find_action(s, r, "promote", node);
                demote = sched_find_action(s, r, "demote", node);
                optional = !restarting && monitor_active(s, r, node, op->interval_ms) &&
                           !(promote && !(promote->flags & SA_OPTIONAL)) &&
                           !(demote && !(demote->flags & SA_OPTIONAL));
                if (op->role == CIB_ROLE_UNKNOWN && r->parent && r->parent->promotable &&
                    r->role != want && r->n_running)
                        optional = false;
                m = new_action(s, r, make_key(r->id, "monitor", op->interval_ms), "monitor", node, op->interval_ms,
                               optional, false);
                if (m)
                        m->flags |= SA_MONITOR_WANTED;
                if (m && start && !(start->flags & SA_RUNNABLE))
                        m->flags &= ~SA_RUNNABLE;
        }
}

/* Monitors for the Stopped role run on every node the resource will not
 * be active on; one still active where the resource will run is
 * cancelled. */
static void recurring_stopped(struct sched *s, struct srsc *r, bool cancels) {
        for (size_t i = 0; i < r->def->n_ops; i++) {
                const struct cib_op *op = &r->def->ops[i];

                if (strcmp(op->name, "monitor") != 0 || op->interval_ms == 0 || !op->enabled ||
                    op->role != CIB_ROLE_STOPPED)
                        continue;
                if (r->parent && !r->parent->unique)
                        continue;
                for (size_t n = 0; n < s->n_nodes; n++) {
                        struct saction *m;
                        bool active = monitor_active(s, r, (int) n, op->interval_ms);

                        if (r->assigned == (int) n && r->next_role != CIB_ROLE_STOPPED) {
                                if (active && cancels)
                                        new_action(s, r, make_key(r->id, "cancel", op->interval_ms), "cancel", (int) n,
                                                   op->interval_ms, false, false);
                                continue;
                        }
                        if (!s->nodes[n].online || s->nodes[n].unclean || cancels)
                                continue;
                        m = new_action(s, r, make_key(r->id, "monitor", op->interval_ms), "monitor", (int) n,
                                       op->interval_ms, active, false);
                        if (m && !r->managed)
                                m->flags &= ~SA_RUNNABLE;
                        if (m)
                                m->flags |= SA_STOPPED_MONITOR;
                }
        }
}

/* Live migration replaces stop and start when the resource allows it
 * and its current node is healthy. */
static bool can_migrate(const struct sched *s, const struct srsc *r, int current) {
        return r->allow_migrate && !r->failed && !r->start_pending && !r->parent && s->nodes[current].online &&
               !s->nodes[current].unclean && r->n_running == 1 && r->next_role == CIB_ROLE_STARTED;
}

/* migrate_to on the source, migrate_from on the target; the start
 * becomes a pseudo-action implied by migrate_from. */
static void migration_actions(struct sched *s, struct srsc *r, int current, int chosen) {
        struct saction *start = sched_find_action(s, r, "start", chosen);
        struct saction *stop = sched_find_action(s, r, "stop", current);
        struct saction *to, *from;

        if (!start || !stop)
                return;
        to = sched_action(s, r, "migrate_to", current, 0, true);
        from = sched_action(s, r, "migrate_from", chosen, 0, true);
        if (!to || !from)
                return;
        start->flags |= SA_PSEUDO;
        r->migrating = true;
        if ((start->flags & SA_RUNNABLE) && !(start->flags & SA_OPTIONAL) && !(stop->flags & SA_OPTIONAL)) {
                to->flags &= ~SA_OPTIONAL;
                from->flags &= ~SA_OPTIONAL;
        }
}

static void primitive_actions(struct sched *s, struct srsc *r) {
        int current = r->n_running ? r->running[0] : -1, chosen = r->assigned;
        enum cib_role role = r->n_running ? r->role : CIB_ROLE_STOPPED, goal = r->next_role;
        bool need_stop = false;

        if (goal == CIB_ROLE_UNKNOWN)
                goal = chosen >= 0 ? CIB_ROLE_STARTED : CIB_ROLE_STOPPED;
        if (chosen < 0)
                goal = CIB_ROLE_STOPPED;
        r->next_role = goal;
        if (r->n_running == 0)
                r->role = CIB_ROLE_STOPPED;
        recurring_stopped(s, r, true);
        if (!r->managed) {
                /* Left alone: nothing is scheduled but its monitors. */
                if (chosen >= 0 && goal != CIB_ROLE_STOPPED && !r->blocked) {
                        sched_action(s, r, "start", chosen, 0, true);
                        recurring(s, r, chosen);
                }
                recurring_stopped(s, r, false);
                return;
        }
        /* Without quorum and no-quorum-policy=stop, what runs stops. */
        if (!s->have_quorum && r->n_running && !r->requires_nothing && goal != CIB_ROLE_STOPPED &&
            (strcmp(s->no_quorum_policy, "stop") == 0 || strcmp(s->no_quorum_policy, "suicide") == 0)) {
                goal = r->next_role = CIB_ROLE_STOPPED;
                r->no_quorum_stop = true;
        }
        if (current >= 0 && chosen >= 0 && current != chosen && goal >= CIB_ROLE_STARTED)
                need_stop = true;
        if (r->failed || r->n_running > 1)
                need_stop = true;

        for (enum cib_role cur = role; cur != CIB_ROLE_STOPPED;) {
                enum cib_role next = next_step[cur][CIB_ROLE_STOPPED];

                step(s, r, cur, next, current, !need_stop);
                cur = next;
        }
        for (enum cib_role cur = CIB_ROLE_STOPPED; role <= goal && cur != role && !r->blocked;) {
                enum cib_role next = next_step[cur][role];

                step(s, r, cur, next, chosen, !need_stop);
                cur = next;
        }
        for (enum cib_role cur = role; cur != goal;) {
                enum cib_role next = next_step[cur][goal];

                step(s, r, cur, next, chosen, false);
                cur = next;
        }
        if (!r->blocked && goal != CIB_ROLE_STOPPED && chosen >= 0) {
                struct saction *start = sched_action(s, r, "start", chosen, 0, true);

                if (start && r->start_pending)
                        start->flags |= SA_PRINT_ALWAYS;
                recurring(s, r, chosen);
        }
        recurring_stopped(s, r, false);
        if (need_stop && current >= 0 && chosen >= 0 && current != chosen && can_migrate(s, r, current))
                migration_actions(s, r, current, chosen);
}

/* Whether the instance will start, stop, promote or demote. */
static void instance_changes(const struct srsc *r, bool *starting, bool *stopping, bool *promoting, bool *demoting) {
        for (size_t i = 0; i < r->n_actions; i++) {
                const struct saction *a = r->actions[i];

                if (a->flags & SA_OPTIONAL)
                        continue;
                if (strcmp(a->task, "start") == 0 && (a->flags & SA_RUNNABLE))
                        *starting = true;
                else if (strcmp(a->task, "stop") == 0)
                        *stopping = true;
                else if (strcmp(a->task, "promote") == 0 && (a->flags & SA_RUNNABLE))
                        *promoting = true;
                else if (strcmp(a->task, "demote") == 0)
                        *demoting = true;
        }
}

static struct saction *clone_op(struct sched *s, struct srsc *c, const char *task, bool optional, bool runnable) {
        char *key = make_key(c->id, task, 0);
        struct saction *a = new_action(s, c, key, task, -1, 0, optional, true);

        if (a && !runnable)
                a->flags &= ~SA_RUNNABLE;
        return a;
}

static void clone_actions(struct sched *s, struct srsc *c) {
        bool starting = false, stopping = false, promoting = false, demoting = false, active = false;
        struct saction *start, *running, *stop, *stopped;

        for (size_t i = 0; i < c->n_children; i++) {
                primitive_actions(s, c->children[i]);
                instance_changes(c->children[i], &starting, &stopping, &promoting, &demoting);
                active = active || (c->children[i]->n_running > 0 && c->children[i]->assigned >= 0);
        }
        start = clone_op(s, c, "start", !starting, true);
        running = clone_op(s, c, "running", !starting, false);
        if (active || starting)
                running->flags |= SA_RUNNABLE;
        sched_notify_boundaries(s, c, "start", start, running);
        stop = clone_op(s, c, "stop", !stopping, true);
        stopped = clone_op(s, c, "stopped", !stopping, true);
        sched_notify_boundaries(s, c, "stop", stop, stopped);
        if (c->promotable) {
                struct saction *promote = clone_op(s, c, "promote", !promoting, true);
                struct saction *promoted = clone_op(s, c, "promoted", !promoting, true);
                struct saction *demote, *demoted;

                sched_notify_boundaries(s, c, "promote", promote, promoted);
                demote = clone_op(s, c, "demote", !demoting, true);
                demoted = clone_op(s, c, "demoted", !demoting, true);
                sched_notify_boundaries(s, c, "demote", demote, demoted);
        }
}

static void probe(struct sched *s, struct srsc *r, int node) {
        struct saction *a;

        if (r->known_on[node] || r->orphan)
                return;
        for (size_t i = 0; s->has_discovery_rules && i < s->cib->n_locations; i++) {
                const struct cib_location *l = &s->cib->locations[i];
                const struct srsc *top = r->parent ? r->parent : r;

                if (l->discovery && strcmp(l->discovery, "never") == 0 && strcmp(l->rsc, top->id) == 0 &&
                    l->node && strcasecmp(l->node, s->nodes[node].name) == 0)
                        return;
        }
        a = new_action(s, r, make_key(r->id, "monitor", 0), "monitor", node, 0, false, false);
        (void) a;
}

static void probes(struct sched *s) {
        for (size_t i = 0; i < s->cib->n_locations; i++)
                if (s->cib->locations[i].discovery)
                        s->has_discovery_rules = true;
        for (size_t n = 0; n < s->n_nodes; n++) {
                const struct snode *node = &s->nodes[n];

                if (!node->online || node->unclean || node->fence || node->maintenance)
                        continue;
                for (size_t i = 0; i < s->n_resources; i++) {
                        struct srsc *r = s->resources[i];
                        struct srsc *pick = NULL;

                        if (!r->is_clone) {
                                probe(s, r, (int) n);
                                continue;
                        }
                        if (r->unique) {
                                for (size_t c = 0; c < r->n_children; c++)
                                        probe(s, r->children[c], (int) n);
                                continue;
                        }
                        for (size_t c = 0; c < r->n_children; c++)
                                if (r->children[c]->known_on[n])
                                        goto next;
                        for (size_t c = 0; c < r->n_children && !pick; c++)
                                if (r->children[c]->assigned == (int) n)
                                        pick = r->children[c];
                        if (!pick && r->n_children)
                                pick = r->children[0];
                        if (pick)
                                probe(s, pick, (int) n);
                next:;
                }
        }
}

void sched_create_actions(struct sched *s) {
        for (size_t i = 0; i < s->n_early; i++) {
                struct early_action *e = &s->early[i];
                bool stop = strcmp(e->task, "stop") == 0;

                if (!e->rsc) {
                        char key[300];
                        struct saction *f;

                        snprintf(key, sizeof(key), "stonith-%s-reboot", s->nodes[e->node].name);
                        if (sched_find_action(s, NULL, "stonith", e->node))
                                continue;
                        f = sched_cluster_action(s, key, "stonith", e->node, false);
                        if (f) {
                                f->flags |= SA_OPTIONAL;
                                f->fence_op = 1;
                        }
                        continue;
                }
                new_action(s, e->rsc, make_key(e->rsc->id, e->task, e->interval_ms), e->task, e->node, e->interval_ms,
                           !stop && !e->required && strcmp(e->task, "clear_failcount") != 0, false);
        }
        /* Pacemaker creates these while reading the constraints. */
        for (size_t i = 0; i < s->cib->n_orders; i++) {
                const struct cib_order *o = &s->cib->orders[i];
                struct srsc *first = sched_find_rsc(s, o->first);
                char key[600];
                struct saction *a;

                if (!first || !first->is_clone || (o->require_all && first->clone_min <= 0) ||
                    !sched_find_rsc(s, o->then))
                        continue;
                snprintf(key, sizeof(key), "clone-one-or-more:%s", o->id);
                a = sched_cluster_action(s, key, key, -1, true);
                if (a) {
                        a->flags |= SA_REQUIRES_ANY | SA_OPTIONAL;
                        a->required_runnable = o->require_all ? first->clone_min : 1;
                }
        }
        sched_check_definitions(s);
        probes(s);
        /* Orphans' fail counts are cleared wherever they are set. */
        for (size_t i = 0; s->stop_orphans && i < s->n_resources; i++) {
                struct srsc *r = s->resources[i];

                if (!r->orphan || r->is_clone)
                        continue;
                for (size_t n = 0; n < s->n_nodes; n++)
                        if (r->fail_count[n] > 0 && s->nodes[n].online)
                                new_action(s, r, make_key(r->id, "clear_failcount", 0), "clear_failcount", (int) n, 0,
                                           false, false);
        }
        for (size_t i = 0; i < s->n_resources; i++) {
                struct srsc *r = s->resources[i];

                if (r->is_clone)
                        clone_actions(s, r);
                else
                        primitive_actions(s, r);
        }
}
