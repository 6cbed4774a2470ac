/* event.c: sd-event glue: the signal handling every tandem daemon shares. */
#include <errno.h>
#include <signal.h>

#include "event.h"

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int event_new_daemon_loop(sd_event **ret_loop) {
        sd_event *e = NULL;
        sigset_t mask;
        int r;

        /* sd_event_add_signal() wants the signals blocked first. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&e);
        if (r < 0)
                return r;
        r = sd_event_add_signal(e, NULL, SIGTERM, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_exit_signal, NULL);
        if (r < 0) {
                sd_event_unref(e);
                return r;
        }
        *ret_loop = e;
        return 0;
}
