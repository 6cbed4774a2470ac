/* wire_handshake.c: the handshake side of the wire protocol: HELLO
 * negotiation and the connect race, mutual HMAC authentication, and the
 * SETTINGS comparison (docs/wire-protocol.md). The codec is wire.c. */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <sys/param.h>

#include "wire.h"
#include "wire_internal.h"

/* ---- handshake: negotiation and the connect race ------------------------ */

int wire_hello_negotiate(const struct wire_hello *mine, const struct wire_hello *peer,
                         struct wire_session *ret, char *why, size_t why_size) {
        uint32_t lo = MAX(mine->version_min, peer->version_min);
        uint32_t hi = MIN(mine->version_max, peer->version_max);
        bool i_init = mine->flags & WIRE_HELLO_INITIATOR, p_init = peer->flags & WIRE_HELLO_INITIATOR;
        bool i_auth = mine->flags & WIRE_HELLO_AUTH, p_auth = peer->flags & WIRE_HELLO_AUTH;

        if (lo > hi)
                return wire_fail(why, why_size, -EPROTONOSUPPORT,
                            "no common protocol version: %u..%u here, %u..%u on peer",
                            mine->version_min, mine->version_max, peer->version_min, peer->version_max);
        if (!streq(mine->resource, peer->resource))
                return wire_fail(why, why_size, -EPROTO, "resource: %s here, %s on peer",
                            mine->resource, peer->resource);
        if (mine->node_id == peer->node_id)
                return wire_fail(why, why_size, -EPROTO, "node id: %u both here and on peer %s",
                            mine->node_id, peer->host);
        if (i_init == p_init)
                return wire_fail(why, why_size, -EPROTO, "%s sides claim to have initiated the connection",
                            i_init ? "both" : "neither");
        if (i_auth != p_auth)
                return wire_fail(why, why_size, -EACCES, "authentication: %s here, %s on peer",
                            i_auth ? "required" : "not configured", p_auth ? "required" : "not configured");
        *ret = (struct wire_session) {
                .version = hi,
                .features = mine->features & peer->features & WIRE_FEATURES_KNOWN,
        };
        return 0;
}

bool wire_race_keep_new(uint32_t my_node_id, uint32_t peer_node_id,
                        const struct wire_race_conn *old_conn, const struct wire_race_conn *new_conn) {
        uint32_t old_initiator, new_initiator;

        if (old_conn->peer_instance_id != new_conn->peer_instance_id)
                return true;
        if (old_conn->initiated_here == new_conn->initiated_here)
                return false;
        old_initiator = old_conn->initiated_here ? my_node_id : peer_node_id;
        new_initiator = new_conn->initiated_here ? my_node_id : peer_node_id;
        return new_initiator > old_initiator;
}

int wire_make_instance_id(uint64_t *ret) {
        uint64_t v = 0;

        while (v == 0)
                if (gnutls_rnd(GNUTLS_RND_NONCE, &v, sizeof v) < 0)
                        return -EIO;
        *ret = v;
        return 0;
}

/* ---- authentication ---------------------------------------------------- */

int wire_auth_make_challenge(enum wire_hmac_alg alg, struct wire_auth_challenge *ret) {
        struct wire_auth_challenge c = { .alg = alg, .challenge_len = WIRE_AUTH_CHALLENGE_LEN };

        if (!wire_hmac_alg_name(alg))
                return -EINVAL;
        if (gnutls_rnd(GNUTLS_RND_RANDOM, c.challenge, c.challenge_len) < 0)
                return -EIO;
        *ret = c;
        return 0;
}

static gnutls_mac_algorithm_t hmac_to_gnutls(enum wire_hmac_alg a) {
        switch (a) {
        case WIRE_HMAC_MD5: return GNUTLS_MAC_MD5;
        case WIRE_HMAC_SHA1: return GNUTLS_MAC_SHA1;
        case WIRE_HMAC_SHA256: return GNUTLS_MAC_SHA256;
        case WIRE_HMAC_SHA512: return GNUTLS_MAC_SHA512;
        default: return GNUTLS_MAC_UNKNOWN;
        }
}

#define AUTH_LABEL "tandem-auth-v1"

/* HMAC(secret, label || responder || len || answered || len || own). The
 * responder's node id makes the two directions' responses differ, and
 * both challenges tie the response to this one session. */
static int auth_compute(const void *secret, size_t secret_len, enum wire_hmac_alg alg,
                        const struct wire_auth_challenge *answered, const struct wire_auth_challenge *own,
                        uint32_t responder, struct wire_auth_response *ret) {
        uint8_t msg[sizeof(AUTH_LABEL) - 1 + 4 + 2 * (1 + WIRE_AUTH_CHALLENGE_MAX)];
        struct wire_auth_response a = { .response_len = wire_hmac_size(alg) };
        size_t n = sizeof(AUTH_LABEL) - 1;

        if (!secret || secret_len == 0 || a.response_len == 0 ||
            wire_challenge_check(0, answered, NULL, 0) < 0 || wire_challenge_check(0, own, NULL, 0) < 0)
                return -EINVAL;
        memcpy(msg, AUTH_LABEL, n);
        wire_put_be(msg + n, 4, responder);
        n += 4;
        msg[n++] = (uint8_t) answered->challenge_len;
        memcpy(msg + n, answered->challenge, answered->challenge_len);
        n += answered->challenge_len;
        msg[n++] = (uint8_t) own->challenge_len;
        memcpy(msg + n, own->challenge, own->challenge_len);
        n += own->challenge_len;
        if (gnutls_hmac_fast(hmac_to_gnutls(alg), secret, secret_len, msg, n, a.response) < 0)
                return -EOPNOTSUPP;
        *ret = a;
        return 0;
}

