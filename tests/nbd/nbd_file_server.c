/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nbd_file_server: serves files through nbd_server with a simple synchronous
 * backend (pread/pwrite/fdatasync/fallocate), for testing the server with
 * real NBD clients. FILE... become the exports "0", "1", ... ("" is "0").
 * --delay-ms and --reorder hold requests and complete them later (and in
 * reverse order) to exercise asynchronous completion. Stops on SIGTERM or
 * SIGINT. */

#include <fcntl.h>
#include <getopt.h>
#include <linux/falloc.h>
#include <sys/stat.h>

#include "event.h"
#include "log.h"
#include "nbd_server.h"
#include "sock.h"

#define MAX_EXPORTS 16

struct app;

struct file_export {
        struct app *app;
        char name[16];
        char desc[300];
        int fd;
        uint64_t size;
        unsigned clients;
};

struct held {
        struct nbd_io *io;
        struct held *next;
};

struct app {
        sd_event *e;
        struct file_export ex[MAX_EXPORTS];
        unsigned n_ex;
        bool read_only, multi_conn, reorder;
        uint64_t delay_usec;
        struct held *held;            /* newest first */
        unsigned n_held;
        sd_event_source *timer;
        uint64_t requests;
};

static int fe_lookup(void *ctx, const char *name, struct nbd_export_info *ret, void **ret_export) {
        struct app *a = ctx;

        if (streq(name, ""))
                name = "0";
        for (unsigned i = 0; i < a->n_ex; i++)
                if (streq(a->ex[i].name, name)) {
                        *ret = (struct nbd_export_info) {
                                .size = a->ex[i].size,
                                .read_only = a->read_only,
                                .can_trim = true, .can_write_zeroes = true,
                                .can_flush = true, .can_fua = true,
                                .can_multi_conn = a->multi_conn,
                                .description = a->ex[i].desc,
                        };
                        *ret_export = &a->ex[i];
                        return 0;
                }
        return -ENOENT;
}

static int fe_list(void *ctx, void (*emit)(void *, const char *, const char *), void *emit_ctx) {
        struct app *a = ctx;

        for (unsigned i = 0; i < a->n_ex; i++)
                emit(emit_ctx, a->ex[i].name, a->ex[i].desc);
        return 0;
}

static int fe_open(void *export_ctx) {
        struct file_export *x = export_ctx;

        x->clients++;
        log_debug("export %s: client opened (%u now)", x->name, x->clients);
        return 0;
}

static void fe_close(void *export_ctx) {
        struct file_export *x = export_ctx;

        x->clients--;
        log_debug("export %s: client closed (%u left)", x->name, x->clients);
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off) {
        uint8_t *p = buf;

        while (len > 0) {
                ssize_t k = pread(fd, p, len, (off_t) off);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0) {
                        memset(p, 0, len);  /* the file shrank: read as zeroes */
                        return 0;
                }
                p += k;
                off += (uint64_t) k;
                len -= (size_t) k;
        }
        return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off) {
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t k = pwrite(fd, p, len, (off_t) off);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                off += (uint64_t) k;
                len -= (size_t) k;
        }
        return 0;
}

static int write_zeroes(int fd, uint64_t off, uint32_t len) {
        static const uint8_t zero[65536];

        while (len > 0) {
                uint32_t n = len < sizeof(zero) ? len : (uint32_t) sizeof(zero);
                int r = pwrite_all(fd, zero, n, off);

                if (r < 0)
                        return r;
                off += n;
                len -= n;
        }
        return 0;
}

