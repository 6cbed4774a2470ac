/* membership.h: corosync membership and quorum as tandem-clusterd sees them.
 * Connects to corosync's quorum service, follows membership changes on the
 * daemon's event loop, and names members from corosync's nodelist (cmap).
 * While corosync is not reachable it retries every few seconds. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "buf.h"

struct membership;

/* Start following corosync on loop `e`. Never fails because corosync is
 * down (that is a state); returns a negative errno only on ENOMEM or an
 * event-loop error. */
int membership_new(sd_event *e, struct membership **ret);
void membership_free(struct membership *m);

bool membership_connected(const struct membership *m);
bool membership_quorate(const struct membership *m);
size_t membership_count(const struct membership *m);

/* Append a human-readable summary ("Stack: corosync ...") to `out`. */
int membership_describe(const struct membership *m, struct buf *out);
