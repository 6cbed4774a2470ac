/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_unpack.c: builds the working set from the CIB model: cluster
 * options, nodes with their membership state, and resources with their
 * meta attributes (clones expanded into instances). The current state of
 * each resource comes from sched_history.c. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sched_internal.h"
#include "sched_history.h"
#include "util.h"
#include "hashmap.h"
#include <strings.h>

int sched_score_add(int a, int b) {
        long sum;

        if (a <= -CIB_INFINITY || b <= -CIB_INFINITY)
                return -CIB_INFINITY;
        if (a >= CIB_INFINITY || b >= CIB_INFINITY)
                return CIB_INFINITY;
        sum = (long) a + b;
        if (sum >= CIB_INFINITY)
                return CIB_INFINITY;
        if (sum <= -CIB_INFINITY)
                return -CIB_INFINITY;
        return (int) sum;
}

static bool truthy(const char *v) {
        return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 ||
                     strcmp(v, "1") == 0 || strcasecmp(v, "y") == 0);
}

static const char *node_attr_cb(const void *data, const char *name) {
        const struct sched_attr_ctx *a = data;

        return sched_node_attr(a->s, a->node, name);
}

void sched_rule_ctx(const struct sched *s, int node, struct sched_attr_ctx *a, struct cib_rule_ctx *ctx) {
        a->s = s;
        a->node = node;
        *ctx = (struct cib_rule_ctx) { .node_attr = node_attr_cb, .data = a, .now = s->opts.now };
}

const char *sched_node_attr(const struct sched *s, int node, const char *name) {
        const struct snode *n = &s->nodes[node];
        struct cib_rule_ctx ctx = { .now = s->opts.now };
        const char *v;

        if (strcmp(name, "#uname") == 0)
                return n->name;
        if (strcmp(name, "#id") == 0)
                return n->id;
        if (strcmp(name, "#kind") == 0)
                return "cluster";
        if (strcmp(name, "#is_dc") == 0)
                return s->cib->dc_uuid && strcmp(s->cib->dc_uuid, n->id) == 0 ? "true" : "false";
        v = cib_node_transient(n->cib, name);
        if (v)
                return v;
        return cib_attrs_get(&n->cib->attrs, name, &ctx);
}

static const char *property(const struct sched *s, const char *name, const char *dflt) {
        struct cib_rule_ctx ctx = { .now = s->opts.now };
        const char *v = cib_attrs_get(&s->cib->properties, name, &ctx);

        if (!v) {
                /* Pacemaker accepts both dashes and underscores. */
                char alt[128];

                snprintf(alt, sizeof(alt), "%s", name);
                for (char *p = alt; *p; p++)
                        if (*p == '-')
                                *p = '_';
                v = cib_attrs_get(&s->cib->properties, alt, &ctx);
        }
        return v ? v : dflt;
}

const char *sched_rsc_meta(const struct sched *s, const struct srsc *r, const char *name) {
        struct cib_rule_ctx ctx = { .now = s->opts.now };
        const struct srsc *p;
        const char *v;

        for (p = r; p; p = p->parent) {
                v = cib_attrs_get(&p->def->meta, name, &ctx);
                if (v)
                        return v;
        }
        return cib_attrs_get(&s->cib->rsc_defaults, name, &ctx);
}

bool sched_node_can_run(const struct snode *n) {
        return n->online && !n->unclean && !n->standby && !n->maintenance && !n->shutdown && !n->pending &&
               !n->fence;
}

int sched_node_index(const struct sched *s, const char *uname) {
        for (size_t i = 0; i < s->n_nodes; i++)
                if (strcasecmp(s->nodes[i].name, uname) == 0)
                        return (int) i;
        return -1;
}

struct srsc *sched_find_rsc(const struct sched *s, const char *id) {
        return hashmap_get(s->by_id, id);
}

/* Natural order: digit runs compare as numbers, the rest case-folded. */
static int natural_cmp(const char *a, const char *b) {
        while (*a && *b) {
                if (isdigit((unsigned char) *a) && isdigit((unsigned char) *b)) {
                        char *ea, *eb;
                        unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);

                        if (x != y)
                                return x < y ? -1 : 1;
                        a = ea;
                        b = eb;
                        continue;
                }
                if (tolower((unsigned char) *a) != tolower((unsigned char) *b))
                        return tolower((unsigned char) *a) - tolower((unsigned char) *b);
                a++;
                b++;
        }
        return (unsigned char) *a - (unsigned char) *b;
}

