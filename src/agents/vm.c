/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vm.c: ocf:tandem:vm, a QEMU virtual machine under the cluster, driven
 * over QMP (tandem's counterpart of ocf:heartbeat:VirtualDomain): its
 * parameters, its actions and main(). The parts are in vm.h. */
#include <stdio.h>

#include "log.h"
#include "vm.h"

static const struct ocf_param params[] = {
        { "name", true, true, "string", NULL, "VM name",
          "Name of the virtual machine; its QMP socket is /run/tandem/vm/NAME.qmp and its serial console "
          "is logged to /run/tandem/vm/NAME.console ($TANDEM_RUN_DIR replaces /run/tandem)." },
        { "memory", false, false, "integer", "128", "memory in MiB", "Guest memory in MiB." },
        { "cpus", false, false, "integer", "1", "virtual CPUs", "Number of virtual CPUs." },
        { "disks", false, false, "string", NULL, "tandem resources or image paths",
          "Space-separated disks of the guest, in order (vda, vdb, ...): a tandem resource name R "
          "opens volume 0 of R over NBD (nbd+unix:///0?socket=/run/tandem/R.nbd); a word with a '/' "
          "is a raw image file or block device (shared storage, tests)." },
        { "kernel", false, false, "string", NULL, "kernel image",
          "Boot this kernel directly (QEMU -kernel). Without it the guest boots from its first disk." },
        { "initrd", false, false, "string", NULL, "initial ramdisk", "Initial ramdisk for kernel." },
        { "append", false, false, "string", NULL, "kernel command line", "Kernel command line for kernel." },
        { "qemu", false, false, "string", "qemu-system-x86_64", "QEMU binary", "The QEMU system emulator to run." },
        { "qemu_args", false, false, "string", NULL, "extra QEMU arguments",
          "More QEMU arguments, split into words like a shell does (quotes, no command substitution)." },
        { "accelerator", false, false, "string", "tcg", "kvm, tcg or auto",
          "QEMU accelerator; auto tries kvm, then tcg. tcg is the default because guest kernels hang "
          "under kvm on the machines tandem is tested on." },
        { "migration_address", false, false, "string", "%n", "migration address",
          "Address or host name on which the target of a live migration listens and to which the "
          "source sends; %n stands for the target's node name." },
        { "migration_port_range", false, false, "string", "49152-49215", "migration ports",
          "TCP ports FIRST-LAST; the target listens on the first one free." },
        { "migration_downtime", false, false, "integer", "300", "maximum downtime in ms",
          "The longest pause of the guest that QEMU may plan for the last phase of a live migration "
          "(QMP downtime-limit)." },
        { "migration_speed", false, false, "integer", "0", "bandwidth in MiB/s",
          "Bandwidth limit of a live migration in MiB/s (QMP max-bandwidth); 0 keeps QEMU's default." },
        { "migrate_hook", false, false, "string", NULL, "command that runs the agent on the target",
          "Command to which migrate_to appends an action (migrate_listen, migrate_abort) and which "
          "must run this agent with that action and the same OCF_RESKEY_* on the migration target, "
          "passing its standard output back. Default: $TANDEM_VM_MIGRATE_HOOK, which tandem-clusterd "
          "sets; without either the target must be this node." },
        { "shutdown_timeout", false, false, "integer", "60", "seconds for ACPI shutdown",
          "How long stop waits for the guest to power off after the ACPI power button before it "
          "quits QEMU (never longer than the stop timeout allows)." },
        {}
};

static const struct ocf_action actions[] = {
        { "start", "120s", NULL, vm_action_start },
        { "stop", "120s", NULL, vm_action_stop },
        { "monitor", "30s", "interval=\"10s\"", vm_action_monitor },
        { "migrate_to", "120s", NULL, vm_action_migrate_to },
        { "migrate_from", "60s", NULL, vm_action_migrate_from },
        { "meta-data", "5s", NULL, NULL },
        { "validate-all", "5s", NULL, NULL },
        {}
};

/* Run on the migration target by migrate_to through migrate_hook. */
static const struct ocf_action helper_actions[] = {
        { "migrate_listen", "60s", NULL, vm_action_migrate_listen },
        { "migrate_abort", "60s", NULL, vm_action_migrate_abort },
        {}
};

static const struct ocf_agent agent = {
        .name = "vm",
        .version = "0.2",
        .shortdesc = "QEMU virtual machine",
        .longdesc = "Runs a QEMU virtual machine whose disks are tandem replicated volumes "
                    "served over NBD, driven over QMP, with live migration (allow-migrate=true).",
        .params = params,
        .actions = actions,
        .helper_actions = helper_actions,
        .validate = vm_validate,
};

int main(int argc, char **argv) {
        const char *instance = getenv("OCF_RESOURCE_INSTANCE");
        char ident[64];

        snprintf(ident, sizeof(ident), "vm(%s)", instance && *instance ? instance : "-");
        log_set_ident(ident);
        log_set_target(LOG_TARGET_STDERR);
        return ocf_main(&agent, argc, argv);
}
