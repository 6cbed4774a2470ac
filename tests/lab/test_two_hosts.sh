#!/bin/bash
# Two hosts come up; corosync on each reports both members and quorum;
# each host has its own name, address and private directories; tandem's
# daemons answer inside the hosts.
. "$(dirname "$0")/lib.sh"
lab_start 2

for h in alice bob; do
    is_quorate $h || fail "$h is not quorate: $(quorum_of $h)"
    members_are $h "alice bob" || fail "$h sees members '$(members_of $h)'"
    [ "$(lab exec $h -- hostname)" = $h ] || fail "$h has host name $(lab exec $h -- hostname)"
done
quorum_of alice | grep -q '^Flags:.*2Node' || fail "two_node is not set: $(quorum_of alice)"

lab exec alice -- ip -4 -o addr show dev eth0 | grep -q '198.51.100.1/24' || fail "alice's address"
lab exec bob -- ping -c1 -W2 198.51.100.1 >/dev/null 2>&1 || fail "bob cannot reach alice"
ip -4 -o addr | grep -q 198.51.100 && fail "the machine's own namespace has a lab address"

# Private /run and /etc/tandem: what alice writes, bob and the machine do not see.
lab exec alice -- sh -c 'echo alice > /run/tandem/probe; echo alice > /etc/tandem/probe'
lab exec bob -- test ! -e /run/tandem/probe || fail "bob sees alice's /run"
lab exec bob -- test ! -e /etc/tandem/probe || fail "bob sees alice's /etc/tandem"
[ -e /run/tandem/probe ] && fail "the machine sees alice's /run"
[ -e /etc/tandem/probe ] && fail "the machine sees alice's /etc/tandem"
lab exec alice -- grep -q alice /etc/tandem/probe || fail "alice lost her own file"

out=$(lab exec alice -- "$TANDEM" status)
echo "$out" | grep -q 'partition with quorum' || fail "tandem status on alice: $out"
echo "$out" | grep -q 'Members: alice bob' || fail "tandem status on alice: $out"
echo "$out" | grep -q 'no resources configured' || fail "tandem status on alice: $out"
[ "$(lab exec bob -- "$TANDEM" disk status)" = "no resources configured" ] || fail "tandem disk status on bob"

# The exit status of a command comes back; a missing host is an error
# that changes nothing.
set +e
lab exec bob -- sh -c 'exit 7'; rc=$?
[ $rc = 7 ] || fail "exec returned $rc for 'exit 7'"
err=$(lab exec zoe -- true 2>&1); rc=$?
[ $rc != 0 ] && echo "$err" | grep -q "no host named 'zoe'" || fail "exec on zoe: rc=$rc '$err'"
before=$(lab status)
err=$(lab up 2 2>&1); rc=$?
[ $rc != 0 ] && echo "$err" | grep -q 'a lab exists already' || fail "second up: rc=$rc '$err'"
set -e
# status lists the same hosts and processes (the quorum column may be re-read)
[ "$(lab status | awk '{print $1,$2,$3,$4}')" = "$(echo "$before" | awk '{print $1,$2,$3,$4}')" ] \
    || fail "a refused 'up' changed the lab"
say "ok"
