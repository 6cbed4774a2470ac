/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib.h: Pacemaker's CIB XML as a typed model: configuration (properties,
 * nodes, resources, constraints) and status (membership, transient
 * attributes, operation history). Strings point into the parsed document,
 * which the model owns; cib_free() releases everything. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct _xmlNode;
struct _xmlDoc;

/* Scores: integers clamped to +-CIB_INFINITY ("INFINITY" in the XML). */
#define CIB_INFINITY 1000000

/* Resource roles, ordered as Pacemaker orders them. */
enum cib_role {
        CIB_ROLE_UNKNOWN,
        CIB_ROLE_STOPPED,
        CIB_ROLE_STARTED,
        CIB_ROLE_UNPROMOTED,
        CIB_ROLE_PROMOTED,
};

/* One name=value pair of a set. */
struct cib_nv {
        const char *name;
        const char *value;
};

/* An attribute set (instance_attributes, meta_attributes,
 * cluster_property_set, ...): its pairs apply when rule is NULL or
 * matches; sets are applied in descending score order, first wins. */
struct cib_nvset {
        const char *id;
        int score;
        const struct _xmlNode *rule; /* validated <rule>, or NULL */
        struct cib_nv *nv;
        size_t n_nv;
};

struct cib_attrs {
        struct cib_nvset *sets;
        size_t n_sets;
};

/* An <op> of a resource. */
struct cib_op {
        const char *id;
        const char *name;     /* monitor, start, stop, promote, ... */
        unsigned interval_ms; /* 0 for one-shot operations */
        unsigned timeout_ms;  /* 0 when not given */
        enum cib_role role;   /* CIB_ROLE_UNKNOWN when any */
        const char *on_fail;  /* NULL when not given */
        bool enabled;
        struct cib_attrs meta;
        struct cib_attrs params; /* the operation's own instance attributes */
};

enum cib_rsc_kind {
        CIB_PRIMITIVE,
        CIB_CLONE, /* clone, promotable clone or legacy master */
};

struct cib_resource {
        const char *id;
        enum cib_rsc_kind kind;
        const char *class, *provider, *type; /* primitives only */
        bool promotable;                     /* clone with promotable=true or <master> */
        bool legacy_master;                  /* written as <master> */
        struct cib_attrs meta;
        struct cib_attrs params;
        struct cib_op *ops;
        size_t n_ops;
        struct cib_resource *child; /* a clone's primitive */
        struct cib_resource *parent;
};

/* A rule-bearing or scored location constraint. */
struct cib_location {
        const char *id;
        const char *rsc;
        const char *node;  /* with score, or NULL when rules are given */
        int score;
        enum cib_role role; /* UNKNOWN for any */
        const char *discovery; /* resource-discovery, or NULL */
        const struct _xmlNode **rules;
        size_t n_rules;
};

struct cib_colocation {
        const char *id;
        const char *rsc, *with_rsc;
        enum cib_role rsc_role, with_role; /* UNKNOWN for any */
        int score;
        const char *node_attribute; /* default #uname */
        bool influence;
};

enum cib_order_kind {
        CIB_ORDER_MANDATORY,
        CIB_ORDER_OPTIONAL,
        CIB_ORDER_SERIALIZE,
};

struct cib_order {
        const char *id;
        const char *first, *then;
        const char *first_action, *then_action; /* default "start" */
        enum cib_order_kind kind;
        bool symmetrical;
        bool require_all; /* false: one instance of a first clone is enough */
};

/* One lrm_rsc_op entry of the operation history. */
struct cib_lrm_op {
        const char *id;
        const char *task;        /* operation: start, stop, monitor, migrate_to, ... */
        const char *op_key;
        unsigned interval_ms;
        int call_id;
        int rc;                  /* rc-code (OCF exit status) */
        int op_status;           /* op-status: 0 done, -1 pending, others errors */
        const char *migrate_source, *migrate_target;
        const char *exit_reason;
        time_t last_rc_change;
        const char *transition_key;
        const char *op_digest;
        const char *restart_digest; /* op-restart-digest: of the parameters below */
        const char *force_restart;  /* op-force-restart: " a b " */
        const char *feature_set;   /* crm_feature_set of the controller that ran it */
        bool secure_params;        /* op-secure-params given: digests cover more */
};

