/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_history.c: each resource's current state from the operation
 * history of the status section: role per node (from the last results:
 * rc 0 running, 7 stopped, 8 promoted, 9 failed promoted), failures and
 * what they imply (recovery, blocking, fencing, bans), fail counts, and
 * the mapping of anonymous clone history onto instances. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sched_internal.h"
#include "sched_history.h"
#include "util.h"
#include "hashmap.h"

enum on_fail {
        FAIL_IGNORE,
        FAIL_DEMOTE,
        FAIL_RECOVER,
        FAIL_BLOCK,
        FAIL_STOP,
        FAIL_STANDBY,
        FAIL_FENCE,
};

static enum on_fail parse_on_fail(const char *v, enum on_fail dflt) {
        if (!v)
                return dflt;
        if (strcasecmp(v, "ignore") == 0)
                return FAIL_IGNORE;
        if (strcasecmp(v, "block") == 0)
                return FAIL_BLOCK;
        if (strcasecmp(v, "stop") == 0)
                return FAIL_STOP;
        if (strcasecmp(v, "standby") == 0)
                return FAIL_STANDBY;
        if (strcasecmp(v, "fence") == 0)
                return FAIL_FENCE;
        if (strcasecmp(v, "demote") == 0)
                return FAIL_DEMOTE;
        return FAIL_RECOVER;
}

/* The configured on-fail of the operation the history entry records. */
static enum on_fail op_on_fail(const struct sched *s, const struct srsc *r, const struct cib_lrm_op *op) {
        const struct cib_resource *def = r->def;
        enum on_fail dflt = FAIL_RECOVER;
        struct cib_rule_ctx ctx = { .now = s->opts.now };
        const char *v;

        if (strcmp(op->task, "stop") == 0)
                dflt = s->stonith_enabled ? FAIL_FENCE : FAIL_BLOCK;
        for (size_t i = 0; i < def->n_ops; i++)
                if (strcmp(def->ops[i].name, op->task) == 0 && def->ops[i].interval_ms == op->interval_ms &&
                    def->ops[i].on_fail)
                        return parse_on_fail(def->ops[i].on_fail, dflt);
        v = cib_attrs_get(&s->cib->op_defaults, "on-fail", &ctx);
        return parse_on_fail(v, dflt);
}

static int target_rc(const struct cib_lrm_op *op) {
        const char *k = op->transition_key;
        int field = 0;

        /* transition-key: action:transition:target-rc:uuid */
        for (; k && *k; k++)
                if (*k == ':' && ++field == 2)
                        return atoi(k + 1);
        return 0;
}

static int cmp_ops(const void *x, const void *y) {
        const struct cib_lrm_op *a = *(const struct cib_lrm_op *const *) x;
        const struct cib_lrm_op *b = *(const struct cib_lrm_op *const *) y;
        int ca = a->call_id < 0 ? 1 << 30 : a->call_id, cb = b->call_id < 0 ? 1 << 30 : b->call_id;

        if (ca != cb)
                return ca < cb ? -1 : 1;
        return a->last_rc_change < b->last_rc_change ? -1 : a->last_rc_change > b->last_rc_change;
}

static void set_active(struct srsc *r, enum cib_role *role) {
        if (*role < CIB_ROLE_STARTED)
                *role = r->parent && r->parent->promotable ? CIB_ROLE_UNPROMOTED : CIB_ROLE_STARTED;
}

static void add_running(struct sched *s, struct srsc *r, int node, enum cib_role role) {
        for (size_t i = 0; i < r->n_running; i++)
                if (r->running[i] == node)
                        return;
        r->running[r->n_running++] = node;
        r->role_on[node] = role;
        if (role > r->role || r->role == CIB_ROLE_STOPPED)
                r->role = role;
        s->nodes[node].n_running++;
}

static bool is_hard_error(int rc) {
        return rc == 2 || rc == 3 || rc == 4 || rc == 5 || rc == 6;
}

