/* peer.c: the connection to the peer: listening and connecting, the
 * handshake (HELLO, mutual authentication, SETTINGS, per-volume SIZES,
 * UUIDS and STATE), keep-alive pings, state updates and connection loss.
 * The data path is peer_data.c, the sync decision and resync peer_sync.c.
 * Protocol: docs/wire-protocol.md; states: docs/disk-states.md. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handler.h"
#include "log.h"
#include "peer_internal.h"
#include "sock.h"
#include "util.h"

#define IN_MAX (WIRE_HEADER_SIZE + WIRE_MAX_PAYLOAD + 4096)

static void conn_free(struct conn *c);
static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

const char *peer_role_text(const struct peer *p) {
        if (!p->c || p->c->phase != PHASE_ESTABLISHED || !p->vol[0].have_state)
                return "Unknown";
        return wire_role_name(p->vol[0].state.role);
}

bool peer_is_primary(const struct peer *p) {
        return p->c && p->c->phase == PHASE_ESTABLISHED && p->vol[0].have_state &&
               p->vol[0].state.role == WIRE_ROLE_PRIMARY;
}

const char *peer_disk_text(const struct peer *p, uint32_t volume) {
        if (!p->c || p->c->phase != PHASE_ESTABLISHED || volume >= p->n_volumes || !p->vol[volume].have_state)
                return "DUnknown";
        return wire_disk_state_name(p->vol[volume].state.disk);
}

enum res_conn peer_conn_state(const struct peer *p) {
        if (p->c && p->c->phase == PHASE_ESTABLISHED)
                return CONN_CONNECTED;
        return p->standalone ? CONN_STANDALONE : CONN_CONNECTING;
}

enum res_repl peer_repl_state(const struct peer *p) {
        enum res_repl worst = REPL_ESTABLISHED;
        if (peer_conn_state(p) != CONN_CONNECTED)
                return REPL_OFF;
        for (size_t i = 0; i < p->n_volumes; i++)
                if (p->vol[i].repl != REPL_ESTABLISHED)
                        worst = p->vol[i].repl;
        if (peer_sync_paused(p) && worst == REPL_SYNC_SOURCE)
                return REPL_PAUSED_SYNC_S;
        if (peer_sync_paused(p) && worst == REPL_SYNC_TARGET)
                return REPL_PAUSED_SYNC_T;
        return worst;
}

uint64_t peer_resynced_bytes(const struct peer *p, uint32_t volume) {
        return volume < p->n_volumes ? p->vol[volume].resynced_bytes : 0;
}

void peer_sync_progress(const struct peer *p, uint32_t volume, uint64_t *ret_left, uint64_t *ret_total) {
        struct volume *v = volume < p->r->n_volumes ? p->r->volumes[volume] : NULL;
        *ret_left = v ? bitmap_count(v->oos) : 0;
        *ret_total = volume < p->n_volumes ? p->vol[volume].sync_total : 0;
        if (*ret_total < *ret_left)
                *ret_total = *ret_left;
}

enum wire_disk_state peer_wire_disk(enum vol_disk_state s) {
        switch (s) {
        case VOL_UPTODATE: return WIRE_DISK_UP_TO_DATE;
        case VOL_CONSISTENT: return WIRE_DISK_CONSISTENT;
        case VOL_OUTDATED: return WIRE_DISK_OUTDATED;
        case VOL_INCONSISTENT: return WIRE_DISK_INCONSISTENT;
        default: return WIRE_DISK_DISKLESS;
        }
}

/* ---- sending ---- */

/* Drop the consumed front of a buffer once that is cheap relative to
 * what is left (or everything is consumed). */
static void compact(struct buf *b, size_t *off) {
        if (*off == b->len) {
                buf_clear(b);
                *off = 0;
        } else if (*off >= 1024 * 1024 && *off >= b->len / 2) {
                buf_consume(b, *off);
                *off = 0;
        }
}

static void conn_update_events(struct conn *c) {
        uint32_t ev = EPOLLIN;
        if (c->out.len > c->out_off || c->connecting)
                ev |= EPOLLOUT;
        (void) sd_event_source_set_io_events(c->src, ev);
}

/* Send as much as the socket takes now. Returns a negative errno when
 * the connection broke. */
static int conn_flush(struct conn *c) {
        int r = 0;

        while (c->out.len > c->out_off) {
                ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                r = -errno;
                        break;
                }
                c->out_off += (size_t) n;
                c->out_sent += (uint64_t) n;
        }
        compact(&c->out, &c->out_off);
        return r;
}

void peer_conn_queue(struct conn *c) {
        struct peer *p = c->p;

        if (c->connecting || c->send_failed)
                return;
        if (conn_flush(c) < 0) {
                /* Never free the connection here: callers go on using it.
                 * The socket reports the error as EPOLLERR/EPOLLHUP, and
                 * the read side then drops the connection. */
                c->send_failed = true;
                (void) sd_event_source_set_io_events(c->src, EPOLLIN);
                return;
        }
        if (c == p->c)
                peer_data_on_sent(p);
        conn_update_events(c);
}

/* Account for bytes appended to c->out by an encoder. */
static void queued(struct conn *c, size_t before) {
        c->out_queued += c->out.len - before;
}