static int do_io(struct nbd_io *io) {
        struct file_export *x = io->export_ctx;
        int r = 0;

        switch (io->type) {
        case NBD_IO_READ:
                return pread_all(x->fd, io->data, io->length, io->offset);
        case NBD_IO_WRITE:
                r = pwrite_all(x->fd, io->data, io->length, io->offset);
                break;
        case NBD_IO_FLUSH:
                return fdatasync(x->fd) < 0 ? -errno : 0;
        case NBD_IO_TRIM:
                /* Advisory: a file system without hole punching ignores it. */
                if (fallocate(x->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                              (off_t) io->offset, io->length) < 0 && errno != EOPNOTSUPP)
                        r = -errno;
                break;
        case NBD_IO_WRITE_ZEROES:
                r = fallocate(x->fd, io->no_hole ? FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE
                                                 : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                              (off_t) io->offset, io->length) < 0 ? -errno : 0;
                if (r == -EOPNOTSUPP)
                        r = write_zeroes(x->fd, io->offset, io->length);
                break;
        }
        if (r >= 0 && io->fua && fdatasync(x->fd) < 0)
                r = -errno;
        return r;
}

/* Completes everything held: oldest first, or newest first with --reorder. */
static void release_held(struct app *a) {
        struct held *list = a->held, *h;

        a->held = NULL;
        a->n_held = 0;
        if (!a->reorder) {
                struct held *rev = NULL;

                while (list) {
                        h = list;
                        list = h->next;
                        h->next = rev;
                        rev = h;
                }
                list = rev;
        }
        while (list) {
                h = list;
                list = h->next;
                nbd_io_complete(h->io, do_io(h->io));
                free(h);
        }
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct app *a = userdata;

        a->timer = sd_event_source_disable_unref(a->timer);
        release_held(a);
        return 0;
}

static void fe_submit(void *export_ctx, struct nbd_io *io) {
        struct app *a = ((struct file_export *) export_ctx)->app;
        struct held *h;

        a->requests++;
        if (a->delay_usec == 0 && !a->reorder) {
                nbd_io_complete(io, do_io(io));
                return;
        }
        h = malloc(sizeof(*h));
        if (!h) {
                nbd_io_complete(io, -ENOMEM);
                return;
        }
        h->io = io;
        h->next = a->held;
        a->held = h;
        a->n_held++;
        /* One timer per batch: what arrives meanwhile completes together. */
        if (!a->timer &&
            sd_event_add_time_relative(a->e, &a->timer, CLOCK_MONOTONIC, a->delay_usec, 0, on_timer, a) < 0)
                release_held(a);
}

static const struct nbd_backend_ops file_ops = {
        .lookup = fe_lookup,
        .list = fe_list,
        .open = fe_open,
        .close = fe_close,
        .submit = fe_submit,
};

static void on_log(void *userdata, int level, const char *message) {
        log_full(level, "%s", message);
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: nbd_file_server [OPTIONS] FILE...\n"
                "Serves FILE... as the NBD exports \"0\", \"1\", ... until SIGTERM/SIGINT.\n"
                "  --unix PATH        listen on a unix socket\n"
                "  --tcp ADDR:PORT    listen on TCP (port 0: any free port)\n"
                "  --port-file FILE   write the TCP port there once listening\n"
                "  --read-only        export read-only\n"
                "  --no-multi-conn    do not advertise CAN_MULTI_CONN\n"
                "  --delay-ms N       complete requests N ms after they arrive\n"
                "  --reorder          complete held requests newest first\n"
                "  -v, --verbose      debug logging\n");
}

