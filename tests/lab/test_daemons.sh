#!/bin/bash
# tandem-diskd and tandem-clusterd on their own (no lab, no corosync):
# they listen on their control socket, answer status, refuse a second
# instance, survive malformed requests and exit cleanly on SIGTERM.
set -euo pipefail
BUILD=${BUILD:?}
TANDEM=${TANDEM:?}
fail() { printf '%s: FAIL: %s\n' "${0##*/}" "$*" >&2; exit 1; }

dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
export TANDEM_RUN_DIR=$dir

wait_socket() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; fail "no socket $1"; }

"$BUILD/src/tandem-diskd" --socket "$dir/diskd.sock" --config "$dir/none.conf" 2>"$dir/diskd.log" &
pids+=($!); diskd=$!
"$BUILD/src/tandem-clusterd" --socket "$dir/clusterd.sock" --cib-dir "$dir/cib" 2>"$dir/clusterd.log" &
pids+=($!); clusterd=$!
wait_socket "$dir/diskd.sock"
wait_socket "$dir/clusterd.sock"
[ "$(stat -c %a "$dir/diskd.sock")" = 600 ] || fail "diskd.sock is not mode 0600"

[ "$("$TANDEM" disk status)" = "no resources configured" ] || fail "disk status: $("$TANDEM" disk status)"
out=$("$TANDEM" status)
echo "$out" | grep -q 'no resources configured' || fail "status: $out"
echo "$out" | grep -q 'Stack: corosync' || fail "status: $out"

# A second instance on the same socket is refused and the first keeps it.
set +e
"$BUILD/src/tandem-diskd" --socket "$dir/diskd.sock" 2>"$dir/second.log"; rc=$?
set -e
[ $rc != 0 ] && grep -q 'another tandem-diskd answers' "$dir/second.log" || fail "second diskd: rc=$rc $(cat "$dir/second.log")"
[ "$("$TANDEM" disk status)" = "no resources configured" ] || fail "first diskd lost its socket"

# Malformed requests: an error reply each, and the daemon lives on.
reply=$(python3 - "$dir/diskd.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
f = s.makefile("rwb")
for req in (b"not json\n", b"[1,2]\n", b'{"command": 5}\n', b'{"command":"status","args":[1]}\n',
            b'{"command":"frob"}\n', b'{"command":"status"}\n'):
    f.write(req); f.flush(); print(f.readline().decode().strip())
PY
)
echo "$reply" | sed -n 1p | grep -q '"ok":false.*not valid JSON' || fail "garbage: $reply"
echo "$reply" | sed -n 2p | grep -q '"ok":false.*must be an object' || fail "array: $reply"
echo "$reply" | sed -n 3p | grep -q '"ok":false' || fail "numeric command: $reply"
echo "$reply" | sed -n 4p | grep -q '"ok":false.*not a string' || fail "numeric arg: $reply"
echo "$reply" | sed -n 5p | grep -q "unknown command 'frob'" || fail "unknown command: $reply"
echo "$reply" | sed -n 6p | grep -q '"ok":true.*no resources configured' || fail "status after garbage: $reply"
# A request with bytes that are not UTF-8: the error reply quotes the
# input, and must still be sent (found by fuzz_ctl_request).
reply=$(python3 - "$dir/diskd.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"\\\xc7\xa6\n')
print(s.makefile("rb").readline().decode(errors="replace"))
PY
)
echo "$reply" | grep -q '"ok":false.*not valid JSON' || fail "non-UTF-8 request: '$reply'"
# An oversized request line is refused and the connection closed. The
# client reads while a second thread still sends, so that the reply is
# taken whatever the platform does to a send after the daemon's shutdown.
python3 - "$dir/diskd.sock" <<'PY' | grep -q 'longer than' || fail "oversized request"
import socket, sys, threading
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
def send():
    try:
        s.sendall(b'x' * (2 * 1024 * 1024))
    except OSError:
        pass
t = threading.Thread(target=send, daemon=True)
t.start()
try:
    print(s.makefile('rb').readline().decode())
except OSError as e:
    print("read failed:", e, file=sys.stderr)
PY
kill -0 $diskd || fail "diskd died on malformed input"

# SIGTERM: clean exit, socket removed.
kill -TERM $diskd $clusterd
wait $diskd || fail "diskd exited with $? on SIGTERM"
wait $clusterd || fail "clusterd exited with $? on SIGTERM"
[ ! -e "$dir/diskd.sock" ] || fail "diskd left its socket behind"
[ ! -e "$dir/clusterd.sock" ] || fail "clusterd left its socket behind"
set +e
"$TANDEM" disk status 2>"$dir/err"; rc=$?
set -e
[ $rc = 3 ] && grep -q 'tandem-diskd is not running' "$dir/err" || fail "status without daemon: rc=$rc"

# The OCF agents: meta-data is well-formed XML, validate-all checks.
for a in disk vm; do
    "$BUILD/src/agents/$a" meta-data | python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.stdin)' \
        || fail "$a meta-data is not XML"
done
set +e
"$BUILD/src/agents/vm" validate-all 2>/dev/null; rc=$?
set -e
[ $rc = 6 ] || fail "vm validate-all without name returned $rc, not OCF_ERR_CONFIGURED (6)"
OCF_RESKEY_name=vm1 OCF_RESKEY_kernel=/etc/hostname "$BUILD/src/agents/vm" validate-all || fail "vm validate-all with name and kernel"
set +e
OCF_RESKEY_name=vm1 OCF_RESKEY_memory=lots "$BUILD/src/agents/vm" validate-all 2>/dev/null; rc=$?
set -e
[ $rc = 6 ] || fail "vm validate-all with memory=lots returned $rc"
echo "${0##*/}: ok"