void peer_conn_queued(struct conn *c, size_t before) {
        queued(c, before);
}

void peer_close_with(struct peer *p, struct conn *c, uint16_t type, enum wire_reason reason,
                     const char *fmt, ...) {
        struct wire_close cl = { .reason = reason };
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cl.text, sizeof(cl.text), fmt, ap);
        va_end(ap);
        log_warning("%s: %s %s: %s", p->r->name, type == WIRE_P_ERROR ? "connection error" : "disconnecting",
                    wire_reason_name(reason) ? wire_reason_name(reason) : "?", cl.text);
        /* Best effort: say why, then close. */
        if (c->fd >= 0 && !c->connecting && wire_close_encode(&c->out, type, &cl) >= 0)
                (void) conn_flush(c);
        if (c == p->c)
                peer_connection_lost(p, cl.text);
        else
                conn_free(c);
}

static struct conn *established(struct peer *p) {
        return p->c && p->c->phase >= PHASE_STATE ? p->c : NULL;
}

void peer_send_uuids(struct peer *p, uint32_t volume) {
        struct conn *c = established(p);
        struct volume *v = p->r->volumes[volume];
        struct wire_uuids u = { 0 };
        size_t before;

        if (!c || !v)
                return;
        u.current = v->sb.current_uuid;
        u.bitmap = v->sb.bitmap_uuid;
        for (int i = 0; i < WIRE_UUID_HISTORY && i < META_HISTORY_UUIDS; i++)
                u.history[i] = v->sb.history_uuids[i];
        u.bits_set = bitmap_count(v->oos);
        if (v->sb.flags & META_F_CONSISTENT)
                u.flags |= WIRE_UUID_CONSISTENT;
        if (v->sb.flags & META_F_WAS_UP_TO_DATE)
                u.flags |= WIRE_UUID_WAS_UP_TO_DATE;
        if (v->sb.flags & META_F_CRASHED_PRIMARY)
                u.flags |= WIRE_UUID_CRASHED_PRIMARY;
        if (v->sb.flags & META_F_LOST_PEER_AS_PRIMARY)
                u.flags |= WIRE_UUID_LOST_PEER_AS_PRIMARY;
        if (p->r->role == ROLE_PRIMARY)
                u.flags |= WIRE_UUID_PRIMARY;
        before = c->out.len;
        if (wire_uuids_encode(&c->out, (uint16_t) volume, &u) >= 0)
                queued(c, before);
        peer_conn_queue(c);
}

static enum wire_repl_state wire_repl(enum res_repl r) {
        switch (r) {
        case REPL_SYNC_SOURCE: return WIRE_REPL_SYNC_SOURCE;
        case REPL_SYNC_TARGET: return WIRE_REPL_SYNC_TARGET;
        case REPL_VERIFY_SOURCE: return WIRE_REPL_VERIFY_SOURCE;
        case REPL_VERIFY_TARGET: return WIRE_REPL_VERIFY_TARGET;
        default: return WIRE_REPL_ESTABLISHED;
        }
}

void peer_send_volume_state(struct peer *p, uint32_t volume) {
        struct conn *c = established(p);
        struct volume *v = p->r->volumes[volume];
        struct wire_state st = {
                .role = p->r->role == ROLE_PRIMARY ? WIRE_ROLE_PRIMARY : WIRE_ROLE_SECONDARY,
                .disk = v ? peer_wire_disk(v->disk) : WIRE_DISK_DISKLESS,
                .repl = wire_repl(p->vol[volume].repl),
        };
        size_t before;

        if (!c)
                return;
        before = c->out.len;
        if (wire_state_encode(&c->out, (uint16_t) volume, &st) >= 0)
                queued(c, before);
        peer_conn_queue(c);
}

void peer_send_state(struct peer *p) {
        for (uint32_t i = 0; i < p->n_volumes; i++)
                peer_send_volume_state(p, i);
}

int peer_check_promote(struct peer *p, char *err, size_t err_size) {
        if (peer_is_primary(p) && !p->r->cfg->net.allow_two_primaries) {
                snprintf(err, err_size, "%s: refusing to become Primary: the peer %s is Primary and "
                         "allow-two-primaries is not set", p->r->name, p->r->peer_host->name);
                return -EBUSY;
        }
        if (p->promo.granted_to_peer && !p->r->cfg->net.allow_two_primaries) {
                snprintf(err, err_size, "%s: refusing to become Primary: %s is becoming Primary", p->r->name,
                         p->r->peer_host->name);
                return -EBUSY;
        }
        return 0;
}

/* ---- connection life ---- */

