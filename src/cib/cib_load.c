/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_load.c: reads a CIB document into the model: the top-level
 * structure, crm_config, nodes and the defaults sections. Resources,
 * constraints and status have their own files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "cib_internal.h"

static int load_nodes(struct cib *c, const xmlNode *nodes, char *why, size_t why_size) {
        CIB_FOREACH_CHILD(n, nodes) {
                struct cib_node *node;
                int r;

                if (!cib_is(n, "node"))
                        return cib_error(why, why_size, n, "unknown element <%s> in <nodes>", (const char *) n->name);
                if (!cib_xattr(n, "id"))
                        return cib_error(why, why_size, n, "node without an id");
                node = cib_grow(&c->nodes, &c->n_nodes, sizeof(*node));
                if (!node)
                        return -ENOMEM;
                node->id = cib_xattr(n, "id");
                node->uname = cib_xattr(n, "uname");
                if (!node->uname)
                        node->uname = node->id;
                node->type = cib_xattr(n, "type");
                if (!node->type)
                        node->type = "member";
                r = cib_parse_attrs(n, "instance_attributes", &node->attrs, why, why_size);
                if (r < 0)
                        return r;
                r = cib_parse_attrs(n, "utilization", &node->utilization, why, why_size);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_configuration(struct cib *c, const xmlNode *conf, char *why, size_t why_size) {
        int r;

        CIB_FOREACH_CHILD(n, conf) {
                if (cib_is(n, "crm_config"))
                        r = cib_parse_attrs(n, "cluster_property_set", &c->properties, why, why_size);
                else if (cib_is(n, "nodes"))
                        r = load_nodes(c, n, why, why_size);
                else if (cib_is(n, "resources"))
                        r = cib_load_resources(c, n, why, why_size);
                else if (cib_is(n, "constraints"))
                        r = cib_load_constraints(c, n, why, why_size);
                else if (cib_is(n, "rsc_defaults"))
                        r = cib_parse_attrs(n, "meta_attributes", &c->rsc_defaults, why, why_size);
                else if (cib_is(n, "op_defaults"))
                        r = cib_parse_attrs(n, "meta_attributes", &c->op_defaults, why, why_size);
                else if (cib_is(n, "fencing-topology") || cib_is(n, "acls") || cib_is(n, "tags") ||
                         cib_is(n, "alerts"))
                        r = 0; /* not used by the scheduler */
                else
                        r = cib_error(why, why_size, n, "unknown element <%s> in <configuration>",
                                      (const char *) n->name);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cib_parse(const char *data, size_t size, struct cib **ret, char *why, size_t why_size) {
        struct cib *c;
        xmlDoc *doc;
        xmlNode *root;
        const char *q;
        int r;

        if (size > INT32_MAX)
                return format_error(why, why_size, -EFBIG, "CIB too large");
        doc = xmlReadMemory(data, (int) size, "cib.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT |
                                    XML_PARSE_HUGE);
        if (!doc) {
                const xmlError *e = xmlGetLastError();

                return format_error(why, why_size, -EINVAL, "not well-formed XML%s%s",
                                    e && e->message ? ": " : "", e && e->message ? e->message : "\n");
        }
        root = xmlDocGetRootElement(doc);
        if (!cib_is(root, "cib")) {
                r = cib_error(why, why_size, root, "the document element is not <cib>");
                xmlFreeDoc(doc);
                return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                xmlFreeDoc(doc);
                return -ENOMEM;
        }
        c->doc = doc;
        q = cib_xattr(root, "have-quorum");
        c->have_quorum = q && (strcmp(q, "1") == 0 || strcasecmp(q, "true") == 0);
        c->dc_uuid = cib_xattr(root, "dc-uuid");
        q = cib_xattr(root, "validate-with");
        c->validation_disabled = q && strcasecmp(q, "none") == 0;
        q = cib_xattr(root, "no-quorum-panic");
        c->no_quorum_panic = q && (strcmp(q, "1") == 0 || strcasecmp(q, "true") == 0);
        q = cib_xattr(root, "execution-date");
        if (q)
                c->execution_date = (time_t) strtoll(q, NULL, 10);
        r = 0;
        CIB_FOREACH_CHILD(n, root) {
                if (cib_is(n, "configuration"))
                        r = load_configuration(c, n, why, why_size);
                else if (cib_is(n, "status"))
                        continue; /* after the configuration: it refers to nodes */
                else
                        r = cib_error(why, why_size, n, "unknown element <%s> in <cib>", (const char *) n->name);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                CIB_FOREACH_CHILD(n, root)
                        if (cib_is(n, "status")) {
                                r = cib_load_status(c, n, why, why_size);
                                if (r < 0)
                                        break;
                        }
        if (r < 0) {
                cib_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int cib_load(const char *path, struct cib **ret, char *why, size_t why_size) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        r = read_file(path, &data, &len);
        if (r < 0)
                return format_error(why, why_size, r, "%s: %s", path, strerror(-r));
        return cib_parse(data, len, ret, why, why_size);
}

void cib_free(struct cib *c) {
        if (!c)
                return;
        cib_attrs_free(&c->properties);
        cib_attrs_free(&c->rsc_defaults);
        cib_attrs_free(&c->op_defaults);
        for (size_t i = 0; i < c->n_nodes; i++) {
                struct cib_node *n = &c->nodes[i];

                cib_attrs_free(&n->attrs);
                cib_attrs_free(&n->utilization);
                free(n->transient);
                for (size_t j = 0; j < n->n_lrm; j++)
                        free(n->lrm[j].ops);
                free(n->lrm);
        }
        free(c->nodes);
        for (size_t i = 0; i < c->n_resources; i++)
                cib_resource_free(c->resources[i]);
        free(c->resources);
        for (size_t i = 0; i < c->n_locations; i++)
                free(c->locations[i].rules);
        free(c->locations);
        free(c->colocations);
        free(c->orders);
        xmlFreeDoc(c->doc);
        free(c);
}

struct cib_node *cib_find_node(const struct cib *c, const char *uname) {
        for (size_t i = 0; i < c->n_nodes; i++)
                if (strcmp(c->nodes[i].uname, uname) == 0)
                        return &c->nodes[i];
        return NULL;
}

struct cib_resource *cib_find_resource(const struct cib *c, const char *id) {
        for (size_t i = 0; i < c->n_resources; i++) {
                struct cib_resource *r = c->resources[i];

                if (strcmp(r->id, id) == 0)
                        return r;
                if (r->child && strcmp(r->child->id, id) == 0)
                        return r->child;
        }
        return NULL;
}
