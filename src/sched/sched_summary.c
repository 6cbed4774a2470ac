/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_summary.c: the "Transition Summary": fencing and shutdowns, then
 * one line per resource change (Start, Stop, Move, Recover, Restart,
 * Promote, Demote, Migrate, ...), aligned as crm_simulate aligns them:
 * the columns widen as longer names and details appear. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

struct widths {
        int rsc, detail;
};

static void log_action(const struct sched *s, struct widths *w, FILE *f, const char *change, const struct srsc *r,
                       int origin, int dest, const struct saction *action, const struct saction *source) {
        char details[512], reason[512] = "";
        enum cib_role role = r->role, next = r->next_role;
        bool need_role = role > CIB_ROLE_STARTED || next > CIB_ROLE_UNPROMOTED;
        bool same_host = origin >= 0 && dest >= 0 && origin == dest;
        bool same_role = role == next;
        int len;

        if (!source)
                source = action;
        len = (int) strlen(r->id);
        if (len > w->rsc)
                w->rsc = len + 2;
        if (need_role && origin < 0)
                snprintf(details, sizeof(details), "%s -> %s %s", cib_role_name(role), cib_role_name(next),
                         s->nodes[dest].name);
        else if (origin < 0)
                snprintf(details, sizeof(details), "%s", s->nodes[dest].name);
        else if (need_role && dest < 0)
                snprintf(details, sizeof(details), "%s %s", cib_role_name(role), s->nodes[origin].name);
        else if (dest < 0)
                snprintf(details, sizeof(details), "%s", s->nodes[origin].name);
        else if (need_role && same_role && same_host)
                snprintf(details, sizeof(details), "%s %s", cib_role_name(role), s->nodes[origin].name);
        else if (same_role && same_host)
                snprintf(details, sizeof(details), "%s", s->nodes[origin].name);
        else if (need_role && same_role)
                snprintf(details, sizeof(details), "%s -> %s %s", s->nodes[origin].name, s->nodes[dest].name,
                         cib_role_name(role));
        else if (same_role)
                snprintf(details, sizeof(details), "%s -> %s", s->nodes[origin].name, s->nodes[dest].name);
        else if (same_host)
                snprintf(details, sizeof(details), "%s -> %s %s", cib_role_name(role), cib_role_name(next),
                         s->nodes[origin].name);
        else
                snprintf(details, sizeof(details), "%s %s -> %s %s", cib_role_name(role), s->nodes[origin].name,
                         cib_role_name(next), s->nodes[dest].name);
        len = (int) strlen(details);
        if (len > w->detail)
                w->detail = len;
        if (source && source->reason && action && !(action->flags & SA_RUNNABLE))
                snprintf(reason, sizeof(reason), "due to %s (blocked)", source->reason);
        else if (source && source->reason)
                snprintf(reason, sizeof(reason), "due to %s", source->reason);
        else if (action && !(action->flags & SA_RUNNABLE))
                snprintf(reason, sizeof(reason), "blocked");
        if (!f)
                return; /* measuring the columns only */
        fprintf(f, "  * %-8s   %-*s   ( %*s )%s%s\n", change, w->rsc, r->id, w->detail, details, *reason ? "  " : "",
                reason);
}

static struct saction *find(const struct srsc *r, const char *task, int node) {
        if (node < 0 && strcmp(task, "stop") != 0 && strcmp(task, "demote") != 0)
                return NULL;
        for (size_t i = 0; i < r->n_actions; i++) {
                struct saction *a = r->actions[i];

                if (strcmp(a->task, task) == 0 && !a->interval_ms && (node < 0 || a->node == node))
                        return a;
        }
        return NULL;
}

static bool required(const struct saction *a) {
        return a && !(a->flags & SA_OPTIONAL);
}

