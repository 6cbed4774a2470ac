/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_digest.c: changes of a resource's definition since its operations
 * ran. Pacemaker records with each operation an MD5 digest of its
 * parameters (" <parameters a="1" b="2"/>\n", names sorted, meta
 * attributes left out but a recurring operation's timeout); a start whose
 * digest no longer matches makes the resource restart, a recurring
 * monitor whose digest changed is scheduled again, and one no longer
 * configured is cancelled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "sched_internal.h"
#include "sched_notify.h"
#include "util.h"
#include "hashmap.h"

struct param {
        const char *name, *value;
};

static int cmp_params(const void *x, const void *y) {
        return strcmp(((const struct param *) x)->name, ((const struct param *) y)->name);
}

static void add_param(struct param *p, size_t *n, size_t max, const char *name, const char *value) {
        for (size_t i = 0; i < *n; i++)
                if (strcmp(p[i].name, name) == 0)
                        return; /* the first set that has it wins */
        if (*n < max)
                p[(*n)++] = (struct param) { name, value };
}

/* Adds every name of attrs (resolved for the node) to p. */
static void add_attrs(const struct sched *s, int node, const struct cib_attrs *attrs, struct param *p, size_t *n,
                      size_t max) {
        struct sched_attr_ctx a;
        struct cib_rule_ctx ctx;

        sched_rule_ctx(s, node, &a, &ctx);
        for (size_t i = 0; i < attrs->n_sets; i++)
                for (size_t j = 0; j < attrs->sets[i].n_nv; j++) {
                        const char *name = attrs->sets[i].nv[j].name;
                        const char *v = cib_attrs_get(attrs, name, &ctx);

                        if (v)
                                add_param(p, n, max, name, v);
                }
}

static void append_escaped(char *buf, size_t size, const char *v) {
        size_t l = strlen(buf);

        for (; *v && l + 7 < size; v++) {
                const char *e = NULL;

                switch (*v) {
                case '&': e = "&amp;"; break;
                case '<': e = "&lt;"; break;
                case '>': e = "&gt;"; break;
                case '"': e = "&quot;"; break;
                }
                if (e) {
                        strcpy(buf + l, e);
                        l += strlen(e);
                } else
                        buf[l++] = *v;
        }
        buf[l] = 0;
}

/* Whether name is one of the space-separated words of list. */
static bool in_list(const char *list, const char *name) {
        size_t l = strlen(name);

        for (const char *p = list; p && (p = strstr(p, name)); p += l)
                if ((p == list || p[-1] == ' ') && (p[l] == ' ' || p[l] == 0))
                        return true;
        return false;
}

/* The digest of an operation of r on node as configured now; with only,
 * of just the parameters that list names. */
static void digest(const struct sched *s, const struct srsc *r, int node, const struct cib_op *op, const char *only,
                   bool with_timeout, char ret[33]) {
        struct param p[256];
        size_t n = 0;
        char buf[16384] = " <parameters", timeout[32];
        unsigned char md5[16];

        add_attrs(s, node, &r->def->params, p, &n, ELEMENTSOF(p));
        if (op) {
                add_attrs(s, node, &op->params, p, &n, ELEMENTSOF(p));
                if (op->interval_ms && with_timeout) {
                        unsigned t = op->timeout_ms;

                        if (!t) {
                                struct cib_rule_ctx ctx = { .now = s->opts.now };
                                const char *d = cib_attrs_get(&s->cib->op_defaults, "timeout", &ctx);

                                if (!d || cib_duration_ms(d, &t) < 0)
                                        t = 20000;
                        }
                        snprintf(timeout, sizeof(timeout), "%u", t);
                        add_param(p, &n, ELEMENTSOF(p), "CRM_meta_timeout", timeout);
                }
        }
        if (only) {
                size_t k = 0;

                for (size_t i = 0; i < n; i++)
                        if (in_list(only, p[i].name))
                                p[k++] = p[i];
                n = k;
        }
        qsort(p, n, sizeof(*p), cmp_params);
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(buf);

                snprintf(buf + l, sizeof(buf) - l, " %s=\"", p[i].name);
                append_escaped(buf, sizeof(buf), p[i].value);
                strncat(buf, "\"", sizeof(buf) - strlen(buf) - 1);
        }
        strncat(buf, "/>\n", sizeof(buf) - strlen(buf) - 1);
        if (gnutls_hash_fast(GNUTLS_DIG_MD5, buf, strlen(buf), md5) < 0) {
                ret[0] = 0;
                return;
        }
        for (int i = 0; i < 16; i++)
                snprintf(ret + 2 * i, 3, "%02x", md5[i]);
}

