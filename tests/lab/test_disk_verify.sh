#!/bin/bash
# Online verify. Blocks 99, 1340, 1341 and 3980 are changed on the
# Secondary's backing file behind tandem's back: verify reports exactly
# those and marks them out of sync. Then the Primary's host crashes under
# a write load, boots and reconnects: no acknowledged write is lost and a
# verify finds no difference.
. "$(dirname "$0")/lib.sh"
lab_start 2

verify_done() { ! disk_status "$1" | grep -q 'replication:Verify'; }
verify_oos() {
    lab exec "$1" -- "$TANDEM" disk status r0 --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["peer"]["volumes"][0]["verify-out-of-sync"])'
}
reported_blocks() {
    sed -n 's/.*online verify: block \([0-9]*\) .*out of sync$/\1/p' "$LAB_ROOT/hosts/$1/log/diskd.log" | sort -n | tr '\n' ' '
}

disk_conf C "verify-alg sha256;" > "$WORK/disk.conf"
disk_up alice bob
lab exec alice -- "$TANDEM" disk primary --force r0
wait_until 120 "the initial sync to finish" in_sync bob

# Plant the differences on bob, bypassing tandem.
for b in 99 1340 1341 3980; do
    lab exec bob -- sh -c "head -c 4096 /dev/urandom | dd of=/var/lib/tandem/r0.img bs=4096 seek=$b conv=notrunc oflag=direct 2>/dev/null"
done
lab exec alice -- "$TANDEM" disk verify r0
wait_until 120 "the verify to finish" verify_done alice
wait_until 10 "bob to see the verify finished" verify_done bob
[ "$(reported_blocks alice)" = "99 1340 1341 3980 " ] || fail "alice reported blocks '$(reported_blocks alice)'"
[ "$(reported_blocks bob)" = "99 1340 1341 3980 " ] || fail "bob reported blocks '$(reported_blocks bob)'"
[ "$(verify_oos alice)" = $((4 * 4096)) ] || fail "verify-out-of-sync on alice: $(verify_oos alice)"
[ "$(oos_bytes alice)" = $((4 * 4096)) ] && [ "$(oos_bytes bob)" = $((4 * 4096)) ] ||
    fail "the blocks are not marked: alice $(oos_bytes alice), bob $(oos_bytes bob)"
say "verify found exactly blocks 99, 1340, 1341 and 3980 and marked them"

# A second verify while one runs, or of a resource that is not up, is refused.
out=$(lab exec bob -- "$TANDEM" disk verify nosuch 2>&1) && fail "verify of a resource that is not up"
echo "$out" | grep -q 'nosuch is not up' || fail "verify of a resource that is not up: $out"

# Put the planted blocks right (alice's data is the truth), then crash the
# Primary under load.
lab exec alice -- "$TANDEM" disk disconnect r0
lab exec alice -- "$TANDEM" disk connect r0
wait_until 60 "the reconnect" in_sync bob
python3 "$(dirname "$0")/writes.py" gen 3000 $((60 << 20)) 7 > "$WORK/cmds.txt"
lab exec alice -- sh -c "stdbuf -oL qemu-io -f raw '$NBD' < '$WORK/cmds.txt' > '$WORK/acks.log' 2>&1" &
writer=$!
acked() { local n; n=$(grep -c 'wrote ' "$WORK/acks.log" 2>/dev/null); echo "${n:-0}"; }
for _ in $(seq 200); do [ "$(acked)" -ge 400 ] && break; sleep 0.1; done
lab crash alice
wait $writer 2>/dev/null || true
say "acknowledged before the crash: $(acked)"
lab boot alice
wait_until 30 "alice's tandem-diskd to answer" lab exec alice -- "$TANDEM" disk status
lab exec alice -- "$TANDEM" disk up r0 || fail "alice cannot bring r0 up after the crash"
wait_until 120 "alice and bob to resync after the crash" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q 'replication:Established peer-disk:UpToDate'"
lab exec alice -- "$TANDEM" disk primary r0 || fail "alice cannot become Primary again: $(disk_status alice)"
lab exec alice -- nbdcopy "$NBD" "$WORK/alice.img"
python3 "$(dirname "$0")/writes.py" check "$WORK/cmds.txt" "$WORK/acks.log" "$WORK/alice.img" all ||
    fail "an acknowledged write is missing after the crash"
before=$(reported_blocks alice)
lab exec alice -- "$TANDEM" disk verify r0
wait_until 120 "the second verify to finish" verify_done alice
[ "$(verify_oos alice)" = 0 ] || fail "verify after the crash found $(verify_oos alice) bytes out of sync"
[ "$(reported_blocks alice)" = "$before" ] || fail "verify after the crash reported blocks"
say "crash under load: every acknowledged write kept, verify finds no difference"
say "ok"
