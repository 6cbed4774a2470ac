/* clusterd.c: tandem-clusterd, the cluster resource manager.
 * This file holds main() and the control-socket dispatch
 * (docs/clusterd-protocol.md); membership and quorum come from
 * membership.c, the node's CIB from cib_local.c. */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "cib_local.h"
#include "daemon.h"
#include "log.h"
#include "membership.h"
#include "util.h"

struct clusterd {
        struct daemon_options opts;
        struct membership *membership;
        struct cib_local *cib;
};

static int clusterd_status(struct clusterd *cd, json_t **ret_reply) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        unsigned n = cib_local_resources(cd->cib);
        int r;

        r = membership_describe(cd->membership, &out);
        if (r >= 0)
                r = n == 0 ? buf_append_str(&out, "no resources configured\n")
                           : buf_printf(&out, "%u resource%s configured\n", n, n == 1 ? "" : "s");
        if (r < 0)
                return r;
        *ret_reply = ctl_reply_ok(out.data);
        if (*ret_reply) {
                json_object_set_new(*ret_reply, "quorate",
                                    json_boolean(membership_quorate(cd->membership)));
                json_object_set_new(*ret_reply, "members",
                                    json_integer((json_int_t) membership_count(cd->membership)));
                json_object_set_new(*ret_reply, "resources", json_integer((json_int_t) n));
                if (cib_local_add_version(cd->cib, *ret_reply) < 0) {
                        json_decref(*ret_reply);
                        *ret_reply = NULL;
                }
        }
        return *ret_reply ? 0 : -ENOMEM;
}

/* cib-apply, with one log line for what it did: the CIB's history is
 * read from the log when something has to be explained. */
static int clusterd_cib_apply(struct clusterd *cd, json_t *request, json_t **ret_reply) {
        int r = cib_local_request_apply(cd->cib, request, ret_reply);

        if (r < 0 || !*ret_reply)
                return r;
        if (json_is_true(json_object_get(*ret_reply, "ok")))
                log_info("CIB changed by a client: now at %s",
                         json_string_value(json_object_get(*ret_reply, "version")));
        else
                log_notice("CIB change refused: %s", json_string_value(json_object_get(*ret_reply, "error")));
        return 0;
}

static int on_request(const char *command, json_t *args, json_t *request, json_t **ret_reply,
                      void *userdata) {
        struct clusterd *cd = userdata;

        if (streq(command, "status"))
                return clusterd_status(cd, ret_reply);
        if (streq(command, "cib-read"))
                return cib_local_request_read(cd->cib, args, ret_reply);
        if (streq(command, "cib-apply"))
                return clusterd_cib_apply(cd, request, ret_reply);
        if (streq(command, "subscribe") || streq(command, "fence"))
                *ret_reply = ctl_reply_error(EOPNOTSUPP, "tandem-clusterd: '%s' needs the cluster layer, "
                                             "which this version does not run yet", command);
        else if (streq(command, "ping"))
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
                        .socket_path = "/run/tandem/clusterd.sock",
                        .extra_option = "cib-dir",
                        .extra_help = "      --cib-dir DIR     where the CIB is kept (default " CIB_STORE_DIR ")",
                },
        };
        _cleanup_buf_ struct buf report = BUF_INIT;
        const char *cib_dir;
        struct ctl_server *ctl;
        sd_event *loop;
        int r;

        r = daemon_parse_options(&cd.opts, argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        cib_dir = cd.opts.extra_value ? cd.opts.extra_value : CIB_STORE_DIR;
        r = cib_local_open(cib_dir, &report, &cd.cib);
        /* Each file passed over, on its own line. */
        for (char *line = report.data, *nl; line && *line; line = nl + 1) {
                nl = strchr(line, '\n');
                if (!nl)
                        break;
                log_warning("CIB in %s: %.*s", cib_dir, (int) (nl - line), line);
        }
        if (r == -ENODATA) {
                log_error("no intact CIB in %s (every file is damaged; see above): refusing to start "
                          "with an empty configuration", cib_dir);
                return 1;
        }
        if (r < 0) {
                log_error_errno(r, "cannot load the CIB from %s: %m", cib_dir);
                return 1;
        }
        if (cib_local_source(cd.cib))
                log_info("CIB loaded from %s/%s", cib_dir, cib_local_source(cd.cib));
        else
                log_info("no CIB in %s yet: starting from an empty one", cib_dir);
        if (daemon_start(&cd.opts, on_request, &cd, &loop, &ctl) < 0) {
                cib_local_free(cd.cib);
                return 1;
        }
        r = membership_new(loop, &cd.membership);
        if (r < 0) {
                log_error_errno(r, "cannot follow corosync membership: %m");
                ctl_server_free(ctl);
                sd_event_unref(loop);
                cib_local_free(cd.cib);
                return 1;
        }
        if (!membership_connected(cd.membership))
                log_notice("corosync is not reachable: running on the local CIB alone until it is");
        r = daemon_run(&cd.opts, loop, ctl);
        membership_free(cd.membership);
        cib_local_free(cd.cib);
        return r;
}
