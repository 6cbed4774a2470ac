/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_internal.h: helpers the CIB loader's files share: attribute access
 * on libxml2 nodes, growing arrays, and errors that name the element. */
#pragma once

#include <libxml/tree.h>

#include "cib.h"
#include "util.h"

/* An attribute's value, pointing into the document; NULL when absent. */
const char *cib_xattr(const xmlNode *n, const char *name);

/* Element children only, skipping text and comments. */
#define CIB_FOREACH_CHILD(c, parent)                                           \
        for (xmlNode *c = (parent) ? (parent)->children : NULL; c; c = c->next) \
                if (c->type == XML_ELEMENT_NODE)

static inline bool cib_is(const xmlNode *n, const char *name) {
        return n && n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, name) == 0;
}

/* Formats "PATH: MESSAGE" into why and returns -EINVAL. */
int cib_error(char *why, size_t size, const xmlNode *n, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Appends one zeroed element to *array (of *n elements of size elem);
 * returns it, or NULL when out of memory. */
void *cib_grow(void *array_p, size_t *n, size_t elem);

/* Parses an attribute set element (its nvpairs, rule and score). */
int cib_parse_nvset(const xmlNode *set, struct cib_nvset *ret, char *why, size_t why_size);

/* Appends every child set of parent named set_name (e.g.
 * "meta_attributes") to attrs. */
int cib_parse_attrs(const xmlNode *parent, const char *set_name, struct cib_attrs *attrs,
                    char *why, size_t why_size);

void cib_attrs_free(struct cib_attrs *a);

/* The element named element with this id (not a reference), or NULL. */
xmlNode *cib_find_by_id(xmlDoc *doc, const char *element, const char *id);

int cib_load_resources(struct cib *c, const xmlNode *resources, char *why, size_t why_size);
int cib_load_constraints(struct cib *c, const xmlNode *constraints, char *why, size_t why_size);
int cib_load_status(struct cib *c, const xmlNode *status, char *why, size_t why_size);
void cib_resource_free(struct cib_resource *r);