static void conn_free(struct conn *c) {
        struct peer *p;
        if (!c)
                return;
        p = c->p;
        for (struct conn **pp = &p->pending; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        if (p->c == c)
                p->c = NULL;
        if (c->initiated_here && c->connecting)
                p->outgoing_in_progress = false;
        sd_event_source_disable_unref(c->src);
        safe_close(c->fd);
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
}

static int schedule_retry(struct peer *p, uint64_t usec) {
        if (p->standalone || p->dying)
                return 0;
        if (!p->retry_timer)
                return sd_event_add_time_relative(p->r->env->loop, &p->retry_timer, CLOCK_MONOTONIC,
                                                  usec, 0, NULL, p) < 0 ? -ENOMEM : 0;
        (void) sd_event_source_set_time_relative(p->retry_timer, usec);
        return sd_event_source_set_enabled(p->retry_timer, SD_EVENT_ONESHOT);
}

void peer_connection_lost(struct peer *p, const char *why) {
        struct conn *c = p->c;
        bool was_established = c && c->phase == PHASE_ESTABLISHED;

        if (c) {
                p->c = NULL;
                conn_free(c);
        }
        peer_data_abort(p);
        peer_sync_abort(p);
        peer_role_abort(p, why);
        peer_verify_abort(p);
        for (size_t i = 0; i < p->n_volumes; i++) {
                p->vol[i].have_state = p->vol[i].have_uuids = p->vol[i].have_sizes = false;
                p->vol[i].repl = REPL_OFF;
        }
        if (was_established) {
                log_warning("%s: connection to %s lost: %s", p->r->name, p->r->peer_host->name, why);
                /* A Primary that loses its peer starts a new generation:
                 * what it writes from now on is what the peer lacks. */
                if (p->r->role == ROLE_PRIMARY)
                        for (size_t i = 0; i < p->r->n_volumes; i++) {
                                struct volume *v = p->r->volumes[i];
                                struct disk_uuids u;
                                char err[META_REASON_SIZE];
                                if (!v || v->disk != VOL_UPTODATE)
                                        continue;
                                volume_get_uuids(v, &u);
                                uuid_new_current(&u, volume_random_uuid(), true);
                                volume_set_uuids(v, &u);
                                v->sb.flags |= META_F_LOST_PEER_AS_PRIMARY;
                                if (volume_write_super(v, err, sizeof(err)) < 0)
                                        log_error("%s: cannot write metadata: %s", v->name, err);
                                log_info("%s: new current generation %016llX (peer lost while Primary)",
                                         v->name, (unsigned long long) u.current);
                        }
        }
        resource_peer_state_changed(p->r);
        (void) schedule_retry(p, 1000 * 1000ULL);
}

static int send_hello(struct conn *c) {
        struct peer *p = c->p;
        struct wire_hello h = {
                .version_min = WIRE_VERSION_MIN,
                .version_max = WIRE_VERSION_MAX,
                .features = PEER_FEATURES,
                .instance_id = p->instance_id,
                .node_id = p->my_node_id,
                .flags = (c->initiated_here ? WIRE_HELLO_INITIATOR : 0) |
                         (p->r->cfg->net.shared_secret ? WIRE_HELLO_AUTH : 0),
        };
        size_t before = c->out.len;
        int k;

        snprintf(h.host, sizeof(h.host), "%s", p->r->me->name);
        snprintf(h.resource, sizeof(h.resource), "%s", p->r->name);
        k = wire_hello_encode(&c->out, &h);
        if (k < 0)
                return k;
        queued(c, before);
        peer_conn_queue(c);
        return 0;
}

static struct conn *conn_new(struct peer *p, int fd, bool initiated, bool connecting) {
        struct conn *c = calloc(1, sizeof(*c));
        int one = 1;

        if (!c) {
                safe_close(fd);
                return NULL;
        }
        c->p = p;
        c->id = ++p->next_conn_id;
        c->fd = fd;
        c->initiated_here = initiated;
        c->connecting = connecting;
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (p->r->cfg->net.sndbuf_size) {
                int v = (int) p->r->cfg->net.sndbuf_size;
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
        }
        if (sd_event_add_io(p->r->env->loop, &c->src, fd, connecting ? EPOLLOUT : EPOLLIN, on_conn_io, c) < 0) {
                safe_close(fd);
                free(c);
                return NULL;
        }
        c->next = p->pending;
        p->pending = c;
        return c;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        struct peer *p = userdata;
        int fd, k;

        if (p->c || p->outgoing_in_progress || p->standalone) {
                if (!p->c && !p->standalone)
                        (void) schedule_retry(p, (uint64_t) p->r->cfg->net.connect_int * 1000 * 1000ULL);
                return 0;
        }
        k = sock_tcp_connect((const struct sockaddr *) &p->r->peer_host->address,
                             p->r->peer_host->address_len, &fd);
        if (k < 0) {
                log_debug("%s: connect to %s failed: %s", p->r->name, p->r->peer_host->address_text,
                          strerror(-k));
        } else if (conn_new(p, fd, true, true))
                p->outgoing_in_progress = true;
        (void) schedule_retry(p, (uint64_t) (p->r->cfg->net.connect_int ? p->r->cfg->net.connect_int : 10) *
                                         1000 * 1000ULL);
        return 0;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
        if (a->ss_family != b->ss_family)
                return false;
        if (a->ss_family == AF_INET)
                return ((const struct sockaddr_in *) a)->sin_addr.s_addr ==
                       ((const struct sockaddr_in *) b)->sin_addr.s_addr;
        if (a->ss_family == AF_INET6)
                return memcmp(&((const struct sockaddr_in6 *) a)->sin6_addr,
                              &((const struct sockaddr_in6 *) b)->sin6_addr, 16) == 0;
        return false;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct peer *p = userdata;
        struct sockaddr_storage sa;
        socklen_t len = sizeof(sa);
        char text[SOCK_ADDR_STR_MAX];
        int cfd;

        cfd = accept4(fd, (struct sockaddr *) &sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        /* StandAlone takes no connections either way until `connect`. */
        if (p->standalone) {
                safe_close(cfd);
                return 0;
        }
        if (!same_host(&sa, &p->r->peer_host->address)) {
                if (sock_format_addr((struct sockaddr *) &sa, len, text, sizeof(text)) < 0)
                        snprintf(text, sizeof(text), "?");
                log_warning("%s: refusing a connection from %s: not the peer %s (%s)", p->r->name, text,
                            p->r->peer_host->name, p->r->peer_host->address_text);
                safe_close(cfd);
                return 0;
        }
        struct conn *c = conn_new(p, cfd, false, false);
        if (c && send_hello(c) < 0)
                conn_free(c);
        return 0;
}

/* ---- handshake ---- */

/* Our settings as they go on the wire. */
static void build_settings(const struct peer *p, struct wire_settings *st) {
        const struct disk_net_options *n = &p->r->cfg->net;
        static const enum wire_after_sb asb0[] = {
                [DISK_ASB0_DISCONNECT] = WIRE_ASB_DISCONNECT,
                [DISK_ASB0_DISCARD_YOUNGER_PRIMARY] = WIRE_ASB_DISCARD_YOUNGER_PRIMARY,
                [DISK_ASB0_DISCARD_OLDER_PRIMARY] = WIRE_ASB_DISCARD_OLDER_PRIMARY,
                [DISK_ASB0_DISCARD_ZERO_CHANGES] = WIRE_ASB_DISCARD_ZERO_CHANGES,
                [DISK_ASB0_DISCARD_LEAST_CHANGES] = WIRE_ASB_DISCARD_LEAST_CHANGES,
                [DISK_ASB0_DISCARD_NODE] = WIRE_ASB_DISCARD_NODE,
        };
        static const enum wire_after_sb asb1[] = {
                [DISK_ASB1_DISCONNECT] = WIRE_ASB_DISCONNECT,
                [DISK_ASB1_CONSENSUS] = WIRE_ASB_CONSENSUS,
                [DISK_ASB1_VIOLENTLY_AS0P] = WIRE_ASB_VIOLENTLY_AS0P,
                [DISK_ASB1_DISCARD_SECONDARY] = WIRE_ASB_DISCARD_SECONDARY,
                [DISK_ASB1_CALL_PRI_LOST_AFTER_SB] = WIRE_ASB_CALL_PRI_LOST_AFTER_SB,
        };
        static const enum wire_after_sb asb2[] = {
                [DISK_ASB2_DISCONNECT] = WIRE_ASB_DISCONNECT,
                [DISK_ASB2_VIOLENTLY_AS0P] = WIRE_ASB_VIOLENTLY_AS0P,
                [DISK_ASB2_CALL_PRI_LOST_AFTER_SB] = WIRE_ASB_CALL_PRI_LOST_AFTER_SB,
        };

        memset(st, 0, sizeof(*st));
        st->protocol = n->protocol == DISK_PROTOCOL_A ? WIRE_PROTOCOL_A
                       : n->protocol == DISK_PROTOCOL_B ? WIRE_PROTOCOL_B : WIRE_PROTOCOL_C;
        st->flags = (n->allow_two_primaries ? WIRE_SETTINGS_TWO_PRIMARIES : 0) |
                    (n->discard_my_data || p->r->discard_my_data ? WIRE_SETTINGS_DISCARD_MY_DATA : 0);
        st->after_sb_0pri = asb0[n->after_sb_0pri];
        st->after_sb_1pri = asb1[n->after_sb_1pri];
        st->after_sb_2pri = asb2[n->after_sb_2pri];
        if (n->after_sb_0pri == DISK_ASB0_DISCARD_NODE && n->after_sb_0pri_node)
                snprintf(st->discard_node, sizeof(st->discard_node), "%s", n->after_sb_0pri_node);
        if (n->verify_alg)
                snprintf(st->verify_alg, sizeof(st->verify_alg), "%s", n->verify_alg);
        if (n->csums_alg)
                snprintf(st->csums_alg, sizeof(st->csums_alg), "%s", n->csums_alg);
        if (n->data_integrity_alg)
                snprintf(st->integrity_alg, sizeof(st->integrity_alg), "%s", n->data_integrity_alg);
}

static void send_settings(struct conn *c) {
        struct wire_settings st;
        size_t before = c->out.len;

        build_settings(c->p, &st);
        if (wire_settings_encode(&c->out, &st) >= 0)
                queued(c, before);
        c->settings_sent = true;
        c->phase = PHASE_SETTINGS;
        peer_conn_queue(c);
}

static void send_volume_info(struct conn *c) {
        struct peer *p = c->p;

        for (uint32_t i = 0; i < p->n_volumes; i++) {
                struct volume *v = p->r->volumes[i];
                struct wire_sizes sz = {
                        .backing_size = v ? v->backing->size : 0,
                        .usable_size = v ? v->size : 0,
                        .requested_size = p->r->cfg->disk.size,
                        .current_size = v ? v->size : 0,
                        .max_io_size = WIRE_MAX_DATA,
                };
                size_t before = c->out.len;
                if (wire_sizes_encode(&c->out, (uint16_t) i, &sz) >= 0)
                        queued(c, before);
                peer_send_uuids(p, i);
                peer_send_volume_state(p, i);
        }
        peer_conn_queue(c);
}

static void start_auth_or_settings(struct conn *c) {
        struct peer *p = c->p;
        const char *secret = p->r->cfg->net.shared_secret;

        if (!secret) {
                send_settings(c);
                return;
        }
        int alg = wire_hmac_alg_from_name(p->r->cfg->net.cram_hmac_alg ? p->r->cfg->net.cram_hmac_alg : "sha256");
        if (alg < 0 || wire_auth_make_challenge((enum wire_hmac_alg) alg, &c->my_challenge) < 0) {
                peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_AUTH_CONFIG,
                                "cram-hmac-alg '%s' is not supported", p->r->cfg->net.cram_hmac_alg);
                return;
        }
        size_t before = c->out.len;
        if (wire_auth_challenge_encode(&c->out, &c->my_challenge) >= 0)
                queued(c, before);
        c->phase = PHASE_AUTH;
        peer_conn_queue(c);
}

static void handle_hello(struct conn *c, const struct wire_hello *h) {
        struct peer *p = c->p;
        struct wire_hello mine = {
                .version_min = WIRE_VERSION_MIN, .version_max = WIRE_VERSION_MAX,
                .features = PEER_FEATURES,
                .instance_id = p->instance_id, .node_id = p->my_node_id,
                .flags = (c->initiated_here ? WIRE_HELLO_INITIATOR : 0) |
                         (p->r->cfg->net.shared_secret ? WIRE_HELLO_AUTH : 0),
        };
        char why[256];
        int k;

        snprintf(mine.host, sizeof(mine.host), "%s", p->r->me->name);
        snprintf(mine.resource, sizeof(mine.resource), "%s", p->r->name);
        k = wire_hello_negotiate(&mine, h, &c->session, why, sizeof(why));
        if (k < 0) {
                peer_close_with(p, c, WIRE_P_ERROR,
                                k == -EPROTONOSUPPORT ? WIRE_REASON_VERSION
                                : k == -EACCES ? WIRE_REASON_AUTH_CONFIG : WIRE_REASON_PROTOCOL,
                                "%s", why);
                return;
        }
        if (h->node_id != p->peer_node_id || !streq(h->host, p->r->peer_host->name)) {
                peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_NODE_ID,
                                "expected %s (node-id %u), got %s (node-id %u)", p->r->peer_host->name,
                                p->peer_node_id, h->host, h->node_id);
                return;
        }
        /* A connection begun before we went StandAlone (split brain on
         * another one) must not start a second decision. */
        if (p->standalone) {
                if (p->r->split_brain_unresolved)
                        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_SPLIT_BRAIN,
                                        "%s is StandAlone after a split brain", p->r->me->name);
                else
                        peer_close_with(p, c, WIRE_P_DISCONNECT, WIRE_REASON_ADMIN, "%s is StandAlone",
                                        p->r->me->name);
                return;
        }
        c->peer_hello = *h;
        /* Two connections past HELLO: keep one, by a rule both ends share. */
        if (p->c && p->c != c) {
                struct wire_race_conn old_conn = { p->c->peer_hello.instance_id, p->c->initiated_here };
                struct wire_race_conn new_conn = { h->instance_id, c->initiated_here };
                if (!wire_race_keep_new(p->my_node_id, p->peer_node_id, &old_conn, &new_conn)) {
                        peer_close_with(p, c, WIRE_P_DISCONNECT, WIRE_REASON_DUPLICATE_CONNECTION,
                                        "a connection to %s exists already", p->r->peer_host->name);
                        return;
                }
                peer_close_with(p, p->c, WIRE_P_DISCONNECT, WIRE_REASON_DUPLICATE_CONNECTION,
                                "replaced by a newer connection");
        }
        for (struct conn **pp = &p->pending; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        c->next = NULL;
        p->c = c;
        if (c->initiated_here)
                p->outgoing_in_progress = false;
        start_auth_or_settings(c);
}

