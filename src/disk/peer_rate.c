/* peer_rate.c: how fast the SyncTarget asks for resync data. Every
 * 100 ms a tick grants a budget of bytes that resync requests may use.
 * With c-plan-ahead 0 the budget is a fixed resync-rate. Otherwise (the
 * default, as in DRBD) the target keeps c-fill-target bytes of requests
 * in flight, at most c-max-rate; while the application writes (the
 * Primary's replicated writes arrive here), the resync is held to
 * c-min-rate so that the application's IO stays responsive. Every
 * second the tick also writes the SyncTarget's bitmap progress. */
#include "log.h"
#include "peer_internal.h"

#define TICK_USEC (100 * 1000ULL)
#define TICKS_PER_SEC 10
#define RS_WINDOW_FIXED (8u * 1024 * 1024)  /* in flight, fixed-rate mode */

static uint64_t per_tick(uint64_t bytes_per_sec) {
        uint64_t b = bytes_per_sec / TICKS_PER_SEC;
        return b ? b : 1;
}

/* The budget one tick adds, given whether the application wrote. */
static uint64_t tick_allowance(const struct peer *p, bool app_io) {
        const struct disk_disk_options *o = &p->r->cfg->disk;
        uint64_t rate = o->c_plan_ahead ? o->c_max_rate : o->resync_rate;

        if (app_io && o->c_min_rate && o->c_min_rate < rate)
                rate = o->c_min_rate;
        return per_tick(rate);
}

uint64_t peer_rate_window(const struct peer *p) {
        const struct disk_disk_options *o = &p->r->cfg->disk;

        if (!o->c_plan_ahead)
                return RS_WINDOW_FIXED;
        return o->c_fill_target > 4096 ? o->c_fill_target : 4096;
}

bool peer_rate_take(struct peer *p, uint32_t length) {
        /* A request may overdraw the budget once; the debt is paid by the
         * next ticks, so the average holds with requests of any size. */
        if (p->rs_budget <= 0)
                return false;
        p->rs_budget -= (int64_t) length;
        return true;
}

static bool any_target(const struct peer *p) {
        for (uint32_t i = 0; i < p->n_volumes; i++)
                if (p->vol[i].repl == REPL_SYNC_TARGET)
                        return true;
        return false;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct peer *p = userdata;
        bool app_io = p->rx_last_seq != p->rs_tick_rx_seq;
        int64_t allowance;

        if (!any_target(p)) {
                peer_rate_stop(p);
                return 0;
        }
        p->rs_tick_rx_seq = p->rx_last_seq;
        if (app_io != p->rs_throttled && p->r->cfg->disk.c_min_rate)
                log_info("%s: application writes %s: resync %s", p->r->name, app_io ? "seen" : "stopped",
                         app_io ? "held to c-min-rate" : "at full rate again");
        p->rs_throttled = app_io;
        allowance = (int64_t) tick_allowance(p, app_io);
        p->rs_budget += allowance;
        if (p->rs_budget > allowance)
                p->rs_budget = allowance; /* no saving up while idle */
        for (uint32_t i = 0; i < p->n_volumes; i++)
                if (p->vol[i].repl == REPL_SYNC_TARGET)
                        peer_sync_kick(p, i);
        if (++p->rs_ticks % TICKS_PER_SEC == 0)
                peer_sync_checkpoint(p);
        (void) sd_event_source_set_time_relative(s, TICK_USEC);
        return 0;
}

void peer_rate_start(struct peer *p) {
        if (p->rs_tick)
                return;
        p->rs_tick_rx_seq = p->rx_last_seq;
        p->rs_throttled = false;
        p->rs_budget = (int64_t) tick_allowance(p, false);
        if (sd_event_add_time_relative(p->r->env->loop, &p->rs_tick, CLOCK_MONOTONIC, TICK_USEC, 10 * 1000,
                                       on_tick, p) >= 0)
                (void) sd_event_source_set_enabled(p->rs_tick, SD_EVENT_ON);
        else
                p->rs_budget = INT64_MAX / 2; /* no timer: do not stall the resync */
}

void peer_rate_stop(struct peer *p) {
        p->rs_tick = sd_event_source_disable_unref(p->rs_tick);
}
