/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the disk.conf parser: arbitrary bytes as a
 * configuration (includes disabled, so nothing outside the input is read).
 * An error must name "fuzz.conf:LINE:COL"; a success must dump, and the
 * dump must parse and dump again to the same text (the whole configuration
 * and each self-contained resource alone). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disk_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct disk_config_parse_options opts = { .forbid_include = true };

/* Dumps c (or one resource), parses the dump, dumps again: same text. */
static void round_trip(const struct disk_config *c, const char *resource) {
        _cleanup_buf_ struct buf first = BUF_INIT, second = BUF_INIT;
        struct disk_config_error err;
        struct disk_config *again = NULL;

        if (disk_config_dump(c, resource, &first) < 0)
                abort();
        if (disk_config_parse("dump.conf", first.data ? first.data : "", first.len, &opts, &again, &err) < 0) {
                fprintf(stderr, "dump does not parse: %s\n%s", err.message, first.data);
                abort();
        }
        if (disk_config_dump(again, NULL, &second) < 0)
                abort();
        if (first.len != second.len || (first.len && memcmp(first.data, second.data, first.len) != 0)) {
                fprintf(stderr, "dump changed:\n%s---\n%s", first.data, second.data);
                abort();
        }
        disk_config_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct disk_config_error err = {};
        struct disk_config *c = NULL;
        int r;

        r = disk_config_parse("fuzz.conf", (const char *) data, size, &opts, &c, &err);
        if (r < 0) {
                if (c || (r == -EINVAL && !startswith(err.message, "fuzz.conf:")))
                        abort();
                return 0;
        }
        round_trip(c, NULL);
        for (size_t i = 0; i < c->n_resources; i++)
                if (!c->resources[i]->disk.resync_after)
                        round_trip(c, c->resources[i]->name);
        disk_config_free(c);
        return 0;
}