static void handle_auth(struct conn *c, const struct wire_packet *pk) {
        struct peer *p = c->p;
        const char *secret = p->r->cfg->net.shared_secret;
        char why[256];

        if (pk->type == WIRE_P_AUTH_CHALLENGE) {
                struct wire_auth_response resp;
                c->peer_challenge = pk->auth_challenge;
                c->got_challenge = true;
                if (wire_auth_response(secret, strlen(secret), &c->peer_challenge, &c->my_challenge,
                                       p->my_node_id, &resp) < 0) {
                        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_AUTH_CONFIG, "cannot answer the challenge");
                        return;
                }
                size_t before = c->out.len;
                if (wire_auth_response_encode(&c->out, &resp) >= 0)
                        queued(c, before);
                peer_conn_queue(c);
                return;
        }
        if (pk->type == WIRE_P_AUTH_RESPONSE) {
                if (!c->got_challenge ||
                    wire_auth_verify(secret, strlen(secret), &c->my_challenge, &c->peer_challenge,
                                     p->peer_node_id, &pk->auth_response, why, sizeof(why)) < 0) {
                        log_error("%s: authentication of %s failed: the peer does not know our shared-secret",
                                  p->r->name, p->r->peer_host->name);
                        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_AUTH_FAILED, "authentication failed");
                        return;
                }
                c->verified = true;
                log_info("%s: %s authenticated", p->r->name, p->r->peer_host->name);
                send_settings(c);
                return;
        }
        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "%s during authentication",
                        wire_packet_name(pk->type));
}

