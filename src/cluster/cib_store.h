/* cib_store.h: the node's CIB on disk (docs/cib-replication.md, "On disk").
 * DIR/cib.xml is Pacemaker's XML followed by one comment line that holds
 * the SHA-256 of every byte before it; each save first keeps the previous
 * file as DIR/cib-N.xml (N counting up, the last few kept) and then
 * replaces cib.xml atomically (temporary file, fsync, rename, fsync of
 * the directory). Loading takes the newest copy that is intact. */
#pragma once

#include <libxml/tree.h>

#include "buf.h"
#include "cib_doc.h"

#define CIB_STORE_DIR "/var/lib/tandem/cib"
#define CIB_STORE_KEEP 5

/* The line that ends every file the store writes. */
#define CIB_STORE_SUM_PREFIX "<!-- tandem-cib-sha256: "
#define CIB_STORE_SUM_SUFFIX " -->\n"

struct cib_store;

/* Use directory dir (created 0750 by the first save if missing), keeping `keep` previous
 * versions (at least 1). Returns 0 and the store, or a negative errno. */
int cib_store_open(const char *dir, unsigned keep, struct cib_store **ret);
void cib_store_free(struct cib_store *s);  /* NULL allowed */

const char *cib_store_dir(const struct cib_store *s);

/* Read the newest intact CIB: cib.xml, else cib-N.xml from the highest N
 * down. Every file passed over is described by one line in `report`
 * ("cib.xml: checksum mismatch (truncated or corrupt); ..."), for the
 * caller to log; a damaged cib.xml is renamed to cib.xml.corrupt so that
 * the next save does not keep it as a version. With no file at all the
 * result is an empty CIB at 0.0.0 and *ret_source is NULL; otherwise
 * *ret_source is the malloc'd name of the file used. Returns -ENODATA
 * when files exist but none is intact. */
int cib_store_load(struct cib_store *s, xmlDoc **ret_doc, char **ret_source, struct buf *report);

/* Persist doc (its status section is not written: status is rebuilt from
 * the live nodes, as in Pacemaker). doc is not modified. */
int cib_store_save(struct cib_store *s, xmlDoc *doc);

/* Read and check one file written by the store (a file without the
 * checksum line is accepted as written by hand, *ret_signed false).
 * -EBADMSG with the reason in why. */
int cib_store_read_file(const char *path, xmlDoc **ret, bool *ret_signed, char *why, size_t why_size);

/* The same check on text in memory: data[len] must be NUL (a NUL before
 * it is corruption). For the fuzz target and tests. */
int cib_store_parse_text(const char *data, size_t len, xmlDoc **ret, bool *ret_signed, char *why,
                         size_t why_size);

/* The text cib_store_save() writes for doc: for tests. */
int cib_store_format(xmlDoc *doc, char **ret, size_t *ret_len);
