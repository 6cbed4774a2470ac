/* cib_sync.c: replication messages, their JSON encoding, and the rules
 * that apply them (see cib_sync.h and docs/cib-replication.md). */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "cib_sync.h"
#include "util.h"

static const char *const type_names[] = {
        [CIB_MSG_CHANGE] = "change",
        [CIB_MSG_REPLACE] = "replace",
        [CIB_MSG_OFFER] = "offer",
        [CIB_MSG_SYNC] = "sync",
};

static const char *const edit_names[] = {
        [CIB_EDIT_CREATE] = "create",
        [CIB_EDIT_REPLACE] = "replace",
        [CIB_EDIT_DELETE] = "delete",
        [CIB_EDIT_SET] = "set",
};

static void edit_done(struct cib_edit *e) {
        free(e->path);
        if (e->xml)
                xmlFreeDoc(e->xml->doc);
        for (size_t i = 0; i < e->n_attrs; i++) {
                free(e->attrs[i].name);
                free(e->attrs[i].value);
        }
        free(e->attrs);
}

void cib_msg_free(struct cib_msg *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_edits; i++)
                edit_done(&m->edits[i]);
        free(m->edits);
        if (m->cib)
                xmlFreeDoc(m->cib);
        free(m);
}

/* ---- paths ---- */

/* One step of a path: an element name and an optional id, pointing into
 * the path text. */
struct step {
        const char *name;
        size_t name_len;
        const char *id;     /* NULL when the step has no [@id=...] */
        size_t id_len;
};

static bool name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-' || c == '.' || c == ':';
}

/* Parse the step at *p (which points at a '/'), advancing *p. */
static int next_step(const char **p, struct step *s) {
        const char *q = *p;
        char quote;

        if (*q != '/')
                return -EINVAL;
        q++;
        s->name = q;
        while (name_char(*q))
                q++;
        s->name_len = (size_t) (q - s->name);
        if (s->name_len == 0)
                return -EINVAL;
        s->id = NULL;
        s->id_len = 0;
        if (*q == '[') {
                if (!strneq(q, "[@id=", 5))
                        return -EINVAL;
                q += 5;
                quote = *q;
                if (quote != '\'' && quote != '"')
                        return -EINVAL;
                s->id = ++q;
                while (*q && *q != quote)
                        q++;
                if (*q != quote || q[1] != ']')
                        return -EINVAL;
                s->id_len = (size_t) (q - s->id);
                q += 2;
        }
        *p = q;
        return 0;
}

static bool step_matches(const struct step *s, xmlNode *n) {
        xmlChar *id;
        bool ok;

        if (n->type != XML_ELEMENT_NODE || strlen((const char *) n->name) != s->name_len ||
            !strneq((const char *) n->name, s->name, s->name_len))
                return false;
        if (!s->id)
                return true;
        id = xmlGetProp(n, (const xmlChar *) "id");
        ok = id && strlen((const char *) id) == s->id_len && strneq((const char *) id, s->id, s->id_len);
        xmlFree(id);
        return ok;
}

/* Whether path is well-formed and starts at /cib. */
static bool path_valid(const char *path) {
        struct step s;
        const char *p = path;
        bool first = true;

        if (!path || strlen(path) > CIB_SYNC_PATH_MAX || !*path)
                return false;
        while (*p) {
                if (next_step(&p, &s) < 0)
                        return false;
                if (first && (s.name_len != 3 || !strneq(s.name, "cib", 3) || s.id))
                        return false;
                first = false;
        }
        return true;
}

xmlNode *cib_sync_find(xmlDoc *doc, const char *path) {
        xmlNode *n = xmlDocGetRootElement(doc);
        const char *p = path;
        struct step s;

        if (!n || !path_valid(path))
                return NULL;
        (void) next_step(&p, &s);       /* "/cib", checked by path_valid() */
        while (n && *p) {
                xmlNode *c;
                (void) next_step(&p, &s);
                for (c = n->children; c && !step_matches(&s, c); c = c->next)
                        ;
                n = c;
        }
        return n;
}

static bool path_in_status(const char *path) {
        const char *rest = startswith(path, "/cib/status");
        return rest && (*rest == '\0' || *rest == '/' || *rest == '[');
}