/* Recurring operations the history shows active (after the last start,
 * not stopped since, not pending): Pacemaker creates their actions while
 * reading the status, which matters for the graph's order. */
static void record_active_monitors(struct sched *s, struct srsc *r, int node, const struct cib_lrm_op **ops,
                                   size_t n) {
        int start = -1, stop = -1, implied_monitor = -1, implied_clone = -1;

        for (size_t i = 0; i < n; i++) {
                const struct cib_lrm_op *op = ops[i];

                if (strcmp(op->task, "stop") == 0 && op->op_status == 0)
                        stop = (int) i;
                else if (strcmp(op->task, "start") == 0 || strcmp(op->task, "migrate_from") == 0)
                        start = (int) i;
                else if (implied_monitor <= stop && strcmp(op->task, "monitor") == 0 && (op->rc == 0 || op->rc == 8))
                        implied_monitor = (int) i;
                else if (strcmp(op->task, "promote") == 0 || strcmp(op->task, "demote") == 0)
                        implied_clone = (int) i;
        }
        if (start == -1)
                start = implied_clone != -1 ? implied_clone : implied_monitor;
        for (size_t i = 0; i < n; i++) {
                const struct cib_lrm_op *op = ops[i];

                if (start < stop && (int) i <= stop)
                        continue;
                if ((int) i < start || op->interval_ms == 0 || op->op_status == -1)
                        continue;
                /* A recurring operation whose failure expired is not active:
                 * it is scheduled again. */
                if (op->rc != target_rc(op) && r->failure_timeout_s && op->last_rc_change &&
                    op->last_rc_change + (time_t) r->failure_timeout_s <= s->opts.now)
                        continue;
                sched_early_action(s, r, op->task, node, op->interval_ms);
        }
}