static void handle_settings(struct conn *c, const struct wire_settings *peer_settings) {
        struct peer *p = c->p;
        struct wire_settings mine;
        char why[256];

        build_settings(p, &mine);
        if (wire_settings_compare(&mine, peer_settings, why, sizeof(why)) < 0) {
                p->standalone = true;
                peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_SETTINGS_MISMATCH, "%s", why);
                return;
        }
        c->peer_discard_my_data = peer_settings->flags & WIRE_SETTINGS_DISCARD_MY_DATA;
        c->phase = PHASE_STATE;
        send_volume_info(c);
}

static void maybe_established(struct conn *c) {
        struct peer *p = c->p;

        if (c->phase != PHASE_STATE)
                return;
        for (size_t i = 0; i < p->n_volumes; i++)
                if (!p->vol[i].have_sizes || !p->vol[i].have_uuids || !p->vol[i].have_state)
                        return;
        for (size_t i = 0; i < p->n_volumes; i++) {
                struct volume *v = p->r->volumes[i];
                if (v && p->vol[i].sizes.usable_size && p->vol[i].sizes.usable_size != v->size) {
                        p->standalone = true;
                        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_SIZE,
                                        "volume %zu has %llu usable bytes here and %llu on %s", i,
                                        (unsigned long long) v->size,
                                        (unsigned long long) p->vol[i].sizes.usable_size, p->r->peer_host->name);
                        return;
                }
        }
        c->phase = PHASE_ESTABLISHED;
        p->new_generation_done = false;
        log_notice("%s: connected to %s (%s)", p->r->name, p->r->peer_host->name,
                   c->initiated_here ? "outgoing" : "incoming");
        if (peer_sync_decide(p) < 0)
                return;
        resource_peer_state_changed(p->r);
}