static int cmp_nodes(const void *x, const void *y) {
        const struct snode *a = x, *b = y;

        return natural_cmp(a->name, b->name);
}

static void fence(struct sched *s, struct snode *n, const char *reason) {
        sched_fence_node(s, (int) (n - s->nodes), reason);
}

void sched_fence_node(struct sched *s, int node, const char *reason) {
        struct snode *n = &s->nodes[node];

        if (!n->unclean) {
                n->unclean = true;
                n->fence_reason = reason;
        }
        /* Pacemaker creates the (optional) fencing action right away. */
        sched_early_action(s, NULL, "stonith", node, 0);
}

char *sched_strdup(struct sched *s, const char *text) {
        char **slot = realloc(s->strings, (s->n_strings + 1) * sizeof(*slot));

        if (!slot)
                return NULL;
        s->strings = slot;
        s->strings[s->n_strings] = strdup(text);
        return s->strings[s->n_strings++];
}

/* Membership as Pacemaker reads a node_state: online, pending or down,
 * and unclean when the node must be fenced. */
static void unpack_node_state(struct sched *s, struct snode *n) {
        const struct cib_node *c = n->cib;
        bool crmd_online = c->crmd && strcasecmp(c->crmd, "online") == 0;
        bool join_member = c->join && strcasecmp(c->join, "member") == 0;
        const char *expected;
        bool in_cluster;
        const char *term = cib_node_transient(c, "terminate");
        bool terminate = term && (truthy(term) || atoi(term) > 0);
        const char *shutdown = cib_node_transient(c, "shutdown");

        n->expected_up = c->expected && strcasecmp(c->expected, "member") == 0;
        n->shutdown = shutdown && strcmp(shutdown, "0") != 0;
        if (!c->has_state) {
                /* Unseen nodes are unclean until seen, when fencing is on. */
                if (s->stonith_enabled && s->startup_fencing) {
                        n->unclean = true;
                        n->fence_reason = "node is unclean";
                }
                return;
        }
        if (!s->stonith_enabled) {
                n->online = c->in_ccm && crmd_online && join_member;
                if (c->in_ccm && !crmd_online && n->expected_up)
                        fence(s, n, "peer is unexpectedly down");
                return;
        }
        expected = c->expected ? c->expected : "down";
        in_cluster = c->in_ccm;
        n->online = in_cluster;
        if (n->shutdown) {
                /* A dead peer cannot shut down: only its controller counts. */
                n->online = crmd_online;
        } else if (!c->in_ccm_given) {
                fence(s, n, "peer has not been seen by the cluster");
        } else if (c->join && strcasecmp(c->join, "banned") == 0) {
                fence(s, n, "peer failed Pacemaker membership criteria");
        } else if (!terminate && strcasecmp(expected, "down") == 0) {
                if (in_cluster || crmd_online)
                        n->standby = n->pending = true;
        } else if (terminate && c->join && strcasecmp(c->join, "down") == 0 && !in_cluster && !crmd_online) {
                n->online = false; /* just fenced */
        } else if (!in_cluster) {
                fence(s, n, "peer is no longer part of the cluster");
        } else if (!crmd_online) {
                fence(s, n, "peer process is no longer available");
        } else if (terminate) {
                fence(s, n, "termination was requested");
        } else if (join_member) {
                /* active */
        } else if (!c->join || strcasecmp(c->join, "pending") == 0 || strcasecmp(c->join, "down") == 0) {
                n->standby = n->pending = true;
        } else {
                fence(s, n, "peer was in an unknown state");
        }
        /* no-quorum-policy=suicide: every node of an inquorate partition. */
        if (n->online && !s->have_quorum && s->cib->no_quorum_panic && strcmp(s->no_quorum_policy, "suicide") == 0)
                fence(s, n, "cluster does not have quorum");
}

/* Node health: the #health-* attributes, scored by the strategy. */
static void unpack_health(struct sched *s, int node) {
        struct snode *n = &s->nodes[node];
        const char *strategy = s->node_health_strategy;
        const struct cib_node *c = n->cib;
        int red = -CIB_INFINITY, yellow = 0, green = 0;

        if (strcmp(strategy, "none") == 0)
                return;
        if (strcmp(strategy, "only-green") == 0)
                yellow = -CIB_INFINITY;
        else if (strcmp(strategy, "progressive") == 0 || strcmp(strategy, "custom") == 0) {
                cib_score_parse(property(s, "node-health-red", "-INFINITY"), &red);
                cib_score_parse(property(s, "node-health-yellow", "0"), &yellow);
                cib_score_parse(property(s, "node-health-green", "0"), &green);
        }
        for (size_t i = 0; i < c->n_transient; i++) {
                const char *v = c->transient[i].value;
                int score;

                if (!startswith(c->transient[i].name, "#health"))
                        continue;
                if (strcasecmp(v, "red") == 0) {
                        n->health_red = true;
                        score = red;
                } else if (strcasecmp(v, "yellow") == 0) {
                        n->health_yellow = true;
                        score = yellow;
                } else if (strcasecmp(v, "green") == 0)
                        score = green;
                else if (cib_score_parse(v, &score) < 0)
                        continue;
                n->health = sched_score_add(n->health, score);
        }
}

