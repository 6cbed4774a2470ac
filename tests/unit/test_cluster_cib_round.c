/* Unit tests for cib_round.h: nodes joined by a simulated CPG (one queue
 * per partition, every message delivered to every member in the same
 * order) go through joins, a partition, changes on both sides, a heal,
 * a change sent while a round is open and a view change in the middle
 * of a round, and end with one CIB. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cib_round.h"
#include "util.h"

#define N_NODES 3
#define QUEUE_MAX 64

struct node {
        uint32_t id;
        struct cib_round round;
        xmlDoc *cib;
        unsigned refused, applied, adopted;
};

/* One partition's CPG: its members and the queue of what was sent, each
 * entry a view change (text NULL) or an encoded message. */
struct bus {
        struct node *members[N_NODES];
        size_t n;
        char *queue[QUEUE_MAX];
        bool is_view[QUEUE_MAX];
        size_t head, tail;
};

static void send_text(struct bus *b, char *text) {
        assert_true(b->tail < QUEUE_MAX);
        b->is_view[b->tail] = text == NULL;
        b->queue[b->tail++] = text;
}

static void send_msg(struct bus *b, struct cib_msg *m) {
        char *text;
        size_t len;

        assert_int_equal(cib_msg_encode(m, &text, &len), 0);
        cib_msg_free(m);
        send_text(b, text);
}

static void send_offer(struct bus *b, struct node *n) {
        struct cib_msg *m;

        assert_int_equal(cib_msg_new_offer(n->id, n->cib, &m), 0);
        send_msg(b, m);
}

static void send_change(struct bus *b, struct node *n, const char *rsc) {
        struct cib_version v;
        struct cib_msg *m;
        char text[128];
        xmlDoc *el = NULL;

        assert_int_equal(cib_doc_version(n->cib, &v), 0);
        snprintf(text, sizeof(text), "<primitive id=\"%s\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>", rsc);
        assert_int_equal(cib_doc_parse_xml(text, strlen(text), &el, NULL, 0), 0);
        assert_int_equal(cib_msg_new_change(n->id, 1, &v, &m), 0);
        assert_int_equal(cib_msg_add_edit(m, CIB_EDIT_CREATE, "/cib/configuration/resources",
                                          xmlDocGetRootElement(el)), 0);
        xmlFreeDoc(el);
        send_msg(b, m);
}

static void adopt(struct node *n, const struct cib_msg *m) {
        xmlDoc *next = NULL;

        assert_int_equal(cib_sync_apply(n->cib, m, &next, NULL, 0), 0);
        xmlFreeDoc(n->cib);
        n->cib = next;
}

/* What a member does with one delivery (what tandem-clusterd will do). */
static void deliver(struct bus *b, struct node *n, const char *text, bool is_view) {
        struct cib_msg *m = NULL;
        uint32_t ids[N_NODES];
        int action = CIB_ROUND_IGNORED;

        if (is_view) {
                for (size_t i = 0; i < b->n; i++)
                        ids[i] = b->members[i]->id;
                action = cib_round_view(&n->round, ids, b->n);
        } else {
                assert_int_equal(cib_msg_decode(text, strlen(text), &m, NULL, 0), 0);
                switch (m->type) {
                case CIB_MSG_OFFER:
                        action = cib_round_offer(&n->round, m);
                        break;
                case CIB_MSG_SYNC:
                        action = cib_round_sync(&n->round, m);
                        break;
                case CIB_MSG_CHANGE:
                case CIB_MSG_REPLACE:
                        if (cib_round_open(&n->round))
                                n->refused++;
                        else {
                                xmlDoc *next = NULL;
                                if (cib_sync_apply(n->cib, m, &next, NULL, 0) < 0)
                                        n->refused++;
                                else {
                                        xmlFreeDoc(n->cib);
                                        n->cib = next;
                                        n->applied++;
                                }
                        }
                        break;
                }
        }
        switch (action) {
        case CIB_ROUND_SEND_OFFER:
                send_offer(b, n);
                break;
        case CIB_ROUND_SEND_SYNC: {
                struct cib_msg *s;
                assert_int_equal(cib_msg_new_sync(n->id, n->cib, &s), 0);
                send_msg(b, s);
                break;
        }
        case CIB_ROUND_ADOPT:
                adopt(n, m);
                n->adopted++;
                break;
        default:
                break;
        }
        cib_msg_free(m);
}

