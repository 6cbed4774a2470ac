#!/bin/bash
# ocf:tandem:vm with a real QEMU guest (TCG), called as Pacemaker calls it
# (OCF_RESKEY_* in the environment): probe, start, monitor, failed
# migrations that must leave the VM running where it was, then live
# migrations between two "nodes" on this machine (two run directories,
# 127.0.0.1) while the guest writes records, migrate_from, stop. The
# verifier then checks that no acknowledged record is missing and that one
# boot wrote them all. Needs root only for nothing; runs without the lab.
#
#   ROUNDS=N (default 2: there and back) migrations; each prints
#   "migration N: total T ms, downtime D ms" (bench/RESULTS.md).
set -euo pipefail
VM=${VM_AGENT:?VM_AGENT must name the vm agent binary}
BUILD=${BUILD:?BUILD must name the build directory}
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-2}
WORK=$(mktemp -d /tmp/test-vm-XXXXXX)

say() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# Whatever happens, end the QEMUs this test started (by their pid files).
cleanup() {
    local f pid
    for f in "$WORK"/*/vm/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null) || continue
        grep -qF "$f" "/proc/$pid/cmdline" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    done
    # The agent's log outlives the test, for reading after a failure.
    cp "$WORK/agent.log" "$BUILD/meson-logs/vm-agent.log" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

bash "$HERE/../../scripts/guest-image.sh" "$BUILD/guest" || fail "building the guest image"

truncate -s 64M "$WORK/disk.img"
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=res_vm
export OCF_RESKEY_name=vm1 OCF_RESKEY_memory=128 OCF_RESKEY_cpus=1 OCF_RESKEY_accelerator=tcg
export OCF_RESKEY_disks=$WORK/disk.img
export OCF_RESKEY_kernel=$BUILD/guest/vmlinuz OCF_RESKEY_initrd=$BUILD/guest/initrd.img
# A bounded writer: a guest this test failed to end powers itself off
# within minutes (its QEMU then exits) instead of running forever.
export OCF_RESKEY_append="console=ttyS0 quiet panic=-1 tandem.workload=records tandem.interval=2 tandem.count=30000"
export OCF_RESKEY_migration_address=127.0.0.1 OCF_RESKEY_migration_downtime=300
export OCF_RESKEY_shutdown_timeout=2 OCF_RESKEY_CRM_meta_timeout=120000

# Node N's view: its own run directory, as each lab host has its own /run.
on() {
    local node=$1; shift
    TANDEM_RUN_DIR=$WORK/$node OCF_RESKEY_CRM_meta_on_node=$node "$@"
}
agent() { # NODE ACTION [EXPECTED_RC]
    local rc=0
    on "$1" "$VM" "$2" 2>>"$WORK/agent.log" || rc=$?
    echo "$1 $2 -> $rc" >>"$WORK/agent.log"
    [ "$rc" = "${3:-0}" ] || { tail -20 "$WORK/agent.log" >&2; fail "$2 on $1 returned $rc, not ${3:-0}"; }
}
acks() { cat "$WORK"/*/vm/vm1.console 2>/dev/null | grep -c '^ACK ' || true; }
wait_acks() { # COUNT SECONDS
    local end=$((SECONDS + $2))
    while [ "$(acks)" -lt "$1" ]; do
        [ $SECONDS -lt $end ] || fail "the guest wrote $(acks) records, not $1: $(tail -c 300 "$WORK"/*/vm/vm1.console)"
        sleep 0.5
    done
}

say "probe and validate"
agent alice monitor 7
agent alice validate-all 0
OCF_RESKEY_accelerator=xen agent alice validate-all 6
OCF_RESKEY_kernel=$WORK/none agent alice validate-all 5
agent alice stop 0

say "start"
agent alice start
agent alice monitor 0
agent alice start 0
agent bob monitor 7
wait_acks 100 120
grep -q GUEST-ERROR "$WORK/alice/vm/vm1.console" && fail "$(grep GUEST-ERROR "$WORK/alice/vm/vm1.console")"

