#!/bin/bash
# Replication with protocol $1 (A, B or C): initial full sync, random
# writes through NBD on the Primary with every acknowledged write logged,
# a crash of the Primary host in the middle of them, promotion of the
# Secondary, and a check of what it holds: under B and C every
# acknowledged write (the Primary crashed, the Secondary did not), under
# A the writes in order up to some point (a prefix).
. "$(dirname "$0")/lib.sh"
PROTO=${1:?protocol}
lab_start 2

disk_conf "$PROTO" > "$WORK/disk.conf"
disk_up alice bob
lab exec alice -- "$TANDEM" disk primary --force r0
wait_until 120 "the initial sync to finish" in_sync bob
in_sync alice || fail "alice does not see bob in sync: $(disk_status alice)"

python3 "$(dirname "$0")/writes.py" gen 3000 $((60 << 20)) 42 > "$WORK/cmds.txt"
lab exec alice -- sh -c "stdbuf -oL qemu-io -f raw '$NBD' < '$WORK/cmds.txt' > '$WORK/acks.log' 2>&1" &
writer=$!
# Crash once a good part of the writes is acknowledged (bounded wait).
acked() { local n; n=$(grep -c 'wrote ' "$WORK/acks.log" 2>/dev/null); echo "${n:-0}"; }
for _ in $(seq 200); do
    [ "$(acked)" -ge 500 ] && break
    sleep 0.1
done
lab crash alice
wait $writer 2>/dev/null || true
say "acknowledged before the crash: $(acked)"

wait_until 30 "bob to notice" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q 'alice connection:Connecting'"
lab exec bob -- "$TANDEM" disk primary r0 || fail "bob could not become Primary: $(disk_status bob)"
lab exec bob -- nbdcopy "$NBD" "$WORK/bob.img" || fail "reading bob's volume failed"
mode=all
[ "$PROTO" = A ] && mode=prefix
python3 "$(dirname "$0")/writes.py" check "$WORK/cmds.txt" "$WORK/acks.log" "$WORK/bob.img" $mode ||
    fail "protocol $PROTO: bob's data does not hold what was promised"
say "ok"
