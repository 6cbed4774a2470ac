#!/bin/bash
# crash kills every process of a host at once; boot brings it back as a
# member.
. "$(dirname "$0")/lib.sh"
lab_start 2

bob_init=$(lab status | awk '$1 == "bob" { print $4 }')
[ -n "$bob_init" ] && [ "$bob_init" != - ] || fail "no init pid for bob in status"
bob_pidns=$(readlink /proc/$bob_init/ns/pid)
n=$(procs_in_pidns "$bob_pidns" | wc -l)
[ "$n" -ge 4 ] || fail "bob runs only $n processes (init, corosync, diskd, clusterd expected)"

lab crash bob
left=$(procs_in_pidns "$bob_pidns")
[ -z "$left" ] || fail "processes of bob survived the crash: $left"
lab status | grep -E '^bob .* down ' >/dev/null || fail "status does not show bob down"
set +e
err=$(lab exec bob -- true 2>&1); rc=$?
set -e
[ $rc != 0 ] && echo "$err" | grep -q 'is down' || fail "exec on a crashed host: rc=$rc '$err'"

# two_node: the survivor keeps quorum.
wait_until 60 "alice to drop bob" members_are alice "alice"
is_quorate alice || fail "alice lost quorum when bob crashed"

lab boot bob
wait_until 60 "bob to rejoin" members_are alice "alice bob"
wait_until 30 "bob to see both" members_are bob "alice bob"
is_quorate bob || fail "bob is not quorate after boot"
# A fresh /run after the power cycle, the disk-like directories kept.
lab exec bob -- test -S /run/tandem/diskd.sock || fail "diskd did not come back on bob"
lab exec bob -- test -f /etc/corosync/corosync.conf || fail "bob lost /etc/corosync"
set +e
err=$(lab boot bob 2>&1); rc=$?
set -e
[ $rc != 0 ] && echo "$err" | grep -q 'running already' || fail "boot of a running host: rc=$rc '$err'"
say "ok"
