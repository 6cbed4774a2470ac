/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_cibfile.c: a CIB kept in a file, as Pacemaker's tools use one with
 * CIB_file=PATH: read it (an absent file is an empty CIB), write it
 * atomically with the epoch bumped. */
#include <stdio.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <sys/file.h>
#include <time.h>
#include <libxml/parser.h>

#include "crm.h"
#include "crm_internal.h"

/* What Pacemaker 2.1 writes into a new CIB. */
#define CIB_VALIDATE_WITH "pacemaker-3.9"
#define CIB_FEATURE_SET "3.16.2"

static const char empty_cib[] =
        "<cib crm_feature_set=\"" CIB_FEATURE_SET "\" validate-with=\"" CIB_VALIDATE_WITH "\" "
        "epoch=\"0\" num_updates=\"0\" admin_epoch=\"0\">"
        "<configuration><crm_config/><nodes/><resources/><constraints/></configuration>"
        "<status/></cib>";

static xmlDoc *read_memory(const char *text, size_t len, const char *url) {
        return xmlReadMemory(text, (int) len, url, NULL,
                             XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

int crm_cib_new(xmlDoc **ret) {
        xmlDoc *doc = read_memory(empty_cib, strlen(empty_cib), "cib.xml");

        if (!doc)
                return -ENOMEM;
        *ret = doc;
        return 0;
}

int crm_cib_read(const char *path, xmlDoc **ret, struct crm_error *err) {
        _cleanup_free_ char *text = NULL;
        xmlDoc *doc;
        size_t len;
        int r;

        r = read_file(path, &text, &len);
        if (r == -ENOENT) {
                r = crm_cib_new(ret);
                return r < 0 ? crm_error(err, r, "out of memory") : 0;
        }
        if (r < 0)
                return crm_error(err, r, "cannot read %s: %s", path, strerror(-r));
        if (len > INT32_MAX)
                return crm_error(err, -EFBIG, "%s is too large", path);
        doc = read_memory(text, len, path);
        if (!doc) {
        const xmlError *e = xmlGetLastError();

                return crm_error(err, -EBADMSG, "%s:%d: not well-formed XML: %s", path, e ? e->line : 0,
                                 e && e->message ? e->message : "parse error");
        }
        if (!crm_xml_is(xmlDocGetRootElement(doc), "cib")) {
                xmlFreeDoc(doc);
                return crm_error(err, -EBADMSG, "%s: not a CIB (the root element is not <cib>)", path);
        }
        *ret = doc;
        return 0;
}

/* The epoch counts configuration changes; num_updates counts status
 * changes since. */
static int bump_epoch(xmlNode *root) {
        const char *epoch = crm_xml_get(root, "epoch");
        uint64_t v = 0;
        char buf[32];
        time_t now = time(NULL);
        struct tm tm;

        if (epoch && parse_u64(epoch, &v) < 0)
                v = 0;
        snprintf(buf, sizeof(buf), "%" PRIu64, v + 1);
        if (crm_xml_set(root, "epoch", buf) < 0 || crm_xml_set(root, "num_updates", "0") < 0)
                return -ENOMEM;
        /* Pacemaker's format: "Sun Nov 22 02:40:00 2026". */
        if (localtime_r(&now, &tm) && strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm) > 0 &&
            crm_xml_set(root, "cib-last-written", buf) < 0)
                return -ENOMEM;
        return 0;
}

/* The roles tandem writes (Promoted, Unpromoted) are valid from schema
 * pacemaker-3.7 on; within major version 3 a newer schema accepts what
 * an older one did, so 3.0 to 3.6 move up to the version tandem writes.
 * Older majors need Pacemaker's own upgrade (cibadmin --upgrade). */
static int upgrade_schema(xmlNode *root) {
        const char *v = crm_xml_get(root, "validate-with"), *minor;
        int n;

        if (!v || !(minor = startswith(v, "pacemaker-3.")) || parse_int(minor, &n) < 0 || n >= 7)
                return 0;
        return crm_xml_set(root, "validate-with", CIB_VALIDATE_WITH);
}

int crm_cib_write(const char *path, xmlDoc *cib) {
        xmlNode *root = xmlDocGetRootElement(cib);
        xmlChar *mem = NULL;
        int len = 0, r;

        if (!crm_xml_is(root, "cib"))
                return -EINVAL;
        r = upgrade_schema(root);
        if (r >= 0)
                r = bump_epoch(root);
        if (r < 0)
                return r;
        xmlDocDumpFormatMemory(cib, &mem, &len, 1);
        if (!mem)
                return -ENOMEM;
        r = write_file_atomic(path, mem, (size_t) len, 0600);
        xmlFree(mem);
        return r;
}

int crm_cib_clear_configuration(xmlDoc *cib, xmlDoc **ret) {
        static const char *const sections[] = {
                "crm_config", "nodes", "resources", "constraints", "rsc_defaults", "op_defaults",
        };
        _cleanup_(xmlFreeDocp) xmlDoc *doc = xmlCopyDoc(cib, 1);
        xmlNode *conf = doc ? crm_cib_section(doc, NULL) : NULL, *next;

        if (!conf)
                return -ENOMEM;
        for (xmlNode *c = crm_xml_first(conf, NULL); c; c = next) {
                next = crm_xml_next(c, NULL);
                for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                        if (crm_xml_is(c, sections[i])) {
                                xmlNode *child;

                                while ((child = c->children)) {
                                        xmlUnlinkNode(child);
                                        xmlFreeNode(child);
                                }
                        }
        }
        *ret = TAKE_PTR(doc);
        return 0;
}

void crm_cib_version(xmlDoc *cib, char *buf, size_t size) {
        xmlNode *root = xmlDocGetRootElement(cib);

        snprintf(buf, size, "%s:%s", crm_xml_get(root, "admin_epoch") ?: "0", crm_xml_get(root, "epoch") ?: "0");
}

int crm_cib_commit(const char *path, xmlDoc *cib, const char *base_version, struct crm_error *err) {
        _cleanup_(xmlFreeDocp) xmlDoc *now = NULL;
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int dir = -1;
        char version[64];
        int r;

        if (!copy)
                return crm_error(err, -ENOMEM, "out of memory");
        /* The directory's lock makes compare-and-replace one step among
         * tandem commands; readers are never blocked. */
        dir = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0 || flock(dir, LOCK_EX) < 0)
                return crm_error(err, -errno, "cannot lock the directory of %s: %s", path, strerror(errno));
        r = crm_cib_read(path, &now, err);
        if (r < 0)
                return r;
        crm_cib_version(now, version, sizeof(version));
        if (!streq(version, base_version))
                return crm_error(err, -ESTALE, "%s changed since it was read (admin_epoch:epoch %s, now %s); "
                                 "nothing written, run the command again", path, base_version, version);
        r = crm_cib_write(path, cib);
        if (r < 0)
                return crm_error(err, r, "cannot write %s: %s", path, strerror(-r));
        return 0;
}
