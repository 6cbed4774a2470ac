/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_print.c: the cluster status as crm_simulate prints it: the node
 * list (Online/OFFLINE lists, nodes in special states one per line) and
 * the resource list (primitives, clone sets with their role lists). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "util.h"

static void print_node_list(const struct sched *s, FILE *f) {
        char online[8192] = "", offline[8192] = "";

        fprintf(f, "  * Node List:\n");
        for (size_t i = 0; i < s->n_nodes; i++) {
                const struct snode *n = &s->nodes[i];
                const char *mode = NULL;

                if (n->unclean)
                        mode = n->online ? "UNCLEAN (online)" : "UNCLEAN (offline)";
                else if (n->pending)
                        mode = "pending";
                else if (n->standby)
                        mode = n->online ? (n->n_running ? "standby (with active resources)" : "standby")
                                         : "OFFLINE (standby)";
                else if (n->maintenance)
                        mode = n->online ? "maintenance" : "OFFLINE (maintenance)";
                else if (n->online && n->health_red)
                        mode = "online (health is RED)";
                else if (n->online && n->health_yellow)
                        mode = "online (health is YELLOW)";
                else if (n->online) {
                        strncat(online, " ", sizeof(online) - strlen(online) - 1);
                        strncat(online, n->name, sizeof(online) - strlen(online) - 1);
                        continue;
                } else {
                        strncat(offline, " ", sizeof(offline) - strlen(offline) - 1);
                        strncat(offline, n->name, sizeof(offline) - strlen(offline) - 1);
                        continue;
                }
                fprintf(f, "    * Node %s: %s\n", n->name, mode);
        }
        if (*online)
                fprintf(f, "    * Online: [%s ]\n", online);
        if (*offline)
                fprintf(f, "    * OFFLINE: [%s ]\n", offline);
}

static enum cib_role displayable_role(const struct srsc *r) {
        enum cib_role role = r->role;

        if (role == CIB_ROLE_STARTED && r->parent && r->parent->promotable)
                role = CIB_ROLE_UNPROMOTED;
        return role;
}

static void add_flag(char *buf, size_t size, bool *have, const char *flag) {
        size_t l = strlen(buf);

        snprintf(buf + l, size - l, "%s%s", *have ? ", " : " (", flag);
        *have = true;
}

/* Why a probe of a stopped resource failed, as "(not installed) ". */
static const char *failed_probe_text(const struct sched *s, const struct srsc *r) {
        static const char *const texts[] = {
                "ok", "error", "invalid parameter", "unimplemented feature", "insufficient privileges",
                "not installed",
        };
        const char *id = r->parent && !r->parent->unique ? r->def->id : r->id;

        for (size_t k = 0; k < s->n_nodes; k++) {
                const struct cib_node *c = s->nodes[k].cib;

                for (size_t i = 0; i < c->n_lrm; i++) {
                        const struct cib_lrm_rsc *l = &c->lrm[i];

                        if (strcmp(l->id, id) != 0 && strcmp(l->id, r->id) != 0)
                                continue;
                        for (size_t j = 0; j < l->n_ops; j++) {
                                const struct cib_lrm_op *op = &l->ops[j];

                                /* Only "not installed" probe failures are shown so. */
                                if (strcmp(op->task, "monitor") == 0 && op->interval_ms == 0 &&
                                    (op->rc == 5 || op->op_status == 7) && strstr(op->id, "last_failure") &&
                                    !(r->failure_timeout_s && op->last_rc_change &&
                                      op->last_rc_change + (time_t) r->failure_timeout_s <= s->opts.now))
                                        return texts[5];
                        }
                }
        }
        return NULL;
}

