/* cib_doc.h: the CIB as a libxml2 document, as tandem-clusterd keeps it:
 * Pacemaker's version counters and the order they define, parsing of
 * untrusted CIB text, a deterministic serialization and its digest.
 * Shared by the on-disk store (cib_store.c) and replication (cib_sync.c). */
#pragma once

#include <inttypes.h>
#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

/* Pacemaker's three counters on <cib>: admin_epoch is only ever raised by
 * an administrator, epoch counts configuration changes, num_updates
 * counts changes since the last epoch (status updates; reset to 0 when
 * epoch moves). Pacemaker prints them as "admin_epoch.epoch.num_updates". */
struct cib_version {
        uint64_t admin_epoch;
        uint64_t epoch;
        uint64_t num_updates;
};

#define CIB_VERSION_FMT "%" PRIu64 ".%" PRIu64 ".%" PRIu64
#define CIB_VERSION_ARGS(v) (v).admin_epoch, (v).epoch, (v).num_updates

/* Longest CIB text accepted from disk or from a peer. */
#define CIB_DOC_MAX (16 * 1024 * 1024)

/* Hex SHA-256 plus NUL. */
#define CIB_DIGEST_LEN 65

/* <0, 0 or >0 as a is older than, the same version as, or newer than b:
 * admin_epoch first, then epoch, then num_updates. */
int cib_version_compare(const struct cib_version *a, const struct cib_version *b);

/* The counters of doc's <cib> root. A missing counter reads as 0, as in
 * Pacemaker; one that is not a decimal number is -EBADMSG. */
int cib_doc_version(xmlDoc *doc, struct cib_version *ret);

/* Write the three counters onto doc's root. -ENOMEM. */
int cib_doc_set_version(xmlDoc *doc, const struct cib_version *v);

/* Parse CIB text that nobody vouches for: no network, no DTD, no entity
 * expansion, blanks between elements dropped (so that the serialization
 * is canonical). The root must be <cib> with readable counters; missing
 * <configuration> (with crm_config, nodes, resources, constraints) and
 * <status> are added. Returns 0 and a new document, or -EBADMSG with the
 * reason (and line for XML errors) in why. */
int cib_doc_parse(const char *data, size_t len, xmlDoc **ret, char *why, size_t why_size);

/* The same safety for any XML (an element carried by a message): a
 * document with a root element, or -EBADMSG and why. */
int cib_doc_parse_xml(const char *data, size_t len, xmlDoc **ret, char *why, size_t why_size);

/* Add whatever of <configuration> (crm_config, nodes, resources,
 * constraints) and <status> is missing. -ENOMEM. */
int cib_doc_ensure_sections(xmlDoc *doc);

/* An empty CIB at version 0.0.0, as a node that never had one starts. */
int cib_doc_new_empty(xmlDoc **ret);

/* The document as indented UTF-8 text with an XML declaration; the same
 * tree always gives the same bytes. Returns a malloc'd string. */
int cib_doc_dump(xmlDoc *doc, char **ret, size_t *ret_len);

/* Hex SHA-256 of data, or of cib_doc_dump(doc). */
int cib_digest_bytes(const void *data, size_t len, char ret[CIB_DIGEST_LEN]);
int cib_doc_digest(xmlDoc *doc, char ret[CIB_DIGEST_LEN]);

/* The first child element of parent named name, or NULL. */
xmlNode *cib_doc_child(xmlNode *parent, const char *name);

static inline void cib_doc_freep(xmlDoc **d) {
        if (*d)
                xmlFreeDoc(*d);
}
#define _cleanup_xmldoc_ __attribute__((cleanup(cib_doc_freep)))
