#!/bin/bash
# `lab down` leaves nothing behind: no namespace, process, mount, bridge,
# veth or lab file.
. "$(dirname "$0")/lib.sh"
need_root

snapshot() (
    set +o pipefail
    echo "## net namespaces"; live_namespaces net
    echo "## pid namespaces"; live_namespaces pid
    echo "## mount namespaces"; live_namespaces mnt
    echo "## processes"; ps -e -o stat=,comm= | awk '$1 !~ /^Z/ { print $2 }' | grep -E '^(corosync|tandem)' | sort
    echo "## mounts"; awk '{ print $5, $9 }' /proc/self/mountinfo | sort
    echo "## links"; ip -o link | awk -F': ' '{ print $2 }' | sort
    echo "## files"; ls -d "$LAB_ROOT" /etc/tandem /var/lib/tandem /var/log/tandem /var/lib/corosync 2>&1 | sort
)
before=$(snapshot)
lab_start 2
during=$(snapshot)
[ "$during" != "$before" ] || fail "the snapshot does not see the lab at all"
lab down
trap - EXIT
after=$(snapshot)
if [ "$before" != "$after" ]; then
    diff <(echo "$before") <(echo "$after") >&2 || true
    fail "lab down left something behind"
fi
set +e
err=$(lab down 2>&1); rc=$?
set -e
[ $rc != 0 ] && echo "$err" | grep -q 'no lab is up' || fail "down without a lab: rc=$rc '$err'"
say "ok"
