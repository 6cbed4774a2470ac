/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The disk.conf parser: the grammar of drbd.conf (sections and their
 * statements, include, skip) into the model, the entry points, and the
 * lookups the daemon uses. Resolution and validation follow in
 * config_options.c; docs/disk-config.md has the grammar and the rules. */
#include <arpa/inet.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>

#include "config_internal.h"
#include "sock.h"

#define INCLUDE_DEPTH_DEFAULT 16
#define VOLUME_MAX 65535
#define MINOR_MAX ((1u << 20) - 1)

enum scope {
        SCOPE_TOP,
        SCOPE_COMMON,
        SCOPE_RESOURCE,
        SCOPE_HOST,
        SCOPE_VOLUME,
        SCOPE_SECTION,
};

/* Where the statements of one { } body go. Pointers stay valid while the
 * body is parsed: the arrays they point into only grow from an outer
 * scope. */
struct body {
        enum scope scope;
        enum disk_section section;          /* SCOPE_SECTION */
        struct disk_option_value *opt;      /* COMMON, RESOURCE, SECTION */
        const char *owner;                  /* "common", "resource r0", ... for messages */
        struct disk_resource *res;          /* RESOURCE, HOST, VOLUME */
        struct disk_host *host;             /* HOST, and VOLUME inside a host */
        struct cfg_res *cres;               /* RESOURCE, HOST, VOLUME: parse-time extras of res */
        struct cfg_vols *vols;              /* RESOURCE, HOST: where volumes go */
        struct cfg_vol *vol;                /* VOLUME */
};

static int parse_body(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b,
                      const struct disk_config_loc *open, const char *what);

static void volume_done(struct disk_volume *v) {
        free(v->device);
        free(v->disk);
        free(v->meta_disk);
}

static void vols_done(struct cfg_vols *vs) {
        for (size_t i = 0; i < vs->n; i++)
                volume_done(&vs->items[i].v);
        free(vs->items);
        *vs = (struct cfg_vols) {};
}

static void resource_free(struct disk_resource *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct disk_resource *, resource_free)

static void resource_free(struct disk_resource *r) {
        if (!r)
                return;
        free(r->name);
        for (int i = 0; i < _DISK_OPT_MAX; i++)
                cfg_option_value_done(&r->opt[i]);
        for (size_t h = 0; h < r->n_hosts; h++) {
                struct disk_host *host = &r->hosts[h];

                free(host->name);
                free(host->address_text);
                for (size_t v = 0; v < host->n_volumes; v++)
                        volume_done(&host->volumes[v]);
                free(host->volumes);
        }
        free(r->hosts);
        free(r);
}

void disk_config_free(struct disk_config *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_resources; i++)
                resource_free(c->resources[i]);
        free(c->resources);
        for (int i = 0; i < _DISK_OPT_MAX; i++)
                cfg_option_value_done(&c->global_opt[i]);
        for (size_t i = 0; i < c->n_files; i++)
                free(c->files[i]);
        free(c->files);
        free(c);
}

static void ctx_done(struct cfg_ctx *ctx) {
        for (size_t i = 0; ctx->c && i < ctx->c->n_resources; i++) {
                vols_done(&ctx->res[i].vols);
                for (size_t h = 0; h < ctx->c->resources[i]->n_hosts; h++)
                        vols_done(&ctx->res[i].host_vols[h]);
                free(ctx->res[i].host_vols);
        }
        free(ctx->res);
        for (int i = 0; i < _DISK_OPT_MAX; i++)
                cfg_option_value_done(&ctx->common[i]);
        for (unsigned i = 0; i < ctx->depth; i++)
                free(ctx->open_files[i]);
}

/* ---- includes and skip ------------------------------------------------- */

static int add_file(struct cfg_ctx *ctx, const char *path, const char **ret) {
        struct disk_config *c = ctx->c;
        char **n, *copy;

        copy = strdup(path);
        if (!copy)
                return cfg_oom(ctx->err, NULL);
        n = reallocarray(c->files, c->n_files + 1, sizeof(*n));
        if (!n) {
                free(copy);
                return cfg_oom(ctx->err, NULL);
        }
        c->files = n;
        c->files[c->n_files++] = copy;
        *ret = copy;
        return 0;
}

/* Parses text as the statements of b (the whole file is one body). canon is
 * the file's canonical path for loop detection, or NULL; it is taken. */
static int parse_text(struct cfg_ctx *ctx, const char *file, char *canon, const char *text, size_t len,
                      struct body *b) {
        struct cfg_lexer lx;
        int r;

        ctx->open_files[ctx->depth++] = canon;
        cfg_lexer_init(&lx, file, text, len);
        r = parse_body(ctx, &lx, b, NULL, NULL);
        cfg_lexer_done(&lx);
        free(ctx->open_files[--ctx->depth]);
        ctx->open_files[ctx->depth] = NULL;
        return r;
}

