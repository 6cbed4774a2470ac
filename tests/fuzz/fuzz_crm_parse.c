/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the crmsh language: arbitrary bytes as crmsh
 * text. An error must name "fuzz:" and a position; text that parses and
 * applies to an empty CIB (agents not consulted) must print, and the
 * printout must parse and apply again. Reading may normalize once (ms
 * becomes a promotable clone); after that the printout is a fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct crm_check_options opts = { .skip_agents = true };

/* Parses and applies text to an empty CIB, then prints it. */
static int load_and_show(const char *name, const char *text, size_t len, struct buf *out, struct crm_error *err) {
        _cleanup_(crm_script_freep) struct crm_script *s = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *empty = NULL, *doc = NULL;
        int r;

        r = crm_parse(name, text, len, &s, err);
        if (r < 0)
                return r;
        if (crm_cib_new(&empty) < 0)
                abort();
        r = crm_apply(empty, s, CRM_APPLY_CREATE, &opts, &doc, err);
        if (r < 0)
                return r;
        if (crm_print(doc, NULL, 0, out, err) < 0)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_buf_ struct buf first = BUF_INIT, second = BUF_INIT, third = BUF_INIT;
        struct crm_error err = {};
        int r;

        r = load_and_show("fuzz", (const char *) data, size, &first, &err);
        if (r < 0) {
                if (r == -EINVAL && !startswith(err.message, "fuzz:")) {
                        fprintf(stderr, "error without a position: %s\n", err.message);
                        abort();
                }
                return 0;
        }
        if (load_and_show("show", first.data ?: "", first.len, &second, &err) < 0) {
                fprintf(stderr, "the printout does not read back: %s\n%s", err.message, first.data);
                abort();
        }
        if (load_and_show("show2", second.data ?: "", second.len, &third, &err) < 0) {
                fprintf(stderr, "the second printout does not read back: %s\n%s", err.message, second.data);
                abort();
        }
        if (second.len != third.len || (second.len && memcmp(second.data, third.data, second.len) != 0)) {
                fprintf(stderr, "the printout changed:\n%s---\n%s", second.data, third.data);
                abort();
        }
        return 0;
}
