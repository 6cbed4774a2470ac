/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growable byte buffer used for building text and for socket input. Once
 * data is allocated it is always NUL-terminated at data[len], so the
 * contents can be used as a C string when they hold no NUL bytes. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "util.h"

struct buf {
        char *data;
        size_t len;     /* bytes in use, not counting the trailing NUL */
        size_t cap;     /* bytes allocated, including room for the NUL */
};

#define BUF_INIT {0}

/* Frees the contents and resets b to empty. NULL is allowed. */
void buf_free(struct buf *b);

#define _cleanup_buf_ _cleanup_(buf_free)

/* Makes room for extra more bytes (plus the NUL) without further
 * allocation. -EOVERFLOW if the size does not fit size_t, -ENOMEM if
 * allocation fails; b is unchanged on failure. */
int buf_reserve(struct buf *b, size_t extra);

/* Append bytes. On failure (-ENOMEM, -EOVERFLOW) b is unchanged. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);

/* Append formatted text. On failure b is unchanged. */
int buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) _printf_(2, 0);

/* Drops the first n bytes; n > len empties the buffer. Keeps memory. */
void buf_consume(struct buf *b, size_t n);

/* Sets len to 0 and keeps the memory for reuse. */
void buf_clear(struct buf *b);

/* Shortens the contents to len bytes; does nothing if len >= b->len. */
void buf_truncate(struct buf *b, size_t len);

/* Hands the contents to the caller as a malloc'd NUL-terminated string
 * ("" for an empty buffer) and resets b to empty. Returns NULL only when
 * allocation fails, and then b is unchanged. */
char *buf_steal(struct buf *b);
