/* cib_sync.h: the CIB replication rules of tandem-clusterd, as pure
 * functions (docs/cib-replication.md). The messages nodes send one another
 * through CPG's total order, their JSON encoding (versioned by the member
 * "tandem-cib"), decoding that checks every field of untrusted input,
 * applying a change atomically under a version check, and the rule that
 * picks the CIB every member ends with after a join or a partition heal.
 * Nothing here does IO or keeps state between calls: replicas that apply
 * the same messages in the same order end with the same CIB. */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cib_doc.h"

/* The protocol version this code speaks; a message of another version is
 * refused (-EPROTONOSUPPORT) rather than half understood. */
#define CIB_SYNC_PROTOCOL 1

/* Limits on decoded messages. */
#define CIB_SYNC_MSG_MAX (CIB_DOC_MAX + 64 * 1024)
#define CIB_SYNC_OPS_MAX 4096
#define CIB_SYNC_PATH_MAX 1024

enum cib_msg_type {
        CIB_MSG_CHANGE,    /* ops applied to the CIB at version `base` */
        CIB_MSG_REPLACE,   /* a whole new CIB made against version `base` */
        CIB_MSG_OFFER,     /* after a membership change: my CIB's version and digest */
        CIB_MSG_SYNC,      /* the chosen node's whole CIB, adopted by every member */
};

enum cib_edit_kind {
        CIB_EDIT_CREATE,   /* add `xml` as the last child of the element at path */
        CIB_EDIT_REPLACE,  /* replace the element at path by `xml` (same name) */
        CIB_EDIT_DELETE,   /* remove the element at path */
        CIB_EDIT_SET,      /* set (or, value NULL, remove) attributes of the element at path */
};

struct cib_attr {
        char *name;
        char *value;       /* NULL: remove the attribute */
};

/* One edit of a change. Paths are absolute steps from the root,
 * "/cib/configuration/resources/primitive[@id='d1']": each step names an
 * element and optionally its id, and selects the first such child. */
struct cib_edit {
        enum cib_edit_kind kind;
        char *path;
        xmlNode *xml;      /* CREATE, REPLACE: the element (owned, in its own document) */
        struct cib_attr *attrs;  /* SET */
        size_t n_attrs;
};

struct cib_msg {
        enum cib_msg_type type;
        uint32_t from;     /* corosync node id of the sender */
        uint64_t id;       /* sender's counter, to match a result to its request */
        /* CHANGE, REPLACE: the version the change was made against.
         * OFFER, SYNC: the version of the CIB offered or sent. */
        struct cib_version version;
        struct cib_edit *edits;   /* CHANGE */
        size_t n_edits;
        xmlDoc *cib;              /* REPLACE, SYNC */
        char digest[CIB_DIGEST_LEN];  /* OFFER, SYNC: digest of the CIB */
};

void cib_msg_free(struct cib_msg *m);  /* NULL allowed */
static inline void cib_msg_freep(struct cib_msg **m) {
        cib_msg_free(*m);
}
#define _cleanup_cib_msg_ __attribute__((cleanup(cib_msg_freep)))

/* Builders. Each returns 0 and a new message, or -ENOMEM. */
int cib_msg_new_change(uint32_t from, uint64_t id, const struct cib_version *base, struct cib_msg **ret);
/* Append an edit to a change. xml (CREATE/REPLACE) is copied; for SET use
 * cib_msg_add_set(). -EINVAL when the path does not parse. */
int cib_msg_add_edit(struct cib_msg *m, enum cib_edit_kind kind, const char *path, const xmlNode *xml);
int cib_msg_add_set(struct cib_msg *m, const char *path, const char *name, const char *value);
/* A replacement of the CIB at base by a copy of doc. */
int cib_msg_new_replace(uint32_t from, uint64_t id, const struct cib_version *base, xmlDoc *doc,
                        struct cib_msg **ret);
/* An offer or a sync of doc (a copy is taken for a sync). */
int cib_msg_new_offer(uint32_t from, xmlDoc *doc, struct cib_msg **ret);
int cib_msg_new_sync(uint32_t from, xmlDoc *doc, struct cib_msg **ret);

/* One line of JSON (no newline), malloc'd. */
int cib_msg_encode(const struct cib_msg *m, char **ret, size_t *ret_len);

/* Decode a message from a peer. Any input gives either 0 and a message
 * whose every field has been checked, or -EBADMSG (-EPROTONOSUPPORT for
 * another protocol version) with the field at fault named in why. */
int cib_msg_decode(const void *data, size_t len, struct cib_msg **ret, char *why, size_t why_size);

/* The result of applying a CHANGE, REPLACE or SYNC to doc: a new document
 * in *ret (doc itself is never modified, so a failure changes nothing).
 * CHANGE and REPLACE are refused with -ESTALE when doc is not at the
 * message's version ("the CIB moved on"); an edit that does not apply
 * (-ENOENT no such element, -EEXIST an element with that id exists,
 * -EINVAL a bad edit) refuses the whole change. The version of the
 * result: a change that only touches /cib/status counts num_updates up,
 * any other counts epoch up and resets num_updates; a replacement keeps
 * its own counters when they are newer than doc's, else becomes
 * doc's admin_epoch, epoch + 1, 0. A SYNC is taken as it is. */
int cib_sync_apply(xmlDoc *doc, const struct cib_msg *m, xmlDoc **ret, char *why, size_t why_size);

/* An offer as cib_sync_choose() reads it. */
struct cib_offer {
        uint32_t node;
        struct cib_version version;
        char digest[CIB_DIGEST_LEN];
};

/* The rule for a join or a heal: the index of the offer whose CIB every
 * member ends with: the newest version (admin_epoch, epoch, num_updates);
 * among equal versions, the lowest node id. -EINVAL when n is 0. */
int cib_sync_choose(const struct cib_offer *offers, size_t n);

/* Whether every offer has the chosen one's digest: then no sync message
 * is needed. */
bool cib_sync_agreed(const struct cib_offer *offers, size_t n);

/* The element a path names in doc, or NULL (also for a bad path). */
xmlNode *cib_sync_find(xmlDoc *doc, const char *path);
