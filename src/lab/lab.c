/* lab.c: the `tandem lab` commands: the lab's state on disk and the
 * orchestration of hosts (host.c) and network (net.c). Layout of the root
 * (lab_root(), /var/lib/tandem-lab unless TANDEM_LAB_ROOT says otherwise):
 *
 *   state                 hosts, cut links, directories the lab created
 *   ns/switch, ns/HOST    network namespaces, kept by bind mounts
 *   hosts/HOST/init.pid   PID of the running host's init
 *   hosts/HOST/<dir>      private directories, see host_binds[]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "build-config.h"
#include "ctl.h"
#include "host.h"
#include "lab.h"
#include "net.h"
#include "util.h"

#define UP_TIMEOUT_MS (120 * 1000)
#define STOP_TIMEOUT_MS (20 * 1000)
#define MAX_CREATED 8

struct lab_state {
        unsigned n;
        bool cut[LAB_MAX_HOSTS][LAB_MAX_HOSTS];
        char created[MAX_CREATED][64];  /* directories made for bind targets */
        unsigned n_created;
};

static const char *const host_names[] = {
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
};

void lab_host_name(unsigned i, char *buf, size_t size) {
        if (i < ELEMENTSOF(host_names))
                snprintf(buf, size, "%s", host_names[i]);
        else
                snprintf(buf, size, "node%u", i + 1);
}

static void host_addr(unsigned i, char *buf, size_t size) {
        snprintf(buf, size, LAB_SUBNET ".%u", i + 1);
}

static void lab_path(char *buf, size_t size, const char *what, unsigned host, const char *file) {
        char name[32];
        lab_host_name(host, name, sizeof(name));
        if (streq(what, "ns"))
                snprintf(buf, size, "%s/ns/%s", lab_root(), name);
        else
                snprintf(buf, size, "%s/hosts/%s%s%s", lab_root(), name, file ? "/" : "", file ? file : "");
}

const char *lab_root(void) {
        const char *e = getenv("TANDEM_LAB_ROOT");
        return e && e[0] == '/' ? e : LAB_ROOT_DEFAULT;
}

/* lab_root()/rel, in one of four rotating buffers so that a call may use
 * a few of them at once (command-line code: one thread). */
static const char *lab_path_of(const char *rel) {
        static char bufs[4][4096];
        static unsigned next;
        char *b = bufs[next++ % 4];
        snprintf(b, sizeof(bufs[0]), "%s/%s", lab_root(), rel);
        return b;
}

#define SWITCH_NS lab_path_of("ns/switch")
#define STATE_FILE lab_path_of("state")

static int state_write(const struct lab_state *s) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        char a[32], c[32];
        int r;

        r = buf_printf(&b, "# tandem lab state: written by `tandem lab`, do not edit\nhosts %u\n", s->n);
        for (unsigned i = 0; r >= 0 && i < s->n_created; i++)
                r = buf_printf(&b, "created %s\n", s->created[i]);
        for (unsigned i = 0; r >= 0 && i < s->n; i++)
                for (unsigned j = i + 1; r >= 0 && j < s->n; j++)
                        if (s->cut[i][j]) {
                                lab_host_name(i, a, sizeof(a));
                                lab_host_name(j, c, sizeof(c));
                                r = buf_printf(&b, "cut %s %s\n", a, c);
                        }
        if (r < 0)
                return r;
        return write_file_atomic(STATE_FILE, b.data, b.len, 0600);
}

static int host_index(const struct lab_state *s, const char *name) {
        char n[32];
        for (unsigned i = 0; i < s->n; i++) {
                lab_host_name(i, n, sizeof(n));
                if (streq(n, name))
                        return (int) i;
        }
        return -1;
}

