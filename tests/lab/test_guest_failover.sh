#!/bin/bash
# A QEMU guest on a replicated volume: the guest (Debian's kernel, busybox,
# src/guest/init) writes numbered blocks through virtio-blk, each with
# O_DIRECT and fsync, and prints "DONE i" once its write is durable; QEMU
# reaches tandem over NBD on the Primary. The Primary host crashes under
# it; the Secondary is promoted and must hold every block the guest saw
# acknowledged, byte for byte.
. "$(dirname "$0")/lib.sh"
GUEST=$BUILD/guest
bash "$(dirname "$0")/../../scripts/guest-image.sh" "$GUEST" || fail "building the guest image"
lab_start 2

disk_conf C > "$WORK/disk.conf"
disk_up alice bob
lab exec alice -- "$TANDEM" disk primary --force r0
wait_until 120 "the initial sync to finish" in_sync bob

# TCG: /dev/kvm is not usable on the machines this runs on.
lab exec alice -- qemu-system-x86_64 -accel tcg -m 256 -nodefaults -no-reboot -display none \
    -serial "file:$WORK/console.log" -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.img" \
    -append "console=ttyS0 quiet panic=-1 tandem.workload=blocks tandem.count=0" \
    -blockdev driver=nbd,node-name=vol,server.type=unix,server.path=/run/tandem/r0.nbd,export=0,cache.direct=on \
    -device virtio-blk-pci,drive=vol 2>"$WORK/qemu.err" &
qemu=$!
wait_until 180 "the guest to write 300 blocks" sh -c "[ \"\$(grep -c '^DONE ' '$WORK/console.log' 2>/dev/null)\" -ge 300 ]" ||
    fail "guest: $(tail -5 "$WORK/console.log" 2>/dev/null) $(cat "$WORK/qemu.err")"
grep -q GUEST-ERROR "$WORK/console.log" && fail "guest reported: $(grep GUEST-ERROR "$WORK/console.log")"
# The Primary refuses to step down while QEMU has the volume open.
lab exec alice -- "$TANDEM" disk secondary r0 2>/dev/null && fail "alice became Secondary under a running guest"

lab crash alice
wait $qemu 2>/dev/null || true
last=$(grep '^DONE ' "$WORK/console.log" | tail -n1 | tr -d '\r' | cut -d' ' -f2)
say "the guest saw blocks 0..$last acknowledged before the crash"

wait_until 30 "bob to notice" sh -c "'$TANDEM' lab exec bob -- '$TANDEM' disk status r0 | grep -q 'alice connection:Connecting'"
lab exec bob -- "$TANDEM" disk primary r0 || fail "bob could not become Primary: $(disk_status bob)"
lab exec bob -- nbdcopy 'nbd+unix:///0?socket=/run/tandem/r0.nbd' "$WORK/bob.img" || fail "reading bob's volume failed"
python3 - "$WORK/bob.img" "$last" <<'PY' || fail "bob lost blocks the guest saw acknowledged"
import sys
img, last = open(sys.argv[1], "rb"), int(sys.argv[2])
bad = []
for i in range(last + 1):
    img.seek(i * 4096)
    want = (b"tandem-guest block %d\n" % i).ljust(4096, b"\0")
    if img.read(4096) != want:
        bad.append(i)
if bad:
    print("blocks not as the guest wrote them:", bad[:20], "..." if len(bad) > 20 else "")
    sys.exit(1)
PY
say "ok: all $((last + 1)) acknowledged guest writes are on bob"
