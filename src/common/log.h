/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging for tandem's programs (library code returns errors instead of
 * logging). Writes one line per message to stderr or to the journal, with
 * syslog levels and systemd-style *_errno() helpers that return -errno. */
#pragma once

#include <syslog.h>

#include "util.h"

enum log_target {
        LOG_TARGET_AUTO,    /* journal if stderr is the journal, else stderr */
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
};

/* Name shown in front of each line and sent as SYSLOG_IDENTIFIER. The
 * string is copied (at most 63 bytes kept). NULL restores the default,
 * program_invocation_short_name. */
void log_set_ident(const char *ident);

/* Messages with a level numerically above level (less severe) are dropped.
 * The default is LOG_INFO. Values outside 0..7 are clamped. */
void log_set_max_level(int level);
int log_get_max_level(void);

/* "err"/"error", "warning"/"warn", "notice", "info", "debug" (also
 * "emerg", "alert", "crit") or a single digit 0-7. Returns the level or
 * -EINVAL. */
int log_level_from_string(const char *s);

/* Syslog name of level ("err", "warning", ...), or NULL if out of range. */
const char *log_level_to_string(int level);

/* Chooses where messages go. AUTO resolves to the journal when the
 * JOURNAL_STREAM environment variable names the inode of the stderr fd
 * (as systemd sets it for services), else to stderr. */
void log_set_target(enum log_target target);

/* The target messages go to now, with AUTO resolved. */
enum log_target log_get_target(void);

/* Makes the stderr target write to fd instead of 2 (for tests). The fd is
 * not owned. A negative fd restores 2. */
void log_set_stderr_fd(int fd);

/* Formats and emits one message. If error is not 0, errno is set to
 * |error| while formatting so that %m names it, and the result is
 * -|error|; otherwise 0. Messages above the max level are dropped but
 * still return that value. errno is preserved across the call. Lines on
 * stderr read "IDENT[PID]: LEVEL: message", preceded by an ISO-8601 UTC
 * timestamp with milliseconds when TANDEM_LOG_TIME=1; they are written
 * with a single write(2) and cut at 4 KiB. */
int log_internal(int level, int error, const char *file, int line,
                 const char *func, const char *fmt, ...) _printf_(6, 7);

/* Turns an error given either way round into a negative errno. */
static inline int log_neg_errno_(int error) {
        return error > 0 ? -error : error;
}

#define log_full_errno(level, error, ...)                                      \
        ({                                                                     \
                int _log_level_ = (level), _log_error_ = (error);              \
                (_log_level_ & LOG_PRIMASK) <= log_get_max_level()             \
                        ? log_internal(_log_level_, _log_error_, __FILE__,     \
                                       __LINE__, __func__, __VA_ARGS__)        \
                        : log_neg_errno_(_log_error_);                         \
        })

#define log_full(level, ...) ((void) log_full_errno((level), 0, __VA_ARGS__))

#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)

#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_notice_errno(error, ...)  log_full_errno(LOG_NOTICE, error, __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, error, __VA_ARGS__)
#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
