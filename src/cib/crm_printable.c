/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_printable.c: whether the words of the crmsh language say all of a
 * CIB element, so that `show` then `edit` gives it back unchanged. What
 * they cannot say (resource sets, templates, odd attributes, anything
 * written by hand in XML) show prints as `xml <...>` instead, so that no
 * edit ever drops a part of the CIB silently. */
#include "crm.h"
#include "crm_internal.h"

/* Every attribute of n is in the NULL-terminated list. */
static bool only_attrs(const xmlNode *n, const char *const *allowed) {
        for (const xmlAttr *a = n->properties; a; a = a->next) {
                bool ok = false;

                for (const char *const *p = allowed; *p && !ok; p++)
                        ok = streq((const char *) a->name, *p);
                if (!ok || !crm_xml_get(n, (const char *) a->name))
                        return false;
        }
        return true;
}

#define ONLY(n, ...) only_attrs((n), (const char *const[]) { __VA_ARGS__, NULL })

static bool ok_id(const char *v) {
        return v && crm_valid_id(v);
}

static bool ok_role(const char *v) {
        return !v || crm_role_parse(v);
}

static bool ok_score(const char *v) {
        char buf[32];

        return v && crm_score_parse(v, buf, sizeof(buf)) >= 0;
}

/* A name in name=value: the parser splits at the first '=' and takes a
 * leading '$' for itself. */
static bool ok_name(const char *v) {
        return v && *v && *v != '$' && !strchr(v, '=');
}

/* A word that must not be split on ':' or '=' (node names). */
static bool ok_plain(const char *v) {
        return v && *v && !strpbrk(v, ":=");
}

/* An attribute set of nvpairs only, each with a name and a value. */
static bool ok_set(const xmlNode *set) {
        if (!ONLY(set, "id"))
                return false;
        crm_xml_foreach(nv, set) {
                if (!crm_xml_is(nv, "nvpair") || !ONLY(nv, "id", "name", "value") ||
                    !ok_name(crm_xml_get(nv, "name")) || !crm_xml_get(nv, "value"))
                        return false;
                if (crm_xml_is(set, "meta_attributes") && streq(crm_xml_get(nv, "name"), "target-role") &&
                    !crm_role_parse(crm_xml_get(nv, "value")))
                        return false;
        }
        return true;
}

/* The children of n are attribute sets of the given names, or pass more
 * (which may be NULL). */
static bool ok_children(const xmlNode *n, const char *const *sets, bool (*more)(const xmlNode *c)) {
        crm_xml_foreach(c, n) {
                bool ok = false;

                for (const char *const *p = sets; *p && !ok; p++)
                        ok = crm_xml_is(c, *p) && ok_set(c);
                if (!ok && !(more && more(c)))
                        return false;
        }
        return true;
}

#define CHILDREN(n, more, ...) ok_children((n), (const char *const[]) { __VA_ARGS__, NULL }, (more))

static bool ok_op(const xmlNode *op) {
        if (!crm_xml_is(op, "op") || !ok_id(crm_xml_get(op, "name")) || !ok_role(crm_xml_get(op, "role")))
                return false;
        for (const xmlAttr *a = op->properties; a; a = a->next)
                if (!streq((const char *) a->name, "id") && !crm_is_op_attribute((const char *) a->name))
                        return false;
        return CHILDREN(op, NULL, "instance_attributes", "meta_attributes");
}

static bool primitive_child(const xmlNode *c) {
        if (!crm_xml_is(c, "operations") || !ONLY(c, "id"))
                return false;
        crm_xml_foreach(op, c)
                if (!ok_op(op))
                        return false;
        return true;
}