/* Replays one resource's history on one node. */
static void replay(struct sched *s, struct srsc *r, int node, const struct cib_lrm_rsc *lrm) {
        const struct cib_lrm_op *sorted[lrm->n_ops ? lrm->n_ops : 1];
        enum cib_role role = CIB_ROLE_UNKNOWN;
        enum on_fail on_fail = FAIL_IGNORE;
        const char *pending = NULL;
        bool failed_start = false, not_installed_stop = false;
        int expired_ops = 0;

        for (size_t i = 0; i < lrm->n_ops; i++)
                sorted[i] = &lrm->ops[i];
        qsort(sorted, lrm->n_ops, sizeof(sorted[0]), cmp_ops);

        for (size_t i = 0; i < lrm->n_ops; i++) {
                const struct cib_lrm_op *op = sorted[i];
                bool probe = strcmp(op->task, "monitor") == 0 && op->interval_ms == 0;
                int expect = target_rc(op);
                int status = op->op_status;
                enum on_fail f;
                bool ok;

                if (strcmp(op->task, "notify") == 0 || op->op_status == 1)
                        continue;
                if (op->op_status == -1 || op->call_id == -1) {
                        if (strcmp(op->task, "start") == 0 || strcmp(op->task, "migrate_from") == 0) {
                                set_active(r, &role);
                                pending = "Starting";
                        } else if (strcmp(op->task, "stop") == 0)
                                pending = "Stopping";
                        else if (strcmp(op->task, "promote") == 0) {
                                set_active(r, &role);
                                pending = "Promoting";
                        } else if (strcmp(op->task, "demote") == 0)
                                pending = "Demoting";
                        else if (strcmp(op->task, "migrate_to") == 0) {
                                set_active(r, &role);
                                pending = "Migrating";
                        } else if (strcmp(op->task, "monitor") == 0 && op->interval_ms > 0)
                                pending = "Monitoring";
                        continue;
                }
                pending = NULL;
                /* A generic error status is judged by the rc code alone. */
                if (op->op_status == 4)
                        status = 0;
                if (probe)
                        ok = status == 0 && (op->rc == 0 || op->rc == 7 || op->rc == 8 || op->rc == expect);
                else
                        ok = status == 0 && op->rc == expect;
                if (op->rc == 7 && status == 0 && (probe || expect == 7 || !r->managed))
                        ok = true;

                if (ok) {
                        bool clear = false;

                        if (op->rc == 7) {
                                role = CIB_ROLE_STOPPED;
                                on_fail = FAIL_IGNORE;
                                continue;
                        }
                        if (strcmp(op->task, "start") == 0 || strcmp(op->task, "migrate_from") == 0) {
                                role = CIB_ROLE_STARTED;
                                set_active(r, &role);
                                if (r->parent && r->parent->promotable)
                                        role = CIB_ROLE_UNPROMOTED;
                                clear = true;
                        } else if (strcmp(op->task, "stop") == 0) {
                                role = CIB_ROLE_STOPPED;
                                clear = true;
                        } else if (strcmp(op->task, "promote") == 0) {
                                role = CIB_ROLE_PROMOTED;
                                clear = true;
                        } else if (strcmp(op->task, "demote") == 0) {
                                role = CIB_ROLE_UNPROMOTED;
                                if (on_fail == FAIL_DEMOTE)
                                        clear = true;
                        } else if (strcmp(op->task, "migrate_to") == 0) {
                                /* Migrated away: stopped here once the target has it. */
                                role = CIB_ROLE_STOPPED;
                                clear = true;
                        } else if (op->rc == 8) {
                                role = CIB_ROLE_PROMOTED;
                        } else if (role < CIB_ROLE_STARTED) {
                                set_active(r, &role);
                        }
                        if (clear && on_fail != FAIL_STOP && on_fail != FAIL_FENCE && on_fail != FAIL_STANDBY)
                                on_fail = FAIL_IGNORE;
                        continue;
                }

                /* A failure. */
                f = op_on_fail(s, r, op);
                /* An old failure expires after failure-timeout, unless it
                 * blocked the resource. */
                if (r->failure_timeout_s && f != FAIL_BLOCK && op->last_rc_change &&
                    op->last_rc_change + (time_t) r->failure_timeout_s <= s->opts.now) {
                        r->expired[node] = true;
                        expired_ops++;
                        continue;
                }
                if ((is_hard_error(op->rc) || op->op_status == 3 || op->op_status >= 5) && f != FAIL_IGNORE) {
                        r->banned[node] = true;
                        if (op->rc == 6 || op->op_status == 6)
                                for (size_t n = 0; n < s->n_nodes; n++)
                                        r->banned[n] = true;
                }
                if (strcmp(op->task, "start") == 0)
                        failed_start = true;
                if (strcmp(op->task, "stop") == 0)
                        r->banned[node] = true;
                /* An agent that is not installed cannot stop anything. */
                if (strcmp(op->task, "stop") == 0 && (op->rc == 5 || op->op_status == 7))
                        not_installed_stop = true;
                if (strcmp(op->task, "promote") == 0 || op->rc == 9)
                        role = CIB_ROLE_PROMOTED;
                else if (strcmp(op->task, "demote") == 0)
                        role = f == FAIL_BLOCK ? CIB_ROLE_PROMOTED
                               : op->rc == 7   ? CIB_ROLE_STOPPED
                                               : CIB_ROLE_UNPROMOTED;
                if (probe && op->rc == 5)
                        role = CIB_ROLE_STOPPED;
                else if (role < CIB_ROLE_STARTED)
                        set_active(r, &role);
                if (f == FAIL_IGNORE) {
                        r->failure_ignored = true;
                        continue;
                }
                if (f > on_fail)
                        on_fail = f;
        }
        /* History made only of expired failures tells nothing. */
        if ((size_t) expired_ops < lrm->n_ops)
                r->known_on[node] = true;
        /* start-failure-is-fatal acts through the fail count the
         * controller records, which is read from the node attributes. */
        (void) failed_start;
        if (pending) {
                r->pending_task = pending;
                r->pending_node = node;
                if (strcmp(pending, "Starting") == 0)
                        r->start_pending = true;
        }
        if (s->nodes[node].online)
                record_active_monitors(s, r, node, sorted, lrm->n_ops);
        if (role <= CIB_ROLE_STOPPED)
                return;

        add_running(s, r, node, role);
        /* What runs on a node in maintenance is left alone. */
        if (s->nodes[node].maintenance)
                r->managed = false;
        if (r->orphan && !r->parent && r->managed)
                sched_early_action(s, r, "stop", node, 0);
        if (!s->nodes[node].online && !s->nodes[node].unclean && !s->nodes[node].maintenance && r->managed &&
            s->stonith_enabled) {
                char msg[600];

                snprintf(msg, sizeof(msg), "%s is thought to be active there", r->id);
                sched_fence_node(s, node, sched_strdup(s, msg));
        }
        /* On a node that will be fenced the failure needs nothing more. */
        if (s->nodes[node].unclean)
                on_fail = FAIL_IGNORE;
        /* An agent that is missing on a node that is down blocks the
         * resource: nothing can stop it there. */
        if (not_installed_stop && !s->nodes[node].online) {
                r->failed = r->blocked = true;
                r->managed = false;
        }
        switch (on_fail) {
        case FAIL_IGNORE:
                break;
        case FAIL_FENCE:
                r->failed = true;
                if (s->stonith_enabled) {
                        char msg[600];

                        snprintf(msg, sizeof(msg), "%s failed there", r->id);
                        sched_fence_node(s, node, sched_strdup(s, msg));
                } else {
                        r->blocked = true;
                        r->managed = false;
                }
                break;
        case FAIL_BLOCK:
                r->failed = true;
                r->blocked = true;
                r->managed = false;
                break;
        case FAIL_STANDBY:
                r->failed = true;
                s->nodes[node].standby = true;
                break;
        case FAIL_STOP:
                r->failed = true;
                r->next_role = CIB_ROLE_STOPPED;
                break;
        default:
                r->failed = true;
                if (r->managed)
                        sched_early_action(s, r, "stop", node, 0);
                break;
        }
}

