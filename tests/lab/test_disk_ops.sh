#!/bin/bash
# Replicated volume operations beyond failover: application writes during
# the initial sync win over resync data; secondary is refused while an NBD
# client is connected; a cut link leaves the Primary writing, marking
# out-of-sync blocks, and reconnecting by itself with a bitmap resync;
# a wrong shared-secret and mismatched settings are refused and logged.
. "$(dirname "$0")/lib.sh"
lab_start 2

# Writes while the initial full sync runs: the hot blocks are written
# over and over; after the sync both copies must be equal.
disk_conf C > "$WORK/disk.conf"
disk_up alice bob
lab exec alice -- "$TANDEM" disk primary --force r0
for i in $(seq 1 20); do
    qio alice -c "write -P $i 0 256k" -c "write -P $((i + 100)) 32M 64k" -c "write -P $((i + 50)) 60M 4k"
done
wait_until 120 "the initial sync to finish" in_sync bob
wait_until 10 "alice to see the sync finished" in_sync alice
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "after a sync with concurrent writes the copies differ"
say "initial sync with concurrent writes: copies equal"

# An NBD client holds the volume open: no demotion.
mkfifo "$WORK/hold"
lab exec alice -- sh -c "qemu-io -f raw '$NBD' < '$WORK/hold' >/dev/null 2>&1" &
holder=$!
exec 9>"$WORK/hold"
wait_until 10 "the NBD client to connect" sh -c "'$TANDEM' lab exec alice -- '$TANDEM' disk status r0 | grep -q open:yes"
set +e
err=$(lab exec alice -- "$TANDEM" disk secondary r0 2>&1); rc=$?
set -e
[ $rc != 0 ] && echo "$err" | grep -q 'NBD client' || fail "secondary with a client connected: rc=$rc '$err'"
exec 9>&-
wait $holder || true
wait_until 10 "the NBD client to go" sh -c "! '$TANDEM' lab exec alice -- '$TANDEM' disk status r0 | grep -q open:yes"
say "secondary refused while an NBD client was connected"

# Cut the link while writing: writes go on, blocks are marked, the
# Primary reconnects by itself after the heal and resyncs only those.
lab cut alice bob
wait_until 30 "alice to lose bob" sh -c "'$TANDEM' lab exec alice -- '$TANDEM' disk status r0 | grep -q 'bob connection:Connecting'"
qio alice -c "write -P 7 1M 40k" -c "write -P 8 10M 4k" -c "write -P 9 20M 4k"
[ "$(oos_bytes alice)" = $((12 * 4096)) ] || fail "out-of-sync after 12 blocks written while cut: $(oos_bytes alice)"
lab heal
wait_until 60 "the resync after the heal" in_sync bob
wait_until 10 "alice to see the resync finished" in_sync alice
[ "$(oos_bytes alice)" = 0 ] || fail "alice still has out-of-sync blocks"
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "after the resync the copies differ"
if ! grep -q 'resync finished: 48 KiB received' "$LAB_ROOT/hosts/bob/log/diskd.log"; then
    grep -hE 'decision|resync|connected|lost' "$LAB_ROOT"/hosts/*/log/diskd.log >&2
    fail "the resync did not move exactly the 48 KiB written while cut"
fi
say "cut and heal: 48 KiB resynced, copies equal"

# disconnect/connect and detach/attach by hand, as with drbdadm.
lab exec alice -- "$TANDEM" disk disconnect r0
disk_status alice | grep -q 'bob connection:StandAlone' || fail "after disconnect: $(disk_status alice)"
wait_until 30 "bob to lose alice" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q 'alice connection:Connecting'"
qio alice -c "write -P 3 5M 8k"
set +e
err=$(lab exec bob -- "$TANDEM" disk detach r0 2>&1); rc=$?
set -e
[ $rc = 0 ] || fail "detach of a disconnected Secondary: $err"
disk_status bob | grep -q '^  disk:Diskless' || fail "after detach: $(disk_status bob)"
lab exec bob -- "$TANDEM" disk attach r0
disk_status bob | grep -qE '^  disk:(Consistent|UpToDate)' || fail "after attach: $(disk_status bob)"
lab exec alice -- "$TANDEM" disk connect r0
wait_until 60 "the resync after connect" in_sync bob
wait_until 10 "alice to see it" in_sync alice
[ "$(data_sum alice)" = "$(data_sum bob)" ] || fail "after disconnect/detach/attach/connect the copies differ"
say "disconnect, detach, attach, connect: copies equal"

# A wrong shared-secret is refused and logged; so are settings that do
# not agree. Both sides keep their data.
lab exec alice -- "$TANDEM" disk secondary r0
for h in alice bob; do lab exec $h -- "$TANDEM" disk down r0; done
disk_conf C 'cram-hmac-alg sha256; shared-secret "right";' > "$WORK/alice.conf"
disk_conf C 'cram-hmac-alg sha256; shared-secret "wrong";' > "$WORK/bob.conf"
lab exec alice -- sh -c "cp '$WORK/alice.conf' /etc/tandem/disk.conf && '$TANDEM' disk up r0"
lab exec bob -- sh -c "cp '$WORK/bob.conf' /etc/tandem/disk.conf && '$TANDEM' disk up r0"
wait_until 30 "the authentication failure to be logged" grep -q 'authentication of bob failed' "$LAB_ROOT/hosts/alice/log/diskd.log"
disk_status alice | grep -q 'connection:Connected' && fail "connected with a wrong secret"
say "wrong shared-secret refused"

for h in alice bob; do lab exec $h -- "$TANDEM" disk down r0; done
disk_conf A > "$WORK/alice.conf"
disk_conf C > "$WORK/bob.conf"
lab exec alice -- sh -c "cp '$WORK/alice.conf' /etc/tandem/disk.conf && '$TANDEM' disk up r0"
lab exec bob -- sh -c "cp '$WORK/bob.conf' /etc/tandem/disk.conf && '$TANDEM' disk up r0"
wait_until 30 "the settings mismatch" sh -c "'$TANDEM' lab exec alice -- '$TANDEM' disk status r0 | grep -q 'bob connection:StandAlone'"
grep -q 'settings-mismatch: protocol' "$LAB_ROOT/hosts/alice/log/diskd.log" || fail "no settings mismatch in alice's log"
say "protocol A against C refused (StandAlone)"

# With the same settings again they connect and agree nothing needs syncing.
for h in alice bob; do lab exec $h -- "$TANDEM" disk down r0; done
disk_up_again() { lab exec "$1" -- sh -c "cp '$WORK/bob.conf' /etc/tandem/disk.conf && '$TANDEM' disk up r0"; }
disk_up_again alice; disk_up_again bob
wait_until 30 "the reconnect" in_sync bob
say "ok"
