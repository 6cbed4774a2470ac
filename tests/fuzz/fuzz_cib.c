/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the CIB loader and the scheduler: arbitrary bytes
 * as a CIB. A rejection must be -EINVAL with a message (or -ENOMEM); an
 * accepted CIB must go through the whole scheduler and its printers
 * without a crash, as `tandem simulate -S` runs them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cib.h"
#include "scheduler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sched_options opts = { .now = 1700000000 };
        struct cib *c = NULL;
        struct sched *s = NULL;
        char why[1024] = "";
        FILE *null;
        int r;

        r = cib_parse((const char *) data, size, &c, why, sizeof(why));
        if (r < 0) {
                if (c || (r == -EINVAL && !why[0]) || (r != -EINVAL && r != -ENOMEM && r != -EFBIG))
                        abort();
                return 0;
        }
        null = fopen("/dev/null", "w");
        if (!null)
                abort();
        if (sched_new(c, &opts, &s, why, sizeof(why)) == 0) {
                sched_print_status(s, null);
                sched_compute(s);
                sched_print_summary(s, null);
                sched_execute(s, null);
                sched_print_status(s, null);
                sched_free(s);
        }
        fclose(null);
        cib_free(c);
        return 0;
}
