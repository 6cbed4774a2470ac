/* clusterd.c: tandem-clusterd, the cluster resource manager.
 * This file holds main() and the control-socket dispatch; membership and
 * quorum come from membership.c. The CIB, scheduler and executor arrive
 * as their own modules. */
#include <errno.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"
#include "membership.h"
#include "util.h"

struct clusterd {
        struct daemon_options opts;
        struct membership *membership;
};

static int clusterd_status(struct clusterd *cd, json_t **ret_reply) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        int r;

        r = membership_describe(cd->membership, &out);
        if (r >= 0)
                r = buf_append_str(&out, "no resources configured\n");
        if (r < 0)
                return r;
        *ret_reply = ctl_reply_ok(out.data);
        if (*ret_reply) {
                json_object_set_new(*ret_reply, "quorate",
                                    json_boolean(membership_quorate(cd->membership)));
                json_object_set_new(*ret_reply, "members",
                                    json_integer((json_int_t) membership_count(cd->membership)));
        }
        return *ret_reply ? 0 : -ENOMEM;
}

static int on_request(const char *command, json_t *args, json_t *request, json_t **ret_reply,
                      void *userdata) {
        struct clusterd *cd = userdata;

        if (streq(command, "status"))
                return clusterd_status(cd, ret_reply);
        if (streq(command, "ping"))
                *ret_reply = daemon_ping_reply(&cd->opts);
        else
                *ret_reply = ctl_reply_error(EOPNOTSUPP, "tandem-clusterd: unknown command '%s'", command);
        return *ret_reply ? 0 : -ENOMEM;
}

int main(int argc, char **argv) {
        struct clusterd cd = {
                .opts = {
                        .name = "tandem-clusterd",
                        .summary = "Cluster resource manager of tandem, on corosync.",
                        .config_path = "/var/lib/tandem/cib.xml",
                        .socket_path = "/run/tandem/clusterd.sock",
                },
        };
        struct ctl_server *ctl;
        sd_event *loop;
        int r;

        r = daemon_parse_options(&cd.opts, argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (daemon_start(&cd.opts, on_request, &cd, &loop, &ctl) < 0)
                return 1;
        r = membership_new(loop, &cd.membership);
        if (r < 0) {
                log_error_errno(r, "cannot follow corosync membership: %m");
                ctl_server_free(ctl);
                sd_event_unref(loop);
                return 1;
        }
        r = daemon_run(&cd.opts, loop, ctl);
        membership_free(cd.membership);
        return r;
}