static const struct cib_op *configured(const struct srsc *r, const char *task, unsigned interval) {
        for (size_t i = 0; i < r->def->n_ops; i++)
                if (strcmp(r->def->ops[i].name, task) == 0 && r->def->ops[i].interval_ms == interval)
                        return &r->def->ops[i];
        return NULL;
}

static int cmp_calls(const void *x, const void *y) {
        const struct cib_lrm_op *a = *(const struct cib_lrm_op *const *) x, *b = *(const struct cib_lrm_op *const *) y;

        return (a->call_id > b->call_id) - (a->call_id < b->call_id);
}

/* One resource's history on one node, operations since its last start. */
static void check_history(struct sched *s, struct srsc *r, int node, const struct cib_lrm_rsc *lrm) {
        const struct cib_lrm_op *ops[lrm->n_ops ? lrm->n_ops : 1];
        int start = -1, stop = -1;
        char want[33];

        for (size_t i = 0; i < lrm->n_ops; i++)
                ops[i] = &lrm->ops[i];
        qsort(ops, lrm->n_ops, sizeof(ops[0]), cmp_calls);
        int implied = -1;

        for (size_t i = 0; i < lrm->n_ops; i++) {
                if (strcmp(ops[i]->task, "stop") == 0 && ops[i]->op_status == 0)
                        stop = (int) i;
                else if (strcmp(ops[i]->task, "start") == 0 || strcmp(ops[i]->task, "migrate_from") == 0)
                        start = (int) i;
                else if (implied <= stop && strcmp(ops[i]->task, "monitor") == 0 &&
                         (ops[i]->rc == 0 || ops[i]->rc == 8))
                        implied = (int) i; /* a monitor that found it running */
        }
        if (start < 0)
                start = implied;
        if (start < 0 || start < stop)
                return;
        for (size_t i = (size_t) start; i < lrm->n_ops; i++) {
                const struct cib_lrm_op *op = ops[i];
                const struct cib_op *conf = NULL;

                if (op->call_id < 0)
                        continue;
                if (op->op_status != 0 && !(op->interval_ms && !configured(r, op->task, op->interval_ms)))
                        continue;
                if (op->interval_ms) {
                        struct saction *a;

                        conf = configured(r, op->task, op->interval_ms);
                        if (!conf) {
                                /* No longer configured: cancelled (unless
                                 * stop-orphan-actions=false). */
                                if (!s->stop_orphan_actions)
                                        continue;
                                a = sched_action(s, r, "cancel", node, op->interval_ms, false);
                                if (a)
                                        a->flags |= SA_AFTER_STOPS;
                                continue;
                        }
                } else if (strcmp(op->task, "start") != 0 &&
                           !(strcmp(op->task, "monitor") == 0 && (op->rc == 0 || op->rc == 8)))
                        continue; /* starts, and probes that found it running */
                /* Start digests of controllers older than feature set 2.0
                 * and digests of operations with secure parameters cover
                 * more than tandem can recompute: not compared. */
                if (!op->op_digest || op->secure_params || !op->feature_set ||
                    (atoi(op->feature_set) < 2 && !op->interval_ms))
                        continue;
                /* Depending on the controller's version, a recurring
                 * operation's digest has its timeout or not: either fits. */
                /* Controllers before feature set 2.0 digested recurring
                 * operations differently: never equal to today's. */
                digest(s, r, node, conf, NULL, true, want);
                if (atoi(op->feature_set) < 2)
                        want[0] = '?';
                if (!*want || strcmp(want, op->op_digest) == 0)
                        continue;
                if (op->interval_ms && atoi(op->feature_set) >= 2) {
                        digest(s, r, node, conf, NULL, false, want);
                        if (!*want || strcmp(want, op->op_digest) == 0)
                                continue;
                }
                if (getenv("TANDEM_DIGEST_DEBUG"))
                        fprintf(stderr, "digest mismatch %s %s on %s: %s vs %s\n", r->id, op->id, s->nodes[node].name, want, op->op_digest);
                if (op->interval_ms) {
                        struct saction *a;

                        if (r->assigned != node)
                                continue; /* leaving the node: nothing to redo there */
                        a = sched_action(s, r, "monitor", node, op->interval_ms, false);

                        if (a)
                                a->flags |= SA_MONITOR_WANTED;
                } else {
                        struct saction *a;
                        char restart[33];

                        /* New parameters: old failures no longer count
                         * (cleared in a later pass, as Pacemaker defers it). */
                        if (r->fail_count[node] > 0)
                                r->params_changed[node] = true;

                        /* Only parameters the agent can reload changed:
                         * reload in place. */
                        if (op->restart_digest && op->force_restart) {
                                digest(s, r, node, NULL, op->force_restart, false, restart);
                                if (strcmp(restart, op->restart_digest) == 0) {
                                        r->reload = true;
                                        a = sched_action(s, r, "reload-agent", node, 0, false);
                                        continue;
                                }
                        }
                        /* Unplaced yet: the start goes where the resource
                         * will be (the first lookup with a node takes it). */
                        a = sched_action(s, r, "start", -1, 0, false);
                        if (a)
                                a->reason = "resource definition change";
                }
        }
}