/* The working-set resource an lrm_resource entry belongs to, for an
 * anonymous clone the instance Pacemaker would pick on this node. */
static struct srsc *find_instance(struct sched *s, const char *lrm_id, int node, struct srsc **ret_clone) {
        char base[512];
        const char *colon = strrchr(lrm_id, ':');
        struct srsc *clone = NULL, *inactive = NULL;

        snprintf(base, sizeof(base), "%.*s", colon ? (int) (colon - lrm_id) : (int) strlen(lrm_id), lrm_id);
        {
                struct srsc *r = hashmap_get(s->by_id, lrm_id);

                if (r && !r->is_clone)
                        return r;
                clone = hashmap_get(s->clone_by_child, lrm_id);
                if (!clone)
                        clone = hashmap_get(s->clone_by_child, base);
        }
        if (!clone)
                return NULL;
        *ret_clone = clone;
        if (clone->unique) {
                for (size_t i = 0; i < clone->n_children; i++)
                        if (strcmp(clone->children[i]->id, lrm_id) == 0)
                                return clone->children[i];
                return NULL;
        }
        for (size_t i = 0; i < clone->n_children; i++) {
                struct srsc *c = clone->children[i];
                bool active = c->n_running > 0 || c->pending_node >= 0;

                if (active) {
                        bool here = c->pending_node == node;

                        for (size_t j = 0; j < c->n_running; j++)
                                here = here || c->running[j] == node;
                        if (!here)
                                continue;
                        if (c->n_running > 0 && c->seen_on == node)
                                return NULL; /* a second history on this node: an orphan */
                        return c;
                }
                if (!inactive && !c->blocked)
                        inactive = c;
        }
        return inactive;
}

