/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_internal.h: helpers shared by the crmsh language files: error
 * messages with positions, the token cursor of the parser, and small
 * libxml2 accessors that do not allocate. Not for use outside src/cib. */
#pragma once

#include <stdarg.h>
#include <libxml/tree.h>

#include "crm.h"

/* Formats "NAME:LINE:COL: message" (or "NAME: message" when pos is 0:0,
 * or just the message when name is NULL) into err and returns -EINVAL. */
int crm_error_at(struct crm_error *err, const char *name, struct crm_pos pos,
                 const char *fmt, ...) _printf_(4, 5);


/* ---- the parser's view of one statement ---- */

struct crm_cursor {
        struct crm_script *script;
        const struct crm_stmt *st;
        size_t i;
        struct crm_error *err;
};

static inline const struct crm_token *crm_peek(const struct crm_cursor *c) {
        return c->i < c->st->n_tokens ? &c->st->tokens[c->i] : NULL;
}

static inline const struct crm_token *crm_next(struct crm_cursor *c) {
        const struct crm_token *t = crm_peek(c);

        if (t)
                c->i++;
        return t;
}

/* An error at token t, or just past the last word when t is NULL. */
int crm_fail(struct crm_cursor *c, const struct crm_token *t, const char *fmt, ...) _printf_(3, 4);

/* The next word, which must exist: else an error saying what was
 * expected (what: "a resource id"). */
int crm_expect(struct crm_cursor *c, const char *what, const struct crm_token **ret);

/* True if s is usable as an XML id: a letter or '_' then letters,
 * digits, '_', '-', '.'. */
bool crm_valid_id(const char *s);

/* The vocabularies (crm_words.c): order actions, rule operators and
 * value types, date fields, agent classes, the characters of agent
 * names. */
bool crm_is_action(const char *s);
bool crm_is_op_attribute(const char *s);
bool crm_is_binary_op(const char *s);
bool crm_is_value_type(const char *s);
bool crm_is_date_field(const char *s);
bool crm_is_agent_class(const char *s);
bool crm_valid_agent_word(const char *s);

/* Whether the words of the language say all of element n (of kind) so
 * that they read back; if not, show prints it as xml (crm_printable.c). */
bool crm_printable(const xmlNode *n, enum crm_kind kind);

/* Reads the next word as a new object id. */
int crm_expect_id(struct crm_cursor *c, const char *what, const struct crm_token **ret);

/* Parses name=value pairs into nvpair children of set (created under
 * parent with element name set_name when NULL is passed in *set) until a
 * word without '='. A leading $id=X names the set. meta (true for
 * meta_attributes) applies crmsh's renames (master-max -> promoted-max)
 * and checks target-role. At least min pairs. */
int crm_parse_nvpairs(struct crm_cursor *c, xmlNode *parent, const char *set_name,
                      bool meta, size_t min, xmlNode **ret_set);

/* Splits "name=value" at the first '='. NULL value when there is none. */
int crm_split_nvpair(const char *word, char **ret_name, char **ret_value);

/* Object bookkeeping for the statement parsers. */
int crm_object_add_word(struct crm_word **words, size_t *n, const struct crm_token *t, const char *text);
void crm_object_done(struct crm_object *o);

/* The constraint statements (crm_parse_constraint.c). */
int crm_parse_location(struct crm_cursor *c, struct crm_object *o);
int crm_parse_colocation(struct crm_cursor *c, struct crm_object *o);
int crm_parse_order(struct crm_cursor *c, struct crm_object *o);

/* ---- libxml2 without allocation ---- */

/* The value of attribute name of n, or NULL. Points into the tree. */
const char *crm_xml_get(const xmlNode *n, const char *name);

/* Sets attribute name to value (replacing). -ENOMEM on failure. */
int crm_xml_set(xmlNode *n, const char *name, const char *value);

static inline bool crm_xml_is(const xmlNode *n, const char *name) {
        return n && n->type == XML_ELEMENT_NODE && streq((const char *) n->name, name);
}

/* First element child of n (with that name when name is not NULL). */
xmlNode *crm_xml_first(const xmlNode *n, const char *name);
/* Next element sibling of n (with that name when name is not NULL). */
xmlNode *crm_xml_next(const xmlNode *n, const char *name);

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlNode *, xmlFreeNode)

#define crm_xml_foreach(child, parent)                                         \
        for (xmlNode *child = crm_xml_first((parent), NULL); child;            \
             child = crm_xml_next(child, NULL))

/* A new element name appended to parent (or unlinked in doc when parent
 * is NULL). NULL when out of memory. */
xmlNode *crm_xml_new(xmlDoc *doc, xmlNode *parent, const char *name);

/* Appends an nvpair name=value to set. */
int crm_xml_nvpair(xmlNode *set, const char *name, const char *value);

/* crmsh's sort key of object n (of kind) in `show`: nodes first, then
 * templates, primitives, bundles, groups, ms, clones, constraints,
 * tickets, properties and defaults. */
int crm_kind_order(const xmlNode *n, enum crm_kind kind);

/* Moves the resources inside a clone or group to the top of the
 * resources section, so that removing or replacing the container does
 * not take them along. */
int crm_unwrap(xmlDoc *cib, xmlNode *container);

/* The resource elements: primitive, group, clone, master, bundle. */
bool crm_xml_is_resource(const xmlNode *n);
