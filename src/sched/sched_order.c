/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_order.c: orderings between actions: each resource's own (stop
 * before start, demote before stop, start before promote, probes before
 * start), a clone's around its instances, and the rsc_order constraints
 * (mandatory, optional, serialize; symmetric ones also in reverse). Then
 * the flags flow along them until nothing changes: a required first makes
 * its then required, an unrunnable first makes its then unrunnable. */
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "util.h"
#include "sched_notify.h"

static bool has_input(const struct saction *then, const struct saction *first) {
        for (size_t i = 0; i < then->n_inputs; i++)
                if (then->inputs[i].action == first)
                        return true;
        return false;
}

void sched_order(struct saction *first, struct saction *then, unsigned flags) {
        struct sinput *in, *out;

        if (!first || !then || first == then)
                return;
        for (size_t i = 0; i < then->n_inputs; i++)
                if (then->inputs[i].action == first) {
                        then->inputs[i].flags |= flags;
                        for (size_t j = 0; j < first->n_outputs; j++)
                                if (first->outputs[j].action == then)
                                        first->outputs[j].flags |= flags;
                        return;
                }
        in = realloc(then->inputs, (then->n_inputs + 1) * sizeof(*in));
        if (!in)
                return;
        then->inputs = in;
        out = realloc(first->outputs, (first->n_outputs + 1) * sizeof(*out));
        if (!out)
                return;
        first->outputs = out;
        then->inputs[then->n_inputs++] = (struct sinput) { first, flags };
        first->outputs[first->n_outputs++] = (struct sinput) { then, flags };
}

/* Orders every action of a's task before every action of b's task. */
static void order_tasks(struct sched *s, struct srsc *a, const char *ta, struct srsc *b, const char *tb,
                        unsigned flags) {
        for (size_t i = 0; i < a->n_actions; i++) {
                struct saction *x = a->actions[i];

                if (strcmp(x->task, ta) != 0 || x->interval_ms)
                        continue;
                for (size_t j = 0; j < b->n_actions; j++) {
                        struct saction *y = b->actions[j];

                        if (strcmp(y->task, tb) == 0 && !y->interval_ms)
                                sched_order(x, y, flags);
                }
        }
}

static void primitive_orderings(struct sched *s, struct srsc *r) {
        /* Cancellations come after the stops and before a start there. */
        for (size_t i = 0; i < r->n_actions; i++)
                if (r->actions[i]->flags & SA_AFTER_STOPS)
                        for (size_t j = 0; j < r->n_actions; j++) {
                                if (strcmp(r->actions[j]->task, "stop") == 0)
                                        sched_order(r->actions[j], r->actions[i], SO_OPTIONAL);
                                else if (strcmp(r->actions[j]->task, "start") == 0 &&
                                         r->actions[j]->node == r->actions[i]->node)
                                        sched_order(r->actions[i], r->actions[j], SO_OPTIONAL);
                        }
        order_tasks(s, r, "stop", r, "start", SO_OPTIONAL | SO_IMPLIES_THEN | SO_RESTART);
        if (r->migrating) {
                order_tasks(s, r, "monitor", r, "migrate_to", SO_OPTIONAL);
                order_tasks(s, r, "migrate_to", r, "migrate_from", SO_OPTIONAL);
                order_tasks(s, r, "migrate_from", r, "stop", SO_OPTIONAL);
                order_tasks(s, r, "migrate_from", r, "start", SO_OPTIONAL);
        }
        if (r->parent && r->parent->promotable) {
                order_tasks(s, r, "demote", r, "stop", SO_OPTIONAL | SO_IMPLIES_FIRST);
                order_tasks(s, r, "start", r, "promote", SO_RUNNABLE_LEFT);
                order_tasks(s, r, "demote", r, "promote", SO_OPTIONAL);
        }
        /* Recurring monitors after the start or promote on their node. */
        for (size_t i = 0; i < r->n_actions; i++) {
                struct saction *m = r->actions[i];

                if (strcmp(m->task, "monitor") != 0 || !m->interval_ms ||
                    !(m->flags & (SA_MONITOR_WANTED | SA_STOPPED_MONITOR)))
                        continue;
                for (size_t j = 0; j < r->n_actions; j++) {
                        struct saction *a = r->actions[j];

                        if (a->node != m->node || a->interval_ms)
                                continue;
                        if (m->flags & SA_STOPPED_MONITOR) {
                                if (strcmp(a->task, "stop") == 0)
                                        sched_order(a, m, SO_RUNNABLE_LEFT | SO_IMPLIES_THEN);
                                else if (strcmp(a->task, "monitor") == 0)
                                        sched_order(a, m, SO_RUNNABLE_LEFT);
                                continue;
                        }
                        if (strcmp(a->task, "start") == 0 || strcmp(a->task, "promote") == 0 ||
                            strcmp(a->task, "demote") == 0 || strcmp(a->task, "reload-agent") == 0)
                                sched_order(a, m, SO_RUNNABLE_LEFT | SO_IMPLIES_THEN);
                }
        }
}

