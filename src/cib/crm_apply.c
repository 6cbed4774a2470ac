/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_apply.c: puts parsed crmsh objects into a copy of a CIB after the
 * checks crmsh makes before a commit: ids in use or given twice, the
 * resources that clones, groups and constraints name, and the agents of
 * primitives with their parameters. The CIB handed in is never changed. */
#include <stdio.h>

#include "crm.h"
#include "crm_ids.h"
#include "crm_internal.h"

struct apply {
        xmlDoc *doc;
        struct hashmap *ids;            /* id -> element, in doc */
        struct hashmap *defined;        /* ids the script defines -> struct crm_object */
        const struct crm_script *s;
        struct crm_error *err;
};

static const char *section_of(const xmlNode *n) {
        if (crm_xml_is(n, "node"))
                return "nodes";
        if (crm_xml_is_resource(n) || crm_xml_is(n, "template"))
                return "resources";
        if (crm_xml_is(n, "rsc_location") || crm_xml_is(n, "rsc_colocation") || crm_xml_is(n, "rsc_order") ||
            crm_xml_is(n, "rsc_ticket"))
                return "constraints";
        return NULL;
}

/* "a primitive", "an order", or "the op of primitive p" for a part. */
static const char *what_is(const xmlNode *n, char *buf, size_t size) {
        const xmlNode *o = n;
        enum crm_kind k;

        while (o && (k = crm_kind_of(o)) == _CRM_KIND_MAX)
                o = o->parent;
        if (!o)
                snprintf(buf, size, "a <%s>", (const char *) n->name);
        else if (o == n)
                snprintf(buf, size, "%s %s", strchr("aeiouxm", crm_kind_name(k)[0]) ? "an" : "a", crm_kind_name(k));
        else
                snprintf(buf, size, "the %s of %s %s", (const char *) n->name, crm_kind_name(k),
                         crm_xml_get(o, "id") ?: "?");
        return buf;
}

/* Whether object o may replace the element old (load update, edit). */
static bool replaces(const xmlNode *old, const struct crm_object *o) {
        enum crm_kind a = crm_kind_of(old), b = o->kind;

        if (b == CRM_XML)
                return streq((const char *) old->name, (const char *) o->xml->name);
        if (a == CRM_MS)
                a = CRM_CLONE;
        return a == b;
}

/* property, rsc_defaults, op_defaults: merge into the set of that id. */
static int apply_set(struct apply *a, const struct crm_object *o) {
        const char *section = o->kind == CRM_PROPERTY ? "crm_config" :
                              o->kind == CRM_RSC_DEFAULTS ? "rsc_defaults" : "op_defaults";
        xmlNode *sec = crm_cib_section(a->doc, section), *set = NULL, *copy;
        const char *dup = NULL;
        char what[256];
        int r;

        if (!sec)
                return -ENOMEM;
        set = hashmap_get(a->ids, o->id.text);
        if (set && set->parent != sec)
                return crm_error_at(a->err, a->s->name, o->id.pos, "id '%s' is already in use by %s",
                                    o->id.text, what_is(set, what, sizeof(what)));
        if (!set) {
                copy = xmlDocCopyNode(o->xml, a->doc, 1);
                if (!copy || !xmlAddChild(sec, copy)) {
                        xmlFreeNode(copy);
                        return -ENOMEM;
                }
                r = hashmap_put(a->ids, o->id.text, copy);
                if (r >= 0)
                        r = crm_ids_assign(copy, o->id.text, a->ids, &dup);
                if (r == -EEXIST)
                        return crm_error_at(a->err, a->s->name, o->id.pos, "id '%s' is already in use", dup);
                return r;
        }
        crm_xml_foreach(nv, o->xml) {
                const char *name = crm_xml_get(nv, "name");
                xmlNode *old = NULL;

                crm_xml_foreach(x, set)
                        if (crm_xml_is(x, "nvpair") && streq(crm_xml_get(x, "name") ?: "", name))
                                old = x;
                if (old) {
                        r = crm_xml_set(old, "value", crm_xml_get(nv, "value") ?: "");
                        if (r < 0)
                                return r;
                        continue;
                }
                copy = xmlDocCopyNode(nv, a->doc, 1);
                if (!copy || !xmlAddChild(set, copy)) {
                        xmlFreeNode(copy);
                        return -ENOMEM;
                }
        }
        r = crm_ids_assign(set, o->id.text, a->ids, &dup);
        if (r == -EEXIST)
                return crm_error_at(a->err, a->s->name, o->id.pos, "id '%s' is already in use", dup);
        return r;
}