static void handle_volume_info(struct conn *c, const struct wire_packet *pk) {
        struct peer *p = c->p;
        struct peer_volume *pv;

        if (pk->volume >= p->n_volumes) {
                peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL,
                                "volume %u does not exist here (%zu volumes)", pk->volume, p->n_volumes);
                return;
        }
        pv = &p->vol[pk->volume];
        switch (pk->type) {
        case WIRE_P_SIZES:
                pv->sizes = pk->sizes;
                pv->have_sizes = true;
                break;
        case WIRE_P_UUIDS:
                pv->uuids = pk->uuids;
                if (!pv->have_uuids || c->phase != PHASE_ESTABLISHED)
                        pv->uuids_at_connect = pk->uuids;
                pv->have_uuids = true;
                if (c->phase == PHASE_ESTABLISHED && peer_sync_handle(p, pk) < 0)
                        return;
                break;
        case WIRE_P_STATE: {
                bool was_primary = pv->have_state && pv->state.role == WIRE_ROLE_PRIMARY;
                pv->state = pk->state;
                pv->have_state = true;
                (void) peer_role_handle(p, pk);
                if (c->phase == PHASE_ESTABLISHED)
                        (void) peer_verify_handle(p, pk);
                if (c->phase == PHASE_ESTABLISHED) {
                        if (!was_primary && pk->state.role == WIRE_ROLE_PRIMARY && pk->volume == 0)
                                log_info("%s: peer %s is Primary now", p->r->name, p->r->peer_host->name);
                        if (peer_sync_handle(p, pk) < 0)
                                return;
                }
                break;
        }
        }
        maybe_established(c);
}

