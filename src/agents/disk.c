/* disk.c: ocf:tandem:disk, the promotable agent for a replicated volume
 * (tandem's counterpart of ocf:linbit:drbd). This version declares its
 * interface; the actions arrive with tandem-diskd's resources. */
#include "ocf.h"

static const struct ocf_param params[] = {
        { "resource", false, true, "string", NULL, "resource name",
          "The name of the replicated resource in /etc/tandem/disk.conf." },
        { "drbd_resource", false, true, "string", NULL, "resource name (ocf:linbit:drbd spelling)",
          "Alias of 'resource', so that configurations written for ocf:linbit:drbd work." },
        {}
};

static const struct ocf_action actions[] = {
        { "start", "240s", NULL, NULL },
        { "stop", "100s", NULL, NULL },
        { "promote", "90s", NULL, NULL },
        { "demote", "90s", NULL, NULL },
        { "notify", "90s", NULL, NULL },
        { "monitor", "20s", "interval=\"20s\" role=\"Slave\"", NULL },
        { "monitor", "20s", "interval=\"10s\" role=\"Master\"", NULL },
        { "meta-data", "5s", NULL, NULL },
        { "validate-all", "5s", NULL, NULL },
        {}
};

static const struct ocf_agent agent = {
        .name = "disk",
        .version = "0.1",
        .shortdesc = "tandem replicated volume",
        .longdesc = "Manages a tandem-diskd replicated resource as a promotable clone: "
                    "Promoted means Primary, Unpromoted means Secondary.",
        .params = params,
        .actions = actions,
};

int main(int argc, char **argv) {
        return ocf_main(&agent, argc, argv);
}
