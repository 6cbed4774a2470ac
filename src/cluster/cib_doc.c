/* cib_doc.c: version counters, safe parsing, canonical text and digest of
 * a CIB document (see cib_doc.h). */
#include <errno.h>
#include <gnutls/crypto.h>
#include <libxml/parser.h>
#include <string.h>

#include "cib_doc.h"
#include "util.h"

int cib_version_compare(const struct cib_version *a, const struct cib_version *b) {
        if (a->admin_epoch != b->admin_epoch)
                return a->admin_epoch < b->admin_epoch ? -1 : 1;
        if (a->epoch != b->epoch)
                return a->epoch < b->epoch ? -1 : 1;
        if (a->num_updates != b->num_updates)
                return a->num_updates < b->num_updates ? -1 : 1;
        return 0;
}

static int read_counter(xmlNode *root, const char *name, uint64_t *ret) {
        xmlChar *v = xmlGetProp(root, (const xmlChar *) name);
        int r;

        if (!v) {
                *ret = 0;
                return 0;
        }
        r = parse_u64((const char *) v, ret);
        xmlFree(v);
        return r < 0 ? -EBADMSG : 0;
}

int cib_doc_version(xmlDoc *doc, struct cib_version *ret) {
        xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
        struct cib_version v;

        if (!root || !xmlStrEqual(root->name, (const xmlChar *) "cib"))
                return -EBADMSG;
        if (read_counter(root, "admin_epoch", &v.admin_epoch) < 0 ||
            read_counter(root, "epoch", &v.epoch) < 0 ||
            read_counter(root, "num_updates", &v.num_updates) < 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cib_doc_set_version(xmlDoc *doc, const struct cib_version *v) {
        xmlNode *root = xmlDocGetRootElement(doc);
        const char *names[] = { "admin_epoch", "epoch", "num_updates" };
        const uint64_t values[] = { v->admin_epoch, v->epoch, v->num_updates };
        char text[24];

        if (!root)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(text, sizeof(text), "%" PRIu64, values[i]);
                if (!xmlSetProp(root, (const xmlChar *) names[i], (const xmlChar *) text))
                        return -ENOMEM;
        }
        return 0;
}

xmlNode *cib_doc_child(xmlNode *parent, const char *name) {
        for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *) name))
                        return c;
        return NULL;
}

/* Find or append the element `name` below parent. */
static xmlNode *ensure_child(xmlNode *parent, const char *name) {
        xmlNode *c = cib_doc_child(parent, name);

        return c ? c : xmlNewChild(parent, NULL, (const xmlChar *) name, NULL);
}

/* The sections every CIB has, so that paths into them always resolve. */
int cib_doc_ensure_sections(xmlDoc *doc) {
        xmlNode *root = xmlDocGetRootElement(doc), *config;
        const char *sections[] = { "crm_config", "nodes", "resources", "constraints" };

        config = ensure_child(root, "configuration");
        if (!config)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                if (!ensure_child(config, sections[i]))
                        return -ENOMEM;
        return ensure_child(root, "status") ? 0 : -ENOMEM;
}

int cib_doc_parse_xml(const char *data, size_t len, xmlDoc **ret, char *why, size_t why_size) {
        xmlParserCtxt *ctxt;
        xmlDoc *doc;
        int r;

        if (len > CIB_DOC_MAX)
                return format_error(why, why_size, -EBADMSG, "XML text of %zu bytes is over the limit of %d",
                                    len, CIB_DOC_MAX);
        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return -ENOMEM;
        doc = xmlCtxtReadMemory(ctxt, data, (int) len, "cib.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                                        XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
        if (!doc) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                const char *msg = e && e->message ? e->message : "unknown error";
                r = format_error(why, why_size, -EBADMSG, "not well-formed XML (line %d: %.*s)",
                                 e ? e->line : 0, (int) strcspn(msg, "\n"), msg);
                xmlFreeParserCtxt(ctxt);
                return r;
        }
        xmlFreeParserCtxt(ctxt);
        if (doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
                xmlFreeDoc(doc);
                return format_error(why, why_size, -EBADMSG, "a DTD is not accepted here");
        }
        *ret = doc;
        return 0;
}

int cib_doc_parse(const char *data, size_t len, xmlDoc **ret, char *why, size_t why_size) {
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        struct cib_version v;
        xmlNode *root;
        int r;

        r = cib_doc_parse_xml(data, len, &doc, why, why_size);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        if (!xmlStrEqual(root->name, (const xmlChar *) "cib"))
                return format_error(why, why_size, -EBADMSG, "the root element is <%s>, not <cib>",
                                    (const char *) root->name);
        if (cib_doc_version(doc, &v) < 0)
                return format_error(why, why_size, -EBADMSG,
                                    "admin_epoch, epoch and num_updates must be decimal numbers");
        r = cib_doc_ensure_sections(doc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}

int cib_doc_new_empty(xmlDoc **ret) {
        static const char empty[] =
                "<cib admin_epoch=\"0\" epoch=\"0\" num_updates=\"0\" validate-with=\"pacemaker-3.9\" "
                "crm_feature_set=\"3.17.4\"/>";

        return cib_doc_parse(empty, sizeof(empty) - 1, ret, NULL, 0);
}

int cib_doc_dump(xmlDoc *doc, char **ret, size_t *ret_len) {
        xmlChar *text = NULL;
        int len = 0;
        char *copy;

        xmlDocDumpFormatMemoryEnc(doc, &text, &len, "UTF-8", 1);
        if (!text)
                return -ENOMEM;
        /* A copy so that callers free() it like every other string. */
        copy = strndup((const char *) text, (size_t) len);
        xmlFree(text);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        if (ret_len)
                *ret_len = (size_t) len;
        return 0;
}

int cib_digest_bytes(const void *data, size_t len, char ret[CIB_DIGEST_LEN]) {
        unsigned char md[32];

        if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, md) < 0)
                return -EIO;
        for (size_t i = 0; i < sizeof(md); i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}

int cib_doc_digest(xmlDoc *doc, char ret[CIB_DIGEST_LEN]) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = cib_doc_dump(doc, &text, &len);

        return r < 0 ? r : cib_digest_bytes(text, len, ret);
}
