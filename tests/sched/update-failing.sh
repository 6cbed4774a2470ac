#!/bin/bash
# Regenerates tests/sched/FAILING.md (the conformance cases that do not
# match yet, with the reason) from a built tree: update-failing.sh [BUILD_DIR].
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
tests/sched/conformance.sh "$build/src/tandem" ../shared/pacemaker-scheduler tests/sched/ratchet \
    --failing tests/sched/FAILING.md