static struct saction *clone_pseudo(struct srsc *c, const char *task) {
        for (size_t i = 0; i < c->n_actions; i++)
                if (strcmp(c->actions[i]->task, task) == 0 && !c->actions[i]->notify_kind)
                        return c->actions[i];
        return NULL;
}

static void order_to_pseudo(struct srsc *inst, const char *task, struct saction *p, bool before, unsigned flags) {
        for (size_t i = 0; i < inst->n_actions; i++) {
                struct saction *a = inst->actions[i];

                if (strcmp(a->task, task) != 0 || a->interval_ms)
                        continue;
                if (before)
                        sched_order(a, p, flags);
                else
                        sched_order(p, a, flags);
        }
}

static void clone_orderings(struct sched *s, struct srsc *c) {
        struct saction *start = clone_pseudo(c, "start"), *running = clone_pseudo(c, "running");
        struct saction *stop = clone_pseudo(c, "stop"), *stopped = clone_pseudo(c, "stopped");

        sched_order(stopped, start, SO_OPTIONAL);
        sched_order(start, running, SO_RUNNABLE_LEFT);
        sched_order(stop, stopped, SO_RUNNABLE_LEFT);
        if (c->promotable) {
                struct saction *promote = clone_pseudo(c, "promote"), *promoted = clone_pseudo(c, "promoted");
                struct saction *demote = clone_pseudo(c, "demote"), *demoted = clone_pseudo(c, "demoted");

                sched_order(demoted, stop, SO_OPTIONAL);
                sched_order(running, promote, SO_RUNNABLE_LEFT);
                sched_order(demoted, promote, SO_OPTIONAL);
                sched_order(demote, demoted, SO_RUNNABLE_LEFT);
                sched_order(promote, promoted, SO_RUNNABLE_LEFT);
                for (size_t i = 0; i < c->n_children; i++) {
                        order_to_pseudo(c->children[i], "promote", promote, false, SO_RUNNABLE_LEFT);
                        order_to_pseudo(c->children[i], "promote", promoted, true, SO_IMPLIES_THEN);
                        order_to_pseudo(c->children[i], "demote", demote, false, SO_IMPLIES_FIRST);
                        order_to_pseudo(c->children[i], "demote", demoted, true, SO_IMPLIES_THEN);
                }
        }
        for (size_t i = 0; i < c->n_children; i++) {
                struct srsc *inst = c->children[i];

                primitive_orderings(s, inst);
                order_to_pseudo(inst, "start", start, false, SO_RUNNABLE_LEFT | SO_IMPLIES_FIRST);
                order_to_pseudo(inst, "start", running, true, SO_IMPLIES_THEN);
                order_to_pseudo(inst, "stop", stop, false, SO_IMPLIES_FIRST);
                order_to_pseudo(inst, "stop", stopped, true, SO_IMPLIES_THEN);
                if (c->ordered && i > 0) {
                        order_tasks(s, c->children[i - 1], "start", inst, "start", SO_OPTIONAL);
                        order_tasks(s, inst, "stop", c->children[i - 1], "stop", SO_OPTIONAL);
                }
        }
}

