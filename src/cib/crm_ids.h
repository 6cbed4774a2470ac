/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_ids.h: the set of ids in use in a CIB and crmsh's scheme for the
 * ids of an object's parts (see crm_ids.c). Maps id -> element. */
#pragma once

#include <libxml/tree.h>

#include "hashmap.h"

/* Adds the id of every element below n (not n itself, not the status
 * section) to ids. -EEXIST with *ret_dup set when an id repeats. */
int crm_ids_collect(xmlNode *n, struct hashmap *ids, const char **ret_dup);

/* Removes n's id and those below it from ids (when they map to them). */
void crm_ids_forget(xmlNode *n, struct hashmap *ids);

/* Gives every element below n that needs an id and has none crmsh's id
 * (pfx is the id of n), and adds all ids below n to ids. -EEXIST with
 * *ret_dup when an explicit id is taken already. */
int crm_ids_assign(xmlNode *n, const char *pfx, struct hashmap *ids, const char **ret_dup);
