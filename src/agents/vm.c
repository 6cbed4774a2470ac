/* vm.c: ocf:tandem:vm, a QEMU virtual machine under the cluster, driven
 * over QMP (tandem's counterpart of ocf:heartbeat:VirtualDomain). This
 * version declares its interface; the actions arrive with the VM layer. */
#include "ocf.h"

static const struct ocf_param params[] = {
        { "name", true, true, "string", NULL, "VM name", "Name of the virtual machine." },
        { "memory", false, false, "integer", "128", "memory in MiB", "Guest memory in MiB." },
        { "cpus", false, false, "integer", "1", "virtual CPUs", "Number of virtual CPUs." },
        { "disks", false, false, "string", NULL, "tandem resources",
          "Space-separated tandem resources whose volume 0 become the guest's disks." },
        { "accelerator", false, false, "string", "tcg", "kvm, tcg or auto", "QEMU accelerator." },
        {}
};

static const struct ocf_action actions[] = {
        { "start", "120s", NULL, NULL },
        { "stop", "120s", NULL, NULL },
        { "monitor", "30s", "interval=\"10s\"", NULL },
        { "migrate_to", "120s", NULL, NULL },
        { "migrate_from", "60s", NULL, NULL },
        { "meta-data", "5s", NULL, NULL },
        { "validate-all", "5s", NULL, NULL },
        {}
};

static const struct ocf_agent agent = {
        .name = "vm",
        .version = "0.1",
        .shortdesc = "QEMU virtual machine",
        .longdesc = "Runs a QEMU virtual machine whose disks are tandem replicated volumes "
                    "served over NBD, with live migration.",
        .params = params,
        .actions = actions,
};

int main(int argc, char **argv) {
        return ocf_main(&agent, argc, argv);
}