/* Deliver everything queued (and what that causes) to every member. */
static void run_bus(struct bus *b) {
        while (b->head < b->tail) {
                size_t i = b->head++;
                for (size_t k = 0; k < b->n; k++)
                        deliver(b, b->members[k], b->queue[i], b->is_view[i]);
                free(b->queue[i]);
        }
}

static void bus_init(struct bus *b, struct node *nodes, const int *which, size_t n) {
        memset(b, 0, sizeof(*b));
        for (size_t i = 0; i < n; i++)
                b->members[i] = &nodes[which[i]];
        b->n = n;
}

static void assert_same_cib(struct bus *b) {
        char d0[CIB_DIGEST_LEN], d[CIB_DIGEST_LEN];

        assert_int_equal(cib_doc_digest(b->members[0]->cib, d0), 0);
        for (size_t i = 0; i < b->n; i++) {
                assert_false(cib_round_open(&b->members[i]->round));
                assert_int_equal(cib_doc_digest(b->members[i]->cib, d), 0);
                assert_string_equal(d, d0);
        }
}

static bool has_rsc(struct node *n, const char *id) {
        char path[128];

        snprintf(path, sizeof(path), "/cib/configuration/resources/primitive[@id='%s']", id);
        return cib_sync_find(n->cib, path) != NULL;
}

static void test_partition_and_heal(void **state) {
        struct node nodes[N_NODES];
        struct bus left, right, all;

        for (int i = 0; i < N_NODES; i++) {
                nodes[i] = (struct node) { .id = (uint32_t) (i + 1) };
                cib_round_init(&nodes[i].round, nodes[i].id);
                assert_int_equal(cib_doc_new_empty(&nodes[i].cib), 0);
        }
        /* All three join: equal CIBs, no sync needed. */
        bus_init(&all, nodes, (int[]) { 0, 1, 2 }, 3);
        send_text(&all, NULL);
        run_bus(&all);
        assert_same_cib(&all);
        assert_int_equal(nodes[0].adopted, 0);
        send_change(&all, &nodes[2], "common");
        run_bus(&all);
        assert_same_cib(&all);

        /* Partition {1,2} | {3}; two changes on the left, one on the right. */
        bus_init(&left, nodes, (int[]) { 0, 1 }, 2);
        bus_init(&right, nodes, (int[]) { 2 }, 1);
        send_text(&left, NULL);
        send_text(&right, NULL);
        run_bus(&left);
        run_bus(&right);
        send_change(&left, &nodes[1], "left1");
        run_bus(&left);
        send_change(&left, &nodes[0], "left2");
        run_bus(&left);
        send_change(&right, &nodes[2], "right1");
        run_bus(&right);
        assert_true(has_rsc(&nodes[2], "right1") && !has_rsc(&nodes[0], "right1"));

        /* Heal. Node 3 sends a change at once: it is delivered after the
         * view, inside the round, and refused by everyone alike. */
        bus_init(&all, nodes, (int[]) { 0, 1, 2 }, 3);
        send_text(&all, NULL);
        send_change(&all, &nodes[2], "during");
        for (int i = 0; i < N_NODES; i++)
                nodes[i].refused = 0;
        run_bus(&all);
        assert_same_cib(&all);
        for (int i = 0; i < N_NODES; i++) {
                assert_int_equal(nodes[i].refused, 1);
                assert_true(has_rsc(&nodes[i], "left2"));
                assert_false(has_rsc(&nodes[i], "right1"));
                assert_false(has_rsc(&nodes[i], "during"));
        }
        assert_int_equal(nodes[2].adopted, 1);
        for (int i = 0; i < N_NODES; i++)
                xmlFreeDoc(nodes[i].cib);
}