static int unpack_nodes(struct sched *s) {
        s->nodes = calloc(s->cib->n_nodes ? s->cib->n_nodes : 1, sizeof(*s->nodes));
        if (!s->nodes)
                return -ENOMEM;
        for (size_t i = 0; i < s->cib->n_nodes; i++) {
                struct snode *n = &s->nodes[s->n_nodes++];

                n->cib = &s->cib->nodes[i];
                n->name = n->cib->uname;
                n->id = n->cib->id;
        }
        qsort(s->nodes, s->n_nodes, sizeof(*s->nodes), cmp_nodes);
        for (int k = 0; k < (int) s->n_nodes; k++)
                for (size_t i = 0; i < s->n_nodes; i++)
                        if (s->nodes[i].cib->has_state && s->nodes[i].cib->state_index == k)
                                unpack_node_state(s, &s->nodes[i]);
        for (size_t i = 0; i < s->n_nodes; i++) {
                struct snode *n = &s->nodes[i];

                if (!n->cib->has_state)
                        unpack_node_state(s, n);
                if (truthy(sched_node_attr(s, (int) i, "standby")))
                        n->standby = true;
                if (truthy(sched_node_attr(s, (int) i, "maintenance")) || s->maintenance_mode)
                        n->maintenance = true;
                unpack_health(s, (int) i);
        }
        return 0;
}

static int parse_int_meta(const struct sched *s, const struct srsc *r, const char *name, int dflt) {
        const char *v = sched_rsc_meta(s, r, name);
        int score;

        if (!v)
                return dflt;
        if (cib_score_parse(v, &score) < 0) {
                /* Pacemaker reads "1.0" as 1: the leading integer counts. */
                char *end;
                long l = strtol(v, &end, 10);

                if (end == v)
                        return dflt;
                score = l > CIB_INFINITY ? CIB_INFINITY : l < -CIB_INFINITY ? -CIB_INFINITY : (int) l;
        }
        return score;
}

static int rsc_arrays(struct sched *s, struct srsc *r) {
        size_t n = s->n_nodes ? s->n_nodes : 1;

        r->running = calloc(n, sizeof(int));
        r->role_on = calloc(n, sizeof(enum cib_role));
        r->known_on = calloc(n, sizeof(bool));
        r->fail_count = calloc(n, sizeof(int));
        r->banned = calloc(n, sizeof(bool));
        r->weights = calloc(n, sizeof(int));
        r->expired = calloc(n, sizeof(bool));
        r->params_changed = calloc(n, sizeof(bool));
        if (!r->running || !r->role_on || !r->known_on || !r->fail_count || !r->banned || !r->weights || !r->expired ||
            !r->params_changed)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_nodes; i++)
                r->weights[i] = SCORE_ABSENT;
        return 0;
}

static void unpack_meta(struct sched *s, struct srsc *r) {
        const char *v;

        v = sched_rsc_meta(s, r, "is-managed");
        r->managed = !v || truthy(v);
        if (s->maintenance_mode || truthy(sched_rsc_meta(s, r, "maintenance")))
                r->managed = false;
        r->priority = parse_int_meta(s, r, "priority", 0);
        r->critical = true;
        v = sched_rsc_meta(s, r, "resource-stickiness");
        if (!v)
                v = sched_rsc_meta(s, r, "resource_stickiness");
        r->stickiness = s->default_stickiness;
        if (v)
                cib_score_parse(v, &r->stickiness);
        else if (r->parent && r->parent->is_clone)
                r->stickiness = 1; /* clone instances stick a little by default */
        r->migration_threshold = parse_int_meta(s, r, "migration-threshold", CIB_INFINITY);
        if (r->migration_threshold < 0)
                r->migration_threshold = 0;
        v = sched_rsc_meta(s, r, "target-role");
        r->target_role = CIB_ROLE_UNKNOWN;
        if (v && cib_role_parse(v, &r->target_role) < 0)
                r->target_role = CIB_ROLE_UNKNOWN;
        r->allow_migrate = truthy(sched_rsc_meta(s, r, "allow-migrate"));
        v = sched_rsc_meta(s, r, "failure-timeout");
        if (v) {
                unsigned ms;

                if (cib_duration_ms(v, &ms) == 0)
                        r->failure_timeout_s = ms / 1000;
        }
        r->is_stonith = r->def->class && strcmp(r->def->class, "stonith") == 0;
        v = sched_rsc_meta(s, r, "requires");
        r->requires_nothing = v && strcmp(v, "nothing") == 0;
        r->requires_fencing = s->stonith_enabled && !r->is_stonith && (!v || strcmp(v, "fencing") == 0 ||
                                                                       strcmp(v, "unfencing") == 0);
}

