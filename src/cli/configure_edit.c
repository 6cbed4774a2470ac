/* SPDX-License-Identifier: GPL-2.0-or-later */
/* configure_edit.c: `tandem configure edit [ID...]`: the objects as
 * crmsh text in $EDITOR; the result is checked as a whole and applied,
 * or shown again with the error in a comment on top. Never half-applied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "configure.h"
#include "util.h"

#define PROG "tandem configure"
#define EDIT_ROUNDS 20
#define ERROR_MARK "# ERROR: "

/* The text without the error comment lines edit put on top. */
static char *strip_error(const char *text) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        const char *p = text;

        while (startswith(p, ERROR_MARK) || startswith(p, "#   ")) {
                const char *nl = strchr(p, '\n');
                p = nl ? nl + 1 : p + strlen(p);
        }
        if (buf_append_str(&b, p) < 0)
                return NULL;
        return buf_steal(&b);
}

/* $EDITOR, else $VISUAL, else vi. */
static const char *editor(void) {
        const char *e = getenv("EDITOR");

        if (!e || !*e)
                e = getenv("VISUAL");
        return e && *e ? e : "vi";
}

/* Runs the editor on file through the shell, as git does: $EDITOR may
 * carry arguments and quotes ("emacs -nw", "sed -i s/a/b/"). */
static int run_editor(const char *file) {
        _cleanup_free_ char *cmd = strjoin(editor(), " \"$@\"", NULL);
        int status;
        pid_t pid;

        if (!cmd)
                return -ENOMEM;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execl("/bin/sh", "sh", "-c", cmd, "sh", file, (char *) NULL);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static bool listed(char *const *ids, size_t n_ids, const char *id) {
        for (size_t i = 0; i < n_ids; i++)
                if (streq(ids[i], id))
                        return true;
        return false;
}

static bool in_script(const struct crm_script *s, const char *id) {
        for (size_t i = 0; i < s->n_objects; i++)
                if (streq(s->objects[i].id.text, id))
                        return true;
        return false;
}

/* An edit of some objects: those gone from the text are deleted (the
 * resources inside a deleted clone stay), property sets are written
 * anew, the others are replaced where they are (a primitive inside its
 * clone). The text may not take the id of an object it did not show. */
static int apply_some(struct configure *c, char *const *ids, size_t n_ids, const struct crm_script *s,
                      xmlDoc **ret, struct crm_error *err) {
        _cleanup_(xmlFreeDocp) xmlDoc *base = xmlCopyDoc(c->cib, 1);
        int r;

        if (!base)
                return crm_error(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n_objects; i++) {
                const struct crm_object *o = &s->objects[i];

                if (crm_cib_find(c->cib, o->id.text) && !listed(ids, n_ids, o->id.text)) {
                        snprintf(err->message, sizeof(err->message),
                                 "edit:%u:%u: id '%s' is already in use by an object not in this edit",
                                 o->id.pos.line, o->id.pos.col, o->id.text);
                        return -EINVAL;
                }
        }
        for (size_t i = 0; i < n_ids; i++) {
                enum crm_kind k = crm_kind_of(crm_cib_find(base, ids[i]));
                xmlDoc *next = NULL;

                if (in_script(s, ids[i]) && k != CRM_PROPERTY && k != CRM_RSC_DEFAULTS && k != CRM_OP_DEFAULTS)
                        continue;
                r = crm_delete_flags(base, &ids[i], 1, CRM_DELETE_UNWRAP | CRM_DELETE_KEEP_HANGING, NULL, &next, err);
                if (r == -ENOENT)
                        continue;       /* gone with a clone emptied before */
                if (r < 0)
                        return r;
                xmlFreeDoc(base);
                base = next;
        }
        return crm_apply(base, s, CRM_APPLY_UPDATE, &c->opts, ret, err);
}

/* Checks the edited text and builds the new CIB from it: the whole
 * configuration when no ids were given, else those objects. */
static int apply_text(struct configure *c, char *const *ids, size_t n_ids, const char *text,
                      xmlDoc **ret, struct buf *notes, struct crm_error *err) {
        _cleanup_(crm_script_freep) struct crm_script *s = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *base = NULL, *doc = NULL;
        int r;

        r = crm_parse("edit", text, strlen(text), &s, err);
        if (r < 0)
                return r;
        if (n_ids > 0)
                r = apply_some(c, ids, n_ids, s, &doc, err);
        else {
                r = crm_cib_clear_configuration(c->cib, &base);
                if (r < 0)
                        return crm_error(err, r, "out of memory");
                r = crm_apply(base, s, CRM_APPLY_CREATE, &c->opts, &doc, err);
        }
        if (r < 0)
                return r;
        r = crm_remove_hanging(doc, notes);
        if (r < 0)
                return crm_error(err, r, "out of memory");
        *ret = TAKE_PTR(doc);
        return 0;
}

static int write_text(const char *path, const char *error, const char *text) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        if (error) {
                buf_printf(&b, ERROR_MARK "%s\n", error);
                buf_append_str(&b, "#   Fix the text below and save it, or save it unchanged to give up.\n");
        }
        if (buf_append_str(&b, text) < 0)
                return -ENOMEM;
        return write_file_atomic(path, b.data, b.len, 0600);
}

