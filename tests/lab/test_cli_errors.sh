#!/bin/bash
# Bad lab commands get a clear error and change nothing.
. "$(dirname "$0")/lib.sh"
need_root
[ -d "$LAB_ROOT" ] && fail "a lab is up already before this test started"

expect_error() { # expect_error PATTERN CMD...
    local pattern=$1 out rc; shift
    set +e; out=$("$@" 2>&1); rc=$?; set -e
    [ $rc != 0 ] || fail "'$*' succeeded"
    echo "$out" | grep -q -- "$pattern" || fail "'$*' said '$out', expected '$pattern'"
}

expect_error 'must be run as root' setpriv --reuid=65534 --regid=65534 --clear-groups "$TANDEM" lab status
expect_error 'must be run as root' setpriv --reuid=65534 --regid=65534 --clear-groups "$TANDEM" lab up 2
expect_error 'no lab is up' lab status
expect_error 'no lab is up' lab exec alice -- true
expect_error 'no lab is up' lab crash alice
expect_error 'N must be a number from 1' lab up 0
expect_error 'N must be a number from 1' lab up two
expect_error 'Usage: tandem lab up N' lab up
expect_error 'unknown command' lab frobnicate
expect_error 'no command given' lab exec alice --
[ -d "$LAB_ROOT" ] && fail "an erroneous command created $LAB_ROOT"
say "ok"
