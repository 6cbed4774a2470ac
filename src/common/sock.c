/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket set-up, address parsing and line I/O; see sock.h. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "sock.h"

#define READ_CHUNK 4096

static int unix_addr(const char *path, struct sockaddr_un *ret, socklen_t *ret_len) {
        size_t l;

        if (!path || !*path)
                return -EINVAL;
        l = strlen(path);
        if (l >= sizeof(ret->sun_path))
                return -ENAMETOOLONG;
        *ret = (struct sockaddr_un) { .sun_family = AF_UNIX };
        memcpy(ret->sun_path, path, l + 1);
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1);
        return 0;
}

/* Returns 1 if something listens at sa, 0 if the socket file is stale or
 * gone. A full backlog (EAGAIN) still means somebody is there. */
static int unix_is_live(const struct sockaddr_un *sa, socklen_t len) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) sa, len) >= 0)
                return 1;
        if (errno == EAGAIN || errno == EINPROGRESS)
                return 1;
        if (errno == ECONNREFUSED || errno == ENOENT)
                return 0;
        return -errno;
}

int sock_unix_listen(const char *path, int backlog, mode_t mode, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa;
        socklen_t len;
        struct stat st;
        int r;

        r = unix_addr(path, &sa, &len);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;

        /* Bind first and only clean up on EADDRINUSE, so that a live
         * listener's socket is never unlinked. Files other than sockets
         * are left alone. */
        if (bind(fd, (struct sockaddr *) &sa, len) < 0) {
                if (errno != EADDRINUSE)
                        return -errno;
                if (lstat(path, &st) >= 0 && !S_ISSOCK(st.st_mode))
                        return -EADDRINUSE;
                r = unix_is_live(&sa, len);
                if (r < 0)
                        return r;
                if (r > 0)
                        return -EADDRINUSE;
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
                if (bind(fd, (struct sockaddr *) &sa, len) < 0)
                        return -errno;
        }

        /* Nobody can connect before listen(), so setting the mode between
         * bind() and listen() leaves no window with the umask's mode. */
        if (chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
                r = -errno;
                (void) unlink(path);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int sock_unix_connect(const char *path, int *ret_fd) {
        return sock_unix_connect_timeout(path, -1, ret_fd);
}

static int parse_port(const char *s, uint16_t *ret) {
        uint64_t v;

        if (parse_u64(s, &v) < 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* "%ifname" or "%index" after an IPv6 address. */
static int parse_scope(const char *s, uint32_t *ret) {
        uint64_t v;
        unsigned idx;

        if (parse_u64(s, &v) >= 0) {
                if (v > UINT32_MAX)
                        return -EINVAL;
                *ret = (uint32_t) v;
                return 0;
        }
        idx = if_nametoindex(s);
        if (idx == 0)
                return -EINVAL;
        *ret = idx;
        return 0;
}

int sock_parse_addr(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
        struct sockaddr_storage ss = {};
        int family = AF_UNSPEC;
        const char *port, *p, *end;
        uint16_t portno;
        size_t l;

        if (!s)
                return -EINVAL;
        if ((p = startswith(s, "ipv4")) && (*p == ' ' || *p == '\t'))
                family = AF_INET;
        else if ((p = startswith(s, "ipv6")) && (*p == ' ' || *p == '\t'))
                family = AF_INET6;
        if (family != AF_UNSPEC)
                s = p + strspn(p, " \t");

        if (*s == '[') {
                if (family == AF_INET)
                        return -EINVAL;
                family = AF_INET6;
                s++;
                end = strchr(s, ']');
                if (!end || end[1] != ':')
                        return -EINVAL;
                port = end + 2;
        } else {
                /* drbd.conf requires brackets around IPv6 addresses. */
                if (family == AF_INET6)
                        return -EINVAL;
                family = AF_INET;
                end = strchr(s, ':');
                if (!end)
                        return -EINVAL;
                port = end + 1;
        }
        l = (size_t) (end - s);
        if (l == 0 || l >= sizeof(host))
                return -EINVAL;
        memcpy(host, s, l);
        host[l] = '\0';
        if (parse_port(port, &portno) < 0)
                return -EINVAL;

        if (family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) &ss;

                if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
                        return -EINVAL;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(portno);
                *ret_len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
                char *pct = strchr(host, '%');

                if (pct) {
                        *pct = '\0';
                        if (parse_scope(pct + 1, &sin6->sin6_scope_id) < 0)
                                return -EINVAL;
                }
                if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
                        return -EINVAL;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(portno);
                *ret_len = sizeof(*sin6);
        }
        *ret = ss;
        return 0;
}

int sock_format_addr(const struct sockaddr *sa, socklen_t len, char *buf, size_t size) {
        char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12] = "";
        int n;

        if (!sa || !buf)
                return -EINVAL;
        if (len < (socklen_t) sizeof(sa_family_t))
                return -EINVAL;

        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;

                if (len < (socklen_t) sizeof(*sin))
                        return -EINVAL;
                if (!inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)))
                        return -errno;
                n = snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
        } else if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;
                char ifname[IF_NAMESIZE];

                if (len < (socklen_t) sizeof(*sin6))
                        return -EINVAL;
                if (!inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)))
                        return -errno;
                if (sin6->sin6_scope_id != 0) {
                        if (if_indextoname(sin6->sin6_scope_id, ifname))
                                snprintf(scope, sizeof(scope), "%%%s", ifname);
                        else
                                snprintf(scope, sizeof(scope), "%%%u", sin6->sin6_scope_id);
                }
                n = snprintf(buf, size, "[%s%s]:%u", host, scope, ntohs(sin6->sin6_port));
        } else
                return -EAFNOSUPPORT;

        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        return 0;
}