static void primitive_summary(const struct sched *s, struct widths *w, struct srsc *r, FILE *f) {
        int next = r->assigned, current = r->n_running ? r->running[0] : -1;
        struct saction *start, *stop, *promote, *demote, *migrate;
        bool moving;
        enum cib_role saved_role = r->role;

        if (current >= 0 && r->role == CIB_ROLE_STOPPED)
                r->role = CIB_ROLE_STARTED;
        if (current < 0 && r->orphan)
                goto out;
        if (!r->managed || (current < 0 && next < 0))
                goto out;
        moving = current >= 0 && next >= 0 && current != next;
        start = find(r, "start", next);
        stop = find(r, "stop", start && (start->flags & SA_RUNNABLE) ? current : -1);
        if (!stop)
                stop = find(r, "stop", -1);
        promote = find(r, "promote", next);
        demote = find(r, "demote", next);
        if (!demote)
                demote = find(r, "demote", -1);
        migrate = find(r, "migrate_from", next);

        if (r->role == r->next_role) {
                if (next < 0)
                        goto out;
                if (migrate && current >= 0 && (migrate->flags & SA_RUNNABLE) && required(migrate))
                        log_action(s, w, f, "Migrate", r, current, next, start, NULL);
                else if (r->reload && current == next)
                        log_action(s, w, f, "Reload", r, current, next, find(r, "reload-agent", next), NULL);
                else if (!required(start)) {
                        if (required(demote) && required(promote))
                                log_action(s, w, f, "Re-promote", r, current, next, promote, demote);
                } else if (!(start->flags & SA_RUNNABLE))
                        log_action(s, w, f, "Stop", r, current, -1, stop,
                                   stop && stop->reason ? stop : start);
                else if (moving && current >= 0)
                        log_action(s, w, f, r->failed ? "Recover" : "Move", r, current, next, stop, NULL);
                else if (r->failed)
                        log_action(s, w, f, "Recover", r, current, -1, stop, NULL);
                else
                        log_action(s, w, f, "Restart", r, current, next, start, NULL);
                goto out;
        }
        if (stop && (r->next_role == CIB_ROLE_STOPPED || (start && !(start->flags & SA_RUNNABLE)))) {
                for (size_t i = 0; i < r->n_running; i++) {
                        struct saction *op = find(r, "stop", r->running[i]);

                        log_action(s, w, f, "Stop", r, r->running[i], -1, op,
                                   op && op->reason ? op : (start ? start : op));
                }
        } else if (stop && r->failed && required(stop))
                log_action(s, w, f, "Recover", r, current, next, stop, start);
        else if (moving)
                log_action(s, w, f, "Move", r, current, next, stop, NULL);
        else if (required(stop))
                log_action(s, w, f, "Restart", r, current, next, start, NULL);
        else if (r->role == CIB_ROLE_PROMOTED && demote)
                log_action(s, w, f, "Demote", r, current, next, demote, NULL);
        else if (r->next_role == CIB_ROLE_PROMOTED && promote)
                log_action(s, w, f, "Promote", r, current, next, promote, NULL);
        else if (r->role == CIB_ROLE_STOPPED && r->next_role > CIB_ROLE_STOPPED && start)
                log_action(s, w, f, "Start", r, current, next, start, NULL);
out:
        r->role = saved_role;
}

/* Pacemaker's column widths are static and the summary is produced twice
 * (logged, then printed), so the printed lines use the widest of all. */
static void summary(struct sched *s, struct widths *w, FILE *f) {

        /* Newest first: Pacemaker's action list is built by prepending. */
        for (size_t i = s->n_actions; f && i-- > 0;) {
                const struct saction *a = s->actions[i];

                if (a->rsc || a->node < 0 || (a->flags & SA_OPTIONAL))
                        continue;
                if (strcmp(a->task, "stonith") == 0)
                        fprintf(f, "  * Fence (%s) %s '%s'\n", a->fence_op ? "reboot" : "off", s->nodes[a->node].name,
                                a->reason ? a->reason : "");
        }
        for (size_t i = 0; i < s->n_resources; i++) {
                struct srsc *r = s->resources[i];

                if (!r->is_clone) {
                        primitive_summary(s, w, r, f);
                        continue;
                }
                for (size_t c = 0; c < r->n_children; c++)
                        primitive_summary(s, w, r->children[c], f);
        }
}

void sched_print_summary(struct sched *s, FILE *f) {
        struct widths w = { 5, 5 };

        summary(s, &w, NULL);
        summary(s, &w, f);
}
