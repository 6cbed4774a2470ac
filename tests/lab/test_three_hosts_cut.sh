#!/bin/bash
# Three hosts: cutting carol off leaves alice and bob quorate and carol
# without quorum; healing brings all three back as members.
. "$(dirname "$0")/lib.sh"
lab_start 3

for h in alice bob carol; do
    members_are $h "alice bob carol" || fail "$h sees '$(members_of $h)'"
done

lab cut carol
wait_until 60 "alice and bob to drop carol" members_are alice "alice bob"
wait_until 30 "bob to drop carol" members_are bob "alice bob"
wait_until 30 "carol to lose quorum" not_quorate carol
is_quorate alice || fail "alice lost quorum"
is_quorate bob || fail "bob lost quorum"
members_are carol "carol" || fail "carol sees '$(members_of carol)'"
lab status | grep -E '^carol .* alice,bob$' >/dev/null || fail "status does not show carol's cut: $(lab status)"

lab heal
for h in alice bob carol; do
    wait_until 60 "$h to see all three again" members_are $h "alice bob carol"
    is_quorate $h || fail "$h is not quorate after heal"
done

# A cut between two hosts only: the partition is no longer clean, so only
# the link's absence is checked, not how corosync resolves it.
lab cut alice bob
lab exec alice -- ping -c1 -W1 198.51.100.2 >/dev/null 2>&1 && fail "alice still reaches bob"
lab exec alice -- ping -c1 -W1 198.51.100.3 >/dev/null 2>&1 || fail "alice no longer reaches carol"
lab heal alice
lab exec alice -- ping -c1 -W2 198.51.100.2 >/dev/null 2>&1 || fail "heal alice did not restore alice-bob"
say "ok"
