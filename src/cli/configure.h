/* SPDX-License-Identifier: GPL-2.0-or-later */
/* configure.h: the session behind `tandem configure`: a working copy of
 * the CIB that commands change and `commit` writes back. Shared by
 * configure.c and configure_edit.c. */
#pragma once

#include <stdbool.h>
#include <libxml/tree.h>

#include "crm.h"

struct configure {
        const char *path;               /* the CIB file (CIB_file) */
        xmlDoc *cib;                    /* working copy */
        char base[64];                  /* version of the file it was read at */
        bool dirty;                     /* differs from the file */
        struct crm_check_options opts;
};

/* Replaces the working copy with doc (taking it) and marks it dirty. */
void configure_set_cib(struct configure *c, xmlDoc *doc);

/* `edit [ID...]`: the objects as crmsh text in $EDITOR, applied when the
 * result checks; shown again with the error on top when it does not.
 * Returns 0, or -ECANCELED when nothing was changed, or an error already
 * reported on stderr. */
int configure_edit(struct configure *c, char *const *ids, size_t n_ids);
