/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_lex.c: splits crmsh text into statements of words with their line
 * and column, handling quotes, backslashes, continuation lines and
 * comments the way crmsh reads its input. */
#include <stdarg.h>

#include "crm.h"
#include "crm_internal.h"

struct lexer {
        const char *name;
        const char *p, *end;
        unsigned line, col;
        struct crm_error *err;
};

static void advance(struct lexer *lx) {
        if (*lx->p == '\n') {
                lx->line++;
                lx->col = 1;
        } else
                lx->col++;
        lx->p++;
}

static bool at_continuation(const struct lexer *lx) {
        const char *q = lx->p;

        if (q >= lx->end || *q != '\\')
                return false;
        q++;
        if (q < lx->end && *q == '\r')
                q++;
        return q < lx->end && *q == '\n';
}

static void stmt_done(struct crm_stmt *st) {
        for (size_t i = 0; i < st->n_tokens; i++)
                free(st->tokens[i].text);
        free(st->tokens);
        *st = (struct crm_stmt) {};
}

void crm_stmts_done(struct crm_stmts *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_stmts; i++)
                stmt_done(&s->stmts[i]);
        free(s->stmts);
        *s = (struct crm_stmts) {};
}

/* Hands the text collected in b to a token at pos. */
static int token_take(struct buf *b, struct crm_pos pos, struct crm_token *ret) {
        if (!b->data && buf_append(b, "", 0) < 0)
                return -ENOMEM;
        ret->text = buf_steal(b);
        if (!ret->text)
                return -ENOMEM;
        ret->pos = pos;
        return 0;
}

/* Reads one word starting at lx->p (not a blank). */
static int lex_word(struct lexer *lx, struct crm_token *ret) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        struct crm_pos pos = { lx->line, lx->col };
        char quote = 0;
        struct crm_pos qpos = {};
        int r;

        while (lx->p < lx->end) {
                char c = *lx->p;

                if (c == '\0')
                        return crm_error_at(lx->err, lx->name, (struct crm_pos) { lx->line, lx->col },
                                            "a NUL byte is not allowed");
                if (!quote && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
                        break;
                if (!quote && at_continuation(lx))
                        break;
                if (!quote && (c == '"' || c == '\'')) {
                        quote = c;
                        qpos = (struct crm_pos) { lx->line, lx->col };
                        advance(lx);
                        continue;
                }
                if (quote && c == quote) {
                        quote = 0;
                        advance(lx);
                        continue;
                }
                if (c == '\\' && quote != '\'' && lx->p + 1 < lx->end && lx->p[1] != '\n') {
                        advance(lx);
                        c = *lx->p;
                        if (c == '\0')
                                continue;
                }
                r = buf_putc(&b, c);
                if (r < 0)
                        return r;
                advance(lx);
        }
        if (quote)
                return crm_error_at(lx->err, lx->name, qpos, "unterminated quote %c", quote);
        return token_take(&b, pos, ret);
}

static int stmt_add(struct crm_stmt *st, struct crm_token *t) {
        struct crm_token *n = reallocarray(st->tokens, st->n_tokens + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        st->tokens = n;
        st->tokens[st->n_tokens++] = *t;
        return 0;
}

static int stmts_add(struct crm_stmts *s, struct crm_stmt *st) {
        struct crm_stmt *n = reallocarray(s->stmts, s->n_stmts + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        s->stmts = n;
        s->stmts[s->n_stmts++] = *st;
        *st = (struct crm_stmt) {};
        return 0;
}

/* The rest of an `xml` statement, verbatim but for joined lines: XML
 * has its own quoting. */
static int lex_raw(struct lexer *lx, struct crm_token *ret) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        struct crm_pos pos = { lx->line, lx->col };
        int r;

        while (lx->p < lx->end && *lx->p != '\n') {
                if (*lx->p == '\0')
                        return crm_error_at(lx->err, lx->name, (struct crm_pos) { lx->line, lx->col },
                                            "a NUL byte is not allowed");
                if (at_continuation(lx)) {
                        while (*lx->p != '\n')
                                advance(lx);
                        advance(lx);
                        /* show writes " \" before each line break. */
                        if (b.len > 0 && b.data[b.len - 1] == ' ')
                                buf_truncate(&b, b.len - 1);
                        r = buf_putc(&b, '\n');
                } else {
                        r = buf_putc(&b, *lx->p);
                        advance(lx);
                }
                if (r < 0)
                        return r;
        }
        return token_take(&b, pos, ret);
}

static void skip_to_eol(struct lexer *lx) {
        while (lx->p < lx->end && *lx->p != '\n')
                advance(lx);
}

int crm_lex(const char *name, const char *text, size_t len, struct crm_stmts *ret, struct crm_error *err) {
        struct lexer lx = { name, text, text + len, 1, 1, err };
        struct crm_stmts out = {};
        struct crm_stmt cur = {};
        int r = 0;

        while (lx.p < lx.end) {
                char c = *lx.p;

                if (c == ' ' || c == '\t' || c == '\r') {
                        advance(&lx);
                        continue;
                }
                if (at_continuation(&lx)) {
                        while (*lx.p != '\n')
                                advance(&lx);
                        advance(&lx);
                        continue;
                }
                if (c == '\n') {
                        advance(&lx);
                        if (cur.n_tokens > 0 && (r = stmts_add(&out, &cur)) < 0)
                                goto fail;
                        continue;
                }
                if (c == '#' && cur.n_tokens == 0) {
                        skip_to_eol(&lx);
                        continue;
                }
                struct crm_token t = {};
                if (cur.n_tokens == 1 && streq(cur.tokens[0].text, "xml"))
                        r = lex_raw(&lx, &t);
                else
                        r = lex_word(&lx, &t);
                if (r < 0)
                        goto fail;
                r = stmt_add(&cur, &t);
                if (r < 0) {
                        free(t.text);
                        goto fail;
                }
        }
        if (cur.n_tokens > 0 && (r = stmts_add(&out, &cur)) < 0)
                goto fail;
        *ret = out;
        return 0;
fail:
        stmt_done(&cur);
        crm_stmts_done(&out);
        return r;
}
