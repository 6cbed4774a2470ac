/* ocf.h: what tandem's OCF resource agents share: the exit codes and
 * parameter access of the OCF 1.1 standard, and action dispatch. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum ocf_exit {
        OCF_SUCCESS = 0,
        OCF_ERR_GENERIC = 1,
        OCF_ERR_ARGS = 2,
        OCF_ERR_UNIMPLEMENTED = 3,
        OCF_ERR_PERM = 4,
        OCF_ERR_INSTALLED = 5,
        OCF_ERR_CONFIGURED = 6,
        OCF_NOT_RUNNING = 7,
        OCF_RUNNING_PROMOTED = 8,
        OCF_FAILED_PROMOTED = 9,
        OCF_DEGRADED = 190,
        OCF_DEGRADED_PROMOTED = 191,
};

/* One instance parameter as the agent declares it in its meta-data. */
struct ocf_param {
        const char *name;
        bool required;
        bool unique;
        const char *type;       /* "string", "integer", "boolean" */
        const char *def;        /* default, or NULL */
        const char *shortdesc;
        const char *longdesc;
};

struct ocf_agent;

struct ocf_action {
        const char *name;
        const char *timeout;    /* advisory default, "20s" */
        const char *extra;      /* extra XML attributes, e.g. interval/role, or NULL */
        /* Runs the action; NULL means the agent does not implement it yet. */
        int (*run)(const struct ocf_agent *a);
};

struct ocf_agent {
        const char *name;        /* "disk" */
        const char *version;
        const char *shortdesc;
        const char *longdesc;
        const struct ocf_param *params;   /* terminated by a NULL name */
        const struct ocf_action *actions; /* terminated by a NULL name */
        /* Actions left out of the meta-data: helpers that the cluster calls
         * by name, not ones Pacemaker schedules (vm's migrate_listen).
         * NULL, or terminated by a NULL name. */
        const struct ocf_action *helper_actions;
        /* The agent's own checks for validate-all, after the declared
         * parameters passed theirs; NULL for none. Returns an OCF code. */
        int (*validate)(const struct ocf_agent *a);
};

/* OCF_RESKEY_<name> from the environment, or the declared default, or
 * NULL. */
const char *ocf_param_value(const struct ocf_agent *a, const char *name);

/* Check the declared required parameters and types; prints what is wrong
 * and returns OCF_ERR_CONFIGURED, or OCF_SUCCESS. */
int ocf_validate_params(const struct ocf_agent *a);

/* The agent's main(): meta-data, usage, validate-all, and the agent's own
 * actions. Returns the OCF exit code. */
int ocf_main(const struct ocf_agent *a, int argc, char **argv);
