/* event.h: sd-event glue shared by tandem's daemons.
 * One event loop per daemon (DESIGN.md); these helpers set up what every
 * daemon's loop needs so that each main() reads the same way. */
#pragma once

#include <systemd/sd-event.h>

/* Create the default event loop of this thread with SIGTERM and SIGINT
 * handled as "exit the loop with code 0" and SIGPIPE ignored.
 * Returns 0 and a new reference in *ret_loop, or a negative errno. */
int event_new_daemon_loop(sd_event **ret_loop);

/* The same, but SIGTERM/SIGINT call on_stop(loop, userdata) instead, which
 * starts an orderly stop and calls sd_event_exit() itself when done (a
 * second signal while stopping exits at once). */
int event_new_daemon_loop_with_stop(sd_event **ret_loop, void (*on_stop)(sd_event *e, void *userdata),
                                    void *userdata);

/* Cleanup helper: drops a loop reference, NULL allowed. */
static inline void event_unrefp(sd_event **e) {
        if (e && *e)
                sd_event_unref(*e);
}
#define _cleanup_event_ __attribute__((cleanup(event_unrefp)))

/* Likewise for an event source. */
static inline void event_source_unrefp(sd_event_source **s) {
        if (s && *s)
                sd_event_source_disable_unref(*s);
}
#define _cleanup_event_source_ __attribute__((cleanup(event_source_unrefp)))
