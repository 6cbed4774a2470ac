/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Log sink for tandem's programs: formats one line per message and sends it
 * to stderr (a single write) or to the journal. The settings are process
 * wide by nature, like stderr itself. */

#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"

/* PIPE_BUF: writes up to this size to a pipe are atomic, so lines from
 * several processes sharing stderr never interleave. */
#define LOG_LINE_MAX 4096

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",
        [LOG_CRIT] = "crit",       [LOG_ERR] = "err",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",       [LOG_DEBUG] = "debug",
};

static char log_ident[64];
static int log_max_level = LOG_INFO;
static enum log_target log_target = LOG_TARGET_AUTO;
static int log_resolved = -1;   /* AUTO resolved, or -1 if not yet */
static int log_stderr_fd = STDERR_FILENO;

void log_set_ident(const char *ident) {
        if (!ident)
                log_ident[0] = '\0';
        else
                snprintf(log_ident, sizeof(log_ident), "%s", ident);
}

static const char *get_ident(void) {
        return log_ident[0] ? log_ident : program_invocation_short_name;
}

void log_set_max_level(int level) {
        log_max_level = level < LOG_EMERG ? LOG_EMERG : level > LOG_DEBUG ? LOG_DEBUG : level;
}

int log_get_max_level(void) {
        return log_max_level;
}

int log_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        if (strcasecmp(s, "error") == 0)
                return LOG_ERR;
        if (strcasecmp(s, "warn") == 0)
                return LOG_WARNING;
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (strcasecmp(s, level_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *log_level_to_string(int level) {
        if (level < 0 || (size_t) level >= ELEMENTSOF(level_names))
                return NULL;
        return level_names[level];
}

void log_set_target(enum log_target target) {
        log_target = target;
        log_resolved = -1;
}

void log_set_stderr_fd(int fd) {
        log_stderr_fd = fd >= 0 ? fd : STDERR_FILENO;
        log_resolved = -1;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE when a service's stderr is a
 * stream to journald; the fd must still be that stream to count. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        int n = 0;

        if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &n) != 2 || e[n] != '\0')
                return false;
        if (fstat(log_stderr_fd, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

enum log_target log_get_target(void) {
        if (log_target != LOG_TARGET_AUTO)
                return log_target;
        if (log_resolved < 0)
                log_resolved = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
        return (enum log_target) log_resolved;
}

/* Appends an ISO-8601 UTC timestamp with milliseconds and a space. */
static size_t format_time(char *buf, size_t size) {
        struct timespec ts;
        struct tm tm;
        size_t n;
        int k;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm))
                return 0;
        n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        if (n == 0)
                return 0;
        k = snprintf(buf + n, size - n, ".%03ldZ ", ts.tv_nsec / 1000000);
        return k < 0 || (size_t) k >= size - n ? 0 : n + (size_t) k;
}

static void write_stderr(int level, const char *msg) {
        char line[LOG_LINE_MAX];
        const char *t = getenv("TANDEM_LOG_TIME");
        size_t n = 0;
        int k;

        if (t && streq(t, "1"))
                n = format_time(line, sizeof(line));
        k = snprintf(line + n, sizeof(line) - n, "%s[%d]: %s: %s",
                     get_ident(), (int) getpid(), log_level_to_string(level), msg);
        if (k < 0)
                return;
        n += (size_t) k;
        if (n > sizeof(line) - 1)
                n = sizeof(line) - 1;   /* cut, keep room for the newline */
        line[n++] = '\n';

        /* A retry after a partial write could interleave; accept that
         * rare case rather than block or loop forever on a broken fd. */
        while (write(log_stderr_fd, line, n) < 0 && errno == EINTR)
                ;
}

static int write_journal(int level, int error, const char *file, int line,
                         const char *func, const char *msg) {
        return sd_journal_send("MESSAGE=%s", msg,
                               "PRIORITY=%i", level,
                               "SYSLOG_IDENTIFIER=%s", get_ident(),
                               "CODE_FILE=%s", file ? file : "",
                               "CODE_LINE=%i", line,
                               "CODE_FUNC=%s", func ? func : "",
                               error != 0 ? "ERRNO=%i" : NULL, error,
                               NULL);
}

int log_internal(int level, int error, const char *file, int line,
                 const char *func, const char *fmt, ...) {
        char msg[LOG_LINE_MAX];
        int saved_errno = errno;
        int abs_error = error == INT_MIN ? INT_MAX : error < 0 ? -error : error;
        va_list ap;

        level &= LOG_PRIMASK;
        if (level > log_max_level)
                return log_neg_errno_(error);

        if (abs_error != 0)
                errno = abs_error;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        if (log_get_target() != LOG_TARGET_JOURNAL ||
            write_journal(level, abs_error, file, line, func, msg) < 0)
                write_stderr(level, msg);

        errno = saved_errno;
        return log_neg_errno_(error);
}
