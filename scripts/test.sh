#!/bin/bash
# The whole test suite, as the README and .ci/run give it: install what is
# needed, build (normal and ASan+UBSan), run every test, print a summary.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh || exit 1
bash scripts/build.sh --asan --fuzz || exit 1

status=0
# Unit, daemon and lab tests on the normal build.
meson test -C build --print-errorlogs || status=1
# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs || status=1

# The storage daemons under the sanitizers, in the lab: a report in a
# host's log fails the test (tests/lab/lib.sh).
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
    meson test -C build-asan --logbase asan-lab --print-errorlogs disk_single disk_ops disk_failover_C disk_promote || status=1

# Every fuzz target, briefly (FUZZ_SECONDS each, default 20).
meson test -C build-fuzz --suite fuzz --print-errorlogs || status=1

python3 scripts/summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
    build-asan/meson-logs/asan-lab.json build-fuzz/meson-logs/testlog.json || status=1
exit $status