/* Read the state; -ENOENT (with a message) when there is no lab. */
static int state_read(struct lab_state *s) {
        _cleanup_free_ char *text = NULL;
        char *line, *save = NULL;
        unsigned lineno = 0;
        int r;

        memset(s, 0, sizeof(*s));
        r = read_file(STATE_FILE, &text, NULL);
        if (r == -ENOENT) {
                fprintf(stderr, "tandem lab: no lab is up (no %s)\n", STATE_FILE);
                return r;
        }
        if (r < 0) {
                fprintf(stderr, "tandem lab: cannot read %s: %s\n", STATE_FILE, strerror(-r));
                return r;
        }
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char a[32], b[64];
                int i, j;
                lineno++;
                if (line[0] == '#')
                        continue;
                if (sscanf(line, "hosts %u", &s->n) == 1 && s->n <= LAB_MAX_HOSTS)
                        continue;
                if (sscanf(line, "created %63s", b) == 1 && s->n_created < MAX_CREATED) {
                        snprintf(s->created[s->n_created++], sizeof(s->created[0]), "%s", b);
                        continue;
                }
                if (sscanf(line, "cut %31s %31s", a, b) == 2 &&
                    (i = host_index(s, a)) >= 0 && (j = host_index(s, b)) >= 0) {
                        s->cut[i][j] = s->cut[j][i] = true;
                        continue;
                }
                fprintf(stderr, "tandem lab: %s:%u: cannot understand '%s'\n", STATE_FILE, lineno, line);
                return -EBADMSG;
        }
        return 0;
}

/* Resolve a host name given on the command line. */
static int lookup_host(const struct lab_state *s, const char *name) {
        int i = host_index(s, name);
        if (i < 0) {
                char list[512] = "", n[32];
                for (unsigned k = 0; k < s->n; k++) {
                        lab_host_name(k, n, sizeof(n));
                        strncat(list, k ? ", " : "", sizeof(list) - strlen(list) - 1);
                        strncat(list, n, sizeof(list) - strlen(list) - 1);
                }
                fprintf(stderr, "tandem lab: no host named '%s' in this lab (hosts: %s)\n", name, list);
                return -ENOENT;
        }
        return i;
}

/* PID of host i's init if the host is running, else 0. */
static pid_t running_init(unsigned i) {
        char path[256], ns[256];
        _cleanup_free_ char *text = NULL;
        int pid;

        lab_path(path, sizeof(path), "hosts", i, "init.pid");
        lab_path(ns, sizeof(ns), "ns", i, NULL);
        if (read_file(path, &text, NULL) < 0 || parse_int(strtok(text, "\n") ? text : "", &pid) < 0)
                return 0;
        return host_alive(pid, ns) ? pid : 0;
}

/* Where to find our daemons: beside this program (build tree or an
 * installed prefix), else the configured sbindir. */
static void find_program(const char *name, char *buf, size_t size) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        if (snprintf(buf, size, "%s/%s", self, name) < (int) size &&
                            access(buf, X_OK) == 0)
                                return;
                }
        }
        snprintf(buf, size, "%s/%s", TANDEM_SBINDIR, name);
}

static int write_corosync_conf(unsigned n) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        char name[32], addr[32], path[256];
        int r;

        r = buf_printf(&b,
                       "# written by `tandem lab up`\n"
                       "totem {\n"
                       "\tversion: 2\n"
                       "\tcluster_name: tandem-lab\n"
                       "\ttransport: knet\n"
                       "\tcrypto_cipher: none\n"
                       "\tcrypto_hash: none\n"
                       "}\n\n"
                       "logging {\n"
                       "\tto_logfile: yes\n"
                       "\tlogfile: /var/log/tandem/corosync.log\n"
                       "\tto_stderr: no\n"
                       "\tto_syslog: no\n"
                       "\ttimestamp: on\n"
                       "}\n\n"
                       "quorum {\n"
                       "\tprovider: corosync_votequorum\n"
                       "%s"
                       "}\n\n"
                       "nodelist {\n",
                       n == 2 ? "\ttwo_node: 1\n" : "");
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                lab_host_name(i, name, sizeof(name));
                host_addr(i, addr, sizeof(addr));
                r = buf_printf(&b, "\tnode {\n\t\tring0_addr: %s\n\t\tname: %s\n\t\tnodeid: %u\n\t}\n",
                               addr, name, i + 1);
        }
        if (r >= 0)
                r = buf_append_str(&b, "}\n");
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                lab_path(path, sizeof(path), "hosts", i, "etc-corosync/corosync.conf");
                r = write_file_atomic(path, b.data, b.len, 0644);
        }
        return r;
}

