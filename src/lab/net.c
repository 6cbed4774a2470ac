/* net.c: namespaces, bridge, veths and cut links of the lab (see net.h).
 * Links are configured with iproute2's `ip` and nftables' `nft`, run
 * inside the namespace concerned: the same tools an administrator uses,
 * so `tandem lab exec NODE -- nft list ruleset` shows exactly what a cut
 * did. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "net.h"
#include "util.h"

/* Fork, enter the namespace at path (if any), feed `input` (if any) on
 * stdin, exec argv; stdout goes to /dev/null. */
static int run_in_ns(const char *path, char *const *argv, const char *input) {
        int in[2] = { -1, -1 }, status;
        pid_t pid;

        if (input && pipe2(in, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (path) {
                        int fd = open(path, O_RDONLY | O_CLOEXEC);
                        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
                                dprintf(2, "tandem lab: cannot enter %s: %m\n", path);
                                _exit(126);
                        }
                }
                if (input)
                        dup2(in[0], 0);
                int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (null_fd >= 0)
                        dup2(null_fd, 1);
                close_range(3, ~0U, 0);
                execvp(argv[0], argv);
                dprintf(2, "tandem lab: cannot run %s: %m\n", argv[0]);
                _exit(127);
        }
        if (input) {
                safe_close(in[0]);
                (void) write(in[1], input, strlen(input));
                safe_close(in[1]);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "tandem lab: '%s", argv[0]);
                for (int i = 1; argv[i]; i++)
                        fprintf(stderr, " %s", argv[i]);
                fprintf(stderr, "' failed%s%s\n", path ? " in " : "", path ? path : "");
                return -EIO;
        }
        return 0;
}

int net_ns_run(const char *path, char *const *argv) {
        return run_in_ns(path, argv, NULL);
}

int net_ns_create(const char *path) {
        int fd, status;
        pid_t pid;

        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (fd < 0)
                return -errno;
        safe_close(fd);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (unshare(CLONE_NEWNET) < 0 ||
                    mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0) {
                        dprintf(2, "tandem lab: cannot create network namespace %s: %m\n", path);
                        _exit(1);
                }
                _exit(0);
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                (void) unlink(path);
                return -EIO;
        }
        return run_in_ns(path, (char *[]) { "ip", "link", "set", "lo", "up", NULL }, NULL);
}

int net_ns_remove(const char *path) {
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                return -errno;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int net_switch_create(const char *switch_path) {
        int r = run_in_ns(switch_path,
                          (char *[]) { "ip", "link", "add", "lab", "type", "bridge", NULL }, NULL);
        if (r < 0)
                return r;
        return run_in_ns(switch_path, (char *[]) { "ip", "link", "set", "lab", "up", NULL }, NULL);
}

int net_cable(const char *switch_path, const char *host_path, const char *name, const char *addr) {
        char cidr[64];
        int r;

        snprintf(cidr, sizeof(cidr), "%s/24", addr);
        /* `ip` accepts a namespace file path wherever it takes a name. */
        r = run_in_ns(switch_path, (char *[]) { "ip", "link", "add", (char *) name, "type", "veth",
                                                "peer", "name", "eth0", "netns", (char *) host_path, NULL },
                      NULL);
        if (r >= 0)
                r = run_in_ns(switch_path, (char *[]) { "ip", "link", "set", (char *) name,
                                                        "master", "lab", "up", NULL }, NULL);
        if (r >= 0)
                r = run_in_ns(host_path, (char *[]) { "ip", "addr", "add", cidr, "dev", "eth0", NULL },
                              NULL);
        if (r >= 0)
                r = run_in_ns(host_path, (char *[]) { "ip", "link", "set", "eth0", "up", NULL }, NULL);
        return r;
}

int net_set_blocked(const char *host_path, const char *const *blocked, unsigned n) {
        _cleanup_buf_ struct buf script = BUF_INIT;
        int r;

        /* "table ...; delete table ..." removes the table whether or not it
         * exists; the whole script is one nft transaction. */
        r = buf_append_str(&script, "table inet tandem_lab\ndelete table inet tandem_lab\n");
        if (r >= 0 && n > 0) {
                r = buf_append_str(&script, "table inet tandem_lab {\n");
                for (unsigned dir = 0; r >= 0 && dir < 2; dir++) {
                        r = buf_printf(&script,
                                       "  chain %s {\n"
                                       "    type filter hook %s priority 0; policy accept;\n",
                                       dir ? "output" : "input", dir ? "output" : "input");
                        for (unsigned i = 0; r >= 0 && i < n; i++)
                                r = buf_printf(&script, "    ip %s %s drop\n",
                                               dir ? "daddr" : "saddr", blocked[i]);
                        if (r >= 0)
                                r = buf_append_str(&script, "  }\n");
                }
                if (r >= 0)
                        r = buf_append_str(&script, "}\n");
        }
        if (r < 0)
                return r;
        return run_in_ns(host_path, (char *[]) { "nft", "-f", "-", NULL }, script.data);
}
