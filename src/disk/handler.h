/* handler.h: DRBD's handlers (split-brain, pri-lost-after-sb,
 * before-resync-target, ...): the commands of a resource's `handlers`
 * section, run as external programs with DRBD's environment, without
 * blocking the daemon. One that runs longer than its timeout is killed
 * and logged. docs/disk-handlers.md lists the environment. */
#pragma once

#include <stdint.h>

struct resource;

/* Default time a handler may run; TANDEM_HANDLER_TIMEOUT (seconds) in the
 * daemon's environment overrides it (tests use a short one). */
#define HANDLER_TIMEOUT_SEC 60

/* Start handler `name` of r when the configuration sets one; volume is
 * the volume number it concerns, or -1 for the whole resource. Returns 1
 * when started, 0 when none is configured, a negative errno when it could
 * not be started (logged). The outcome is logged when it ends. */
int handler_run(struct resource *r, const char *name, int volume);

/* The same, with done(userdata, status) when it ends: its exit status,
 * 128+N when killed by signal N. done does not run when the handler is
 * not started (return value <= 0). */
int handler_run_then(struct resource *r, const char *name, int volume, void (*done)(void *userdata, int status),
                     void *userdata);
