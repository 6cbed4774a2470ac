#!/bin/bash
# tandem-clusterd on its own (no corosync, no lab) with a temporary socket
# and CIB directory: cib-read, cib-apply with its version check, status,
# the CIB on disk with its checksum line, and a restart after cib.xml was
# damaged (docs/clusterd-protocol.md, docs/cib-replication.md).
set -euo pipefail
BUILD=${BUILD:?}
fail() { printf '%s: FAIL: %s\n' "${0##*/}" "$*" >&2; [ -f "${dir:-}/clusterd.log" ] && tail -20 "$dir/clusterd.log" >&2; exit 1; }

dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
sock=$dir/clusterd.sock
cib=$dir/cib

start() {
    "$BUILD/src/tandem-clusterd" --socket "$sock" --cib-dir "$cib" 2>>"$dir/clusterd.log" &
    pid=$!
    for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
    fail "no socket $sock"
}
stop() {
    kill -TERM "$pid"
    wait "$pid" || fail "clusterd exited with $? on SIGTERM"
    pid=
}

# call JSON: one request, its reply line on stdout.
call() {
    python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile("rb").readline().decode().strip())
PY
}
# field REPLY KEY: one member of a reply. has REPLY KEY REGEX: whether it
# matches (grep on a here-string: grep -q closing a pipe early would
# fail the writer under pipefail).
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(v if not isinstance(v,bool) else str(v).lower())' "$1" "$2"; }
has() { local v; v=$(field "$1" "$2"); grep -q -- "$3" <<<"$v"; }

start
grep -q 'corosync is not reachable' "$dir/clusterd.log" || fail "clusterd does not say that it runs without corosync"
[ ! -e "$cib" ] || fail "the CIB directory was made before anything was saved"

r=$(call '{"command":"cib-read"}')
[ "$(field "$r" ok)" = true ] && [ "$(field "$r" version)" = 0.0.0 ] || fail "cib-read on an empty CIB: $r"
has "$r" output '<resources/>' || fail "empty CIB without <resources/>: $r"

base='{"admin_epoch":0,"epoch":0,"num_updates":0}'
add_d1='{"command":"cib-apply","change":{"type":"change","base":'$base',"edits":[{"op":"create","path":"/cib/configuration/resources","xml":"<primitive id=\"d1\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>"}]}}'
r=$(call "$add_d1")
[ "$(field "$r" ok)" = true ] && [ "$(field "$r" version)" = 0.1.0 ] || fail "cib-apply: $r"
[ -f "$cib/cib.xml" ] || fail "no $cib/cib.xml after a change"
grep -q 'CIB changed by a client: now at 0.1.0' "$dir/clusterd.log" || fail "the change is not in the log"
tail -n 1 "$cib/cib.xml" | grep -Eq '^<!-- tandem-cib-sha256: [0-9a-f]{64} -->$' || fail "no checksum line in cib.xml"
xmllint --noout "$cib/cib.xml" 2>/dev/null || python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$cib/cib.xml" \
    || fail "cib.xml is not well-formed XML"

# The same change again was made against 0.0.0: the CIB moved on.
r=$(call "$add_d1")
[ "$(field "$r" ok)" = false ] && [ "$(field "$r" errno)" = 116 ] || fail "stale change not refused with ESTALE: $r"
has "$r" error 'moved on: it is at 0.1.0' || fail "stale change message: $r"
[ "$(field "$r" version)" = 0.1.0 ] || fail "refusal without the current version: $r"

# Bad changes are refused with a reason and change nothing.
r=$(call '{"command":"cib-apply","change":{"type":"change","base":{"admin_epoch":0,"epoch":1,"num_updates":0},"edits":[{"op":"delete","path":"/cib/configuration/resources/primitive[@id='"'"'nope'"'"']"}]}}')
[ "$(field "$r" errno)" = 2 ] && has "$r" error 'no such element' || fail "delete of a missing element: $r"
r=$(call '{"command":"cib-apply","change":{"type":"change","base":{"admin_epoch":0,"epoch":1,"num_updates":0},"edits":[{"op":"delete","path":"//primitive"}]}}')
[ "$(field "$r" errno)" = 74 ] && has "$r" error '"path"' || fail "XPath-like path: $r"
r=$(call '{"command":"cib-apply"}')
[ "$(field "$r" errno)" = 74 ] || fail "cib-apply without change: $r"
r=$(call '{"command":"cib-read","args":["--scope=frob"]}')
[ "$(field "$r" ok)" = false ] || fail "cib-read of an unknown section: $r"

# A status-only change counts num_updates.
r=$(call '{"command":"cib-apply","change":{"type":"change","base":{"admin_epoch":0,"epoch":1,"num_updates":0},"edits":[{"op":"create","path":"/cib/status","xml":"<node_state id=\"1\" uname=\"alice\"/>"}]}}')
[ "$(field "$r" version)" = 0.1.1 ] || fail "status change: $r"

r=$(call '{"command":"cib-read","args":["--scope=resources"]}')
out=$(field "$r" output)
grep -q <<<"$out" '^<resources>' && grep -q <<<"$out" 'primitive id="d1"' || fail "cib-read --scope=resources: $r"

r=$(call '{"command":"status"}')
has "$r" output '1 resource configured' || fail "status: $r"
has "$r" output 'Stack: corosync (not reachable)' || fail "status: $r"
[ "$(field "$r" version)" = 0.1.1 ] || fail "status version: $r"

# A replacement (what `tandem configure` commits) keeps the status.
r=$(call '{"command":"cib-apply","change":{"type":"replace","base":{"admin_epoch":0,"epoch":1,"num_updates":1},"cib":"<cib><configuration><resources><primitive id=\"d2\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/></resources></configuration></cib>"}}')
[ "$(field "$r" version)" = 0.2.0 ] || fail "replace: $r"
r=$(call '{"command":"cib-read"}')
out=$(field "$r" output)
grep -q <<<"$out" 'primitive id="d2"' && ! grep -q 'id="d1"' <<<"$out" && grep -q <<<"$out" 'node_state' \
    || fail "after replace: $r"

r=$(call '{"command":"fence","args":["bob"]}')
[ "$(field "$r" errno)" = 95 ] || fail "fence: $r"

# Restart with cib.xml truncated: the newest intact version is used, and
# the log says why.
stop
[ ! -e "$sock" ] || fail "socket left behind"
ls "$cib"/cib-*.xml >/dev/null 2>&1 || fail "no previous versions kept"
head -c 100 "$cib/cib.xml" > "$cib/cut" && mv "$cib/cut" "$cib/cib.xml"
start
grep -q 'cib.xml: .*passed over' "$dir/clusterd.log" || fail "the damaged cib.xml was not reported"
r=$(call '{"command":"cib-read"}')
[ "$(field "$r" version)" = 0.1.1 ] || fail "after restart, not the newest intact version: $r"
[ -f "$cib/cib.xml.corrupt" ] || fail "the damaged file was not kept aside"
stop

# Nothing intact: the daemon refuses to start, and says why.
for f in "$cib"/cib-*.xml; do echo garbage > "$f"; done
set +e
"$BUILD/src/tandem-clusterd" --socket "$sock" --cib-dir "$cib" 2>"$dir/refused.log"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'no intact CIB' "$dir/refused.log" || fail "start without an intact CIB: rc=$rc $(cat "$dir/refused.log")"
echo "${0##*/}: ok"
