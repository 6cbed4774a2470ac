/* lab.c: argument parsing for `tandem lab` (the lab itself is src/lab/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lab.h"
#include "util.h"

static void lab_usage(FILE *f) {
        fprintf(f,
                "Usage: tandem lab COMMAND\n\n"
                "  up N                  create N hosts (alice, bob, ...) and start corosync and\n"
                "                        tandem on each; returns when the cluster is quorate\n"
                "  exec NODE -- CMD...   run a command on a host (exit status: the command's,\n"
                "                        or 125 when it could not be run there)\n"
                "  cut NODE [PEER]       drop all traffic between NODE and PEER (or everyone)\n"
                "  heal [NODE]           undo the cuts of NODE (or all cuts)\n"
                "  crash NODE            kill every process of NODE at once (power loss)\n"
                "  boot NODE             start a crashed host again\n"
                "  status                hosts, addresses, state, quorum, cut links\n"
                "  down                  remove the lab, leaving nothing behind\n"
                "\nHosts are on " LAB_SUBNET ".0/24 behind a bridge in a namespace of its own.\n"
                "See docs/lab.md. All commands need root.\n");
}

/* Exit status of a lab call: 0, or 1 on error (already printed). */
static int status_of(int r) {
        return r < 0 ? 1 : 0;
}

static int want_args(int argc, int min, int max, const char *usage) {
        if (argc - 1 < min || argc - 1 > max) {
                fprintf(stderr, "Usage: tandem lab %s\n", usage);
                return -EINVAL;
        }
        return 0;
}

int cli_lab(int argc, char **argv) {
        const char *cmd = argc > 1 ? argv[1] : NULL;
        unsigned n;

        if (!cmd || streq(cmd, "-h") || streq(cmd, "--help")) {
                lab_usage(cmd ? stdout : stderr);
                return cmd ? 0 : 2;
        }
        argc--;
        argv++;
        if (geteuid() != 0) {
                fprintf(stderr, "tandem lab: must be run as root (it creates namespaces and mounts)\n");
                return 1;
        }
        if (streq(cmd, "up")) {
                uint64_t v;
                if (want_args(argc, 1, 1, "up N") < 0)
                        return 2;
                if (parse_u64(argv[1], &v) < 0 || v < 1 || v > LAB_MAX_HOSTS) {
                        fprintf(stderr, "tandem lab up: N must be a number from 1 to %d, not '%s'\n",
                                LAB_MAX_HOSTS, argv[1]);
                        return 2;
                }
                n = (unsigned) v;
                return status_of(lab_up(n));
        }
        if (streq(cmd, "down"))
                return want_args(argc, 0, 0, "down") < 0 ? 2 : status_of(lab_down());
        if (streq(cmd, "status"))
                return want_args(argc, 0, 0, "status") < 0 ? 2 : status_of(lab_status(stdout));
        if (streq(cmd, "cut"))
                return want_args(argc, 1, 2, "cut NODE [PEER]") < 0 ? 2
                       : status_of(lab_cut(argv[1], argc > 2 ? argv[2] : NULL));
        if (streq(cmd, "heal"))
                return want_args(argc, 0, 1, "heal [NODE]") < 0 ? 2
                       : status_of(lab_heal(argc > 1 ? argv[1] : NULL));
        if (streq(cmd, "crash"))
                return want_args(argc, 1, 1, "crash NODE") < 0 ? 2 : status_of(lab_crash(argv[1]));
        if (streq(cmd, "boot"))
                return want_args(argc, 1, 1, "boot NODE") < 0 ? 2 : status_of(lab_boot(argv[1]));
        if (streq(cmd, "exec")) {
                int first = 2;
                if (argc < 2) {
                        fprintf(stderr, "Usage: tandem lab exec NODE -- CMD...\n");
                        return 2;
                }
                if (argc > 2 && streq(argv[2], "--"))
                        first = 3;
                if (first >= argc) {
                        fprintf(stderr, "tandem lab exec: no command given (tandem lab exec NODE -- CMD...)\n");
                        return 2;
                }
                /* 125 as env(1) and timeout(1) use it: the lab could not run
                 * the command; anything else is the command's own status. */
                int r = lab_exec(argv[1], argv + first);
                return r < 0 ? 125 : r;
        }
        fprintf(stderr, "tandem lab: unknown command '%s'\n", cmd);
        lab_usage(stderr);
        return 2;
}