static int include_file(struct cfg_ctx *ctx, const struct cfg_stmt *st, const char *path, struct body *b) {
        _cleanup_free_ char *canon = NULL, *data = NULL;
        const char *file;
        size_t len;
        int r;

        if (ctx->depth > ctx->max_depth)
                return cfg_error(ctx->err, &st->kw.loc, "includes nested more than %u deep at '%s'",
                                 ctx->max_depth, path);
        canon = realpath(path, NULL);
        if (!canon)
                return cfg_error(ctx->err, &st->kw.loc, "cannot include '%s': %s", path, strerror(errno));
        for (unsigned i = 0; i < ctx->depth; i++)
                if (ctx->open_files[i] && streq(ctx->open_files[i], canon))
                        return cfg_error(ctx->err, &st->kw.loc,
                                         "include loop: '%s' is already being read (it includes itself, directly or through other files)",
                                         path);
        r = read_file(path, &data, &len);
        if (r < 0)
                return cfg_error(ctx->err, &st->kw.loc, "cannot read included file '%s': %s", path, strerror(-r));
        r = add_file(ctx, path, &file);
        if (r < 0)
                return r;
        return parse_text(ctx, file, TAKE_PTR(canon), data, len, b);
}

/* Prefixes a relative pattern with dir (NULL: the current directory),
 * escaping dir's glob characters when the result goes to glob(). */
static char *include_pattern(const char *dir, const char *pattern, bool escape) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        if (dir && pattern[0] != '/') {
                for (const char *p = dir; *p; p++) {
                        if (escape && strchr("*?[\\", *p) && buf_putc(&b, '\\') < 0)
                                return NULL;
                        if (buf_putc(&b, *p) < 0)
                                return NULL;
                }
                if (buf_putc(&b, '/') < 0)
                        return NULL;
        }
        if (buf_append_str(&b, pattern) < 0)
                return NULL;
        return buf_steal(&b);
}

/* A missing directory in the pattern is no match; any other error (an
 * unreadable directory) stops the expansion. */
static int glob_error(const char *path, int error) {
        return error != ENOENT && error != ENOTDIR;
}

static int do_include(struct cfg_ctx *ctx, const struct cfg_stmt *st, struct body *b) {
        _cleanup_free_ char *dir = NULL, *pattern = NULL;
        const char *arg, *slash;
        glob_t g = {};
        bool literal;
        int r;

        r = cfg_check_args(st, 1, 1, "include \"FILE-PATTERN\";", ctx->err);
        if (r < 0)
                return r;
        r = cfg_want_semicolon(st, ctx->err);
        if (r < 0)
                return r;
        if (ctx->opts->forbid_include)
                return cfg_error(ctx->err, &st->kw.loc, "include is disabled for this configuration text");
        arg = st->args[0].text;
        if (!*arg)
                return cfg_error(ctx->err, &st->args[0].loc, "include of an empty file name");

        slash = strrchr(st->kw.loc.file, '/');
        if (slash == st->kw.loc.file)
                dir = strdup("");       /* "/x.conf": "" + "/" + pattern */
        else if (slash)
                dir = strndup(st->kw.loc.file, (size_t) (slash - st->kw.loc.file));
        if (slash && !dir)
                return cfg_oom(ctx->err, &st->kw.loc);
        /* A plain file name is taken as it is (glob would drop its
         * backslashes) and must exist; a pattern matching nothing is fine,
         * as in drbdadm (an empty drbd.d/). */
        literal = !arg[strcspn(arg, "*?[")];
        pattern = include_pattern(dir, arg, !literal);
        if (!pattern)
                return cfg_oom(ctx->err, &st->kw.loc);
        if (literal) {
                if (access(pattern, F_OK) < 0 && errno == ENOENT)
                        return cfg_error(ctx->err, &st->args[0].loc, "included file '%s' does not exist", pattern);
                return include_file(ctx, st, pattern, b);
        }

        r = glob(pattern, 0, glob_error, &g);
        if (r == GLOB_NOMATCH) {
                globfree(&g);
                return 0;
        }
        if (r == GLOB_NOSPACE) {
                globfree(&g);
                return cfg_oom(ctx->err, &st->kw.loc);
        }
        if (r != 0) {
                globfree(&g);
                return cfg_error(ctx->err, &st->args[0].loc,
                                 "cannot expand include pattern '%s': a directory on the way cannot be read", pattern);
        }
        for (size_t i = 0; i < g.gl_pathc && r >= 0; i++)
                r = include_file(ctx, st, g.gl_pathv[i], b);
        globfree(&g);
        return r;
}

/* ---- options ----------------------------------------------------------- */

static int set_option(struct cfg_ctx *ctx, struct disk_option_value *opt, const char *owner,
                      enum disk_section section, const struct cfg_stmt *st) {
        struct disk_option_value v;
        bool negate;
        char first[PATH_MAX + 32];
        int id, r;

        r = cfg_option_lookup(st->kw.text, section, &st->kw.loc, &id, &negate, ctx->err);
        if (r < 0)
                return r;
        /* Values first: a surplus value on the next line is the usual
         * sign of a missing ';', and the arity check reports it so. */
        r = cfg_option_parse(id, negate, st, &v, ctx->err);
        if (r < 0)
                return r;
        r = cfg_want_semicolon(st, ctx->err);
        if (r >= 0 && opt[id].set)
                r = cfg_error(ctx->err, &st->kw.loc, "option %s set twice in %s (first at %s)",
                              disk_option_info(id)->name, owner,
                              cfg_fmt_loc(&opt[id].loc, first, sizeof(first)));
        if (r < 0) {
                cfg_option_value_done(&v);
                return r;
        }
        opt[id] = v;
        return 0;
}

