/* lrm_history.c: operation results as status-section changes (see
 * lrm_history.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lrm_history.h"
#include "util.h"

static bool set(xmlNode *n, const char *name, const char *value) {
        return !value || xmlSetProp(n, (const xmlChar *) name, (const xmlChar *) value);
}

/* A path step with an id, quoted with whichever quote the id lacks. */
static int append_step(char *path, size_t size, const char *name, const char *id) {
        size_t len = strlen(path);
        char q = strchr(id, '\'') ? '"' : '\'';
        int n;

        if (strchr(id, '\'') && strchr(id, '"'))
                return -EINVAL;
        n = snprintf(path + len, size - len, "/%s[@id=%c%s%c]", name, q, id, q);
        return n < 0 || (size_t) n >= size - len ? -ENAMETOOLONG : 0;
}

static int append_plain(char *path, size_t size, const char *name) {
        size_t len = strlen(path);
        int n = snprintf(path + len, size - len, "/%s", name);

        return n < 0 || (size_t) n >= size - len ? -ENAMETOOLONG : 0;
}

int lrm_history_change(xmlDoc *cib, uint32_t from, uint64_t id, const char *node_id, const char *node_name,
                       const struct exec_request *req, const struct exec_result *res,
                       const char *transition_key, bool failure, struct cib_msg **ret) {
        _cleanup_xmldoc_ xmlDoc *scratch = xmlNewDoc((const xmlChar *) "1.0");
        _cleanup_cib_msg_ struct cib_msg *m = NULL;
        char path[CIB_SYNC_PATH_MAX] = "/cib/status", parent[CIB_SYNC_PATH_MAX];
        xmlNode *op = NULL, *top = NULL, *inner = NULL, *existing;
        struct cib_version v;
        _cleanup_free_ char *op_id = NULL;
        int r;

        if (!scratch)
                return -ENOMEM;
        r = cib_doc_version(cib, &v);
        if (r < 0)
                return r;
        r = exec_op_xml(scratch, req, res, transition_key, failure, &op);
        if (r < 0)
                return r;
        op_id = (char *) xmlGetProp(op, (const xmlChar *) "id");
        xmlDocSetRootElement(scratch, op);
        r = cib_msg_new_change(from, id, &v, &m);
        if (r < 0 || !op_id)
                return r < 0 ? r : -ENOMEM;

        /* Walk down the path; the first missing level is created whole,
         * with everything below it. */
        struct { const char *name; const char *id; } levels[] = {
                { "node_state", node_id },
                { "lrm", node_id },
                { "lrm_resources", NULL },
                { "lrm_resource", req->rsc_id },
        };
        for (size_t i = 0; i < ELEMENTSOF(levels); i++) {
                strcpy(parent, path);
                r = levels[i].id ? append_step(path, sizeof(path), levels[i].name, levels[i].id)
                                 : append_plain(path, sizeof(path), levels[i].name);
                if (r < 0)
                        return r;
                if (cib_sync_find(cib, path))
                        continue;
                /* Build levels[i..] around the operation. */
                inner = op;
                xmlUnlinkNode(op);
                for (size_t j = ELEMENTSOF(levels); j-- > i;) {
                        xmlNode *n = xmlNewDocNode(scratch, NULL, (const xmlChar *) levels[j].name, NULL);
                        bool ok = n && set(n, "id", levels[j].id);

                        /* A node_state as Pacemaker writes one for a member. */
                        if (ok && j == 0)
                                ok = set(n, "uname", node_name) && set(n, "in_ccm", "true") &&
                                     set(n, "crmd", "online") && set(n, "join", "member") &&
                                     set(n, "expected", "member");
                        if (ok && j == ELEMENTSOF(levels) - 1)
                                ok = set(n, "class", "ocf") && set(n, "provider", req->provider) &&
                                     set(n, "type", req->type);
                        if (!ok) {
                                xmlFreeNode(n);
                                xmlFreeNode(inner);
                                return -ENOMEM;
                        }
                        xmlAddChild(n, inner);
                        inner = n;
                }
                top = inner;
                xmlDocSetRootElement(scratch, top);
                r = cib_msg_add_edit(m, CIB_EDIT_CREATE, parent, top);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(m);
                return 0;
        }
        /* Everything is there: replace the entry with that id, or add it. */
        strcpy(parent, path);
        r = append_step(path, sizeof(path), "lrm_rsc_op", op_id);
        if (r < 0)
                return r;
        existing = cib_sync_find(cib, path);
        r = cib_msg_add_edit(m, existing ? CIB_EDIT_REPLACE : CIB_EDIT_CREATE, existing ? path : parent, op);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}