static bool ok_primitive(const xmlNode *n) {
        const char *class = crm_xml_get(n, "class"), *provider = crm_xml_get(n, "provider"),
                   *type = crm_xml_get(n, "type");

        if (!ONLY(n, "id", "class", "provider", "type", "description") || !class || !type ||
            !crm_is_agent_class(class) || !crm_valid_agent_word(type) ||
            streq(class, "ocf") != (provider != NULL) || (provider && !crm_valid_agent_word(provider)))
                return false;
        return CHILDREN(n, primitive_child, "instance_attributes", "meta_attributes", "utilization");
}

static bool resource_child(const xmlNode *c) {
        return (crm_xml_is(c, "primitive") || (crm_xml_is(c, "group") && !crm_xml_is(c->parent, "group"))) &&
               ok_id(crm_xml_get(c, "id"));
}

static bool ok_container(const xmlNode *n) {
        size_t resources = 0;

        crm_xml_foreach(c, n)
                resources += crm_xml_is_resource(c);
        if (!ONLY(n, "id", "description") || resources == 0 || (!crm_xml_is(n, "group") && resources > 1))
                return false;
        return crm_xml_is(n, "group") ? CHILDREN(n, resource_child, "meta_attributes")
                                      : CHILDREN(n, resource_child, "meta_attributes", "instance_attributes");
}

static bool ok_node(const xmlNode *n) {
        const char *type = crm_xml_get(n, "type");

        if (!ONLY(n, "id", "uname", "type", "description") || !ok_plain(crm_xml_get(n, "id")) ||
            (crm_xml_get(n, "uname") && !ok_plain(crm_xml_get(n, "uname"))) ||
            (type && !streq(type, "member") && !streq(type, "remote") && !streq(type, "ping")))
                return false;
        return CHILDREN(n, NULL, "instance_attributes", "utilization");
}

static bool ok_expression(const xmlNode *e) {
        const char *op = crm_xml_get(e, "operation"), *attr = crm_xml_get(e, "attribute");
        bool unary = op && (streq(op, "defined") || streq(op, "not_defined"));

        if (crm_xml_first(e, NULL) || !ONLY(e, "id", "operation", "attribute", "value", "type") || !op || !attr ||
            !*attr)
                return false;
        /* An attribute named like a keyword would read as that keyword. */
        if (streq(attr, "date") || streq(attr, "defined") || streq(attr, "not_defined") || streq(attr, "rule") ||
            streq(attr, "and") || streq(attr, "or") || crm_is_binary_op(attr))
                return false;
        if (crm_xml_get(e, "type") && !crm_is_value_type(crm_xml_get(e, "type")))
                return false;
        return unary ? !crm_xml_get(e, "value") && !crm_xml_get(e, "type")
                     : crm_is_binary_op(op) && crm_xml_get(e, "value");
}

static bool ok_date_expression(const xmlNode *e) {
        const char *op = crm_xml_get(e, "operation");
        const xmlNode *sub = crm_xml_first(e, NULL);

        if (!op || !ONLY(e, "id", "operation", "start", "end") || (sub && crm_xml_next(sub, NULL)))
                return false;
        if (streq(op, "gt") || streq(op, "lt"))
                return !sub && ONLY(e, "id", "operation", streq(op, "gt") ? "start" : "end") &&
                       crm_xml_get(e, streq(op, "gt") ? "start" : "end");
        if (streq(op, "in_range") && !crm_xml_get(e, "start") && !crm_xml_get(e, "end"))
                return false;
        if (!streq(op, "in_range") && !streq(op, "date_spec"))
                return false;
        if (streq(op, "date_spec") && (!sub || !ONLY(e, "id", "operation")))
                return false;
        if (sub) {
                if (!crm_xml_is(sub, streq(op, "in_range") ? "duration" : "date_spec") || crm_xml_first(sub, NULL) ||
                    !sub->properties)
                        return false;
                for (const xmlAttr *a = sub->properties; a; a = a->next)
                        if (!streq((const char *) a->name, "id") && !crm_is_date_field((const char *) a->name))
                                return false;
        }
        return true;
}