/* ---- names, numbers, volumes ------------------------------------------ */

static bool valid_name(const char *s, size_t max) {
        size_t l = strlen(s);

        if (l == 0 || l > max || s[0] == '-' || s[0] == '.')
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '_' || *s == '-' || *s == '.' || *s == '+'))
                        return false;
        return true;
}

static int parse_bounded(struct cfg_ctx *ctx, const struct cfg_token *t, const char *what, uint64_t max,
                         uint64_t *ret) {
        uint64_t v;
        int r;

        r = parse_u64(t->text, &v);
        if (r == -EINVAL)
                return cfg_error(ctx->err, &t->loc, "%s must be a number, not '%s'", what, t->text);
        if (r < 0 || v > max)
                return cfg_error(ctx->err, &t->loc, "%s %s is out of range (0..%" PRIu64 ")", what, t->text, max);
        *ret = v;
        return 0;
}

static struct cfg_vol *vols_get(struct cfg_vols *vs, uint32_t number) {
        for (size_t i = 0; i < vs->n; i++)
                if (vs->items[i].v.number == number)
                        return &vs->items[i];
        return NULL;
}

static struct cfg_vol *vols_add(struct cfg_vols *vs, uint32_t number, const struct disk_config_loc *loc) {
        struct cfg_vol *n;

        n = reallocarray(vs->items, vs->n + 1, sizeof(*n));
        if (!n)
                return NULL;
        vs->items = n;
        n = &vs->items[vs->n++];
        *n = (struct cfg_vol) { .v = { .number = number, .loc = *loc, .meta_index = -1 } };
        return n;
}

static const char *vol_owner(const struct body *b, char *buf, size_t size) {
        if (b->host)
                snprintf(buf, size, "volume %" PRIu32 " of host %s", b->vol->v.number, b->host->name);
        else
                snprintf(buf, size, "volume %" PRIu32 " of resource %s", b->vol->v.number, b->res->name);
        return buf;
}

static int field_twice(struct cfg_ctx *ctx, const struct body *b, const struct cfg_stmt *st,
                       const struct disk_config_loc *first) {
        char owner[256], where[PATH_MAX + 32];

        return cfg_error(ctx->err, &st->kw.loc, "%s of %s set twice (first at %s)", st->kw.text,
                         vol_owner(b, owner, sizeof(owner)), cfg_fmt_loc(first, where, sizeof(where)));
}

static int vol_device(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st) {
        static const char usage[] = "device /dev/drbdN, device minor N or device PATH minor N";
        struct disk_volume *v = &b->vol->v;
        const struct cfg_token *path = NULL, *minor = NULL;
        const char *digits;
        uint64_t n = 0, derived;
        bool have_derived = false;
        int r;

        r = cfg_check_args(st, 1, 3, usage, ctx->err);
        if (r < 0)
                return r;
        if (streq(st->args[0].text, "minor")) {
                r = cfg_check_args(st, 2, 2, usage, ctx->err);
                if (r < 0)
                        return r;
                minor = &st->args[1];
        } else {
                path = &st->args[0];
                if (st->n_args >= 2 && !streq(st->args[1].text, "minor") && cfg_missing_semicolon(st, ctx->err) < 0)
                        return -EINVAL;
                if (st->n_args >= 2 && !streq(st->args[1].text, "minor"))
                        return cfg_error(ctx->err, &st->args[1].loc,
                                         "unexpected '%s' after device path '%s' (%s; is there a stray space inside the path?)",
                                         st->args[1].text, path->text, usage);
                if (st->n_args == 2)
                        return cfg_error(ctx->err, &st->args[1].loc, "'minor' needs a number (%s)", usage);
                if (st->n_args == 3)
                        minor = &st->args[2];
        }
        r = cfg_want_semicolon(st, ctx->err);
        if (r < 0)
                return r;
        if (v->device || v->minor_set)
                return field_twice(ctx, b, st, &v->device_loc);
        if (minor) {
                r = parse_bounded(ctx, minor, "minor", MINOR_MAX, &n);
                if (r < 0)
                        return r;
        }
        if (path) {
                if (path->text[0] != '/')
                        return cfg_error(ctx->err, &path->loc, "device path '%s' is not absolute", path->text);
                digits = startswith(path->text, "/dev/drbd");
                if (digits && parse_u64(digits, &derived) == 0 && derived <= MINOR_MAX)
                        have_derived = true;
                if (!minor && !have_derived)
                        return cfg_error(ctx->err, &path->loc,
                                         "cannot tell the minor of device '%s': write 'device %s minor N'",
                                         path->text, path->text);
                if (minor && have_derived && derived != n)
                        return cfg_error(ctx->err, &minor->loc, "device %s does not match minor %" PRIu64,
                                         path->text, n);
                if (!minor)
                        n = derived;
                v->device = strdup(path->text);
                if (!v->device)
                        return cfg_oom(ctx->err, &st->kw.loc);
        }
        v->minor_set = true;
        v->minor = (uint32_t) n;
        v->device_loc = st->kw.loc;
        return 0;
}

