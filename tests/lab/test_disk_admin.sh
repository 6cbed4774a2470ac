#!/bin/bash
# drbdadm's resync commands: new-current-uuid --clear-bitmap on a fresh
# pair (no initial sync), invalidate and invalidate-remote (full resync,
# which repairs a block changed behind tandem's back), pause-sync and
# resume-sync, outdate.
. "$(dirname "$0")/lib.sh"
lab_start 2

repl_of() { disk_status "$1" | sed -n 's/.*replication:\([A-Za-z]*\).*/\1/p' | head -n1; }
resync_left() {
    lab exec "$1" -- "$TANDEM" disk status r0 --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["peer"]["volumes"][0]["resync-left"])'
}
plant() { lab exec "$1" -- sh -c "head -c 4096 /dev/urandom | dd of=/var/lib/tandem/r0.img bs=4096 seek=$2 conv=notrunc oflag=direct 2>/dev/null"; }
both_in_sync() { in_sync alice && in_sync bob; }

disk_conf C > "$WORK/disk.conf"
disk_up alice bob
wait_until 30 "the fresh pair to connect" sh -c "'$TANDEM' lab exec alice -- '$TANDEM' disk status r0 | grep -q 'peer-disk:Inconsistent'"
lab exec alice -- "$TANDEM" disk new-current-uuid --clear-bitmap r0 || fail "new-current-uuid --clear-bitmap"
wait_until 30 "both UpToDate without a sync" both_in_sync
grep -q 'skipping the initial sync' "$LAB_ROOT/hosts/bob/log/diskd.log" || fail "bob did not skip the initial sync"
grep -q 'resync starts' "$LAB_ROOT"/hosts/*/log/diskd.log && fail "a resync ran on a fresh pair after --clear-bitmap"
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "fresh pair differs"
say "new-current-uuid --clear-bitmap: UpToDate on both without an initial sync"

# invalidate on bob repairs a block changed behind tandem's back.
plant bob 500
[ "$(data_sum alice)" != "$(data_sum bob)" ] || fail "the planted block made no difference"
lab exec bob -- "$TANDEM" disk invalidate r0 || fail "invalidate on bob"
wait_until 60 "the full resync after invalidate" both_in_sync
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "invalidate: copies differ"
grep -q 'invalidate: full resync from alice' "$LAB_ROOT/hosts/bob/log/diskd.log" || fail "bob's log does not tell the invalidate"
say "invalidate: bob resynced fully from alice"

# invalidate-remote from alice does the same from the other side.
plant bob 900
lab exec alice -- "$TANDEM" disk invalidate-remote r0 || fail "invalidate-remote on alice"
wait_until 60 "the full resync after invalidate-remote" both_in_sync
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "invalidate-remote: copies differ"
say "invalidate-remote: bob resynced fully from alice"

# pause-sync holds a resync; resume-sync lets it finish.
lab exec bob -- "$TANDEM" disk pause-sync r0
lab exec bob -- "$TANDEM" disk invalidate r0
wait_until 10 "the paused resync to show" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q replication:PausedSyncT"
wait_until 10 "alice to show it paused" sh -c "'$TANDEM' lab exec alice -- '$TANDEM' disk status r0 | grep -q replication:PausedSyncS"
left=$(resync_left bob)
[ "$left" -gt 0 ] || fail "nothing left to resync while paused"
sleep 1
[ "$(resync_left bob)" = "$left" ] || fail "the resync moved while paused ($left -> $(resync_left bob))"
lab exec bob -- "$TANDEM" disk pause-sync r0 2>/dev/null && fail "a second pause-sync was not refused"
lab exec bob -- "$TANDEM" disk resume-sync r0
wait_until 60 "the resync after resume-sync" both_in_sync
say "pause-sync held the resync at $left bytes; resume-sync finished it"

# outdate: a disconnected Secondary marked Outdated cannot be promoted;
# it is UpToDate again once connected to an UpToDate peer.
lab exec bob -- "$TANDEM" disk disconnect r0
lab exec bob -- "$TANDEM" disk outdate r0
disk_is bob Outdated || fail "outdate: $(disk_status bob)"
lab exec bob -- "$TANDEM" disk primary r0 2>/dev/null && fail "an Outdated node became Primary"
lab exec bob -- "$TANDEM" disk connect r0
wait_until 30 "bob to be UpToDate after connecting" both_in_sync
say "outdate: Outdated while alone, UpToDate once connected"
say "ok"