static void print_primitive(const struct sched *s, const struct srsc *r, const char *indent, FILE *f) {
        const struct cib_resource *d = r->def;
        char line[4096];
        bool have = false;
        int node = r->n_running ? r->running[0] : -1;
        size_t l;

        snprintf(line, sizeof(line), "%s* %s\t(%s%s%s:%s):\t", indent,
                 r->parent && !r->parent->unique ? d->id : r->id, d->class,
                 d->provider ? ":" : "", d->provider ? d->provider : "", d->type);
        l = strlen(line);
        if (r->orphan)
                l += snprintf(line + l, sizeof(line) - l, " ORPHANED");
        if (r->failed) {
                enum cib_role role = displayable_role(r);

                if (role > CIB_ROLE_UNPROMOTED)
                        l += snprintf(line + l, sizeof(line) - l, " FAILED %s", cib_role_name(role));
                else
                        l += snprintf(line + l, sizeof(line) - l, " FAILED");
        } else if (r->pending_task && (strcmp(r->pending_task, "Starting") == 0 ||
                                       strcmp(r->pending_task, "Stopping") == 0 ||
                                       strcmp(r->pending_task, "Migrating") == 0 ||
                                       strcmp(r->pending_task, "Promoting") == 0 ||
                                       strcmp(r->pending_task, "Demoting") == 0))
                l += snprintf(line + l, sizeof(line) - l, " %s", r->pending_task);
        else
                l += snprintf(line + l, sizeof(line) - l, " %s",
                              cib_role_name(r->n_running ? displayable_role(r) : CIB_ROLE_STOPPED));
        if (node >= 0 && r->n_running == 1)
                snprintf(line + l, sizeof(line) - l, " %s", s->nodes[node].name);
        if (r->n_running == 0) {
                const char *failed_probe = failed_probe_text(s, r);

                if (failed_probe) {
                        l = strlen(line);
                        snprintf(line + l, sizeof(line) - l, " (%s) ", failed_probe);
                }
        }
        if (node >= 0 && !s->nodes[node].online && s->nodes[node].unclean)
                add_flag(line, sizeof(line), &have, "UNCLEAN");
        if (r->pending_task && strcmp(r->pending_task, "Monitoring") == 0)
                add_flag(line, sizeof(line), &have, "Monitoring");
        if (r->target_role == CIB_ROLE_STOPPED)
                add_flag(line, sizeof(line), &have, "disabled");
        else if (r->target_role == CIB_ROLE_UNPROMOTED && r->parent && r->parent->promotable) {
                add_flag(line, sizeof(line), &have, "target-role:");
                strncat(line, sched_rsc_meta(s, r, "target-role"), sizeof(line) - strlen(line) - 1);
        }
        if (r->blocked)
                add_flag(line, sizeof(line), &have, "blocked");
        else if (!r->managed)
                add_flag(line, sizeof(line), &have, "unmanaged");
        if (r->failure_ignored)
                add_flag(line, sizeof(line), &have, "failure ignored");
        if (have)
                strncat(line, ")", sizeof(line) - strlen(line) - 1);
        if (r->n_running > 1) {
                strncat(line, " [", sizeof(line) - strlen(line) - 1);
                for (size_t i = 0; i < r->n_running; i++) {
                        strncat(line, " ", sizeof(line) - strlen(line) - 1);
                        strncat(line, s->nodes[r->running[i]].name, sizeof(line) - strlen(line) - 1);
                }
                strncat(line, " ]", sizeof(line) - strlen(line) - 1);
        }
        fprintf(f, "%s\n", line);
}

static bool clone_disabled(const struct srsc *c) {
        return c->target_role == CIB_ROLE_STOPPED;
}

static void clone_header(const struct srsc *c, bool *printed, FILE *f) {
        char attrs[128] = "";

        if (*printed)
                return;
        *printed = true;
        if (c->promotable)
                strcat(attrs, ", promotable");
        if (c->unique)
                strcat(attrs, ", unique");
        if (!c->managed)
                strcat(attrs, ", unmanaged");
        if (clone_disabled(c))
                strcat(attrs, ", disabled");
        if (*attrs)
                fprintf(f, "    * Clone Set: %s [%s] (%s):\n", c->id, c->def->child->id, attrs + 2);
        else
                fprintf(f, "    * Clone Set: %s [%s]:\n", c->id, c->def->child->id);
}

static void add_word(char *buf, size_t size, const char *w) {
        size_t l = strlen(buf);

        snprintf(buf + l, size - l, " %s", w);
}

static int cmp_ints(const void *x, const void *y) {
        return *(const int *) x - *(const int *) y;
}

/* Node names in the node list's (natural) order. */
static void sorted_words(const struct sched *s, char *buf, size_t size, int *nodes, size_t n) {
        qsort(nodes, n, sizeof(*nodes), cmp_ints);
        buf[0] = 0;
        for (size_t i = 0; i < n; i++)
                add_word(buf, size, s->nodes[nodes[i]].name);
}