# Sends one QMP command to a node's QEMU, as an operator would.
qmp() { # NODE COMMAND
    python3 - "$WORK/$1/vm/vm1.qmp" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    while "event" in (r := json.loads(f.readline())):
        pass
    if "error" in r:
        sys.exit(r["error"]["desc"])
PY
}

say "a paused VM is a failed VM"
qmp alice stop
agent alice monitor 1
qmp alice cont
agent alice monitor 0

say "migrate_to a node that cannot be reached"
export OCF_RESKEY_CRM_meta_migrate_source=alice OCF_RESKEY_CRM_meta_migrate_target=bob
OCF_RESKEY_migrate_hook="sh -c 'echo bob is down >&2; exit 1' --" agent alice migrate_to 1
agent alice monitor 0

say "migrate_to an address where nothing listens"
cat >"$WORK/deaf-hook" <<'EOF'
#!/bin/sh
# A target that says it listens but does not.
[ "$1" = migrate_listen ] && echo tcp:127.0.0.1:9
exit 0
EOF
chmod +x "$WORK/deaf-hook"
before=$(acks)
OCF_RESKEY_migrate_hook=$WORK/deaf-hook agent alice migrate_to 1
agent alice monitor 0
wait_acks $((before + 50)) 60
say "the VM kept running and writing on alice"

say "an incoming QEMU left on the target is no VM, and the next migration replaces it"
OCF_RESKEY_CRM_meta_migrate_target=bob agent bob migrate_listen >/dev/null
agent bob monitor 7

node=alice
for round in $(seq 1 "$ROUNDS"); do
    [ $node = alice ] && target=bob || target=alice
    export OCF_RESKEY_CRM_meta_migrate_source=$node OCF_RESKEY_CRM_meta_migrate_target=$target
    export OCF_RESKEY_migrate_hook="env TANDEM_RUN_DIR=$WORK/$target OCF_RESKEY_CRM_meta_on_node=$target $VM"
    before=$(acks)
    say "migration $round: $node -> $target with $before records written"
    agent $node migrate_to
    agent $target migrate_from
    agent $node monitor 7
    agent $node stop
    agent $target monitor 0
    line=$(grep "migrated vm1 to $target" "$WORK/agent.log" | tail -n1)
    total=$(echo "$line" | sed -n 's/.*total \([0-9]*\) ms.*/\1/p')
    downtime=$(echo "$line" | sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p')
    echo "migration $round: total $total ms, downtime $downtime ms"
    wait_acks $((before + 100)) 60
    node=$target
done

say "stop"
agent $node stop
agent $node monitor 7
agent $node stop 0
agent alice monitor 7
agent bob monitor 7

consoles() { printf -- '--console %s ' "$WORK"/*/vm/vm1.console; }
say "verify the records"
python3 "$HERE/records.py" "$WORK/disk.img" --one-boot $(consoles) ||
    fail "the records on the disk are not whole"
grep -q GUEST-ERROR "$WORK"/*/vm/vm1.console && fail "$(grep -h GUEST-ERROR "$WORK"/*/vm/vm1.console)"

say "a reboot is a new boot that continues the sequence"
before=$(acks)
agent bob start
wait_acks $((before + 50)) 120
agent bob stop
python3 "$HERE/records.py" "$WORK/disk.img" $(consoles) --json >"$WORK/report.json" ||
    fail "the records after the reboot are not whole: $(cat "$WORK/report.json")"
python3 - "$WORK/report.json" <<'PY' || fail "the reboot did not show as a second boot"
import json, sys
r = json.load(open(sys.argv[1]))
boots = r["boots"]
print("boots:", ", ".join(f"{b['boot'][:8]} {b['first']}..{b['last']}" for b in boots))
sys.exit(0 if len(boots) == 2 and boots[0]["boot"] != boots[1]["boot"] and
         boots[1]["first"] == boots[0]["last"] + 1 else 1)
PY
echo "1 passed, 0 failed"
