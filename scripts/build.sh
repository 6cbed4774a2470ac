#!/bin/bash
# Configure (once) and build tandem in build/; with --asan also the
# ASan+UBSan build in build-asan/, with --fuzz the libFuzzer build (clang)
# in build-fuzz/. Warnings are errors under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=false
[ "${CI:-}" = true ] && werror=true

setup() {
    local dir=$1; shift
    local reconfigure=
    # --reconfigure: modules are picked up by file name at configure time.
    [ -f "$dir/build.ninja" ] && reconfigure=--reconfigure
    meson setup $reconfigure "$dir" -Dwerror=$werror "$@" > "$dir.setup.log" 2>&1 ||
        { cat "$dir.setup.log"; exit 1; }
    ninja -C "$dir" > "$dir.ninja.log" 2>&1 || { cat "$dir.ninja.log"; exit 1; }
}

setup build --prefix=/usr
for opt in "$@"; do
    case $opt in
    --asan) setup build-asan --prefix=/usr -Db_sanitize=address,undefined -Db_lundef=false ;;
    --fuzz) CC=clang setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false ;;
    *) echo "build.sh: unknown option $opt" >&2; exit 2 ;;
    esac
done
