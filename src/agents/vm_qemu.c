/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vm_qemu.c: one QEMU process under ocf:tandem:vm: find it (pid file and
 * QMP), launch it daemonized, end it (ACPI powerdown, quit, kill), and
 * the start, stop and monitor actions built on that. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "vm.h"

/* How long QMP may take to answer a query on a loaded host. */
#define VM_QMP_TIMEOUT_MS 10000

/* true if pid is a live (not zombie) QEMU started for this VM: its
 * command line names this VM's pid file, which guards against a reused
 * pid. */
static bool qemu_alive(const struct vm_config *c, pid_t pid) {
        char path[64], stat[512], *p;
        _cleanup_free_ char *cmdline = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = 0;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, stat, sizeof(stat) - 1);
        if (n <= 0)
                return false;
        stat[n] = '\0';
        p = strrchr(stat, ')');
        if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
                return false;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        if (read_file(path, &cmdline, &len) < 0)
                return false;
        for (size_t i = 0; i < len; i += strlen(cmdline + i) + 1)
                if (streq(cmdline + i, c->pid_path))
                        return true;
        return false;
}

static pid_t read_pid(const struct vm_config *c) {
        _cleanup_free_ char *text = NULL;
        int pid;

        if (read_file(c->pid_path, &text, NULL) < 0)
                return 0;
        text[strcspn(text, "\n")] = '\0';
        if (parse_int(text, &pid) < 0 || pid <= 0)
                return 0;
        return qemu_alive(c, pid) ? pid : 0;
}

int vm_qmp_connect(const struct vm_config *c, struct qmp **ret) {
        int ms = vm_remaining_ms(c, 1000), r;
        char why[256];

        r = qmp_connect(c->qmp_path, ms < VM_QMP_TIMEOUT_MS ? ms : VM_QMP_TIMEOUT_MS, ret, why, sizeof(why));
        if (r < 0)
                return log_error_errno(r, "QMP of %s: %s", c->name, why);
        return 0;
}

int vm_query_status(struct qmp *q, char **ret) {
        _cleanup_(json_decrefp) json_t *reply = NULL;
        const char *s;
        char why[256];
        int r;

        r = qmp_execute(q, "query-status", NULL, VM_QMP_TIMEOUT_MS, &reply, why, sizeof(why));
        if (r < 0)
                return log_error_errno(r, "query-status: %s", why);
        s = json_string_value(json_object_get(reply, "status"));
        if (!s)
                return log_error_errno(-EBADMSG, "query-status: the reply has no status");
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

void vm_probe(const struct vm_config *c, struct vm_probe *ret) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;

        *ret = (struct vm_probe) { .pid = read_pid(c) };
        if (ret->pid == 0)
                return;
        if (vm_qmp_connect(c, &q) < 0)
                return;
        (void) vm_query_status(q, &ret->status);
}

void vm_probe_clear(struct vm_probe *p) {
        free(p->status);
        *p = (struct vm_probe) {0};
}

int vm_status_to_ocf(const char *status) {
        static const struct {
                const char *status;
                int ocf;
        } map[] = {
                { "running", OCF_SUCCESS },
                /* The last phase of an outgoing migration: still ours. */
                { "finish-migrate", OCF_SUCCESS },
                { "save-vm", OCF_SUCCESS },
                { "restore-vm", OCF_SUCCESS },
                /* A QEMU waiting for state, or left behind by a completed
                 * migration, or whose guest powered off, runs no VM. */
                { "inmigrate", OCF_NOT_RUNNING },
                { "prelaunch", OCF_NOT_RUNNING },
                { "postmigrate", OCF_NOT_RUNNING },
                { "shutdown", OCF_NOT_RUNNING },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(map[i].status, status))
                        return map[i].ocf;
        /* paused, suspended, debug, io-error, internal-error,
         * guest-panicked, watchdog, colo: the VM is there but not doing
         * its work; a soft error lets the cluster recover it. */
        return OCF_ERR_GENERIC;
}

