/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_colocation.h: colocation constraints in placement: a dependent
 * follows its placed primary; a primary weighs its dependents' wishes. */
#pragma once

#include "sched_internal.h"

/* Places r's primaries, then applies the role-less colocations of r with
 * them to r's scores, and the influence of r's unplaced dependents. */
void sched_apply_colocations(struct sched *s, struct srsc *r);

/* Places r (primitive or clone) unless already placed. */
void sched_place_rsc(struct sched *s, struct srsc *r);
