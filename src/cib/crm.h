/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm.h: the crmsh configuration language over a Pacemaker CIB (libxml2):
 * lex and parse crmsh text into CIB elements, check and apply them to a
 * CIB document, print a CIB back as crmsh text, read and write CIB files.
 * Errors are negative errno values with a message in struct crm_error. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <libxml/tree.h>

#include "buf.h"
#include "util.h"

/* Where a word was written: 1-based line and byte column. 0:0 when the
 * word did not come from text (an object read from XML). */
struct crm_pos {
        unsigned line, col;
};

/* Why an operation failed: "NAME:LINE:COL: what, naming the word". */
struct crm_error {
        char message[4096];
};

/* Formats message into err and returns r. */
int crm_error(struct crm_error *err, int r, const char *fmt, ...) _printf_(3, 4);

/* ---- lexer (crm_lex.c) ---- */

struct crm_token {
        char *text;             /* unquoted, unescaped */
        struct crm_pos pos;
};

/* One statement: a line, or several joined by a trailing backslash. */
struct crm_stmt {
        struct crm_token *tokens;
        size_t n_tokens;
};

struct crm_stmts {
        struct crm_stmt *stmts;
        size_t n_stmts;
};

/* Splits text (len bytes, NULs rejected) into statements of words, the
 * way crmsh reads a line: blanks separate words, "..." and '...' quote
 * (also inside a word: meta notify="true"), a backslash escapes the next
 * character or joins the next line, and a line whose first word starts
 * with '#' is a comment. name prefixes error messages. On success fills
 * *ret (free with crm_stmts_done); -EINVAL with err set on bad text. */
int crm_lex(const char *name, const char *text, size_t len, struct crm_stmts *ret, struct crm_error *err);
void crm_stmts_done(struct crm_stmts *s);

/* ---- parser (crm_parse*.c) ---- */

enum crm_kind {
        CRM_NODE,
        CRM_PRIMITIVE,
        CRM_GROUP,
        CRM_MS,                 /* a <master>, as old CIBs have it */
        CRM_CLONE,
        CRM_LOCATION,
        CRM_COLOCATION,
        CRM_ORDER,
        CRM_PROPERTY,
        CRM_RSC_DEFAULTS,
        CRM_OP_DEFAULTS,
        CRM_XML,                /* anything else, kept as raw XML */
        _CRM_KIND_MAX,
};

/* The keyword of a kind ("primitive", "ms", ...). */
const char *crm_kind_name(enum crm_kind kind);

/* A name as the user wrote it, with its place. */
struct crm_word {
        char *text;
        struct crm_pos pos;
};

/* One configuration object: the element it becomes plus what the checks
 * need to point at the words. Sub-elements have no id until applied. */
struct crm_object {
        enum crm_kind kind;
        struct crm_word id;             /* object id; set id for property/defaults */
        struct crm_pos keyword;         /* where the statement starts */
        xmlNode *xml;                   /* owned by the script's document */
        struct crm_word *children;      /* clone/ms/group: resources it wraps */
        size_t n_children;
        struct crm_word *refs;          /* constraints: resources they name */
        size_t n_refs;
        struct crm_word agent;          /* primitive: class:provider:type */
        struct crm_word *params;        /* primitive: params names as written */
        size_t n_params;
};

struct crm_script {
        char *name;                     /* for messages: file name, "<stdin>" */
        xmlDoc *doc;                    /* owns every object's xml */
        struct crm_object *objects;
        size_t n_objects;
};

/* An empty script named name. NULL when out of memory. */
struct crm_script *crm_script_new(const char *name);
void crm_script_free(struct crm_script *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct crm_script *, crm_script_free)

/* True if word starts a configuration statement (primitive, ms, ...). */
bool crm_is_object_keyword(const char *word);

/* Parses one statement (its first word is an object keyword) and appends
 * the object to s. -EINVAL with err naming the word and its position. */
int crm_parse_stmt(struct crm_script *s, const struct crm_stmt *st, struct crm_error *err);

/* Lexes and parses a whole text of object statements into a new script.
 * Any other statement is an error. */
int crm_parse(const char *name, const char *text, size_t len, struct crm_script **ret, struct crm_error *err);

/* ---- words shared by parser and printer (crm_words.c) ---- */

/* A score as crmsh writes it: inf, +inf, -inf, INFINITY, -INFINITY or an
 * integer. Stores the CIB form ("INFINITY", "-INFINITY", "100") in ret
 * (size >= 16). -EINVAL otherwise. */
int crm_score_parse(const char *word, char *ret, size_t size);

/* A role: Started, Stopped, Promoted, Unpromoted, and the legacy Master
 * and Slave (as Promoted, Unpromoted), any case. Returns the CIB name or
 * NULL if word is not a role. */
const char *crm_role_parse(const char *word);

/* ---- checks and apply (crm_apply.c, crm_agent.c) ---- */

struct crm_agent_cache;

struct crm_check_options {
        const char *ocf_root;           /* NULL: $OCF_ROOT or /usr/lib/ocf */
        const char *stonith_path;       /* NULL: $PATH then /usr/sbin */
        bool skip_agents;               /* do not look at agents at all */
        struct crm_agent_cache *cache;  /* NULL: no caching */
};

enum crm_apply_mode {
        CRM_APPLY_CREATE,       /* new objects; an id in use is an error */
        CRM_APPLY_UPDATE,       /* an object with the same id is replaced */
};