static void print_clone(const struct sched *s, const struct srsc *c, FILE *f) {
        int promoted[256], started[256];
        size_t n_promoted = 0, n_started = 0;
        char list[8192], stopped[8192] = "";
        bool printed = false;
        bool *active_on = calloc(s->n_nodes ? s->n_nodes : 1, sizeof(bool));
        size_t active_instances = 0;

        if (!active_on)
                return;
        for (size_t i = 0; i < c->n_children; i++) {
                const struct srsc *r = c->children[i];
                bool full = false;

                for (size_t j = 0; j < r->n_running; j++)
                        active_on[r->running[j]] = true;
                if (c->unique) {
                        full = r->n_running > 0 || !r->orphan;
                } else if (r->pending_task && strcmp(r->pending_task, "Monitoring") != 0 && r->n_running) {
                        full = true;
                } else if (r->n_running == 0) {
                        if (!r->orphan)
                                add_word(stopped, sizeof(stopped), r->id);
                } else if (r->orphan || !r->managed || r->failed || r->n_running > 1) {
                        full = true;
                } else {
                        int node = r->running[0];
                        enum cib_role role = displayable_role(r);

                        if (!s->nodes[node].online && s->nodes[node].unclean)
                                full = true;
                        else if (role > CIB_ROLE_UNPROMOTED && n_promoted < ELEMENTSOF(promoted))
                                promoted[n_promoted++] = node;
                        else if (n_started < ELEMENTSOF(started))
                                started[n_started++] = node;
                }
                if (full) {
                        clone_header(c, &printed, f);
                        print_primitive(s, r, "      ", f);
                }
        }
        if (n_promoted) {
                sorted_words(s, list, sizeof(list), promoted, n_promoted);
                clone_header(c, &printed, f);
                fprintf(f, "      * Promoted: [%s ]\n", list);
                active_instances += n_promoted;
        }
        if (n_started) {
                sorted_words(s, list, sizeof(list), started, n_started);
                clone_header(c, &printed, f);
                if (c->promotable)
                        fprintf(f, "      * Unpromoted%s: [%s ]\n",
                                c->target_role == CIB_ROLE_UNPROMOTED ? " (target-role)" : "", list);
                else
                        fprintf(f, "      * Started: [%s ]\n", list);
                active_instances += n_started;
        }
        if (!c->unique && (size_t) c->clone_max > active_instances) {
                stopped[0] = 0;
                for (size_t n = 0; n < s->n_nodes; n++) {
                        bool allowed = s->symmetric;

                        for (size_t i = 0; !allowed && i < c->n_children; i++)
                                allowed = c->children[i]->known_on[n];
                        if (allowed && !active_on[n])
                                add_word(stopped, sizeof(stopped), s->nodes[n].name);
                }
        }
        if (*stopped) {
                clone_header(c, &printed, f);
                fprintf(f, "      * %s: [%s ]\n", clone_disabled(c) ? "Stopped (disabled)" : "Stopped", stopped);
        }
        clone_header(c, &printed, f);
        free(active_on);
}

void sched_print_problems(const struct sched *s, FILE *f) {
        size_t disabled = 0, blocked = 0, total = 0;

        for (size_t i = 0; i < s->n_prims; i++) {
                const struct srsc *r = s->prims[i];

                if (r->orphan)
                        continue;
                total++;
                if (r->target_role == CIB_ROLE_STOPPED)
                        disabled++;
                if (r->blocked)
                        blocked++;
        }
        if (disabled || blocked)
                fprintf(f, "%zu of %zu resource instances DISABLED and %zu BLOCKED from further action due to failure\n\n",
                        disabled, total, blocked);
}

void sched_print_status(const struct sched *s, FILE *f) {
        print_node_list(s, f);
        fprintf(f, "\n  * Full List of Resources:\n");
        for (size_t i = 0; i < s->n_resources; i++) {
                const struct srsc *r = s->resources[i];

                if (r->is_clone)
                        print_clone(s, r, f);
                else if (!r->orphan || r->n_running)
                        print_primitive(s, r, "    ", f);
        }
}

void sched_print_scores(const struct sched *s, FILE *f) {
        for (size_t i = 0; i < s->n_prims; i++) {
                const struct srsc *r = s->prims[i];

                for (size_t n = 0; n < s->n_nodes; n++) {
                        int w = r->weights[n];

                        if (w == SCORE_ABSENT)
                                continue;
                        if (w >= CIB_INFINITY)
                                fprintf(f, "pcmk__primitive_assign: %s allocation score on %s: INFINITY\n", r->id, s->nodes[n].name);
                        else if (w <= -CIB_INFINITY)
                                fprintf(f, "pcmk__primitive_assign: %s allocation score on %s: -INFINITY\n", r->id, s->nodes[n].name);
                        else
                                fprintf(f, "pcmk__primitive_assign: %s allocation score on %s: %d\n", r->id, s->nodes[n].name, w);
                }
                if (r->parent && r->parent->promotable && r->assigned >= 0)
                        fprintf(f, "%s promotion score on %s: %d\n", r->id, s->nodes[r->assigned].name, r->promotion_score);
        }
}