/* Waits until QEMU is gone or ms have passed. */
static bool wait_gone(const struct vm_config *c, pid_t pid, int ms) {
        int64_t end = now_usec(CLOCK_MONOTONIC) + (int64_t) ms * 1000;

        while (qemu_alive(c, pid)) {
                if (now_usec(CLOCK_MONOTONIC) >= end)
                        return false;
                usleep(100 * 1000);
        }
        return true;
}

static void remove_files(const struct vm_config *c) {
        (void) unlink(c->qmp_path);
        (void) unlink(c->pid_path);
}

int vm_qemu_launch(const struct vm_config *c, bool incoming) {
        char **argv = NULL;
        char why[256];
        int r, status;
        pid_t child;

        /* A tandem volume is served only where its resource is Primary. */
        for (char **d = c->disks; *d; d++) {
                _cleanup_free_ char *sock = NULL;
                if (strchr(*d, '/'))
                        continue;
                sock = strjoin(c->run_dir, "/", *d, ".nbd", NULL);
                if (!sock)
                        return OCF_ERR_GENERIC;
                if (access(sock, F_OK) < 0) {
                        log_error("disk %s: no %s: the resource is not Primary on this node", *d, sock);
                        return OCF_ERR_GENERIC;
                }
        }

        r = vm_qemu_argv(c, incoming, &argv, why, sizeof(why));
        if (r < 0) {
                log_error("%s", why);
                return r == -EINVAL ? OCF_ERR_CONFIGURED : OCF_ERR_GENERIC;
        }
        r = mkdir_p(c->vm_dir, 0700);
        if (r < 0) {
                vm_argv_free(argv);
                log_error_errno(r, "cannot create %s: %m", c->vm_dir);
                return OCF_ERR_PERM;
        }
        remove_files(c);
        log_info("starting %s%s", c->name, incoming ? " to receive a migration" : "");

        child = fork();
        if (child < 0) {
                vm_argv_free(argv);
                log_error_errno(errno, "fork: %m");
                return OCF_ERR_GENERIC;
        }
        if (child == 0) {
                int devnull = open("/dev/null", O_RDONLY);
                if (devnull >= 0)
                        dup2(devnull, 0);
                dup2(2, 1); /* QEMU's messages go where the agent logs */
                execvp(argv[0], argv);
                fprintf(stderr, "vm: cannot run %s: %m\n", argv[0]);
                _exit(errno == ENOENT ? 127 : 126);
        }
        vm_argv_free(argv);

        /* -daemonize: the parent returns once the VM is set up. */
        for (;;) {
                pid_t w = waitpid(child, &status, WNOHANG);
                if (w == child)
                        break;
                if (w < 0 && errno != EINTR) {
                        log_error_errno(errno, "waitpid: %m");
                        return OCF_ERR_GENERIC;
                }
                if (vm_remaining_ms(c, 0) == 0) {
                        kill(child, SIGKILL);
                        (void) waitpid(child, &status, 0);
                        log_error("QEMU for %s did not finish starting in time", c->name);
                        return OCF_ERR_GENERIC;
                }
                usleep(50 * 1000);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                log_error("QEMU for %s failed to start (exit status %d)", c->name,
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC;
        }
        if (read_pid(c) == 0) {
                log_error("QEMU for %s started but wrote no usable pid file %s", c->name, c->pid_path);
                return OCF_ERR_GENERIC;
        }
        return OCF_SUCCESS;
}

int vm_qemu_stop(const struct vm_config *c, bool graceful) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        _cleanup_free_ char *status = NULL;
        pid_t pid = read_pid(c);
        char why[256];

        if (pid == 0) {
                remove_files(c);
                log_info("%s is not running", c->name);
                return OCF_SUCCESS;
        }
        if (vm_qmp_connect(c, &q) == 0)
                (void) vm_query_status(q, &status);
        if (graceful && status && streq(status, "running")) {
                /* Keep 10 s of the action for quit and kill. */
                int ms = (int) c->shutdown_timeout_s * 1000;
                if (ms > vm_remaining_ms(c, 0) - 10000)
                        ms = vm_remaining_ms(c, 0) - 10000;
                log_info("asking the guest of %s to power off (up to %d s)", c->name, ms > 0 ? ms / 1000 : 0);
                if (qmp_execute(q, "system_powerdown", NULL, VM_QMP_TIMEOUT_MS, NULL, why, sizeof(why)) < 0)
                        log_warning("system_powerdown: %s", why);
                else if (ms > 0 && wait_gone(c, pid, ms)) {
                        remove_files(c);
                        log_info("%s powered off", c->name);
                        return OCF_SUCCESS;
                }
        }
        if (q) {
                log_info("quitting QEMU of %s (state %s)", c->name, status ? status : "unknown");
                /* QEMU may close the socket before it answers. */
                (void) qmp_execute(q, "quit", NULL, VM_QMP_TIMEOUT_MS, NULL, why, sizeof(why));
                if (wait_gone(c, pid, 5000)) {
                        remove_files(c);
                        return OCF_SUCCESS;
                }
        }
        log_warning("killing QEMU of %s (pid %d)", c->name, (int) pid);
        kill(pid, SIGTERM);
        if (!wait_gone(c, pid, 3000)) {
                kill(pid, SIGKILL);
                if (!wait_gone(c, pid, 5000)) {
                        log_error("QEMU of %s (pid %d) survives SIGKILL", c->name, (int) pid);
                        return OCF_ERR_GENERIC;
                }
        }
        remove_files(c);
        return OCF_SUCCESS;
}