static int handle_packet(struct conn *c, const struct wire_packet *pk) {
        struct peer *p = c->p;

        p->last_rx_usec = (uint64_t) now_usec(CLOCK_MONOTONIC);
        switch (pk->type) {
        case WIRE_P_ERROR:
        case WIRE_P_DISCONNECT:
                log_warning("%s: %s from %s: %s: %s", p->r->name, wire_packet_name(pk->type),
                            p->r->peer_host->name, wire_reason_name(pk->close.reason) ?: "?", pk->close.text);
                if (pk->close.reason == WIRE_REASON_SPLIT_BRAIN && c->phase != PHASE_ESTABLISHED &&
                    !p->standalone) {
                        /* The peer decided a split brain on a connection
                         * that lost the connection race here: it is ours
                         * too. */
                        log_error("%s: %s detected a split brain: StandAlone until resolved", p->r->name,
                                  p->r->peer_host->name);
                        resource_note_split_brain(p->r, 0, false, "detected by the peer");
                        (void) handler_run(p->r, "split-brain", -1);
                }
                if (pk->close.reason == WIRE_REASON_SETTINGS_MISMATCH ||
                    pk->close.reason == WIRE_REASON_UNRELATED_DATA || pk->close.reason == WIRE_REASON_SPLIT_BRAIN ||
                    pk->close.reason == WIRE_REASON_SIZE)
                        p->standalone = true;
                if (c == p->c)
                        peer_connection_lost(p, pk->close.text);
                else
                        conn_free(c);
                return -ECONNRESET;
        case WIRE_P_PING: {
                struct wire_ping ack = pk->ping;
                size_t before = c->out.len;
                if (wire_ping_encode(&c->out, WIRE_P_PING_ACK, &ack) >= 0)
                        queued(c, before);
                peer_conn_queue(c);
                return 0;
        }
        case WIRE_P_PING_ACK:
                if (pk->ping.cookie == p->ping_cookie)
                        p->ping_outstanding = false;
                return 0;
        }
        switch (c->phase) {
        case PHASE_HELLO:
                if (pk->type != WIRE_P_HELLO)
                        break;
                handle_hello(c, &pk->hello);
                return 0;
        case PHASE_AUTH:
                handle_auth(c, pk);
                return 0;
        case PHASE_SETTINGS:
                if (pk->type == WIRE_P_SETTINGS) {
                        handle_settings(c, &pk->settings);
                        return 0;
                }
                break;
        case PHASE_STATE:
        case PHASE_ESTABLISHED:
                if (pk->type == WIRE_P_SIZES || pk->type == WIRE_P_UUIDS || pk->type == WIRE_P_STATE) {
                        handle_volume_info(c, pk);
                        return 0;
                }
                if (c->phase != PHASE_ESTABLISHED)
                        break;
                if (peer_role_handle(p, pk) > 0 || peer_admin_handle(p, pk) > 0)
                        return 0;
                int k = peer_verify_handle(p, pk);
                if (k != 0)
                        return k > 0 ? 0 : k;
                if (peer_data_handle(p, pk) > 0)
                        return 0;
                if (peer_sync_handle(p, pk) > 0)
                        return 0;
                break;
        }
        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "unexpected %s", wire_packet_name(pk->type));
        return -EPROTO;
}

/* Whether the connection with this id still exists. Handlers may close
 * (and free) the connection they were called for; callers check by id,
 * never through the old pointer. */
static bool conn_alive(const struct peer *p, uint64_t id) {
        if (p->c && p->c->id == id)
                return true;
        for (const struct conn *x = p->pending; x; x = x->next)
                if (x->id == id)
                        return true;
        return false;
}

/* Read and handle what arrived. Returns <0 when c is gone. */
static int conn_read(struct conn *c) {
        struct peer *p = c->p;
        char why[256];

        for (int rounds = 0; rounds < 16; rounds++) {
                if (buf_reserve(&c->in, 256 * 1024) < 0) {
                        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_INTERNAL, "out of memory");
                        return -ENOMEM;
                }
                ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                if (n <= 0) {
                        if (c == p->c)
                                peer_connection_lost(p, n == 0 ? "the peer closed the connection" : strerror(errno));
                        else
                                conn_free(c);
                        return -ECONNRESET;
                }
                c->in.len += (size_t) n;
                for (;;) {
                        struct wire_frame f;
                        struct wire_packet pk;
                        struct buf view = { c->in.data + c->in_off, c->in.len - c->in_off, 0 };
                        int k = wire_frame_next(c->session.version ? &c->session : NULL, &view, &f, NULL,
                                                why, sizeof(why));
                        if (k == 0)
                                break;
                        if (k > 0)
                                k = wire_packet_decode(&f, &pk, why, sizeof(why));
                        if (k < 0) {
                                peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "bad packet: %s", why);
                                return -EPROTO;
                        }
                        /* Handlers may copy the payload; it is consumed after. */
                        uint64_t id = c->id;
                        k = handle_packet(c, &pk);
                        if (k < 0 || !conn_alive(p, id))
                                return k < 0 ? k : -ECONNRESET;
                        c->in_off += f.frame_len;
                }
                compact(&c->in, &c->in_off);
                if (c->in.len - c->in_off > IN_MAX) {
                        peer_close_with(p, c, WIRE_P_ERROR, WIRE_REASON_PROTOCOL, "oversized packet");
                        return -EPROTO;
                }
        }
        return 0;
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct conn *c = userdata;
        struct peer *p = c->p;

        if (c->connecting) {
                int err = 0;
                socklen_t len = sizeof(err);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
                        log_debug("%s: connect to %s: %s", p->r->name, p->r->peer_host->address_text,
                                  strerror(err ? err : errno));
                        conn_free(c);
                        return 0;
                }
                c->connecting = false;
                p->outgoing_in_progress = false;
                if (send_hello(c) < 0)
                        conn_free(c);
                return 0;
        }
        if (revents & EPOLLOUT) {
                uint64_t id = c->id;
                peer_conn_queue(c);
                if (!conn_alive(p, id))
                        return 0;
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                (void) conn_read(c);
        return 0;
}

