#!/bin/bash
# Split brain, as DRBD's tests provoke it: cut the link, write on both
# sides as Primary, heal. With the default policies (disconnect) both end
# StandAlone with the split-brain handler run, and manual recovery
# (victim: secondary, disconnect, connect --discard-my-data; survivor:
# connect) resyncs exactly what either side changed, by bitmap. Ten
# rounds. Then Listing 3's policies (discard-zero-changes,
# discard-secondary, disconnect) settle the 0- and 1-Primary cases alone.
. "$(dirname "$0")/lib.sh"
lab_start 2

conn_of() { disk_status "$1" | sed -n "s/^  $2 connection:\([A-Za-z]*\).*/\1/p"; }
both_standalone() {
    disk_status alice | grep -q 'bob connection:StandAlone split-brain:yes' &&
        disk_status bob | grep -q 'alice connection:StandAlone split-brain:yes'
}
both_in_sync() { in_sync alice && in_sync bob; }
lost_each_other() {
    [ "$(conn_of alice bob)" = Connecting ] && [ "$(conn_of bob alice)" = Connecting ]
}
cut_and_wait() {
    lab cut alice bob
    for _ in $(seq 60); do lost_each_other && return 0; sleep 0.5; done
    fail "the hosts did not lose each other: $(disk_status alice | tr '\n' ' ') / $(disk_status bob | tr '\n' ' ')"
}
# block HOST N: the 4 KiB block N of r0 on HOST's backing file, as md5
block() { lab exec "$1" -- sh -c "dd if=/var/lib/tandem/r0.img bs=4096 skip=$2 count=1 2>/dev/null | md5sum"; }
last_exchange() { grep 'bitmaps exchanged' "$LAB_ROOT/hosts/$1/log/diskd.log" | tail -n1 | sed 's/.*exchanged: //'; }

handlers='handlers { split-brain "echo $DRBD_RESOURCE $DRBD_PEER_ADDRESS $TANDEM_PEER >> /var/lib/tandem/split-brain.log"; }'
disk_conf C "" "$handlers" > "$WORK/disk.conf"
disk_up alice bob
lab exec alice -- "$TANDEM" disk primary --force r0
wait_until 120 "the initial sync to finish" both_in_sync

for round in $(seq 1 10); do
    base=$((round * 64))
    cut_and_wait
    lab exec bob -- "$TANDEM" disk primary r0 || fail "round $round: bob cannot become Primary while cut"
    for j in 0 1 2 3 4; do qio alice -c "write -P $round $(((base + j) * 4096)) 4k"; done
    for j in 0 1 2; do qio bob -c "write -P $((round + 100)) $(((base + 32 + j) * 4096)) 4k"; done
    want=$(block alice $((base + 32)))
    lab exec bob -- "$TANDEM" disk secondary r0
    lab heal
    wait_until 30 "both to detect the split brain and stand alone" both_standalone
    # Manual recovery: bob is the victim.
    lab exec bob -- "$TANDEM" disk disconnect r0
    lab exec bob -- "$TANDEM" disk connect --discard-my-data r0 || fail "round $round: connect --discard-my-data"
    lab exec alice -- "$TANDEM" disk connect r0
    wait_until 60 "the recovery resync" both_in_sync
    [ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "round $round: the copies differ after recovery"
    [ "$(block bob $((base + 32)))" = "$want" ] || fail "round $round: bob's split-brain write was not rolled back"
    [ "$(last_exchange bob)" = "32 KiB to resync" ] ||
        fail "round $round: resync of '$(last_exchange bob)', not the 32 KiB both sides changed"
done
say "10 rounds: split brain detected, manual recovery moved only the 8 changed blocks each time"
n=$(lab exec alice -- sh -c 'wc -l < /var/lib/tandem/split-brain.log')
[ "$n" = 10 ] || fail "alice's split-brain handler ran $n times, not 10"
lab exec bob -- cat /var/lib/tandem/split-brain.log | head -n1 | grep -qx 'r0 198.51.100.1 alice' ||
    fail "handler environment: $(lab exec bob -- head -n1 /var/lib/tandem/split-brain.log)"

# Listing 3's policies, installed on both and reconnected.
policies='after-sb-0pri discard-zero-changes; after-sb-1pri discard-secondary; after-sb-2pri disconnect;'
disk_conf C "$policies" "$handlers" > "$WORK/disk.conf"
for h in alice bob; do
    lab exec $h -- sh -c "cp '$WORK/disk.conf' /etc/tandem/disk.conf"
done
lab exec alice -- "$TANDEM" disk secondary r0
lab exec alice -- "$TANDEM" disk down r0
lab exec bob -- "$TANDEM" disk down r0
lab exec alice -- "$TANDEM" disk up r0
lab exec bob -- "$TANDEM" disk up r0
wait_until 30 "reconnect with the new policies" both_in_sync

# 1 Primary (alice) at the heal, both wrote: discard-secondary, bob loses.
lab exec alice -- "$TANDEM" disk primary r0
cut_and_wait
lab exec bob -- "$TANDEM" disk primary r0
qio alice -c "write -P 71 $((2000 * 4096)) 8k"
qio bob -c "write -P 72 $((2100 * 4096)) 4k"
lab exec bob -- "$TANDEM" disk secondary r0
want=$(block alice 2100)
lab heal
wait_until 60 "discard-secondary to settle it" both_in_sync
[ "$(block bob 2100)" = "$want" ] && [ "$(data_sum alice)" = "$(data_sum bob)" ] ||
    fail "discard-secondary: bob's data was not discarded"
grep -q 'split brain detected, 1 primaries, automatically solved (discard-secondary: bob is Secondary): sync from alice' \
    "$LAB_ROOT/hosts/alice/log/diskd.log" || fail "discard-secondary: no log line naming the policy"
say "after-sb-1pri discard-secondary: bob's writes discarded, alice's kept"

# 0 Primaries at the heal, only alice wrote (bob was Primary but wrote
# nothing): discard-zero-changes, bob loses.
cut_and_wait
lab exec bob -- "$TANDEM" disk primary r0
lab exec bob -- "$TANDEM" disk secondary r0
qio alice -c "write -P 73 $((2200 * 4096)) 4k"
lab exec alice -- "$TANDEM" disk secondary r0
lab heal
wait_until 60 "discard-zero-changes to settle it" both_in_sync
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "discard-zero-changes: copies differ"
grep -q 'split brain detected, 0 primaries, automatically solved (bob has no changes): sync from alice' \
    "$LAB_ROOT/hosts/alice/log/diskd.log" || fail "discard-zero-changes: no log line naming the policy"
say "after-sb-0pri discard-zero-changes: the side without changes resynced"

# 2 Primaries at the heal: disconnect, both StandAlone.
lab exec alice -- "$TANDEM" disk primary r0
cut_and_wait
lab exec bob -- "$TANDEM" disk primary r0
qio bob -c "write -P 74 $((2300 * 4096)) 4k"
lab heal
wait_until 30 "after-sb-2pri disconnect" both_standalone
say "after-sb-2pri disconnect: both StandAlone"
say "ok"
