/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_resources.c: the <resources> section: primitives with their
 * instance and meta attributes and operations, clones, promotable clones
 * and the legacy <master> element. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cib_internal.h"

static int load_op(struct cib_op *op, const xmlNode *n, char *why, size_t why_size) {
        const char *interval = cib_xattr(n, "interval");
        const char *timeout = cib_xattr(n, "timeout");
        const char *role = cib_xattr(n, "role");
        const char *enabled = cib_xattr(n, "enabled");
        int ret;

        op->id = cib_xattr(n, "id");
        op->name = cib_xattr(n, "name");
        if (!op->name)
                return cib_error(why, why_size, n, "operation without a name");
        if (!interval)
                interval = "0";
        if (cib_duration_ms(interval, &op->interval_ms) < 0)
                return cib_error(why, why_size, n, "invalid interval '%s'", interval);
        if (timeout && cib_duration_ms(timeout, &op->timeout_ms) < 0)
                return cib_error(why, why_size, n, "invalid timeout '%s'", timeout);
        if (role && cib_role_parse(role, &op->role) < 0)
                return cib_error(why, why_size, n, "invalid role '%s'", role);
        op->on_fail = cib_xattr(n, "on-fail");
        op->enabled = !enabled || !(strcasecmp(enabled, "false") == 0 || strcmp(enabled, "0") == 0 ||
                                    strcasecmp(enabled, "no") == 0);
        ret = cib_parse_attrs(n, "meta_attributes", &op->meta, why, why_size);
        if (ret < 0)
                return ret;
        return cib_parse_attrs(n, "instance_attributes", &op->params, why, why_size);
}

static int load_primitive(struct cib_resource *r, const xmlNode *n, char *why, size_t why_size) {
        int ret;

        r->kind = CIB_PRIMITIVE;
        r->class = cib_xattr(n, "class");
        r->provider = cib_xattr(n, "provider");
        r->type = cib_xattr(n, "type");
        if (!r->class || !r->type)
                return cib_error(why, why_size, n, "primitive without class or type");
        if (strcmp(r->class, "ocf") == 0 && !r->provider)
                return cib_error(why, why_size, n, "ocf primitive without a provider");
        CIB_FOREACH_CHILD(c, n) {
                if (cib_is(c, "operations")) {
                        CIB_FOREACH_CHILD(o, c) {
                                struct cib_op *op;

                                if (!cib_is(o, "op"))
                                        return cib_error(why, why_size, o, "unknown element <%s> in <operations>",
                                                         (const char *) o->name);
                                op = cib_grow(&r->ops, &r->n_ops, sizeof(*op));
                                if (!op)
                                        return -ENOMEM;
                                ret = load_op(op, o, why, why_size);
                                if (ret < 0)
                                        return ret;
                        }
                } else if (cib_is(c, "instance_attributes") || cib_is(c, "meta_attributes") ||
                           cib_is(c, "utilization"))
                        continue;
                else
                        return cib_error(why, why_size, c, "unknown element <%s> in <primitive>",
                                         (const char *) c->name);
        }
        ret = cib_parse_attrs(n, "instance_attributes", &r->params, why, why_size);
        if (ret < 0)
                return ret;
        return cib_parse_attrs(n, "meta_attributes", &r->meta, why, why_size);
}

static int load_resource(const xmlNode *n, struct cib_resource *parent, struct cib_resource **ret,
                         char *why, size_t why_size);

static int load_clone(struct cib_resource *r, const xmlNode *n, char *why, size_t why_size) {
        const char *v;
        int ret;

        r->kind = CIB_CLONE;
        r->legacy_master = cib_is(n, "master");
        ret = cib_parse_attrs(n, "meta_attributes", &r->meta, why, why_size);
        if (ret < 0)
                return ret;
        ret = cib_parse_attrs(n, "instance_attributes", &r->params, why, why_size);
        if (ret < 0)
                return ret;
        v = cib_attrs_get(&r->meta, "promotable", NULL);
        r->promotable = r->legacy_master || (v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
                                                   strcasecmp(v, "yes") == 0));
        CIB_FOREACH_CHILD(c, n) {
                if (cib_is(c, "meta_attributes") || cib_is(c, "instance_attributes"))
                        continue;
                if (!cib_is(c, "primitive"))
                        return cib_error(why, why_size, c, "unsupported element <%s> in <%s>",
                                         (const char *) c->name, (const char *) n->name);
                if (r->child)
                        return cib_error(why, why_size, c, "a clone holds exactly one resource");
                ret = load_resource(c, r, &r->child, why, why_size);
                if (ret < 0)
                        return ret;
        }
        if (!r->child)
                return cib_error(why, why_size, n, "clone without a resource");
        return 0;
}

static int load_resource(const xmlNode *n, struct cib_resource *parent, struct cib_resource **ret,
                         char *why, size_t why_size) {
        struct cib_resource *r;
        int e;

        if (!cib_xattr(n, "id") || !*cib_xattr(n, "id"))
                return cib_error(why, why_size, n, "<%s> without an id", (const char *) n->name);
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->id = cib_xattr(n, "id");
        r->parent = parent;
        if (cib_is(n, "primitive"))
                e = load_primitive(r, n, why, why_size);
        else if (cib_is(n, "clone") || cib_is(n, "master"))
                e = load_clone(r, n, why, why_size);
        else
                e = cib_error(why, why_size, n, "unsupported resource element <%s>", (const char *) n->name);
        if (e < 0) {
                cib_resource_free(r);
                return e;
        }
        *ret = r;
        return 0;
}

int cib_load_resources(struct cib *c, const xmlNode *resources, char *why, size_t why_size) {
        CIB_FOREACH_CHILD(n, resources) {
                struct cib_resource *r = NULL, **slot;
                int e;

                e = load_resource(n, NULL, &r, why, why_size);
                if (e < 0)
                        return e;
                if (cib_find_resource(c, r->id) || (r->child && cib_find_resource(c, r->child->id))) {
                        e = cib_error(why, why_size, n, "duplicate resource id '%s'", r->id);
                        cib_resource_free(r);
                        return e;
                }
                slot = cib_grow(&c->resources, &c->n_resources, sizeof(*slot));
                if (!slot) {
                        cib_resource_free(r);
                        return -ENOMEM;
                }
                *slot = r;
        }
        return 0;
}

void cib_resource_free(struct cib_resource *r) {
        if (!r)
                return;
        cib_attrs_free(&r->meta);
        cib_attrs_free(&r->params);
        for (size_t i = 0; i < r->n_ops; i++) {
                cib_attrs_free(&r->ops[i].meta);
                cib_attrs_free(&r->ops[i].params);
        }
        free(r->ops);
        cib_resource_free(r->child);
        free(r);
}
