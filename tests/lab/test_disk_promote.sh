#!/bin/bash
# Promotions with allow-two-primaries off: a connected node becomes
# Primary only with its peer's agreement. Ten rounds of `primary` started
# on both hosts so that the two requests cross: exactly one succeeds each
# time, the other is refused with a reason, and the data stays in sync.
. "$(dirname "$0")/lib.sh"
lab_start 2

disk_conf C > "$WORK/disk.conf"
disk_up alice bob
lab exec alice -- "$TANDEM" disk primary --force r0
wait_until 120 "the initial sync to finish" in_sync bob
lab exec alice -- "$TANDEM" disk secondary r0

# While one is Primary the other is refused, naming the reason.
lab exec alice -- "$TANDEM" disk primary r0 || fail "alice could not become Primary"
out=$(lab exec bob -- "$TANDEM" disk primary r0 2>&1) && fail "bob became Primary beside alice"
echo "$out" | grep -q 'alice is Primary' || fail "bob's refusal does not say why: $out"
lab exec alice -- "$TANDEM" disk secondary r0

role_of() { disk_status "$1" | sed -n 's/^r0 role:\([A-Za-z]*\).*/\1/p'; }
# The lab hosts' daemons as the machine sees them (by network namespace).
diskd_pid() {
    local want p
    want=$(stat -L -c %i "$LAB_ROOT/ns/$1")
    for p in $(pgrep -x tandem-diskd); do
        if [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$want" ]; then echo "$p"; fi
    done
}
pids="$(diskd_pid alice) $(diskd_pid bob)"
[ "$(echo $pids | wc -w)" = 2 ] || fail "cannot find both daemons: '$pids'"
concurrent=0
for round in $(seq 10); do
    # Both requests must cross: both daemons are frozen while the two
    # commands are given and thawed by one kill(1), so that each sends its
    # request before the other's arrives.
    kill -STOP $pids
    for h in alice bob; do
        lab exec "$h" -- sh -c "'$TANDEM' disk primary r0 > '$WORK/$h.out' 2>&1; echo \$? > '$WORK/$h.rc'" &
    done
    sleep 0.5
    kill -CONT $pids
    wait
    winners=0
    for h in alice bob; do
        if [ "$(cat "$WORK/$h.rc")" = 0 ]; then
            winners=$((winners + 1)); winner=$h
        else
            grep -q 'refusing to become Primary' "$WORK/$h.out" || fail "round $round: $h failed oddly: $(cat "$WORK/$h.out")"
            grep -q 'at the same time' "$WORK/$h.out" && concurrent=$((concurrent + 1))
        fi
    done
    [ $winners = 1 ] || fail "round $round: $winners hosts became Primary ($(role_of alice)/$(role_of bob))"
    [ "$(role_of alice)$(role_of bob)" = PrimarySecondary ] || [ "$(role_of alice)$(role_of bob)" = SecondaryPrimary ] ||
        fail "round $round: roles are $(role_of alice)/$(role_of bob)"
    lab exec "$winner" -- "$TANDEM" disk secondary r0 || fail "round $round: $winner cannot step down"
done
say "10 rounds, one Primary each; $concurrent refusals were true races"
in_sync alice && in_sync bob || fail "not in sync after the rounds: $(disk_status alice) / $(disk_status bob)"
say "ok"
