/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_status.c: the <status> section: each node_state's membership and
 * join state, its transient attributes (fail counts, promotion scores)
 * and its operation history (lrm_resource / lrm_rsc_op). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cib_internal.h"

static int int_value(const xmlNode *n, const char *name, const char *v, int *ret, char *why, size_t why_size) {
        long l;
        char *end;

        l = strtol(v, &end, 10);
        if (end == v || *end || l < -2147483647L || l > 2147483647L)
                return cib_error(why, why_size, n, "invalid %s '%s'", name, v);
        *ret = (int) l;
        return 0;
}

/* One pass over the attributes: histories are by far the largest part of
 * a CIB, with some twenty attributes per entry. */
static int load_op(struct cib_lrm_op *op, const xmlNode *n, char *why, size_t why_size) {
        const char *interval = NULL, *call_id = NULL, *rc = NULL, *status = NULL, *lrc = NULL;
        int last = 0, r;

        for (const xmlAttr *a = n->properties; a; a = a->next) {
                const char *name = (const char *) a->name;
                const char *v = a->children && a->children->content ? (const char *) a->children->content : "";

                switch (name[0]) {
                case 'c':
                        if (strcmp(name, "call-id") == 0)
                                call_id = v;
                        else if (strcmp(name, "crm_feature_set") == 0)
                                op->feature_set = v;
                        break;
                case 'e':
                        if (strcmp(name, "exit-reason") == 0)
                                op->exit_reason = v;
                        break;
                case 'i':
                        if (strcmp(name, "id") == 0)
                                op->id = v;
                        else if (strcmp(name, "interval") == 0)
                                interval = v;
                        break;
                case 'l':
                        if (strcmp(name, "last-rc-change") == 0)
                                lrc = v;
                        break;
                case 'm':
                        if (strcmp(name, "migrate_source") == 0)
                                op->migrate_source = v;
                        else if (strcmp(name, "migrate_target") == 0)
                                op->migrate_target = v;
                        break;
                case 'o':
                        if (strcmp(name, "operation") == 0)
                                op->task = v;
                        else if (strcmp(name, "operation_key") == 0)
                                op->op_key = v;
                        else if (strcmp(name, "op-status") == 0)
                                status = v;
                        else if (strcmp(name, "op-digest") == 0)
                                op->op_digest = v;
                        else if (strcmp(name, "op-secure-params") == 0)
                                op->secure_params = true;
                        else if (strcmp(name, "op-restart-digest") == 0)
                                op->restart_digest = v;
                        else if (strcmp(name, "op-force-restart") == 0)
                                op->force_restart = v;
                        break;
                case 'r':
                        if (strcmp(name, "rc-code") == 0)
                                rc = v;
                        break;
                case 't':
                        if (strcmp(name, "transition-key") == 0)
                                op->transition_key = v;
                        break;
                }
        }
        if (!op->id || !op->task)
                return cib_error(why, why_size, n, "lrm_rsc_op without id or operation");
        if (interval) {
                /* The history records intervals in milliseconds. */
                char *end;
                unsigned long v = strtoul(interval, &end, 10);

                if (end == interval || *end || v > 0xffffffffUL)
                        return cib_error(why, why_size, n, "invalid interval '%s'", interval);
                op->interval_ms = (unsigned) v;
        }
        if ((call_id && (r = int_value(n, "call-id", call_id, &op->call_id, why, why_size)) < 0) ||
            (rc && (r = int_value(n, "rc-code", rc, &op->rc, why, why_size)) < 0) ||
            (status && (r = int_value(n, "op-status", status, &op->op_status, why, why_size)) < 0) ||
            (lrc && (r = int_value(n, "last-rc-change", lrc, &last, why, why_size)) < 0))
                return r;
        op->last_rc_change = last;
        return 0;
}

static int load_lrm(struct cib_node *node, const xmlNode *lrm, char *why, size_t why_size) {
        CIB_FOREACH_CHILD(set, lrm) {
                if (!cib_is(set, "lrm_resources"))
                        continue;
                CIB_FOREACH_CHILD(n, set) {
                        struct cib_lrm_rsc *rsc;

                        if (!cib_is(n, "lrm_resource"))
                                return cib_error(why, why_size, n, "unknown element <%s> in <lrm_resources>",
                                                 (const char *) n->name);
                        if (!cib_xattr(n, "id"))
                                return cib_error(why, why_size, n, "lrm_resource without an id");
                        rsc = cib_grow(&node->lrm, &node->n_lrm, sizeof(*rsc));
                        if (!rsc)
                                return -ENOMEM;
                        rsc->id = cib_xattr(n, "id");
                        rsc->class = cib_xattr(n, "class");
                        rsc->provider = cib_xattr(n, "provider");
                        rsc->type = cib_xattr(n, "type");
                        CIB_FOREACH_CHILD(o, n) {
                                struct cib_lrm_op *op;
                                int r;

                                if (!cib_is(o, "lrm_rsc_op"))
                                        continue;
                                op = cib_grow(&rsc->ops, &rsc->n_ops, sizeof(*op));
                                if (!op)
                                        return -ENOMEM;
                                r = load_op(op, o, why, why_size);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static int load_transient(struct cib_node *node, const xmlNode *t) {
        CIB_FOREACH_CHILD(set, t)
                CIB_FOREACH_CHILD(nv, set) {
                        struct cib_nv *slot;

                        if (!cib_is(nv, "nvpair") || !cib_xattr(nv, "name"))
                                continue;
                        slot = cib_grow(&node->transient, &node->n_transient, sizeof(*slot));
                        if (!slot)
                                return -ENOMEM;
                        slot->name = cib_xattr(nv, "name");
                        slot->value = cib_xattr(nv, "value");
                        if (!slot->value)
                                slot->value = "";
                }
        return 0;
}

int cib_load_status(struct cib *c, const xmlNode *status, char *why, size_t why_size) {
        int n_states = 0;

        CIB_FOREACH_CHILD(n, status) {
                struct cib_node *node = NULL;
                const char *id = cib_xattr(n, "id"), *in_ccm;
                int r;

                if (!cib_is(n, "node_state"))
                        return cib_error(why, why_size, n, "unknown element <%s> in <status>", (const char *) n->name);
                if (!id && !cib_xattr(n, "uname"))
                        return cib_error(why, why_size, n, "node_state without an id or uname");
                for (size_t i = 0; i < c->n_nodes && !node; i++)
                        if (id ? strcmp(c->nodes[i].id, id) == 0 : strcmp(c->nodes[i].uname, cib_xattr(n, "uname")) == 0)
                                node = &c->nodes[i];
                if (!node || node->has_state)
                        continue; /* a node no longer configured, or a duplicate */
                node->has_state = true;
                node->state_index = n_states++;
                in_ccm = cib_xattr(n, "in_ccm");
                node->in_ccm_given = in_ccm != NULL;
                node->in_ccm = in_ccm && (strcasecmp(in_ccm, "true") == 0 || strcmp(in_ccm, "1") == 0 ||
                                          strcasecmp(in_ccm, "yes") == 0 || atol(in_ccm) > 1);
                node->crmd = cib_xattr(n, "crmd");
                node->join = cib_xattr(n, "join");
                node->expected = cib_xattr(n, "expected");
                CIB_FOREACH_CHILD(part, n) {
                        if (cib_is(part, "transient_attributes"))
                                r = load_transient(node, part);
                        else if (cib_is(part, "lrm"))
                                r = load_lrm(node, part, why, why_size);
                        else
                                r = 0;
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
