/* test_disk_uuid.c: the connect-time decision on generation identifiers,
 * rule by rule, and the identifier updates around a resync. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "uuid.h"

#define A UINT64_C(0xA000000000000010)
#define B UINT64_C(0xB000000000000020)
#define C UINT64_C(0xC000000000000030)
#define D UINT64_C(0xD000000000000040)
#define E UINT64_C(0xE000000000000050)

static enum uuid_verdict cmp(struct disk_uuids me, struct disk_uuids pe, bool me_crashed,
                             bool pe_crashed, int *rule) {
        struct uuid_side s = { me, me_crashed }, p = { pe, pe_crashed };
        return uuid_compare(&s, &p, false, rule);
}

static void test_just_created(void **state) {
        int rule;
        struct disk_uuids fresh = { .current = UUID_JUST_CREATED };
        struct disk_uuids data = { .current = A };

        assert_int_equal(cmp(fresh, fresh, false, false, &rule), UUID_NO_SYNC);
        assert_int_equal(rule, 10);
        assert_int_equal(cmp(fresh, data, false, false, &rule), UUID_TARGET_FULL);
        assert_int_equal(rule, 20);
        assert_int_equal(cmp(data, fresh, false, false, &rule), UUID_SOURCE_FULL);
        assert_int_equal(rule, 30);
}

static void test_same_generation(void **state) {
        int rule;
        struct disk_uuids u = { .current = A, .history = { B } };
        /* the primary bit does not count */
        struct disk_uuids v = { .current = A | UUID_PRIMARY_BIT, .history = { B } };

        assert_int_equal(cmp(u, v, false, false, &rule), UUID_NO_SYNC);
        assert_int_equal(rule, 40);
        assert_int_equal(cmp(u, v, true, false, &rule), UUID_SOURCE_BITMAP);
        assert_int_equal(cmp(u, v, false, true, &rule), UUID_TARGET_BITMAP);

        struct uuid_side s = { u, true }, p = { v, true };
        assert_int_equal(uuid_compare(&s, &p, false, &rule), UUID_SOURCE_BITMAP);
        assert_int_equal(uuid_compare(&s, &p, true, &rule), UUID_TARGET_BITMAP);
}

static void test_primary_lost_peer(void **state) {
        int rule;
        /* Both were A; the Primary lost its peer and made a new generation. */
        struct disk_uuids sec = { .current = A, .history = { B } };
        struct disk_uuids pri = sec;
        uuid_new_current(&pri, C, true);
        assert_true(pri.current == (C | UUID_PRIMARY_BIT));
        assert_true(pri.bitmap == A);

        assert_int_equal(cmp(pri, sec, false, false, &rule), UUID_SOURCE_BITMAP);
        assert_int_equal(rule, 70);
        assert_int_equal(cmp(sec, pri, false, false, &rule), UUID_TARGET_BITMAP);
        assert_int_equal(rule, 50);
}

static void test_split_brain(void **state) {
        int rule;
        struct disk_uuids base = { .current = A, .history = { B } };
        struct disk_uuids x = base, y = base;
        uuid_new_current(&x, C, true);
        uuid_new_current(&y, D, true);
        assert_int_equal(cmp(x, y, false, false, &rule), UUID_SPLIT_BRAIN_AUTO);
        assert_int_equal(rule, 90);

        /* Only the history is shared. */
        struct disk_uuids p = { .current = C, .bitmap = E, .history = { B, 0 } };
        struct disk_uuids q = { .current = D, .bitmap = A, .history = { B, 0 } };
        assert_int_equal(cmp(p, q, false, false, &rule), UUID_SPLIT_BRAIN);
        assert_int_equal(rule, 100);

        /* Nothing shared. */
        struct disk_uuids r = { .current = C, .history = { D } };
        struct disk_uuids t = { .current = A, .history = { B } };
        assert_int_equal(cmp(r, t, false, false, &rule), UUID_UNRELATED);
}

static void test_history_means_full(void **state) {
        int rule;
        /* The peer moved on twice (two generations); mine is in its history. */
        struct disk_uuids old = { .current = A };
        struct disk_uuids newer = { .current = C, .bitmap = E, .history = { A, B } };
        assert_int_equal(cmp(old, newer, false, false, &rule), UUID_TARGET_FULL);
        assert_int_equal(rule, 60);
        assert_int_equal(cmp(newer, old, false, false, &rule), UUID_SOURCE_FULL);
        assert_int_equal(rule, 80);
}