static int write_port_file(const char *path, int port) {
        char text[16];

        snprintf(text, sizeof(text), "%d\n", port);
        return write_file_atomic(path, text, strlen(text), 0644);
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "unix", required_argument, NULL, 'u' },
                { "tcp", required_argument, NULL, 't' },
                { "port-file", required_argument, NULL, 'p' },
                { "read-only", no_argument, NULL, 'r' },
                { "no-multi-conn", no_argument, NULL, 'm' },
                { "delay-ms", required_argument, NULL, 'd' },
                { "reorder", no_argument, NULL, 'o' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct app a = { .multi_conn = true };
        const char *unix_path = NULL, *tcp = NULL, *port_file = NULL;
        struct nbd_server *s = NULL;
        uint64_t v;
        int c, r, ret = EXIT_FAILURE;

        log_set_ident("nbd_file_server");
        while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) >= 0)
                switch (c) {
                case 'u': unix_path = optarg; break;
                case 't': tcp = optarg; break;
                case 'p': port_file = optarg; break;
                case 'r': a.read_only = true; break;
                case 'm': a.multi_conn = false; break;
                case 'o': a.reorder = true; break;
                case 'v': log_set_max_level(LOG_DEBUG); break;
                case 'd':
                        if (parse_u64(optarg, &v) < 0 || v > 60000) {
                                log_error("--delay-ms: '%s' is not a number of milliseconds up to 60000", optarg);
                                return EXIT_FAILURE;
                        }
                        a.delay_usec = v * 1000;
                        break;
                case 'h': usage(stdout); return EXIT_SUCCESS;
                default: usage(stderr); return EXIT_FAILURE;
                }
        if (optind >= argc || (!unix_path && !tcp)) {
                usage(stderr);
                return EXIT_FAILURE;
        }
        if (argc - optind > MAX_EXPORTS) {
                log_error("at most %d files", MAX_EXPORTS);
                return EXIT_FAILURE;
        }

        for (int i = optind; i < argc; i++) {
                struct file_export *x = &a.ex[a.n_ex];
                struct stat st;

                x->app = &a;
                x->fd = open(argv[i], (a.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
                if (x->fd < 0 || fstat(x->fd, &st) < 0) {
                        log_error_errno(errno, "%s: %m", argv[i]);
                        goto out;
                }
                a.n_ex++;
                if (!S_ISREG(st.st_mode)) {
                        log_error("%s: not a regular file", argv[i]);
                        goto out;
                }
                x->size = (uint64_t) st.st_size;
                snprintf(x->name, sizeof(x->name), "%u", a.n_ex - 1);
                snprintf(x->desc, sizeof(x->desc), "file %s", argv[i]);
        }

        r = event_new_daemon_loop(&a.e);
        if (r < 0) {
                log_error_errno(r, "event loop: %m");
                goto out;
        }
        r = nbd_server_new(a.e, &file_ops, &a, &s);
        if (r < 0) {
                log_error_errno(r, "nbd server: %m");
                goto out;
        }
        nbd_server_set_log(s, on_log, &a);
        if (unix_path) {
                r = nbd_server_listen_unix(s, unix_path, 0600);
                if (r < 0) {
                        log_error_errno(r, "listen on %s: %m", unix_path);
                        goto out;
                }
        }
        if (tcp) {
                struct sockaddr_storage ss;
                socklen_t len;

                r = sock_parse_addr(tcp, &ss, &len);
                if (r < 0) {
                        log_error("--tcp: '%s' is not an address like 127.0.0.1:10809", tcp);
                        goto out;
                }
                r = nbd_server_listen_tcp(s, (struct sockaddr *) &ss, len);
                if (r < 0) {
                        log_error_errno(r, "listen on %s: %m", tcp);
                        goto out;
                }
                if (port_file) {
                        r = write_port_file(port_file, nbd_server_tcp_port(s));
                        if (r < 0) {
                                log_error_errno(r, "%s: %m", port_file);
                                goto out;
                        }
                }
                log_info("listening on TCP port %d", nbd_server_tcp_port(s));
        }
        log_info("serving %u export(s)", a.n_ex);

        r = sd_event_loop(a.e);
        if (r < 0) {
                log_error_errno(r, "event loop: %m");
                goto out;
        }
        ret = EXIT_SUCCESS;
out:
        /* Connections close now; held requests complete after the server is
         * freed, as a backend draining its queue would. */
        nbd_server_free(s);
        a.timer = sd_event_source_disable_unref(a.timer);
        release_held(&a);
        for (unsigned i = 0; i < a.n_ex; i++) {
                if (a.ex[i].clients)
                        log_error("export %s: %u clients still open after shutdown", a.ex[i].name,
                                  a.ex[i].clients);
                safe_close(a.ex[i].fd);
        }
        log_info("%llu requests served", (unsigned long long) a.requests);
        sd_event_unref(a.e);
        return ret;
}
