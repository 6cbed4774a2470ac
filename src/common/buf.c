/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growable byte buffer; see buf.h. Capacity doubles so that appending n
 * bytes one at a time costs O(n). */

#include <stdio.h>

#include "buf.h"

#define BUF_MIN_CAP 64

void buf_free(struct buf *b) {
        if (!b)
                return;
        free(b->data);
        *b = (struct buf) BUF_INIT;
}

int buf_reserve(struct buf *b, size_t extra) {
        size_t need, cap;
        char *p;

        /* len + extra + 1 for the NUL */
        if (__builtin_add_overflow(b->len, extra, &need) ||
            __builtin_add_overflow(need, 1, &need))
                return -EOVERFLOW;
        if (b->data && need <= b->cap)
                return 0;

        cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
        while (cap < need) {
                if (__builtin_mul_overflow(cap, 2, &cap)) {
                        cap = need;
                        break;
                }
        }
        p = realloc(b->data, cap);
        if (!p)
                return -ENOMEM;
        if (!b->data)
                p[0] = '\0';
        b->data = p;
        b->cap = cap;
        return 0;
}

int buf_append(struct buf *b, const void *data, size_t len) {
        int r;

        r = buf_reserve(b, len);
        if (r < 0)
                return r;
        if (len > 0)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
}

int buf_append_str(struct buf *b, const char *s) {
        return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c) {
        return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap) {
        size_t avail;
        va_list aq;
        int n, r;

        r = buf_reserve(b, 0);
        if (r < 0)
                return r;

        /* First try the space already there; on truncation grow to the
         * exact size and format again. */
        avail = b->cap - b->len;
        va_copy(aq, ap);
        n = vsnprintf(b->data + b->len, avail, fmt, aq);
        va_end(aq);
        if (n < 0) {
                r = errno > 0 ? -errno : -EINVAL;
                b->data[b->len] = '\0';
                return r;
        }
        if ((size_t) n >= avail) {
                r = buf_reserve(b, (size_t) n);
                if (r < 0) {
                        b->data[b->len] = '\0';
                        return r;
                }
                va_copy(aq, ap);
                n = vsnprintf(b->data + b->len, (size_t) n + 1, fmt, aq);
                va_end(aq);
                if (n < 0) {
                        r = errno > 0 ? -errno : -EINVAL;
                        b->data[b->len] = '\0';
                        return r;
                }
        }
        b->len += (size_t) n;
        return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = buf_vprintf(b, fmt, ap);
        va_end(ap);
        return r;
}

void buf_consume(struct buf *b, size_t n) {
        if (n >= b->len) {
                buf_clear(b);
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
        b->data[b->len] = '\0';
}

void buf_clear(struct buf *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

void buf_truncate(struct buf *b, size_t len) {
        if (len >= b->len)
                return;
        b->len = len;
        b->data[len] = '\0';
}

char *buf_steal(struct buf *b) {
        char *s;

        if (!b->data)
                return strdup("");
        s = b->data;
        *b = (struct buf) BUF_INIT;
        return s;
}
