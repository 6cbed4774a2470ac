/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing, file and string helpers shared by all tandem modules; see
 * util.h for the contracts. */

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util.h"

#define READ_FILE_MAX (64U * 1024U * 1024U)

int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;

                /* On Linux the fd is gone even when close() fails with
                 * EINTR, so never retry. */
                (void) close(fd);
                errno = saved;
        }
        return -1;
}

/* Parses the leading decimal digits of s. Stores the position after them
 * in *ret_end. Requires at least one digit. */
static int parse_digits(const char *s, uint64_t *ret, const char **ret_end) {
        uint64_t v = 0;
        const char *p = s;

        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (*p - '0'), &v))
                        return -ERANGE;
        }
        *ret = v;
        *ret_end = p;
        return 0;
}

int parse_u64(const char *s, uint64_t *ret) {
        const char *end;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_int(const char *s, int *ret) {
        bool neg = false;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        r = parse_u64(s, &v);
        if (r < 0)
                return r;
        if (neg ? v > (uint64_t) INT_MAX + 1 : v > (uint64_t) INT_MAX)
                return -ERANGE;
        *ret = neg ? (int) -(int64_t) v : (int) v;
        return 0;
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" };
        static const char *const no[] = { "0", "no", "false", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int parse_size(const char *s, uint64_t *ret) {
        const char *end;
        uint64_t v, factor;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;

        switch (*end) {
        case '\0':
                factor = 1;
                break;
        case 's':
                factor = 512;
                break;
        case 'k': case 'K':
                factor = UINT64_C(1) << 10;
                break;
        case 'm': case 'M':
                factor = UINT64_C(1) << 20;
                break;
        case 'g': case 'G':
                factor = UINT64_C(1) << 30;
                break;
        case 't': case 'T':
                factor = UINT64_C(1) << 40;
                break;
        default:
                return -EINVAL;
        }
        if (*end != '\0' && end[1] != '\0')
                return -EINVAL;
        if (__builtin_mul_overflow(v, factor, &v))
                return -ERANGE;
        *ret = v;
        return 0;
}

static int mkdir_one(const char *path, mode_t mode) {
        struct stat st;

        if (mkdir(path, mode) >= 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        if (stat(path, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (!path || !*path)
                return -EINVAL;
        p = strdup(path);
        if (!p)
                return -ENOMEM;

        /* Create each prefix ending before a '/', skipping the root and
         * runs of slashes. */
        for (char *s = p + 1; *s; s++) {
                if (*s != '/' || s[-1] == '/')
                        continue;
                *s = '\0';
                r = mkdir_one(p, mode);
                *s = '/';
                if (r < 0)
                        return r;
        }
        return mkdir_one(p, mode);
}

/* Identifies the mount an inode lives on. st_dev alone misses bind mounts
 * of the same file system, so the mount id is compared as well when the
 * kernel reports it. */
struct mount_key {
        dev_t dev;
        uint64_t mnt_id;
        bool is_dir;
};

static int mount_key_at(int dirfd, const char *name, struct mount_key *ret) {
        struct statx sx;

        if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
                  STATX_TYPE | STATX_MNT_ID, &sx) < 0)
                return -errno;
        *ret = (struct mount_key) {
                .dev = makedev(sx.stx_dev_major, sx.stx_dev_minor),
                .mnt_id = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0,
                .is_dir = S_ISDIR(sx.stx_mode),
        };
        return 0;
}

static bool same_mount(const struct mount_key *a, const struct mount_key *b) {
        return a->dev == b->dev && a->mnt_id == b->mnt_id;
}

/* Empties the directory open as dfd (which this function takes over).
 * Keeps going after errors so that as much as possible is removed;
 * returns -EBUSY if a mount point was skipped, else the first error. */
static int rm_rf_children(int dfd, const struct mount_key *top) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        int ret = 0;

        if (!d) {
                int r = -errno;
                safe_close(dfd);
                return r;
        }

        while ((errno = 0, de = readdir(d))) {
                struct mount_key k;
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = mount_key_at(dirfd(d), de->d_name, &k);
                if (r == -ENOENT)
                        continue;
                if (r >= 0 && !same_mount(&k, top))
                        r = -EBUSY;
                else if (r >= 0 && k.is_dir) {
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        r = cfd < 0 ? -errno : rm_rf_children(cfd, top);
                        if (r >= 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
                                r = -errno;
                } else if (r >= 0 && unlinkat(dirfd(d), de->d_name, 0) < 0)
                        r = -errno;

                if (r == -ENOENT)
                        r = 0;
                if (r < 0 && (ret == 0 || r == -EBUSY))
                        ret = r;
        }
        if (errno != 0 && ret == 0)
                ret = -errno;
        closedir(d);
        return ret;
}

int rm_rf(const char *path) {
        struct mount_key top;
        int fd, r;

        if (!path || !*path)
                return -EINVAL;
        r = mount_key_at(AT_FDCWD, path, &top);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (!top.is_dir)
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        r = rm_rf_children(fd, &top);
        if (r < 0)
                return r;
        if (rmdir(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int read_file(const char *path, char **ret_data, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *data = NULL;
        size_t len = 0, cap = 0;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        /* /proc and /sys report size 0, so st_size is only a hint. */
        if (S_ISREG(st.st_mode) && st.st_size > (off_t) READ_FILE_MAX)
                return -EFBIG;

        for (;;) {
                ssize_t n;

                if (cap - len < 2) {
                        size_t ncap = cap ? cap * 2 : 4096;
                        char *p;

                        if (S_ISREG(st.st_mode) && cap == 0 && (size_t) st.st_size >= ncap)
                                ncap = (size_t) st.st_size + 2;
                        if (ncap > READ_FILE_MAX + 2)
                                ncap = READ_FILE_MAX + 2;
                        p = realloc(data, ncap);
                        if (!p)
                                return -ENOMEM;
                        data = p;
                        cap = ncap;
                }
                n = read(fd, data + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > READ_FILE_MAX)
                        return -EFBIG;
        }
        if (!data) {
                data = malloc(1);
                if (!data)
                        return -ENOMEM;
        }
        data[len] = '\0';
        *ret_data = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

static int write_all_fd(int fd, const char *p, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static int fsync_parent_dir(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        _cleanup_close_ int fd = -1;
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                strcpy(dir, ".");
        else if (slash == dir)
                dir[1] = '\0';
        else
                *slash = '\0';

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (!path || (!data && len > 0))
                return -EINVAL;
        tmp = strjoin(path, ".tmpXXXXXX", NULL);
        if (!tmp)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (fchmod(fd, mode & 07777) < 0)
                r = -errno;
        else
                r = write_all_fd(fd, data, len);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        return fsync_parent_dir(path);
}

int write_file(const char *path, const char *data) {
        _cleanup_close_ int fd = -1;
        int r;

        if (!path || !data)
                return -EINVAL;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        r = write_all_fd(fd, data, strlen(data));
        if (r < 0)
                return r;
        /* Attribute files may report their error only on close. */
        return close(TAKE_FD(fd)) < 0 ? -errno : 0;
}

char *strjoin(const char *first, ...) {
        va_list ap;
        size_t total = 1;
        char *ret, *p;

        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *)) {
                if (__builtin_add_overflow(total, strlen(s), &total)) {
                        va_end(ap);
                        return NULL;
                }
        }
        va_end(ap);

        ret = p = malloc(total);
        if (!ret)
                return NULL;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                p = stpcpy(p, s);
        va_end(ap);
        *p = '\0';
        return ret;
}

int64_t now_usec(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return -errno;
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int format_error(char *buf, size_t size, int err, const char *fmt, ...) {
        va_list ap;

        if (buf && size > 0) {
                va_start(ap, fmt);
                vsnprintf(buf, size, fmt, ap);
                va_end(ap);
        }
        return err;
}