/* Probes run before the resource (or its clone) starts anywhere. */
static void probe_orderings(struct sched *s) {
        for (size_t i = 0; i < s->n_prims; i++) {
                struct srsc *r = s->prims[i];

                for (size_t j = 0; j < r->n_actions; j++) {
                        struct saction *p = r->actions[j];

                        if (strcmp(p->task, "monitor") != 0 || p->interval_ms)
                                continue;
                        if (r->parent) {
                                struct saction *cs = clone_pseudo(r->parent, "start");

                                sched_order(p, cs, SO_OPTIONAL);
                                (void) cs;
                        } else
                                order_tasks(s, r, "monitor", r, "start", SO_OPTIONAL);
                }
        }
}

static const char *invert(const char *task) {
        static const char *const pairs[][2] = {
                { "start", "stop" }, { "stop", "start" }, { "promote", "demote" }, { "demote", "promote" },
                { "promoted", "demoted" }, { "demoted", "promoted" }, { "running", "stopped" },
                { "stopped", "running" },
        };

        for (size_t i = 0; i < ELEMENTSOF(pairs); i++)
                if (strcmp(task, pairs[i][0]) == 0)
                        return pairs[i][1];
        return NULL;
}

/* The actions an ordering's side refers to: a clone's first side is its
 * completion pseudo-action (running, stopped, ...). */
const char *sched_done_task(const char *task) {
        if (strcmp(task, "start") == 0)
                return "running";
        if (strcmp(task, "stop") == 0)
                return "stopped";
        if (strcmp(task, "promote") == 0)
                return "promoted";
        if (strcmp(task, "demote") == 0)
                return "demoted";
        return task;
}

/* The actions an ordering's side refers to: a clone's first side is its
 * completion pseudo-action (running, stopped, ...). */
static const char *side_task(const struct srsc *r, const char *task, bool first) {
        if (!r->is_clone || !first)
                return task;
        return sched_done_task(task);
}

static struct saction *unrunnable_placeholder(struct sched *s, struct srsc *r, const char *task) {
        struct saction *a = r->is_clone ? sched_pseudo(s, r, NULL, task, true) : sched_action(s, r, task, -1, 0, true);

        if (a) {
                a->flags &= ~SA_RUNNABLE;
                a->flags |= SA_OPTIONAL;
        }
        return a;
}

/* Keeps a clone instance from becoming active: Pacemaker unassigns a
 * then-instance that has no first-instance on its node. */
static void inhibit(struct srsc *inst) {
        struct srsc *c = inst->parent;
        bool starting = false;

        inst->assigned = -1;
        inst->next_role = CIB_ROLE_STOPPED;
        for (size_t i = 0; i < inst->n_actions; i++) {
                struct saction *a = inst->actions[i];

                if (strcmp(a->task, "start") == 0 || strcmp(a->task, "promote") == 0 ||
                    (strcmp(a->task, "monitor") == 0 && a->interval_ms))
                        a->flags &= ~SA_RUNNABLE;
                else if (strcmp(a->task, "stop") == 0)
                        a->flags &= ~SA_OPTIONAL; /* created while placed: no reason */
        }
        /* With no instance left to start, the clone starts nothing. */
        for (size_t i = 0; i < c->n_children; i++)
                for (size_t j = 0; j < c->children[i]->n_actions; j++) {
                        const struct saction *a = c->children[i]->actions[j];

                        if (strcmp(a->task, "start") == 0 && (a->flags & SA_RUNNABLE) && !(a->flags & SA_OPTIONAL))
                                starting = true;
                }
        for (size_t j = 0; !starting && j < c->n_actions; j++) {
                struct saction *a = c->actions[j];

                if (!a->notify_kind && (strcmp(a->task, "start") == 0 || strcmp(a->task, "running") == 0))
                        a->flags |= SA_OPTIONAL;
        }
}

/* Interleaved clones: each then-instance waits for the first-instance on
 * its own node (where it will be, or where it is for stops and demotes). */
