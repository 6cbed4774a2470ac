/* SPDX-License-Identifier: GPL-2.0-or-later */
/* simulate.c: `tandem simulate -x CIB.xml [-R|-S] [-s]`: runs the
 * scheduler on a CIB file and prints what crm_simulate prints for the
 * same flags: the status, the transition summary, the executed actions
 * and the revised status. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cib.h"
#include "cli.h"
#include "scheduler.h"
#include "util.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: tandem simulate -x CIB.xml [-R | -S] [-s]\n\n"
                   "  -x, --xml-file FILE  the CIB to schedule\n"
                   "  -R, --run            compute and print the transition summary\n"
                   "  -S, --simulate       also run the transition and print the revised status\n"
                   "  -s, --show-scores    print allocation and promotion scores\n");
}

int cli_simulate(int argc, char **argv) {
        static const struct option options[] = {
                { "xml-file", required_argument, NULL, 'x' },
                { "run", no_argument, NULL, 'R' },
                { "simulate", no_argument, NULL, 'S' },
                { "show-scores", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct sched_options opts = { .now = time(NULL) };
        const char *file = NULL;
        bool run = false, simulate = false;
        struct cib *cib = NULL;
        struct sched *s = NULL;
        char why[2048], date[64] = "";
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "x:RSsh", options, NULL)) >= 0)
                switch (c) {
                case 'x': file = optarg; break;
                case 'R': run = true; break;
                case 'S': run = simulate = true; break;
                case 's': opts.show_scores = true; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        if (!file || optind < argc) {
                usage(stderr);
                return 2;
        }
        r = cib_load(file, &cib, why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "tandem simulate: %s\n", why);
                return 1;
        }
        if (cib->validation_disabled)
                printf("Schema validation of configuration is disabled (enabling is encouraged and prevents common misconfigurations)\n");
        if (cib->execution_date) {
                opts.now = cib->execution_date;
                strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%SZ", gmtime(&opts.now));
                printf("Using the original execution date of: %s\n", date);
        }
        r = sched_new(cib, &opts, &s, why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "tandem simulate: %s\n", why);
                cib_free(cib);
                return 1;
        }
        sched_print_problems(s, stdout);
        printf("Current cluster status:\n");
        sched_print_status(s, stdout);
        if (run || opts.show_scores)
                sched_compute(s);
        if (opts.show_scores)
                sched_print_scores(s, stdout);
        if (run) {
                printf("\nTransition Summary:\n");
                sched_print_summary(s, stdout);
        }
        if (simulate) {
                printf("\nExecuting Cluster Transition:\n");
                sched_execute(s, stdout);
                if (*date)
                        printf("Using the original execution date of: %s\n", date);
                printf("\nRevised Cluster Status:\n");
                sched_print_status(s, stdout);
        }
        sched_free(s);
        cib_free(cib);
        return 0;
}