static int vol_disk(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st) {
        struct disk_volume *v = &b->vol->v;
        const char *path;
        int r;

        r = cfg_check_args(st, 1, 1, "disk PATH; quote the path if it contains spaces", ctx->err);
        if (r < 0)
                return r;
        r = cfg_want_semicolon(st, ctx->err);
        if (r < 0)
                return r;
        path = st->args[0].text;
        if (streq(path, "none"))
                return cfg_error(ctx->err, &st->args[0].loc, "diskless volumes ('disk none') are not supported by tandem");
        if (path[0] != '/')
                return cfg_error(ctx->err, &st->args[0].loc, "disk path '%s' is not absolute", path);
        if (v->disk)
                return field_twice(ctx, b, st, &v->disk_loc);
        v->disk = strdup(path);
        if (!v->disk)
                return cfg_oom(ctx->err, &st->kw.loc);
        v->disk_loc = st->kw.loc;
        return 0;
}

/* "[N]" -> N */
static int parse_meta_index(struct cfg_ctx *ctx, const struct cfg_token *t, const char *s, int32_t *ret) {
        _cleanup_free_ char *inner = NULL;
        size_t l = strlen(s);
        uint64_t v;

        if (l < 3 || s[0] != '[' || s[l - 1] != ']')
                return cfg_error(ctx->err, &t->loc, "bad meta-disk index '%s' (expected [N])", s);
        inner = strndup(s + 1, l - 2);
        if (!inner)
                return cfg_oom(ctx->err, &t->loc);
        if (parse_u64(inner, &v) < 0 || v > INT32_MAX)
                return cfg_error(ctx->err, &t->loc, "bad meta-disk index '%s' (expected [N], N >= 0)", s);
        *ret = (int32_t) v;
        return 0;
}

static int vol_meta(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st, bool flexible) {
        static const char usage[] = "meta-disk internal, meta-disk PATH or meta-disk PATH [INDEX]";
        struct disk_volume *v = &b->vol->v;
        _cleanup_free_ char *path = NULL;
        const struct cfg_token *t = &st->args[0];
        int32_t index = -1;
        char *bracket;
        int r;

        r = cfg_check_args(st, 1, flexible ? 1 : 2, flexible ? "flexible-meta-disk internal or PATH" : usage, ctx->err);
        if (r < 0)
                return r;
        r = cfg_want_semicolon(st, ctx->err);
        if (r < 0)
                return r;
        if (v->meta != DISK_META_UNSET)
                return field_twice(ctx, b, st, &v->meta_loc);
        if (streq(t->text, "internal")) {
                if (st->n_args > 1)
                        return cfg_error(ctx->err, &st->args[1].loc, "internal meta-disk takes no index");
                v->meta = DISK_META_INTERNAL;
                v->meta_loc = st->kw.loc;
                return 0;
        }
        path = strdup(t->text);
        if (!path)
                return cfg_oom(ctx->err, &t->loc);
        /* "PATH[N]" written as one word; a quoted path keeps its brackets. */
        bracket = t->quoted ? NULL : strchr(path, '[');
        if (bracket) {
                if (st->n_args > 1)
                        return cfg_error(ctx->err, &st->args[1].loc, "meta-disk has two indexes");
                r = parse_meta_index(ctx, t, bracket, &index);
                if (r < 0)
                        return r;
                *bracket = '\0';
        } else if (st->n_args > 1) {
                r = parse_meta_index(ctx, &st->args[1], st->args[1].text, &index);
                if (r < 0)
                        return r;
        }
        if (path[0] != '/')
                return cfg_error(ctx->err, &t->loc, "meta-disk path '%s' is not absolute", path);
        v->meta = DISK_META_EXTERNAL;
        v->meta_disk = TAKE_PTR(path);
        v->meta_index = index;
        v->meta_loc = st->kw.loc;
        return 0;
}

static bool is_volume_field(const char *kw) {
        return streq(kw, "device") || streq(kw, "disk") || streq(kw, "meta-disk") || streq(kw, "flexible-meta-disk");
}

static int volume_field(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st) {
        const char *kw = st->kw.text;

        if (streq(kw, "device"))
                return vol_device(ctx, b, st);
        if (streq(kw, "disk"))
                return vol_disk(ctx, b, st);
        return vol_meta(ctx, b, st, streq(kw, "flexible-meta-disk"));
}

/* The shorthand: device/disk/meta-disk directly in a resource or host are
 * the fields of its volume 0. */
static int shorthand_field(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st) {
        struct body vb = *b;

        vb.vol = vols_get(b->vols, 0);
        if (!vb.vol)
                vb.vol = vols_add(b->vols, 0, &st->kw.loc);
        if (!vb.vol)
                return cfg_oom(ctx->err, &st->kw.loc);
        vb.scope = SCOPE_VOLUME;
        return volume_field(ctx, &vb, st);
}