/* ---- builders ---- */

static int msg_new(enum cib_msg_type type, uint32_t from, uint64_t id, const struct cib_version *v,
                   struct cib_msg **ret) {
        struct cib_msg *m = calloc(1, sizeof(*m));

        if (!m)
                return -ENOMEM;
        m->type = type;
        m->from = from;
        m->id = id;
        if (v)
                m->version = *v;
        *ret = m;
        return 0;
}

int cib_msg_new_change(uint32_t from, uint64_t id, const struct cib_version *base, struct cib_msg **ret) {
        return msg_new(CIB_MSG_CHANGE, from, id, base, ret);
}

static struct cib_edit *edit_append(struct cib_msg *m) {
        struct cib_edit *e;

        if (m->n_edits >= CIB_SYNC_OPS_MAX)
                return NULL;
        e = reallocarray(m->edits, m->n_edits + 1, sizeof(*e));
        if (!e)
                return NULL;
        m->edits = e;
        e = &m->edits[m->n_edits];
        memset(e, 0, sizeof(*e));
        return e;
}

/* A copy of xml as the root of a document of its own. */
static int element_copy(const xmlNode *xml, xmlNode **ret) {
        xmlDoc *doc = xmlNewDoc((const xmlChar *) "1.0");
        xmlNode *copy;

        if (!doc)
                return -ENOMEM;
        copy = xmlDocCopyNode((xmlNode *) xml, doc, 1);
        if (!copy) {
                xmlFreeDoc(doc);
                return -ENOMEM;
        }
        xmlDocSetRootElement(doc, copy);
        *ret = copy;
        return 0;
}

int cib_msg_add_edit(struct cib_msg *m, enum cib_edit_kind kind, const char *path, const xmlNode *xml) {
        struct cib_edit *e;
        int r;

        if (m->type != CIB_MSG_CHANGE || kind == CIB_EDIT_SET || !path_valid(path) ||
            (kind != CIB_EDIT_DELETE) != (xml != NULL) || (xml && xml->type != XML_ELEMENT_NODE))
                return -EINVAL;
        e = edit_append(m);
        if (!e)
                return -ENOMEM;
        e->kind = kind;
        e->path = strdup(path);
        if (!e->path)
                return -ENOMEM;
        if (xml) {
                r = element_copy(xml, &e->xml);
                if (r < 0) {
                        free(e->path);
                        return r;
                }
        }
        m->n_edits++;
        return 0;
}

