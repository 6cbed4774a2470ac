/* executor.h: runs OCF resource agents as OCF 1.1 says, on the daemon's
 * event loop: OCF_ROOT/resource.d/PROVIDER/TYPE ACTION with OCF_ROOT,
 * OCF_RESOURCE_INSTANCE, _TYPE, _PROVIDER, OCF_RESKEY_<param> and
 * OCF_RESKEY_CRM_meta_* in the environment; timeouts (SIGTERM, then
 * SIGKILL to the agent's process group); exit codes mapped to results as
 * Pacemaker records them; recurring monitors. Operations on one resource
 * run one at a time in the order asked (a recurring run that comes due
 * meanwhile waits its turn); different resources run side by side.
 * Results become Pacemaker's lrm_rsc_op elements through exec_op_xml(). */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <time.h>

/* The OCF exit codes (enum ocf_exit: OCF_SUCCESS ... OCF_FAILED_PROMOTED,
 * OCF_DEGRADED...), shared with tandem's own agents. */
#include "ocf.h"

/* How the execution went: Pacemaker's op-status values. DONE means the
 * agent ran and gave one of the codes above (even a failure); a code it
 * may not give, or a crash, is ERROR. */
enum exec_status {
        EXEC_PENDING = -1,
        EXEC_DONE = 0,
        EXEC_CANCELLED = 1,
        EXEC_TIMEOUT = 2,
        EXEC_NOT_SUPPORTED = 3,
        EXEC_ERROR = 4,
        EXEC_NOT_INSTALLED = 7,
};

struct exec_param {
        const char *name;
        const char *value;
};

/* One operation. Strings are copied by the executor. */
struct exec_request {
        const char *rsc_id;       /* OCF_RESOURCE_INSTANCE ("vm1", "db:0") */
        const char *provider;     /* "heartbeat" */
        const char *type;         /* "Dummy" */
        const char *action;       /* start, stop, monitor, promote, demote, notify, migrate_to, ... */
        uint32_t interval_ms;     /* > 0 only for recurring monitors */
        uint32_t timeout_ms;      /* 0: 20 s */
        const char *node;         /* this node's name: CRM_meta_on_node */
        const char *migrate_source, *migrate_target;  /* migrate_to/from; NULL otherwise */
        const struct exec_param *params;   /* OCF_RESKEY_<name> */
        size_t n_params;
        /* OCF_RESKEY_CRM_meta_<name>, '-' written as '_': clone_max,
         * notify_type, notify_start_uname, ...; promoted/unpromoted
         * names are also exported under their old master/slave words. */
        const struct exec_param *meta;
        size_t n_meta;
};

struct exec_result {
        int call_id;
        int rc;                   /* OCF exit code; OCF_ERR_GENERIC when there is none */
        enum exec_status status;
        const char *output;       /* the agent's stdout (last 64 KiB; meta-data: up to 4 MiB) */
        const char *errout;       /* its stderr (last 64 KiB) */
        const char *exit_reason;  /* the last "ocf-exit-reason:" line of stderr, or "" */
        uint32_t exec_ms;
        uint32_t queue_ms;        /* waiting for the resource's previous operations */
        time_t last_run;          /* wall clock when it started */
        time_t last_rc_change;    /* when rc/status last changed (recurring: across runs) */
};

/* Called with each result; result lives until the callback returns. */
typedef void (*exec_done_t)(const struct exec_request *req, const struct exec_result *result, void *userdata);

struct executor;
struct exec_recurring;

/* ocf_root NULL: the configured default (/usr/lib/ocf). */
int executor_new(sd_event *e, const char *ocf_root, struct executor **ret);
/* Kills what runs (no callbacks) and frees. NULL allowed. */
void executor_free(struct executor *ex);

/* Time between SIGTERM and SIGKILL of a timed-out agent (default 5 s). */
void executor_set_kill_grace(struct executor *ex, uint64_t usec);

/* Run one operation; done is called once with its result. An agent that
 * is not there is a result (rc 5, not installed), not an error. Returns
 * the call id (> 0) or a negative errno (-EINVAL for a bad request). */
int executor_run(struct executor *ex, const struct exec_request *req, exec_done_t done, void *userdata);

/* Cancel a running operation by call id: killed, and done is called with
 * status CANCELLED. -ENOENT when it is not running. */
int executor_cancel(struct executor *ex, int call_id);

/* Start a recurring operation (req->interval_ms > 0): run now, then
 * interval_ms after each run ends. on_change is called with the first
 * result and whenever rc or status differ from the previous run. */
int executor_recurring_start(struct executor *ex, const struct exec_request *req, exec_done_t on_change,
                             void *userdata, struct exec_recurring **ret);
/* Stop it (a run in progress is killed without callback). NULL allowed. */
void executor_recurring_stop(struct exec_recurring *r);

/* Number of agent processes running now. */
unsigned executor_running(const struct executor *ex);

/* Pacemaker's name for an OCF exit code ("not running", "promoted") and
 * for an op-status ("Timed Out"). */
const char *exec_rc_to_string(int rc);
const char *exec_status_to_string(enum exec_status s);

/* "RSC_ACTION_INTERVAL", Pacemaker's operation key. malloc'd. */
char *exec_op_key(const char *rsc_id, const char *action, uint32_t interval_ms);

/* The lrm_rsc_op element Pacemaker keeps in the status section for this
 * result. `transition_key` ("ACTION:TRANSITION:TARGET_RC:UUID") may be
 * NULL outside a transition; then no transition-key/magic is written.
 * The id is the operation key for a recurring operation, else
 * RSC_last_failure_0 when `failure` (the result was not the expected
 * one), else RSC_last_0. Returns 0 and a new unlinked node owned by
 * `doc` (may be NULL). */
int exec_op_xml(xmlDoc *doc, const struct exec_request *req, const struct exec_result *res,
                const char *transition_key, bool failure, xmlNode **ret);
