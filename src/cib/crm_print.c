/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_print.c: a CIB as crmsh text, as `crm configure show` prints it:
 * objects sorted by kind then id, one object per statement with its
 * parts on continuation lines (" \" then a tab), and `show xml`. */
#include <ctype.h>
#include <stdio.h>

#include "crm.h"
#include "crm_internal.h"

struct entry {
        int order;
        const char *id;
        xmlNode *n;
        enum crm_kind kind;
};

struct entries {
        struct entry *v;
        size_t n;
};

/* crmsh quotes a value unless it is made of word characters, '.' and
 * '-'. Inside quotes it escapes '"'; we also escape '\' so that the text
 * reads back the same. */
static bool plain_value(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("_.-", *s) && !((unsigned char) *s & 0x80))
                        return false;
        return true;
}

/* Words other than values only need quotes when the lexer would split
 * or unescape them. */
static bool plain_word(const char *s) {
        return *s && !strpbrk(s, " \t\r\n\"'\\");
}

static void put_quoted(struct buf *b, const char *s, bool plain) {
        if (plain) {
                buf_append_str(b, s);
                return;
        }
        buf_putc(b, '"');
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        buf_putc(b, '\\');
                buf_putc(b, *s);
        }
        buf_putc(b, '"');
}

static void put_word(struct buf *b, const char *s) {
        put_quoted(b, s ?: "", plain_word(s ?: ""));
}

static void put_nvpair(struct buf *b, const char *name, const char *value) {
        put_word(b, name);
        buf_putc(b, '=');
        put_quoted(b, value ?: "", plain_value(value ?: ""));
}

/* Separates the parts of one object as crmsh does. */
static void next_part(struct buf *b) {
        buf_append_str(b, " \\\n\t");
}

static void put_score(struct buf *b, const char *score) {
        const char *inf = strstr(score, "INFINITY");

        if (inf)
                buf_printf(b, "%.*sinf", (int) (inf - score), score);
        else
                buf_append_str(b, score);
}

static size_t count_nvpairs(const xmlNode *set) {
        size_t n = 0;

        crm_xml_foreach(nv, set)
                n += crm_xml_is(nv, "nvpair");
        return n;
}

static void put_nvpairs(struct buf *b, const xmlNode *set) {
        crm_xml_foreach(nv, set)
                if (crm_xml_is(nv, "nvpair")) {
                        buf_putc(b, ' ');
                        put_nvpair(b, crm_xml_get(nv, "name"), crm_xml_get(nv, "value"));
                }
}

/* "params k=v ..." for an attribute set; nothing for an empty one. */
static void put_set(struct buf *b, const xmlNode *set, const char *keyword) {
        if (count_nvpairs(set) == 0)
                return;
        next_part(b);
        buf_append_str(b, keyword);
        put_nvpairs(b, set);
}

static void put_description(struct buf *b, const xmlNode *n) {
        const char *d = crm_xml_get(n, "description");

        if (d) {
                next_part(b);
                put_nvpair(b, "description", d);
        }
}

static void put_op(struct buf *b, const xmlNode *op) {
        next_part(b);
        buf_append_str(b, "op ");
        put_word(b, crm_xml_get(op, "name"));
        for (const xmlAttr *a = op->properties; a; a = a->next) {
                const char *name = (const char *) a->name;

                if (streq(name, "id") || streq(name, "name"))
                        continue;
                buf_putc(b, ' ');
                put_nvpair(b, name, crm_xml_get(op, name));
        }
        crm_xml_foreach(set, op) {
                if (crm_xml_is(set, "instance_attributes"))
                        put_set(b, set, "op_params");
                else if (crm_xml_is(set, "meta_attributes"))
                        put_set(b, set, "op_meta");
        }
}

static void put_agent(struct buf *b, const xmlNode *n) {
        const char *class = crm_xml_get(n, "class") ?: "", *provider = crm_xml_get(n, "provider"),
                   *type = crm_xml_get(n, "type") ?: "";

        /* crmsh leaves out ocf:heartbeat: */
        if (streq(class, "ocf") && provider && streq(provider, "heartbeat"))
                put_word(b, type);
        else if (provider)
                buf_printf(b, "%s:%s:%s", class, provider, type);
        else
                buf_printf(b, "%s:%s", class, type);
}

