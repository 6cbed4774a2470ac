/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_constraints.c: the <constraints> section: rsc_location (score or
 * rules), rsc_colocation (roles, score, node attribute, influence) and
 * rsc_order (actions, kind, symmetry). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cib_internal.h"

static int parse_role(const xmlNode *n, const char *attr, enum cib_role *ret, char *why, size_t why_size) {
        const char *v = cib_xattr(n, attr);

        *ret = CIB_ROLE_UNKNOWN;
        if (!v)
                return 0;
        if (cib_role_parse(v, ret) < 0)
                return cib_error(why, why_size, n, "invalid %s '%s'", attr, v);
        /* "Started" in a constraint means any active role. */
        if (*ret == CIB_ROLE_STARTED)
                *ret = CIB_ROLE_UNKNOWN;
        return 0;
}

static bool is_true(const char *v) {
        return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 ||
                     strcasecmp(v, "on") == 0);
}

static int load_location(struct cib *c, const xmlNode *n, char *why, size_t why_size) {
        struct cib_location *l;
        const char *score = cib_xattr(n, "score");
        int r;

        if (!cib_xattr(n, "rsc"))
                return cib_error(why, why_size, n, "rsc_location without rsc (resource sets are not supported)");
        l = cib_grow(&c->locations, &c->n_locations, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->id = cib_xattr(n, "id");
        l->rsc = cib_xattr(n, "rsc");
        l->node = cib_xattr(n, "node");
        l->discovery = cib_xattr(n, "resource-discovery");
        r = parse_role(n, "role", &l->role, why, why_size);
        if (r < 0)
                return r;
        if (l->node) {
                if (!score)
                        return cib_error(why, why_size, n, "rsc_location with a node but no score");
                if (cib_score_parse(score, &l->score) < 0)
                        return cib_error(why, why_size, n, "invalid score '%s'", score);
        }
        CIB_FOREACH_CHILD(rule, n) {
                const xmlNode **slot;

                if (!cib_is(rule, "rule"))
                        return cib_error(why, why_size, rule, "unsupported element <%s> in <rsc_location>",
                                         (const char *) rule->name);
                r = cib_rule_validate(rule, why, why_size);
                if (r < 0)
                        return r;
                slot = cib_grow(&l->rules, &l->n_rules, sizeof(*slot));
                if (!slot)
                        return -ENOMEM;
                *slot = rule;
        }
        if (!l->node && l->n_rules == 0)
                return cib_error(why, why_size, n, "rsc_location with neither node nor rule");
        return 0;
}

static int load_colocation(struct cib *c, const xmlNode *n, char *why, size_t why_size) {
        struct cib_colocation *co;
        const char *score = cib_xattr(n, "score");
        const char *influence = cib_xattr(n, "influence");
        int r;

        if (!cib_xattr(n, "rsc") || !cib_xattr(n, "with-rsc"))
                return cib_error(why, why_size, n, "rsc_colocation without rsc and with-rsc (resource sets are not supported)");
        co = cib_grow(&c->colocations, &c->n_colocations, sizeof(*co));
        if (!co)
                return -ENOMEM;
        co->id = cib_xattr(n, "id");
        co->rsc = cib_xattr(n, "rsc");
        co->with_rsc = cib_xattr(n, "with-rsc");
        co->node_attribute = cib_xattr(n, "node-attribute");
        if (!co->node_attribute)
                co->node_attribute = "#uname";
        co->influence = !influence || is_true(influence);
        if (!score || cib_score_parse(score, &co->score) < 0)
                return cib_error(why, why_size, n, "missing or invalid score '%s'", score ? score : "");
        r = parse_role(n, "rsc-role", &co->rsc_role, why, why_size);
        if (r < 0)
                return r;
        return parse_role(n, "with-rsc-role", &co->with_role, why, why_size);
}

static int load_order(struct cib *c, const xmlNode *n, char *why, size_t why_size) {
        struct cib_order *o;
        const char *kind = cib_xattr(n, "kind");
        const char *score = cib_xattr(n, "score");
        const char *sym = cib_xattr(n, "symmetrical");

        if (!cib_xattr(n, "first") || !cib_xattr(n, "then"))
                return cib_error(why, why_size, n, "rsc_order without first and then (resource sets are not supported)");
        o = cib_grow(&c->orders, &c->n_orders, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->id = cib_xattr(n, "id");
        o->first = cib_xattr(n, "first");
        o->then = cib_xattr(n, "then");
        o->first_action = cib_xattr(n, "first-action");
        o->then_action = cib_xattr(n, "then-action");
        if (!o->first_action)
                o->first_action = "start";
        if (!o->then_action)
                o->then_action = o->first_action;
        o->kind = CIB_ORDER_MANDATORY;
        if (kind) {
                if (strcasecmp(kind, "Optional") == 0)
                        o->kind = CIB_ORDER_OPTIONAL;
                else if (strcasecmp(kind, "Serialize") == 0)
                        o->kind = CIB_ORDER_SERIALIZE;
                else if (strcasecmp(kind, "Mandatory") != 0)
                        o->kind = CIB_ORDER_MANDATORY; /* Pacemaker treats unknown kinds as mandatory */
        } else if (score) {
                int s;

                if (cib_score_parse(score, &s) < 0)
                        return cib_error(why, why_size, n, "invalid score '%s'", score);
                if (s == 0)
                        o->kind = CIB_ORDER_OPTIONAL;
        }
        o->symmetrical = sym ? is_true(sym) : o->kind != CIB_ORDER_SERIALIZE;
        o->require_all = !cib_xattr(n, "require-all") || is_true(cib_xattr(n, "require-all"));
        return 0;
}

int cib_load_constraints(struct cib *c, const xmlNode *constraints, char *why, size_t why_size) {
        CIB_FOREACH_CHILD(n, constraints) {
                int r;

                if (!cib_xattr(n, "id"))
                        return cib_error(why, why_size, n, "<%s> without an id", (const char *) n->name);
                if (cib_is(n, "rsc_location"))
                        r = load_location(c, n, why, why_size);
                else if (cib_is(n, "rsc_colocation"))
                        r = load_colocation(c, n, why, why_size);
                else if (cib_is(n, "rsc_order"))
                        r = load_order(c, n, why, why_size);
                else if (cib_is(n, "rsc_ticket"))
                        r = 0;
                else
                        r = cib_error(why, why_size, n, "unknown constraint <%s>", (const char *) n->name);
                if (r < 0)
                        return r;
        }
        return 0;
}