int cib_msg_add_set(struct cib_msg *m, const char *path, const char *name, const char *value) {
        struct cib_edit *e = m->n_edits > 0 ? &m->edits[m->n_edits - 1] : NULL;
        struct cib_attr *a;

        if (m->type != CIB_MSG_CHANGE || !path_valid(path) || !name || !*name)
                return -EINVAL;
        /* Attributes of one element in a row go into one edit. */
        if (!e || e->kind != CIB_EDIT_SET || !streq(e->path, path)) {
                e = edit_append(m);
                if (!e)
                        return -ENOMEM;
                e->kind = CIB_EDIT_SET;
                e->path = strdup(path);
                if (!e->path)
                        return -ENOMEM;
                m->n_edits++;
        }
        a = reallocarray(e->attrs, e->n_attrs + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        e->attrs = a;
        a = &e->attrs[e->n_attrs];
        a->name = strdup(name);
        a->value = value ? strdup(value) : NULL;
        if (!a->name || (value && !a->value)) {
                free(a->name);
                free(a->value);
                return -ENOMEM;
        }
        e->n_attrs++;
        return 0;
}

static int msg_with_doc(enum cib_msg_type type, uint32_t from, uint64_t id, const struct cib_version *v,
                        xmlDoc *doc, struct cib_msg **ret) {
        struct cib_msg *m;
        int r = msg_new(type, from, id, v, &m);

        if (r < 0)
                return r;
        m->cib = xmlCopyDoc(doc, 1);
        if (!m->cib) {
                cib_msg_free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 0;
}

int cib_msg_new_replace(uint32_t from, uint64_t id, const struct cib_version *base, xmlDoc *doc,
                        struct cib_msg **ret) {
        return msg_with_doc(CIB_MSG_REPLACE, from, id, base, doc, ret);
}

int cib_msg_new_sync(uint32_t from, xmlDoc *doc, struct cib_msg **ret) {
        struct cib_version v;
        int r = cib_doc_version(doc, &v);

        return r < 0 ? r : msg_with_doc(CIB_MSG_SYNC, from, 0, &v, doc, ret);
}

int cib_msg_new_offer(uint32_t from, xmlDoc *doc, struct cib_msg **ret) {
        struct cib_version v;
        struct cib_msg *m;
        int r;

        r = cib_doc_version(doc, &v);
        if (r < 0)
                return r;
        r = msg_new(CIB_MSG_OFFER, from, 0, &v, &m);
        if (r < 0)
                return r;
        r = cib_doc_digest(doc, m->digest);
        if (r < 0) {
                cib_msg_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

/* ---- encoding ---- */

static json_t *version_to_json(const struct cib_version *v) {
        if (v->admin_epoch > INT64_MAX || v->epoch > INT64_MAX || v->num_updates > INT64_MAX)
                return NULL;
        return json_pack("{s:I,s:I,s:I}", "admin_epoch", (json_int_t) v->admin_epoch, "epoch",
                         (json_int_t) v->epoch, "num_updates", (json_int_t) v->num_updates);
}

static json_t *node_to_json(const xmlNode *n) {
        xmlBuffer *b = xmlBufferCreate();
        json_t *s = NULL;

        if (!b)
                return NULL;
        if (xmlNodeDump(b, n->doc, (xmlNode *) n, 0, 0) >= 0)
                s = json_string((const char *) xmlBufferContent(b));
        xmlBufferFree(b);
        return s;
}

static json_t *doc_to_json(xmlDoc *doc) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        return cib_doc_dump(doc, &text, &len) < 0 ? NULL : json_stringn(text, len);
}

static json_t *edit_to_json(const struct cib_edit *e) {
        json_t *o = json_pack("{s:s,s:s}", "op", edit_names[e->kind], "path", e->path), *attrs;

        if (!o)
                return NULL;
        if (e->xml && json_object_set_new(o, "xml", node_to_json(e->xml)) < 0)
                goto fail;
        if (e->kind == CIB_EDIT_SET) {
                attrs = json_object();
                if (json_object_set_new(o, "attrs", attrs) < 0)
                        goto fail;
                for (size_t i = 0; i < e->n_attrs; i++)
                        if (json_object_set_new(attrs, e->attrs[i].name,
                                                e->attrs[i].value ? json_string(e->attrs[i].value) : json_null()) < 0)
                                goto fail;
        }
        return o;
fail:
        json_decref(o);
        return NULL;
}

int cib_msg_encode(const struct cib_msg *m, char **ret, size_t *ret_len) {
        json_t *o, *edits;
        char *text;
        int r = -ENOMEM;

        o = json_pack("{s:i,s:s,s:I}", "tandem-cib", CIB_SYNC_PROTOCOL, "type", type_names[m->type], "from",
                      (json_int_t) m->from);
        if (!o)
                return -ENOMEM;
        if (m->type == CIB_MSG_CHANGE || m->type == CIB_MSG_REPLACE) {
                if (m->id > INT64_MAX || json_object_set_new(o, "id", json_integer((json_int_t) m->id)) < 0 ||
                    json_object_set_new(o, "base", version_to_json(&m->version)) < 0)
                        goto out;
        } else if (json_object_set_new(o, "version", version_to_json(&m->version)) < 0)
                goto out;
        if (m->type == CIB_MSG_OFFER && json_object_set_new(o, "digest", json_string(m->digest)) < 0)
                goto out;
        if ((m->type == CIB_MSG_REPLACE || m->type == CIB_MSG_SYNC) &&
            json_object_set_new(o, "cib", doc_to_json(m->cib)) < 0)
                goto out;
        if (m->type == CIB_MSG_CHANGE) {
                edits = json_array();
                if (json_object_set_new(o, "edits", edits) < 0)
                        goto out;
                for (size_t i = 0; i < m->n_edits; i++)
                        if (json_array_append_new(edits, edit_to_json(&m->edits[i])) < 0)
                                goto out;
        }
        text = json_dumps(o, JSON_COMPACT);
        if (text) {
                *ret = text;
                *ret_len = strlen(text);
                r = 0;
        }
out:
        json_decref(o);
        return r;
}

/* ---- decoding: every field checked ---- */

static int lookup(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (names[i] && streq(names[i], s))
                        return (int) i;
        return -1;
}

static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *ret, char *why, size_t why_size) {
        json_t *v = json_object_get(o, key);

        if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t) json_integer_value(v) > max)
                return format_error(why, why_size, -EBADMSG, "\"%s\" must be an integer from 0 to %" PRIu64, key,
                                    max);
        *ret = (uint64_t) json_integer_value(v);
        return 0;
}