static void interleave_order(struct srsc *first, const char *ftask, struct srsc *then, const char *ttask,
                             unsigned flags) {
        bool current = strcmp(ttask, "stop") == 0 || strcmp(ttask, "demote") == 0;

        for (size_t i = 0; i < then->n_children; i++) {
                struct srsc *t = then->children[i], *f = NULL;
                int node = current ? (t->n_running ? t->running[0] : -1) : t->assigned;

                for (size_t j = 0; node >= 0 && j < first->n_children && !f; j++) {
                        struct srsc *c = first->children[j];
                        int cn = current ? (c->n_running ? c->running[0] : -1) : c->assigned;

                        if (cn == node)
                                f = c;
                }
                if (!f) {
                        if (!current && node >= 0 && (flags & (SO_RUNNABLE_LEFT | SO_IMPLIES_THEN)))
                                inhibit(t);
                        continue;
                }
                for (size_t a = 0; a < f->n_actions; a++) {
                        struct saction *x = f->actions[a];

                        if (strcmp(x->task, ftask) != 0 || x->interval_ms)
                                continue;
                        for (size_t b = 0; b < t->n_actions; b++) {
                                struct saction *y = t->actions[b];

                                if (strcmp(y->task, ttask) == 0 && !y->interval_ms)
                                        sched_order(x, y, flags);
                        }
                }
        }
}

static void user_order(struct sched *s, struct srsc *first, const char *ftask, struct srsc *then, const char *ttask,
                       unsigned flags) {
        const char *fa = side_task(first, ftask, true), *ta = side_task(then, ttask, false);
        bool any = false;

        if (first->is_clone && then->is_clone && first != then) {
                bool back = strcmp(ttask, "stop") == 0 || strcmp(ttask, "demote") == 0;

                if ((back ? first : then)->interleave) {
                        /* The graph keeps the clone-level ordering; the
                         * instances' flags follow their own pairs. */
                        interleave_order(first, ftask, then, ttask, flags);
                        flags = SO_OPTIONAL;
                }
        }

        for (size_t i = 0; i < first->n_actions; i++)
                if (strcmp(first->actions[i]->task, fa) == 0 && !first->actions[i]->interval_ms &&
                    !first->actions[i]->notify_kind)
                        any = true;
        if (!any && !first->is_clone) {
                /* Pacemaker invents the missing first action, unrunnable,
                 * except a stop of a stopped or a demote of an unpromoted
                 * resource: then the constraint is ignored. */
                bool stopped = first->n_running == 0;

                if ((strcmp(fa, "stop") == 0 && stopped) ||
                    (strcmp(fa, "demote") == 0 && (stopped || first->role == CIB_ROLE_UNPROMOTED)))
                        return;
                unrunnable_placeholder(s, first, fa);
        }
        /* A clone with notifications completes an action when the post
         * notifications are confirmed. */
        if (first->is_clone && first->notify) {
                static const char *const tasks[] = { "start", "stop", "promote", "demote" };

                for (int t = 0; t < 4; t++)
                        if (strcmp(ftask, tasks[t]) == 0 && first->notif[t][3]) {
                                for (size_t j = 0; j < then->n_actions; j++) {
                                        struct saction *y = then->actions[j];

                                        if (strcmp(y->task, ta) == 0 && !y->interval_ms && !y->notify_kind)
                                                sched_order(first->notif[t][3], y, flags);
                                }
                                return;
                        }
        }
        for (size_t i = 0; i < first->n_actions; i++) {
                struct saction *x = first->actions[i];

                if (strcmp(x->task, fa) != 0 || x->interval_ms || x->notify_kind)
                        continue;
                for (size_t j = 0; j < then->n_actions; j++) {
                        struct saction *y = then->actions[j];

                        if (strcmp(y->task, ta) == 0 && !y->interval_ms && !y->notify_kind)
                                sched_order(x, y, flags);
                }
        }
}

/* "clone-one-or-more:ID": the then side needs only some instances of the
 * first clone (require-all=false, or clone-min of them). */
