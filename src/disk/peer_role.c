/* peer_role.c: role changes the peer must agree to (STATE_CHANGE_REQUEST
 * and _REPLY, docs/wire-protocol.md). With allow-two-primaries off, a
 * connected node becomes Primary only after its peer granted it, so that
 * two nodes promoted at the same moment never both succeed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "peer_internal.h"
#include "util.h"

/* How long a node waits for the answer: the net `timeout` (DRBD's default
 * 6 s), at least 1 s. */
static uint64_t request_timeout_usec(const struct peer *p) {
        uint64_t ds = p->r->cfg->net.timeout;
        return (ds < 10 ? 10 : ds) * 100 * 1000ULL;
}

static void finish_request(struct peer *p, int error, const char *why) {
        peer_role_done_t done = p->promo.done;
        void *userdata = p->promo.userdata;

        p->promo.done = NULL;
        p->promo.userdata = NULL;
        p->promo.outstanding = false;
        p->promo.timer = sd_event_source_disable_unref(p->promo.timer);
        if (done)
                done(userdata, error, why);
}

static int on_request_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct peer *p = userdata;
        char why[256];

        snprintf(why, sizeof(why), "%s: refusing to become Primary: %s did not answer within %.1f s", p->r->name,
                 p->r->peer_host->name, (double) request_timeout_usec(p) / 1e6);
        finish_request(p, -ETIMEDOUT, why);
        return 0;
}

static int send_request(struct peer *p, enum wire_role role, bool force, uint32_t *ret_id) {
        struct conn *c = p->c;
        struct wire_state_change_request rq = {
                .request_id = ++p->promo.next_id,
                .role = role,
                .flags = force ? WIRE_SCR_FORCE : 0,
        };
        size_t before = c->out.len;
        int k = wire_state_change_request_encode(&c->out, &rq);

        if (k < 0)
                return k;
        peer_conn_queued(c, before);
        peer_conn_queue(c);
        if (ret_id)
                *ret_id = rq.request_id;
        return 0;
}

int peer_request_promotion(struct peer *p, bool force, peer_role_done_t done, void *userdata, char *err,
                           size_t err_size) {
        int k;

        if (!p->c || p->c->phase != PHASE_ESTABLISHED || p->r->cfg->net.allow_two_primaries)
                return 0;
        if (p->promo.outstanding) {
                snprintf(err, err_size, "%s: a promotion is being negotiated with %s already", p->r->name,
                         p->r->peer_host->name);
                return -EBUSY;
        }
        k = send_request(p, WIRE_ROLE_PRIMARY, force, &p->promo.id);
        if (k >= 0)
                k = sd_event_add_time_relative(p->r->env->loop, &p->promo.timer, CLOCK_MONOTONIC,
                                               request_timeout_usec(p), 0, on_request_timeout, p);
        if (k < 0) {
                p->promo.timer = sd_event_source_disable_unref(p->promo.timer);
                snprintf(err, err_size, "%s: cannot ask %s: %s", p->r->name, p->r->peer_host->name, strerror(-k));
                return k;
        }
        p->promo.outstanding = true;
        p->promo.done = done;
        p->promo.userdata = userdata;
        log_info("%s: asking %s to agree to our promotion (request %u)", p->r->name, p->r->peer_host->name,
                 p->promo.id);
        return 1;
}

void peer_release_promotion(struct peer *p) {
        if (p->c && p->c->phase == PHASE_ESTABLISHED && !p->r->cfg->net.allow_two_primaries)
                (void) send_request(p, WIRE_ROLE_SECONDARY, false, NULL);
}

/* Judge the peer's request. With our own request outstanding, the node
 * with the higher node id refuses (CONCURRENT) and the lower one judges
 * normally: whatever the timing, at most one of two simultaneous
 * promotions succeeds. */
static void judge(struct peer *p, const struct wire_state_change_request *rq, struct wire_state_change_reply *rep) {
        const char *me = p->r->me->name;

        rep->request_id = rq->request_id;
        rep->result = WIRE_SC_GRANTED;
        if (rq->role == WIRE_ROLE_SECONDARY) {
                /* The peer gave up a promotion we granted. */
                p->promo.granted_to_peer = false;
                return;
        }
        if (p->r->cfg->net.allow_two_primaries)
                return;
        if (p->r->role == ROLE_PRIMARY) {
                rep->result = WIRE_SC_TWO_PRIMARIES;
                snprintf(rep->text, sizeof(rep->text), "%s is Primary", me);
        } else if (p->promo.outstanding && p->my_node_id > p->peer_node_id) {
                rep->result = WIRE_SC_CONCURRENT;
                snprintf(rep->text, sizeof(rep->text), "%s is becoming Primary at the same time", me);
        } else
                p->promo.granted_to_peer = true;
}

static void handle_reply(struct peer *p, const struct wire_state_change_reply *rep) {
        char why[WIRE_TEXT_MAX + 256];
        int error;

        if (!p->promo.outstanding || rep->request_id != p->promo.id)
                return; /* answers a request that timed out */
        switch (rep->result) {
        case WIRE_SC_GRANTED:
                log_info("%s: %s agrees to our promotion", p->r->name, p->r->peer_host->name);
                finish_request(p, 0, NULL);
                return;
        case WIRE_SC_TWO_PRIMARIES:
        case WIRE_SC_CONCURRENT:
                error = -EBUSY;
                break;
        default:
                error = -EPERM;
                break;
        }
        snprintf(why, sizeof(why), "%s: refusing to become Primary: %s refused: %s", p->r->name,
                 p->r->peer_host->name, *rep->text ? rep->text : wire_sc_result_name(rep->result));
        log_notice("%s", why);
        finish_request(p, error, why);
}

int peer_role_handle(struct peer *p, const struct wire_packet *pk) {
        struct conn *c = p->c;

        if (pk->type == WIRE_P_STATE_CHANGE_REQUEST) {
                struct wire_state_change_reply rep = { 0 };
                size_t before = c->out.len;

                judge(p, &pk->sc_request, &rep);
                log_info("%s: %s asks to become %s: %s%s%s", p->r->name, p->r->peer_host->name,
                         pk->sc_request.role == WIRE_ROLE_PRIMARY ? "Primary" : "Secondary",
                         wire_sc_result_name(rep.result), *rep.text ? ", " : "", rep.text);
                if (wire_state_change_reply_encode(&c->out, &rep) >= 0)
                        peer_conn_queued(c, before);
                peer_conn_queue(c);
                return 1;
        }
        if (pk->type == WIRE_P_STATE_CHANGE_REPLY) {
                handle_reply(p, &pk->sc_reply);
                return 1;
        }
        if (pk->type == WIRE_P_STATE && pk->volume == 0 && pk->state.role == WIRE_ROLE_PRIMARY)
                p->promo.granted_to_peer = false; /* done: the normal checks see it now */
        return 0;
}

void peer_role_abort(struct peer *p, const char *why) {
        char text[256];

        p->promo.granted_to_peer = false;
        if (!p->promo.outstanding)
                return;
        snprintf(text, sizeof(text), "%s: refusing to become Primary: the connection to %s ended while "
                 "asking it (%s); try again", p->r->name, p->r->peer_host->name, why);
        finish_request(p, -ECONNRESET, text);
}
