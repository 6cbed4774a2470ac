/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_xml.c: the few libxml2 accessors the crmsh language needs, without
 * the allocate-and-free dance of xmlGetProp, and the lookups of objects
 * in a CIB document. */
#include "crm.h"
#include "crm_internal.h"

const char *crm_xml_get(const xmlNode *n, const char *name) {
        if (!n || n->type != XML_ELEMENT_NODE)
                return NULL;
        for (const xmlAttr *a = n->properties; a; a = a->next)
                if (streq((const char *) a->name, name)) {
                        const xmlNode *t = a->children;

                        if (!t)
                                return "";
                        return t->type == XML_TEXT_NODE && !t->next ? (const char *) t->content : NULL;
                }
        return NULL;
}

int crm_xml_set(xmlNode *n, const char *name, const char *value) {
        return xmlSetProp(n, (const xmlChar *) name, (const xmlChar *) value) ? 0 : -ENOMEM;
}

xmlNode *crm_xml_next(const xmlNode *n, const char *name) {
        for (n = n ? n->next : NULL; n; n = n->next)
                if (n->type == XML_ELEMENT_NODE && (!name || streq((const char *) n->name, name)))
                        return (xmlNode *) n;
        return NULL;
}

xmlNode *crm_xml_first(const xmlNode *n, const char *name) {
        for (n = n ? n->children : NULL; n; n = n->next)
                if (n->type == XML_ELEMENT_NODE && (!name || streq((const char *) n->name, name)))
                        return (xmlNode *) n;
        return NULL;
}

xmlNode *crm_xml_new(xmlDoc *doc, xmlNode *parent, const char *name) {
        xmlNode *n = xmlNewDocNode(doc, NULL, (const xmlChar *) name, NULL);

        if (n && parent && !xmlAddChild(parent, n)) {
                xmlFreeNode(n);
                return NULL;
        }
        return n;
}

int crm_xml_nvpair(xmlNode *set, const char *name, const char *value) {
        xmlNode *n = crm_xml_new(set->doc, set, "nvpair");

        if (!n || crm_xml_set(n, "name", name) < 0 || crm_xml_set(n, "value", value) < 0)
                return -ENOMEM;
        return 0;
}

bool crm_xml_is_resource(const xmlNode *n) {
        return crm_xml_is(n, "primitive") || crm_xml_is(n, "group") || crm_xml_is(n, "clone") ||
               crm_xml_is(n, "master") || crm_xml_is(n, "bundle");
}

enum crm_kind crm_kind_of(const xmlNode *n) {
        static const struct {
                const char *element, *parent;
                enum crm_kind kind;
        } map[] = {
                { "node", "nodes", CRM_NODE },
                { "primitive", NULL, CRM_PRIMITIVE },
                { "group", NULL, CRM_GROUP },
                { "master", "resources", CRM_MS },
                { "clone", "resources", CRM_CLONE },
                { "rsc_location", "constraints", CRM_LOCATION },
                { "rsc_colocation", "constraints", CRM_COLOCATION },
                { "rsc_order", "constraints", CRM_ORDER },
                { "cluster_property_set", "crm_config", CRM_PROPERTY },
                { "meta_attributes", "rsc_defaults", CRM_RSC_DEFAULTS },
                { "meta_attributes", "op_defaults", CRM_OP_DEFAULTS },
        };
        if (!n || n->type != XML_ELEMENT_NODE)
                return _CRM_KIND_MAX;
        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                if (!crm_xml_is(n, map[i].element))
                        continue;
                if (!map[i].parent || crm_xml_is(n->parent, map[i].parent))
                        return map[i].kind;
        }
        if (n->parent && n->parent->parent && crm_xml_is(n->parent->parent, "configuration"))
                return CRM_XML;
        return _CRM_KIND_MAX;
}

xmlNode *crm_cib_section(xmlDoc *cib, const char *section) {
        xmlNode *root = xmlDocGetRootElement(cib), *conf, *sec;

        if (!crm_xml_is(root, "cib"))
                return NULL;
        conf = crm_xml_first(root, "configuration");
        if (!conf) {
                conf = xmlNewDocNode(cib, NULL, (const xmlChar *) "configuration", NULL);
                if (!conf)
                        return NULL;
                /* configuration comes before status. */
                if (root->children ? !xmlAddPrevSibling(root->children, conf) : !xmlAddChild(root, conf)) {
                        xmlFreeNode(conf);
                        return NULL;
                }
        }
        if (!section)
                return conf;
        sec = crm_xml_first(conf, section);
        return sec ? sec : crm_xml_new(cib, conf, section);
}

/* Depth-first search for an object (an element crm_kind_of knows) with
 * that id below n. */
static xmlNode *find_object(xmlNode *n, const char *id) {
        crm_xml_foreach(c, n) {
                enum crm_kind k = crm_kind_of(c);
                const char *cid = crm_xml_get(c, "id");

                if (k == _CRM_KIND_MAX && !crm_xml_is(c, "rsc_defaults") && !crm_xml_is(c, "op_defaults") &&
                    !crm_xml_is(c, "resources") && !crm_xml_is(c, "constraints") &&
                    !crm_xml_is(c, "nodes") && !crm_xml_is(c, "crm_config"))
                        continue;
                if (k != _CRM_KIND_MAX && cid && streq(cid, id))
                        return c;
                xmlNode *found = find_object(c, id);
                if (found)
                        return found;
        }
        return NULL;
}

xmlNode *crm_cib_find(xmlDoc *cib, const char *id) {
        xmlNode *conf = crm_cib_section(cib, NULL);

        return conf ? find_object(conf, id) : NULL;
}

int crm_unwrap(xmlDoc *cib, xmlNode *container) {
        xmlNode *resources = crm_cib_section(cib, "resources"), *next;

        if (!resources)
                return -ENOMEM;
        for (xmlNode *c = crm_xml_first(container, NULL); c; c = next) {
                next = crm_xml_next(c, NULL);
                if (!crm_xml_is_resource(c))
                        continue;
                xmlUnlinkNode(c);
                if (!xmlAddChild(resources, c)) {
                        xmlFreeNode(c);
                        return -ENOMEM;
                }
        }
        return 0;
}