static bool one_or_more(struct sched *s, const struct cib_order *o, struct srsc *first, struct srsc *then) {
        char key[600];
        struct saction *any;

        snprintf(key, sizeof(key), "clone-one-or-more:%s", o->id);
        any = NULL;
        for (size_t i = 0; i < s->n_actions && !any; i++)
                if (!s->actions[i]->rsc && strcmp(s->actions[i]->key, key) == 0)
                        any = s->actions[i];
        if (!any)
                return false;
        for (size_t c = 0; c < first->n_children; c++) {
                struct srsc *inst = first->children[c];
                bool found = false;

                for (size_t j = 0; j < inst->n_actions; j++)
                        if (strcmp(inst->actions[j]->task, o->first_action) == 0 && !inst->actions[j]->interval_ms) {
                                sched_order(inst->actions[j], any, SO_ONE_OR_MORE | SO_IMPLIES_THEN);
                                found = true;
                        }
                (void) found;
        }
        for (size_t j = 0; j < then->n_actions; j++) {
                struct saction *y = then->actions[j];

                if (strcmp(y->task, o->then_action) == 0 && !y->interval_ms && !y->notify_kind)
                        sched_order(any, y, SO_RUNNABLE_LEFT);
        }
        return true;
}

static void constraint_orderings(struct sched *s) {
        for (size_t i = 0; i < s->cib->n_orders; i++) {
                const struct cib_order *o = &s->cib->orders[i];
                struct srsc *first = sched_find_rsc(s, o->first), *then = sched_find_rsc(s, o->then);
                unsigned flags = 0, inv_flags = 0;
                const char *fi, *ti;

                if (!first || !then)
                        continue;
                if (first->is_clone && one_or_more(s, o, first, then))
                        goto inverse;
                switch (o->kind) {
                case CIB_ORDER_OPTIONAL:
                        flags = inv_flags = SO_OPTIONAL;
                        break;
                case CIB_ORDER_SERIALIZE:
                        flags = inv_flags = SO_SERIALIZE;
                        break;
                default:
                        flags = SO_IMPLIES_THEN;
                        /* A stop that must wait for a stop which cannot
                         * happen cannot happen either. */
                        if (strcmp(o->first_action, "start") == 0 || strcmp(o->first_action, "promote") == 0 ||
                            strcmp(o->first_action, "stop") == 0 || strcmp(o->first_action, "demote") == 0)
                                flags |= SO_RUNNABLE_LEFT;
                        if (!o->symmetrical)
                                flags = SO_IMPLIES_THEN | SO_ASYMMETRIC;
                        inv_flags = SO_IMPLIES_FIRST | SO_RUNNABLE_LEFT;
                        break;
                }
                user_order(s, first, o->first_action, then, o->then_action, flags);
inverse:
                if (!o->symmetrical || o->kind == CIB_ORDER_SERIALIZE)
                        continue;
                fi = invert(o->first_action);
                ti = invert(o->then_action);
                if (fi && ti)
                        user_order(s, then, ti, first, fi, inv_flags);
        }
}

/* What must precede a migrating resource's start must precede its
 * migrate_to too. */
static void migration_orderings(struct sched *s) {
        for (size_t i = 0; i < s->n_prims; i++) {
                struct srsc *r = s->prims[i];
                struct saction *to = NULL;

                if (!r->migrating)
                        continue;
                for (size_t j = 0; j < r->n_actions && !to; j++)
                        if (strcmp(r->actions[j]->task, "migrate_to") == 0)
                                to = r->actions[j];
                for (size_t j = 0; to && j < r->n_actions; j++) {
                        struct saction *start = r->actions[j];

                        if (strcmp(start->task, "start") != 0)
                                continue;
                        for (size_t k = 0; k < start->n_inputs; k++)
                                if (start->inputs[k].action->rsc != r)
                                        sched_order(start->inputs[k].action, to, start->inputs[k].flags);
                }
        }
}

