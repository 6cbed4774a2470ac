/* SPDX-License-Identifier: GPL-2.0-or-later */
/* scheduler.h: the scheduler, a pure function from a CIB model to a
 * transition graph (actions on nodes and the orderings between them),
 * with Pacemaker's semantics; and the crm_simulate-style printers. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "cib.h"

struct sched_options {
        time_t now;        /* the time rules and failure timeouts are evaluated at */
        bool show_scores;  /* print allocation and promotion scores */
};

struct sched;

/* Unpacks the CIB's configuration and status into a working set. Returns
 * a negative errno and a message in why on failure. The model must
 * outlive the working set. */
int sched_new(const struct cib *c, const struct sched_options *o, struct sched **ret,
              char *why, size_t why_size);

/* Places resources and builds the transition graph. */
void sched_compute(struct sched *s);

/* Runs the graph as crm_simulate does: prints each action as it fires
 * ("Executing Cluster Transition"), and applies its effect to the
 * working set's state so that the revised status can be printed. */
void sched_execute(struct sched *s, FILE *f);

void sched_free(struct sched *s);

/* "N of M resource instances DISABLED and B BLOCKED ..." and a blank
 * line, when any resource is disabled or blocked. */
void sched_print_problems(const struct sched *s, FILE *f);

/* "Current cluster status" body: node list and resource list. */
void sched_print_status(const struct sched *s, FILE *f);

/* "Transition Summary" lines. */
void sched_print_summary(struct sched *s, FILE *f);

/* Allocation and promotion scores (crm_simulate -s). */
void sched_print_scores(const struct sched *s, FILE *f);