static int volume_block(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b, const struct cfg_stmt *st) {
        char what[256], where[PATH_MAX + 32];
        struct cfg_vol *vol;
        struct body vb = *b;
        uint64_t n;
        int r;

        r = cfg_want_block(st, 1, "volume N { device ...; disk ...; meta-disk ...; }", ctx->err);
        if (r < 0)
                return r;
        r = parse_bounded(ctx, &st->args[0], "volume number", VOLUME_MAX, &n);
        if (r < 0)
                return r;
        vol = vols_get(b->vols, (uint32_t) n);
        if (vol && vol->block)
                return cfg_error(ctx->err, &st->kw.loc, "volume %" PRIu64 " defined twice in %s (first at %s)",
                                 n, b->owner, cfg_fmt_loc(&vol->v.loc, where, sizeof(where)));
        if (!vol)
                vol = vols_add(b->vols, (uint32_t) n, &st->kw.loc);
        if (!vol)
                return cfg_oom(ctx->err, &st->kw.loc);
        vol->block = true;
        vol->v.loc = st->kw.loc;
        snprintf(what, sizeof(what), "volume %" PRIu64 " of %s", n, b->owner);
        vb.scope = SCOPE_VOLUME;
        vb.vol = vol;
        vb.owner = what;
        return parse_body(ctx, lx, &vb, &st->kw.loc, what);
}

/* ---- sections ---------------------------------------------------------- */

static int section_of(const char *kw, enum disk_section *ret) {
        for (int s = 0; s < _DISK_SECTION_MAX; s++)
                if (s != DISK_SECTION_GLOBAL && streq(kw, cfg_section_name((enum disk_section) s))) {
                        *ret = (enum disk_section) s;
                        return 0;
                }
        return -ENOENT;
}

static int option_section(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b,
                          const struct cfg_stmt *st, enum disk_section s) {
        struct body sb = { .scope = SCOPE_SECTION, .section = s, .opt = b->opt, .owner = b->owner };
        char what[256];
        int r;

        r = cfg_want_block(st, 0, "a section takes no name", ctx->err);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "section '%s' of %s", st->kw.text, b->owner);
        return parse_body(ctx, lx, &sb, &st->kw.loc, what);
}

/* Hint for a word that is not valid where it stands. */
static int unknown_stmt(struct cfg_ctx *ctx, const struct body *b, const struct cfg_stmt *st, const char *expected) {
        int id = disk_option_from_name(st->kw.text);

        if (id >= 0)
                return cfg_error(ctx->err, &st->kw.loc, "option '%s' must stand in a %s { } section", st->kw.text,
                                 cfg_section_name(disk_option_info(id)->section));
        return cfg_error(ctx->err, &st->kw.loc, "unknown %s '%s' %s%s (expected %s)",
                         st->term == CFG_TOK_LBRACE ? "section" : "statement", st->kw.text,
                         b->scope == SCOPE_TOP ? "at " : "in ", b->owner, expected);
}

static int not_supported(struct cfg_ctx *ctx, const struct cfg_stmt *st) {
        static const char *const unsupported[] = {
                "floating", "stacked-on-top-of", "connection", "connection-mesh", "proxy",
        };

        for (size_t i = 0; i < ELEMENTSOF(unsupported); i++)
                if (streq(st->kw.text, unsupported[i]))
                        return cfg_error(ctx->err, &st->kw.loc,
                                         "'%s' sections are not supported by tandem (describe each host with 'on HOST { }')",
                                         st->kw.text);
        return 0;
}

static int host_block(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b, const struct cfg_stmt *st) {
        struct disk_resource *r = b->res;
        struct cfg_res *cr = b->cres;
        struct disk_host *hosts;
        struct cfg_vols *hv;
        struct body hb;
        char what[256], where[PATH_MAX + 32];
        const char *name;
        int e;

        e = cfg_want_block(st, 1, "on HOSTNAME { address ...; ... }", ctx->err);
        if (e < 0)
                return e;
        name = st->args[0].text;
        if (!valid_name(name, 253))
                return cfg_error(ctx->err, &st->args[0].loc,
                                 "bad host name '%s' (letters, digits, '_', '-', '.', '+')", name);
        for (size_t i = 0; i < r->n_hosts; i++)
                if (streq(r->hosts[i].name, name))
                        return cfg_error(ctx->err, &st->kw.loc, "host %s defined twice in resource %s (first at %s)",
                                         name, r->name, cfg_fmt_loc(&r->hosts[i].loc, where, sizeof(where)));

        hosts = reallocarray(r->hosts, r->n_hosts + 1, sizeof(*hosts));
        if (!hosts)
                return cfg_oom(ctx->err, &st->kw.loc);
        r->hosts = hosts;
        hv = reallocarray(cr->host_vols, r->n_hosts + 1, sizeof(*hv));
        if (!hv)
                return cfg_oom(ctx->err, &st->kw.loc);
        cr->host_vols = hv;
        cr->host_vols[r->n_hosts] = (struct cfg_vols) {};
        r->hosts[r->n_hosts] = (struct disk_host) { .name = strdup(name), .loc = st->kw.loc };
        if (!r->hosts[r->n_hosts].name)
                return cfg_oom(ctx->err, &st->kw.loc);
        r->n_hosts++;

        snprintf(what, sizeof(what), "host %s of resource %s", name, r->name);
        hb = (struct body) {
                .scope = SCOPE_HOST,
                .owner = what,
                .res = r,
                .cres = cr,
                .host = &r->hosts[r->n_hosts - 1],
                .vols = &cr->host_vols[r->n_hosts - 1],
        };
        return parse_body(ctx, lx, &hb, &st->kw.loc, what);
}