/* Boot host i and start corosync and tandem's daemons in it. */
static int boot_host(unsigned i) {
        char name[32], dir[256], ns[256], pidfile[256], text[32];
        char diskd[4096], clusterd[4096];
        pid_t init;
        int r;

        lab_host_name(i, name, sizeof(name));
        lab_path(dir, sizeof(dir), "hosts", i, NULL);
        lab_path(ns, sizeof(ns), "ns", i, NULL);
        lab_path(pidfile, sizeof(pidfile), "hosts", i, "init.pid");
        r = host_boot(name, dir, ns, &init);
        if (r < 0)
                return r;
        snprintf(text, sizeof(text), "%d\n", (int) init);
        r = write_file_atomic(pidfile, text, strlen(text), 0644);
        if (r < 0) {
                host_kill(init, false, STOP_TIMEOUT_MS);
                return r;
        }
        find_program("tandem-diskd", diskd, sizeof(diskd));
        find_program("tandem-clusterd", clusterd, sizeof(clusterd));
        r = host_spawn(init, (char *[]) { "corosync", "-f", NULL }, "/var/log/tandem/corosync.out");
        if (r >= 0)
                r = host_spawn(init, (char *[]) { diskd, NULL }, "/var/log/tandem/diskd.log");
        if (r >= 0)
                r = host_spawn(init, (char *[]) { clusterd, NULL }, "/var/log/tandem/clusterd.log");
        if (r < 0)
                fprintf(stderr, "tandem lab: cannot start the services of %s\n", name);
        return r;
}

/* Ask host i's tandem-clusterd for quorum and member count. Returns 0 and
 * fills the outputs, or a negative errno when the daemon cannot be asked. */
static int probe_host(pid_t init, bool *ret_quorate, int *ret_members) {
        int p[2], status;
        char text[64] = "";
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                _cleanup_(json_decrefp) json_t *req = NULL, *reply = NULL;
                safe_close(p[0]);
                if (host_enter(init) < 0)
                        _exit(1);
                req = ctl_request_new("status", 0, NULL);
                if (!req || ctl_call("/run/tandem/clusterd.sock", req, 2000, &reply) < 0)
                        _exit(1);
                dprintf(p[1], "%d %d", json_is_true(json_object_get(reply, "quorate")),
                        (int) json_integer_value(json_object_get(reply, "members")));
                _exit(0);
        }
        safe_close(p[1]);
        ssize_t n = read(p[0], text, sizeof(text) - 1);
        safe_close(p[0]);
        waitpid(pid, &status, 0);
        int q, m;
        if (n <= 0 || sscanf(text, "%d %d", &q, &m) != 2)
                return -ECONNREFUSED;
        *ret_quorate = q;
        *ret_members = m;
        return 0;
}

static int wait_quorate(unsigned n) {
        for (int waited = 0; waited < UP_TIMEOUT_MS; waited += 500) {
                unsigned ready = 0;
                for (unsigned i = 0; i < n; i++) {
                        bool q;
                        int m;
                        pid_t init = running_init(i);
                        if (init && probe_host(init, &q, &m) >= 0 && q && m == (int) n)
                                ready++;
                }
                if (ready == n)
                        return 0;
                usleep(500 * 1000);
        }
        fprintf(stderr, "tandem lab: the cluster did not become quorate with all %u hosts within %d s\n",
                n, UP_TIMEOUT_MS / 1000);
        return -ETIMEDOUT;
}

