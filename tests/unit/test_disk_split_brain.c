/* Unit tests for split_brain.h: each after-sb policy's outcome in the
 * scenario that shows it, and the property every policy must keep: both
 * nodes, given the same facts from their own side, reach opposite
 * verdicts (or both disconnect). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "split_brain.h"

static struct disk_net_options net_of(enum disk_after_sb_0pri p0, enum disk_after_sb_1pri p1,
                                      enum disk_after_sb_2pri p2) {
        struct disk_net_options n;
        memset(&n, 0, sizeof(n));
        n.after_sb_0pri = p0;
        n.after_sb_1pri = p1;
        n.after_sb_2pri = p2;
        return n;
}

static struct sb_side side(const char *name, bool primary, uint64_t changed) {
        return (struct sb_side){ .name = name, .primary = primary, .changed = changed };
}

/* The verdict on alice (node id 0: does not resolve conflicts). */
static int decide(const struct disk_net_options *n, struct sb_side a, struct sb_side b, bool *demote) {
        struct sb_decision d;
        split_brain_resolve(n, &a, &b, false, true, false, &d);
        if (demote)
                *demote = d.demote_self;
        return d.verdict;
}

static void test_0pri(void **state) {
        struct disk_net_options n = net_of(DISK_ASB0_DISCONNECT, DISK_ASB1_DISCONNECT, DISK_ASB2_DISCONNECT);
        struct sb_side a = side("alice", false, 10), b = side("bob", false, 0);

        assert_int_equal(decide(&n, a, b, NULL), -100);
        n.after_sb_0pri = DISK_ASB0_DISCARD_ZERO_CHANGES;
        assert_int_equal(decide(&n, a, b, NULL), 1);       /* bob wrote nothing: alice is source */
        b.changed = 3;
        assert_int_equal(decide(&n, a, b, NULL), -100);    /* both wrote: zero-changes cannot tell */
        n.after_sb_0pri = DISK_ASB0_DISCARD_LEAST_CHANGES;
        assert_int_equal(decide(&n, a, b, NULL), 1);       /* bob changed less */
        b.changed = 10;
        assert_int_equal(decide(&n, a, b, NULL), 1);       /* tie: the node-id order (bob resolves) */
        n.after_sb_0pri = DISK_ASB0_DISCARD_YOUNGER_PRIMARY;
        a.lost_peer_as_primary = true;                     /* alice was Primary before the split */
        assert_int_equal(decide(&n, a, b, NULL), 1);
        n.after_sb_0pri = DISK_ASB0_DISCARD_OLDER_PRIMARY;
        assert_int_equal(decide(&n, a, b, NULL), -1);
        n.after_sb_0pri = DISK_ASB0_DISCARD_NODE;
        n.after_sb_0pri_node = "alice";
        assert_int_equal(decide(&n, a, b, NULL), -1);
        n.after_sb_0pri_node = "bob";
        assert_int_equal(decide(&n, a, b, NULL), 1);
}

static void test_1pri(void **state) {
        struct disk_net_options n = net_of(DISK_ASB0_DISCARD_ZERO_CHANGES, DISK_ASB1_DISCONNECT,
                                           DISK_ASB2_DISCONNECT);
        struct sb_side a = side("alice", true, 10), b = side("bob", false, 5);
        bool demote = false;

        assert_int_equal(decide(&n, a, b, NULL), -100);
        n.after_sb_1pri = DISK_ASB1_DISCARD_SECONDARY;
        assert_int_equal(decide(&n, a, b, NULL), 1);       /* alice Primary keeps her data */
        assert_int_equal(decide(&n, b, a, NULL), -1);
        n.after_sb_1pri = DISK_ASB1_CONSENSUS;
        assert_int_equal(decide(&n, a, b, NULL), -100);    /* zero-changes cannot tell */
        b.changed = 0;
        assert_int_equal(decide(&n, a, b, NULL), 1);       /* agrees: the Secondary wrote nothing */
        a.changed = 0, b.changed = 7;
        assert_int_equal(decide(&n, a, b, NULL), -100);    /* would discard the Primary: no */
        n.after_sb_1pri = DISK_ASB1_VIOLENTLY_AS0P;
        assert_int_equal(decide(&n, a, b, NULL), -1);      /* ... unless violently */
        n.after_sb_1pri = DISK_ASB1_CALL_PRI_LOST_AFTER_SB;
        assert_int_equal(decide(&n, a, b, &demote), -1);
        assert_true(demote);                               /* alice must give up Primary */
}

