/* child.h: one child process run on the daemon's sd-event loop, for the
 * executor (OCF agents) and the fencer (fence agents). The child gets its
 * own process group; its exit is watched through a pidfd; stdout and
 * stderr are captured (the last output_max bytes of each kept); a
 * timeout sends SIGTERM to the whole group, then SIGKILL after a grace
 * period. Nothing blocks: the result arrives in a callback. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct child_spec {
        const char *path;          /* the program, run as is (no PATH search) */
        char *const *argv;         /* NULL-terminated, argv[0] included */
        char *const *envp;         /* the whole environment, NULL-terminated */
        const char *stdin_data;    /* copied, written to stdin, which is then closed; NULL: /dev/null */
        size_t stdin_len;
        uint64_t timeout_usec;     /* 0: none */
        uint64_t kill_grace_usec;  /* SIGTERM to SIGKILL; 0: 5 s */
        size_t output_max;         /* bytes kept of stdout and of stderr each; 0: 64 KiB */
};

enum child_end {
        CHILD_EXITED,      /* status: exit code */
        CHILD_SIGNALED,    /* status: the signal that ended it */
        CHILD_TIMED_OUT,   /* status: the signal that ended it, after the timeout */
        CHILD_EXEC_FAILED, /* status: errno of execve() */
};

struct child_result {
        enum child_end end;
        int status;
        const char *out, *err;           /* NUL-terminated, never NULL */
        bool out_truncated, err_truncated; /* the start was dropped */
        uint64_t runtime_usec;
};

/* Called once when the child has ended; result and its strings live until
 * the callback returns, and the child object is freed after it. */
typedef void (*child_done_t)(const struct child_result *result, void *userdata);

struct child;

/* Start spec->path. Blocks SIGCHLD in the calling thread (sd-event needs
 * that to watch children). Returns 0 and the running child (for
 * child_kill) or a negative errno, in which case done is never called. */
int child_spawn(sd_event *e, const struct child_spec *spec, child_done_t done, void *userdata,
                struct child **ret);

/* Kill the child's process group with SIGKILL and free it without
 * calling done (for shutdown and cancelled operations). NULL allowed. */
void child_kill(struct child *c);

/* The process id, for logs. */
int child_pid(const struct child *c);
