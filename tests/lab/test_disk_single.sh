#!/bin/bash
# tandem-diskd on this machine alone (no lab): a resource with one host,
# create-md, up, primary --force, NBD over the unix socket and over TCP
# (--nbd-tcp, export names RES/N), down with a clean shutdown recorded.
set -euo pipefail
TANDEM=${TANDEM:?} BUILD=${BUILD:?}
fail() { printf '%s: FAIL: %s\n' "${0##*/}" "$*" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then echo "${0##*/}: SKIP: needs root (create-md)"; exit 77; fi

dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
export TANDEM_RUN_DIR=$dir/run TANDEM_DISK_CONF=$dir/disk.conf
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/disk.conf" <<CONF
resource solo {
    volume 0 { device /dev/drbd0; disk $dir/solo0.img; meta-disk internal; }
    volume 1 { device /dev/drbd1; disk $dir/solo1.img; meta-disk $dir/solo1.md; }
    on $(uname -n) { address 127.0.0.1:$((port + 1)); }
}
CONF
truncate -s 32M "$dir/solo0.img" "$dir/solo1.img" "$dir/solo1.md"
"$TANDEM" disk create-md solo > "$dir/create.out" || fail "create-md"
grep -q 'solo/1: new metadata on .*solo1.md' "$dir/create.out" || fail "external metadata: $(cat "$dir/create.out")"
set +e
out=$("$TANDEM" disk create-md solo 2>&1); rc=$?
set -e
[ $rc != 0 ] && echo "$out" | grep -q -- '--force' || fail "create-md over existing metadata: rc=$rc '$out'"

"$BUILD/src/tandem-diskd" --config "$dir/disk.conf" --socket "$dir/run/diskd.sock" --nbd-tcp "127.0.0.1:$port" \
    2> "$dir/diskd.log" &
pid=$!
for _ in $(seq 100); do [ -S "$dir/run/diskd.sock" ] && break; sleep 0.05; done
"$TANDEM" disk up solo
"$TANDEM" disk status solo | grep -q 'volume:1 disk:Inconsistent' || fail "status after up: $("$TANDEM" disk status solo)"
set +e
out=$("$TANDEM" disk primary solo 2>&1); rc=$?
set -e
[ $rc != 0 ] && echo "$out" | grep -q 'not UpToDate' || fail "primary on Inconsistent data: rc=$rc '$out'"
"$TANDEM" disk primary --force solo

qemu-io -f raw -c 'write -P 0x5a 0 1M' "nbd+unix:///0?socket=$dir/run/solo.nbd" >/dev/null || fail "unix write"
qemu-io -f raw -c 'read -P 0x5a 0 1M' -c 'write -P 0x6b 1M 64k' "nbd://127.0.0.1:$port/solo" >/dev/null ||
    fail "TCP read of what the unix client wrote"
qemu-io -f raw -c 'write -P 0x77 0 4k' "nbd://127.0.0.1:$port/solo/1" >/dev/null || fail "TCP write to volume 1"
qemu-io -f raw -c 'read -P 0x77 0 4k' "nbd+unix:///1?socket=$dir/run/solo.nbd" >/dev/null || fail "unix read of volume 1"
nbdinfo --list "nbd://127.0.0.1:$port" | grep -q 'export="solo/1"' || fail "TCP export list: $(nbdinfo --list "nbd://127.0.0.1:$port")"
nbdinfo "nbd://127.0.0.1:$port/nosuch" >/dev/null 2>&1 && fail "an unknown TCP export was served"

"$TANDEM" disk status solo --json | python3 -c '
import json, sys
r = json.load(sys.stdin)[0]
assert r["role"] == "Primary", r
assert [v["disk-state"] for v in r["volumes"]] == ["UpToDate", "UpToDate"], r
assert r["volumes"][0]["bytes-written"] >= 1114112, r
' || fail "status --json"
"$TANDEM" disk down solo
"$TANDEM" disk status | grep -q "no resources up; configured in .*: solo" || fail "status after down: $("$TANDEM" disk status)"
# The data stayed, and the metadata says the shutdown was clean: up again
# needs no --force.
"$TANDEM" disk up solo
"$TANDEM" disk primary solo || fail "primary after a clean down/up"
qemu-io -f raw -c 'read -P 0x6b 1M 64k' "nbd+unix:///0?socket=$dir/run/solo.nbd" >/dev/null || fail "data after down/up"
kill -TERM "$pid"; wait "$pid" || fail "diskd exit status $? on SIGTERM"; pid=
grep -q 'stopped' "$dir/diskd.log" || fail "no clean stop in the log"
echo "${0##*/}: ok"
