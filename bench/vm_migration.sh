#!/bin/bash
# bench/vm_migration.sh [ROUNDS]: live-migration total time and downtime
# (QMP query-migrate's figures, as the vm agent logs them) of a 128 MiB
# TCG guest on a plain image file (shared storage on one machine),
# migrated ROUNDS times (default 10) between two QEMUs over 127.0.0.1
# while it writes records, through tests/vm/test_vm_migration.sh. Prints
# each migration and the median, minimum and maximum.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash scripts/build.sh
VM_AGENT=$PWD/build/src/agents/vm BUILD=$PWD/build ROUNDS=$rounds bash tests/vm/test_vm_migration.sh >"$out" 2>&1 ||
    { tail -30 "$out" >&2; echo "bench/vm_migration.sh: the test failed" >&2; exit 1; }
grep '^migration [0-9]*:' "$out"
python3 - "$out" <<'PY'
import re, statistics, sys
rows = [tuple(map(int, m.groups())) for m in
        re.finditer(r"^migration \d+: total (\d+) ms, downtime (\d+) ms", open(sys.argv[1]).read(), re.M)]
for i, name in enumerate(["total", "downtime"]):
    v = [r[i] for r in rows]
    print(f"{name}: median {statistics.median(v):g} ms, min {min(v)} ms, max {max(v)} ms over {len(v)} migrations")
PY
