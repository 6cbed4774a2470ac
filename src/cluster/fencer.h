/* fencer.h: runs fence agents through the standard fence-agent interface
 * (as fence-agents and Pacemaker's fencer use it): the agent reads
 * key=value lines on stdin, "action=off|on|reboot|monitor|status|list|
 * metadata", the target as "plug=" and "port=" (and "nodename="), and the
 * device's own parameters from the stonith primitive; its exit code says
 * how it went (status: 0 on, 2 off). Non-blocking on the event loop, with
 * a timeout (SIGTERM, then SIGKILL to the agent's group). */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "executor.h"   /* struct exec_param */

#define FENCE_AGENT_DIR "/usr/sbin"

struct fence_request {
        const char *agent;        /* "fence_tandem_lab": a file in the agent directory */
        const char *action;       /* off, on, reboot, monitor, status, list, metadata, validate-all */
        const char *target;       /* the node to act on; NULL for monitor, list, metadata. Sent as
                                   * nodename=, and as plug=/port= unless the parameter
                                   * pcmk_host_map ("alice:1;bob:2") maps it to another plug. */
        /* The stonith primitive's instance attributes. Pacemaker's own
         * (pcmk_*, and the ones below that the fencer sets) are not passed. */
        const struct exec_param *params;
        size_t n_params;
        uint32_t timeout_ms;      /* 0: 60 s */
};

enum fence_outcome {
        FENCE_OK,                 /* done; for status: the target is on */
        FENCE_OFF,                /* status only: the target is off (exit code 2) */
        FENCE_FAILED,             /* the agent said it failed */
        FENCE_TIMEOUT,
        FENCE_NOT_INSTALLED,
};

struct fence_result {
        enum fence_outcome outcome;
        int exit_code;            /* -1 when the agent did not exit by itself */
        const char *output, *errout;
        uint32_t exec_ms;
};

typedef void (*fence_done_t)(const struct fence_request *req, const struct fence_result *res, void *userdata);

struct fencer;

/* agent_dir NULL: FENCE_AGENT_DIR. */
int fencer_new(sd_event *e, const char *agent_dir, struct fencer **ret);
void fencer_free(struct fencer *f);  /* kills what runs, no callbacks; NULL allowed */

/* Time between SIGTERM and SIGKILL of a timed-out agent (default 5 s). */
void fencer_set_kill_grace(struct fencer *f, uint64_t usec);

/* Run one action; done is called once. -EINVAL for a request that cannot
 * be sent safely (an agent name that is not fence_*, a value with a
 * newline, an action that needs a target without one). */
int fencer_run(struct fencer *f, const struct fence_request *req, fence_done_t done, void *userdata);

/* The stdin text for req (malloc'd), as fencer_run() sends it. */
int fence_request_text(const struct fence_request *req, char **ret);

const char *fence_outcome_to_string(enum fence_outcome o);