static struct srsc *new_rsc(struct sched *s, const char *id, const struct cib_resource *def, struct srsc *parent) {
        struct srsc *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->id = strdup(id);
        r->def = def;
        r->parent = parent;
        r->assigned = -1;
        r->pending_node = -1;
        r->seen_on = -1;
        r->partial_migration_source = r->partial_migration_target = -1;
        r->role = CIB_ROLE_STOPPED;
        r->next_role = CIB_ROLE_UNKNOWN;
        r->provisional = true;
        if (!r->id || rsc_arrays(s, r) < 0) {
                free(r->id);
                free(r);
                return NULL;
        }
        return r;
}

static int add_prim(struct sched *s, struct srsc *r) {
        struct srsc **slot = realloc(s->prims, (s->n_prims + 1) * sizeof(*slot));

        if (!slot)
                return -ENOMEM;
        s->prims = slot;
        r->index = s->n_prims;
        s->prims[s->n_prims++] = r;
        return hashmap_replace(s->prim_by_id, r->id, r) < 0 ? -ENOMEM : 0;
}

int sched_clone_add_instance(struct sched *s, struct srsc *clone, bool orphan, struct srsc **ret) {
        char id[512];
        struct srsc *inst, **slot;

        snprintf(id, sizeof(id), "%s:%zu", clone->def->child->id, clone->n_children);
        inst = new_rsc(s, id, clone->def->child, clone);
        if (!inst)
                return -ENOMEM;
        slot = realloc(clone->children, (clone->n_children + 1) * sizeof(*slot));
        if (!slot)
                return -ENOMEM;
        clone->children = slot;
        clone->children[clone->n_children++] = inst;
        inst->orphan = orphan;
        unpack_meta(s, inst);
        if (ret)
                *ret = inst;
        return add_prim(s, inst);
}

int sched_add_resource(struct sched *s, const struct cib_resource *def, struct srsc **ret) {
        struct srsc *r = new_rsc(s, def->id, def, NULL), **slot;
        int e;

        if (!r)
                return -ENOMEM;
        if (ret)
                *ret = r;
        slot = realloc(s->resources, (s->n_resources + 1) * sizeof(*slot));
        if (!slot)
                return -ENOMEM;
        s->resources = slot;
        s->resources[s->n_resources++] = r;
        if (hashmap_replace(s->by_id, r->id, r) < 0)
                return -ENOMEM;
        if (def->kind == CIB_CLONE && hashmap_replace(s->clone_by_child, def->child->id, r) < 0)
                return -ENOMEM;
        unpack_meta(s, r);
        if (def->kind == CIB_PRIMITIVE)
                return add_prim(s, r);

        r->is_clone = true;
        r->promotable = def->promotable;
        r->unique = truthy(sched_rsc_meta(s, r, "globally-unique"));
        r->notify = truthy(sched_rsc_meta(s, r, "notify"));
        r->interleave = truthy(sched_rsc_meta(s, r, "interleave"));
        r->ordered = truthy(sched_rsc_meta(s, r, "ordered"));
        r->clone_max = parse_int_meta(s, r, "clone-max", (int) s->n_nodes);
        r->clone_node_max = parse_int_meta(s, r, "clone-node-max", 1);
        r->clone_min = parse_int_meta(s, r, "clone-min", 0);
        r->promoted_max = parse_int_meta(s, r, "promoted-max", parse_int_meta(s, r, "master-max", 1));
        r->promoted_node_max = parse_int_meta(s, r, "promoted-node-max",
                                              parse_int_meta(s, r, "master-node-max", 1));
        r->is_stonith = def->child->class && strcmp(def->child->class, "stonith") == 0;
        if (r->clone_max < 0)
                r->clone_max = 0;
        for (int i = 0; i < r->clone_max; i++) {
                e = sched_clone_add_instance(s, r, false, NULL);
                if (e < 0)
                        return e;
        }
        return 0;
}