static void count_failures(struct sched *s, struct srsc *r) {
        const char *base = r->parent && !r->parent->unique ? r->parent->def->child->id : r->id;
        size_t len = strlen(base);

        for (size_t n = 0; n < s->n_nodes; n++) {
                const struct cib_node *c = s->nodes[n].cib;
                int total = 0;

                for (size_t i = 0; i < c->n_transient; i++) {
                        const char *rest = startswith(c->transient[i].name, "fail-count-");
                        int v;

                        if (!rest || strncmp(rest, base, len) != 0 || (rest[len] && rest[len] != '#'))
                                continue;
                        if (cib_score_parse(c->transient[i].value, &v) == 0)
                                total = sched_score_add(total, v);
                }
                /* Expired failures do not count; their count is cleared. */
                if (r->expired[n] && total > 0) {
                        sched_early_action(s, r, "clear_failcount", (int) n, 0);
                        total = 0;
                }
                if (total > r->fail_count[n])
                        r->fail_count[n] = total;
        }
}

static int cmp_state_order(const void *x, const void *y) {
        const struct snode *a = *(const struct snode *const *) x, *b = *(const struct snode *const *) y;

        return a->cib->state_index - b->cib->state_index;
}

int sched_unpack_history(struct sched *s) {
        struct snode **order = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(*order));
        size_t n_order = 0;

        if (!order)
                return -ENOMEM;
        s->lrm_map = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(*s->lrm_map));
        if (!s->lrm_map) {
                free(order);
                return -ENOMEM;
        }
        for (size_t i = 0; i < s->n_nodes; i++) {
                s->lrm_map[i] = calloc(s->nodes[i].cib->n_lrm ? s->nodes[i].cib->n_lrm : 1, sizeof(struct srsc *));
                if (!s->lrm_map[i]) {
                        free(order);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < s->n_nodes; i++)
                if (s->nodes[i].cib->has_state)
                        order[n_order++] = &s->nodes[i];
        qsort(order, n_order, sizeof(*order), cmp_state_order);
        for (size_t k = 0; k < n_order; k++) {
                int node = (int) (order[k] - s->nodes);
                const struct cib_node *c = order[k]->cib;

                if (!order[k]->online && !s->stonith_enabled)
                        continue;
                for (size_t i = 0; i < c->n_lrm; i++) {
                        struct srsc *clone = NULL, *r = find_instance(s, c->lrm[i].id, node, &clone);

                        if (!r) {
                                int e = clone ? sched_clone_add_instance(s, clone, true, &r)
                                              : sched_add_orphan(s, &c->lrm[i], &r);

                                if (e < 0) {
                                        free(order);
                                        return e;
                                }
                                if (!r)
                                        continue;
                        }
                        if (r->parent) {
                                r->clone_name = c->lrm[i].id;
                                r->seen_on = node;
                        }
                        s->lrm_map[node][i] = r;
                        replay(s, r, node, &c->lrm[i]);
                }
        }
        free(order);
        for (size_t i = 0; i < s->n_prims; i++)
                count_failures(s, s->prims[i]);
        return 0;
}

int sched_add_orphan(struct sched *s, const struct cib_lrm_rsc *lrm, struct srsc **ret) {
        struct cib_resource *def, **slot;
        struct srsc *r;
        int e;

        *ret = NULL;
        /* Only history that says it is active matters for an orphan. */
        def = calloc(1, sizeof(*def));
        if (!def)
                return -ENOMEM;
        def->id = lrm->id;
        def->kind = CIB_PRIMITIVE;
        def->class = lrm->class ? lrm->class : "ocf";
        def->provider = lrm->provider;
        def->type = lrm->type ? lrm->type : "unknown";
        slot = realloc(s->orphan_defs, (s->n_orphan_defs + 1) * sizeof(*slot));
        if (!slot) {
                free(def);
                return -ENOMEM;
        }
        s->orphan_defs = slot;
        s->orphan_defs[s->n_orphan_defs++] = def;
        e = sched_add_resource(s, def, &r);
        if (e < 0)
                return e;
        r->orphan = true;
        if (!s->stop_orphans)
                r->managed = false;
        *ret = r;
        return 0;
}