static void print_primitive(struct buf *b, const xmlNode *n) {
        buf_printf(b, "primitive %s ", crm_xml_get(n, "id"));
        put_agent(b, n);
        put_description(b, n);
        crm_xml_foreach(c, n) {
                if (crm_xml_is(c, "instance_attributes"))
                        put_set(b, c, "params");
                else if (crm_xml_is(c, "meta_attributes"))
                        put_set(b, c, "meta");
                else if (crm_xml_is(c, "utilization"))
                        put_set(b, c, "utilization");
                else if (crm_xml_is(c, "operations"))
                        crm_xml_foreach(op, c)
                                if (crm_xml_is(op, "op"))
                                        put_op(b, op);
        }
}

static void print_container(struct buf *b, const xmlNode *n, const char *keyword) {
        buf_printf(b, "%s %s", keyword, crm_xml_get(n, "id"));
        crm_xml_foreach(c, n)
                if (crm_xml_is_resource(c))
                        buf_printf(b, " %s", crm_xml_get(c, "id") ?: "");
        put_description(b, n);
        crm_xml_foreach(c, n) {
                if (crm_xml_is(c, "meta_attributes"))
                        put_set(b, c, "meta");
                else if (crm_xml_is(c, "instance_attributes"))
                        put_set(b, c, "params");
        }
}

static void print_node(struct buf *b, const xmlNode *n) {
        const char *id = crm_xml_get(n, "id"), *uname = crm_xml_get(n, "uname") ?: id, *type = crm_xml_get(n, "type");

        buf_append_str(b, "node ");
        if (!streq(id, uname)) {
                put_word(b, id);
                buf_append_str(b, ": ");
        }
        put_word(b, uname);
        if (type && !streq(type, "member"))
                buf_printf(b, ":%s", type);
        put_description(b, n);
        crm_xml_foreach(c, n) {
                if (crm_xml_is(c, "instance_attributes"))
                        put_set(b, c, "attributes");
                else if (crm_xml_is(c, "utilization"))
                        put_set(b, c, "utilization");
        }
}

static void put_rsc_role(struct buf *b, const xmlNode *n, const char *attr, const char *suffix_attr) {
        const char *rsc = crm_xml_get(n, attr);
        char name[64];
        const char *suffix;

        snprintf(name, sizeof(name), "%s-%s", attr, suffix_attr);
        suffix = crm_xml_get(n, name);
        buf_printf(b, " %s", rsc ?: "");
        if (suffix)
                buf_printf(b, ":%s", suffix);
}

static void put_expression(struct buf *b, const xmlNode *e) {
        const char *op = crm_xml_get(e, "operation") ?: "", *type = crm_xml_get(e, "type"),
                   *value = crm_xml_get(e, "value");

        if (crm_xml_is(e, "date_expression")) {
                const xmlNode *sub = crm_xml_first(e, NULL);

                buf_append_str(b, "date ");
                if (streq(op, "gt") || streq(op, "lt")) {
                        buf_printf(b, "%s ", op);
                        put_quoted(b, crm_xml_get(e, streq(op, "lt") ? "end" : "start") ?: "",
                                   plain_value(crm_xml_get(e, streq(op, "lt") ? "end" : "start") ?: ""));
                        return;
                }
                buf_append_str(b, streq(op, "in_range") ? "in" : streq(op, "date_spec") ? "spec" : op);
                for (const char *const *k = (const char *const[]) { "start", "end", NULL }; *k; k++)
                        if (crm_xml_get(e, *k)) {
                                buf_putc(b, ' ');
                                put_nvpair(b, *k, crm_xml_get(e, *k));
                        }
                if (sub)
                        for (const xmlAttr *a = sub->properties; a; a = a->next)
                                if (!streq((const char *) a->name, "id")) {
                                        buf_putc(b, ' ');
                                        put_nvpair(b, (const char *) a->name, crm_xml_get(sub, (const char *) a->name));
                                }
                return;
        }
        if (!value) {
                buf_printf(b, "%s ", op);
                put_word(b, crm_xml_get(e, "attribute"));
                return;
        }
        put_word(b, crm_xml_get(e, "attribute"));
        buf_putc(b, ' ');
        if (type)
                buf_printf(b, "%s:", type);
        buf_printf(b, "%s ", op);
        put_word(b, value);
}

