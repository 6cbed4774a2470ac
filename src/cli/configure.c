/* SPDX-License-Identifier: GPL-2.0-or-later */
/* configure.c: `tandem configure ...`, crmsh's `crm configure`, on the CIB
 * file named by CIB_file until tandem-clusterd serves the CIB: one
 * command from the command line, or a script (or prompt) on stdin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "configure.h"
#include "util.h"

#define PROG "tandem configure"

static void usage(FILE *f) {
        fprintf(f,
                "Usage: tandem configure [COMMAND ...]\n"
                "Edit the cluster configuration in crmsh's language. Without a command,\n"
                "commands are read from standard input (\"commit\" writes; the end of the\n"
                "input commits).\n\n"
                "Objects (each one line, \\ continues it):\n"
                "  primitive ID CLASS:PROVIDER:TYPE [params K=V...] [meta K=V...] [op NAME K=V...]...\n"
                "  ms ID RSC [meta K=V...]            clone ID RSC [meta K=V...]\n"
                "  group ID RSC... [meta K=V...]\n"
                "  colocation ID SCORE: RSC[:ROLE] WITH-RSC[:ROLE]\n"
                "  order ID [KIND|SCORE]: FIRST[:ACTION] THEN[:ACTION] [symmetrical=BOOL]\n"
                "  location ID RSC [role=ROLE] SCORE: NODE\n"
                "  location ID RSC rule [role=ROLE] [SCORE:] EXPRESSION\n"
                "  property [$id=ID] NAME=VALUE...    rsc_defaults NAME=VALUE...   op_defaults NAME=VALUE...\n"
                "  node [ID:] NAME [attributes K=V...]\n\n"
                "Commands:\n"
                "  show [xml] [ID...]    print the configuration (or the objects)\n"
                "  delete ID...          remove objects and the constraints left hanging\n"
                "  edit [ID...]          edit in $EDITOR, check, apply\n"
                "  load replace|update FILE   read objects from FILE (- for stdin)\n"
                "  verify                check the whole configuration\n"
                "  commit                write the changes\n\n"
                "The CIB is the file $CIB_file (created empty if missing); without it\n"
                "the cluster daemon would be asked.\n");
}

void configure_set_cib(struct configure *c, xmlDoc *doc) {
        xmlFreeDoc(c->cib);
        c->cib = doc;
        c->dirty = true;
}

static int commit(struct configure *c) {
        struct crm_error err;
        int r;

        if (!c->dirty)
                return 0;
        r = crm_cib_commit(c->path, c->cib, c->base, &err);
        if (r < 0) {
                fprintf(stderr, PROG ": %s\n", err.message);
                return r;
        }
        crm_cib_version(c->cib, c->base, sizeof(c->base));
        c->dirty = false;
        return 0;
}

static void print_notes(struct buf *notes) {
        for (char *line = notes->data, *nl; line && *line; line = nl + 1) {
                nl = strchr(line, '\n');
                if (!nl)
                        break;
                fprintf(stderr, "INFO: %.*s\n", (int) (nl - line), line);
        }
}

static int fail(const struct crm_error *err, int r) {
        fprintf(stderr, PROG ": %s\n", err->message);
        return r;
}

static int cmd_show(struct configure *c, char *const *args, size_t n) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        struct crm_error err;
        bool xml = n > 0 && streq(args[0], "xml");
        int r;

        r = xml ? crm_print_xml(c->cib, args + 1, n - 1, &out, &err) : crm_print(c->cib, args, n, &out, &err);
        if (r < 0)
                return fail(&err, r);
        fwrite(out.data ?: "", 1, out.len, stdout);
        fflush(stdout);
        return 0;
}

static int cmd_delete(struct configure *c, char *const *args, size_t n) {
        _cleanup_buf_ struct buf notes = BUF_INIT;
        struct crm_error err;
        xmlDoc *doc = NULL;
        int r;

        if (n == 0) {
                fprintf(stderr, PROG ": delete needs the ids of the objects to remove\n");
                return -EINVAL;
        }
        r = crm_delete(c->cib, args, n, &notes, &doc, &err);
        if (r < 0)
                return fail(&err, r);
        print_notes(&notes);
        configure_set_cib(c, doc);
        return 0;
}

static int cmd_verify(struct configure *c) {
        struct crm_error err;
        int r = crm_verify(c->cib, &c->opts, &err);

        return r < 0 ? fail(&err, r) : 0;
}

static int cmd_load(struct configure *c, char *const *args, size_t n) {
        _cleanup_(crm_script_freep) struct crm_script *s = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *base = NULL;
        _cleanup_free_ char *text = NULL;
        struct crm_error err;
        xmlDoc *doc = NULL;
        size_t len;
        bool replace;
        int r;

        if (n != 2 || (!streq(args[0], "replace") && !streq(args[0], "update"))) {
                fprintf(stderr, PROG ": usage: load replace|update FILE\n");
                return -EINVAL;
        }
        replace = streq(args[0], "replace");
        r = read_file(streq(args[1], "-") ? "/dev/stdin" : args[1], &text, &len);
        if (r < 0) {
                fprintf(stderr, PROG ": cannot read %s: %s\n", args[1], strerror(-r));
                return r;
        }
        r = crm_parse(streq(args[1], "-") ? "<stdin>" : args[1], text, len, &s, &err);
        if (r < 0)
                return fail(&err, r);
        if (replace) {
                r = crm_cib_clear_configuration(c->cib, &base);
                if (r < 0) {
                        fprintf(stderr, PROG ": out of memory\n");
                        return r;
                }
        }
        r = crm_apply(replace ? base : c->cib, s, replace ? CRM_APPLY_CREATE : CRM_APPLY_UPDATE, &c->opts, &doc, &err);
        if (r < 0)
                return fail(&err, r);
        configure_set_cib(c, doc);
        return 0;
}

/* One object statement, applied to the working copy. */
static int run_object(struct configure *c, const char *name, const struct crm_stmt *st) {
        _cleanup_(crm_script_freep) struct crm_script *s = crm_script_new(name);
        struct crm_error err;
        xmlDoc *doc = NULL;
        int r;

        if (!s)
                return -ENOMEM;
        r = crm_parse_stmt(s, st, &err);
        if (r >= 0)
                r = crm_apply(c->cib, s, CRM_APPLY_CREATE, &c->opts, &doc, &err);
        if (r < 0)
                return fail(&err, r);
        configure_set_cib(c, doc);
        return 0;
}

