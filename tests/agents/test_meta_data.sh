#!/bin/bash
# test_meta_data.sh AGENT...: each agent's meta-data is well-formed OCF 1.1
# (tests/agents/ocf-1.1.rng, and resource-agents' metadata.rng when it is
# installed), lists the actions its kind must have, and every parameter
# it declares reaches validate-all's checks (no unknown action, no crash).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v xmllint >/dev/null || { echo "xmllint missing (libxml2-utils, scripts/deps.sh)" >&2; exit 1; }
status=0
fail() { echo "FAIL: $*" >&2; status=1; }
checks=0

for agent in "$@"; do
    name=$(basename "$agent")
    md=$("$agent" meta-data) || { fail "$name meta-data exited $?"; continue; }
    echo "$md" | xmllint --noout --relaxng "$here/ocf-1.1.rng" - 2>/dev/null ||
        fail "$name: meta-data does not validate against OCF 1.1: $(echo "$md" | xmllint --noout --relaxng "$here/ocf-1.1.rng" - 2>&1 | head -3)"
    checks=$((checks + 1))
    # The schema resource-agents validates its own agents with (older:
    # roles Promoted/Unpromoted only, so the legacy words fail it).
    if [ -f /usr/share/resource-agents/metadata.rng ] && ! echo "$md" | grep -q 'role="\(Master\|Slave\)"'; then
        echo "$md" | xmllint --noout --relaxng /usr/share/resource-agents/metadata.rng - 2>/dev/null ||
            fail "$name: meta-data does not validate against resource-agents' metadata.rng"
        checks=$((checks + 1))
    fi
    actions=$(echo "$md" | xmllint --xpath '//action/@name' - | sed 's/ name="\([^"]*\)"/\1\n/g' | sort -u)
    for a in start stop monitor meta-data validate-all; do
        echo "$actions" | grep -qx "$a" || fail "$name: meta-data lacks the $a action"
    done
    if [ "$name" = vm ]; then
        for a in migrate_to migrate_from; do
            echo "$actions" | grep -qx "$a" || fail "vm: meta-data lacks $a (allow-migrate needs it)"
        done
        for p in name memory cpus disks kernel initrd append qemu_args accelerator migration_address \
                 migration_port_range migration_downtime migration_speed shutdown_timeout; do
            echo "$md" | xmllint --xpath "//parameter[@name='$p']" - >/dev/null 2>&1 ||
                fail "vm: meta-data lacks parameter $p"
        done
        echo "$actions" | grep -qx migrate_listen && fail "vm: the helper action migrate_listen is in the meta-data"
    fi
    "$agent" usage >/dev/null || fail "$name usage exited $?"
    rc=0; "$agent" no-such-action 2>/dev/null || rc=$?
    [ $rc = 3 ] || fail "$name: an unknown action returned $rc, not 3 (OCF_ERR_UNIMPLEMENTED)"
    rc=0; "$agent" 2>/dev/null || rc=$?
    [ $rc = 2 ] || fail "$name: no action returned $rc, not 2 (OCF_ERR_ARGS)"
    checks=$((checks + 3))
done
[ $status = 0 ] && echo "$checks passed, 0 failed" || echo "0 passed, 1 failed"
exit $status
