/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers every tandem module uses: cleanup attributes, string and
 * number parsing, and file utilities. Errors are negative errno values. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _sentinel_ __attribute__((sentinel))

/* Number of elements of an array; fails to compile when given a pointer. */
#define ELEMENTSOF(x)                                                          \
        __builtin_choose_expr(                                                 \
                !__builtin_types_compatible_p(typeof(x), typeof(&*(x))),       \
                sizeof(x) / sizeof((x)[0]),                                    \
                (void) 0)

/* Evaluates to the pointer stored in p and sets p to NULL: hands ownership
 * out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                            \
        ({                                                                     \
                typeof(p) *_take_pp_ = &(p);                                   \
                typeof(p) _take_p_ = *_take_pp_;                               \
                *_take_pp_ = NULL;                                             \
                _take_p_;                                                      \
        })

/* Same for file descriptors: evaluates to fd and sets it to -1. */
#define TAKE_FD(fd)                                                            \
        ({                                                                     \
                int *_take_fdp_ = &(fd);                                       \
                int _take_fd_ = *_take_fdp_;                                   \
                *_take_fdp_ = -1;                                              \
                _take_fd_;                                                     \
        })

/* Defines "static inline void funcp(type *p)" that calls func(*p) unless
 * *p is NULL, for use with _cleanup_(funcp). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                \
        static inline void func##p(type *p) {                                  \
                if (*p)                                                        \
                        func(*p);                                              \
        }

/* Closes fd if it is >= 0, keeping errno unchanged. Always returns -1, so
 * "fd = safe_close(fd);" leaves fd invalid. */
int safe_close(int fd);

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void closep(int *fd) {
        safe_close(*fd);
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool strneq(const char *a, const char *b, size_t n) {
        return strncmp(a, b, n) == 0;
}

/* Returns the position in s just after prefix, or NULL if s does not start
 * with prefix. */
static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);

        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* Decimal unsigned integer, no sign, no surrounding whitespace.
 * -EINVAL on empty or malformed text, -ERANGE if it does not fit. */
int parse_u64(const char *s, uint64_t *ret);

/* Decimal int with optional leading '-' or '+'. -EINVAL / -ERANGE. */
int parse_int(const char *s, int *ret);

/* yes/no, true/false, on/off, 1/0 (case-insensitive). -EINVAL otherwise. */
int parse_bool(const char *s, bool *ret);

/* A byte count as written in drbd.conf: a decimal number with an optional
 * binary suffix K, M, G, T (case-insensitive, 1024-based) or "s" for
 * 512-byte sectors. "10G" is 10 GiB. -EINVAL on bad text, -ERANGE on
 * overflow. */
int parse_size(const char *s, uint64_t *ret);

/* Creates path and any missing parents with mode (like mkdir -p). An
 * existing directory is success; an existing non-directory is -ENOTDIR. */
int mkdir_p(const char *path, mode_t mode);

/* Removes path recursively without following symlinks and without crossing
 * into other mounts. A missing path is success. Returns -EBUSY if a mount
 * point below path was left in place (everything else removable is still
 * removed), or another negative errno on the first other failure. */
int rm_rf(const char *path);

/* Reads a whole file (at most 64 MiB, else -EFBIG) into a malloc'd buffer
 * that is NUL-terminated past its length. ret_len may be NULL. */
int read_file(const char *path, char **ret_data, size_t *ret_len);

/* Replaces path with data durably: writes path.tmpXXXXXX in the same
 * directory, fsyncs it, renames it over path and fsyncs the directory.
 * The new file gets exactly mode. On failure path is left unchanged and
 * the temporary file is removed. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Creates or truncates path and writes the string data, for /proc- and
 * /sys-like attribute files. Not atomic. */
int write_file(const char *path, const char *data);

/* Concatenates the NULL-terminated list of strings into a malloc'd string.
 * Returns NULL on allocation failure. */
char *strjoin(const char *first, ...) _sentinel_;

/* The current time of clock in microseconds, or a negative errno if clock
 * is not a valid clock id. */
int64_t now_usec(clockid_t clock);

/* Format a message into buf (ignored when buf is NULL or size 0) and
 * return err: the one way modules hand a reason to their caller, as in
 * "return format_error(why, why_size, -EBADMSG, "bad magic");". */
int format_error(char *buf, size_t size, int err, const char *fmt, ...) _printf_(4, 5);