static void test_2pri(void **state) {
        struct disk_net_options n = net_of(DISK_ASB0_DISCARD_LEAST_CHANGES, DISK_ASB1_DISCONNECT,
                                           DISK_ASB2_DISCONNECT);
        struct sb_side a = side("alice", true, 10), b = side("bob", true, 5);
        bool demote = true;

        assert_int_equal(decide(&n, a, b, &demote), -100);
        assert_false(demote);
        n.after_sb_2pri = DISK_ASB2_VIOLENTLY_AS0P;
        assert_int_equal(decide(&n, a, b, NULL), 1);
        n.after_sb_2pri = DISK_ASB2_CALL_PRI_LOST_AFTER_SB;
        assert_int_equal(decide(&n, b, a, &demote), -1);
        assert_true(demote);
}

static void test_manual(void **state) {
        struct disk_net_options n = net_of(DISK_ASB0_DISCONNECT, DISK_ASB1_DISCONNECT, DISK_ASB2_DISCONNECT);
        struct sb_side a = side("alice", false, 10), b = side("bob", true, 5);
        struct sb_decision d;

        a.discard_my_data = true;
        assert_int_equal(decide(&n, a, b, NULL), -1);
        assert_int_equal(decide(&n, b, a, NULL), 1);
        b.discard_my_data = true;                          /* both: still unresolved */
        assert_int_equal(decide(&n, a, b, NULL), -100);
        /* Without a common bitmap ancestor: policies are skipped and the
         * manual resolution is a full sync. */
        b.discard_my_data = false;
        n.after_sb_1pri = DISK_ASB1_DISCARD_SECONDARY;
        split_brain_resolve(&n, &a, &b, false, false, true, &d);
        assert_int_equal(d.verdict, -2);
        assert_non_null(strstr(d.why, "manually"));
}

/* Every combination of policies, roles and changes: the two sides agree. */
static void test_symmetry(void **state) {
        static const uint64_t changes[] = { 0, 1, 7 };
        const char *nodes[] = { "alice", "bob", "carol" };

        for (int p0 = DISK_ASB0_DISCONNECT; p0 <= DISK_ASB0_DISCARD_NODE; p0++)
        for (int p1 = DISK_ASB1_DISCONNECT; p1 <= DISK_ASB1_CALL_PRI_LOST_AFTER_SB; p1++)
        for (int p2 = DISK_ASB2_DISCONNECT; p2 <= DISK_ASB2_CALL_PRI_LOST_AFTER_SB; p2++)
        for (int roles = 0; roles < 4; roles++)
        for (int flags = 0; flags < 16; flags++)
        for (size_t ca = 0; ca < 3; ca++)
        for (size_t cb = 0; cb < 3; cb++)
        for (int node = 0; node < 3; node++) {
                struct disk_net_options n = net_of(p0, p1, p2);
                struct sb_side a = side("alice", roles & 1, changes[ca]), b = side("bob", roles & 2, changes[cb]);
                struct sb_decision da, db;
                bool policies = flags & 4, nobitmap = flags & 8;

                n.after_sb_0pri_node = nodes[node];
                a.lost_peer_as_primary = flags & 1;
                b.lost_peer_as_primary = flags & 2;
                a.discard_my_data = (flags & 3) == 3;
                split_brain_resolve(&n, &a, &b, false, policies, nobitmap, &da);
                split_brain_resolve(&n, &b, &a, true, policies, nobitmap, &db);
                if (da.verdict != -db.verdict && !(da.verdict == -100 && db.verdict == -100))
                        fail_msg("p0=%d p1=%d p2=%d roles=%d flags=%d changes=%d/%d node=%s: alice %d (%s), bob %d (%s)",
                                 p0, p1, p2, roles, flags, (int) changes[ca], (int) changes[cb], nodes[node],
                                 da.verdict, da.why, db.verdict, db.why);
                /* Only a Primary that loses may be asked to demote. */
                assert_false(da.demote_self && !(a.primary && da.verdict < 0));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_0pri),
                cmocka_unit_test(test_1pri),
                cmocka_unit_test(test_2pri),
                cmocka_unit_test(test_manual),
                cmocka_unit_test(test_symmetry),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