int configure_edit(struct configure *c, char *const *ids, size_t n_ids) {
        _cleanup_buf_ struct buf shown = BUF_INIT, notes = BUF_INIT;
        _cleanup_free_ char *dir = NULL, *file = NULL, *current = NULL;
        struct crm_error err;
        const char *tmp = getenv("TMPDIR");
        int r;

        r = crm_print(c->cib, ids, n_ids, &shown, &err);
        if (r < 0) {
                fprintf(stderr, PROG ": %s\n", err.message);
                return r;
        }
        dir = strjoin(tmp && *tmp ? tmp : "/tmp", "/tandem-edit-XXXXXX", NULL);
        if (!dir || !mkdtemp(dir)) {
                fprintf(stderr, PROG ": cannot make a temporary directory: %m\n");
                return -errno;
        }
        file = strjoin(dir, "/configuration.crm", NULL);
        current = strdup(shown.data ?: "");
        if (!file || !current) {
                r = -ENOMEM;
                goto out;
        }
        r = write_text(file, NULL, current);
        for (int round = 0; r >= 0; round++) {
                _cleanup_free_ char *raw = NULL, *edited = NULL;
                xmlDoc *doc = NULL;

                r = run_editor(file);
                if (r < 0) {
                        fprintf(stderr, PROG ": the editor failed; nothing changed\n");
                        break;
                }
                r = read_file(file, &raw, NULL);
                if (r < 0)
                        break;
                edited = strip_error(raw);
                if (!edited) {
                        r = -ENOMEM;
                        break;
                }
                if (streq(edited, current)) {
                        if (round == 0)
                                fprintf(stderr, PROG ": no changes\n");
                        else
                                fprintf(stderr, PROG ": left unchanged after an error; nothing changed\n");
                        r = round == 0 ? -ECANCELED : -EINVAL;
                        break;
                }
                r = apply_text(c, ids, n_ids, edited, &doc, &notes, &err);
                if (r >= 0) {
                        for (char *l = notes.data, *nl; l && (nl = strchr(l, '\n')); l = nl + 1)
                                fprintf(stderr, "INFO: %.*s\n", (int) (nl - l), l);
                        configure_set_cib(c, doc);
                        break;
                }
                if (r == -ENOMEM)
                        break;
                fprintf(stderr, PROG ": %s\n", err.message);
                if (round + 1 == EDIT_ROUNDS) {
                        fprintf(stderr, PROG ": giving up after %d tries; nothing changed\n", EDIT_ROUNDS);
                        break;
                }
                free(current);
                current = TAKE_PTR(edited);
                r = write_text(file, err.message, current);
        }
out:
        if (r == -ENOMEM)
                fprintf(stderr, PROG ": out of memory\n");
        if (file)
                unlink(file);
        rmdir(dir);
        return r;
}
