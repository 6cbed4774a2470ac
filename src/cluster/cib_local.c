/* cib_local.c: the node's CIB in memory and on disk, and the control
 * requests on it (see cib_local.h). */
#include <errno.h>
#include <string.h>

#include "cib_local.h"
#include "cib_sync.h"
#include "ctl.h"
#include "util.h"

struct cib_local {
        struct cib_store *store;
        xmlDoc *doc;
        char *source;
};

int cib_local_open(const char *dir, struct buf *report, struct cib_local **ret) {
        struct cib_local *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        r = cib_store_open(dir, CIB_STORE_KEEP, &c->store);
        if (r >= 0)
                r = cib_store_load(c->store, &c->doc, &c->source, report);
        if (r < 0) {
                cib_local_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void cib_local_free(struct cib_local *c) {
        if (!c)
                return;
        cib_store_free(c->store);
        if (c->doc)
                xmlFreeDoc(c->doc);
        free(c->source);
        free(c);
}

xmlDoc *cib_local_doc(const struct cib_local *c) {
        return c->doc;
}

const char *cib_local_source(const struct cib_local *c) {
        return c->source;
}

unsigned cib_local_resources(const struct cib_local *c) {
        xmlNode *config = cib_doc_child(xmlDocGetRootElement(c->doc), "configuration");
        xmlNode *rscs = cib_doc_child(config, "resources");
        unsigned n = 0;

        for (xmlNode *r = rscs ? rscs->children : NULL; r; r = r->next)
                n += r->type == XML_ELEMENT_NODE;
        return n;
}

int cib_local_replace(struct cib_local *c, xmlDoc *doc) {
        int r = cib_store_save(c->store, doc);

        if (r < 0) {
                xmlFreeDoc(doc);
                return r;
        }
        xmlFreeDoc(c->doc);
        c->doc = doc;
        return 0;
}

int cib_local_add_version(const struct cib_local *c, json_t *reply) {
        struct cib_version v;
        char text[80];
        int r = cib_doc_version(c->doc, &v);

        if (r < 0)
                return r;
        snprintf(text, sizeof(text), CIB_VERSION_FMT, CIB_VERSION_ARGS(v));
        if (json_object_set_new(reply, "version", json_string(text)) < 0 ||
            json_object_set_new(reply, "admin_epoch", json_integer((json_int_t) v.admin_epoch)) < 0 ||
            json_object_set_new(reply, "epoch", json_integer((json_int_t) v.epoch)) < 0 ||
            json_object_set_new(reply, "num_updates", json_integer((json_int_t) v.num_updates)) < 0)
                return -ENOMEM;
        return 0;
}

/* The element a --scope names: the whole CIB, a section, or a part of
 * the configuration. */
static xmlNode *scope_node(xmlDoc *doc, const char *scope) {
        static const char *const config_parts[] = { "crm_config", "nodes", "resources", "constraints",
                                                    "rsc_defaults", "op_defaults" };
        xmlNode *root = xmlDocGetRootElement(doc);

        if (!scope || streq(scope, "cib"))
                return root;
        if (streq(scope, "configuration") || streq(scope, "status"))
                return cib_doc_child(root, scope);
        for (size_t i = 0; i < ELEMENTSOF(config_parts); i++)
                if (streq(scope, config_parts[i]))
                        return cib_doc_child(cib_doc_child(root, "configuration"), scope);
        return NULL;
}

static json_t *reply_with_version(const struct cib_local *c, json_t *reply) {
        if (reply && cib_local_add_version(c, reply) < 0) {
                json_decref(reply);
                return NULL;
        }
        return reply;
}

int cib_local_request_read(struct cib_local *c, json_t *args, json_t **ret_reply) {
        const char *scope = NULL;
        _cleanup_free_ char *text = NULL;
        xmlNode *node;
        size_t i;
        json_t *a;

        json_array_foreach(args, i, a) {
                const char *s = json_string_value(a), *v;
                if ((v = startswith(s, "--scope=")) && !scope)
                        scope = v;
                else {
                        *ret_reply = ctl_reply_error(EINVAL, "tandem-clusterd: cib-read: unexpected argument '%s' "
                                                     "(usage: cib-read [--scope=SECTION])", s);
                        return *ret_reply ? 0 : -ENOMEM;
                }
        }
        node = scope_node(c->doc, scope);
        if (!node) {
                *ret_reply = ctl_reply_error(ENOENT, "tandem-clusterd: cib-read: the CIB has no section '%s'",
                                             scope);
                return *ret_reply ? 0 : -ENOMEM;
        }
        if (node == xmlDocGetRootElement(c->doc)) {
                int r = cib_doc_dump(c->doc, &text, NULL);
                if (r < 0)
                        return r;
        } else {
                xmlBuffer *b = xmlBufferCreate();
                if (!b)
                        return -ENOMEM;
                if (xmlNodeDump(b, c->doc, node, 0, 1) >= 0)
                        text = strjoin((const char *) xmlBufferContent(b), "\n", NULL);
                xmlBufferFree(b);
                if (!text)
                        return -ENOMEM;
        }
        *ret_reply = reply_with_version(c, ctl_reply_ok(text));
        return *ret_reply ? 0 : -ENOMEM;
}

/* The request's "change" member as a replication message: the client
 * writes "type", "base" and "edits" or "cib"; the rest is filled in. */
static int decode_change(json_t *request, struct cib_msg **ret, char *why, size_t why_size) {
        json_t *change = json_object_get(request, "change"), *copy;
        const char *type = json_string_value(json_object_get(change, "type"));
        _cleanup_free_ char *text = NULL;
        int r;

        if (!json_is_object(change))
                return format_error(why, why_size, -EBADMSG,
                                    "the request needs a member \"change\", an object (docs/clusterd-protocol.md)");
        if (!type || (!streq(type, "change") && !streq(type, "replace")))
                return format_error(why, why_size, -EBADMSG, "\"change\".\"type\" must be \"change\" or \"replace\"");
        copy = json_deep_copy(change);
        if (!copy)
                return -ENOMEM;
        if (json_object_set_new(copy, "tandem-cib", json_integer(CIB_SYNC_PROTOCOL)) < 0 ||
            json_object_set_new(copy, "from", json_integer(0)) < 0 ||
            (!json_object_get(copy, "id") && json_object_set_new(copy, "id", json_integer(0)) < 0)) {
                json_decref(copy);
                return -ENOMEM;
        }
        text = json_dumps(copy, JSON_COMPACT);
        json_decref(copy);
        if (!text)
                return -ENOMEM;
        r = cib_msg_decode(text, strlen(text), ret, why, why_size);
        return r == -EPROTONOSUPPORT ? -EBADMSG : r;
}

int cib_local_request_apply(struct cib_local *c, json_t *request, json_t **ret_reply) {
        _cleanup_cib_msg_ struct cib_msg *m = NULL;
        struct cib_version v;
        xmlDoc *next = NULL;
        char why[512], out[128];
        int r;

        r = decode_change(request, &m, why, sizeof(why));
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                r = cib_sync_apply(c->doc, m, &next, why, sizeof(why));
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret_reply = reply_with_version(c, ctl_reply_error(r, "tandem-clusterd: cib-apply: %s", why));
                return *ret_reply ? 0 : -ENOMEM;
        }
        r = cib_local_replace(c, next);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret_reply = reply_with_version(c, ctl_reply_error(r, "tandem-clusterd: cib-apply: cannot save "
                                                                   "the CIB in %s: %s; nothing changed",
                                                                   cib_store_dir(c->store), strerror(-r)));
                return *ret_reply ? 0 : -ENOMEM;
        }
        r = cib_doc_version(c->doc, &v);
        if (r < 0)
                return r;
        snprintf(out, sizeof(out), "CIB now at " CIB_VERSION_FMT "\n", CIB_VERSION_ARGS(v));
        *ret_reply = reply_with_version(c, ctl_reply_ok(out));
        return *ret_reply ? 0 : -ENOMEM;
}