static int check_tools(void) {
        static const char *const tools[] = { "ip", "nft", "corosync" };
        for (unsigned i = 0; i < ELEMENTSOF(tools); i++) {
                _cleanup_free_ char *cmd = strjoin("command -v ", tools[i], " >/dev/null 2>&1", NULL);
                if (!cmd)
                        return -ENOMEM;
                if (system(cmd) != 0) {
                        fprintf(stderr, "tandem lab: '%s' is not installed (the lab needs iproute2, "
                                "nftables and corosync)\n", tools[i]);
                        return -ENOENT;
                }
        }
        return 0;
}

int lab_up(unsigned n) {
        struct lab_state s = { .n = n };
        char path[256], addr[32];
        int r;

        if (n < 1 || n > LAB_MAX_HOSTS) {
                fprintf(stderr, "tandem lab: a lab has 1 to %d hosts, not %u\n", LAB_MAX_HOSTS, n);
                return -EINVAL;
        }
        r = check_tools();
        if (r < 0)
                return r;
        if (mkdir(lab_root(), 0700) < 0) {
                if (errno == EEXIST)
                        fprintf(stderr, "tandem lab: a lab exists already (%s); 'tandem lab status' "
                                "shows it, 'tandem lab down' removes it\n", lab_root());
                else
                        fprintf(stderr, "tandem lab: cannot create %s: %m\n", lab_root());
                return -errno;
        }
        /* From here on every failure tears down what was built. */
        for (unsigned b = 0; b < host_n_binds; b++) {
                if (mkdir(host_binds[b].target, 0755) == 0)
                        snprintf(s.created[s.n_created++], sizeof(s.created[0]), "%s",
                                 host_binds[b].target);
                else if (errno != EEXIST) {
                        fprintf(stderr, "tandem lab: cannot create %s: %m\n", host_binds[b].target);
                        r = -errno;
                        goto fail;
                }
        }
        if ((r = mkdir_p(lab_path_of("ns"), 0700)) < 0 || (r = state_write(&s)) < 0)
                goto fail;
        for (unsigned i = 0; i < n; i++)
                for (unsigned b = 0; b < host_n_binds; b++) {
                        lab_path(path, sizeof(path), "hosts", i, host_binds[b].source);
                        if ((r = mkdir_p(path, 0755)) < 0)
                                goto fail;
                }
        if ((r = net_ns_create(SWITCH_NS)) < 0 || (r = net_switch_create(SWITCH_NS)) < 0)
                goto fail;
        for (unsigned i = 0; i < n; i++) {
                char name[32];
                lab_host_name(i, name, sizeof(name));
                lab_path(path, sizeof(path), "ns", i, NULL);
                host_addr(i, addr, sizeof(addr));
                if ((r = net_ns_create(path)) < 0 || (r = net_cable(SWITCH_NS, path, name, addr)) < 0)
                        goto fail;
        }
        if ((r = write_corosync_conf(n)) < 0)
                goto fail;
        for (unsigned i = 0; i < n; i++)
                if ((r = boot_host(i)) < 0)
                        goto fail;
        if ((r = wait_quorate(n)) < 0) {
                lab_path(path, sizeof(path), "hosts", 0, "log");
                fprintf(stderr, "tandem lab: the hosts' logs were in %s/HOST/log; tearing down\n",
                        lab_path_of("hosts"));
                goto fail;
        }
        printf("lab up: %u host%s on " LAB_SUBNET ".0/24, cluster quorate\n", n, n == 1 ? "" : "s");
        return 0;
fail:
        if (r != -ETIMEDOUT)
                fprintf(stderr, "tandem lab: up failed (%s); tearing down\n", strerror(-r));
        (void) lab_down();
        return r;
}

