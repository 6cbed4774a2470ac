/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_parse.c: crmsh statements -> CIB elements, for the resources
 * (node, primitive, group, clone, ms), properties, defaults and raw xml;
 * constraints are in crm_parse_constraint.c. Ids of sub-elements are
 * left out here and given by crm_apply, crmsh's way. */
#include <stdio.h>
#include <libxml/parser.h>

#include "crm.h"
#include "crm_internal.h"

struct crm_script *crm_script_new(const char *name) {
        struct crm_script *s = calloc(1, sizeof(*s));

        if (!s)
                return NULL;
        s->name = strdup(name ? name : "<input>");
        s->doc = xmlNewDoc((const xmlChar *) "1.0");
        if (!s->name || !s->doc) {
                crm_script_free(s);
                return NULL;
        }
        return s;
}

static void words_free(struct crm_word *w, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(w[i].text);
        free(w);
}

void crm_object_done(struct crm_object *o) {
        free(o->id.text);
        free(o->agent.text);
        words_free(o->children, o->n_children);
        words_free(o->refs, o->n_refs);
        words_free(o->params, o->n_params);
        if (o->xml) {
                xmlUnlinkNode(o->xml);
                xmlFreeNode(o->xml);
        }
        *o = (struct crm_object) {};
}

void crm_script_free(struct crm_script *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_objects; i++)
                crm_object_done(&s->objects[i]);
        free(s->objects);
        if (s->doc)
                xmlFreeDoc(s->doc);
        free(s->name);
        free(s);
}

