/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sched_notify.h: clone notifications: the pre/post pseudo-actions that
 * bracket a clone action when notify=true, and the instance notify
 * actions between them. */
#pragma once

#include "sched_internal.h"

/* Creates the pre/confirmed-pre/post/confirmed-post pseudo-actions of
 * clone c around the clone's task pseudo-actions begin and end. */
void sched_notify_boundaries(struct sched *s, struct srsc *c, const char *task, struct saction *begin,
                             struct saction *end);

/* Instance notify actions and their orderings, created last as Pacemaker
 * creates them while building the graph. */
void sched_notify_create(struct sched *s);

/* An action with an explicit key (found again when it exists). */
struct saction *sched_keyed_action(struct sched *s, struct srsc *r, const char *key, const char *task, int node,
                                   bool optional);

struct saction *sched_pseudo(struct sched *s, struct srsc *r, const char *key, const char *task, bool optional);
struct saction *sched_cluster_action(struct sched *s, const char *key, const char *task, int node, bool pseudo);
