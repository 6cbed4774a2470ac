/* diskd.c: tandem-diskd, the replicated volume daemon.
 * This file holds main() and the control-socket dispatch. Resources,
 * replication and the NBD export arrive as their own modules. */
#include <errno.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

struct diskd {
        struct daemon_options opts;
};

static int diskd_status(struct diskd *d, json_t **ret_reply) {
        /* drbd.conf parsing is the next step of the storage layer; until it
         * lands no resource can be configured. */
        *ret_reply = ctl_reply_ok("no resources configured\n");
        return *ret_reply ? 0 : -ENOMEM;
}

static int on_request(const char *command, json_t *args, json_t *request, json_t **ret_reply,
                      void *userdata) {
        struct diskd *d = userdata;

        if (streq(command, "status"))
                return diskd_status(d, ret_reply);
        if (streq(command, "ping"))
                *ret_reply = daemon_ping_reply(&d->opts);
        else
                *ret_reply = ctl_reply_error(EOPNOTSUPP, "tandem-diskd: unknown command '%s'", command);
        return *ret_reply ? 0 : -ENOMEM;
}

int main(int argc, char **argv) {
        struct diskd d = {
                .opts = {
                        .name = "tandem-diskd",
                        .summary = "Replicated volume daemon of tandem.",
                        .config_path = "/etc/tandem/disk.conf",
                        .socket_path = "/run/tandem/diskd.sock",
                },
        };
        struct ctl_server *ctl;
        sd_event *loop;
        int r;

        r = daemon_parse_options(&d.opts, argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (daemon_start(&d.opts, on_request, &d, &loop, &ctl) < 0)
                return 1;
        return daemon_run(&d.opts, loop, ctl);
}
