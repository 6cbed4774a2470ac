#!/bin/bash
# tandem's demo: install what is needed, build and install tandem, bring
# up a two-node lab, show that it is quorate, and take it down again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
bash scripts/build.sh
meson install -C build --quiet

if [ -d /var/lib/tandem-lab ]; then
    echo "demo: a lab is up already; 'tandem lab down' removes it" >&2
    exit 1
fi
trap 'tandem lab down >/dev/null 2>&1 || true' EXIT

set -x
tandem lab up 2
tandem lab status
tandem lab exec alice -- corosync-quorumtool -s
tandem lab exec alice -- tandem status
tandem lab exec bob -- tandem disk status
trap - EXIT
tandem lab down