static bool ok_rule(const xmlNode *rule) {
        const char *score = crm_xml_get(rule, "score"), *attr = crm_xml_get(rule, "score-attribute"),
                   *boolop = crm_xml_get(rule, "boolean-op");

        if (!crm_xml_is(rule, "rule") || !ONLY(rule, "id", "role", "score", "score-attribute", "boolean-op") ||
            !ok_role(crm_xml_get(rule, "role")) || !crm_xml_first(rule, NULL))
                return false;
        if (score ? attr || !ok_score(score) : !ok_id(attr))
                return false;
        if (boolop && !streq(boolop, "and") && !streq(boolop, "or"))
                return false;
        crm_xml_foreach(e, rule)
                if (!(crm_xml_is(e, "expression") ? ok_expression(e) :
                      crm_xml_is(e, "date_expression") && ok_date_expression(e)))
                        return false;
        return true;
}

static bool ok_location(const xmlNode *n) {
        const char *node = crm_xml_get(n, "node"), *discovery = crm_xml_get(n, "resource-discovery");

        if (!ONLY(n, "id", "rsc", "role", "resource-discovery", "score", "node") || !ok_id(crm_xml_get(n, "rsc")) ||
            !ok_role(crm_xml_get(n, "role")))
                return false;
        if (discovery && !streq(discovery, "always") && !streq(discovery, "never") && !streq(discovery, "exclusive"))
                return false;
        if (node)
                return ok_plain(node) && ok_score(crm_xml_get(n, "score")) && !crm_xml_first(n, NULL);
        if (crm_xml_get(n, "score") || !crm_xml_first(n, NULL))
                return false;
        crm_xml_foreach(rule, n)
                if (!ok_rule(rule))
                        return false;
        return true;
}

static bool ok_colocation(const xmlNode *n) {
        return ONLY(n, "id", "score", "rsc", "with-rsc", "rsc-role", "with-rsc-role", "node-attribute") &&
               !crm_xml_first(n, NULL) && ok_score(crm_xml_get(n, "score")) && ok_id(crm_xml_get(n, "rsc")) &&
               ok_id(crm_xml_get(n, "with-rsc")) && ok_role(crm_xml_get(n, "rsc-role")) &&
               ok_role(crm_xml_get(n, "with-rsc-role"));
}

static bool ok_order(const xmlNode *n) {
        const char *kind = crm_xml_get(n, "kind"), *score = crm_xml_get(n, "score"),
                   *symm = crm_xml_get(n, "symmetrical"), *fa = crm_xml_get(n, "first-action"),
                   *ta = crm_xml_get(n, "then-action");

        if (!ONLY(n, "id", "kind", "score", "first", "then", "first-action", "then-action", "symmetrical") ||
            crm_xml_first(n, NULL) || !ok_id(crm_xml_get(n, "first")) || !ok_id(crm_xml_get(n, "then")) ||
            (kind && score) || (fa && !crm_is_action(fa)) || (ta && !crm_is_action(ta)))
                return false;
        if (kind && !streq(kind, "Mandatory") && !streq(kind, "Optional") && !streq(kind, "Serialize"))
                return false;
        if (score && !ok_score(score))
                return false;
        return !symm || streq(symm, "true") || streq(symm, "false");
}

bool crm_printable(const xmlNode *n, enum crm_kind kind) {
        switch (kind) {
        case CRM_NODE:
                return ok_node(n);
        case CRM_PRIMITIVE:
                return ok_primitive(n);
        case CRM_GROUP:
        case CRM_MS:
        case CRM_CLONE:
                return ok_container(n);
        case CRM_LOCATION:
                return ok_location(n);
        case CRM_COLOCATION:
                return ok_colocation(n);
        case CRM_ORDER:
                return ok_order(n);
        case CRM_PROPERTY:
        case CRM_RSC_DEFAULTS:
        case CRM_OP_DEFAULTS:
                return ok_id(crm_xml_get(n, "id")) && ok_set(n);
        default:
                return false;
        }
}
