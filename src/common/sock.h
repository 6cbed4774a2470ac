/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket helpers for tandem's control sockets (AF_UNIX) and replication
 * links (TCP): set-up, drbd.conf address parsing, and blocking-style line
 * I/O on top of non-blocking fds. Every fd returned here is CLOEXEC. */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "buf.h"

/* Room for the longest text sock_format_addr() produces, with the NUL:
 * "[" IPv6 "%" ifname "]:" port. */
#define SOCK_ADDR_STR_MAX 72

/* Creates a listening, non-blocking AF_UNIX stream socket at path with
 * file mode mode. A stale socket file at path is removed first; if a live
 * listener answers there, returns -EADDRINUSE. -ENAMETOOLONG if path does
 * not fit sun_path. */
int sock_unix_listen(const char *path, int backlog, mode_t mode, int *ret_fd);

/* Connects a blocking AF_UNIX stream socket to path. */
int sock_unix_connect(const char *path, int *ret_fd);

/* Likewise, giving up with -ETIMEDOUT after timeout_ms (negative: never)
 * when the listener's backlog is full. */
int sock_unix_connect_timeout(const char *path, int timeout_ms, int *ret_fd);

/* Parses a drbd.conf style address: "IPv4:PORT", "[IPv6]:PORT",
 * "ipv4 IPv4:PORT" or "ipv6 [IPv6]:PORT". An IPv6 address may carry a
 * "%ifname" or "%index" scope. The port is 0..65535. -EINVAL on anything
 * else. ret_len receives the size of the sockaddr filled in. */
int sock_parse_addr(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);

/* Writes "IP:PORT" or "[IP]:PORT" for an AF_INET or AF_INET6 address into
 * buf (SOCK_ADDR_STR_MAX is always enough). Returns 0, -EAFNOSUPPORT for
 * other families, -EINVAL if len is too short for the family, or -ENOBUFS
 * if size is too small. */
int sock_format_addr(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

/* Creates a non-blocking TCP socket listening on sa, with SO_REUSEADDR. */
int sock_tcp_listen(const struct sockaddr *sa, socklen_t len, int *ret_fd);

/* Starts a non-blocking TCP connect to sa. Returns 0 with the fd also when
 * the connection is still in progress: the caller waits for the fd to
 * become writable and then checks SO_ERROR. */
int sock_tcp_connect(const struct sockaddr *sa, socklen_t len, int *ret_fd);

/* Sets or clears O_NONBLOCK on fd. */
int sock_set_nonblock(int fd, bool nonblock);

/* Writes all len bytes, retrying on EINTR and partial writes and waiting
 * with poll() when a non-blocking fd is full. Sockets are written with
 * MSG_NOSIGNAL, so a closed peer gives -EPIPE rather than SIGPIPE. On
 * failure an unknown prefix of data may have been written. */
int sock_write_all(int fd, const void *data, size_t len);

/* Returns the next '\n'-terminated line from fd, without the newline, as a
 * malloc'd string. b carries bytes across calls: it is consulted before
 * reading and keeps whatever follows the line. Waits at most timeout_ms
 * in total (negative: forever). Errors: -EMSGSIZE if the line is longer
 * than max bytes, -ETIMEDOUT, -ECONNRESET on end of file before a newline,
 * or the error of read(). */
int sock_read_line(int fd, struct buf *b, size_t max, int timeout_ms, char **ret_line);

/* The uid of the process at the other end of an AF_UNIX socket. */
int sock_peer_uid(int fd, uid_t *ret_uid);
