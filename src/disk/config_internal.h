/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Declarations shared by the pieces of the disk.conf parser: the lexer
 * (config_lex.c), the option table and value parsing (config_options.c),
 * the parser, resolution and validation (config.c) and the dump
 * (config_dump.c). Not part of the public API. */
#pragma once

#include <inttypes.h>

#include "disk_config.h"

/* ---- errors ------------------------------------------------------------ */

/* Writes "FILE:LINE:COL: message" into err (when err is not NULL) and
 * returns -EINVAL. loc may be NULL or have a NULL file: then no prefix. */
int cfg_error(struct disk_config_error *err, const struct disk_config_loc *loc,
              const char *fmt, ...) _printf_(3, 4);

/* Records "out of memory" (with loc when known) and returns -ENOMEM. */
int cfg_oom(struct disk_config_error *err, const struct disk_config_loc *loc);

/* ---- lexer ------------------------------------------------------------- */

enum cfg_tok {
        CFG_TOK_EOF,
        CFG_TOK_WORD,           /* a bare word or a "quoted string" */
        CFG_TOK_LBRACE,
        CFG_TOK_RBRACE,
        CFG_TOK_SEMI,
};

struct cfg_token {
        enum cfg_tok type;
        char *text;             /* WORD: malloc'd, NUL-terminated, never holds a NUL */
        bool quoted;
        struct disk_config_loc loc;     /* first byte */
        unsigned end_line;              /* just after the last byte */
        unsigned end_column;
};

struct cfg_lexer {
        const char *file;
        const char *p, *end;
        unsigned line, column;
        bool has_peek;
        struct cfg_token peek;
};

/* Words longer than this are an error (paths, commands and secrets fit). */
#define CFG_WORD_MAX 4096

void cfg_lexer_init(struct cfg_lexer *lx, const char *file, const char *text, size_t len);

/* Frees a peeked token, if any. */
void cfg_lexer_done(struct cfg_lexer *lx);

/* The next token; the caller frees it with cfg_token_done(). Errors
 * (NUL or control bytes, an unterminated string, a bad escape, an
 * overlong word) are written to err. */
int cfg_lex_next(struct cfg_lexer *lx, struct cfg_token *ret, struct disk_config_error *err);

/* The next token without consuming it (valid until the next call). */
int cfg_lex_peek(struct cfg_lexer *lx, const struct cfg_token **ret, struct disk_config_error *err);

void cfg_token_done(struct cfg_token *t);

/* True if s needs quotes to come back as one word from the lexer. */
bool cfg_word_needs_quotes(const char *s);

/* Appends s to out as the lexer reads it back: bare if possible (and not
 * force_quotes), else quoted with \" \\ \n escapes. */
int cfg_append_word(struct buf *out, const char *s, bool force_quotes);

/* ---- statements ------------------------------------------------------ */

/* A statement as read: keyword, values, and what ended it. */
#define CFG_ARGS_MAX 16
struct cfg_stmt {
        struct cfg_token kw;
        struct cfg_token args[CFG_ARGS_MAX];
        size_t n_args;
        enum cfg_tok term;      /* SEMI or LBRACE */
        struct disk_config_loc term_loc;
};

/* Reads the values of a statement whose keyword is in st->kw, up to ';' or
 * '{' (which is consumed and stored in term). A '}' or the end of the
 * file first is a missing ';'. */
int cfg_read_stmt(struct cfg_lexer *lx, struct cfg_stmt *st, struct disk_config_error *err);

/* Frees the tokens of st. */
void cfg_stmt_done(struct cfg_stmt *st);

/* Checks that st has between min and max values; reports a missing ';'
 * when a surplus value sits on a later line than the one before it. */
int cfg_check_args(const struct cfg_stmt *st, size_t min, size_t max, const char *usage,
                   struct disk_config_error *err);

/* If a value of st starts on a later line than the token before it,
 * reports "missing ';' after ..." there and returns -EINVAL; else 0. For
 * error paths: a statement may span lines when it is otherwise right. */
int cfg_missing_semicolon(const struct cfg_stmt *st, struct disk_config_error *err);