void sched_create_orderings(struct sched *s) {
        for (size_t i = 0; i < s->n_resources; i++) {
                struct srsc *r = s->resources[i];

                if (r->is_clone)
                        clone_orderings(s, r);
                else
                        primitive_orderings(s, r);
        }
        probe_orderings(s);
        constraint_orderings(s);
        migration_orderings(s);
}

/* "unrunnable rsc start", "required rsc start": why an action changed. */
static const char *reason_text(struct sched *s, struct saction *first, const char *prefix) {
        char b[1024];

        if (first->rsc)
                snprintf(b, sizeof(b), "%s %s %s", prefix, first->rsc->id, first->task);
        else
                snprintf(b, sizeof(b), "%s %s", prefix, first->task);
        return sched_strdup(s, b);
}

/* Observed in Pacemaker: when an instance of the first clone of a
 * runnable clone-one-or-more stops, the clone's start and running
 * pseudo-actions are required too. */
static bool one_or_more_restarts(struct sched *s) {
        bool changed = false;

        for (size_t i = 0; i < s->cib->n_orders; i++) {
                const struct cib_order *o = &s->cib->orders[i];
                struct srsc *first = sched_find_rsc(s, o->first);
                char key[600];
                struct saction *any = NULL;
                bool stopping = false;

                if (!first || !first->is_clone)
                        continue;
                snprintf(key, sizeof(key), "clone-one-or-more:%s", o->id);
                for (size_t j = 0; j < s->n_actions && !any; j++)
                        if (!s->actions[j]->rsc && strcmp(s->actions[j]->key, key) == 0)
                                any = s->actions[j];
                if (!any || !(any->flags & SA_RUNNABLE))
                        continue;
                for (size_t c = 0; c < first->n_children && !stopping; c++)
                        for (size_t j = 0; j < first->children[c]->n_actions; j++) {
                                const struct saction *a = first->children[c]->actions[j];

                                if (strcmp(a->task, "stop") == 0 && !(a->flags & SA_OPTIONAL))
                                        stopping = true;
                        }
                for (size_t j = 0; stopping && j < first->n_actions; j++) {
                        struct saction *a = first->actions[j];

                        if (!a->notify_kind && (strcmp(a->task, "start") == 0 || strcmp(a->task, "running") == 0) &&
                            (a->flags & SA_OPTIONAL)) {
                                a->flags &= ~SA_OPTIONAL;
                                changed = true;
                        }
                }
        }
        return changed;
}

static void propagate(struct sched *s);

/* Pacemaker propagates depth first: a required action whose requirement
 * also comes from another resource names that one as the reason. */
static void name_requirements(struct sched *s) {
        for (size_t i = 0; i < s->n_actions; i++) {
                struct saction *then = s->actions[i];

                if (then->reason || (then->flags & SA_OPTIONAL) || !(then->flags & SA_MADE_REQUIRED) || !then->rsc ||
                    strcmp(then->task, "start") != 0)
                        continue;
                for (size_t j = 0; j < then->n_inputs && !then->reason; j++) {
                        struct saction *first = then->inputs[j].action;

                        if ((then->inputs[j].flags & SO_IMPLIES_THEN) && !(first->flags & SA_OPTIONAL) && first->rsc &&
                            first->rsc != then->rsc && first->rsc != then->rsc->parent)
                                then->reason = reason_text(s, first, "required");
                }
        }
}

/* A resource that cannot start keeps what must run with it from starting
 * (mandatory colocations). */