static int tcp_socket(const struct sockaddr *sa, socklen_t len) {
        int fd;

        if (!sa || len < (socklen_t) sizeof(sa_family_t))
                return -EINVAL;
        if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
                return -EAFNOSUPPORT;
        fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
        return fd < 0 ? -errno : fd;
}

int sock_tcp_listen(const struct sockaddr *sa, socklen_t len, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        int one = 1;

        fd = tcp_socket(sa, len);
        if (fd < 0)
                return fd;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int sock_tcp_connect(const struct sockaddr *sa, socklen_t len, int *ret_fd) {
        _cleanup_close_ int fd = -1;

        fd = tcp_socket(sa, len);
        if (fd < 0)
                return fd;
        /* EINTR on a non-blocking connect also leaves it in progress. */
        if (connect(fd, sa, len) < 0 && errno != EINPROGRESS && errno != EINTR)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int sock_set_nonblock(int fd, bool nonblock) {
        int flags, nflags;

        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return -errno;
        nflags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (nflags != flags && fcntl(fd, F_SETFL, nflags) < 0)
                return -errno;
        return 0;
}

/* Waits for events on fd. timeout_ms < 0 waits forever. Returns
 * revents, 0 on timeout. */
static int wait_fd(int fd, short events, int timeout_ms) {
        struct pollfd pfd = { .fd = fd, .events = events };
        int n;

        n = poll(&pfd, 1, timeout_ms);
        if (n < 0)
                return errno == EINTR ? events : -errno;
        if (n > 0 && (pfd.revents & POLLNVAL))
                return -EBADF;
        return n == 0 ? 0 : pfd.revents;
}

int sock_write_all(int fd, const void *data, size_t len) {
        const char *p = data;
        bool is_socket = true;

        while (len > 0) {
                ssize_t n;

                if (is_socket) {
                        n = send(fd, p, len, MSG_NOSIGNAL);
                        if (n < 0 && errno == ENOTSOCK) {
                                is_socket = false;
                                continue;
                        }
                } else
                        n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                int r = wait_fd(fd, POLLOUT, -1);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Milliseconds left until deadline (usec, CLOCK_MONOTONIC), rounded up;
 * -1 for no deadline. */
static int remaining_ms(int64_t deadline) {
        int64_t left;

        if (deadline < 0)
                return -1;
        left = deadline - now_usec(CLOCK_MONOTONIC);
        if (left <= 0)
                return 0;
        left = (left + 999) / 1000;
        return left > INT32_MAX ? INT32_MAX : (int) left;
}

int sock_read_line(int fd, struct buf *b, size_t max, int timeout_ms, char **ret_line) {
        int64_t deadline = -1;
        size_t scanned = 0;
        int r;

        if (!b || !ret_line)
                return -EINVAL;
        if (timeout_ms >= 0)
                deadline = now_usec(CLOCK_MONOTONIC) + (int64_t) timeout_ms * 1000;

        for (;;) {
                const char *nl = NULL;
                ssize_t n;

                if (b->len > scanned)
                        nl = memchr(b->data + scanned, '\n', b->len - scanned);
                if (nl) {
                        size_t l = (size_t) (nl - b->data);
                        char *line;

                        if (l > max)
                                return -EMSGSIZE;
                        line = malloc(l + 1);
                        if (!line)
                                return -ENOMEM;
                        memcpy(line, b->data, l);
                        line[l] = '\0';
                        buf_consume(b, l + 1);
                        *ret_line = line;
                        return 0;
                }
                scanned = b->len;
                if (b->len > max)
                        return -EMSGSIZE;

                r = wait_fd(fd, POLLIN, remaining_ms(deadline));
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ETIMEDOUT;

                r = buf_reserve(b, READ_CHUNK);
                if (r < 0)
                        return r;
                n = read(fd, b->data + b->len, b->cap - b->len - 1);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -ECONNRESET;
                b->len += (size_t) n;
                b->data[b->len] = '\0';
        }
}

int sock_peer_uid(int fd, uid_t *ret_uid) {
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (len != sizeof(cred))
                return -EIO;
        *ret_uid = cred.uid;
        return 0;
}

int sock_unix_connect_timeout(const char *path, int timeout_ms, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa;
        socklen_t len;
        int r;

        r = unix_addr(path, &sa, &len);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A listener that does not accept blocks connect() once its
         * backlog is full; SO_SNDTIMEO bounds that wait (and makes it end
         * with EAGAIN). A zero timeval would mean "forever". */
        if (timeout_ms >= 0) {
                struct timeval tv = { .tv_sec = timeout_ms / 1000,
                                      .tv_usec = (timeout_ms % 1000) * 1000 };
                if (timeout_ms == 0)
                        tv.tv_usec = 1;
                if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                        return -errno;
        }
        while (connect(fd, (struct sockaddr *) &sa, len) < 0) {
                if (errno == EAGAIN)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return -errno;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}
