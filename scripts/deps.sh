#!/bin/bash
# Install what tandem needs to build, test and run its lab, from Debian's
# packages. Idempotent: asks apt only for what is missing.
set -euo pipefail

packages=(
    # build
    gcc meson ninja-build pkg-config python3
    libsystemd-dev liburing-dev
    libcpg-dev libquorum-dev libvotequorum-dev libcmap-dev libcorosync-common-dev
    libxml2-dev libjansson-dev libgnutls28-dev libcmocka-dev
    # the lab: namespaces, links, cluster stack
    iproute2 nftables corosync procps util-linux iputils-ping
    # real NBD clients for the storage tests
    qemu-utils libnbd-bin fio python3-libnbd
    # the lab's guests (scripts/guest-image.sh): QEMU under TCG, and an
    # initramfs of busybox around Debian's kernel, downloaded by apt
    qemu-system-x86 busybox-static cpio file
    # tandem configure's tests: real OCF agents' meta-data, and Pacemaker's
    # crm_verify to check the CIB XML it writes
    resource-agents pacemaker-cli-utils
    # the guest's record writer is linked statically (libc.a); xmllint
    # checks the OCF agents' meta-data
    libc6-dev libxml2-utils
    # fuzz targets (libFuzzer)
    clang libclang-rt-14-dev
    # tandem-clusterd's executor tests run stock OCF agents:
    # ocf:heartbeat:Dummy and ocf:pacemaker:Stateful (the latter without
    # the rest of Pacemaker)
    pacemaker-resource-agents
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/deps.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts corosync when the package is installed on a machine with
# systemd; tandem's lab runs its own corosync per host and never needs the
# machine's, so nothing is done about that here.