int lab_down(void) {
        struct lab_state s;
        char path[256];
        int r, ret = 0;

        if (access(lab_root(), F_OK) < 0) {
                fprintf(stderr, "tandem lab: no lab is up (no %s)\n", lab_root());
                return -ENOENT;
        }
        /* A half-built lab may lack a state file; take down what is there. */
        if (access(STATE_FILE, F_OK) < 0 || state_read(&s) < 0) {
                memset(&s, 0, sizeof(s));
                s.n = LAB_MAX_HOSTS;
        }
        for (unsigned i = 0; i < s.n; i++) {
                pid_t init = running_init(i);
                if (init && (r = host_kill(init, true, STOP_TIMEOUT_MS)) < 0) {
                        fprintf(stderr, "tandem lab: host %u did not stop: %s\n", i + 1, strerror(-r));
                        ret = r;
                }
        }
        for (unsigned i = 0; i < s.n; i++) {
                lab_path(path, sizeof(path), "ns", i, NULL);
                if ((r = net_ns_remove(path)) < 0) {
                        fprintf(stderr, "tandem lab: cannot remove %s: %s\n", path, strerror(-r));
                        ret = r;
                }
        }
        if ((r = net_ns_remove(SWITCH_NS)) < 0) {
                fprintf(stderr, "tandem lab: cannot remove %s: %s\n", SWITCH_NS, strerror(-r));
                ret = r;
        }
        if (ret < 0)
                return ret; /* keep the files: they say what is still there */
        for (unsigned i = 0; i < s.n_created; i++)
                if (rmdir(s.created[i]) < 0 && errno != ENOENT)
                        fprintf(stderr, "tandem lab: left %s in place: %m\n", s.created[i]);
        r = rm_rf(lab_root());
        if (r < 0) {
                fprintf(stderr, "tandem lab: cannot remove %s: %s\n", lab_root(), strerror(-r));
                return r;
        }
        printf("lab down\n");
        return 0;
}

static void print_cut_list(FILE *out, const struct lab_state *s, unsigned i) {
        char name[32];
        bool any = false;
        for (unsigned j = 0; j < s->n; j++)
                if (s->cut[i][j]) {
                        lab_host_name(j, name, sizeof(name));
                        fprintf(out, "%s%s", any ? "," : "", name);
                        any = true;
                }
        if (!any)
                fputs("-", out);
}

int lab_status(FILE *out) {
        struct lab_state s;
        char name[32], addr[32];
        int r = state_read(&s);

        if (r < 0)
                return r;
        fprintf(out, "lab: %u host%s, switch namespace %s, files in %s\n", s.n, s.n == 1 ? "" : "s",
                SWITCH_NS, lab_root());
        fprintf(out, "%-8s %-15s %-8s %-8s %-22s %s\n", "HOST", "ADDRESS", "STATE", "INIT", "CLUSTER",
                "CUT FROM");
        for (unsigned i = 0; i < s.n; i++) {
                pid_t init = running_init(i);
                char cluster[64] = "-", pidtext[16] = "-";
                bool q;
                int m;
                lab_host_name(i, name, sizeof(name));
                host_addr(i, addr, sizeof(addr));
                if (init) {
                        snprintf(pidtext, sizeof(pidtext), "%d", (int) init);
                        if (probe_host(init, &q, &m) < 0)
                                snprintf(cluster, sizeof(cluster), "clusterd not answering");
                        else
                                snprintf(cluster, sizeof(cluster), "%s, %d member%s",
                                         q ? "quorate" : "NO QUORUM", m, m == 1 ? "" : "s");
                }
                fprintf(out, "%-8s %-15s %-8s %-8s %-22s ", name, addr, init ? "running" : "down",
                        pidtext, cluster);
                print_cut_list(out, &s, i);
                fputc('\n', out);
        }
        return 0;
}

/* Find a running host for a command, with the messages users need. */
static int running_host(const char *node, struct lab_state *s, int *ret_index, pid_t *ret_init) {
        int r = state_read(s), i;
        if (r < 0)
                return r;
        i = lookup_host(s, node);
        if (i < 0)
                return i;
        *ret_init = running_init((unsigned) i);
        *ret_index = i;
        if (!*ret_init) {
                fprintf(stderr, "tandem lab: host %s is down; 'tandem lab boot %s' starts it\n", node, node);
                return -EHOSTDOWN;
        }
        return 0;
}