static int apply_object(struct apply *a, const struct crm_object *o, enum crm_apply_mode mode) {
        const struct crm_object *first = hashmap_get(a->defined, o->id.text);
        const char *section, *dup = NULL;
        xmlNode *old, *copy, *sec;
        char what[256];
        int r;

        if (first && !(o->kind == CRM_PROPERTY || o->kind == CRM_RSC_DEFAULTS || o->kind == CRM_OP_DEFAULTS) &&
            first->kind == o->kind)
                return crm_error_at(a->err, a->s->name, o->id.pos, "%s '%s' is defined twice (first at line %u)",
                                    crm_kind_name(o->kind), o->id.text, first->id.pos.line);
        if (!first) {
                r = hashmap_put(a->defined, o->id.text, (void *) o);
                if (r < 0)
                        return r;
        }
        if (o->kind == CRM_PROPERTY || o->kind == CRM_RSC_DEFAULTS || o->kind == CRM_OP_DEFAULTS)
                return apply_set(a, o);

        section = section_of(o->xml);
        if (!section)
                return crm_error_at(a->err, a->s->name, o->id.pos, "<%s> is not an object this tool can place in the CIB",
                                    (const char *) o->xml->name);
        old = hashmap_get(a->ids, o->id.text);
        if (old && (mode == CRM_APPLY_CREATE || !replaces(old, o)))
                return crm_error_at(a->err, a->s->name, o->id.pos, "id '%s' is already in use by %s",
                                    o->id.text, what_is(old, what, sizeof(what)));
        copy = xmlDocCopyNode(o->xml, a->doc, 1);
        if (!copy)
                return -ENOMEM;
        if (old) {
                if (crm_xml_is(old, "clone") || crm_xml_is(old, "master") || crm_xml_is(old, "group")) {
                        r = crm_unwrap(a->doc, old);
                        if (r < 0) {
                                xmlFreeNode(copy);
                                return r;
                        }
                }
                crm_ids_forget(old, a->ids);
                xmlReplaceNode(old, copy);
                xmlFreeNode(old);
        } else {
                sec = crm_cib_section(a->doc, section);
                if (!sec || !xmlAddChild(sec, copy)) {
                        xmlFreeNode(copy);
                        return -ENOMEM;
                }
        }
        r = hashmap_put(a->ids, o->id.text, copy);
        if (r < 0)
                return r;
        /* crmsh names a node's parts after its name, not its id. */
        r = crm_ids_assign(copy, crm_xml_is(copy, "node") && crm_xml_get(copy, "uname") ?
                           crm_xml_get(copy, "uname") : o->id.text, a->ids, &dup);
        if (r == -EEXIST)
                return crm_error_at(a->err, a->s->name, o->id.pos, "id '%s' is already in use", dup);
        return r;
}

/* Puts the resources a clone or group names inside it. */
static int place_children(struct apply *a, const struct crm_object *o) {
        xmlNode *container = hashmap_get(a->ids, o->id.text);
        char what[256];

        for (size_t i = 0; i < o->n_children; i++) {
                const struct crm_word *w = &o->children[i];
                xmlNode *child = hashmap_get(a->ids, w->text);

                if (!child || !crm_xml_is_resource(child))
                        return crm_error_at(a->err, a->s->name, w->pos, "%s %s: unknown resource '%s'%s",
                                            crm_kind_name(o->kind), o->id.text, w->text,
                                            child ? " (that id is not a resource)" : "");
                if (child == container)
                        return crm_error_at(a->err, a->s->name, w->pos, "%s %s cannot contain itself",
                                            crm_kind_name(o->kind), o->id.text);
                if (!crm_xml_is(child, "primitive") && !(o->kind == CRM_CLONE && crm_xml_is(child, "group")))
                        return crm_error_at(a->err, a->s->name, w->pos, "%s %s: '%s' is %s; a %s holds %s",
                                            crm_kind_name(o->kind), o->id.text, w->text,
                                            what_is(child, what, sizeof(what)),
                                            crm_kind_name(o->kind),
                                            o->kind == CRM_CLONE ? "a primitive or a group" : "primitives");
                if (child->parent != container && !crm_xml_is(child->parent, "resources"))
                        return crm_error_at(a->err, a->s->name, w->pos, "%s %s: '%s' is already in %s %s",
                                            crm_kind_name(o->kind), o->id.text, w->text,
                                            (const char *) child->parent->name,
                                            crm_xml_get(child->parent, "id") ?: "?");
                xmlUnlinkNode(child);
                if (!xmlAddChild(container, child)) {
                        xmlFreeNode(child);
                        return -ENOMEM;
                }
        }
        return 0;
}

