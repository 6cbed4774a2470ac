/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_internal.h: the scheduler's working set: nodes and resources as
 * the CIB model describes them, their current state, the scores of the
 * placement phase and the actions of the transition graph. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cib.h"
#include "scheduler.h"

#define SCORE_ABSENT (-2 * CIB_INFINITY - 1) /* node not in a resource's allowed set */

struct snode {
        const struct cib_node *cib;
        const char *name;
        const char *id;
        bool online, unclean, standby, pending, maintenance, shutdown, expected_up;
        bool fence;         /* the transition fences it */
        const char *fence_reason;
        int n_assigned;     /* resources placed here so far */
        int n_running;      /* resources active here now */
        int health;         /* summed #health attributes */
        bool health_red, health_yellow;
};

struct srsc {
        char *id;
        const struct cib_resource *def;  /* the primitive, or the clone */
        bool is_clone;
        struct srsc *parent;
        struct srsc **children;
        size_t n_children;
        size_t index;        /* position among the working set's primitives */
        size_t doc_order;    /* position among the top-level resources */

        /* Meta attributes. */
        bool managed, unique, promotable, notify, interleave, ordered, allow_migrate;
        bool orphan, is_stonith, requires_fencing, requires_nothing, critical;
        int priority, stickiness, migration_threshold;
        enum cib_role target_role; /* UNKNOWN when unset; an instance's own value wins over its clone's */
        int clone_max, clone_node_max, promoted_max, promoted_node_max, clone_min;
        unsigned failure_timeout_s;

        /* Current state (primitives). */
        int *running;        /* node indexes where active */
        size_t n_running;
        enum cib_role role;  /* most significant role anywhere */
        enum cib_role *role_on; /* per node */
        bool failed, blocked, failure_ignored, start_pending, migrating, no_quorum_stop, reload;
        const char *pending_task; /* Starting/Stopping/... for display */
        const char *clone_name;   /* the id the history knows an instance by */
        int seen_on;              /* node of the last history mapped to an instance */
        int pending_node;
        bool *known_on;      /* has history on the node */
        int *fail_count;     /* per node */
        bool *banned;        /* hard errors that forbid a node */
        bool *expired;       /* a failure there expired (failure-timeout) */
        bool *params_changed; /* failed there with parameters since changed */
        int partial_migration_source, partial_migration_target;

        /* Placement. */
        int *weights;        /* per node; SCORE_ABSENT when not allowed */
        int assigned;        /* node index or -1 */
        bool provisional, allocating;
        enum cib_role next_role;
        int promotion_score;
        size_t alloc_order;  /* position in its clone's placement order */
        bool stop_reason_availability;

        /* Actions. */
        struct saction **actions;
        size_t n_actions;
        /* A clone's notification pseudo-actions: [start, stop, promote,
         * demote][pre, confirmed-pre, post, confirmed-post]. */
        struct saction *notif[4][4];
};

enum saction_flags {
        SA_OPTIONAL = 1 << 0,
        SA_RUNNABLE = 1 << 1,
        SA_PSEUDO = 1 << 2,
        SA_DUMPED = 1 << 3,
        SA_PRINT_ALWAYS = 1 << 4, /* in the graph even when optional */
        SA_STOPPED_MONITOR = 1 << 5, /* a monitor for the Stopped role */
        SA_REQUIRES_ANY = 1 << 6,   /* runnable when enough inputs are */
        SA_MONITOR_WANTED = 1 << 7, /* a recurring monitor for the next role */
        SA_AFTER_STOPS = 1 << 8,    /* a cancellation that waits for the stops */
        SA_MADE_REQUIRED = 1 << 9,  /* created optional, required by an ordering */
};

enum sorder_flags {
        SO_MANDATORY = 1 << 0,   /* then cannot run unless first runs */
        SO_OPTIONAL = 1 << 1,    /* ordering only */
        SO_IMPLIES_THEN = 1 << 2,
        SO_IMPLIES_FIRST = 1 << 3,
        SO_RUNNABLE_LEFT = 1 << 4,
        SO_SERIALIZE = 1 << 5,
        SO_ONE_OR_MORE = 1 << 6,
        SO_RESTART = 1 << 7,     /* a required then makes first required */
        SO_ASYMMETRIC = 1 << 8,  /* blocks a then that is not active yet */
};

struct saction;
struct sinput {
        struct saction *action;
        unsigned flags;
};