int lab_exec(const char *node, char **argv) {
        struct lab_state s;
        char cwd[4096];
        pid_t init, pid;
        int i, r, status;

        r = running_host(node, &s, &i, &init);
        if (r < 0)
                return r;
        if (!getcwd(cwd, sizeof(cwd)))
                snprintf(cwd, sizeof(cwd), "/");
        r = host_enter(init);
        if (r < 0) {
                fprintf(stderr, "tandem lab: cannot enter host %s: %s\n", node, strerror(-r));
                return r;
        }
        if (chdir(cwd) < 0)
                (void) chdir("/");
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execvp(argv[0], argv);
                fprintf(stderr, "tandem lab: cannot run '%s' on %s: %m\n", argv[0], node);
                _exit(127);
        }
        /* Like system(3): the terminal's ^C is for the command. */
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

static int apply_cuts(const struct lab_state *s) {
        char ns[256], addrs[LAB_MAX_HOSTS][32];
        const char *blocked[LAB_MAX_HOSTS];
        int r;

        for (unsigned i = 0; i < s->n; i++) {
                unsigned nb = 0;
                for (unsigned j = 0; j < s->n; j++)
                        if (s->cut[i][j]) {
                                host_addr(j, addrs[nb], sizeof(addrs[nb]));
                                blocked[nb] = addrs[nb];
                                nb++;
                        }
                lab_path(ns, sizeof(ns), "ns", i, NULL);
                r = net_set_blocked(ns, blocked, nb);
                if (r < 0)
                        return r;
        }
        return 0;
}

int lab_cut(const char *node, const char *peer) {
        struct lab_state s;
        int a, b, r;

        if ((r = state_read(&s)) < 0 || (a = lookup_host(&s, node)) < 0)
                return r < 0 ? r : a;
        if (peer) {
                if ((b = lookup_host(&s, peer)) < 0)
                        return b;
                if (a == b) {
                        fprintf(stderr, "tandem lab: cannot cut %s from itself\n", node);
                        return -EINVAL;
                }
                s.cut[a][b] = s.cut[b][a] = true;
        } else
                for (unsigned j = 0; j < s.n; j++)
                        if ((int) j != a)
                                s.cut[a][j] = s.cut[j][a] = true;
        if ((r = state_write(&s)) < 0)
                return r;
        return apply_cuts(&s);
}

int lab_heal(const char *node) {
        struct lab_state s;
        int a = -1, r;

        if ((r = state_read(&s)) < 0)
                return r;
        if (node && (a = lookup_host(&s, node)) < 0)
                return a;
        for (unsigned i = 0; i < s.n; i++)
                for (unsigned j = 0; j < s.n; j++)
                        if (a < 0 || (int) i == a || (int) j == a)
                                s.cut[i][j] = false;
        if ((r = state_write(&s)) < 0)
                return r;
        return apply_cuts(&s);
}

int lab_crash(const char *node) {
        struct lab_state s;
        char pidfile[256];
        pid_t init;
        int i, r;

        r = running_host(node, &s, &i, &init);
        if (r < 0)
                return r;
        r = host_kill(init, false, STOP_TIMEOUT_MS);
        if (r < 0) {
                fprintf(stderr, "tandem lab: %s did not die: %s\n", node, strerror(-r));
                return r;
        }
        lab_path(pidfile, sizeof(pidfile), "hosts", (unsigned) i, "init.pid");
        (void) unlink(pidfile);
        printf("%s crashed\n", node);
        return 0;
}

int lab_boot(const char *node) {
        struct lab_state s;
        int i, r;

        if ((r = state_read(&s)) < 0 || (i = lookup_host(&s, node)) < 0)
                return r < 0 ? r : i;
        if (running_init((unsigned) i)) {
                fprintf(stderr, "tandem lab: host %s is running already\n", node);
                return -EBUSY;
        }
        r = boot_host((unsigned) i);
        if (r < 0)
                return r;
        printf("%s booted\n", node);
        return 0;
}