static int get_version(json_t *o, const char *key, struct cib_version *ret, char *why, size_t why_size) {
        json_t *v = json_object_get(o, key);
        int r;

        if (!json_is_object(v))
                return format_error(why, why_size, -EBADMSG, "\"%s\" must be an object with the three counters",
                                    key);
        r = get_uint(v, "admin_epoch", INT64_MAX, &ret->admin_epoch, why, why_size);
        if (r >= 0)
                r = get_uint(v, "epoch", INT64_MAX, &ret->epoch, why, why_size);
        if (r >= 0)
                r = get_uint(v, "num_updates", INT64_MAX, &ret->num_updates, why, why_size);
        return r;
}

static const char *get_string(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

static int decode_element(json_t *o, const char *where, xmlNode **ret, char *why, size_t why_size) {
        json_t *v = json_object_get(o, "xml");
        char xwhy[200];
        xmlDoc *doc = NULL;

        if (!json_is_string(v))
                return format_error(why, why_size, -EBADMSG, "%s: \"xml\" must be a string", where);
        if (cib_doc_parse_xml(json_string_value(v), json_string_length(v), &doc, xwhy, sizeof(xwhy)) < 0)
                return format_error(why, why_size, -EBADMSG, "%s: \"xml\": %s", where, xwhy);
        *ret = xmlDocGetRootElement(doc);
        return 0;
}

static int decode_attrs(json_t *o, struct cib_edit *e, const char *where, char *why, size_t why_size) {
        json_t *attrs = json_object_get(o, "attrs"), *v;
        const char *name;

        if (!json_is_object(attrs) || json_object_size(attrs) == 0)
                return format_error(why, why_size, -EBADMSG, "%s: \"attrs\" must be a non-empty object", where);
        e->attrs = calloc(json_object_size(attrs), sizeof(*e->attrs));
        if (!e->attrs)
                return -ENOMEM;
        json_object_foreach(attrs, name, v) {
                struct cib_attr *a = &e->attrs[e->n_attrs];
                if (!json_is_string(v) && !json_is_null(v))
                        return format_error(why, why_size, -EBADMSG,
                                            "%s: attribute \"%s\" must be a string or null", where, name);
                if (!*name || !xmlValidateNameValue((const xmlChar *) name))
                        return format_error(why, why_size, -EBADMSG, "%s: \"%s\" is not an attribute name", where,
                                            name);
                a->name = strdup(name);
                if (!a->name)
                        return -ENOMEM;
                e->n_attrs++;
                if (json_is_string(v) && !(a->value = strdup(json_string_value(v))))
                        return -ENOMEM;
        }
        return 0;
}

static int decode_edit(json_t *o, size_t index, struct cib_edit *e, char *why, size_t why_size) {
        char where[32];
        const char *op, *path;
        int kind;

        snprintf(where, sizeof(where), "edits[%zu]", index);
        if (!json_is_object(o))
                return format_error(why, why_size, -EBADMSG, "%s must be an object", where);
        op = get_string(o, "op");
        kind = op ? lookup(edit_names, ELEMENTSOF(edit_names), op) : -1;
        if (kind < 0)
                return format_error(why, why_size, -EBADMSG, "%s: \"op\" must be create, replace, delete or set",
                                    where);
        e->kind = (enum cib_edit_kind) kind;
        path = get_string(o, "path");
        if (!path || strlen(path) != json_string_length(json_object_get(o, "path")) || !path_valid(path))
                return format_error(why, why_size, -EBADMSG,
                                    "%s: \"path\" must be a path from /cib such as "
                                    "/cib/configuration/resources/primitive[@id='d1']",
                                    where);
        e->path = strdup(path);
        if (!e->path)
                return -ENOMEM;
        if (e->kind == CIB_EDIT_CREATE || e->kind == CIB_EDIT_REPLACE)
                return decode_element(o, where, &e->xml, why, why_size);
        if (e->kind == CIB_EDIT_SET)
                return decode_attrs(o, e, where, why, why_size);
        return 0;
}

static int decode_cib(json_t *o, struct cib_msg *m, char *why, size_t why_size) {
        json_t *v = json_object_get(o, "cib");
        char xwhy[200];
        struct cib_version inside;

        if (!json_is_string(v))
                return format_error(why, why_size, -EBADMSG, "\"cib\" must be a string");
        if (cib_doc_parse(json_string_value(v), json_string_length(v), &m->cib, xwhy, sizeof(xwhy)) < 0)
                return format_error(why, why_size, -EBADMSG, "\"cib\": %s", xwhy);
        if (m->type == CIB_MSG_SYNC && (cib_doc_version(m->cib, &inside) < 0 ||
                                        cib_version_compare(&inside, &m->version) != 0))
                return format_error(why, why_size, -EBADMSG, "\"cib\" is not at the version the message states");
        return 0;
}

static int decode_body(json_t *o, struct cib_msg *m, char *why, size_t why_size) {
        json_t *edits, *e;
        uint64_t u;
        size_t i;
        int r;

        r = get_uint(o, "from", UINT32_MAX, &u, why, why_size);
        if (r < 0)
                return r;
        m->from = (uint32_t) u;
        if (m->type == CIB_MSG_CHANGE || m->type == CIB_MSG_REPLACE) {
                r = get_uint(o, "id", INT64_MAX, &m->id, why, why_size);
                if (r >= 0)
                        r = get_version(o, "base", &m->version, why, why_size);
        } else
                r = get_version(o, "version", &m->version, why, why_size);
        if (r < 0)
                return r;
        switch (m->type) {
        case CIB_MSG_OFFER: {
                const char *d = get_string(o, "digest");
                if (!d || strlen(d) != CIB_DIGEST_LEN - 1 || strspn(d, "0123456789abcdef") != CIB_DIGEST_LEN - 1)
                        return format_error(why, why_size, -EBADMSG, "\"digest\" must be 64 lowercase hex digits");
                memcpy(m->digest, d, CIB_DIGEST_LEN);
                return 0;
        }
        case CIB_MSG_REPLACE:
        case CIB_MSG_SYNC:
                return decode_cib(o, m, why, why_size);
        case CIB_MSG_CHANGE:
                edits = json_object_get(o, "edits");
                if (!json_is_array(edits) || json_array_size(edits) == 0 ||
                    json_array_size(edits) > CIB_SYNC_OPS_MAX)
                        return format_error(why, why_size, -EBADMSG, "\"edits\" must be an array of 1 to %d edits",
                                            CIB_SYNC_OPS_MAX);
                m->edits = calloc(json_array_size(edits), sizeof(*m->edits));
                if (!m->edits)
                        return -ENOMEM;
                json_array_foreach(edits, i, e) {
                        /* Counted first, so that a half-decoded edit is freed. */
                        m->n_edits++;
                        r = decode_edit(e, i, &m->edits[i], why, why_size);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        return -EBADMSG;
}

int cib_msg_decode(const void *data, size_t len, struct cib_msg **ret, char *why, size_t why_size) {
        _cleanup_cib_msg_ struct cib_msg *m = NULL;
        json_error_t jerr;
        json_t *o;
        const char *type;
        int r, t;

        if (len > CIB_SYNC_MSG_MAX)
                return format_error(why, why_size, -EBADMSG, "message of %zu bytes is over the limit", len);
        o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!o)
                return format_error(why, why_size, -EBADMSG, "not JSON (%s at byte %d)", jerr.text, jerr.position);
        if (!json_is_object(o)) {
                json_decref(o);
                return format_error(why, why_size, -EBADMSG, "a message must be a JSON object");
        }
        if (!json_is_integer(json_object_get(o, "tandem-cib"))) {
                json_decref(o);
                return format_error(why, why_size, -EBADMSG, "no \"tandem-cib\" protocol version");
        }
        if (json_integer_value(json_object_get(o, "tandem-cib")) != CIB_SYNC_PROTOCOL) {
                r = format_error(why, why_size, -EPROTONOSUPPORT, "protocol version %" JSON_INTEGER_FORMAT
                                 " is not %d", json_integer_value(json_object_get(o, "tandem-cib")),
                                 CIB_SYNC_PROTOCOL);
                json_decref(o);
                return r;
        }
        type = get_string(o, "type");
        t = type ? lookup(type_names, ELEMENTSOF(type_names), type) : -1;
        if (t < 0) {
                json_decref(o);
                return format_error(why, why_size, -EBADMSG, "\"type\" must be change, replace, offer or sync");
        }
        m = calloc(1, sizeof(*m));
        if (!m) {
                json_decref(o);
                return -ENOMEM;
        }
        m->type = (enum cib_msg_type) t;
        r = decode_body(o, m, why, why_size);
        json_decref(o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* ---- applying ---- */

static bool is_counter(const char *name) {
        return streq(name, "admin_epoch") || streq(name, "epoch") || streq(name, "num_updates");
}

/* The id attribute of n equals that of `like` (both may lack one). */
static bool same_id(xmlNode *n, xmlNode *like) {
        xmlChar *a = xmlGetProp(n, (const xmlChar *) "id"), *b = xmlGetProp(like, (const xmlChar *) "id");
        bool same = a && b && xmlStrEqual(a, b);

        xmlFree(a);
        xmlFree(b);
        return same;
}

static int apply_edit(xmlDoc *doc, const struct cib_edit *e, char *why, size_t why_size) {
        xmlNode *target = cib_sync_find(doc, e->path), *copy = NULL;

        if (!target)
                return format_error(why, why_size, -ENOENT, "%s %s: no such element", edit_names[e->kind], e->path);
        if (e->kind != CIB_EDIT_CREATE && target == xmlDocGetRootElement(doc) && e->kind != CIB_EDIT_SET)
                return format_error(why, why_size, -EINVAL, "%s of /cib itself: use a replacement",
                                    edit_names[e->kind]);
        if (e->xml) {
                copy = xmlDocCopyNode(e->xml, doc, 1);
                if (!copy)
                        return -ENOMEM;
        }
        switch (e->kind) {
        case CIB_EDIT_CREATE:
                for (xmlNode *c = target->children; c; c = c->next)
                        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, copy->name) && same_id(c, copy)) {
                                xmlFreeNode(copy);
                                return format_error(why, why_size, -EEXIST, "create in %s: <%s> with that id exists",
                                                    e->path, (const char *) c->name);
                        }
                if (!xmlAddChild(target, copy)) {
                        xmlFreeNode(copy);
                        return -ENOMEM;
                }
                return 0;
        case CIB_EDIT_REPLACE:
                if (!xmlStrEqual(target->name, copy->name)) {
                        int r = format_error(why, why_size, -EINVAL, "replace %s: the new element is <%s>",
                                             e->path, (const char *) copy->name);
                        xmlFreeNode(copy);
                        return r;
                }
                xmlReplaceNode(target, copy);
                xmlFreeNode(target);
                return 0;
        case CIB_EDIT_DELETE:
                xmlUnlinkNode(target);
                xmlFreeNode(target);
                return 0;
        case CIB_EDIT_SET:
                for (size_t i = 0; i < e->n_attrs; i++) {
                        const struct cib_attr *a = &e->attrs[i];
                        if (target == xmlDocGetRootElement(doc) && is_counter(a->name))
                                return format_error(why, why_size, -EINVAL,
                                                    "the version counter %s is not set by an edit", a->name);
                        if (a->value && !xmlSetProp(target, (const xmlChar *) a->name, (const xmlChar *) a->value))
                                return -ENOMEM;
                        if (!a->value)
                                (void) xmlUnsetProp(target, (const xmlChar *) a->name);
                }
                return 0;
        }
        return -EINVAL;
}

static int check_base(xmlDoc *doc, const struct cib_msg *m, struct cib_version *ret_cur, char *why,
                      size_t why_size) {
        int r = cib_doc_version(doc, ret_cur);

        if (r < 0)
                return format_error(why, why_size, r, "the CIB's own counters are unreadable");
        if (cib_version_compare(ret_cur, &m->version) != 0)
                return format_error(why, why_size, -ESTALE,
                                    "the CIB moved on: it is at " CIB_VERSION_FMT ", the change was made against "
                                    CIB_VERSION_FMT, CIB_VERSION_ARGS(*ret_cur), CIB_VERSION_ARGS(m->version));
        return 0;
}

static int apply_change(xmlDoc *doc, const struct cib_msg *m, xmlDoc **ret, char *why, size_t why_size) {
        _cleanup_xmldoc_ xmlDoc *next = NULL;
        struct cib_version v;
        bool config = false;
        int r;

        r = check_base(doc, m, &v, why, why_size);
        if (r < 0)
                return r;
        next = xmlCopyDoc(doc, 1);
        if (!next)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_edits; i++) {
                r = apply_edit(next, &m->edits[i], why, why_size);
                if (r < 0)
                        return r;
                config = config || !path_in_status(m->edits[i].path);
        }
        if (config) {
                v.epoch++;
                v.num_updates = 0;
        } else
                v.num_updates++;
        r = cib_doc_set_version(next, &v);
        if (r >= 0)
                r = cib_doc_ensure_sections(next);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(next);
        return 0;
}

/* A replacement brings the configuration and <cib>'s attributes; the
 * status section stays this replica's. */
static int apply_replace(xmlDoc *doc, const struct cib_msg *m, xmlDoc **ret, char *why, size_t why_size) {
        _cleanup_xmldoc_ xmlDoc *next = NULL;
        struct cib_version cur, theirs;
        xmlNode *old_status, *new_status, *copy;
        int r;

        r = check_base(doc, m, &cur, why, why_size);
        if (r < 0)
                return r;
        r = cib_doc_version(m->cib, &theirs);
        if (r < 0)
                return r;
        next = xmlCopyDoc(m->cib, 1);
        if (!next)
                return -ENOMEM;
        r = cib_doc_ensure_sections(next);
        if (r < 0)
                return r;
        if (cib_version_compare(&theirs, &cur) <= 0) {
                theirs = (struct cib_version) { cur.admin_epoch, cur.epoch + 1, 0 };
                r = cib_doc_set_version(next, &theirs);
                if (r < 0)
                        return r;
        }
        old_status = cib_doc_child(xmlDocGetRootElement(doc), "status");
        new_status = cib_doc_child(xmlDocGetRootElement(next), "status");
        if (old_status && new_status) {
                copy = xmlDocCopyNode(old_status, next, 1);
                if (!copy)
                        return -ENOMEM;
                xmlReplaceNode(new_status, copy);
                xmlFreeNode(new_status);
        }
        *ret = TAKE_PTR(next);
        return 0;
}

int cib_sync_apply(xmlDoc *doc, const struct cib_msg *m, xmlDoc **ret, char *why, size_t why_size) {
        xmlDoc *copy;

        switch (m->type) {
        case CIB_MSG_CHANGE:
                return apply_change(doc, m, ret, why, why_size);
        case CIB_MSG_REPLACE:
                return apply_replace(doc, m, ret, why, why_size);
        case CIB_MSG_SYNC:
                copy = xmlCopyDoc(m->cib, 1);
                if (!copy)
                        return -ENOMEM;
                *ret = copy;
                return 0;
        case CIB_MSG_OFFER:
                break;
        }
        return format_error(why, why_size, -EINVAL, "an offer does not change the CIB");
}

/* ---- the rule for joins and heals ---- */

int cib_sync_choose(const struct cib_offer *offers, size_t n) {
        size_t best = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 1; i < n; i++) {
                int c = cib_version_compare(&offers[i].version, &offers[best].version);
                if (c > 0 || (c == 0 && offers[i].node < offers[best].node))
                        best = i;
        }
        return (int) best;
}

bool cib_sync_agreed(const struct cib_offer *offers, size_t n) {
        int best = cib_sync_choose(offers, n);

        if (best < 0)
                return true;
        for (size_t i = 0; i < n; i++)
                if (!streq(offers[i].digest, offers[best].digest))
                        return false;
        return true;
}
