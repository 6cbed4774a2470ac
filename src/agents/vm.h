/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vm.h: ocf:tandem:vm's parts: the configuration read from OCF_RESKEY_*,
 * the QEMU command line built from it, the life of one QEMU process
 * (vm_qemu.c) and live migration (vm_migrate.c). See docs/vm-agent.md.
 *
 * A VM under the agent, as seen on one node (the run state QMP reports
 * in brackets, what monitor returns after the arrow):
 *
 *                 start                       migrate_to (completed)
 *   stopped ----------------> running ----------------------> moved away
 *   (no QEMU)  -> NOT_RUNNING  [running] -> SUCCESS            [postmigrate] -> NOT_RUNNING
 *      ^  ^                      |   \ paused, crashed, I/O error     |
 *      |  |            stop      |    \ [paused, guest-panicked, ...] |
 *      |  +----------------------+     -> ERR_GENERIC                 |
 *      |                     stop (quit)                              |
 *      +--------------------------------------------------------------+
 *      |
 *      |  migrate_listen            migration completes, migrate_from
 *      +----------------> incoming -------------------------------> running
 *         migrate_abort   [inmigrate] -> NOT_RUNNING
 *
 * Every transition starts from what the QMP socket and the pid file say
 * now, so an action that is interrupted leaves a state the next one
 * recognizes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ocf.h"
#include "qmp.h"

struct vm_config {
        const char *name;
        unsigned memory_mib;
        unsigned cpus;
        char **disks;           /* NULL-terminated words of "disks" */
        const char *kernel, *initrd, *append;
        const char *qemu;       /* the QEMU binary */
        const char *qemu_args;  /* extra arguments, split like a shell does */
        const char *accelerator; /* "kvm", "tcg", "auto" */
        const char *migration_address; /* "%n" stands for the target node */
        unsigned port_min, port_max;
        unsigned migration_downtime_ms;
        unsigned migration_speed_mib;  /* 0: QEMU's default */
        unsigned shutdown_timeout_s;
        const char *migrate_hook;      /* NULL: run migrate_listen here */

        char *run_dir;          /* $TANDEM_RUN_DIR (default /run/tandem) */
        char *vm_dir;           /* run_dir/vm */
        char *qmp_path, *pid_path, *console_path;
        int64_t deadline_usec;  /* CLOCK_MONOTONIC end of this action */
};

/* Reads the configuration from the environment. Returns an OCF code:
 * OCF_ERR_CONFIGURED with a logged reason for bad values, or
 * OCF_ERR_GENERIC when out of memory. */
int vm_config_load(const struct ocf_agent *a, struct vm_config *ret);
void vm_config_free(struct vm_config *c);

/* validate-all beyond the parameter types: the QEMU binary and the kernel
 * files exist (OCF_ERR_INSTALLED), the accelerator and the port range make
 * sense (OCF_ERR_CONFIGURED). */
int vm_validate(const struct ocf_agent *a);

/* Milliseconds left until the action's deadline, at least min_ms. */
int vm_remaining_ms(const struct vm_config *c, int min_ms);

/* The node this agent runs on: the OCF node name if the cluster gave it,
 * else uname's. Not freed. */
const char *vm_local_node(void);

/* QEMU's argument vector for c (NULL-terminated, malloc'd strings in a
 * malloc'd array; free with vm_argv_free). incoming adds "-incoming
 * defer" for the target of a migration. -ENOMEM, or -EINVAL with a reason
 * when qemu_args cannot be split. */
int vm_qemu_argv(const struct vm_config *c, bool incoming, char ***ret, char *why, size_t why_size);
void vm_argv_free(char **argv);

/* What runs here: the pid of this VM's QEMU (0 if none), and if QMP
 * answered its run state ("running", "inmigrate", ...; NULL when QMP did
 * not answer, with the reason logged). */
struct vm_probe {
        pid_t pid;
        char *status;
};
void vm_probe(const struct vm_config *c, struct vm_probe *ret);
void vm_probe_clear(struct vm_probe *p);

/* Connects to this VM's QMP socket before the action's deadline. Logs
 * and returns a negative errno on failure. */
int vm_qmp_connect(const struct vm_config *c, struct qmp **ret);

/* The QMP run state in a fresh string. */
int vm_query_status(struct qmp *q, char **ret);

/* Starts QEMU daemonized (incoming: waiting for a migration) and waits for
 * its QMP socket. Returns an OCF code. */
int vm_qemu_launch(const struct vm_config *c, bool incoming);

/* Ends QEMU: graceful (ACPI powerdown and up to shutdown_timeout for the
 * guest) only when the VM runs; then quit, then SIGKILL. Returns an OCF
 * code; a VM that is not there is OCF_SUCCESS. */
int vm_qemu_stop(const struct vm_config *c, bool graceful);

/* The OCF monitor result for a QMP run state. */
int vm_status_to_ocf(const char *status);

/* The actions. */
int vm_action_start(const struct ocf_agent *a);
int vm_action_stop(const struct ocf_agent *a);
int vm_action_monitor(const struct ocf_agent *a);
int vm_action_migrate_to(const struct ocf_agent *a);
int vm_action_migrate_from(const struct ocf_agent *a);
int vm_action_migrate_listen(const struct ocf_agent *a);
int vm_action_migrate_abort(const struct ocf_agent *a);
