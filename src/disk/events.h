/* events.h: the state-change stream of `tandem disk events` (events2
 * style: "exists|create|change|destroy OBJECT key:value ..."), see
 * docs/disk-events.md. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct diskd;
struct ctl_server;
struct disk_events;

int disk_events_new(struct diskd *d, struct disk_events **ret);
void disk_events_free(struct disk_events *ev);   /* NULL allowed */

/* Inside the control handler of "events": the reply holds the current
 * state ("exists ..." lines, ending with "exists -"); unless now, the
 * connection then streams the events of `resource` (NULL: all). */
json_t *disk_events_subscribe(struct disk_events *ev, struct ctl_server *ctl, const char *resource, bool now);

/* Something changed: compare with the last snapshot and send the
 * differences. NULL allowed (no events yet). */
void disk_events_check(struct disk_events *ev);

/* The same, soon: from the event loop, not from inside the caller (state
 * changes are reported from the middle of connection teardowns). */
void disk_events_poke(struct disk_events *ev);

/* An event that is not a state: "call TEXT" (a split brain), or with
 * its own verb ("call helper ...", "response helper ... status:0").
 * NULL allowed. */
void disk_events_emit(struct disk_events *ev, const char *text);
void disk_events_emit_verb(struct disk_events *ev, const char *verb, const char *text);
