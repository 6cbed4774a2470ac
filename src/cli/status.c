/* status.c: `tandem status` and `tandem disk status`: ask the daemons. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int cli_status(int argc, char **argv) {
        if (argc > 1 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                printf("Usage: tandem status\nShow membership, quorum and resources, as tandem-clusterd sees them.\n");
                return 0;
        }
        if (argc > 1) {
                fprintf(stderr, "tandem status: unexpected argument '%s'\n", argv[1]);
                return 2;
        }
        return cli_call_daemon("clusterd.sock", "tandem-clusterd", "status", 0, NULL);
}

int cli_disk(int argc, char **argv) {
        if (argc < 2 || streq(argv[1], "-h") || streq(argv[1], "--help")) {
                printf("Usage: tandem disk status\nShow the replicated resources, as tandem-diskd sees them.\n");
                return argc < 2 ? 2 : 0;
        }
        if (streq(argv[1], "status")) {
                if (argc > 2) {
                        fprintf(stderr, "tandem disk status: unexpected argument '%s'\n", argv[2]);
                        return 2;
                }
                return cli_call_daemon("diskd.sock", "tandem-diskd", "status", 0, NULL);
        }
        fprintf(stderr, "tandem disk: unknown command '%s'\n", argv[1]);
        return 2;
}
