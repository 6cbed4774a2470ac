#!/bin/bash
# Builds the lab's guest in OUTDIR (default build/guest): Debian's kernel
# (vmlinuz) and an initramfs (initrd.img) with busybox, the virtio block
# modules, src/guest/init and the record writer src/guest/records.c
# (compiled static here: the initramfs has no libc). Rebuilt only when the
# kernel, init or the writer change.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build/guest}")
init=src/guest/init
writer=src/guest/records.c

for cmd in busybox cpio qemu-system-x86_64 cc; do
    command -v "$cmd" >/dev/null || { echo "guest-image: $cmd missing (run scripts/deps.sh)" >&2; exit 1; }
done
busybox_bin=$(command -v busybox)
file -L "$busybox_bin" 2>/dev/null | grep -q 'statically linked' ||
    { echo "guest-image: $busybox_bin is not static (install busybox-static)" >&2; exit 1; }

pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
[ -n "$pkg" ] || { echo "guest-image: apt knows no linux-image-amd64 kernel" >&2; exit 1; }
stamp="$pkg $(cat "$init" "$writer" | sha256sum | cut -d' ' -f1)"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
        [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # apt's _apt user downloads into it
(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
    { echo "guest-image: could not download $pkg" >&2; exit 1; }
dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/kernel"

root=$tmp/initrd
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$busybox_bin" "$root/bin/busybox"
cp "$init" "$root/init"
cc -static -O2 -Wall -Wextra -Werror -o "$root/bin/tandem-records" "$writer" ||
    { echo "guest-image: cannot build $writer statically (libc6-dev has libc.a)" >&2; exit 1; }
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
    ko=$(find "$tmp/kernel/lib/modules" -name "$m.ko*" | head -n1)
    [ -n "$ko" ] || { echo "guest-image: $pkg has no module $m" >&2; exit 1; }
    case $ko in
    *.ko.xz) xz -dc "$ko" > "$root/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$ko" > "$root/lib/modules/$m.ko" ;;
    *) cp "$ko" "$root/lib/modules/$m.ko" ;;
    esac
done

mkdir -p "$out"
cp "$tmp"/kernel/boot/vmlinuz-* "$out/vmlinuz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initrd.img"
echo "$stamp" > "$out/stamp"
echo "guest-image: built $out from $pkg"
