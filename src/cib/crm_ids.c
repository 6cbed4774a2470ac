/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_ids.c: the ids crmsh gives to the parts of an object: PARENT-NAME
 * for an nvpair, RSC-NAME-INTERVAL for an op, PARENT-instance_attributes,
 * PARENT-rule, PARENT-expression and so on, with -0, -1, ... appended
 * when the id is taken. */
#include <stdio.h>

#include "crm.h"
#include "crm_ids.h"
#include "crm_internal.h"

/* What crmsh appends to the parent's id for each element; NULL for the
 * elements that get no id (operations) or have their own. */
static const char *sub_suffix(const xmlNode *n) {
        static const char *const map[][2] = {
                { "instance_attributes", "instance_attributes" },
                { "meta_attributes", "meta_attributes" },
                { "utilization", "utilization" },
                { "rule", "rule" },
                { "expression", "expression" },
                { "date_expression", "expression" },
                { "duration", "duration" },
                { "date_spec", "date_spec" },
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (crm_xml_is(n, map[i][0]))
                        return map[i][1];
        return NULL;
}

static bool all_digits(const char *s) {
        return *s && strspn(s, "0123456789") == strlen(s);
}

/* Adds id -> n to ids; -EEXIST naming the id when another element has
 * it. */
static int remember(struct hashmap *ids, const char *id, xmlNode *n, const char **ret_dup) {
        int r;

        /* The id of a resource_ref (resource sets), obj_ref (tags) or
         * role_ref (ACLs) names another element; it is not an id. */
        if (hashmap_get(ids, id) == n || crm_xml_is(n, "resource_ref") || crm_xml_is(n, "obj_ref") ||
            crm_xml_is(n, "role_ref"))
                return 0;
        r = hashmap_put(ids, id, n);
        if (r == -EEXIST && ret_dup)
                *ret_dup = id;
        return r;
}

int crm_ids_collect(xmlNode *n, struct hashmap *ids, const char **ret_dup) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
                const char *id;
                int r;

                if (c->type != XML_ELEMENT_NODE || crm_xml_is(c, "status"))
                        continue;
                /* Node ids are of their own kind in Pacemaker's schema,
                 * but crmsh keeps one id space, and so do we. */
                id = crm_xml_get(c, "id");
                if (id && (r = remember(ids, id, c, ret_dup)) < 0)
                        return r;
                r = crm_ids_collect(c, ids, ret_dup);
                if (r < 0)
                        return r;
        }
        return 0;
}

void crm_ids_forget(xmlNode *n, struct hashmap *ids) {
        const char *id = crm_xml_get(n, "id");

        if (id && hashmap_get(ids, id) == n)
                hashmap_remove(ids, id);
        for (xmlNode *c = n->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        crm_ids_forget(c, ids);
}

/* The id crmsh would give n under a parent whose id is pfx. */
static int make_id(const xmlNode *n, const char *pfx, struct hashmap *ids, char *buf, size_t size) {
        const char *suffix = sub_suffix(n);
        char base[512];
        int l;

        if (all_digits(pfx))
                snprintf(base, sizeof(base), "num-%s", pfx);
        else
                snprintf(base, sizeof(base), "%s", pfx);
        if (crm_xml_is(n, "nvpair"))
                l = snprintf(buf, size, "%s-%s", base, crm_xml_get(n, "name") ?: "");
        else if (crm_xml_is(n, "op") && crm_xml_get(n, "interval"))
                l = snprintf(buf, size, "%s-%s-%s", base, crm_xml_get(n, "name") ?: "", crm_xml_get(n, "interval"));
        else if (crm_xml_is(n, "op"))
                l = snprintf(buf, size, "%s-%s", base, crm_xml_get(n, "name") ?: "");
        else
                l = snprintf(buf, size, "%s-%s", base, suffix);
        if (l < 0 || (size_t) l >= size - 8)
                return -ENAMETOOLONG;
        if (!hashmap_contains(ids, buf))
                return 0;
        for (int i = 0; i < 1000; i++) {
                snprintf(buf + l, size - l, "-%d", i);
                if (!hashmap_contains(ids, buf))
                        return 0;
        }
        return -EEXIST;
}

static bool needs_id(const xmlNode *n) {
        return sub_suffix(n) || crm_xml_is(n, "nvpair") || crm_xml_is(n, "op");
}

int crm_ids_assign(xmlNode *n, const char *pfx, struct hashmap *ids, const char **ret_dup) {
        for (xmlNode *c = n->children; c; c = c->next) {
                const char *id;
                char buf[1024];
                int r;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                id = crm_xml_get(c, "id");
                if (!id && needs_id(c)) {
                        r = make_id(c, pfx, ids, buf, sizeof(buf));
                        if (r < 0)
                                return r;
                        r = crm_xml_set(c, "id", buf);
                        if (r < 0)
                                return r;
                        id = crm_xml_get(c, "id");
                }
                if (id && (r = remember(ids, id, c, ret_dup)) < 0)
                        return r;
                r = crm_ids_assign(c, id ? id : pfx, ids, ret_dup);
                if (r < 0)
                        return r;
        }
        return 0;
}