static int host_address(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st) {
        struct disk_host *h = b->host;
        const struct cfg_token *addr;
        _cleanup_free_ char *text = NULL;
        char where[PATH_MAX + 32];
        int r;

        r = cfg_check_args(st, 1, 2, "address [ipv4|ipv6] IP:PORT", ctx->err);
        if (r < 0)
                return r;
        r = cfg_want_semicolon(st, ctx->err);
        if (r < 0)
                return r;
        if (h->address_text)
                return cfg_error(ctx->err, &st->kw.loc, "address of host %s set twice (first at %s)", h->name,
                                 cfg_fmt_loc(&h->address_loc, where, sizeof(where)));
        addr = &st->args[st->n_args - 1];
        if (st->n_args == 2) {
                const char *af = st->args[0].text;

                if (!streq(af, "ipv4") && !streq(af, "ipv6") && cfg_missing_semicolon(st, ctx->err) < 0)
                        return -EINVAL;
                if (!streq(af, "ipv4") && !streq(af, "ipv6"))
                        return cfg_error(ctx->err, &st->args[0].loc,
                                         "address family '%s' is not supported (use ipv4 or ipv6)", af);
                text = strjoin(af, " ", addr->text, NULL);
        } else
                text = strdup(addr->text);
        if (!text)
                return cfg_oom(ctx->err, &st->kw.loc);
        if (sock_parse_addr(text, &h->address, &h->address_len) < 0)
                return cfg_error(ctx->err, &addr->loc,
                                 "bad address '%s' (expected IPv4:PORT or [IPv6]:PORT, port 1..65535)", addr->text);
        if ((h->address.ss_family == AF_INET && ((struct sockaddr_in *) &h->address)->sin_port == 0) ||
            (h->address.ss_family == AF_INET6 && ((struct sockaddr_in6 *) &h->address)->sin6_port == 0))
                return cfg_error(ctx->err, &addr->loc, "bad address '%s': port 0 is not allowed", addr->text);
        h->address_text = TAKE_PTR(text);
        h->address_loc = st->kw.loc;
        return 0;
}

static int host_node_id(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st) {
        struct disk_host *h = b->host;
        char where[PATH_MAX + 32];
        uint64_t n;
        int r;

        r = cfg_check_args(st, 1, 1, "node-id N", ctx->err);
        if (r < 0)
                return r;
        r = cfg_want_semicolon(st, ctx->err);
        if (r < 0)
                return r;
        if (h->node_id_set)
                return cfg_error(ctx->err, &st->kw.loc, "node-id of host %s set twice (first at %s)", h->name,
                                 cfg_fmt_loc(&h->node_id_loc, where, sizeof(where)));
        r = parse_bounded(ctx, &st->args[0], "node-id", CFG_NODE_ID_MAX, &n);
        if (r < 0)
                return r;
        h->node_id_set = true;
        h->node_id = (uint32_t) n;
        h->node_id_loc = st->kw.loc;
        return 0;
}

static int resource_block(struct cfg_ctx *ctx, struct cfg_lexer *lx, const struct cfg_stmt *st) {
        struct disk_config *c = ctx->c;
        _cleanup_(resource_freep) struct disk_resource *res = NULL;
        struct disk_resource **rs;
        struct cfg_res *crs;
        char what[256], where[PATH_MAX + 32];
        const char *name;
        struct body b;
        int r;

        r = cfg_want_block(st, 1, "resource NAME { ... }", ctx->err);
        if (r < 0)
                return r;
        name = st->args[0].text;
        if (!valid_name(name, 128))
                return cfg_error(ctx->err, &st->args[0].loc,
                                 "bad resource name '%s' (letters, digits, '_', '-', '.', '+'; it names files)", name);
        for (size_t i = 0; i < c->n_resources; i++)
                if (streq(c->resources[i]->name, name))
                        return cfg_error(ctx->err, &st->kw.loc, "resource %s defined twice (first at %s)", name,
                                         cfg_fmt_loc(&c->resources[i]->loc, where, sizeof(where)));

        res = calloc(1, sizeof(*res));
        if (!res || !(res->name = strdup(name)))
                return cfg_oom(ctx->err, &st->kw.loc);
        for (int i = 0; i < _DISK_OPT_MAX; i++)
                res->opt[i].word = -1;
        res->loc = st->kw.loc;
        rs = reallocarray(c->resources, c->n_resources + 1, sizeof(*rs));
        if (!rs)
                return cfg_oom(ctx->err, &st->kw.loc);
        c->resources = rs;
        crs = reallocarray(ctx->res, c->n_resources + 1, sizeof(*crs));
        if (!crs)
                return cfg_oom(ctx->err, &st->kw.loc);
        ctx->res = crs;
        ctx->res[c->n_resources] = (struct cfg_res) {};
        c->resources[c->n_resources++] = res;

        snprintf(what, sizeof(what), "resource %s", name);
        b = (struct body) {
                .scope = SCOPE_RESOURCE,
                .opt = res->opt,
                .owner = what,
                .res = TAKE_PTR(res),
                .cres = &ctx->res[c->n_resources - 1],
                .vols = &ctx->res[c->n_resources - 1].vols,
        };
        return parse_body(ctx, lx, &b, &st->kw.loc, what);
}

/* ---- statement dispatch ------------------------------------------------ */