static void put_rule(struct buf *b, const xmlNode *rule) {
        const char *role = crm_xml_get(rule, "role"), *score = crm_xml_get(rule, "score"),
                   *attr = crm_xml_get(rule, "score-attribute"), *boolop = crm_xml_get(rule, "boolean-op");
        bool first = true;

        next_part(b);
        buf_append_str(b, "rule");
        if (role)
                buf_printf(b, " $role=%s", role);
        if (score && !streq(score, "INFINITY")) {
                buf_putc(b, ' ');
                put_score(b, score);
                buf_putc(b, ':');
        } else if (!score && attr)
                buf_printf(b, " %s:", attr);
        crm_xml_foreach(e, rule) {
                if (!crm_xml_is(e, "expression") && !crm_xml_is(e, "date_expression"))
                        continue;
                if (!first)
                        buf_printf(b, " %s", boolop ?: "and");
                buf_putc(b, ' ');
                put_expression(b, e);
                first = false;
        }
}

static void print_location(struct buf *b, const xmlNode *n) {
        const char *node = crm_xml_get(n, "node");

        buf_printf(b, "location %s %s", crm_xml_get(n, "id"), crm_xml_get(n, "rsc") ?: "");
        for (const char *const *k = (const char *const[]) { "role", "resource-discovery", NULL }; *k; k++)
                if (crm_xml_get(n, *k))
                        buf_printf(b, " %s=%s", *k, crm_xml_get(n, *k));
        if (node) {
                buf_putc(b, ' ');
                put_score(b, crm_xml_get(n, "score") ?: "");
                buf_append_str(b, ": ");
                put_word(b, node);
        }
        crm_xml_foreach(c, n)
                if (crm_xml_is(c, "rule"))
                        put_rule(b, c);
}

static void print_colocation_order(struct buf *b, const xmlNode *n, bool order) {
        const char *score = crm_xml_get(n, "score") ?: crm_xml_get(n, order ? "kind" : "score-attribute");

        buf_printf(b, "%s %s", order ? "order" : "colocation", crm_xml_get(n, "id"));
        if (score) {
                buf_putc(b, ' ');
                put_score(b, score);
                buf_putc(b, ':');
        }
        put_rsc_role(b, n, order ? "first" : "rsc", order ? "action" : "role");
        put_rsc_role(b, n, order ? "then" : "with-rsc", order ? "action" : "role");
        if (order && crm_xml_get(n, "symmetrical"))
                buf_printf(b, " symmetrical=%s", crm_xml_get(n, "symmetrical"));
        if (!order && crm_xml_get(n, "node-attribute")) {
                buf_putc(b, ' ');
                put_nvpair(b, "node-attribute", crm_xml_get(n, "node-attribute"));
        }
}

static void print_set(struct buf *b, const xmlNode *n, const char *keyword) {
        buf_printf(b, "%s %s:", keyword, crm_xml_get(n, "id"));
        crm_xml_foreach(nv, n)
                if (crm_xml_is(nv, "nvpair")) {
                        next_part(b);
                        put_nvpair(b, crm_xml_get(nv, "name"), crm_xml_get(nv, "value"));
                }
}

static int print_xml(struct buf *b, xmlNode *n) {
        xmlBuffer *x = xmlBufferCreate();

        if (!x)
                return -ENOMEM;
        xmlNodeDump(x, n->doc, n, 0, 1);
        buf_append_str(b, "xml ");
        for (const char *p = (const char *) xmlBufferContent(x); *p; p++) {
                if (*p == '\n')
                        buf_append_str(b, " \\");
                buf_putc(b, *p);
        }
        xmlBufferFree(x);
        return 0;
}

static int print_entry(struct buf *b, const struct entry *e) {
        if (!crm_printable(e->n, e->kind))
                return print_xml(b, e->n);
        switch (e->kind) {
        case CRM_NODE:
                print_node(b, e->n);
                break;
        case CRM_PRIMITIVE:
                print_primitive(b, e->n);
                break;
        case CRM_GROUP:
        case CRM_MS:
        case CRM_CLONE:
                print_container(b, e->n, crm_kind_name(e->kind));
                break;
        case CRM_LOCATION:
                print_location(b, e->n);
                break;
        case CRM_COLOCATION:
        case CRM_ORDER:
                print_colocation_order(b, e->n, e->kind == CRM_ORDER);
                break;
        case CRM_PROPERTY:
        case CRM_RSC_DEFAULTS:
        case CRM_OP_DEFAULTS:
                print_set(b, e->n, crm_kind_name(e->kind));
                break;
        default:
                return print_xml(b, e->n);
        }
        return 0;
}

