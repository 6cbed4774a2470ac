/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The input layer of disk.conf: the lexer (drbd.conf text into words,
 * quoted strings, braces and semicolons with line and column), statements
 * (a keyword, its values, and the ';' or '{' that ends them, with the
 * missing-';' diagnosis), and the error helpers every part reports through. */
#include <stdarg.h>

#include "config_internal.h"

int cfg_error(struct disk_config_error *err, const struct disk_config_loc *loc,
              const char *fmt, ...) {
        va_list ap;
        int n = 0;

        if (!err)
                return -EINVAL;
        if (loc && loc->file)
                n = snprintf(err->message, sizeof(err->message), "%s:%u:%u: ",
                             loc->file, loc->line, loc->column);
        if (n < 0 || (size_t) n >= sizeof(err->message))
                n = 0;
        va_start(ap, fmt);
        vsnprintf(err->message + n, sizeof(err->message) - (size_t) n, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

int cfg_oom(struct disk_config_error *err, const struct disk_config_loc *loc) {
        cfg_error(err, loc, "out of memory");
        return -ENOMEM;
}

void cfg_lexer_init(struct cfg_lexer *lx, const char *file, const char *text, size_t len) {
        *lx = (struct cfg_lexer) {
                .file = file,
                .p = text,
                .end = text + len,
                .line = 1,
                .column = 1,
        };
}

void cfg_token_done(struct cfg_token *t) {
        if (!t)
                return;
        free(t->text);
        t->text = NULL;
        t->type = CFG_TOK_EOF;
}

void cfg_lexer_done(struct cfg_lexer *lx) {
        if (lx->has_peek)
                cfg_token_done(&lx->peek);
        lx->has_peek = false;
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Bytes that end a bare word. '#' is not among them: it starts a comment
 * only where a token would start, so "secret#1" stays one word. */
static bool is_delim(char c) {
        return is_space(c) || c == '{' || c == '}' || c == ';' || c == '"';
}

static bool is_control(unsigned char c) {
        return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void advance(struct cfg_lexer *lx) {
        if (*lx->p == '\n') {
                lx->line++;
                lx->column = 1;
        } else
                lx->column++;
        lx->p++;
}

static struct disk_config_loc here(const struct cfg_lexer *lx) {
        return (struct disk_config_loc) { lx->file, lx->line, lx->column };
}

static int bad_byte(struct cfg_lexer *lx, struct disk_config_error *err) {
        struct disk_config_loc loc = here(lx);

        if (*lx->p == '\0')
                return cfg_error(err, &loc, "NUL byte in configuration text");
        return cfg_error(err, &loc, "control character 0x%02x in configuration text",
                         (unsigned) (unsigned char) *lx->p);
}

/* Skips whitespace and comments. NUL bytes are errors even in comments:
 * a text file has none, and hiding them would hide a corrupt file. */
static int skip_blanks(struct cfg_lexer *lx, struct disk_config_error *err) {
        while (lx->p < lx->end) {
                if (is_space(*lx->p))
                        advance(lx);
                else if (*lx->p == '#') {
                        while (lx->p < lx->end && *lx->p != '\n') {
                                if (*lx->p == '\0')
                                        return bad_byte(lx, err);
                                advance(lx);
                        }
                } else
                        break;
        }
        return 0;
}

static int lex_string(struct cfg_lexer *lx, struct cfg_token *t, struct disk_config_error *err) {
        _cleanup_buf_ struct buf b = BUF_INIT;

        advance(lx);    /* the opening quote */
        for (;;) {
                char c;

                if (lx->p >= lx->end || *lx->p == '\n')
                        return cfg_error(err, &t->loc, "unterminated string: missing closing '\"' on this line");
                c = *lx->p;
                if (c == '"') {
                        advance(lx);
                        break;
                }
                if (is_control((unsigned char) c) || c == '\0')
                        return bad_byte(lx, err);
                if (c == '\\') {
                        struct disk_config_loc esc = here(lx);

                        advance(lx);
                        if (lx->p >= lx->end || *lx->p == '\n')
                                return cfg_error(err, &t->loc, "unterminated string: missing closing '\"' on this line");
                        switch (*lx->p) {
                        case '"':
                        case '\\':
                                c = *lx->p;
                                break;
                        case 'n':
                                c = '\n';
                                break;
                        default:
                                if (is_control((unsigned char) *lx->p) || *lx->p == '\0')
                                        return bad_byte(lx, err);
                                return cfg_error(err, &esc,
                                                 "unknown escape '\\%c' in string (known: \\\" \\\\ \\n)",
                                                 *lx->p);
                        }
                }
                if (b.len >= CFG_WORD_MAX)
                        return cfg_error(err, &t->loc, "string longer than %d bytes", CFG_WORD_MAX);
                if (buf_putc(&b, c) < 0)
                        return cfg_oom(err, &t->loc);
                advance(lx);
        }
        t->text = buf_steal(&b);
        if (!t->text)
                return cfg_oom(err, &t->loc);
        t->quoted = true;
        return 0;
}

static int lex_word(struct cfg_lexer *lx, struct cfg_token *t, struct disk_config_error *err) {
        const char *start = lx->p;
        size_t len;

        while (lx->p < lx->end && !is_delim(*lx->p)) {
                if (is_control((unsigned char) *lx->p) || *lx->p == '\0')
                        return bad_byte(lx, err);
                advance(lx);
        }
        len = (size_t) (lx->p - start);
        if (len > CFG_WORD_MAX)
                return cfg_error(err, &t->loc, "word longer than %d bytes", CFG_WORD_MAX);
        t->text = strndup(start, len);
        if (!t->text)
                return cfg_oom(err, &t->loc);
        return 0;
}

static int lex_one(struct cfg_lexer *lx, struct cfg_token *ret, struct disk_config_error *err) {
        struct cfg_token t = {};
        int r;

        r = skip_blanks(lx, err);
        if (r < 0)
                return r;
        t.loc = here(lx);
        if (lx->p >= lx->end)
                t.type = CFG_TOK_EOF;
        else if (*lx->p == '{' || *lx->p == '}' || *lx->p == ';') {
                t.type = *lx->p == '{' ? CFG_TOK_LBRACE : *lx->p == '}' ? CFG_TOK_RBRACE : CFG_TOK_SEMI;
                advance(lx);
        } else {
                t.type = CFG_TOK_WORD;
                r = *lx->p == '"' ? lex_string(lx, &t, err) : lex_word(lx, &t, err);
                if (r < 0) {
                        cfg_token_done(&t);
                        return r;
                }
        }
        t.end_line = lx->line;
        t.end_column = lx->column;
        *ret = t;
        return 0;
}

int cfg_lex_next(struct cfg_lexer *lx, struct cfg_token *ret, struct disk_config_error *err) {
        if (lx->has_peek) {
                *ret = lx->peek;
                lx->peek = (struct cfg_token) {};
                lx->has_peek = false;
                return 0;
        }
        return lex_one(lx, ret, err);
}

int cfg_lex_peek(struct cfg_lexer *lx, const struct cfg_token **ret, struct disk_config_error *err) {
        int r;

        if (!lx->has_peek) {
                r = lex_one(lx, &lx->peek, err);
                if (r < 0)
                        return r;
                lx->has_peek = true;
        }
        *ret = &lx->peek;
        return 0;
}

bool cfg_word_needs_quotes(const char *s) {
        if (*s == '\0' || *s == '#')
                return true;
        for (; *s; s++)
                if (is_delim(*s) || is_control((unsigned char) *s) || *s == '\t')
                        return true;
        return false;
}

int cfg_append_word(struct buf *out, const char *s, bool force_quotes) {
        size_t old = out->len;

        if (!force_quotes && !cfg_word_needs_quotes(s))
                return buf_append_str(out, s);
        if (buf_putc(out, '"') < 0)
                goto oom;
        for (; *s; s++) {
                int r;

                if (*s == '"' || *s == '\\')
                        r = buf_printf(out, "\\%c", *s);
                else if (*s == '\n')
                        r = buf_append_str(out, "\\n");
                else
                        r = buf_putc(out, *s);
                if (r < 0)
                        goto oom;
        }
        if (buf_putc(out, '"') < 0)
                goto oom;
        return 0;
oom:
        buf_truncate(out, old);
        return -ENOMEM;
}

/* ---- statements ---------------------------------------------------------- */

static struct disk_config_loc token_end(const struct cfg_token *t) {
        return (struct disk_config_loc) { t->loc.file, t->end_line, t->end_column };
}

/* "protocol C" for messages: the keyword and its values, shortened. */
static void stmt_text(const struct cfg_stmt *st, size_t n_args, char *buf, size_t size) {
        size_t n = (size_t) snprintf(buf, size, "%s", st->kw.text);

        for (size_t i = 0; i < n_args && n < size; i++)
                n += (size_t) snprintf(buf + n, size - n, " %s", st->args[i].text);
        if (n >= size && size > 4)
                memcpy(buf + size - 4, "...", 4);
}

/* The first value that starts on a later line than the token before it:
 * where a ';' was probably forgotten. Returns its index, or -1. */
static int line_break(const struct cfg_stmt *st) {
        for (size_t i = 0; i < st->n_args; i++) {
                const struct cfg_token *prev = i == 0 ? &st->kw : &st->args[i - 1];

                if (st->args[i].loc.line > prev->end_line)
                        return (int) i;
        }
        return -1;
}

int cfg_missing_semicolon(const struct cfg_stmt *st, struct disk_config_error *err) {
        const struct cfg_token *prev;
        struct disk_config_loc at;
        char text[96];
        int i = line_break(st);

        if (i < 0)
                return 0;
        prev = i == 0 ? &st->kw : &st->args[i - 1];
        at = token_end(prev);
        stmt_text(st, (size_t) i, text, sizeof(text));
        return cfg_error(err, &at, "missing ';' after '%s'", text);
}

int cfg_check_args(const struct cfg_stmt *st, size_t min, size_t max, const char *usage,
                   struct disk_config_error *err) {
        int i, r;

        if (st->n_args < min) {
                if (st->n_args == 0)
                        return cfg_error(err, &st->kw.loc, "'%s' needs a value (%s)", st->kw.text, usage);
                return cfg_error(err, &st->kw.loc, "'%s' needs more values (%s)", st->kw.text, usage);
        }
        if (st->n_args <= max)
                return 0;
        /* Too many values: if those before a line break make a complete
         * statement, the ';' after them is missing. */
        i = line_break(st);
        if (i >= 0 && (size_t) i >= min && (size_t) i <= max) {
                r = cfg_missing_semicolon(st, err);
                if (r < 0)
                        return r;
        }
        return cfg_error(err, &st->args[max].loc, "unexpected '%s' after '%s' (%s)",
                         st->args[max].text, st->kw.text, usage);
}

void cfg_stmt_done(struct cfg_stmt *st) {
        cfg_token_done(&st->kw);
        for (size_t i = 0; i < st->n_args; i++)
                cfg_token_done(&st->args[i]);
        st->n_args = 0;
}

char *cfg_fmt_loc(const struct disk_config_loc *l, char *buf, size_t size) {
        snprintf(buf, size, "%s:%u:%u", l->file, l->line, l->column);
        return buf;
}

int cfg_read_stmt(struct cfg_lexer *lx, struct cfg_stmt *st, struct disk_config_error *err) {
        for (;;) {
                struct cfg_token t;
                const struct cfg_token *last = st->n_args ? &st->args[st->n_args - 1] : &st->kw;
                int r;

                r = cfg_lex_next(lx, &t, err);
                if (r < 0)
                        return r;
                if (t.type == CFG_TOK_SEMI || t.type == CFG_TOK_LBRACE) {
                        st->term = t.type;
                        st->term_loc = t.loc;
                        return 0;
                }
                if (t.type != CFG_TOK_WORD) {
                        struct disk_config_loc at = token_end(last);
                        char text[96];

                        stmt_text(st, st->n_args, text, sizeof(text));
                        return cfg_error(err, &at, "missing ';' after '%s'%s", text,
                                         t.type == CFG_TOK_EOF ? " at the end of the file" : "");
                }
                if (st->n_args == CFG_ARGS_MAX) {
                        struct disk_config_loc at = token_end(last);
                        char text[96];
                        int e;

                        stmt_text(st, st->n_args, text, sizeof(text));
                        e = t.loc.line > last->end_line ?
                                cfg_error(err, &at, "missing ';' after '%s'", text) :
                                cfg_error(err, &t.loc, "too many values after '%s'", st->kw.text);
                        cfg_token_done(&t);
                        return e;
                }
                st->args[st->n_args++] = t;
        }
}

int cfg_eat_semicolon(struct cfg_lexer *lx, struct disk_config_error *err) {
        const struct cfg_token *p;
        struct cfg_token t;
        int r;

        r = cfg_lex_peek(lx, &p, err);
        if (r < 0)
                return r;
        if (p->type == CFG_TOK_SEMI) {
                r = cfg_lex_next(lx, &t, err);
                cfg_token_done(&t);
        }
        return r;
}

int cfg_want_block(const struct cfg_stmt *st, size_t n_args, const char *usage, struct disk_config_error *err) {
        int r;

        r = cfg_check_args(st, n_args, n_args, usage, err);
        if (r < 0)
                return r;
        if (st->term != CFG_TOK_LBRACE)
                return cfg_error(err, &st->kw.loc, "'%s' needs a { } block (%s)", st->kw.text, usage);
        return 0;
}

int cfg_want_semicolon(const struct cfg_stmt *st, struct disk_config_error *err) {
        const struct cfg_token *last = st->n_args ? &st->args[st->n_args - 1] : &st->kw;

        if (st->term == CFG_TOK_SEMI)
                return 0;
        if (st->term_loc.line > last->end_line) {
                struct disk_config_loc at = token_end(last);
                char text[96];

                stmt_text(st, st->n_args, text, sizeof(text));
                return cfg_error(err, &at, "missing ';' after '%s'", text);
        }
        return cfg_error(err, &st->term_loc, "'%s' is a statement, not a section: expected ';' instead of '{'",
                         st->kw.text);
}

int cfg_skip_block(struct cfg_lexer *lx, const struct cfg_stmt *st, struct disk_config_error *err) {
        unsigned depth = 1;

        if (st->term != CFG_TOK_LBRACE)
                return cfg_error(err, &st->kw.loc, "'skip' must be followed by a { } block");
        while (depth > 0) {
                struct cfg_token t;
                int r;

                r = cfg_lex_next(lx, &t, err);
                if (r < 0)
                        return r;
                if (t.type == CFG_TOK_EOF)
                        return cfg_error(err, &st->kw.loc,
                                         "'skip' block is not closed: missing '}' before the end of the file");
                if (t.type == CFG_TOK_LBRACE)
                        depth++;
                else if (t.type == CFG_TOK_RBRACE)
                        depth--;
                cfg_token_done(&t);
        }
        return cfg_eat_semicolon(lx, err);
}