/* Runs one statement. Returns 1 for "quit", 0 on success, < 0 on error
 * (reported). */
static int run_stmt(struct configure *c, const char *name, const struct crm_stmt *st) {
        const char *cmd = st->tokens[0].text;
        size_t n = st->n_tokens - 1;
        _cleanup_free_ char **args = calloc(n + 1, sizeof(char *));

        if (!args)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                args[i] = st->tokens[i + 1].text;
        if (crm_is_object_keyword(cmd))
                return run_object(c, name, st);
        if (streq(cmd, "show"))
                return cmd_show(c, args, n);
        if (streq(cmd, "delete"))
                return cmd_delete(c, args, n);
        if (streq(cmd, "verify"))
                return cmd_verify(c);
        if (streq(cmd, "load"))
                return cmd_load(c, args, n);
        if (streq(cmd, "edit")) {
                int r = configure_edit(c, args, n);
                return r == -ECANCELED ? 0 : r;
        }
        if (streq(cmd, "commit"))
                return commit(c);
        if (streq(cmd, "quit") || streq(cmd, "exit") || streq(cmd, "end") || streq(cmd, "bye") || streq(cmd, "up"))
                return 1;
        if (streq(cmd, "help")) {
                usage(stdout);
                return 0;
        }
        fprintf(stderr, PROG ": %s:%u:%u: unknown command '%s' (try help)\n", name, st->tokens[0].pos.line,
                st->tokens[0].pos.col, cmd);
        return -EINVAL;
}

/* Runs the statements of text; stops at the first error. */
static int run_text(struct configure *c, const char *name, const char *text, size_t len) {
        struct crm_stmts stmts = {};
        struct crm_error err;
        int r;

        r = crm_lex(name, text, len, &stmts, &err);
        if (r < 0)
                return fail(&err, r);
        for (size_t i = 0; i < stmts.n_stmts; i++) {
                r = run_stmt(c, name, &stmts.stmts[i]);
                if (r != 0)
                        break;
        }
        crm_stmts_done(&stmts);
        return r;
}