int crm_object_add_word(struct crm_word **words, size_t *n, const struct crm_token *t, const char *text) {
        struct crm_word *w = reallocarray(*words, *n + 1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        *words = w;
        w[*n].text = strdup(text ? text : t->text);
        if (!w[*n].text)
                return -ENOMEM;
        w[*n].pos = t->pos;
        (*n)++;
        return 0;
}

int crm_fail(struct crm_cursor *c, const struct crm_token *t, const char *fmt, ...) {
        char msg[sizeof(c->err->message)];
        struct crm_pos pos = {};
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (t)
                pos = t->pos;
        else if (c->st->n_tokens > 0) {
                const struct crm_token *last = &c->st->tokens[c->st->n_tokens - 1];

                pos = last->pos;
                pos.col += strlen(last->text);
        }
        return crm_error_at(c->err, c->script->name, pos, "%s", msg);
}

int crm_expect(struct crm_cursor *c, const char *what, const struct crm_token **ret) {
        const struct crm_token *t = crm_next(c);

        if (!t)
                return crm_fail(c, NULL, "expected %s at the end of the line", what);
        *ret = t;
        return 0;
}

int crm_expect_id(struct crm_cursor *c, const char *what, const struct crm_token **ret) {
        const struct crm_token *t;
        int r = crm_expect(c, what, &t);

        if (r < 0)
                return r;
        if (!crm_valid_id(t->text))
                return crm_fail(c, t, "'%s' is not a valid id (a letter or '_', then letters, digits, '_', '-', '.')",
                                t->text);
        *ret = t;
        return 0;
}

int crm_split_nvpair(const char *word, char **ret_name, char **ret_value) {
        const char *eq = strchr(word, '=');
        _cleanup_free_ char *name = strndup(word, eq ? (size_t) (eq - word) : strlen(word));
        char *value = NULL;

        if (!name)
                return -ENOMEM;
        if (eq && !(value = strdup(eq + 1)))
                return -ENOMEM;
        *ret_name = TAKE_PTR(name);
        *ret_value = value;
        return 0;
}

/* crmsh 4 reads the legacy names of promotable clone options as the
 * current ones. */
static const char *meta_rename(const char *name) {
        if (streq(name, "master-max"))
                return "promoted-max";
        if (streq(name, "master-node-max"))
                return "promoted-node-max";
        return name;
}

/* Resource options Pacemaker reads as numbers or booleans: a typo there
 * (or the seed's highlighting, master-max="<C>2<C>") is caught here
 * rather than ignored by the cluster. -EDOM for a bad number, -EINVAL
 * for a bad boolean. */
static int check_meta_value(const char *name, const char *value) {
        static const char *const numbers[] = {
                "clone-max", "clone-node-max", "promoted-max", "promoted-node-max", "migration-threshold",
                "priority",
        };
        static const char *const booleans[] = {
                "notify", "interleave", "globally-unique", "promotable", "ordered", "is-managed",
                "allow-migrate", "maintenance", "critical",
        };
        uint64_t u;
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
                if (streq(name, numbers[i]))
                        return parse_u64(value[0] == '-' ? value + 1 : value, &u) < 0 ? -EDOM : 0;
        for (size_t i = 0; i < ELEMENTSOF(booleans); i++)
                if (streq(name, booleans[i]))
                        return parse_bool(value, &b) < 0 ? -EINVAL : 0;
        return 0;
}

int crm_parse_nvpairs(struct crm_cursor *c, xmlNode *parent, const char *set_name,
                      bool meta, size_t min, xmlNode **ret_set) {
        xmlNode *set = crm_xml_new(parent->doc, parent, set_name);
        const struct crm_token *t;
        size_t n = 0;
        int r;

        if (!set)
                return -ENOMEM;
        while ((t = crm_peek(c)) && strchr(t->text, '=')) {
                _cleanup_free_ char *name = NULL, *value = NULL;
                const char *v;

                r = crm_split_nvpair(t->text, &name, &value);
                if (r < 0)
                        return r;
                if (streq(name, "$id")) {
                        if (n > 0 || crm_xml_get(set, "id"))
                                return crm_fail(c, t, "$id must come first in a list of attributes");
                        if (!crm_valid_id(value))
                                return crm_fail(c, t, "'%s' is not a valid id", value);
                        r = crm_xml_set(set, "id", value);
                        if (r < 0)
                                return r;
                        c->i++;
                        continue;
                }
                if (!*name || name[0] == '$')
                        return crm_fail(c, t, "'%s' is not a name=value pair", t->text);
                v = value;
                if (meta && (streq(name, "target-role") || streq(name, "role"))) {
                        v = crm_role_parse(value);
                        if (!v)
                                return crm_fail(c, t, "invalid role '%s' for %s (Started, Stopped, Promoted, Unpromoted, Master, Slave)",
                                                value, name);
                }
                if (meta && (r = check_meta_value(meta_rename(name), value)) < 0)
                        return crm_fail(c, t, "%s must be %s, not '%s'", name,
                                        r == -EDOM ? "a number" : "true or false", value);
                r = crm_xml_nvpair(set, meta ? meta_rename(name) : name, v);
                if (r < 0)
                        return r;
                c->i++;
                n++;
        }
        if (n < min)
                return crm_fail(c, crm_peek(c), "expected name=value after '%s'",
                                c->st->tokens[c->i - 1].text);
        if (ret_set)
                *ret_set = set;
        return 0;
}

/* op NAME [name=value...] */
static int parse_op(struct crm_cursor *c, xmlNode *ops) {
        const struct crm_token *name, *t;
        xmlNode *op, *params = NULL;
        bool interval = false;
        int r;

        r = crm_expect(c, "an operation name after 'op'", &name);
        if (r < 0)
                return r;
        if (!crm_valid_id(name->text) || strchr(name->text, '='))
                return crm_fail(c, name, "'%s' is not an operation name (start, stop, monitor, ...)", name->text);
        op = crm_xml_new(ops->doc, ops, "op");
        if (!op || crm_xml_set(op, "name", name->text) < 0)
                return -ENOMEM;
        while ((t = crm_peek(c)) && strchr(t->text, '=')) {
                _cleanup_free_ char *n = NULL, *v = NULL;
                const char *value;

                r = crm_split_nvpair(t->text, &n, &v);
                if (r < 0)
                        return r;
                if (!*n || n[0] == '$')
                        return crm_fail(c, t, "'%s' is not a name=value pair", t->text);
                value = v;
                if (streq(n, "role") && !(value = crm_role_parse(v)))
                        return crm_fail(c, t, "invalid role '%s' (Started, Stopped, Promoted, Unpromoted, Master, Slave)", v);
                if (streq(n, "interval"))
                        interval = true;
                if (crm_is_op_attribute(n)) {
                        if (streq(n, "name"))
                                return crm_fail(c, t, "the operation's name is the word after 'op'");
                        r = crm_xml_set(op, n, value);
                } else {
                        if (!params && !(params = crm_xml_new(op->doc, op, "instance_attributes")))
                                return -ENOMEM;
                        r = crm_xml_nvpair(params, n, value);
                }
                if (r < 0)
                        return r;
                c->i++;
        }
        /* crmsh gives every op an interval: the op id needs one. */
        if (!interval && crm_xml_set(op, "interval", "0") < 0)
                return -ENOMEM;
        return 0;
}

/* class:provider:type, class:type, or type alone (ocf:heartbeat). */
static int parse_agent(struct crm_cursor *c, struct crm_object *o) {
        const struct crm_token *t;
        _cleanup_free_ char *copy = NULL;
        char *parts[3] = {};
        size_t n = 0;
        int r;

        r = crm_expect(c, "a resource agent (class:provider:type)", &t);
        if (r < 0)
                return r;
        if (t->text[0] == '@')
                return crm_fail(c, t, "resource templates ('%s') are not supported", t->text);
        for (const char *p = t->text; (p = strchr(p, ':')); p++)
                if (++n > 2)
                        return crm_fail(c, t, "'%s' is not a resource agent (class:provider:type)", t->text);
        copy = strdup(t->text);
        if (!copy)
                return -ENOMEM;
        n = 0;
        parts[n++] = copy;
        for (char *p = copy; (p = strchr(p, ':')); ) {
                *p++ = '\0';
                parts[n++] = p;
        }
        for (size_t i = 0; i < n; i++)
                if (!crm_valid_agent_word(parts[i]))
                        return crm_fail(c, t, "'%s' is not a resource agent (class:provider:type)", t->text);
        if (n == 1) {
                parts[2] = parts[0];
                parts[0] = (char *) "ocf";
                parts[1] = (char *) "heartbeat";
        } else if (n == 2) {
                parts[2] = parts[1];
                parts[1] = NULL;
        }
        if (!crm_is_agent_class(parts[0]))
                return crm_fail(c, t, "unknown resource class '%s' (ocf, stonith, lsb, systemd, service)", parts[0]);
        if (streq(parts[0], "ocf") && !parts[1])
                return crm_fail(c, t, "an ocf agent needs a provider: ocf:PROVIDER:%s", parts[2]);
        if (!streq(parts[0], "ocf") && parts[1])
                return crm_fail(c, t, "a %s agent has no provider: %s:%s", parts[0], parts[0], parts[2]);
        if (crm_xml_set(o->xml, "class", parts[0]) < 0 ||
            (parts[1] && crm_xml_set(o->xml, "provider", parts[1]) < 0) ||
            crm_xml_set(o->xml, "type", parts[2]) < 0)
                return -ENOMEM;
        o->agent.text = strdup(t->text);
        o->agent.pos = t->pos;
        return o->agent.text ? 0 : -ENOMEM;
}

/* Remembers where each parameter was written, for the agent checks. */
static int note_params(struct crm_cursor *c, struct crm_object *o, size_t from) {
        for (size_t i = from; i < c->i; i++) {
                const struct crm_token *t = &c->st->tokens[i];
                _cleanup_free_ char *name = NULL, *value = NULL;
                int r;

                if (!strchr(t->text, '=') || t->text[0] == '$')
                        continue;
                r = crm_split_nvpair(t->text, &name, &value);
                if (r < 0)
                        return r;
                r = crm_object_add_word(&o->params, &o->n_params, t, name);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* primitive ID AGENT [params] [params ...] [meta ...] [utilization ...] [op ...]... */
static int parse_primitive(struct crm_cursor *c, struct crm_object *o) {
        const struct crm_token *t;
        xmlNode *ops = NULL;
        size_t from;
        int r;

        r = parse_agent(c, o);
        if (r < 0)
                return r;
        t = crm_peek(c);
        if (t && strchr(t->text, '=') && !startswith(t->text, "description=")) {
                from = c->i;
                r = crm_parse_nvpairs(c, o->xml, "instance_attributes", false, 1, NULL);
                if (r >= 0)
                        r = note_params(c, o, from);
                if (r < 0)
                        return r;
        }
        while ((t = crm_next(c))) {
                if (startswith(t->text, "description="))
                        r = crm_xml_set(o->xml, "description", t->text + strlen("description="));
                else if (streq(t->text, "params")) {
                        from = c->i;
                        r = crm_parse_nvpairs(c, o->xml, "instance_attributes", false, 1, NULL);
                        if (r >= 0)
                                r = note_params(c, o, from);
                } else if (streq(t->text, "meta"))
                        r = crm_parse_nvpairs(c, o->xml, "meta_attributes", true, 1, NULL);
                else if (streq(t->text, "utilization"))
                        r = crm_parse_nvpairs(c, o->xml, "utilization", false, 1, NULL);
                else if (streq(t->text, "op")) {
                        if (!ops && !(ops = crm_xml_new(o->xml->doc, o->xml, "operations")))
                                return -ENOMEM;
                        r = parse_op(c, ops);
                } else if ((streq(t->text, "op_params") || streq(t->text, "op_meta")) && ops && ops->last)
                        /* crmsh prints an op's own attributes this way. */
                        r = crm_parse_nvpairs(c, ops->last, streq(t->text, "op_meta") ? "meta_attributes" :
                                              "instance_attributes", false, 1, NULL);
                else
                        return crm_fail(c, t, "unexpected '%s' in primitive %s (expected params, meta, utilization or op)",
                                        t->text, o->id.text);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Adds promotable=true to the meta attributes of an ms, unless given. */
static int make_promotable(struct crm_object *o) {
        xmlNode *meta = crm_xml_first(o->xml, "meta_attributes");

        if (!meta && !(meta = crm_xml_new(o->xml->doc, o->xml, "meta_attributes")))
                return -ENOMEM;
        crm_xml_foreach(nv, meta)
                if (streq(crm_xml_get(nv, "name") ?: "", "promotable"))
                        return 0;
        return crm_xml_nvpair(meta, "promotable", "true");
}

/* clone|ms ID RSC [params ...] [meta ...]; group ID RSC... [meta ...] */
static int parse_container(struct crm_cursor *c, struct crm_object *o, bool ms) {
        const struct crm_token *t;
        int r;

        do {
                r = crm_expect_id(c, "a resource", &t);
                if (r < 0)
                        return r;
                r = crm_object_add_word(&o->children, &o->n_children, t, NULL);
                if (r < 0)
                        return r;
                t = crm_peek(c);
        } while (o->kind == CRM_GROUP && t && !streq(t->text, "meta") && !streq(t->text, "params"));
        while ((t = crm_next(c))) {
                if (startswith(t->text, "description="))
                        r = crm_xml_set(o->xml, "description", t->text + strlen("description="));
                else if (streq(t->text, "meta"))
                        r = crm_parse_nvpairs(c, o->xml, "meta_attributes", true, 1, NULL);
                else if (streq(t->text, "params"))
                        r = crm_parse_nvpairs(c, o->xml, "instance_attributes", false, 1, NULL);
                else
                        return crm_fail(c, t, "unexpected '%s' in %s %s (expected meta or params)",
                                        t->text, crm_kind_name(o->kind), o->id.text);
                if (r < 0)
                        return r;
        }
        return ms ? make_promotable(o) : 0;
}

/* node [ID:] UNAME[:TYPE] [attributes ...] [utilization ...] */
static int parse_node(struct crm_cursor *c, struct crm_object *o, const struct crm_token *first) {
        const struct crm_token *t = first;
        _cleanup_free_ char *id = NULL, *uname = NULL;
        char *colon;
        size_t l = strlen(first->text);
        int r;

        if (l > 1 && first->text[l - 1] == ':') {
                id = strndup(first->text, l - 1);
                r = crm_expect(c, "a node name", &t);
                if (r < 0)
                        return r;
        }
        uname = strdup(t->text);
        if (!uname || (first != t && !id))
                return -ENOMEM;
        colon = strchr(uname, ':');
        if (colon) {
                *colon = '\0';
                if (!streq(colon + 1, "member") && !streq(colon + 1, "remote") && !streq(colon + 1, "ping"))
                        return crm_fail(c, t, "unknown node type '%s' (member, remote, ping)", colon + 1);
                if (!streq(colon + 1, "member") && crm_xml_set(o->xml, "type", colon + 1) < 0)
                        return -ENOMEM;
        }
        if (!*uname || strchr(uname, '='))
                return crm_fail(c, t, "'%s' is not a node name", t->text);
        if (id && (!*id || strpbrk(id, ":=")))
                return crm_fail(c, first, "'%s' is not a node id", id);
        free(o->id.text);
        o->id.text = strdup(id ? id : uname);
        if (!o->id.text || crm_xml_set(o->xml, "id", o->id.text) < 0 || crm_xml_set(o->xml, "uname", uname) < 0)
                return -ENOMEM;
        while ((t = crm_next(c))) {
                if (startswith(t->text, "description="))
                        r = crm_xml_set(o->xml, "description", t->text + strlen("description="));
                else if (streq(t->text, "attributes"))
                        r = crm_parse_nvpairs(c, o->xml, "instance_attributes", false, 1, NULL);
                else if (streq(t->text, "utilization"))
                        r = crm_parse_nvpairs(c, o->xml, "utilization", false, 1, NULL);
                else
                        return crm_fail(c, t, "unexpected '%s' in node %s (expected attributes or utilization)",
                                        t->text, uname);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* property|rsc_defaults|op_defaults [$id=ID | ID:] name=value... */
static int parse_set(struct crm_cursor *c, struct crm_object *o, const char *default_id) {
        const struct crm_token *t = crm_peek(c);
        _cleanup_free_ char *id = NULL;
        xmlNode *set = NULL;
        size_t l;
        int r;

        o->id.pos = t ? t->pos : o->keyword;
        if (t && (l = strlen(t->text)) > 1 && t->text[l - 1] == ':' && !strchr(t->text, '=')) {
                id = strndup(t->text, l - 1);
                if (!id)
                        return -ENOMEM;
                if (!crm_valid_id(id))
                        return crm_fail(c, t, "'%s' is not a valid id", id);
                c->i++;
        }
        /* Parse into a scratch parent: the object is the set itself. */
        _cleanup_(xmlFreeNodep) xmlNode *scratch = crm_xml_new(c->script->doc, NULL, "scratch");
        if (!scratch)
                return -ENOMEM;
        r = crm_parse_nvpairs(c, scratch, o->kind == CRM_PROPERTY ? "cluster_property_set" : "meta_attributes",
                              false, 1, &set);
        if (r < 0)
                return r;
        if ((t = crm_peek(c)))
                return crm_fail(c, t, "unexpected '%s' in %s (expected name=value)", t->text, crm_kind_name(o->kind));
        if (id && crm_xml_get(set, "id"))
                return crm_fail(c, &c->st->tokens[1], "the set is named twice");
        if (!crm_xml_get(set, "id") && crm_xml_set(set, "id", id ? id : default_id) < 0)
                return -ENOMEM;
        xmlUnlinkNode(set);
        xmlFreeNode(o->xml);
        o->xml = set;
        free(o->id.text);
        o->id.text = strdup(crm_xml_get(set, "id"));
        return o->id.text ? 0 : -ENOMEM;
}

/* xml <element .../>: a raw CIB element, as `show` prints what it has
 * no words for. */
static int parse_xml(struct crm_cursor *c, struct crm_object *o) {
        const struct crm_token *t;
        xmlNode *n = NULL;
        int r;

        r = crm_expect(c, "an XML element after 'xml'", &t);
        if (r < 0)
                return r;
        _cleanup_(xmlFreeDocp) xmlDoc *doc = xmlReadMemory(t->text, (int) strlen(t->text), "xml.xml", NULL,
                                                           XML_PARSE_NONET | XML_PARSE_NOBLANKS |
                                                           XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc || !(n = xmlDocGetRootElement(doc)))
                return crm_fail(c, t, "not a well-formed XML element");
        /* Node ids are numbers in a cluster on corosync. */
        if (!crm_xml_get(n, "id") || (crm_xml_is(n, "node") ? !*crm_xml_get(n, "id") : !crm_valid_id(crm_xml_get(n, "id"))))
                return crm_fail(c, t, "the XML element <%s> needs a valid id", (const char *) n->name);
        n = xmlDocCopyNode(n, c->script->doc, 1);
        if (!n)
                return -ENOMEM;
        xmlFreeNode(o->xml);
        o->xml = n;
        o->id.text = strdup(crm_xml_get(n, "id"));
        o->id.pos = t->pos;
        return o->id.text ? 0 : -ENOMEM;
}

static const struct {
        const char *keyword, *element;
        enum crm_kind kind;
} statements[] = {
        { "node", "node", CRM_NODE },
        { "primitive", "primitive", CRM_PRIMITIVE },
        { "group", "group", CRM_GROUP },
        { "clone", "clone", CRM_CLONE },
        { "ms", "clone", CRM_CLONE },           /* stored as a promotable clone */
        { "location", "rsc_location", CRM_LOCATION },
        { "colocation", "rsc_colocation", CRM_COLOCATION },
        { "collocation", "rsc_colocation", CRM_COLOCATION },
        { "order", "rsc_order", CRM_ORDER },
        { "property", NULL, CRM_PROPERTY },
        { "rsc_defaults", NULL, CRM_RSC_DEFAULTS },
        { "op_defaults", NULL, CRM_OP_DEFAULTS },
        { "xml", NULL, CRM_XML },
};

static int parse_object(struct crm_cursor *c, struct crm_object *o) {
        const struct crm_token *kw = crm_next(c), *t;
        size_t i;
        int r;

        for (i = 0; i < ELEMENTSOF(statements); i++)
                if (streq(kw->text, statements[i].keyword))
                        break;
        if (i == ELEMENTSOF(statements))
                return crm_fail(c, kw, "unknown statement '%s'", kw->text);
        o->kind = statements[i].kind;
        o->keyword = kw->pos;
        o->xml = crm_xml_new(c->script->doc, NULL, statements[i].element ?: "scratch");
        if (!o->xml)
                return -ENOMEM;
        switch (o->kind) {
        case CRM_PROPERTY:
                return parse_set(c, o, "cib-bootstrap-options");
        case CRM_RSC_DEFAULTS:
                return parse_set(c, o, "rsc-options");
        case CRM_OP_DEFAULTS:
                return parse_set(c, o, "op-options");
        case CRM_XML:
                return parse_xml(c, o);
        case CRM_NODE:
                r = crm_expect(c, "a node name", &t);
                if (r < 0)
                        return r;
                o->id.pos = t->pos;
                return parse_node(c, o, t);
        default:
                break;
        }
        r = crm_expect_id(c, "an id", &t);
        if (r < 0)
                return r;
        o->id.text = strdup(t->text);
        o->id.pos = t->pos;
        if (!o->id.text || crm_xml_set(o->xml, "id", t->text) < 0)
                return -ENOMEM;
        switch (o->kind) {
        case CRM_PRIMITIVE:
                return parse_primitive(c, o);
        case CRM_GROUP:
        case CRM_CLONE:
                return parse_container(c, o, streq(kw->text, "ms"));
        case CRM_LOCATION:
                return crm_parse_location(c, o);
        case CRM_COLOCATION:
                return crm_parse_colocation(c, o);
        case CRM_ORDER:
                return crm_parse_order(c, o);
        default:
                return -EINVAL;
        }
}

int crm_parse_stmt(struct crm_script *s, const struct crm_stmt *st, struct crm_error *err) {
        struct crm_cursor c = { s, st, 0, err };
        struct crm_object o = {}, *n;
        int r;

        if (st->n_tokens == 0)
                return 0;
        r = parse_object(&c, &o);
        if (r == -ENOMEM)
                crm_error(err, r, "out of memory");
        if (r < 0) {
                crm_object_done(&o);
                return r;
        }
        n = reallocarray(s->objects, s->n_objects + 1, sizeof(*n));
        if (!n) {
                crm_object_done(&o);
                return crm_error(err, -ENOMEM, "out of memory");
        }
        s->objects = n;
        s->objects[s->n_objects++] = o;
        return 0;
}

int crm_parse(const char *name, const char *text, size_t len, struct crm_script **ret, struct crm_error *err) {
        _cleanup_(crm_script_freep) struct crm_script *s = crm_script_new(name);
        struct crm_stmts stmts = {};
        int r;

        if (!s)
                return crm_error(err, -ENOMEM, "out of memory");
        r = crm_lex(s->name, text, len, &stmts, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < stmts.n_stmts && r >= 0; i++) {
                const struct crm_token *kw = &stmts.stmts[i].tokens[0];

                if (!crm_is_object_keyword(kw->text))
                        r = crm_error_at(err, s->name, kw->pos, "unknown statement '%s' (expected node, primitive, "
                                         "group, clone, ms, location, colocation, order, property, rsc_defaults, "
                                         "op_defaults or xml)", kw->text);
                else
                        r = crm_parse_stmt(s, &stmts.stmts[i], err);
        }
        crm_stmts_done(&stmts);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}