static bool block_dependents(struct sched *s) {
        bool changed = false;

        for (size_t i = 0; i < s->cib->n_colocations; i++) {
                const struct cib_colocation *co = &s->cib->colocations[i];
                struct srsc *dep = sched_find_rsc(s, co->rsc), *primary = sched_find_rsc(s, co->with_rsc);
                struct saction *pstart = NULL;

                if (!dep || !primary || dep->is_clone || primary->is_clone || co->score < CIB_INFINITY ||
                    co->rsc_role != CIB_ROLE_UNKNOWN || co->with_role != CIB_ROLE_UNKNOWN || primary->assigned < 0)
                        continue;
                for (size_t j = 0; j < primary->n_actions && !pstart; j++)
                        if (strcmp(primary->actions[j]->task, "start") == 0 && primary->actions[j]->node == primary->assigned)
                                pstart = primary->actions[j];
                if (!pstart || (pstart->flags & SA_RUNNABLE))
                        continue;
                for (size_t j = 0; j < dep->n_actions; j++) {
                        struct saction *a = dep->actions[j];
                        char msg[600];

                        if (strcmp(a->task, "start") != 0 || !(a->flags & SA_RUNNABLE))
                                continue;
                        a->flags &= ~SA_RUNNABLE;
                        snprintf(msg, sizeof(msg), "colocation with %s", primary->id);
                        if (!a->reason)
                                a->reason = sched_strdup(s, msg);
                        changed = true;
                }
        }
        return changed;
}

/* A clone that must start after a clone that will run nothing gets no
 * new instances: they are not placed at all. */
static bool inhibit_after_idle_clones(struct sched *s) {
        bool changed = false;

        for (size_t i = 0; i < s->cib->n_orders; i++) {
                const struct cib_order *o = &s->cib->orders[i];
                struct srsc *first = sched_find_rsc(s, o->first), *then = sched_find_rsc(s, o->then);
                struct saction *running = NULL;

                if (!first || !then || !first->is_clone || !then->is_clone ||
                    o->kind != CIB_ORDER_MANDATORY || strcmp(o->first_action, "start") != 0 ||
                    strcmp(o->then_action, "start") != 0 || !o->require_all || first->clone_min > 0)
                        continue;
                if (then->interleave) {
                        /* Pairs whose first-instance is no longer placed. */
                        for (size_t c = 0; c < then->n_children; c++) {
                                struct srsc *t = then->children[c];
                                bool paired = false;

                                if (t->n_running || t->assigned < 0)
                                        continue;
                                for (size_t k = 0; k < first->n_children && !paired; k++)
                                        paired = first->children[k]->assigned == t->assigned;
                                if (!paired) {
                                        inhibit(t);
                                        changed = true;
                                }
                        }
                        continue;
                }
                for (size_t j = 0; j < first->n_actions && !running; j++)
                        if (strcmp(first->actions[j]->task, "running") == 0 && !first->actions[j]->notify_kind)
                                running = first->actions[j];
                if (!running || (running->flags & SA_RUNNABLE))
                        continue;
                for (size_t c = 0; c < then->n_children; c++) {
                        struct srsc *t = then->children[c];

                        if (t->n_running || t->assigned < 0)
                                continue;
                        inhibit(t);
                        changed = true;
                }
        }
        return changed;
}

void sched_update_runnable(struct sched *s) {
        propagate(s);
        if (one_or_more_restarts(s))
                propagate(s);
        for (int i = 0; i < 8 && block_dependents(s); i++)
                propagate(s);
        for (int i = 0; i < 8 && inhibit_after_idle_clones(s); i++)
                propagate(s);
        name_requirements(s);
}

/* A clone's start, stop, promote or demote can run only when one of its
 * instances' can. */
static bool clone_summary(struct sched *s) {
        bool changed = false;

        for (size_t i = 0; i < s->n_resources; i++) {
                struct srsc *c = s->resources[i];

                if (!c->is_clone)
                        continue;
                for (size_t j = 0; j < c->n_actions; j++) {
                        struct saction *a = c->actions[j];
                        bool any = false, runnable = false;

                        if (a->notify_kind || !(a->flags & SA_RUNNABLE) ||
                            (strcmp(a->task, "start") && strcmp(a->task, "stop") && strcmp(a->task, "promote") &&
                             strcmp(a->task, "demote")))
                                continue;
                        for (size_t k = 0; k < c->n_children; k++)
                                for (size_t m = 0; m < c->children[k]->n_actions; m++) {
                                        const struct saction *x = c->children[k]->actions[m];

                                        if (strcmp(x->task, a->task) != 0 || x->interval_ms)
                                                continue;
                                        any = true;
                                        runnable = runnable || (x->flags & SA_RUNNABLE);
                                }
                        if (any && !runnable) {
                                a->flags &= ~SA_RUNNABLE;
                                changed = true;
                        }
                }
        }
        return changed;
}