static void test_view_change_mid_round(void **state) {
        struct node nodes[N_NODES];
        struct bus all;

        for (int i = 0; i < N_NODES; i++) {
                nodes[i] = (struct node) { .id = (uint32_t) (10 - i) };  /* ids 10, 9, 8 */
                cib_round_init(&nodes[i].round, nodes[i].id);
                assert_int_equal(cib_doc_new_empty(&nodes[i].cib), 0);
        }
        /* Node 9 is ahead. */
        struct cib_version v = { 0, 5, 0 };
        assert_int_equal(cib_doc_set_version(nodes[1].cib, &v), 0);

        bus_init(&all, nodes, (int[]) { 0, 1, 2 }, 3);
        send_text(&all, NULL);
        /* Deliver the view and the three offers, not yet the sync. */
        for (int step = 0; step < 4; step++) {
                size_t i = all.head++;
                for (size_t k = 0; k < all.n; k++)
                        deliver(&all, all.members[k], all.queue[i], all.is_view[i]);
                free(all.queue[i]);
        }
        assert_int_equal(cib_round_chosen(&nodes[0].round), 9);
        assert_true(cib_round_open(&nodes[2].round));
        /* A view change before the sync is delivered: a new round; the
         * old sync arrives in it and is ignored; the new round ends with
         * node 9's CIB all the same. */
        send_text(&all, NULL);
        size_t old_sync = all.head;
        char *text = all.queue[old_sync];
        struct cib_msg *m = NULL;
        assert_int_equal(cib_msg_decode(text, strlen(text), &m, NULL, 0), 0);
        assert_int_equal(m->type, CIB_MSG_SYNC);
        all.head++;     /* delivered after the new view instead: */
        for (size_t k = 0; k < all.n; k++)
                deliver(&all, all.members[k], NULL, true);
        for (size_t k = 0; k < all.n; k++)
                assert_int_equal(cib_round_sync(&all.members[k]->round, m), CIB_ROUND_IGNORED);
        cib_msg_free(m);
        free(text);
        all.head++;     /* the queued view was delivered by hand above */
        run_bus(&all);
        assert_same_cib(&all);
        for (int i = 0; i < N_NODES; i++) {
                struct cib_version got;
                assert_int_equal(cib_doc_version(nodes[i].cib, &got), 0);
                assert_true(got.epoch == 5);
                xmlFreeDoc(nodes[i].cib);
        }
}

static void test_bad_input(void **state) {
        struct cib_round r;
        struct cib_msg offer = { .type = CIB_MSG_OFFER, .from = 7 };
        uint32_t twice[] = { 1, 1 }, without_self[] = { 2, 3 }, ok[] = { 1, 2 };

        cib_round_init(&r, 1);
        assert_false(cib_round_open(&r));
        assert_int_equal(cib_round_offer(&r, &offer), CIB_ROUND_IGNORED);   /* no round */
        assert_int_equal(cib_round_view(&r, twice, 2), -EINVAL);
        assert_int_equal(cib_round_view(&r, without_self, 2), -EINVAL);
        assert_int_equal(cib_round_view(&r, ok, 0), -EINVAL);
        assert_int_equal(cib_round_view(&r, ok, 2), CIB_ROUND_SEND_OFFER);
        assert_int_equal(cib_round_offer(&r, &offer), CIB_ROUND_IGNORED);   /* not a member */
        offer.from = 2;
        assert_int_equal(cib_round_offer(&r, &offer), CIB_ROUND_WAIT);
        assert_int_equal(cib_round_offer(&r, &offer), CIB_ROUND_IGNORED);   /* twice */
        offer.from = 1;
        assert_int_equal(cib_round_offer(&r, &offer), CIB_ROUND_DONE);      /* same (empty) digests */
        assert_false(cib_round_open(&r));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_partition_and_heal),
                cmocka_unit_test(test_view_change_mid_round),
                cmocka_unit_test(test_bad_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
