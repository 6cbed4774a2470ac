/* child.c: child processes on sd-event with pidfds, captured output and
 * timeouts (see child.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "util.h"

#define DEFAULT_GRACE_USEC (5 * 1000 * 1000ULL)
#define DEFAULT_OUTPUT_MAX (64 * 1024)

struct stream {
        struct child *owner;
        int fd;
        sd_event_source *src;
        struct buf data;
        bool truncated;
};

struct child {
        sd_event *loop;
        pid_t pid;
        int exec_err_fd;        /* read end: the child writes errno if execve fails */
        sd_event_source *exit_src, *timer;
        struct stream out, err;
        int stdin_fd;
        char *stdin_data;       /* a copy, freed with the child */
        size_t stdin_len, stdin_done;
        sd_event_source *stdin_src;
        size_t output_max;
        uint64_t grace_usec, started;
        bool timed_out, killed;
        child_done_t done;
        void *userdata;
};

static void stream_close(struct stream *s) {
        s->src = sd_event_source_disable_unref(s->src);
        s->fd = safe_close(s->fd);
}

static void child_free(struct child *c) {
        stream_close(&c->out);
        stream_close(&c->err);
        buf_free(&c->out.data);
        buf_free(&c->err.data);
        c->stdin_src = sd_event_source_disable_unref(c->stdin_src);
        c->stdin_fd = safe_close(c->stdin_fd);
        free(c->stdin_data);
        c->exit_src = sd_event_source_disable_unref(c->exit_src);
        c->timer = sd_event_source_disable_unref(c->timer);
        c->exec_err_fd = safe_close(c->exec_err_fd);
        sd_event_unref(c->loop);
        free(c);
}

/* Read what is there; keep the last output_max bytes. Returns false at
 * EOF or on error. */
