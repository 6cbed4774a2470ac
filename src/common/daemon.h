/* daemon.h: what tandem-diskd and tandem-clusterd share around main():
 * their common command-line options, the control socket directory, and
 * running the event loop until SIGTERM/SIGINT. */
#pragma once

#include "ctl.h"
#include "event.h"

struct daemon_options {
        const char *name;         /* "tandem-diskd" */
        const char *summary;      /* one line for --help */
        const char *config_path;  /* defaults set by the caller, may be NULL */
        const char *socket_path;
        /* Optional: called on SIGTERM/SIGINT instead of exiting at once;
         * it calls sd_event_exit() when the daemon has stopped cleanly. */
        void (*on_stop)(sd_event *e, void *userdata);
        void *stop_userdata;
        /* Optional: one daemon-specific long option with an argument
         * ("nbd-tcp"); its value is stored in extra_value. */
        const char *extra_option;
        const char *extra_help;     /* the line --help prints for it */
        const char *extra_value;
};

/* Parse -c/--config, -s/--socket, -l/--log-level, -h/--help, --version.
 * Returns 1 to go on, 0 when the program should exit successfully (help,
 * version), or a negative errno after printing what is wrong. */
int daemon_parse_options(struct daemon_options *o, int argc, char **argv);

/* Create the loop, make the socket's directory, listen on the control
 * socket. On success *ret_loop and *ret_ctl are set; on failure the error
 * has been logged and a negative errno is returned. */
int daemon_start(const struct daemon_options *o, ctl_handler_t handler, void *userdata,
                 sd_event **ret_loop, struct ctl_server **ret_ctl);

/* Run the loop until a signal ends it, then free the control server and
 * the loop. Returns the process exit status. */
int daemon_run(const struct daemon_options *o, sd_event *loop, struct ctl_server *ctl);

/* The reply every daemon gives to "ping": its name and pid. */
json_t *daemon_ping_reply(const struct daemon_options *o);
