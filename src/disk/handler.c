/* handler.c: running a resource's handler commands (handler.h). The child
 * runs `/bin/sh -c COMMAND` in a session of its own with DRBD's variables
 * in its environment; the daemon watches it through a pidfd and kills its
 * whole process group when it overstays. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk_config.h"
#include "events.h"
#include "handler.h"
#include "log.h"
#include "resource.h"
#include "util.h"

struct handler_run {
        char *what;                 /* "r0: split-brain handler" */
        char *event;                /* "helper name:r0 ... helper:split-brain" */
        struct diskd_env *env;
        void (*done)(void *userdata, int status);
        void *userdata;
        pid_t pid;
        int pidfd;
        sd_event_source *exit_src, *timer;
};

static void run_free(struct handler_run *h) {
        sd_event_source_disable_unref(h->exit_src);
        sd_event_source_disable_unref(h->timer);
        safe_close(h->pidfd);
        free(h->what);
        free(h->event);
        free(h);
}

static int on_exit_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct handler_run *h = userdata;
        int status;

        if (waitpid(h->pid, &status, WNOHANG) != h->pid)
                return 0;
        char text[600];
        if (WIFEXITED(status))
                log_notice("%s exited with status %d", h->what, WEXITSTATUS(status));
        else
                log_warning("%s was killed by signal %d", h->what, WTERMSIG(status));
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (h->event) {
                snprintf(text, sizeof(text), "%s status:%d", h->event, code);
                disk_events_emit_verb(h->env->events, "response", text);
        }
        if (h->done)
                h->done(h->userdata, code);
        run_free(h);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct handler_run *h = userdata;

        log_error("%s did not finish in time: killing it", h->what);
        (void) kill(-h->pid, SIGKILL);
        (void) kill(h->pid, SIGKILL);
        return 0;
}

static unsigned timeout_sec(void) {
        const char *e = getenv("TANDEM_HANDLER_TIMEOUT");
        int v;

        if (e && parse_int(e, &v) >= 0 && v > 0)
                return (unsigned) v;
        return HANDLER_TIMEOUT_SEC;
}

/* DRBD_<WHO>_NODE_ID, DRBD_<WHO>_ADDRESS and DRBD_<WHO>_AF for host h. */
static void set_host_env(const char *who, const struct disk_host *h) {
        char name[64], value[INET6_ADDRSTRLEN] = "";
        const char *af = "";

        snprintf(name, sizeof(name), "DRBD_%s_NODE_ID", who);
        snprintf(value, sizeof(value), "%u", h->node_id);
        setenv(name, value, 1);
        value[0] = '\0';
        if (h->address.ss_family == AF_INET) {
                inet_ntop(AF_INET, &((const struct sockaddr_in *) &h->address)->sin_addr, value, sizeof(value));
                af = "ipv4";
        } else if (h->address.ss_family == AF_INET6) {
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) &h->address)->sin6_addr, value, sizeof(value));
                af = "ipv6";
        }
        snprintf(name, sizeof(name), "DRBD_%s_ADDRESS", who);
        setenv(name, value, 1);
        snprintf(name, sizeof(name), "DRBD_%s_AF", who);
        setenv(name, af, 1);
}

/* In the child: DRBD's variables, then exec. Never returns. */
static void child_exec(struct resource *r, const char *name, const char *command, int volume) {
        char buf[64];

        (void) setsid();
        setenv("DRBD_RESOURCE", r->name, 1);
        setenv("TANDEM_HANDLER", name, 1);
        setenv("TANDEM_HOST", r->me->name, 1);
        set_host_env("MY", r->me);
        if (r->peer_host) {
                setenv("TANDEM_PEER", r->peer_host->name, 1);
                set_host_env("PEER", r->peer_host);
        }
        if (volume >= 0 && (size_t) volume < r->me->n_volumes) {
                const struct disk_volume *v = &r->me->volumes[volume];
                snprintf(buf, sizeof(buf), "%u", v->number);
                setenv("DRBD_VOLUME", buf, 1);
                if (v->minor_set) {
                        snprintf(buf, sizeof(buf), "%u", v->minor);
                        setenv("DRBD_MINOR", buf, 1);
                }
                if (v->disk)
                        setenv("DRBD_BACKING_DEV", v->disk, 1);
        }
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0)
                (void) dup2(null, STDIN_FILENO);
        execl("/bin/sh", "sh", "-c", command, (char *) NULL);
        _exit(127);
}

int handler_run(struct resource *r, const char *name, int volume) {
        return handler_run_then(r, name, volume, NULL, NULL);
}

int handler_run_then(struct resource *r, const char *name, int volume, void (*done)(void *userdata, int status),
                     void *userdata) {
        const char *command = disk_resource_handler(r->cfg, name);
        struct handler_run *h;
        sigset_t all, old;
        int k;

        if (!command)
                return 0;
        h = calloc(1, sizeof(*h));
        if (!h || asprintf(&h->what, "%s: %s handler '%s'", r->name, name, command) < 0) {
                free(h);
                return -ENOMEM;
        }
        h->env = r->env;
        h->done = done;
        h->userdata = userdata;
        /* Without it the handler still runs; only its events are missing. */
        if ((volume >= 0 ? asprintf(&h->event, "helper name:%s volume:%d helper:%s", r->name, volume, name)
                         : asprintf(&h->event, "helper name:%s helper:%s", r->name, name)) < 0)
                h->event = NULL;
        h->pidfd = -1;
        /* No signal handler of the daemon may run in the child. */
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        h->pid = fork();
        if (h->pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                signal(SIGPIPE, SIG_DFL);
                sigprocmask(SIG_SETMASK, &none, NULL);
                child_exec(r, name, command, volume);
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (h->pid < 0) {
                k = -errno;
                log_error("%s: cannot start: %s", h->what, strerror(-k));
                free(h->what);
                free(h);
                return k;
        }
        h->pidfd = (int) syscall(SYS_pidfd_open, h->pid, 0);
        k = h->pidfd < 0 ? -errno : 0;
        if (k >= 0)
                k = sd_event_add_io(r->env->loop, &h->exit_src, h->pidfd, EPOLLIN, on_exit_ready, h);
        if (k >= 0)
                k = sd_event_add_time_relative(r->env->loop, &h->timer, CLOCK_MONOTONIC,
                                               (uint64_t) timeout_sec() * 1000000ULL, 0, on_timeout, h);
        if (k < 0) {
                /* Cannot watch it: wait for it here rather than leak it. */
                log_error("%s: cannot watch it (%s); waiting for it", h->what, strerror(-k));
                (void) waitpid(h->pid, NULL, 0);
                run_free(h);
                return k;
        }
        log_notice("%s started (pid %d)", h->what, (int) h->pid);
        if (h->event)
                disk_events_emit_verb(r->env->events, "call", h->event);
        return 1;
}