static void propagate(struct sched *s) {
        bool changed = true;

        for (int pass = 0; changed && pass < 1000; pass++) {
                changed = clone_summary(s);
                for (size_t i = 0; i < s->n_actions; i++) {
                        struct saction *then = s->actions[i];

                        if (then->flags & SA_REQUIRES_ANY) {
                                int runnable = 0;
                                bool was = then->flags & SA_RUNNABLE;

                                for (size_t j = 0; j < then->n_inputs; j++)
                                        if ((then->inputs[j].flags & SO_ONE_OR_MORE) &&
                                            (then->inputs[j].action->flags & SA_RUNNABLE))
                                                runnable++;
                                if (runnable >= then->required_runnable)
                                        then->flags |= SA_RUNNABLE;
                                else
                                        then->flags &= ~SA_RUNNABLE;
                                if (was != !!(then->flags & SA_RUNNABLE))
                                        changed = true;
                        }
                        for (size_t j = 0; j < then->n_inputs; j++) {
                                struct saction *first = then->inputs[j].action;
                                unsigned f = then->inputs[j].flags;

                                /* An asymmetric order blocks a then that must
                                 * happen, not one merely possible. */
                                if ((f & SO_ASYMMETRIC) && !(first->flags & SA_RUNNABLE) && (then->flags & SA_RUNNABLE) &&
                                    !(then->flags & SA_OPTIONAL)) {
                                        then->flags &= ~SA_RUNNABLE;
                                        if (!then->reason && then->rsc != first->rsc)
                                                then->reason = reason_text(s, first, "unrunnable");
                                        changed = true;
                                }
                                if ((f & SO_IMPLIES_THEN) && !(first->flags & SA_OPTIONAL) &&
                                    (then->flags & SA_OPTIONAL)) {
                                        then->flags &= ~SA_OPTIONAL;
                                        then->flags |= SA_MADE_REQUIRED;
                                        if (!then->reason && first->rsc != then->rsc && first->rsc && then->rsc)
                                                then->reason = reason_text(s, first, "required");
                                        changed = true;
                                }
                                if ((f & SO_RUNNABLE_LEFT) && !(first->flags & SA_RUNNABLE) &&
                                    (then->flags & SA_RUNNABLE)) {
                                        then->flags &= ~SA_RUNNABLE;
                                        /* A clone passes its own cause on to its instances. */
                                        if (!then->reason && first->rsc && then->rsc && then->rsc->parent == first->rsc &&
                                            first->reason)
                                                then->reason = first->reason;
                                        else if (!then->reason && then->rsc != first->rsc)
                                                then->reason = reason_text(s, first, "unrunnable");
                                        changed = true;
                                }
                                /* A required start of an active resource
                                 * needs its stop: a restart. */
                                /* ... and one that cannot start again must stop. */
                                if ((f & SO_RESTART) && !(then->flags & SA_RUNNABLE) && (first->flags & SA_OPTIONAL) &&
                                    (first->flags & SA_RUNNABLE) && then->rsc && then->rsc->managed) {
                                        first->flags &= ~SA_OPTIONAL;
                                        first->flags |= SA_MADE_REQUIRED;
                                        changed = true;
                                }
                                if ((f & SO_RESTART) && !(then->flags & SA_OPTIONAL) && (then->flags & SA_RUNNABLE) &&
                                    (first->flags & SA_OPTIONAL)) {
                                        first->flags &= ~SA_OPTIONAL;
                                        first->flags |= SA_MADE_REQUIRED;
                                        changed = true;
                                }
                                if ((f & SO_IMPLIES_FIRST) && !(then->flags & SA_OPTIONAL) &&
                                    (first->flags & SA_OPTIONAL)) {
                                        first->flags &= ~SA_OPTIONAL;
                                        first->flags |= SA_MADE_REQUIRED;
                                        changed = true;
                                }
                        }
                }
        }
        (void) has_input;
}
