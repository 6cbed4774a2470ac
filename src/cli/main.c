/* main.c: the `tandem` command: dispatch to the subcommand groups. The
 * language follows crmsh (`tandem status`, `tandem configure ...`) with
 * `tandem disk` in place of drbdadm and `tandem lab` for the test lab. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "build-config.h"
#include "ctl.h"
#include "util.h"

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *help;
} groups[] = {
        { "status", cli_status, "show the cluster's state (like crm status)" },
        { "configure", cli_configure, "the cluster configuration in crmsh's language" },
        { "disk", cli_disk, "replicated volumes (like drbdadm)" },
        { "lab", cli_lab, "a whole cluster on this machine, in namespaces" },
        { "simulate", cli_simulate, "run the scheduler on a CIB file (like crm_simulate)" },
};

static void usage(FILE *f) {
        fprintf(f, "Usage: tandem COMMAND [ARGS...]\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                fprintf(f, "  %-10s %s\n", groups[i].name, groups[i].help);
        fprintf(f, "  %-10s %s\n", "version", "print the version");
        fprintf(f, "\n'tandem COMMAND --help' tells more about each.\n");
}

const char *cli_socket_path(const char *name, char *buf, size_t size) {
        const char *dir = getenv("TANDEM_RUN_DIR");
        snprintf(buf, size, "%s/%s", dir && *dir ? dir : "/run/tandem", name);
        return buf;
}

int cli_call_daemon(const char *socket_name, const char *daemon, const char *command,
                    int argc, char **argv) {
        _cleanup_(json_decrefp) json_t *req = ctl_request_new(command, argc, argv);
        _cleanup_(json_decrefp) json_t *reply = NULL;
        const char *text;
        char path[4096];
        int r;

        if (!req) {
                fprintf(stderr, "tandem: out of memory\n");
                return 1;
        }
        cli_socket_path(socket_name, path, sizeof(path));
        r = ctl_call(path, req, 30 * 1000, &reply);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                fprintf(stderr, "tandem: %s is not running (nothing answers on %s)\n", daemon, path);
                return 3;
        }
        if (r == -EBADMSG) {
                fprintf(stderr, "tandem: %s sent a malformed reply on %s\n", daemon, path);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "tandem: cannot talk to %s on %s: %s\n", daemon, path, strerror(-r));
                return 1;
        }
        if (json_is_true(json_object_get(reply, "ok"))) {
                text = json_string_value(json_object_get(reply, "output"));
                if (text)
                        fputs(text, stdout);
                return 0;
        }
        text = json_string_value(json_object_get(reply, "error"));
        fprintf(stderr, "%s\n", text ? text : "the daemon reported an error without a message");
        return 1;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (streq(argv[1], "-h") || streq(argv[1], "--help") || streq(argv[1], "help")) {
                usage(stdout);
                return 0;
        }
        if (streq(argv[1], "version") || streq(argv[1], "--version")) {
                puts("tandem " TANDEM_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                if (streq(argv[1], groups[i].name))
                        return groups[i].run(argc - 1, argv + 1);
        fprintf(stderr, "tandem: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
}