static int entries_add(struct entries *es, xmlNode *n) {
        enum crm_kind kind = crm_kind_of(n);
        struct entry *v;

        if (kind == _CRM_KIND_MAX || !crm_xml_get(n, "id"))
                return 0;
        v = reallocarray(es->v, es->n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        es->v = v;
        v[es->n++] = (struct entry) { crm_kind_order(n, kind), crm_xml_get(n, "id"), n, kind };
        return 0;
}

/* Every object below n, depth first (resources inside clones count). */
static int collect(struct entries *es, xmlNode *n) {
        crm_xml_foreach(c, n) {
                int r;

                if (crm_xml_is(c, "status"))
                        continue;
                r = entries_add(es, c);
                if (r < 0)
                        return r;
                if (crm_xml_is(c, "configuration") || crm_xml_is(c, "crm_config") || crm_xml_is(c, "nodes") ||
                    crm_xml_is(c, "resources") || crm_xml_is(c, "constraints") || crm_xml_is(c, "rsc_defaults") ||
                    crm_xml_is(c, "op_defaults") || crm_xml_is(c, "clone") || crm_xml_is(c, "master") ||
                    crm_xml_is(c, "group")) {
                        r = collect(es, c);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int entry_cmp(const void *a, const void *b) {
        const struct entry *x = a, *y = b;

        if (x->order != y->order)
                return x->order < y->order ? -1 : 1;
        return strcmp(x->id, y->id);
}

/* The objects to print: all, or those named, sorted as crmsh sorts. */
static int select_entries(xmlDoc *cib, char *const *ids, size_t n_ids, struct entries *ret, struct crm_error *err) {
        struct entries all = {}, out = {};
        int r;

        r = collect(&all, xmlDocGetRootElement(cib));
        if (r < 0) {
                free(all.v);
                return crm_error(err, r, "out of memory");
        }
        if (n_ids == 0) {
                out = all;
                all = (struct entries) {};
        }
        for (size_t i = 0; i < n_ids; i++) {
                size_t j;

                for (j = 0; j < all.n; j++)
                        if (streq(all.v[j].id, ids[i]))
                                break;
                if (j == all.n) {
                        free(all.v);
                        free(out.v);
                        return crm_error(err, -ENOENT, "object '%s' does not exist", ids[i]);
                }
                r = entries_add(&out, all.v[j].n);
                if (r < 0) {
                        free(all.v);
                        free(out.v);
                        return crm_error(err, r, "out of memory");
                }
        }
        free(all.v);
        if (out.n > 1)
                qsort(out.v, out.n, sizeof(*out.v), entry_cmp);
        *ret = out;
        return 0;
}

int crm_print(xmlDoc *cib, char *const *ids, size_t n_ids, struct buf *out, struct crm_error *err) {
        struct entries es = {};
        size_t start = out->len;
        int r;

        r = select_entries(cib, ids, n_ids, &es, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < es.n && r >= 0; i++) {
                r = print_entry(out, &es.v[i]);
                if (r >= 0)
                        r = buf_putc(out, '\n');
        }
        free(es.v);
        /* buf_* calls above leave b unchanged on failure; check once. */
        if (r < 0 || (out->len > start && !out->data)) {
                buf_truncate(out, start);
                return crm_error(err, -ENOMEM, "out of memory");
        }
        return 0;
}

int crm_print_xml(xmlDoc *cib, char *const *ids, size_t n_ids, struct buf *out, struct crm_error *err) {
        struct entries es = {};
        xmlBuffer *x;
        int r;

        if (n_ids == 0) {
                xmlChar *mem = NULL;
                int len = 0;

                xmlDocDumpFormatMemory(cib, &mem, &len, 1);
                if (!mem)
                        return crm_error(err, -ENOMEM, "out of memory");
                r = buf_append(out, mem, (size_t) len);
                xmlFree(mem);
                return r < 0 ? crm_error(err, r, "out of memory") : 0;
        }
        r = select_entries(cib, ids, n_ids, &es, err);
        if (r < 0)
                return r;
        x = xmlBufferCreate();
        for (size_t i = 0; x && i < es.n; i++) {
                xmlNodeDump(x, cib, es.v[i].n, 0, 1);
                xmlBufferCCat(x, "\n");
        }
        free(es.v);
        if (!x)
                return crm_error(err, -ENOMEM, "out of memory");
        r = buf_append_str(out, (const char *) xmlBufferContent(x));
        xmlBufferFree(x);
        return r < 0 ? crm_error(err, r, "out of memory") : 0;
}