static bool differs(const char *a, const char *b) {
        return a && b && strcmp(a, b) != 0;
}

static bool agent_changed(const struct cib_resource *def, const struct cib_lrm_rsc *lrm) {
        return differs(lrm->class, def->class) || differs(lrm->provider, def->provider) || differs(lrm->type, def->type);
}

void sched_delete(struct sched *s, struct srsc *r, int node) {
        struct saction *a;

        if (r->failed || !s->nodes[node].online || s->nodes[node].unclean)
                return;
        a = sched_action(s, r, "delete", node, 0, false);
        if (a)
                a->flags |= SA_AFTER_STOPS;
}

static void clear_changed_failures(struct sched *s) {
        for (size_t i = 0; i < s->n_prims; i++) {
                struct srsc *r = s->prims[i];

                for (size_t n = 0; n < s->n_nodes; n++)
                        if (r->params_changed[n])
                                sched_action(s, r, "clear_failcount", (int) n, 0, false);
        }
}

void sched_check_definitions(struct sched *s) {
        for (size_t n = 0; n < s->n_nodes; n++) {
                const struct cib_node *c = s->nodes[n].cib;

                if (!s->nodes[n].online)
                        continue;
                for (size_t i = 0; i < c->n_lrm; i++) {
                        /* Pacemaker finds the resource by the history's id. */
                        struct srsc *r = hashmap_get(s->prim_by_id, c->lrm[i].id);

                        if (!r && s->lrm_map)
                                r = s->lrm_map[n][i];
                        if (!r || !r->managed)
                                continue;
                        /* The history of an inactive orphan is deleted. */
                        if (r->orphan && !r->parent) {
                                bool here = false;

                                for (size_t k = 0; k < r->n_running; k++)
                                        here = here || r->running[k] == (int) n;
                                if (!here && s->stop_orphans)
                                        sched_delete(s, r, (int) n);
                                continue;
                        }
                        if (agent_changed(r->parent ? r->parent->def->child : r->def, &c->lrm[i])) {
                                /* History of another agent: removed. */
                                sched_delete(s, r, (int) n);
                                continue;
                        }
                        if (!r->orphan)
                                check_history(s, r, (int) n, &c->lrm[i]);
                }
        }
        clear_changed_failures(s);
}