int vm_action_start(const struct ocf_agent *a) {
        _cleanup_(vm_config_free) struct vm_config c = {0};
        _cleanup_(vm_probe_clear) struct vm_probe p = {0};
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        _cleanup_free_ char *status = NULL;
        int r;

        r = vm_validate(a);
        if (r != OCF_SUCCESS || (r = vm_config_load(a, &c)) != OCF_SUCCESS)
                return r;
        vm_probe(&c, &p);
        if (p.pid && p.status && streq(p.status, "running")) {
                log_info("%s is already running", c.name);
                return OCF_SUCCESS;
        }
        if (p.pid) {
                log_error("a QEMU of %s exists already (pid %d, state %s); stop it first", c.name, (int) p.pid,
                          p.status ? p.status : "unknown");
                return OCF_ERR_GENERIC;
        }
        r = vm_qemu_launch(&c, false);
        if (r != OCF_SUCCESS)
                return r;
        if (vm_qmp_connect(&c, &q) < 0 || vm_query_status(q, &status) < 0)
                return OCF_ERR_GENERIC;
        if (!streq(status, "running")) {
                log_error("%s started but is %s", c.name, status);
                return OCF_ERR_GENERIC;
        }
        log_info("%s is running", c.name);
        return OCF_SUCCESS;
}

int vm_action_stop(const struct ocf_agent *a) {
        _cleanup_(vm_config_free) struct vm_config c = {0};
        int r = vm_config_load(a, &c);

        return r != OCF_SUCCESS ? r : vm_qemu_stop(&c, true);
}

int vm_action_monitor(const struct ocf_agent *a) {
        _cleanup_(vm_config_free) struct vm_config c = {0};
        _cleanup_(vm_probe_clear) struct vm_probe p = {0};
        int r = vm_config_load(a, &c);

        if (r != OCF_SUCCESS)
                return r;
        vm_probe(&c, &p);
        if (p.pid == 0)
                return OCF_NOT_RUNNING;
        if (!p.status)
                return OCF_ERR_GENERIC; /* QEMU runs but its monitor does not answer */
        r = vm_status_to_ocf(p.status);
        if (r != OCF_SUCCESS)
                log_info("%s: QEMU is %s", c.name, p.status);
        return r;
}