static int check_refs(struct apply *a, const struct crm_object *o) {
        char what[256];

        for (size_t i = 0; i < o->n_refs; i++) {
                const struct crm_word *w = &o->refs[i];
                xmlNode *n = hashmap_get(a->ids, w->text);

                if (!n)
                        return crm_error_at(a->err, a->s->name, w->pos, "%s %s: unknown resource '%s'",
                                            crm_kind_name(o->kind), o->id.text, w->text);
                if (!crm_xml_is_resource(n))
                        return crm_error_at(a->err, a->s->name, w->pos, "%s %s: '%s' is %s, not a resource",
                                            crm_kind_name(o->kind), o->id.text, w->text, what_is(n, what, sizeof(what)));
        }
        return 0;
}

static int check_agent(struct apply *a, const struct crm_object *o, const struct crm_check_options *opts) {
        xmlNode *n = hashmap_get(a->ids, o->id.text);
        const char *param = NULL;
        char why[1024];
        int r;

        r = crm_agent_check(n, opts, &param, why, sizeof(why));
        if (r >= 0)
                return 0;
        if (r == -ENOMEM)
                return r;
        if (param)
                for (size_t i = 0; i < o->n_params; i++)
                        if (streq(o->params[i].text, param))
                                return crm_error_at(a->err, a->s->name, o->params[i].pos, "primitive %s: %s",
                                                    o->id.text, why);
        return crm_error_at(a->err, a->s->name, o->agent.pos.line ? o->agent.pos : o->id.pos, "primitive %s: %s",
                            o->id.text, why);
}

int crm_apply(xmlDoc *cib, const struct crm_script *s, enum crm_apply_mode mode,
              const struct crm_check_options *opts, xmlDoc **ret, struct crm_error *err) {
        _cleanup_hashmap_ struct hashmap *ids = hashmap_new(NULL), *defined = hashmap_new(NULL);
        _cleanup_(xmlFreeDocp) xmlDoc *doc = xmlCopyDoc(cib, 1);
        struct apply a = { doc, ids, defined, s, err };
        const char *dup = NULL;
        xmlNode *conf;
        int r = 0;

        if (!ids || !defined || !doc)
                return crm_error(err, -ENOMEM, "out of memory");
        conf = crm_cib_section(doc, NULL);
        if (!conf)
                return crm_error(err, -EBADMSG, "the CIB has no <cib> element");
        r = crm_ids_collect(conf, ids, &dup);
        if (r == -EEXIST)
                return crm_error(err, -EBADMSG, "the CIB uses id '%s' twice; fix it first", dup);
        for (size_t i = 0; i < s->n_objects && r >= 0; i++)
                r = apply_object(&a, &s->objects[i], mode);
        for (size_t i = 0; i < s->n_objects && r >= 0; i++)
                if (s->objects[i].n_children > 0)
                        r = place_children(&a, &s->objects[i]);
        for (size_t i = 0; i < s->n_objects && r >= 0; i++)
                r = check_refs(&a, &s->objects[i]);
        if (!opts || !opts->skip_agents)
                for (size_t i = 0; i < s->n_objects && r >= 0; i++)
                        if (s->objects[i].kind == CRM_PRIMITIVE)
                                r = check_agent(&a, &s->objects[i], opts);
        if (r == -ENOMEM || r == -ENAMETOOLONG)
                return crm_error(err, r, "%s", r == -ENOMEM ? "out of memory" : "an id grew too long");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}
