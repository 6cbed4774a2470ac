/* host.h: one lab host's life: its namespaces, its init, entering it.
 *
 * Host life cycle:
 *
 *     (no init) --host_boot--> running --host_kill(graceful)--> (no init)
 *                                 |
 *                                 +--host_kill(!graceful)--> (no init)   "crash"
 *
 * The network namespace is not part of this cycle: it is created once by
 * `lab up` and kept by a bind mount until `lab down`, so addresses and cut
 * links survive a crash. A running host is an init process that is PID 1
 * of a new PID namespace and owns a new mount and UTS namespace; killing
 * it makes the kernel kill everything else in the host at once. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* A private directory of the host: `source` (under the host's lab dir)
 * is bind-mounted on `target` inside the host. */
struct host_bind {
        const char *source;
        const char *target;
};
extern const struct host_bind host_binds[];
extern const unsigned host_n_binds;

/* Boot host `name` whose lab directory is `dir`, in the network namespace
 * bound at `netns_path`. Returns 0 and the init's PID (as seen from the
 * machine) in *ret_init once the host's mounts are in place; on failure
 * prints what failed and returns a negative errno. */
int host_boot(const char *name, const char *dir, const char *netns_path, pid_t *ret_init);

/* Whether `init` is alive and is the init of the host whose network
 * namespace is bound at netns_path (guards against PID reuse). */
bool host_alive(pid_t init, const char *netns_path);

/* Move the calling process into the host's namespaces: network, mount,
 * UTS now; PID for the children it forks afterwards. The caller must be
 * single-threaded. */
int host_enter(pid_t init);

/* Stop a host. graceful: SIGTERM to its init, which asks every process to
 * stop and kills what is left after a grace period; otherwise SIGKILL,
 * a power loss. Returns once every process of the host is gone (bounded
 * by timeout_ms; -ETIMEDOUT after that). */
int host_kill(pid_t init, bool graceful, int timeout_ms);

/* Start argv as a daemon inside the host: own session, stdin from
 * /dev/null, stdout and stderr appended to log_path (a path inside the
 * host). Does not wait for it. */
int host_spawn(pid_t init, char *const *argv, const char *log_path);