/* An lrm_resource: one resource's history on one node. */
struct cib_lrm_rsc {
        const char *id; /* as recorded: "rsc", "rsc:2" */
        const char *class, *provider, *type;
        struct cib_lrm_op *ops;
        size_t n_ops;
};

struct cib_node {
        const char *id;
        const char *uname;
        const char *type; /* "member" unless given */
        struct cib_attrs attrs;
        struct cib_attrs utilization;

        /* Status (node_state); present false when it has none. */
        bool has_state;
        int state_index;      /* position of its node_state in <status> */
        bool in_ccm;
        bool in_ccm_given;    /* the node_state has in_ccm at all */
        const char *crmd;     /* online / offline */
        const char *join;     /* member / down / pending / banned */
        const char *expected; /* member / down */
        struct cib_nv *transient;
        size_t n_transient;
        struct cib_lrm_rsc *lrm;
        size_t n_lrm;
};

struct cib {
        struct _xmlDoc *doc;
        bool have_quorum;
        const char *dc_uuid;
        time_t execution_date; /* execution-date of a saved transition input, or 0 */
        bool validation_disabled; /* validate-with="none" */
        bool no_quorum_panic;     /* the partition lost quorum it had */
        struct cib_attrs properties;
        struct cib_attrs rsc_defaults;
        struct cib_attrs op_defaults;
        struct cib_node *nodes;
        size_t n_nodes;
        struct cib_resource **resources; /* top-level, in document order */
        size_t n_resources;
        struct cib_location *locations;
        size_t n_locations;
        struct cib_colocation *colocations;
        size_t n_colocations;
        struct cib_order *orders;
        size_t n_orders;
};

/* Parses a CIB from memory. On failure returns a negative errno and, for
 * -EINVAL, a message naming the element's path and id in why. */
int cib_parse(const char *data, size_t size, struct cib **ret, char *why, size_t why_size);

/* Same, from a file. */
int cib_load(const char *path, struct cib **ret, char *why, size_t why_size);

void cib_free(struct cib *c);

/* Lookups; NULL when absent. A clone's child is found by its own id. */
struct cib_resource *cib_find_resource(const struct cib *c, const char *id);
struct cib_node *cib_find_node(const struct cib *c, const char *uname);

/* Role names as Pacemaker 2.1 prints them ("Promoted", "Unpromoted");
 * the legacy "Master"/"Slave" are accepted by cib_role_parse. */
const char *cib_role_name(enum cib_role r);
int cib_role_parse(const char *s, enum cib_role *ret);

/* A score from text: integers, INFINITY, +INFINITY, -INFINITY. -EINVAL
 * when malformed. */
int cib_score_parse(const char *s, int *ret);

/* Pacemaker's interval/timeout syntax: "10", "10s", "5min", "1h",
 * "500ms", ISO 8601 "PT10S". Result in milliseconds; -EINVAL if bad. */
int cib_duration_ms(const char *s, unsigned *ret);

/* Context a rule is evaluated in. */
struct cib_rule_ctx {
        /* A node attribute (including #uname), or NULL when unset. */
        const char *(*node_attr)(const void *data, const char *name);
        const void *data;
        time_t now;
};

/* Evaluates a <rule>: true when it matches. */
bool cib_rule_matches(const struct _xmlNode *rule, const struct cib_rule_ctx *ctx);

/* Checks a <rule> and its expressions at load time; -EINVAL with a
 * message naming the path and id. */
int cib_rule_validate(const struct _xmlNode *rule, char *why, size_t why_size);

/* The value of name in attrs for the context: sets sorted by score, the
 * first set whose rule matches and which has the name wins. NULL if none. */
const char *cib_attrs_get(const struct cib_attrs *attrs, const char *name, const struct cib_rule_ctx *ctx);

/* A node's transient attribute, or NULL. */
const char *cib_node_transient(const struct cib_node *n, const char *name);

/* An attribute of an element of the model's document (rules keep their
 * element), pointing into the document; NULL when absent. */
const char *cib_xattr(const struct _xmlNode *n, const char *name);

/* Path of an element for messages: "/cib/configuration/resources/primitive[@id='x']". */
void cib_xml_path(const struct _xmlNode *n, char *buf, size_t size);