static void test_missed_resync_finished(void **state) {
        int rule;
        /* The source finished (bitmap moved to history) but I, the old
         * source, still hold the bitmap identifier. */
        struct disk_uuids me = { .current = A, .bitmap = C, .history = { B, 0 } };
        struct disk_uuids pe = { .current = A, .bitmap = 0, .history = { C, B } };
        struct uuid_side s = { me, false }, p = { pe, false };
        assert_int_equal(uuid_compare(&s, &p, false, &rule), UUID_SOURCE_BITMAP);
        assert_int_equal(rule, 34);
        assert_true(s.uuids.bitmap == 0);
        assert_true(s.uuids.history[0] == C);
        assert_true(s.uuids.history[1] == B);

        struct uuid_side s2 = { pe, false }, p2 = { me, false };
        assert_int_equal(uuid_compare(&s2, &p2, false, &rule), UUID_TARGET_BITMAP);
        assert_int_equal(rule, 35);
        assert_true(p2.uuids.bitmap == 0);
}

static void test_lost_sync_uuid(void **state) {
        int rule;
        /* The source started a resync (bitmap += offset) but the target
         * never got the sync identifier. */
        struct disk_uuids src = { .current = C, .bitmap = A, .history = { B } };
        struct disk_uuids tgt = { .current = A, .history = { B } };
        uint64_t sync = uuid_start_sync_source(&src, D);
        assert_true(sync == A + UUID_NEW_BM_OFFSET);
        /* the source's history did not change; the target has A */
        src.history[0] = src.current == C ? src.history[0] : 0;
        /* Target's view: its current A is not the source's bitmap any more. */
        struct disk_uuids src_as_seen = { .current = C, .bitmap = sync, .history = { A, B } };
        struct uuid_side s = { tgt, false }, p = { src_as_seen, false };
        int v = uuid_compare(&s, &p, false, &rule);
        assert_int_equal(rule, 51);
        assert_int_equal(v, UUID_TARGET_BITMAP);
        assert_true(p.uuids.bitmap == A);
}

static void test_inconsistency_override(void **state) {
        assert_int_equal(uuid_apply_inconsistency(UUID_NO_SYNC, true, false), UUID_TARGET_BITMAP);
        assert_int_equal(uuid_apply_inconsistency(UUID_NO_SYNC, false, true), UUID_SOURCE_BITMAP);
        assert_int_equal(uuid_apply_inconsistency(UUID_SOURCE_FULL, true, false), UUID_TARGET_FULL);
        assert_int_equal(uuid_apply_inconsistency(UUID_SPLIT_BRAIN, false, true), UUID_SOURCE_FULL);
        assert_int_equal(uuid_apply_inconsistency(UUID_SOURCE_BITMAP, true, true), UUID_SOURCE_BITMAP);
}

static void test_resync_round_trip(void **state) {
        int rule;
        /* Fresh pair: one promoted with --force, full sync, then equal. */
        struct disk_uuids src = { .current = UUID_JUST_CREATED };
        struct disk_uuids tgt = { .current = UUID_JUST_CREATED };
        uuid_new_current(&src, A, true);
        assert_int_equal(cmp(src, tgt, false, false, &rule), UUID_SOURCE_FULL);
        struct disk_uuids src_at_connect = src;
        uint64_t sync = uuid_start_sync_source(&src, B);
        uuid_start_sync_target(&tgt, sync);
        uuid_finish_sync_source(&src);
        uuid_finish_sync_target(&tgt, &src_at_connect);
        assert_true(src.current == tgt.current);
        assert_true(src.bitmap == 0 && tgt.bitmap == 0);
        assert_true(src.history[0] == tgt.history[0]);
        assert_int_equal(cmp(src, tgt, false, false, &rule), UUID_NO_SYNC);
        assert_int_equal(rule, 40);

        /* Then the Primary loses its peer, writes, reconnects: bitmap sync
         * to the secondary, and equal again afterwards. */
        uuid_new_current(&src, C, true);
        assert_int_equal(cmp(tgt, src, false, false, &rule), UUID_TARGET_BITMAP);
        src_at_connect = src;
        sync = uuid_start_sync_source(&src, D);
        assert_true(sync == src_at_connect.bitmap + UUID_NEW_BM_OFFSET);
        uuid_start_sync_target(&tgt, sync);
        uuid_finish_sync_source(&src);
        uuid_finish_sync_target(&tgt, &src_at_connect);
        assert_int_equal(cmp(src, tgt, false, false, &rule), UUID_NO_SYNC);
}

static void test_names(void **state) {
        assert_string_equal(uuid_verdict_name(UUID_TARGET_FULL), "SyncTarget (full sync)");
        assert_string_equal(uuid_rule_text(40), "same current generation (common power failure or clean reconnect)");
        assert_string_equal(uuid_rule_text(12345), "no common ancestor");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_just_created),
                cmocka_unit_test(test_same_generation),
                cmocka_unit_test(test_primary_lost_peer),
                cmocka_unit_test(test_split_brain),
                cmocka_unit_test(test_history_means_full),
                cmocka_unit_test(test_missed_resync_finished),
                cmocka_unit_test(test_lost_sync_uuid),
                cmocka_unit_test(test_inconsistency_override),
                cmocka_unit_test(test_resync_round_trip),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
