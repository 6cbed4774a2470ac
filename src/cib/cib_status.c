/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_status.c: the <status> section: each node_state's membership and
 * join state, its transient attributes (fail counts, promotion scores)
 * and its operation history (lrm_resource / lrm_rsc_op). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cib_internal.h"

static int int_attr(const xmlNode *n, const char *name, int dflt, int *ret, char *why, size_t why_size) {
        const char *v = cib_xattr(n, name);
        long l;
        char *end;

        if (!v) {
                *ret = dflt;
                return 0;
        }
        l = strtol(v, &end, 10);
        if (end == v || *end || l < -2147483647L || l > 2147483647L)
                return cib_error(why, why_size, n, "invalid %s '%s'", name, v);
        *ret = (int) l;
        return 0;
}

static int load_op(struct cib_lrm_op *op, const xmlNode *n, char *why, size_t why_size) {
        const char *interval = cib_xattr(n, "interval");
        int lrc = 0, r;

        op->id = cib_xattr(n, "id");
        op->task = cib_xattr(n, "operation");
        if (!op->id || !op->task)
                return cib_error(why, why_size, n, "lrm_rsc_op without id or operation");
        op->op_key = cib_xattr(n, "operation_key");
        if (interval) {
                /* The history records intervals in milliseconds. */
                char *end;
                unsigned long v = strtoul(interval, &end, 10);

                if (end == interval || *end || v > 0xffffffffUL)
                        return cib_error(why, why_size, n, "invalid interval '%s'", interval);
                op->interval_ms = (unsigned) v;
        }
        if ((r = int_attr(n, "call-id", 0, &op->call_id, why, why_size)) < 0 ||
            (r = int_attr(n, "rc-code", 0, &op->rc, why, why_size)) < 0 ||
            (r = int_attr(n, "op-status", 0, &op->op_status, why, why_size)) < 0 ||
            (r = int_attr(n, "last-rc-change", 0, &lrc, why, why_size)) < 0)
                return r;
        op->last_rc_change = lrc;
        op->migrate_source = cib_xattr(n, "migrate_source");
        op->migrate_target = cib_xattr(n, "migrate_target");
        op->exit_reason = cib_xattr(n, "exit-reason");
        op->transition_key = cib_xattr(n, "transition-key");
        op->op_digest = cib_xattr(n, "op-digest");
        op->feature_set = cib_xattr(n, "crm_feature_set");
        op->secure_params = cib_xattr(n, "op-secure-params") != NULL;
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
