#!/bin/bash
# Resync: only dirty blocks move (the status counter says how many bytes);
# an interrupted resync (link cut, host crash of the SyncTarget) resumes
# where it stopped instead of starting over; application writes made on
# the SyncSource during the resync are not overwritten by older resync
# data. The resync is held to a fixed 4 MiB/s here so that it can be
# interrupted; the checks are on what moved, not on how long it took.
. "$(dirname "$0")/lib.sh"
lab_start 2

peer_vol() { # peer_vol HOST FIELD
    lab exec "$1" -- "$TANDEM" disk status r0 --json |
        python3 -c "import json,sys; d=json.load(sys.stdin)[0].get('peer',{}).get('volumes',[{}])[0]; print(d.get('$2', -1))"
}
done_pct() { disk_status bob | sed -n 's/.*done:\([0-9]*\).*/\1/p'; }
both_in_sync() { in_sync alice && in_sync bob; }
VOLUME=67096576

handlers='handlers { before-resync-target "echo before $DRBD_RESOURCE/$DRBD_VOLUME >> /var/lib/tandem/resync.log"; after-resync-target "echo after $DRBD_RESOURCE/$DRBD_VOLUME >> /var/lib/tandem/resync.log"; }'
disk_conf C "" "disk { c-plan-ahead 0; resync-rate 4M; } $handlers" > "$WORK/disk.conf"
disk_up alice bob
lab exec alice -- "$TANDEM" disk primary --force r0

# Interrupt the initial full sync by cutting the link at about a quarter.
wait_until 60 "the initial sync to pass 20%" sh -c "[ \"\$('$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | sed -n 's/.*done:\([0-9]*\).*/\1/p')\" -ge 20 ] 2>/dev/null"
lab cut alice bob
wait_until 30 "bob to lose alice" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q 'alice connection:Connecting'"
left_cut=$(oos_bytes bob)
[ "$left_cut" -gt 0 ] && [ "$left_cut" -lt "$VOLUME" ] || fail "after the cut bob has $left_cut bytes left"
grep -q 'resync interrupted with' "$LAB_ROOT/hosts/bob/log/diskd.log" || fail "bob did not log the interruption"
say "link cut at $((100 - left_cut * 100 / VOLUME))%: $left_cut bytes left"

# Writes on alice while cut and during the resumed sync: hot blocks the
# resync also carries.
qio alice -c "write -P 11 0 64k" -c "write -P 12 40M 64k"
lab heal
wait_until 30 "the resync to resume" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q 'replication:SyncTarget'"
for i in $(seq 1 10); do qio alice -c "write -P $((20 + i)) 48M 128k" -c "write -P $((40 + i)) 8k 4k"; done
# Then crash bob in the middle of it, and bring it back.
wait_until 120 "the resumed sync to pass 60%" sh -c "[ \"\$('$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | sed -n 's/.*done:\([0-9]*\).*/\1/p')\" -ge 60 ] 2>/dev/null"
moved_before_crash=$(peer_vol bob resynced)
[ "$moved_before_crash" -lt "$left_cut" ] || fail "the resumed resync moved $moved_before_crash bytes, more than the $left_cut left"
lab crash bob
lab boot bob
wait_until 30 "bob's tandem-diskd to answer" lab exec bob -- "$TANDEM" disk status
lab exec bob -- "$TANDEM" disk up r0 || fail "bob cannot come up after the crash"
wait_until 120 "the resync to finish after bob's crash" both_in_sync
moved_after_crash=$(peer_vol bob resynced)
total=$((moved_before_crash + moved_after_crash))
[ "$moved_after_crash" -lt "$left_cut" ] || fail "after the crash the resync started over ($moved_after_crash bytes)"
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "after the interrupted resyncs the copies differ"
say "resync resumed after the cut and after bob's crash; copies equal"

# Only dirty blocks: 7 distinct blocks written while cut.
lab cut alice bob
wait_until 30 "alice to lose bob" sh -c "'$TANDEM' lab exec alice -- '$TANDEM' disk status r0 | grep -q 'bob connection:Connecting'"
for b in 3 77 1000 1001 2048 9000 16000; do qio alice -c "write -P 99 $((b * 4096)) 4k"; done
lab heal
wait_until 60 "the resync of the dirty blocks" both_in_sync
[ "$(peer_vol bob resynced)" = $((7 * 4096)) ] || fail "bob received $(peer_vol bob resynced) bytes for 7 dirty blocks"
[ "$(peer_vol alice resynced)" = $((7 * 4096)) ] || fail "alice sent $(peer_vol alice resynced) bytes for 7 dirty blocks"
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "copies differ after the dirty-block resync"
say "7 dirty blocks: 28672 bytes resynced by the status counters"
# before-resync-target ran at each start of a resync as SyncTarget on
# bob (at least four: the initial sync, after the heal, after its crash,
# for the dirty blocks; a reconnect can add more), after-resync-target at
# each end (at least two); alice, always SyncSource, ran neither.
b=$(lab exec bob -- grep -c '^before r0/0$' /var/lib/tandem/resync.log || true)
a=$(lab exec bob -- grep -c '^after r0/0$' /var/lib/tandem/resync.log || true)
starts=$(grep -c 'resync starts as SyncTarget' "$LAB_ROOT/hosts/bob/log/diskd.log" || true)
ends=$(grep -c 'resync finished: .* received' "$LAB_ROOT/hosts/bob/log/diskd.log" || true)
[ "$b" = "$starts" ] && [ "$a" = "$ends" ] && [ "$b" -ge 4 ] && [ "$a" -ge 2 ] ||
    fail "bob's resync handlers ran $b times before and $a after, for $starts starts and $ends ends"
lab exec alice -- test ! -e /var/lib/tandem/resync.log || fail "alice ran SyncTarget handlers"

# down in the middle of a resync: it waits for the resync IO to drain.
wait_until 60 "both connected and in sync" both_in_sync
lab exec alice -- "$TANDEM" disk invalidate-remote r0 || fail "invalidate-remote: $(disk_status alice)"
wait_until 30 "the full resync to start" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q replication:SyncTarget"
lab exec bob -- "$TANDEM" disk down r0 || fail "down during a resync"
lab exec alice -- "$TANDEM" disk down r0 || fail "down of the SyncSource"
say "down during a resync: both went down"
say "ok"
