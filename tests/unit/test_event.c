/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for event.h: the daemon loop exits with 0 on SIGTERM and
 * SIGINT raised from inside the loop, ignores SIGPIPE, and holds exactly
 * one reference to this thread's default loop, so that it can be set up
 * again once released. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>

#include "event.h"
#include "util.h"

/* sd_event_loop() result when the guard timer, not a signal, ended it. */
#define GUARD_EXIT 99
#define GUARD_USEC (5 * 1000 * 1000)

static bool signal_blocked(int sig) {
        sigset_t cur;

        assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
        return sigismember(&cur, sig) == 1;
}

static bool signal_pending(int sig) {
        sigset_t pending;

        assert_int_equal(sigpending(&pending), 0);
        return sigismember(&pending, sig) == 1;
}

/* Each test starts from a process that neither blocks the exit signals
 * nor ignores SIGPIPE, so that each one checks that the function under
 * test sets that up, not that an earlier test left it so. */
static int reset_signals(void **state) {
        sigset_t mask;

        if (signal_pending(SIGTERM) || signal_pending(SIGINT))
                return -1;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_UNBLOCK, &mask, NULL) < 0)
                return -1;
        return signal(SIGPIPE, SIG_DFL) == SIG_ERR ? -1 : 0;
}

static int on_guard(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), GUARD_EXIT);
}

static int on_defer_raise(sd_event_source *s, void *userdata) {
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return raise(*(int *) userdata) == 0 ? 0 : -errno;
}

static int on_timer_raise(sd_event_source *s, uint64_t usec, void *userdata) {
        return raise(*(int *) userdata) == 0 ? 0 : -errno;
}

/* Raises sig from inside loop e (from a defer source, or from a timer if
 * use_timer) and runs the loop; returns what sd_event_loop() returned,
 * GUARD_EXIT if the signal did not end it within GUARD_USEC. */
static int run_until_signal(sd_event *e, int sig, bool use_timer) {
        _cleanup_event_source_ sd_event_source *guard = NULL, *trigger = NULL;
        int r;

        /* Raising an unblocked SIGTERM would kill the test runner. */
        assert_true(signal_blocked(sig));
        assert_false(signal_pending(sig));

        assert_true(sd_event_add_time_relative(e, &guard, CLOCK_MONOTONIC, GUARD_USEC, 1,
                                               on_guard, NULL) >= 0);
        if (use_timer)
                assert_true(sd_event_add_time_relative(e, &trigger, CLOCK_MONOTONIC, 1000, 1,
                                                       on_timer_raise, &sig) >= 0);
        else
                assert_true(sd_event_add_defer(e, &trigger, on_defer_raise, &sig) >= 0);
        r = sd_event_loop(e);
        /* The loop read the signal through its signalfd. */
        assert_false(signal_pending(sig));
        return r;
}

static void test_sigterm_exits_zero(void **state) {
        _cleanup_event_ sd_event *e = NULL;
        int code = -1;

        assert_int_equal(event_new_daemon_loop(&e), 0);
        assert_non_null(e);
        assert_true(signal_blocked(SIGTERM));
        assert_true(signal_blocked(SIGINT));

        assert_int_equal(run_until_signal(e, SIGTERM, false), 0);
        assert_int_equal(sd_event_get_exit_code(e, &code), 0);
        assert_int_equal(code, 0);
        assert_int_equal(sd_event_get_state(e), SD_EVENT_FINISHED);
}

static void test_sigint_exits_zero(void **state) {
        _cleanup_event_ sd_event *e = NULL;

        assert_int_equal(event_new_daemon_loop(&e), 0);
        assert_int_equal(run_until_signal(e, SIGINT, true), 0);
}

/* The guard is what tells a loop that ignores the signal from one that
 * exits on it; make sure it does fire on a loop without the handlers. */
static void test_guard_works(void **state) {
        _cleanup_event_ sd_event *e = NULL;
        _cleanup_event_source_ sd_event_source *guard = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_true(sd_event_add_time_relative(e, &guard, CLOCK_MONOTONIC, 1000, 1,
                                               on_guard, NULL) >= 0);
        assert_int_equal(sd_event_loop(e), GUARD_EXIT);
}

static void test_sigpipe_ignored(void **state) {
        _cleanup_event_ sd_event *e = NULL;
        struct sigaction sa;
        int p[2];

        assert_int_equal(event_new_daemon_loop(&e), 0);
        /* Checked before the write so that a failure is reported rather
         * than killing the runner. */
        assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
        assert_true(sa.sa_handler == SIG_IGN);

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        close(p[0]);
        errno = 0;
        assert_int_equal(write(p[1], "x", 1), -1);
        assert_int_equal(errno, EPIPE);
        close(p[1]);
}

static void test_default_loop_references(void **state) {
        _cleanup_event_ sd_event *e = NULL;
        sd_event *same = NULL, *second = NULL;
        int r;

        assert_int_equal(sd_event_default(NULL), 0);
        assert_int_equal(event_new_daemon_loop(&e), 0);

        /* It is this thread's default loop... */
        assert_int_equal(sd_event_default(NULL), 1);
        assert_int_equal(sd_event_default(&same), 0);
        assert_ptr_equal(same, e);
        same = sd_event_unref(same);

        /* ...so setting it up again while it lives cannot add the signal
         * sources a second time. Either way the first loop must keep
         * exactly its own reference and keep working. */
        r = event_new_daemon_loop(&second);
        if (r == 0) {
                assert_ptr_equal(second, e);
                second = sd_event_unref(second);
        } else {
                assert_int_equal(r, -EBUSY);
                assert_null(second);
        }
        assert_int_equal(run_until_signal(e, SIGTERM, false), 0);

        /* One unref frees it: the caller held the only reference. */
        e = sd_event_unref(e);
        assert_int_equal(sd_event_default(NULL), 0);
}

static void test_two_calls(void **state) {
        _cleanup_event_ sd_event *e = NULL;

        for (int i = 0; i < 2; i++) {
                assert_int_equal(event_new_daemon_loop(&e), 0);
                assert_int_equal(run_until_signal(e, i == 0 ? SIGTERM : SIGINT, i == 1), 0);
                e = sd_event_unref(e);
                assert_int_equal(sd_event_default(NULL), 0);
        }

        /* And once more, now with both signals still blocked from the
         * first two calls. */
        assert_true(signal_blocked(SIGTERM));
        assert_int_equal(event_new_daemon_loop(&e), 0);
        assert_int_equal(run_until_signal(e, SIGTERM, true), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_sigterm_exits_zero, reset_signals),
                cmocka_unit_test_setup(test_sigint_exits_zero, reset_signals),
                cmocka_unit_test_setup(test_guard_works, reset_signals),
                cmocka_unit_test_setup(test_sigpipe_ignored, reset_signals),
                cmocka_unit_test_setup(test_default_loop_references, reset_signals),
                cmocka_unit_test_setup(test_two_calls, reset_signals),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
