/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_delete.c: removing objects from a CIB the way crmsh does: a clone
 * or group left empty goes too, and so does every constraint left naming
 * a resource that no longer exists ("hanging"). */
#include <stdio.h>

#include "crm.h"
#include "crm_internal.h"

static bool hanging(xmlDoc *cib, const xmlNode *c) {
        static const char *const attrs[] = { "rsc", "with-rsc", "first", "then" };

        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                const char *v = crm_xml_get(c, attrs[i]);
                if (v && !crm_xml_is_resource(crm_cib_find(cib, v)))
                        return true;
        }
        crm_xml_foreach(set, c)
                if (crm_xml_is(set, "resource_set"))
                        crm_xml_foreach(ref, set)
                                if (crm_xml_is(ref, "resource_ref") &&
                                    !crm_xml_is_resource(crm_cib_find(cib, crm_xml_get(ref, "id") ?: "")))
                                        return true;
        return false;
}

int crm_remove_hanging(xmlDoc *cib, struct buf *notes) {
        xmlNode *cons = crm_cib_section(cib, "constraints"), *resources = crm_cib_section(cib, "resources"), *next;

        if (!cons || !resources)
                return -ENOMEM;
        /* Clones and groups left without resources first: constraints
         * naming them hang then. */
        for (xmlNode *c = crm_xml_first(resources, NULL); c; c = next) {
                next = crm_xml_next(c, NULL);
                if ((crm_xml_is(c, "clone") || crm_xml_is(c, "master") || crm_xml_is(c, "group")) &&
                    !crm_xml_first(c, "primitive") && !crm_xml_first(c, "group")) {
                        if (notes)
                                buf_printf(notes, "%s %s deleted: it holds no resource\n", (const char *) c->name,
                                           crm_xml_get(c, "id") ?: "?");
                        xmlUnlinkNode(c);
                        xmlFreeNode(c);
                }
        }
        for (xmlNode *c = crm_xml_first(cons, NULL); c; c = next) {
                next = crm_xml_next(c, NULL);
                if (!hanging(cib, c))
                        continue;
                if (notes)
                        buf_printf(notes, "hanging %s %s deleted\n", crm_kind_name(crm_kind_of(c)),
                                   crm_xml_get(c, "id") ?: "?");
                xmlUnlinkNode(c);
                xmlFreeNode(c);
        }
        return 0;
}

int crm_delete_flags(xmlDoc *cib, char *const *ids, size_t n_ids, unsigned flags, struct buf *notes,
                     xmlDoc **ret, struct crm_error *err) {
        _cleanup_(xmlFreeDocp) xmlDoc *doc = xmlCopyDoc(cib, 1);
        int r;

        if (!doc || !crm_cib_section(doc, "resources"))
                return crm_error(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n_ids; i++) {
                xmlNode *n = crm_cib_find(doc, ids[i]), *parent;

                if (!n)
                        return crm_error(err, -ENOENT, "object '%s' does not exist", ids[i]);
                parent = n->parent;
                if ((flags & CRM_DELETE_UNWRAP) && crm_unwrap(doc, n) < 0)
                        return crm_error(err, -ENOMEM, "out of memory");
                xmlUnlinkNode(n);
                xmlFreeNode(n);
                /* A clone or group without resources is no object. */
                while ((crm_xml_is(parent, "clone") || crm_xml_is(parent, "master") || crm_xml_is(parent, "group")) &&
                       !crm_xml_first(parent, "primitive") && !crm_xml_first(parent, "group")) {
                        xmlNode *up = parent->parent;

                        if (notes)
                                buf_printf(notes, "%s %s deleted: it held only %s\n", (const char *) parent->name,
                                           crm_xml_get(parent, "id") ?: "?", ids[i]);
                        xmlUnlinkNode(parent);
                        xmlFreeNode(parent);
                        parent = up;
                }
        }
        if (!(flags & CRM_DELETE_KEEP_HANGING)) {
                r = crm_remove_hanging(doc, notes);
                if (r < 0)
                        return crm_error(err, r, "out of memory");
        }
        *ret = TAKE_PTR(doc);
        return 0;
}

int crm_delete(xmlDoc *cib, char *const *ids, size_t n_ids, struct buf *notes, xmlDoc **ret, struct crm_error *err) {
        return crm_delete_flags(cib, ids, n_ids, 0, notes, ret, err);
}
