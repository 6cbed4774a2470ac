#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end test of tandem's NBD server against real clients: nbdinfo,
# qemu-img, qemu-io, nbdcopy, fio (nbd engine) and, when python3-libnbd is
# installed, libnbd's Python binding for requests the other clients never
# send. nbd_file_server ($NBD_FILE_SERVER) serves temporary files on unix
# sockets and on TCP 127.0.0.1 (a free port it picks). Stops by itself,
# removes its files and processes, and exits non-zero on any mismatch.
set -uo pipefail

: "${NBD_FILE_SERVER:?NBD_FILE_SERVER must name the nbd_file_server program}"

for tool in nbdinfo nbdcopy qemu-img qemu-io sha256sum timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool is not installed (packages: libnbd-bin qemu-utils)"
        exit 77
    fi
done

tmp=$(mktemp -d /tmp/test-nbd-clients-XXXXXX)
pids=()
failures=0

cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# check DESCRIPTION COMMAND...: runs COMMAND (at most 120 s), records failure.
check() {
    local what=$1
    shift
    if timeout 120 "$@" >"$tmp/out" 2>&1; then
        echo "ok   $what"
    else
        echo "FAIL $what (exit $?): $*"
        sed 's/^/     | /' "$tmp/out" | tail -20
        failures=$((failures + 1))
    fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
    if [ "$2" == "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: expected '$2', got '$3'"
        failures=$((failures + 1))
    fi
}

# start_server NAME ARGS...: starts nbd_file_server with --unix $tmp/NAME.nbd
# and waits for the socket.
start_server() {
    local name=$1
    shift
    "$NBD_FILE_SERVER" --unix "$tmp/$name.nbd" "$@" 2>"$tmp/$name.log" &
    pids+=($!)
    for _ in $(seq 100); do
        [ -S "$tmp/$name.nbd" ] && return 0
        sleep 0.1
    done
    echo "FAIL server $name did not start"
    cat "$tmp/$name.log"
    exit 1
}

# stop_server NAME PID: SIGTERM, then the server must exit 0 and clean up.
stop_server() {
    local name=$1 pid=$2 rc
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    expect_eq "server $name exits cleanly" 0 "$rc"
    if [ -e "$tmp/$name.nbd" ]; then
        echo "FAIL server $name left its socket behind"
        failures=$((failures + 1))
    fi
    if grep -E "AddressSanitizer|runtime error|clients still open|: err:" "$tmp/$name.log"; then
        echo "FAIL server $name logged errors"
        failures=$((failures + 1))
    fi
}

# Bytes of FILE in [OFF, OFF+LEN) that differ from BYTE (octal escape).
count_not() {
    dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none | tr -d "$4" | wc -c
}

truncate -s 64M "$tmp/disk0"
truncate -s 1M "$tmp/disk1"
head -c 64M /dev/urandom >"$tmp/random"
head -c 64M /dev/urandom >"$tmp/random2"

# ---- Server A: two exports, unix + TCP ----
start_server a --tcp 127.0.0.1:0 --port-file "$tmp/port" "$tmp/disk0" "$tmp/disk1"
pid_a=${pids[-1]}
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
U="nbd+unix:///0?socket=$tmp/a.nbd"
U1="nbd+unix:///1?socket=$tmp/a.nbd"
UDEF="nbd+unix:///?socket=$tmp/a.nbd"
T="nbd://127.0.0.1:$port/0"

# nbdinfo: size, flags, block sizes, list.
expect_eq "nbdinfo size of export 0" 67108864 "$(timeout 30 nbdinfo --size "$U")"
expect_eq "nbdinfo size of export 1" 1048576 "$(timeout 30 nbdinfo --size "$U1")"
expect_eq "nbdinfo size of the default export" 67108864 "$(timeout 30 nbdinfo --size "$UDEF")"
expect_eq "nbdinfo size over TCP" 67108864 "$(timeout 30 nbdinfo --size "$T")"
timeout 30 nbdinfo "$U" >"$tmp/info" 2>&1
for want in "can_flush: true" "can_fua: true" "can_trim: true" "can_zero: true" \
            "can_multi_conn: true" "is_read_only: false" "can_fast_zero: false" \
            "block_size_minimum: 1" "block_size_preferred: 4096" \
            "block_size_maximum: 33554432" "description: file $tmp/disk0"; do
    if grep -qF "$want" "$tmp/info"; then
        echo "ok   nbdinfo reports $want"
    else
        echo "FAIL nbdinfo does not report '$want'"
        cat "$tmp/info"
        failures=$((failures + 1))
    fi
done
timeout 30 nbdinfo --list "$UDEF" >"$tmp/list" 2>&1
expect_eq "nbdinfo --list names both exports" 2 "$(grep -cE '^export="[01]":' "$tmp/list")"
expect_eq "nbdinfo --list shows descriptions" 1 "$(grep -cF "description: file $tmp/disk1" "$tmp/list")"
if timeout 30 nbdinfo "nbd+unix:///nope?socket=$tmp/a.nbd" >"$tmp/out" 2>&1; then
    echo "FAIL nbdinfo accepted an unknown export"
    failures=$((failures + 1))
else
    echo "ok   unknown export refused"
fi

# qemu-img info.
check "qemu-img info" qemu-img info "$U"
expect_eq "qemu-img virtual size" 67108864 \
    "$(timeout 30 qemu-img info --output=json "$U" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')"

# qemu-io: writes, reads with pattern checks, zeroes, discard, flush, FUA,
# asynchronous IO and unaligned requests.
check "qemu-io command sequence" qemu-io -f raw \
    -c 'write -P 0xab 0 1M' -c 'read -P 0xab 0 1M' \
    -c 'write -z 1M 1M' -c 'read -P 0 1M 1M' \
    -c 'write -P 0x55 2M 1M' -c 'discard 2M 1M' -c 'flush' \
    -c 'aio_write -P 0xcd 4M 64k' -c 'aio_write -P 0xce 4160k 64k' -c 'aio_flush' \
    -c 'read -P 0xcd 4M 64k' -c 'read -P 0xce 4160k 64k' \
    -c 'write -f -P 0x11 5M 4k' -c 'read -P 0x11 5M 4k' \
    -c 'write -P 0x22 6M 2M' -c 'write -z -u 6M 2M' -c 'read -P 0 6M 2M' \
    -c 'write -P 0x77 7340033 1000' -c 'read -P 0x77 7340033 1000' \
    -c 'readv -P 0xab 0 4k 4k' -c 'writev -P 0x99 9M 4k 8k' -c 'read -P 0x99 9M 12k' \
    "$U"
if grep -qiE "fail|error" "$tmp/out"; then
    echo "FAIL qemu-io reported errors"
    cat "$tmp/out"
    failures=$((failures + 1))
fi
# What the clients wrote is in the file.
expect_eq "file holds 0xab at 0..1M" 0 "$(count_not "$tmp/disk0" 0 1048576 '\253')"
expect_eq "file holds zeroes at 1M..2M" 0 "$(count_not "$tmp/disk0" 1048576 1048576 '\000')"
expect_eq "file holds 0x11 at 5M" 0 "$(count_not "$tmp/disk0" 5242880 4096 '\021')"
expect_eq "file holds zeroes at 6M..7M" 0 "$(count_not "$tmp/disk0" 6291456 1048576 '\000')"
expect_eq "file holds the unaligned write" 0 "$(count_not "$tmp/disk0" 7340033 1000 '\167')"
expect_eq "unaligned write stays in bounds" 1 "$(count_not "$tmp/disk0" 7340032 1 '\167')"
# Reads past the end fail without harm.
if timeout 30 qemu-io -f raw -c 'read 63M 2M' "$U" >"$tmp/out" 2>&1; then
    echo "FAIL read past the end succeeded"
    failures=$((failures + 1))
else
    echo "ok   read past the end fails"
fi
check "qemu-io over TCP" qemu-io -f raw -c 'write -P 0x3c 10M 1M' -c 'read -P 0x3c 10M 1M' "$T"

# nbdcopy a random 64 MiB file in and out (multi-conn), unix and TCP.
sum=$(sha256sum <"$tmp/random")
check "nbdcopy file -> export" nbdcopy "$tmp/random" "$U"
check "nbdcopy export -> file" nbdcopy "$U" "$tmp/copy1"
expect_eq "nbdcopy round trip checksum" "$sum" "$(sha256sum <"$tmp/copy1")"
check "nbdcopy export -> file over TCP" nbdcopy "$T" "$tmp/copy2"
expect_eq "nbdcopy TCP checksum" "$sum" "$(sha256sum <"$tmp/copy2")"
expect_eq "file behind the export" "$sum" "$(sha256sum <"$tmp/disk0")"

# qemu-img convert and compare in both directions.
check "qemu-img convert file -> export" qemu-img convert -n -f raw -O raw "$tmp/random2" "$U"
check "qemu-img compare file, export" qemu-img compare -f raw -F raw "$tmp/random2" "$U"
check "qemu-img convert export -> file" qemu-img convert -f raw -O raw "$U" "$tmp/copy3"
check "qemu-img compare export, file" qemu-img compare -f raw -F raw "$U" "$tmp/copy3"
expect_eq "qemu-img round trip checksum" "$(sha256sum <"$tmp/random2")" "$(sha256sum <"$tmp/copy3")"

# Several clients at once on disjoint ranges, then verify.
par=()
for i in 1 2 3 4 5 6; do
    off=$(( (i - 1) * 8 ))
    timeout 120 qemu-io -f raw -c "write -P $((0x10 + i)) ${off}M 8M" -c "read -P $((0x10 + i)) ${off}M 8M" \
        "$( [ $((i % 2)) -eq 0 ] && echo "$T" || echo "$U" )" >"$tmp/par$i" 2>&1 &
    par+=($!)
done
for i in "${!par[@]}"; do
    if ! wait "${par[$i]}"; then
        echo "FAIL parallel qemu-io $((i + 1))"
        cat "$tmp/par$((i + 1))"
        failures=$((failures + 1))
    fi
done
for i in 1 2 3 4 5 6; do
    off=$(( (i - 1) * 8 ))
    check "parallel range $i reads back" qemu-io -f raw -r -c "read -P $((0x10 + i)) ${off}M 8M" "$U"
    expect_eq "parallel range $i in the file" 0 \
        "$(count_not "$tmp/disk0" $((off * 1048576)) 8388608 "\\$(printf '%03o' $((0x10 + i)))")"
done

# fio with its nbd engine, when this fio has one.
if fio --enghelp 2>/dev/null | grep -qw nbd; then
    check "fio randrw with verify over NBD" fio --name=nbd --ioengine=nbd \
        --uri="$U" --rw=randrw --bs=4k --iodepth=32 --size=32M --time_based --runtime=3 \
        --verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0
    grep -q "err= 0" "$tmp/out" || { echo "FAIL fio reported an error"; failures=$((failures + 1)); }
else
    echo "skip fio: no nbd ioengine in this fio"
fi

# libnbd's Python binding, when installed (python3-libnbd), for what the
# clients above never send: requests outside the rules, and options.
py=/usr/bin/python3
if [ -x $py ] && $py -c 'import nbd' 2>/dev/null; then
    check "libnbd: server-side validation and options" $py - "$U" "$tmp/a.nbd" <<'EOF'
import errno, sys, nbd
uri, sock = sys.argv[1:3]

h = nbd.NBD()
h.set_strict_mode(0)          # let libnbd send what the server must refuse
h.connect_uri(uri)
size = h.get_size()
def expect_err(what, fn, code):
    try:
        fn()
    except nbd.Error as e:
        assert e.errnum == code, f"{what}: errno {e.errnum}, expected {code}"
        return
    raise AssertionError(f"{what}: succeeded")
expect_err("read past the end", lambda: h.pread(4096, size - 100), errno.EINVAL)
expect_err("write past the end", lambda: h.pwrite(b"x" * 512, size), errno.ENOSPC)
expect_err("read larger than 32 MiB", lambda: h.pread((32 << 20) + 1, 0), errno.EINVAL)
h.pwrite(b"hello", 123)                  # still in sync after the errors
assert h.pread(5, 123) == b"hello"
assert h.pread(0, 0) == b""              # zero length: success, no IO
h.zero(4096, 8192, nbd.CMD_FLAG_NO_HOLE)
assert h.pread(4096, 8192) == bytes(4096)
h.trim(4096, 8192, nbd.CMD_FLAG_FUA)
h.flush()
h.shutdown()

# Option haggling: LIST, INFO on a good and an unknown export, then GO.
h = nbd.NBD()
h.set_opt_mode(True)
h.connect_unix(sock)
names = []
h.opt_list(lambda name, desc: names.append(name) or 0)
assert sorted(names) == ["0", "1"], names
h.set_export_name("1")
h.opt_info()
assert h.get_size() == 1 << 20
assert h.get_block_size(nbd.SIZE_MAXIMUM) == 32 << 20
h.set_export_name("nope")
try:
    h.opt_info()
    raise AssertionError("INFO on an unknown export succeeded")
except nbd.Error:
    pass
h.set_export_name("0")
h.opt_go()
assert h.get_size() == 64 << 20
h.shutdown()
print("libnbd checks passed")
EOF
else
    echo "skip libnbd Python checks: python3-libnbd is not installed"
fi

stop_server a "$pid_a"

# ---- Server B: read-only ----
start_server b --read-only "$tmp/disk1"
pid_b=${pids[-1]}
UB="nbd+unix:///0?socket=$tmp/b.nbd"
timeout 30 nbdinfo "$UB" >"$tmp/info" 2>&1
grep -qF "is_read_only: true" "$tmp/info" && echo "ok   read-only export advertised" ||
    { echo "FAIL read-only flag missing"; failures=$((failures + 1)); }
check "read from the read-only export" qemu-io -f raw -r -c 'read 0 64k' "$UB"
if [ -x $py ] && $py -c 'import nbd' 2>/dev/null; then
    check "libnbd: writes to a read-only export get EPERM" $py - "$UB" <<'EOF'
import errno, sys, nbd
h = nbd.NBD()
h.set_strict_mode(0)
h.connect_uri(sys.argv[1])
assert h.is_read_only()
for what, fn in (("write", lambda: h.pwrite(b"x" * 4096, 0)),
                 ("trim", lambda: h.trim(4096, 0)),
                 ("zero", lambda: h.zero(4096, 0))):
    try:
        fn()
        raise AssertionError(what + " succeeded")
    except nbd.Error as e:
        assert e.errnum == errno.EPERM, (what, e.errnum)
assert h.pread(4096, 0) == bytes(4096)
h.shutdown()
EOF
fi
stop_server b "$pid_b"

# ---- Server C: delayed, out-of-order completion ----
start_server c --delay-ms 2 --reorder "$tmp/disk0"
pid_c=${pids[-1]}
UC="nbd+unix:///0?socket=$tmp/c.nbd"
check "nbdcopy into the reordering server" nbdcopy "$tmp/random2" "$UC"
check "qemu-img compare through the reordering server" qemu-img compare -f raw -F raw "$tmp/random2" "$UC"
check "qemu-io aio through the reordering server" qemu-io -f raw \
    -c 'aio_write -P 0x41 0 64k' -c 'aio_write -P 0x42 64k 64k' -c 'aio_write -P 0x43 128k 64k' \
    -c 'aio_flush' -c 'read -P 0x41 0 64k' -c 'read -P 0x42 64k 64k' -c 'read -P 0x43 128k 64k' "$UC"
stop_server c "$pid_c"
pids=()

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all NBD client checks passed"
