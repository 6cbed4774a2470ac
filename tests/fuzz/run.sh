#!/bin/bash
# run.sh FUZZER CORPUS_DIR: run a libFuzzer target for $FUZZ_SECONDS
# (default 20) on a scratch copy of its seed corpus, so nothing is written
# into the source tree. A crash fails the test and leaves the reproducer
# in the build directory's fuzz-artifacts/.
set -euo pipefail
fuzzer=$1 corpus=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=${MESON_BUILD_ROOT:-$PWD}/fuzz-artifacts
mkdir -p "$artifacts"
[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
# libFuzzer's own error exit code is 77, which meson reads as "skipped":
# a crash must fail the test.
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -artifact_prefix="$artifacts/$(basename "$fuzzer")-" -print_final_stats=1 "$work"
