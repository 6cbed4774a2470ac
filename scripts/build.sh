#!/bin/bash
# Configure (once) and build tandem in build/ (and, with --asan, the
# sanitizer build in build-asan/). Warnings are errors under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=false
[ "${CI:-}" = true ] && werror=true

setup() {
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" -Dwerror=$werror "$@" >/dev/null
    else
        meson configure "$dir" -Dwerror=$werror >/dev/null
    fi
    ninja -C "$dir" >/dev/null
}

setup build --prefix=/usr
if [ "${1:-}" = --asan ]; then
    setup build-asan --prefix=/usr -Db_sanitize=address,undefined -Db_lundef=false
fi