static int top_stmt(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b, const struct cfg_stmt *st) {
        const char *kw = st->kw.text;
        char where[PATH_MAX + 32];
        int r;

        if (streq(kw, "resource"))
                return resource_block(ctx, lx, st);
        if (streq(kw, "global") || streq(kw, "common")) {
                bool global = streq(kw, "global");
                struct disk_config_loc *seen = global ? &ctx->global_loc : &ctx->common_loc;
                struct body sb = {
                        .scope = global ? SCOPE_SECTION : SCOPE_COMMON,
                        .section = DISK_SECTION_GLOBAL,
                        .opt = global ? ctx->c->global_opt : ctx->common,
                        .owner = kw,
                };

                r = cfg_want_block(st, 0, "a section takes no name", ctx->err);
                if (r < 0)
                        return r;
                if (seen->file)
                        return cfg_error(ctx->err, &st->kw.loc, "section '%s' given twice (first at %s)", kw,
                                         cfg_fmt_loc(seen, where, sizeof(where)));
                *seen = st->kw.loc;
                return parse_body(ctx, lx, &sb, &st->kw.loc, kw);
        }
        return unknown_stmt(ctx, b, st, "global, common, resource, include or skip");
}

static int resource_stmt(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b, const struct cfg_stmt *st) {
        const char *kw = st->kw.text;
        enum disk_section s;
        bool common = b->scope == SCOPE_COMMON;
        int r;

        /* "disk" is both the disk options section and the backing device. */
        if (section_of(kw, &s) == 0 && (st->term == CFG_TOK_LBRACE || st->n_args == 0))
                return option_section(ctx, lx, b, st, s);
        /* DRBD 8.3 wrote the protocol directly in the resource (or common). */
        if (streq(kw, "protocol"))
                return set_option(ctx, b->opt, b->owner, DISK_SECTION_NET, st);
        r = not_supported(ctx, st);
        if (r < 0)
                return r;
        if (!common) {
                if (streq(kw, "on"))
                        return host_block(ctx, lx, b, st);
                if (streq(kw, "volume"))
                        return volume_block(ctx, lx, b, st);
                if (is_volume_field(kw))
                        return shorthand_field(ctx, b, st);
                if (streq(kw, "address") || streq(kw, "node-id"))
                        return cfg_error(ctx->err, &st->kw.loc, "'%s' belongs in an 'on HOST { }' section", kw);
        }
        return unknown_stmt(ctx, b, st, common ?
                            "net, disk, handlers, startup, options, syncer or protocol" :
                            "net, disk, handlers, startup, options, syncer, protocol, on, volume, device, disk or meta-disk");
}

static int host_stmt(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b, const struct cfg_stmt *st) {
        const char *kw = st->kw.text;

        if (streq(kw, "address"))
                return host_address(ctx, b, st);
        if (streq(kw, "node-id"))
                return host_node_id(ctx, b, st);
        if (streq(kw, "volume"))
                return volume_block(ctx, lx, b, st);
        if (streq(kw, "disk") && st->term == CFG_TOK_LBRACE)
                return cfg_error(ctx->err, &st->kw.loc,
                                 "per-host disk options are not supported: put them in the resource's disk { } section");
        if (is_volume_field(kw))
                return shorthand_field(ctx, b, st);
        return unknown_stmt(ctx, b, st, "address, node-id, volume, device, disk or meta-disk");
}

static int volume_stmt(struct cfg_ctx *ctx, struct body *b, const struct cfg_stmt *st) {
        if (streq(st->kw.text, "disk") && st->term == CFG_TOK_LBRACE)
                return cfg_error(ctx->err, &st->kw.loc,
                                 "per-volume disk options are not supported: put them in the resource's disk { } section");
        if (is_volume_field(st->kw.text))
                return volume_field(ctx, b, st);
        return unknown_stmt(ctx, b, st, "device, disk or meta-disk");
}

static int section_stmt(struct cfg_ctx *ctx, const struct body *b, const struct cfg_stmt *st) {
        if (st->term == CFG_TOK_LBRACE && st->n_args == 0 && disk_option_from_name(st->kw.text) < 0)
                return cfg_error(ctx->err, &st->kw.loc, "unknown section '%s' inside the %s section of %s",
                                 st->kw.text, cfg_section_name(b->section), b->owner);
        return set_option(ctx, b->opt, b->owner, b->section, st);
}

static int dispatch(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b, const struct cfg_stmt *st) {
        const char *kw = st->kw.text;

        if (streq(kw, "include"))
                return do_include(ctx, st, b);
        if (streq(kw, "skip"))
                return cfg_skip_block(lx, st, ctx->err);
        switch (b->scope) {
        case SCOPE_TOP:
                return top_stmt(ctx, lx, b, st);
        case SCOPE_COMMON:
        case SCOPE_RESOURCE:
                return resource_stmt(ctx, lx, b, st);
        case SCOPE_HOST:
                return host_stmt(ctx, lx, b, st);
        case SCOPE_VOLUME:
                return volume_stmt(ctx, b, st);
        case SCOPE_SECTION:
                return section_stmt(ctx, b, st);
        }
        return -EINVAL;
}

/* Parses statements until the '}' that closes the body opened at open, or
 * until the end of the text when open is NULL (a whole file). */