/* The prompt: each line (with its continuations) runs on its own; an
 * error is reported and the session goes on. */
static int interactive(struct configure *c) {
        _cleanup_buf_ struct buf stmt = BUF_INIT;
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        ssize_t l;

        for (;;) {
                fputs(stmt.len ? "> " : "tandem(configure)# ", stdout);
                fflush(stdout);
                l = getline(&line, &size, stdin);
                if (l < 0)
                        break;
                if (buf_append(&stmt, line, (size_t) l) < 0)
                        return -ENOMEM;
                if (l >= 2 && line[l - 2] == '\\' && line[l - 1] == '\n')
                        continue;
                if (run_text(c, "<stdin>", stmt.data, stmt.len) == 1)
                        break;
                buf_clear(&stmt);
        }
        if (c->dirty)
                fputs("\n", stdout);
        return commit(c);
}

static int script(struct configure *c) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_file("/dev/stdin", &text, &len);
        if (r < 0) {
                fprintf(stderr, PROG ": cannot read standard input: %s\n", strerror(-r));
                return r;
        }
        r = run_text(c, "<stdin>", text, len);
        if (r < 0) {
                if (c->dirty)
                        fprintf(stderr, PROG ": changes since the last commit were not written\n");
                return r;
        }
        return commit(c);
}

/* Joins argv as crmsh does, quoting words that hold blanks so that they
 * stay one word. */
static char *join_args(int argc, char **argv) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        for (int i = 0; i < argc; i++) {
                if (i > 0)
                        buf_putc(&b, ' ');
                if (*argv[i] && !strpbrk(argv[i], " \t\n\"'\\")) {
                        buf_append_str(&b, argv[i]);
                        continue;
                }
                buf_putc(&b, '"');
                for (const char *p = argv[i]; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                buf_putc(&b, '\\');
                        buf_putc(&b, *p);
                }
                buf_putc(&b, '"');
        }
        return buf_steal(&b);
}

static int no_daemon(void) {
        char path[4096];
        struct stat st;

        cli_socket_path("clusterd.sock", path, sizeof(path));
        if (stat(path, &st) < 0)
                fprintf(stderr, PROG ": the cluster daemon is not running (no %s).\n"
                        "Set CIB_file=/path/to/cib.xml to work on a CIB file instead.\n", path);
        else
                fprintf(stderr, PROG ": tandem-clusterd does not serve the configuration yet; "
                        "set CIB_file=/path/to/cib.xml to work on a CIB file.\n");
        return 3;
}

int cli_configure(int argc, char **argv) {
        _cleanup_(crm_agent_cache_freep) struct crm_agent_cache *cache = crm_agent_cache_new();
        struct configure c = {};
        struct crm_error err;
        const char *path = getenv("CIB_file");
        int r;

        if (argc > 1 && (streq(argv[1], "-h") || streq(argv[1], "--help") || streq(argv[1], "help"))) {
                usage(stdout);
                return 0;
        }
        if (!path || !*path)
                return no_daemon();
        if (!cache) {
                fprintf(stderr, PROG ": out of memory\n");
                return 1;
        }
        c.path = path;
        c.opts.cache = cache;
        r = crm_cib_read(path, &c.cib, &err);
        if (r < 0) {
                fail(&err, r);
                return 1;
        }
        crm_cib_version(c.cib, c.base, sizeof(c.base));
        if (argc < 2)
                r = isatty(STDIN_FILENO) ? interactive(&c) : script(&c);
        else {
                _cleanup_free_ char *line = join_args(argc - 1, argv + 1);

                r = line ? run_text(&c, "<command line>", line, strlen(line)) : -ENOMEM;
                if (r >= 0)
                        r = commit(&c);
        }
        xmlFreeDoc(c.cib);
        if (r == -ENOMEM)
                fprintf(stderr, PROG ": out of memory\n");
        return r < 0 ? 1 : 0;
}
