/* event.c: sd-event glue: the signal handling every tandem daemon shares. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>

#include "event.h"

struct stop_handler {
        void (*on_stop)(sd_event *e, void *userdata);
        void *userdata;
        bool stopping;
};

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct stop_handler *h = userdata;
        sd_event *e = sd_event_source_get_event(s);

        if (!h || !h->on_stop || h->stopping)
                return sd_event_exit(e, 0);
        h->stopping = true;
        h->on_stop(e, h->userdata);
        return 0;
}

int event_new_daemon_loop(sd_event **ret_loop) {
        return event_new_daemon_loop_with_stop(ret_loop, NULL, NULL);
}

int event_new_daemon_loop_with_stop(sd_event **ret_loop, void (*on_stop)(sd_event *e, void *userdata),
                                    void *userdata) {
        /* One per process: the loop is the thread's default loop. */
        static struct stop_handler handler;
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
        handler = (struct stop_handler) { .on_stop = on_stop, .userdata = userdata };
        r = sd_event_add_signal(e, NULL, SIGTERM, on_exit_signal, &handler);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_exit_signal, &handler);
        if (r < 0) {
                sd_event_unref(e);
                return r;
        }
        *ret_loop = e;
        return 0;
}