/* Applies the script's objects to a copy of cib: checks them (ids, the
 * resources constraints and clones name, agents and their parameters;
 * scores and roles were checked by the parser), gives sub-elements
 * crmsh's ids, and stores the new document in *ret (the caller frees
 * it). cib itself is never changed, also not on error (-EINVAL with err
 * naming the word, -ENOMEM). Properties and defaults merge into the set
 * of the same id; forward references within the script are fine. With
 * opts NULL, agents are looked up with the defaults; set skip_agents to
 * not look at them. */
int crm_apply(xmlDoc *cib, const struct crm_script *s, enum crm_apply_mode mode,
              const struct crm_check_options *opts, xmlDoc **ret, struct crm_error *err);

/* Removes the objects ids from a copy of cib, with the constraints that
 * named them (each listed in notes) and a clone or group left empty.
 * -ENOENT naming the first id that does not exist. */
int crm_delete(xmlDoc *cib, char *const *ids, size_t n_ids, struct buf *notes,
               xmlDoc **ret, struct crm_error *err);

/* crm_delete with flags: CRM_DELETE_UNWRAP keeps the resources inside a
 * deleted clone or group (moved to the top); CRM_DELETE_KEEP_HANGING
 * leaves the constraints that named deleted resources (for `edit`, which
 * puts objects back). */
enum {
        CRM_DELETE_UNWRAP = 1 << 0,
        CRM_DELETE_KEEP_HANGING = 1 << 1,
};
int crm_delete_flags(xmlDoc *cib, char *const *ids, size_t n_ids, unsigned flags, struct buf *notes,
                     xmlDoc **ret, struct crm_error *err);

/* Removes, in place, clones and groups without resources and then the
 * constraints that name a resource cib does not have, each noted in
 * notes ("hanging colocation c deleted"). */
int crm_remove_hanging(xmlDoc *cib, struct buf *notes);

/* Checks a whole CIB as it stands: unique ids, constraints naming
 * existing resources, scores, roles, agents and parameters. */
int crm_verify(xmlDoc *cib, const struct crm_check_options *opts, struct crm_error *err);

/* The configuration element of a CIB (section may be NULL) or one of its
 * sections ("resources", "constraints", ...), created if missing. NULL
 * when out of memory or when the document has no <cib> root. */
xmlNode *crm_cib_section(xmlDoc *cib, const char *section);

/* The top-level object (resource, constraint, node, property set, ...)
 * whose id is id, or NULL. Resources inside clones and groups count. */
xmlNode *crm_cib_find(xmlDoc *cib, const char *id);

/* The kind of a CIB element as an object, or _CRM_KIND_MAX if it is not
 * one (an nvpair, an op, ...). */
enum crm_kind crm_kind_of(const xmlNode *n);

/* ---- agents (crm_agent.c) ---- */

struct crm_agent_cache *crm_agent_cache_new(void);
void crm_agent_cache_free(struct crm_agent_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct crm_agent_cache *, crm_agent_cache_free)

/* Checks a <primitive>: its agent exists and its meta-data lists every
 * parameter the primitive sets and none it requires is missing. On
 * -ENOENT (no agent), -EINVAL (parameter problems) the reason goes in
 * why and *ret_param names the offending parameter (NULL when the agent
 * itself is the problem: unknown, or a required parameter missing, whose
 * name is in why). */
int crm_agent_check(const xmlNode *primitive, const struct crm_check_options *opts,
                    const char **ret_param, char *why, size_t why_size);

/* ---- printer (crm_print.c) ---- */

/* Prints the configuration objects of cib as `crm configure show` does,
 * in crmsh's order, or only the objects ids (n_ids > 0; -ENOENT naming
 * the first missing one). */
int crm_print(xmlDoc *cib, char *const *ids, size_t n_ids, struct buf *out, struct crm_error *err);

/* Prints the whole CIB, or the objects ids, as XML. */
int crm_print_xml(xmlDoc *cib, char *const *ids, size_t n_ids, struct buf *out, struct crm_error *err);

/* ---- CIB files (crm_cibfile.c) ---- */

/* A new empty CIB: <cib ...><configuration><crm_config/><nodes/>
 * <resources/><constraints/></configuration><status/></cib>. */
int crm_cib_new(xmlDoc **ret);

/* Reads a CIB file; a missing file gives a new empty CIB. -EBADMSG with
 * err set when the file is not a CIB. */
int crm_cib_read(const char *path, xmlDoc **ret, struct crm_error *err);

/* Writes cib to path atomically (temporary file, fsync, rename), after
 * bumping the epoch and resetting num_updates, as Pacemaker does for a
 * configuration change. A validate-with of pacemaker-3.0 to 3.6 becomes
 * pacemaker-3.9, the first to know the roles Promoted and Unpromoted
 * being 3.7. */
int crm_cib_write(const char *path, xmlDoc *cib);

/* "admin_epoch:epoch" of cib, which changes with every configuration
 * write. */
void crm_cib_version(xmlDoc *cib, char *buf, size_t size);

/* Writes cib (crm_cib_write) if the file is still at base_version, the
 * version the changes were made on; -ESTALE (nothing written) if another
 * command wrote it meanwhile. */
int crm_cib_commit(const char *path, xmlDoc *cib, const char *base_version, struct crm_error *err);

/* A copy of cib with the objects of its configuration removed (for load
 * replace and a full edit): the <cib> attributes, the status and the
 * sections this language has no words for (acls, tags, ...) stay. */
int crm_cib_clear_configuration(xmlDoc *cib, xmlDoc **ret);

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDoc *, xmlFreeDoc)
