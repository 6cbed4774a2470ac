/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_history.h: unpacking of the operation history into each
 * resource's current state, and the resources only the history knows. */
#pragma once

#include "sched_internal.h"

int sched_unpack_history(struct sched *s);

/* A top-level resource for def (configured or orphan), unpacked. */
int sched_add_resource(struct sched *s, const struct cib_resource *def, struct srsc **ret);

/* An orphan: history of a resource no longer configured. */
int sched_add_orphan(struct sched *s, const struct cib_lrm_rsc *lrm, struct srsc **ret);

/* Appends an instance to a clone; orphan for history beyond clone-max. */
int sched_clone_add_instance(struct sched *s, struct srsc *clone, bool orphan, struct srsc **ret);