static int on_ping_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct peer *p = userdata;
        const struct disk_net_options *n = &p->r->cfg->net;
        uint64_t now = (uint64_t) now_usec(CLOCK_MONOTONIC);
        uint64_t ping_int = (uint64_t) (n->ping_int ? n->ping_int : 10) * 1000 * 1000;
        uint64_t ping_timeout = (uint64_t) (n->ping_timeout ? n->ping_timeout : 5) * 100 * 1000;

        if (p->c && p->c->phase == PHASE_ESTABLISHED) {
                if (p->ping_outstanding && now - p->last_rx_usec > ping_timeout + ping_int) {
                        peer_close_with(p, p->c, WIRE_P_DISCONNECT, WIRE_REASON_TIMEOUT,
                                        "no answer to a ping within %u.%u s", n->ping_timeout / 10,
                                        n->ping_timeout % 10);
                } else if (now - p->last_rx_usec >= ping_int && !p->ping_outstanding) {
                        struct wire_ping pg = { .cookie = ++p->ping_cookie };
                        size_t before = p->c->out.len;
                        if (wire_ping_encode(&p->c->out, WIRE_P_PING, &pg) >= 0)
                                queued(p->c, before);
                        p->ping_outstanding = true;
                        peer_conn_queue(p->c);
                }
        } else if (p->c && now - p->last_rx_usec > 30 * 1000 * 1000ULL) {
                /* A handshake that stalls (a peer that went away mid-way). */
                peer_close_with(p, p->c, WIRE_P_DISCONNECT, WIRE_REASON_TIMEOUT, "handshake timed out");
        }
        (void) sd_event_source_set_time_relative(s, ping_timeout < ping_int ? ping_timeout : ping_int);
        return 0;
}

/* ---- creation and teardown ---- */

int peer_new(struct resource *r, struct peer **ret, char *err, size_t err_size) {
        struct peer *p;
        int k;

        if (r->n_volumes > PEER_MAX_VOLUMES) {
                snprintf(err, err_size, "%s: more than %d volumes", r->name, PEER_MAX_VOLUMES);
                return -E2BIG;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->r = r;
        p->listen_fd = -1;
        p->n_volumes = r->n_volumes;
        p->my_node_id = r->me->node_id;
        p->peer_node_id = r->peer_host->node_id;
        p->next_seq = 1;
        p->epoch = 1;
        p->rs_next_id = 1;
        k = wire_make_instance_id(&p->instance_id);
        if (k >= 0)
                k = sock_tcp_listen((const struct sockaddr *) &r->me->address, r->me->address_len, &p->listen_fd);
        if (k < 0) {
                snprintf(err, err_size, "%s: cannot listen on %s: %s", r->name, r->me->address_text, strerror(-k));
                free(p);
                return k;
        }
        k = sd_event_add_io(r->env->loop, &p->listen_src, p->listen_fd, EPOLLIN, on_accept, p);
        if (k >= 0)
                k = sd_event_add_time_relative(r->env->loop, &p->retry_timer, CLOCK_MONOTONIC, 0, 0, on_retry, p);
        if (k >= 0)
                k = sd_event_source_set_enabled(p->retry_timer, SD_EVENT_ONESHOT);
        if (k >= 0)
                k = sd_event_add_time_relative(r->env->loop, &p->ping_timer, CLOCK_MONOTONIC, 500 * 1000, 0,
                                               on_ping_timer, p);
        if (k >= 0)
                k = sd_event_source_set_enabled(p->ping_timer, SD_EVENT_ON);
        if (k < 0) {
                snprintf(err, err_size, "%s: event loop: %s", r->name, strerror(-k));
                sd_event_source_disable_unref(p->listen_src);
                sd_event_source_disable_unref(p->retry_timer);
                sd_event_source_disable_unref(p->ping_timer);
                safe_close(p->listen_fd);
                free(p);
                return k;
        }
        log_info("%s: connecting to %s at %s, listening on %s", r->name, r->peer_host->name,
                 r->peer_host->address_text, r->me->address_text);
        *ret = p;
        return 0;
}

bool peer_io_unref(struct peer *p) {
        if (--p->io_refs > 0 || !p->dying)
                return false;
        free(p);
        return true;
}

void peer_free(struct peer *p) {
        if (!p)
                return;
        p->dying = true;
        p->promo.done = NULL; /* the resource answers its own pending promotion */
        if (p->c) {
                struct conn *c = p->c;
                struct wire_close cl = { .reason = WIRE_REASON_ADMIN };
                snprintf(cl.text, sizeof(cl.text), "%s disconnects", p->r->me->name);
                if (c->phase >= PHASE_SETTINGS && wire_close_encode(&c->out, WIRE_P_DISCONNECT, &cl) >= 0)
                        (void) conn_flush(c);
                peer_connection_lost(p, "disconnected by the administrator");
        }
        while (p->pending)
                conn_free(p->pending);
        sd_event_source_disable_unref(p->listen_src);
        sd_event_source_disable_unref(p->retry_timer);
        sd_event_source_disable_unref(p->ping_timer);
        p->promo.timer = sd_event_source_disable_unref(p->promo.timer);
        peer_rate_stop(p);
        safe_close(p->listen_fd);
        p->listen_src = p->retry_timer = p->ping_timer = NULL;
        p->listen_fd = -1;
        if (p->io_refs == 0)
                free(p);
}