int wire_auth_response(const void *secret, size_t secret_len,
                       const struct wire_auth_challenge *peer_challenge,
                       const struct wire_auth_challenge *my_challenge,
                       uint32_t my_node_id, struct wire_auth_response *ret) {
        /* Answering with an algorithm we were not configured for would let
         * a peer pick a weaker one. */
        if (peer_challenge->alg != my_challenge->alg)
                return -EACCES;
        return auth_compute(secret, secret_len, peer_challenge->alg, peer_challenge, my_challenge,
                            my_node_id, ret);
}

int wire_auth_verify(const void *secret, size_t secret_len,
                     const struct wire_auth_challenge *my_challenge,
                     const struct wire_auth_challenge *peer_challenge,
                     uint32_t peer_node_id, const struct wire_auth_response *response,
                     char *why, size_t why_size) {
        struct wire_auth_response want;
        int r;

        if (peer_challenge->alg != my_challenge->alg)
                return wire_fail(why, why_size, -EACCES, "cram-hmac-alg: %s here, %s on peer",
                            wire_strna(wire_hmac_alg_name(my_challenge->alg)),
                            wire_strna(wire_hmac_alg_name(peer_challenge->alg)));
        if (peer_challenge->challenge_len == my_challenge->challenge_len &&
            memcmp(peer_challenge->challenge, my_challenge->challenge, my_challenge->challenge_len) == 0)
                return wire_fail(why, why_size, -EACCES, "the peer sent our own challenge back");
        r = auth_compute(secret, secret_len, my_challenge->alg, my_challenge, peer_challenge,
                         peer_node_id, &want);
        if (r < 0)
                return wire_fail(why, why_size, r, "cannot compute HMAC-%s: %s",
                            wire_strna(wire_hmac_alg_name(my_challenge->alg)), strerror(-r));
        if (response->response_len != want.response_len)
                return wire_fail(why, why_size, -EACCES, "response is %zu bytes, HMAC-%s gives %zu",
                            response->response_len, wire_hmac_alg_name(my_challenge->alg),
                            want.response_len);
        if (gnutls_memcmp(response->response, want.response, want.response_len) != 0)
                return wire_fail(why, why_size, -EACCES, "wrong response: the shared secret differs");
        return 0;
}

/* ---- SETTINGS comparison ----------------------------------------------- */

static const char *asb_desc(char *b, size_t n, enum wire_after_sb a, const char *node) {
        if (a == WIRE_ASB_DISCARD_NODE)
                snprintf(b, n, "discard-node-%s", node);
        else
                snprintf(b, n, "%s", wire_strna(wire_after_sb_name(a)));
        return b;
}

int wire_settings_compare(const struct wire_settings *mine, const struct wire_settings *peer,
                          char *why, size_t why_size) {
        const enum wire_after_sb m[3] = { mine->after_sb_0pri, mine->after_sb_1pri, mine->after_sb_2pri };
        const enum wire_after_sb p[3] = { peer->after_sb_0pri, peer->after_sb_1pri, peer->after_sb_2pri };
        bool m2 = mine->flags & WIRE_SETTINGS_TWO_PRIMARIES, p2 = peer->flags & WIRE_SETTINGS_TWO_PRIMARIES;
        const struct { const char *name, *a, *b; } algs[] = {
                { "data-integrity-alg", mine->integrity_alg, peer->integrity_alg },
                { "verify-alg", mine->verify_alg, peer->verify_alg },
                { "csums-alg", mine->csums_alg, peer->csums_alg },
        };
        char a[WIRE_NAME_MAX + 32], b[WIRE_NAME_MAX + 32];

        if (mine->protocol != peer->protocol)
                return wire_fail(why, why_size, -EPROTO, "protocol: %s here, %s on peer",
                            wire_strna(wire_protocol_name(mine->protocol)), wire_strna(wire_protocol_name(peer->protocol)));
        if (m2 != p2)
                return wire_fail(why, why_size, -EPROTO, "allow-two-primaries: %s here, %s on peer",
                            m2 ? "yes" : "no", p2 ? "yes" : "no");
        for (int i = 0; i < 3; i++) {
                asb_desc(a, sizeof a, m[i], mine->discard_node);
                asb_desc(b, sizeof b, p[i], peer->discard_node);
                if (!streq(a, b))
                        return wire_fail(why, why_size, -EPROTO, "after-sb-%dpri: %s here, %s on peer", i, a, b);
        }
        if ((mine->flags & peer->flags) & WIRE_SETTINGS_DISCARD_MY_DATA)
                return wire_fail(why, why_size, -EPROTO, "discard-my-data: set on both nodes");
        for (size_t i = 0; i < ELEMENTSOF(algs); i++)
                if (!streq(algs[i].a, algs[i].b))
                        return wire_fail(why, why_size, -EPROTO, "%s: %s here, %s on peer", algs[i].name,
                                    algs[i].a[0] ? algs[i].a : "(none)", algs[i].b[0] ? algs[i].b : "(none)");
        return 0;
}

