/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vm_migrate.c: live migration under ocf:tandem:vm. The target's side
 * (migrate_listen, migrate_abort, migrate_from) and the source's
 * migrate_to, which has the target listen through the migrate hook, sends
 * the VM over QMP "migrate" and either completes or leaves the VM
 * running here. The sequence is in docs/vm-agent.md. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "buf.h"
#include "log.h"
#include "vm.h"

/* Output of the hook we read at most (it prints one URI). */
#define HOOK_OUTPUT_MAX 4096

static const char *migrate_target(void) {
        const char *t = getenv("OCF_RESKEY_CRM_meta_migrate_target");

        return t && *t ? t : NULL;
}

/* Runs the vm agent's action on the migration target: through the hook
 * when one is configured, else this same program here (the target is
 * this node). Its stdout is returned; its stderr goes to ours. Returns 0,
 * or a negative errno when it could not run, failed or timed out. */
static int run_on_target(const struct vm_config *c, const char *action, char **ret_out) {
        _cleanup_free_ char *cmd = NULL;
        _cleanup_close_ int rd = -1;
        _cleanup_buf_ struct buf out = BUF_INIT;
        int pipefd[2], status, r = 0;
        pid_t child;

        if (c->migrate_hook && !(cmd = strjoin(c->migrate_hook, " \"$1\"", NULL)))
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rd = pipefd[0];
        child = fork();
        if (child < 0) {
                safe_close(pipefd[1]);
                return -errno;
        }
        if (child == 0) {
                dup2(pipefd[1], 1);
                setenv("TANDEM_VM_ACTION", action, 1);
                if (cmd)
                        execl("/bin/sh", "sh", "-c", cmd, "tandem-vm-hook", action, (char *) NULL);
                else
                        execl("/proc/self/exe", "vm", action, (char *) NULL);
                fprintf(stderr, "vm: cannot run the migrate hook: %m\n");
                _exit(126);
        }
        safe_close(pipefd[1]);

        for (;;) {
                struct pollfd p = { .fd = rd, .events = POLLIN };
                char chunk[512];
                ssize_t n;
                int ms = vm_remaining_ms(c, 0);

                if (ms == 0 || poll(&p, 1, ms) == 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                n = read(rd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (out.len < HOOK_OUTPUT_MAX && buf_append(&out, chunk, (size_t) n) < 0)
                        r = -ENOMEM;
        }
        if (r == -ETIMEDOUT)
                kill(child, SIGKILL);
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return log_error_errno(-EREMOTEIO, "%s on %s failed (exit status %d)", action,
                                       migrate_target(), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        if (ret_out && !(*ret_out = buf_steal(&out)))
                return -ENOMEM;
        return 0;
}

/* The last non-empty line of text, in place. */
static char *last_line(char *text) {
        char *end = text + strlen(text), *start;

        while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
                *--end = '\0';
        start = strrchr(text, '\n');
        return start ? start + 1 : text;
}

static int execute(struct qmp *q, const char *cmd, json_t *args, json_t **ret) {
        char why[256];
        int r = qmp_execute(q, cmd, args, 10000, ret, why, sizeof(why));

        return r < 0 ? log_error_errno(r, "%s", why) : 0;
}

/* The target side: QEMU waiting for the state of the VM, listening on
 * the first free port of the range. Prints the URI the source must send
 * to. */
int vm_action_migrate_listen(const struct ocf_agent *a) {
        _cleanup_(vm_config_free) struct vm_config c = {0};
        _cleanup_(vm_probe_clear) struct vm_probe p = {0};
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        _cleanup_buf_ struct buf host = BUF_INIT;
        const char *node = migrate_target() ?: vm_local_node();
        int r = vm_validate(a);

        if (r != OCF_SUCCESS || (r = vm_config_load(a, &c)) != OCF_SUCCESS)
                return r;
        vm_probe(&c, &p);
        if (p.pid && p.status && streq(p.status, "inmigrate")) {
                /* Left by a migration whose abort did not reach us. */
                log_warning("%s: ending the incoming QEMU of an earlier migration (pid %d)", c.name, (int) p.pid);
                r = vm_qemu_stop(&c, false);
                if (r != OCF_SUCCESS)
                        return r;
        } else if (p.pid) {
                log_error("%s already has a QEMU here (pid %d, state %s)", c.name, (int) p.pid,
                          p.status ? p.status : "unknown");
                return OCF_ERR_GENERIC;
        }
        for (const char *s = c.migration_address; *s; s++) {
                if (s[0] == '%' && s[1] == 'n') {
                        buf_append_str(&host, node);
                        s++;
                } else
                        buf_putc(&host, *s);
        }
        if (!host.data)
                return OCF_ERR_GENERIC;

        r = vm_qemu_launch(&c, true);
        if (r != OCF_SUCCESS)
                return r;
        if (vm_qmp_connect(&c, &q) < 0) {
                vm_qemu_stop(&c, false);
                return OCF_ERR_GENERIC;
        }
        for (unsigned port = c.port_min; port <= c.port_max; port++) {
                _cleanup_(json_decrefp) json_t *args = NULL;
                char uri[300], why[256];

                snprintf(uri, sizeof(uri), strchr(host.data, ':') ? "tcp:[%s]:%u" : "tcp:%s:%u", host.data, port);
                args = json_pack("{s:s}", "uri", uri);
                if (!args)
                        break;
                r = qmp_execute(q, "migrate-incoming", args, 10000, NULL, why, sizeof(why));
                if (r == 0) {
                        log_info("%s waits for its state on %s", c.name, uri);
                        printf("%s\n", uri);
                        return OCF_SUCCESS;
                }
                log_info("%s: %s", uri, why);
                if (r != -EREMOTEIO)
                        break;
        }
        log_error("%s: no port of %u-%u on %s could receive the migration", c.name, c.port_min, c.port_max,
                  host.data);
        vm_qemu_stop(&c, false);
        return OCF_ERR_GENERIC;
}

/* The target side after a failed migration: ends a QEMU that still waits
 * for (or is receiving) state, never one that runs the VM. */
int vm_action_migrate_abort(const struct ocf_agent *a) {
        _cleanup_(vm_config_free) struct vm_config c = {0};
        _cleanup_(vm_probe_clear) struct vm_probe p = {0};
        int r = vm_config_load(a, &c);

        if (r != OCF_SUCCESS)
                return r;
        vm_probe(&c, &p);
        if (!p.pid)
                return OCF_SUCCESS;
        if (p.status && streq(p.status, "running")) {
                log_error("%s runs here: the migration completed, not aborting it", c.name);
                return OCF_ERR_GENERIC;
        }
        log_info("ending the incoming QEMU of %s (state %s)", c.name, p.status ? p.status : "unknown");
        return vm_qemu_stop(&c, false);
}

static void log_progress(const char *name, const char *target, json_t *info) {
        json_t *ram = json_object_get(info, "ram");
        json_int_t total = json_integer_value(json_object_get(ram, "total"));
        json_int_t transferred = json_integer_value(json_object_get(ram, "transferred"));
        json_int_t remaining = json_integer_value(json_object_get(ram, "remaining"));

        log_info("migrating %s to %s: %s, %lld MiB sent, %lld of %lld MiB left, expected downtime %lld ms", name,
                 target, json_string_value(json_object_get(info, "status")), (long long) (transferred >> 20),
                 (long long) (remaining >> 20), (long long) (total >> 20),
                 (long long) json_integer_value(json_object_get(info, "expected-downtime")));
}

/* Polls query-migrate until the migration ends or the action's time is
 * up (keeping 15 s to cancel). Returns the final status in a fresh string
 * ("completed", "failed", "cancelled", or NULL after a QMP failure or the
 * deadline), with the final query-migrate reply in *ret_info. */
static char *wait_migration(const struct vm_config *c, struct qmp *q, const char *target, json_t **ret_info) {
        int64_t last_log = 0;

        for (;;) {
                _cleanup_(json_decrefp) json_t *info = NULL;
                const char *status;

                if (execute(q, "query-migrate", NULL, &info) < 0)
                        return NULL;
                status = json_string_value(json_object_get(info, "status"));
                if (!status)
                        status = "none";
                if (streq(status, "completed") || streq(status, "failed") || streq(status, "cancelled")) {
                        if (streq(status, "failed"))
                                log_error("migration of %s failed: %s", c->name,
                                          json_string_value(json_object_get(info, "error-desc")) ?: "no reason given");
                        *ret_info = TAKE_PTR(info);
                        return strdup(status);
                }
                if (now_usec(CLOCK_MONOTONIC) - last_log >= 1000000) {
                        log_progress(c->name, target, info);
                        last_log = now_usec(CLOCK_MONOTONIC);
                }
                if (vm_remaining_ms(c, 0) < 15000) {
                        log_error("migration of %s did not finish in the action's time", c->name);
                        return NULL;
                }
                usleep(200 * 1000);
        }
}

/* After a failed migration: cancel it and have the VM run here again. */
static void recover_source(const struct vm_config *c, struct qmp *q) {
        _cleanup_free_ char *status = NULL;

        (void) execute(q, "migrate_cancel", NULL, NULL);
        for (int i = 0; i < 50; i++) {
                _cleanup_(json_decrefp) json_t *info = NULL;
                const char *s;

                if (execute(q, "query-migrate", NULL, &info) < 0)
                        break;
                s = json_string_value(json_object_get(info, "status"));
                if (!s || streq(s, "cancelled") || streq(s, "failed") || streq(s, "completed"))
                        break;
                usleep(100 * 1000);
        }
        if (vm_query_status(q, &status) < 0)
                return;
        if (!streq(status, "running")) {
                log_warning("%s is %s after the failed migration; resuming it", c->name, status);
                (void) execute(q, "cont", NULL, NULL);
        }
}

int vm_action_migrate_to(const struct ocf_agent *a) {
        _cleanup_(vm_config_free) struct vm_config c = {0};
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        _cleanup_(json_decrefp) json_t *params = NULL, *args = NULL, *info = NULL;
        _cleanup_free_ char *status = NULL, *out = NULL, *result = NULL;
        const char *target = migrate_target(), *uri;
        int r = vm_config_load(a, &c);

        if (r != OCF_SUCCESS)
                return r;
        if (!target) {
                log_error("migrate_to needs OCF_RESKEY_CRM_meta_migrate_target");
                return OCF_ERR_CONFIGURED;
        }
        if (vm_qmp_connect(&c, &q) < 0 || vm_query_status(q, &status) < 0)
                return OCF_ERR_GENERIC;
        if (!streq(status, "running")) {
                log_error("%s is %s, not running: nothing to migrate", c.name, status);
                return OCF_ERR_GENERIC;
        }
        if (!c.migrate_hook && !streq(target, vm_local_node())) {
                log_error("no migrate_hook to start %s on %s (TANDEM_VM_MIGRATE_HOOK is not set either)", c.name,
                          target);
                return OCF_ERR_CONFIGURED;
        }

        log_info("migrating %s to %s: starting the incoming QEMU there", c.name, target);
        r = run_on_target(&c, "migrate_listen", &out);
        if (r < 0) {
                if (r != -EREMOTEIO) /* else the hook's failure is logged */
                        log_error_errno(r, "could not run migrate_listen on %s: %m", target);
                (void) run_on_target(&c, "migrate_abort", NULL);
                return OCF_ERR_GENERIC;
        }
        uri = last_line(out);
        if (!startswith(uri, "tcp:")) {
                log_error("migrate_listen on %s printed '%s', not a tcp: URI", target, uri);
                (void) run_on_target(&c, "migrate_abort", NULL);
                return OCF_ERR_GENERIC;
        }

        params = json_pack("{s:I}", "downtime-limit", (json_int_t) c.migration_downtime_ms);
        if (params && c.migration_speed_mib)
                json_object_set_new(params, "max-bandwidth", json_integer((json_int_t) c.migration_speed_mib << 20));
        args = json_pack("{s:s}", "uri", uri);
        if (!params || !args || execute(q, "migrate-set-parameters", params, NULL) < 0 ||
            execute(q, "migrate", args, NULL) < 0) {
                recover_source(&c, q);
                (void) run_on_target(&c, "migrate_abort", NULL);
                return OCF_ERR_GENERIC;
        }
        log_info("migrating %s to %s over %s (downtime limit %u ms, bandwidth limit %u MiB/s, 0: QEMU's)", c.name, target, uri,
                 c.migration_downtime_ms,
                 c.migration_speed_mib);

        result = wait_migration(&c, q, target, &info);
        if (!result || !streq(result, "completed")) {
                recover_source(&c, q);
                (void) run_on_target(&c, "migrate_abort", NULL);
                return OCF_ERR_GENERIC;
        }
        log_info("migrated %s to %s: total %lld ms, downtime %lld ms, %lld MiB sent", c.name, target,
                 (long long) json_integer_value(json_object_get(info, "total-time")),
                 (long long) json_integer_value(json_object_get(info, "downtime")),
                 (long long) (json_integer_value(json_object_get(json_object_get(info, "ram"), "transferred")) >> 20));
        return OCF_SUCCESS;
}

/* On the target, after migrate_to: the VM must run here. */
int vm_action_migrate_from(const struct ocf_agent *a) {
        _cleanup_(vm_config_free) struct vm_config c = {0};
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        int r = vm_config_load(a, &c);

        if (r != OCF_SUCCESS)
                return r;
        if (vm_qmp_connect(&c, &q) < 0) {
                log_error("%s has no QEMU here: the migration did not arrive", c.name);
                return OCF_ERR_GENERIC;
        }
        for (;;) {
                _cleanup_free_ char *status = NULL;

                if (vm_query_status(q, &status) < 0)
                        return OCF_ERR_GENERIC;
                if (streq(status, "running")) {
                        log_info("%s runs here after its migration", c.name);
                        return OCF_SUCCESS;
                }
                if (!streq(status, "inmigrate") || vm_remaining_ms(&c, 0) < 1000) {
                        log_error("%s is %s here, not running", c.name, status);
                        return OCF_ERR_GENERIC;
                }
                usleep(200 * 1000);
        }
}
