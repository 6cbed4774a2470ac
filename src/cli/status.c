/* status.c: `tandem status`: ask tandem-clusterd. */
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
