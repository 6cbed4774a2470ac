/* diskd.c: tandem-diskd, the replicated volume daemon: main(), the io_uring
 * ring, the control socket (commands in control.c) and an orderly stop on
 * SIGTERM that lets writes in flight finish and records a clean shutdown
 * in every volume's metadata. */
#include <errno.h>
#include <malloc.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "io.h"
#include "log.h"
#include "util.h"

#define IO_RING_DEPTH 256
#define STOP_POLL_USEC (100 * 1000ULL)
#define STOP_TIMEOUT_USEC (10 * 1000 * 1000ULL)

struct diskd_main {
        struct daemon_options opts;
        struct diskd d;
        uint64_t stop_started;
};

static int on_stop_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct diskd_main *m = userdata;
        const char *name;
        struct resource *r;
        bool busy = false;

        HASHMAP_FOREACH(name, r, m->d.resources, it)
                busy |= r->writes_in_flight > 0;
        if (busy && usec - m->stop_started < STOP_TIMEOUT_USEC) {
                (void) sd_event_source_set_time_relative(s, STOP_POLL_USEC);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        if (busy)
                log_warning("writes still in flight after %llu s; stopping anyway",
                            (unsigned long long) (STOP_TIMEOUT_USEC / 1000000));
        diskd_shutdown(&m->d);
        /* A floating source: the loop owns it and frees it at the end. */
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void on_stop(sd_event *e, void *userdata) {
        struct diskd_main *m = userdata;
        const char *name;
        struct resource *r;

        log_info("stopping: closing NBD clients, waiting for writes in flight");
        HASHMAP_FOREACH(name, r, m->d.resources, it)
                resource_stop_export(r);
        m->stop_started = (uint64_t) now_usec(CLOCK_MONOTONIC);
        if (sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 0, 0, on_stop_tick, m) < 0)
                sd_event_exit(e, 1);
}

int main(int argc, char **argv) {
        static struct diskd_main m = {
                .opts = {
                        .name = "tandem-diskd",
                        .summary = "Replicated volume daemon of tandem.",
                        .config_path = "/etc/tandem/disk.conf",
                        .socket_path = "/run/tandem/diskd.sock",
                        .on_stop = on_stop,
                        .stop_userdata = &m,
                        .extra_option = "nbd-tcp",
                        .extra_help = "      --nbd-tcp ADDR    also serve Primary volumes over NBD on IP:PORT, as RES/N",
                },
        };
        _cleanup_free_ char *run_dir = NULL;
        struct ctl_server *ctl;
        struct io_ring *ring;
        sd_event *loop;
        int r;

        /* Every write allocates and frees buffers of up to 1 MiB (NBD
         * payloads, the peer's writes, resync data). Above glibc's mmap
         * threshold each of them would be a fresh mmap: page faults and
         * zeroing on every write, measured at a fifth of the Primary's CPU
         * on 1 MiB sequential writes. Keep them on the heap instead. */
        mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
        mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);

        r = daemon_parse_options(&m.opts, argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        /* NBD sockets go beside the control socket. */
        run_dir = strdup(m.opts.socket_path);
        if (!run_dir)
                return 1;
        if (strrchr(run_dir, '/'))
                *strrchr(run_dir, '/') = '\0';
        if (daemon_start(&m.opts, diskd_handle_request, &m.d, &loop, &ctl) < 0)
                return 1;
        r = io_ring_new(loop, IO_RING_DEPTH, &ring);
        if (r < 0) {
                log_error_errno(r, "cannot set up io_uring: %m");
                return 1;
        }
        r = diskd_init(&m.d, loop, ring, m.opts.config_path, *run_dir ? run_dir : ".");
        if (r < 0) {
                log_error_errno(r, "cannot initialize: %m");
                return 1;
        }
        m.d.ctl = ctl;
        log_info("host name %s, configuration %s", m.d.env.hostname, m.opts.config_path);
        if (m.opts.extra_value && diskd_listen_nbd_tcp(&m.d, m.opts.extra_value) < 0)
                return 1;
        r = daemon_run(&m.opts, loop, ctl);
        io_ring_free(ring);
        return r;
}
