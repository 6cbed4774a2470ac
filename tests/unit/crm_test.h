/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_test.h: what the crm unit tests share: the check options that
 * point at the stand-in agents in data/crm, and a helper that runs crmsh
 * text into a new empty CIB. */
#pragma once

#include "crm.h"

static const struct crm_check_options crm_test_opts = {
        .ocf_root = TEST_DATA_DIR "/crm/ocf",
        .stonith_path = TEST_DATA_DIR "/crm/fence",
};

/* Parses text (named name) and applies it to a new empty CIB. */
static inline int crm_test_load(const char *name, const char *text, xmlDoc **ret, struct crm_error *err) {
        _cleanup_(crm_script_freep) struct crm_script *s = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *empty = NULL;
        int r;

        r = crm_parse(name, text, strlen(text), &s, err);
        if (r < 0)
                return r;
        r = crm_cib_new(&empty);
        if (r < 0)
                return r;
        return crm_apply(empty, s, CRM_APPLY_CREATE, &crm_test_opts, ret, err);
}