static int parse_body(struct cfg_ctx *ctx, struct cfg_lexer *lx, struct body *b,
                      const struct disk_config_loc *open, const char *what) {
        for (;;) {
                struct cfg_stmt st = {};
                int r;

                r = cfg_lex_next(lx, &st.kw, ctx->err);
                if (r < 0)
                        return r;
                switch (st.kw.type) {
                case CFG_TOK_EOF:
                        if (open)
                                return cfg_error(ctx->err, open, "%s is not closed: missing '}' before the end of %s",
                                                 what, lx->file);
                        return 0;
                case CFG_TOK_RBRACE:
                        if (!open)
                                return cfg_error(ctx->err, &st.kw.loc, "unexpected '}': no section is open%s",
                                                 ctx->depth > 1 ? " in this included file" : "");
                        return cfg_eat_semicolon(lx, ctx->err);
                case CFG_TOK_SEMI:
                        return cfg_error(ctx->err, &st.kw.loc, "unexpected ';'");
                case CFG_TOK_LBRACE:
                        return cfg_error(ctx->err, &st.kw.loc, "unexpected '{' (a section starts with its name, e.g. 'net {')");
                case CFG_TOK_WORD:
                        break;
                }
                r = cfg_read_stmt(lx, &st, ctx->err);
                if (r >= 0)
                        r = dispatch(ctx, lx, b, &st);
                cfg_stmt_done(&st);
                if (r < 0)
                        return r;
        }
}

/* ---- entry points ------------------------------------------------------ */

static int parse_main(const char *name, char *canon, const char *text, size_t len,
                      const struct disk_config_parse_options *opts, struct disk_config **ret,
                      struct disk_config_error *err) {
        static const struct disk_config_parse_options defaults = {};
        _cleanup_free_ char *canon_owned = canon;
        _cleanup_disk_config_ struct disk_config *c = NULL;
        struct cfg_ctx ctx = { .opts = opts ? opts : &defaults, .err = err };
        struct body top = { .scope = SCOPE_TOP, .owner = "the top level" };
        const char *file;
        int r;

        ctx.max_depth = ctx.opts->max_include_depth ? ctx.opts->max_include_depth : INCLUDE_DEPTH_DEFAULT;
        if (ctx.max_depth > CFG_INCLUDE_DEPTH_MAX)
                ctx.max_depth = CFG_INCLUDE_DEPTH_MAX;
        c = calloc(1, sizeof(*c));
        if (!c)
                return cfg_oom(err, NULL);
        for (int i = 0; i < _DISK_OPT_MAX; i++)
                c->global_opt[i].word = ctx.common[i].word = -1;
        ctx.c = c;
        r = add_file(&ctx, name, &file);
        if (r >= 0)
                r = parse_text(&ctx, file, TAKE_PTR(canon_owned), text, len, &top);
        if (r >= 0)
                r = cfg_resolve(&ctx);
        ctx_done(&ctx);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int disk_config_parse(const char *name, const char *text, size_t len,
                      const struct disk_config_parse_options *opts,
                      struct disk_config **ret, struct disk_config_error *err) {
        if (!name || (!text && len > 0) || !ret)
                return cfg_error(err, NULL, "invalid arguments");
        return parse_main(name, realpath(name, NULL), text ? text : "", len, opts, ret, err);
}

int disk_config_load(const char *path, const struct disk_config_parse_options *opts,
                     struct disk_config **ret, struct disk_config_error *err) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        if (!path || !ret)
                return cfg_error(err, NULL, "invalid arguments");
        r = read_file(path, &data, &len);
        if (r < 0) {
                if (err)
                        snprintf(err->message, sizeof(err->message), "%s: %s", path, strerror(-r));
                return r;
        }
        return parse_main(path, realpath(path, NULL), data, len, opts, ret, err);
}

/* ---- lookups ----------------------------------------------------------- */

const struct disk_resource *disk_config_find_resource(const struct disk_config *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_resources; i++)
                if (streq(c->resources[i]->name, name))
                        return c->resources[i];
        return NULL;
}

const struct disk_host *disk_resource_find_host(const struct disk_resource *r, const char *hostname) {
        if (!r || !hostname)
                return NULL;
        for (size_t i = 0; i < r->n_hosts; i++)
                if (streq(r->hosts[i].name, hostname))
                        return &r->hosts[i];
        return NULL;
}

size_t disk_resource_peers(const struct disk_resource *r, const struct disk_host *local,
                           const struct disk_host **peers) {
        size_t n = 0;

        for (size_t i = 0; i < r->n_hosts; i++)
                if (&r->hosts[i] != local)
                        peers[n++] = &r->hosts[i];
        return n;
}

const struct disk_volume *disk_host_find_volume(const struct disk_host *h, uint32_t number) {
        for (size_t i = 0; h && i < h->n_volumes; i++)
                if (h->volumes[i].number == number)
                        return &h->volumes[i];
        return NULL;
}

const char *disk_resource_handler(const struct disk_resource *r, const char *name) {
        int id = name ? disk_option_from_name(name) : -ENOENT;

        if (!r || id < 0 || disk_option_info(id)->kind != DISK_OPT_KIND_COMMAND)
                return NULL;
        return cfg_opt_str(r->opt, id);
}