static bool stream_read(struct stream *s, size_t max) {
        char chunk[16384];

        for (;;) {
                ssize_t n = read(s->fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN;
                if (n == 0)
                        return false;
                if (buf_append(&s->data, chunk, (size_t) n) < 0)
                        return false;
                if (s->data.len > max) {
                        buf_consume(&s->data, s->data.len - max);
                        s->truncated = true;
                }
        }
}

static int on_output(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct stream *s = userdata;

        if (!stream_read(s, s->owner->output_max))
                stream_close(s);
        return 0;
}

static int on_stdin(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct child *c = userdata;

        while (c->stdin_done < c->stdin_len) {
                ssize_t n = write(fd, c->stdin_data + c->stdin_done, c->stdin_len - c->stdin_done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0)
                        break;  /* EPIPE: the child does not read; fine */
                c->stdin_done += (size_t) n;
        }
        c->stdin_src = sd_event_source_disable_unref(c->stdin_src);
        c->stdin_fd = safe_close(c->stdin_fd);
        return 0;
}

static void kill_group(struct child *c, int sig) {
        /* The group first; the process itself in case it left the group. */
        (void) kill(-c->pid, sig);
        (void) kill(c->pid, sig);
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        struct child *c = userdata;

        if (!c->timed_out) {
                c->timed_out = true;
                kill_group(c, SIGTERM);
                return sd_event_source_set_time_relative(src, c->grace_usec) < 0 ? 0
                       : sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        }
        kill_group(c, SIGKILL);
        return 0;
}

static int on_child_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        struct child *c = userdata;
        struct child_result r = { 0 };
        int exec_errno = 0;

        /* What the process wrote before it ended is in the pipes now. */
        if (c->out.fd >= 0)
                (void) stream_read(&c->out, c->output_max);
        if (c->err.fd >= 0)
                (void) stream_read(&c->err, c->output_max);
        if (read(c->exec_err_fd, &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno) && exec_errno > 0) {
                r.end = CHILD_EXEC_FAILED;
                r.status = exec_errno;
        } else if (si->si_code == CLD_EXITED) {
                r.end = CHILD_EXITED;
                r.status = si->si_status;
        } else {
                r.end = CHILD_SIGNALED;
                r.status = si->si_status;
        }
        if (c->timed_out && r.end != CHILD_EXEC_FAILED)
                r.end = CHILD_TIMED_OUT;
        r.out = c->out.data.data ? c->out.data.data : "";
        r.err = c->err.data.data ? c->err.data.data : "";
        r.out_truncated = c->out.truncated;
        r.err_truncated = c->err.truncated;
        r.runtime_usec = (uint64_t) now_usec(CLOCK_MONOTONIC) - c->started;
        c->done(&r, c->userdata);
        child_free(c);
        return 0;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static _noreturn_ void run_child(const struct child_spec *spec, int in_fd, int out_fd, int err_fd,
                                 int exec_err_fd) {
        sigset_t none;
        int e;

        (void) setpgid(0, 0);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        /* The daemon ignores SIGPIPE; ignored signals survive execve. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
                _exit(127);
        /* dup2() onto itself (a daemon started with 0-2 closed got its
         * pipes there) keeps close-on-exec: clear it. */
        for (int fd = 0; fd <= 2; fd++)
                (void) fcntl(fd, F_SETFD, 0);
        execve(spec->path, spec->argv, spec->envp);
        e = errno;
        (void) !write(exec_err_fd, &e, sizeof(e));
        _exit(127);
}

static int add_stream(struct child *c, struct stream *s, int fd) {
        s->owner = c;
        s->fd = fd;
        return sd_event_add_io(c->loop, &s->src, fd, EPOLLIN, on_output, s);
}

int child_spawn(sd_event *e, const struct child_spec *spec, child_done_t done, void *userdata,
                struct child **ret) {
        int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, exec_pipe[2] = { -1, -1 };
        int in_pipe[2] = { -1, -1 };
        _cleanup_close_ int pidfd = -1;
        struct child *c;
        sigset_t chld;
        int r;

        if (!spec->path || !spec->argv || !spec->envp || !done)
                return -EINVAL;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
                return -errno;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->loop = sd_event_ref(e);
        c->out.fd = c->err.fd = c->stdin_fd = c->exec_err_fd = -1;
        c->done = done;
        c->userdata = userdata;
        c->output_max = spec->output_max ? spec->output_max : DEFAULT_OUTPUT_MAX;
        c->grace_usec = spec->kill_grace_usec ? spec->kill_grace_usec : DEFAULT_GRACE_USEC;
        if (pipe2(out_pipe, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(err_pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
            pipe2(exec_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
                r = -errno;
                goto fail;
        }
        if (spec->stdin_data ? pipe2(in_pipe, O_CLOEXEC | O_NONBLOCK) < 0
                             : (in_pipe[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
                r = -errno;
                goto fail;
        }
        /* The child's ends must block: an agent does not expect EAGAIN. */
        (void) fcntl(out_pipe[1], F_SETFL, 0);
        (void) fcntl(err_pipe[1], F_SETFL, 0);
        (void) fcntl(in_pipe[0], F_SETFL, 0);
        c->started = (uint64_t) now_usec(CLOCK_MONOTONIC);
        c->pid = fork();
        if (c->pid < 0) {
                r = -errno;
                goto fail;
        }
        if (c->pid == 0)
                run_child(spec, in_pipe[0], out_pipe[1], err_pipe[1], exec_pipe[1]);
        /* Also here, so that a kill of the group right away reaches it. */
        (void) setpgid(c->pid, c->pid);
        out_pipe[1] = safe_close(out_pipe[1]);
        err_pipe[1] = safe_close(err_pipe[1]);
        exec_pipe[1] = safe_close(exec_pipe[1]);
        in_pipe[0] = safe_close(in_pipe[0]);
        c->exec_err_fd = TAKE_FD(exec_pipe[0]);

        pidfd = (int) syscall(SYS_pidfd_open, c->pid, 0);
        if (pidfd < 0) {
                r = -errno;
                goto fail_running;
        }
        r = sd_event_add_child_pidfd(e, &c->exit_src, pidfd, WEXITED, on_child_exit, c);
        if (r < 0)
                goto fail_running;
        (void) sd_event_source_set_child_pidfd_own(c->exit_src, true);
        TAKE_FD(pidfd);
        /* Output before exit: read it before the exit is handled. */
        (void) sd_event_source_set_priority(c->exit_src, SD_EVENT_PRIORITY_NORMAL + 1);
        r = add_stream(c, &c->out, TAKE_FD(out_pipe[0]));
        if (r >= 0)
                r = add_stream(c, &c->err, TAKE_FD(err_pipe[0]));
        if (r >= 0 && spec->stdin_data) {
                c->stdin_fd = TAKE_FD(in_pipe[1]);
                c->stdin_data = malloc(spec->stdin_len ? spec->stdin_len : 1);
                c->stdin_len = spec->stdin_len;
                if (!c->stdin_data)
                        r = -ENOMEM;
                else {
                        memcpy(c->stdin_data, spec->stdin_data, spec->stdin_len);
                        r = sd_event_add_io(e, &c->stdin_src, c->stdin_fd, EPOLLOUT, on_stdin, c);
                }
        }
        if (r >= 0 && spec->timeout_usec > 0)
                r = sd_event_add_time_relative(e, &c->timer, CLOCK_MONOTONIC, spec->timeout_usec, 0, on_timer, c);
        if (r < 0)
                goto fail_running;
        *ret = c;
        return 0;

fail_running:
        kill_group(c, SIGKILL);
        (void) waitpid(c->pid, NULL, 0);
fail:
        safe_close(out_pipe[0]);
        safe_close(out_pipe[1]);
        safe_close(err_pipe[0]);
        safe_close(err_pipe[1]);
        safe_close(exec_pipe[0]);
        safe_close(exec_pipe[1]);
        safe_close(in_pipe[0]);
        safe_close(in_pipe[1]);
        child_free(c);
        return r;
}

void child_kill(struct child *c) {
        if (!c)
                return;
        kill_group(c, SIGKILL);
        /* Reap it here (it was just killed) rather than leave a zombie
         * once its event source is gone. */
        (void) waitid(P_PID, (id_t) c->pid, &(siginfo_t) { 0 }, WEXITED);
        child_free(c);
}

int child_pid(const struct child *c) {
        return c->pid;
}