struct saction {
        int id;
        char *key;        /* rsc_start_0, rsc_monitor_10000, all_stopped, ... */
        char *task;       /* start, stop, monitor, notify, running, ... */
        struct srsc *rsc; /* NULL for cluster-wide actions */
        int node;         /* -1 for none */
        unsigned interval_ms;
        unsigned flags;
        const char *reason;
        char *notify_kind; /* for notify actions: "pre"/"post" and the task */
        struct sinput *inputs; /* actions that must complete first */
        size_t n_inputs;
        struct sinput *outputs;
        size_t n_outputs;
        int fence_op;     /* fencing: 1 for reboot */
        int required_runnable; /* for SA_REQUIRES_ANY */
        bool done;
};

struct sched {
        const struct cib *cib;
        struct sched_options opts;

        struct snode *nodes;
        size_t n_nodes;
        struct srsc **resources;  /* top level, document order */
        size_t n_resources;
        struct srsc **prims;      /* every primitive or clone instance */
        size_t n_prims;

        /* Cluster options. */
        bool startup_fencing, concurrent_fencing, stop_orphan_actions;
        bool has_discovery_rules; /* some location sets resource-discovery */
        char **strings; /* messages built at run time */
        size_t n_strings;
        bool symmetric, stonith_enabled, have_quorum, maintenance_mode, stop_orphans;
        bool start_failure_fatal;
        const char *no_quorum_policy;
        const char *placement_strategy;
        const char *node_health_strategy;
        int default_stickiness;

        struct hashmap *by_id;          /* top-level resources by id */
        struct hashmap *clone_by_child; /* clones by their primitive's id */
        struct hashmap *prim_by_id;     /* primitives and instances by id */
        struct srsc ***lrm_map;         /* [node][lrm entry]: the resource it maps to */
        struct cib_resource **orphan_defs; /* resources only the history knows */
        size_t n_orphan_defs;

        struct saction **actions;
        size_t n_actions;
        int next_action_id;
        bool has_stonith_rsc;
        /* Actions Pacemaker creates while reading the status (stops of
         * failed resources, active recurring operations), in that order. */
        struct early_action {
                struct srsc *rsc;
                const char *task;
                int node;
                unsigned interval_ms;
                bool required;
        } *early;
        size_t n_early;
};

/* Marks a node unclean (keeping the first reason) and records its
 * fencing action. */
void sched_fence_node(struct sched *s, int node, const char *reason);

/* A copy of text owned by the working set. */
char *sched_strdup(struct sched *s, const char *text);

void sched_early_action(struct sched *s, struct srsc *r, const char *task, int node, unsigned interval_ms);

/* Score arithmetic with INFINITY saturation. */
int sched_score_add(int a, int b);

/* Unpacking: nodes, resources and their current state from the model. */
int sched_unpack(struct sched *s, char *why, size_t why_size);
void sched_unpack_free(struct sched *s);
struct srsc *sched_find_rsc(const struct sched *s, const char *id);
int sched_node_index(const struct sched *s, const char *uname);
const char *sched_node_attr(const struct sched *s, int node, const char *name);
const char *sched_rsc_meta(const struct sched *s, const struct srsc *r, const char *name);
bool sched_node_can_run(const struct snode *n);

/* A rule context whose node attributes are those of node. */
struct sched_attr_ctx {
        const struct sched *s;
        int node;
};
void sched_rule_ctx(const struct sched *s, int node, struct sched_attr_ctx *a, struct cib_rule_ctx *ctx);

/* Placement of primitives and clones. */
void sched_place(struct sched *s);
void sched_place_clone(struct sched *s, struct srsc *clone);
void sched_promote(struct sched *s, struct srsc *clone);
/* The master-* attribute of an instance on a node, if set and usable. */
bool sched_promotion_attr(struct sched *s, const struct srsc *clone, const struct srsc *inst, int node, int *ret);
void sched_assign(struct sched *s, struct srsc *r, int node);
int sched_choose_node(struct sched *s, struct srsc *r, int prefer);
/* The role a location rule is for (role="Promoted"), UNKNOWN for any. */
enum cib_role sched_rule_role(const struct _xmlNode *rule);
void sched_apply_colocations(struct sched *s, struct srsc *r);

/* Actions and orderings. */
struct saction *sched_action(struct sched *s, struct srsc *r, const char *task, int node,
                             unsigned interval_ms, bool optional);
struct saction *sched_find_action(const struct sched *s, const struct srsc *r, const char *task, int node);
void sched_order(struct saction *first, struct saction *then, unsigned flags);
void sched_create_actions(struct sched *s);
/* Restarts, monitors and cancellations for definitions that changed. */
void sched_check_definitions(struct sched *s);
/* Removes a resource's history from a node, after its stops. */
void sched_delete(struct sched *s, struct srsc *r, int node);
void sched_create_orderings(struct sched *s);
void sched_fencing(struct sched *s);
void sched_update_runnable(struct sched *s);

/* The pseudo-action that completes a clone task: start -> running, ... */
const char *sched_done_task(const char *task);

