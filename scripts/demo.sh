#!/bin/bash
# tandem's demo: install what is needed, build and install tandem, bring
# up a two-node lab, show that it is quorate, replicate a volume from alice
# to bob, write to it over NBD, crash alice, read the data on bob, and take
# the lab down again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
bash scripts/build.sh
meson install -C build --quiet

if [ -d /var/lib/tandem-lab ]; then
    echo "demo: a lab is up already; 'tandem lab down' removes it" >&2
    exit 1
fi

work=$(mktemp -d /tmp/tandem-demo.XXXXXX)
trap 'tandem lab down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cat > "$work/disk.conf" <<'CONF'
resource r0 {
    net { protocol C; connect-int 1; ping-int 1; }
    volume 0 { device /dev/drbd0; disk /var/lib/tandem/r0.img; meta-disk internal; }
    on alice { address 198.51.100.1:7789; }
    on bob { address 198.51.100.2:7789; }
}
CONF
NBD='nbd+unix:///0?socket=/run/tandem/r0.nbd'

set -x
# A two-node cluster: corosync quorate on both, tandem's daemons answering.
tandem lab up 2
tandem lab status
tandem lab exec alice -- corosync-quorumtool -s
tandem lab exec alice -- tandem status

# A replicated volume: metadata on both, alice Primary, initial sync.
for h in alice bob; do
    tandem lab exec $h -- sh -c "cp $work/disk.conf /etc/tandem/disk.conf &&
        truncate -s 64M /var/lib/tandem/r0.img && tandem disk create-md r0 && tandem disk up r0"
done
tandem lab exec alice -- tandem disk primary --force r0
until tandem lab exec bob -- tandem disk status r0 | grep -q '^  disk:UpToDate'; do sleep 0.5; done
tandem lab exec bob -- tandem disk status r0

# Data written through NBD on alice; alice loses power; bob takes over.
tandem lab exec alice -- qemu-io -f raw -c 'write -P 0x5a 0 4M' -c flush "$NBD"
tandem lab crash alice
tandem lab exec bob -- tandem disk primary r0
tandem lab exec bob -- qemu-io -f raw -c 'read -P 0x5a 0 4M' "$NBD"
tandem lab exec bob -- tandem disk status r0
trap - EXIT
tandem lab down
rm -rf "$work"