int sched_unpack(struct sched *s, char *why, size_t why_size) {
        const char *v;
        int e;

        s->symmetric = truthy(property(s, "symmetric-cluster", "true"));
        s->stonith_enabled = truthy(property(s, "stonith-enabled", "true"));
        s->maintenance_mode = truthy(property(s, "maintenance-mode", "false"));
        s->stop_orphans = truthy(property(s, "stop-orphan-resources", "true"));
        s->startup_fencing = truthy(property(s, "startup-fencing", "true"));
        s->stop_orphan_actions = truthy(property(s, "stop-orphan-actions", "true"));
        s->concurrent_fencing = truthy(property(s, "concurrent-fencing", "true"));
        s->start_failure_fatal = truthy(property(s, "start-failure-is-fatal", "true"));
        s->no_quorum_policy = property(s, "no-quorum-policy", "stop");
        s->placement_strategy = property(s, "placement-strategy", "default");
        s->node_health_strategy = property(s, "node-health-strategy", "none");
        s->have_quorum = s->cib->have_quorum;
        v = property(s, "default-resource-stickiness", NULL);
        if (!v || cib_score_parse(v, &s->default_stickiness) < 0)
                s->default_stickiness = 0;

        s->by_id = hashmap_new(NULL);
        s->clone_by_child = hashmap_new(NULL);
        s->prim_by_id = hashmap_new(NULL);
        if (!s->by_id || !s->clone_by_child || !s->prim_by_id)
                return format_error(why, why_size, -ENOMEM, "out of memory");
        e = unpack_nodes(s);
        if (e < 0)
                return format_error(why, why_size, e, "out of memory");
        for (size_t i = 0; i < s->cib->n_resources; i++) {
                e = sched_add_resource(s, s->cib->resources[i], NULL);
                if (e < 0)
                        return format_error(why, why_size, e, "out of memory");
        }
        /* Pacemaker keeps resources sorted by priority (stably). */
        for (size_t i = 1; i < s->n_resources; i++)
                for (size_t j = i; j > 0 && s->resources[j]->priority > s->resources[j - 1]->priority; j--) {
                        struct srsc *t = s->resources[j];

                        s->resources[j] = s->resources[j - 1];
                        s->resources[j - 1] = t;
                }
        e = sched_unpack_history(s);
        if (e < 0)
                return format_error(why, why_size, e, "out of memory");
        return 0;
}

static void free_rsc(struct srsc *r) {
        for (size_t i = 0; i < r->n_children; i++)
                free_rsc(r->children[i]);
        free(r->children);
        free(r->running);
        free(r->role_on);
        free(r->known_on);
        free(r->fail_count);
        free(r->banned);
        free(r->expired);
        free(r->params_changed);
        free(r->weights);
        free(r->actions);
        free(r->id);
        free(r);
}

void sched_early_action(struct sched *s, struct srsc *r, const char *task, int node, unsigned interval_ms) {
        struct early_action *e = realloc(s->early, (s->n_early + 1) * sizeof(*e));

        if (!e)
                return;
        s->early = e;
        s->early[s->n_early++] = (struct early_action) { r, task, node, interval_ms, false };
}

void sched_unpack_free(struct sched *s) {
        hashmap_free(s->by_id);
        hashmap_free(s->clone_by_child);
        hashmap_free(s->prim_by_id);
        for (size_t i = 0; s->lrm_map && i < s->n_nodes; i++)
                free(s->lrm_map[i]);
        free(s->lrm_map);
        free(s->early);
        for (size_t i = 0; i < s->n_strings; i++)
                free(s->strings[i]);
        free(s->strings);
        for (size_t i = 0; i < s->n_resources; i++)
                free_rsc(s->resources[i]);
        free(s->resources);
        free(s->prims);
        free(s->nodes);
        for (size_t i = 0; i < s->n_orphan_defs; i++)
                free(s->orphan_defs[i]);
        free(s->orphan_defs);
        for (size_t i = 0; i < s->n_actions; i++) {
                struct saction *a = s->actions[i];

                free(a->key);
                free(a->task);
                free(a->notify_kind);
                free(a->inputs);
                free(a->outputs);
                free(a);
        }
        free(s->actions);
}