/* st must have exactly n_args values and open a { } block. */
int cfg_want_block(const struct cfg_stmt *st, size_t n_args, const char *usage, struct disk_config_error *err);

/* st must end with ';'. */
int cfg_want_semicolon(const struct cfg_stmt *st, struct disk_config_error *err);

/* Consumes an optional ';' after a closing brace. */
int cfg_eat_semicolon(struct cfg_lexer *lx, struct disk_config_error *err);

/* Skips the { } block that st opened ("skip ... { }" as in drbdadm). */
int cfg_skip_block(struct cfg_lexer *lx, const struct cfg_stmt *st, struct disk_config_error *err);

/* "FILE:LINE:COL" of l into buf; returns buf. */
char *cfg_fmt_loc(const struct disk_config_loc *l, char *buf, size_t size);

/* ---- options ----------------------------------------------------------- */

/* Name of a section as written ("net", "disk", ...). */
const char *cfg_section_name(enum disk_section s);

/* Finds the option that name denotes in section (8.3 aliases included:
 * "rate" in syncer, "no-disk-flushes", ...). On success stores the id and
 * whether the alias negates a flag. Otherwise writes an error at loc
 * naming the sections where name is valid, or the closest option names
 * ("did you mean"), and returns -EINVAL. */
int cfg_option_lookup(const char *name, enum disk_section section, const struct disk_config_loc *loc,
                      int *ret_id, bool *ret_negate, struct disk_config_error *err);

/* Parses the values of st for option id into ret (set, loc, num, word,
 * str; str is malloc'd). Writes an error naming the option and the value
 * on failure. */
int cfg_option_parse(int id, bool negate, const struct cfg_stmt *st,
                     struct disk_option_value *ret, struct disk_config_error *err);

/* The effective value of id: the value itself if set or inherited,
 * else the default from the table (num/word/def_str). */
uint64_t cfg_opt_num(const struct disk_option_value *opt, int id);
int cfg_opt_word(const struct disk_option_value *opt, int id);
const char *cfg_opt_str(const struct disk_option_value *opt, int id);

/* Fills the typed views from the option arrays. */
void cfg_fill_global(struct disk_config *c);
void cfg_fill_resource(struct disk_resource *r);

/* Appends the value of a set option in its canonical text form (what the
 * dump writes after the name). */
int cfg_format_value(int id, const struct disk_option_value *v, struct buf *out);

/* Appends a byte count with the largest binary suffix that divides it
 * exactly (T, G, M, K, and s unless unit is 1), else as plain bytes: the
 * form reads back as the same count for an option of that unit. */
int cfg_format_size(struct buf *out, uint64_t bytes, uint64_t unit);

void cfg_option_value_done(struct disk_option_value *v);

/* ---- parse context, shared by the parser and the resolution ------------ */

#define CFG_INCLUDE_DEPTH_MAX 64
#define CFG_NODE_ID_MAX 31

/* A volume definition as written, before resolution: "block" tells a
 * "volume N { }" from fields written with the shorthand. */
struct cfg_vol {
        struct disk_volume v;
        bool block;
};

struct cfg_vols {
        struct cfg_vol *items;
        size_t n;
};

/* What the parser keeps of a resource beyond struct disk_resource. */
struct cfg_res {
        struct cfg_vols vols;           /* resource-level */
        struct cfg_vols *host_vols;     /* one per host, same index as hosts */
};

struct cfg_ctx {
        const struct disk_config_parse_options *opts;
        unsigned max_depth;
        struct disk_config *c;
        struct disk_config_error *err;
        char *open_files[CFG_INCLUDE_DEPTH_MAX + 1];  /* canonical paths being read, for loops */
        unsigned depth;
        struct disk_option_value common[_DISK_OPT_MAX];
        struct disk_config_loc global_loc, common_loc;
        struct cfg_res *res;            /* same index as c->resources */
};

/* The second phase, after every file is parsed: common into resources,
 * resource-level volumes into hosts, node-ids, typed views, then every
 * check that needs the whole configuration. */
int cfg_resolve(struct cfg_ctx *ctx);
