/* host.c: lab hosts as namespaces with an init of their own (see host.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

const struct host_bind host_binds[] = {
        { "etc-tandem", "/etc/tandem" },
        { "etc-corosync", "/etc/corosync" },
        { "var-lib-tandem", "/var/lib/tandem" },
        { "var-lib-corosync", "/var/lib/corosync" },
        { "log", "/var/log/tandem" },
};
const unsigned host_n_binds = ELEMENTSOF(host_binds);

/* Grace period the init gives its processes on a graceful stop. */
#define INIT_GRACE_SEC 10

static ino_t ns_inode(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 ? 0 : st.st_ino;
}

static ino_t proc_ns_inode(pid_t pid, const char *ns) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) pid, ns);
        return ns_inode(path);
}

/* The init: PID 1 of the host. Reaps orphans (daemons started by
 * host_spawn end up here) and stops the host on SIGTERM. */
static _noreturn_ void init_loop(void) {
        sigset_t set;
        siginfo_t si;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        for (;;) {
                if (sigwaitinfo(&set, &si) < 0)
                        continue;
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (si.si_signo != SIGTERM)
                        continue;
                /* Shutdown: every process of the namespace but us. */
                kill(-1, SIGTERM);
                struct timespec ts = { .tv_sec = 1 };
                for (int i = 0; i < INIT_GRACE_SEC; i++) {
                        while (waitpid(-1, NULL, WNOHANG) > 0)
                                ;
                        if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
                                _exit(0);
                        sigtimedwait(&set, NULL, &ts);
                }
                kill(-1, SIGKILL);
                _exit(0);
        }
}

/* Report a failure of the init's setup through the pipe and exit. */
static _noreturn_ void init_fail(int fd, const char *what, const char *path) {
        dprintf(fd, "%s %s: %s\n", what, path, strerror(errno));
        _exit(1);
}

static _noreturn_ void init_main(const char *name, const char *dir, int report_fd) {
        char src[4096];
        int null_fd;

        setsid();
        prctl(PR_SET_NAME, "tandem-lab-init");
        if (sethostname(name, strlen(name)) < 0)
                init_fail(report_fd, "cannot set host name", name);
        /* Nothing we mount may leak back into the machine's namespace. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                init_fail(report_fd, "cannot make mounts private", "/");
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                init_fail(report_fd, "cannot mount", "/proc");
        if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                init_fail(report_fd, "cannot mount a tmpfs on", "/run");
        if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                init_fail(report_fd, "cannot mount a tmpfs on", "/dev/shm");
        for (unsigned i = 0; i < host_n_binds; i++) {
                snprintf(src, sizeof(src), "%s/%s", dir, host_binds[i].source);
                if (mount(src, host_binds[i].target, NULL, MS_BIND, NULL) < 0)
                        init_fail(report_fd, "cannot bind-mount", host_binds[i].target);
        }
        if (chdir("/") < 0)
                init_fail(report_fd, "cannot enter", "/");

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0)
                init_fail(report_fd, "cannot open", "/dev/null");
        (void) write(report_fd, "OK\n", 3);
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        close_range(3, ~0U, 0);
        init_loop();
}

/* Read everything from fd until EOF into buf (NUL-terminated). */
static void read_all(int fd, char *buf, size_t size) {
        size_t len = 0;
        ssize_t n;

        while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = '\0';
}

int host_boot(const char *name, const char *dir, const char *netns_path, pid_t *ret_init) {
        int report[2], pidpipe[2], netfd, status;
        char msg[512], pidtext[32];
        pid_t mid, init;

        netfd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (netfd < 0) {
                fprintf(stderr, "tandem lab: cannot open network namespace %s: %m\n", netns_path);
                return -errno;
        }
        if (pipe2(report, O_CLOEXEC) < 0 || pipe2(pidpipe, O_CLOEXEC) < 0) {
                safe_close(netfd);
                return -errno;
        }
        /* The middle process enters the network namespace and creates the
         * others; its child is the host's PID 1. It reports that PID and
         * exits, so the init is not a child of this short-lived command.
         * The init itself reports "OK" or what failed on `report`. */
        mid = fork();
        if (mid < 0)
                return -errno;
        if (mid == 0) {
                safe_close(report[0]);
                safe_close(pidpipe[0]);
                if (setns(netfd, CLONE_NEWNET) < 0)
                        init_fail(report[1], "cannot enter network namespace", netns_path);
                if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS) < 0)
                        init_fail(report[1], "cannot create namespaces for", name);
                pid_t child = fork();
                if (child < 0)
                        init_fail(report[1], "cannot fork the init of", name);
                if (child == 0) {
                        safe_close(pidpipe[1]);
                        init_main(name, dir, report[1]);
                }
                dprintf(pidpipe[1], "%d", (int) child);
                _exit(0);
        }
        safe_close(netfd);
        safe_close(report[1]);
        safe_close(pidpipe[1]);
        read_all(pidpipe[0], pidtext, sizeof(pidtext));
        read_all(report[0], msg, sizeof(msg));
        safe_close(pidpipe[0]);
        safe_close(report[0]);
        waitpid(mid, &status, 0);

        init = (pid_t) atoi(pidtext);
        if (init <= 0 || !streq(msg, "OK\n")) {
                fprintf(stderr, "tandem lab: host %s did not boot: %s", name,
                        *msg ? msg : "its init exited without a word\n");
                if (init > 0)
                        kill(init, SIGKILL);
                return -EIO;
        }
        *ret_init = init;
        return 0;
}

