/* cib_local.h: this node's CIB as tandem-clusterd holds it: the document
 * in memory, backed by the on-disk store, and the control requests that
 * need only it (docs/clusterd-protocol.md): cib-read, and cib-apply with
 * its version check. Until CPG replication runs, cib-apply changes the
 * local CIB only, with exactly the rules replication will use
 * (cib_sync_apply). */
#pragma once

#include <jansson.h>
#include <libxml/tree.h>

#include "buf.h"
#include "cib_store.h"

struct cib_local;

/* Open the store in dir and load the newest intact CIB. Files passed
 * over are described in `report` for the caller to log. -ENODATA when
 * files exist but none is intact. */
int cib_local_open(const char *dir, struct buf *report, struct cib_local **ret);
void cib_local_free(struct cib_local *c);  /* NULL allowed */

xmlDoc *cib_local_doc(const struct cib_local *c);
/* The file the CIB was loaded from ("cib.xml", "cib-3.xml"), or NULL
 * when the node started from an empty CIB. */
const char *cib_local_source(const struct cib_local *c);

/* Number of resources (top-level children of <resources>). */
unsigned cib_local_resources(const struct cib_local *c);

/* Adopt doc (stolen) as the CIB and persist it. On failure the CIB is
 * unchanged and doc freed. */
int cib_local_replace(struct cib_local *c, xmlDoc *doc);

/* The control requests. Each returns 0 and a reply, or a negative errno
 * (ENOMEM) for the server to turn into an error reply. */
int cib_local_request_read(struct cib_local *c, json_t *args, json_t **ret_reply);
int cib_local_request_apply(struct cib_local *c, json_t *request, json_t **ret_reply);

/* Members "version" ("0.3.1"), "admin_epoch", "epoch", "num_updates"
 * added to reply. */
int cib_local_add_version(const struct cib_local *c, json_t *reply);
