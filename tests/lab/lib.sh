# lib.sh: what every lab test shares. Source it, then call lab_start N.
# The lab is always taken down when the test ends, however it ends.
set -euo pipefail

TANDEM=${TANDEM:?TANDEM must name the tandem program to test}
LAB_ROOT=${TANDEM_LAB_ROOT:-/var/lib/tandem-lab}

say() { printf '%s: %s\n' "${0##*/}" "$*"; }
fail() { printf '%s: FAIL: %s\n' "${0##*/}" "$*" >&2; exit 1; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        say "SKIP: lab tests need root"
        exit 77
    fi
}

lab() { "$TANDEM" lab "$@"; }

lab_cleanup() {
    local rc=$?
    # A daemon built with sanitizers reports into its host's log: that
    # fails the test even if everything else passed.
    if [ -d "$LAB_ROOT" ] && grep -lE 'ERROR: AddressSanitizer|runtime error:' "$LAB_ROOT"/hosts/*/log/*.log 2>/dev/null; then
        grep -hE -A20 'ERROR: AddressSanitizer|runtime error:' "$LAB_ROOT"/hosts/*/log/*.log | head -60 >&2
        say "FAIL: a sanitizer reported an error in a daemon"
        rc=1
    fi
    if [ -d "$LAB_ROOT" ]; then
        if [ $rc != 0 ]; then
            say "test failed; lab status and logs before teardown:"
            lab status || true
            for log in "$LAB_ROOT"/hosts/*/log/*; do
                [ -f "$log" ] && { echo "--- $log"; tail -n 15 "$log"; }
            done
        fi
        lab down >/dev/null || say "lab down failed"
    fi
    [ -n "${WORK:-}" ] && rm -rf "$WORK"
    exit $rc
}

lab_start() {
    need_root
    [ -d "$LAB_ROOT" ] && fail "a lab is up already before this test started"
    trap lab_cleanup EXIT
    lab up "$1"
}

# wait_until SECONDS WHAT CMD...: run CMD every half second until it
# succeeds; fail naming WHAT after SECONDS.
wait_until() {
    local secs=$1 what=$2; shift 2
    local tries=$((secs * 2))
    while ! "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ $tries -le 0 ] && fail "timed out after ${secs}s waiting for: $what"
        sleep 0.5
    done
}

# quorum_of NODE: corosync-quorumtool's status of NODE (machine-readable).
quorum_of() { lab exec "$1" -- corosync-quorumtool -s -p 2>/dev/null || true; }

# is_quorate NODE, members_are NODE "name name ...": checks on corosync's
# own view, read with corosync's own tool.
is_quorate() { quorum_of "$1" | grep -q '^Quorate: *Yes'; }
not_quorate() { quorum_of "$1" | grep -q '^Quorate: *No'; }
members_of() {
    lab exec "$1" -- corosync-quorumtool -l 2>/dev/null | sed 's/ (local)$//' | awk '$1 ~ /^[0-9]+$/ { print $NF }' | sort | xargs
}
members_are() { [ "$(members_of "$1")" = "$2" ]; }

# proc_live /proc/PID: whether that process runs (exists and is not a
# zombie: a zombie has exited, only its parent has not collected it yet,
# and the machine's own init may take seconds to do that).
proc_live() {
    local stat
    stat=$(cat "$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# procs_in_pidns NS: /proc entries of the running processes in PID
# namespace NS (as readlink /proc/PID/ns/pid prints it).
procs_in_pidns() {
    local p
    for p in /proc/[0-9]*; do
        if [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] && proc_live "$p"; then echo "$p"; fi
    done
}

# live_namespaces TYPE: the namespaces of that type with a running process.
live_namespaces() {
    local p
    for p in /proc/[0-9]*; do
        proc_live "$p" && readlink "$p/ns/$1" 2>/dev/null
    done | sort -u
}

# ---- replicated volumes ----

# disk_conf PROTOCOL [NET_EXTRA [RESOURCE_EXTRA]]: a two-host resource r0
# of one 64 MiB volume whose backing file is in each host's private
# /var/lib/tandem.
disk_conf() {
    cat <<CONF
# written by ${0##*/}
resource r0 {
    net {
        protocol $1;
        connect-int 1;
        ping-int 1;
        ${2:-}
    }
    ${3:-}
    volume 0 {
        device /dev/drbd0;
        disk /var/lib/tandem/r0.img;
        meta-disk internal;
    }
    on alice {
        address 198.51.100.1:7789;
        node-id 0;
    }
    on bob {
        address 198.51.100.2:7789;
        node-id 1;
    }
}
CONF
}

# disk_up HOST...: install $WORK/disk.conf, make a 64 MiB backing file,
# create-md and bring r0 up on each host.
disk_up() {
    local h
    for h in "$@"; do
        lab exec "$h" -- sh -c "cp '$WORK/disk.conf' /etc/tandem/disk.conf &&
            truncate -s 64M /var/lib/tandem/r0.img &&
            '$TANDEM' disk create-md r0 >/dev/null && '$TANDEM' disk up r0" ||
            fail "bringing r0 up on $h failed"
    done
}

disk_status() { lab exec "$1" -- "$TANDEM" disk status r0 2>/dev/null || true; }
NBD='nbd+unix:///0?socket=/run/tandem/r0.nbd'
data_sum() { # data_sum HOST: md5 of the volume's data area on HOST's backing file
    local size
    size=$(lab exec "$1" -- "$TANDEM" disk status r0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["volumes"][0]["size"])')
    lab exec "$1" -- sh -c "head -c $size /var/lib/tandem/r0.img | md5sum"
}
oos_bytes() {
    lab exec "$1" -- "$TANDEM" disk status r0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["volumes"][0]["out-of-sync"])'
}
# qio HOST QEMU-IO-ARGS...: qemu-io on r0's NBD export on HOST
qio() { lab exec "$1" -- qemu-io -f raw "${@:2}" "$NBD" >/dev/null || fail "qemu-io on $1: ${*:2}"; }
# is_uptodate HOST: r0's disk is UpToDate and in sync with its peer.
in_sync() {
    local s
    s=$(disk_status "$1")
    echo "$s" | grep -q '^  disk:UpToDate' && echo "$s" | grep -q 'replication:Established peer-disk:UpToDate'
}
disk_is() { disk_status "$1" | grep -q "^  disk:$2"; }

# work directory shared with the hosts (the machine's /tmp is theirs too)
WORK=$(mktemp -d /tmp/tandem-test.XXXXXX)
trap_work_cleanup() { rm -rf "$WORK"; }