/* Whether process `pid` exists and is not a zombie (a zombie has exited
 * and keeps only its /proc entry until its parent reaps it). */
static bool proc_running(pid_t pid) {
        _cleanup_free_ char *stat_text = NULL;
        char path[64];
        const char *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        if (read_file(path, &stat_text, NULL) < 0)
                return false;
        p = strrchr(stat_text, ')');
        return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

bool host_alive(pid_t init, const char *netns_path) {
        ino_t want = ns_inode(netns_path);

        if (init <= 0 || want == 0 || proc_ns_inode(init, "net") != want)
                return false;
        return proc_running(init);
}

int host_enter(pid_t init) {
        static const struct { const char *name; int type; } ns[] = {
                { "pid", CLONE_NEWPID }, { "uts", CLONE_NEWUTS },
                { "net", CLONE_NEWNET }, { "mnt", CLONE_NEWNS },
        };
        int fds[ELEMENTSOF(ns)], r = 0;
        char path[64];

        /* Open all first: after entering the mount namespace /proc is the
         * host's, where the init is PID 1. */
        for (unsigned i = 0; i < ELEMENTSOF(ns); i++) {
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) init, ns[i].name);
                fds[i] = open(path, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) {
                        r = -errno;
                        while (i-- > 0)
                                safe_close(fds[i]);
                        return r;
                }
        }
        for (unsigned i = 0; i < ELEMENTSOF(ns); i++) {
                if (r == 0 && setns(fds[i], ns[i].type) < 0)
                        r = -errno;
                safe_close(fds[i]);
        }
        return r;
}

/* Whether any process still lives in the PID namespace with inode `ino`. */
static bool pidns_has_processes(ino_t ino) {
        _cleanup_(closedirp) DIR *d = opendir("/proc");
        struct dirent *de;

        if (!d)
                return false;
        while ((de = readdir(d))) {
                int pid = atoi(de->d_name);
                if (pid > 0 && proc_ns_inode(pid, "pid") == ino && proc_running(pid))
                        return true;
        }
        return false;
}

int host_kill(pid_t init, bool graceful, int timeout_ms) {
        ino_t pidns = proc_ns_inode(init, "pid");
        int fd = pidfd_open(init, 0);
        int waited = 0;

        if (fd < 0)
                return errno == ESRCH ? 0 : -errno;
        if (pidfd_send_signal(fd, graceful ? SIGTERM : SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) == 0 && graceful) {
                /* The init did not finish its shutdown in time: power off. */
                pidfd_send_signal(fd, SIGKILL, NULL, 0);
                poll(&p, 1, timeout_ms);
        }
        safe_close(fd);
        /* The kernel kills the rest of the namespace when its init dies;
         * wait until that has happened, so a new boot starts clean. */
        while (pidns && pidns_has_processes(pidns)) {
                if (waited >= timeout_ms)
                        return -ETIMEDOUT;
                usleep(20 * 1000);
                waited += 20;
        }
        return 0;
}

int host_spawn(pid_t init, char *const *argv, const char *log_path) {
        pid_t pid;
        int status;

        /* Fork twice so that the daemon is an orphan inside the host,
         * adopted by the host's init, and this command never waits on it. */
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (host_enter(init) < 0)
                        _exit(126);
                pid_t d = fork();
                if (d < 0)
                        _exit(126);
                if (d > 0)
                        _exit(0);
                setsid();
                int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (in < 0 || out < 0)
                        _exit(126);
                dup2(in, 0);
                dup2(out, 1);
                dup2(out, 2);
                close_range(3, ~0U, 0);
                execvp(argv[0], argv);
                dprintf(2, "tandem lab: cannot run %s: %m\n", argv[0]);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}
