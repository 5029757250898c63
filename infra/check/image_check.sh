#!/usr/bin/env bash
# `make image-check`: prove the Docker runtime stage without Docker. Builds a Debian bookworm
# root with debootstrap, installs exactly infra/docker/runtime-packages.txt into it, copies in
# an installed `sic` (cmake --install), and inside the root: ldd must find every library, and
# `sic example` + `sic analyze` must run as the image's non-root user would.
#   infra/check/image_check.sh BUILD_DIR [ROOT_DIR]
# Needs root (debootstrap, chroot) and Debian's package mirror.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: image_check.sh BUILD_DIR [ROOT_DIR]}" && pwd)
rootfs=${2:-$build/image-root}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "image-check needs root (debootstrap, chroot)"; exit 1; }
command -v debootstrap >/dev/null || { echo "image-check needs debootstrap (make deps installs it)"; exit 1; }

packages=$(grep -v '^#' "$here/../docker/runtime-packages.txt" | paste -sd, -)
if [ ! -f "$rootfs/.sic-packages" ] || [ "$(cat "$rootfs/.sic-packages")" != "$packages" ]; then
  rm -rf "$rootfs"
  echo "image-check: debootstrap bookworm into $rootfs (runtime packages: $packages)"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$build/image-debootstrap.log" 2>&1 \
    || { tail -20 "$build/image-debootstrap.log"; exit 1; }
  echo "$packages" > "$rootfs/.sic-packages"
fi

rm -rf "$rootfs/opt/sic"
cmake --install "$build" --prefix "$rootfs/opt/sic" >/dev/null
rm -rf "$rootfs/opt/sic/include" "$rootfs/opt/sic/lib/pkgconfig" "$rootfs"/opt/sic/lib/*.a
chroot "$rootfs" sh -c 'id sic >/dev/null 2>&1 || useradd --system --uid 10001 --create-home --home-dir /var/lib/sic sic'

# A container has /proc; so must the root (sic finds its scripts through /proc/self/exe).
mount -t proc proc "$rootfs/proc"
trap 'umount "$rootfs/proc"' EXIT
missing=$(chroot "$rootfs" ldd /opt/sic/bin/sic | grep 'not found' || true)
[ -z "$missing" ] || { echo "FAIL: libraries missing from the runtime stage:"; echo "$missing"; exit 1; }
echo "ok    ldd: every library of sic is in the runtime packages"
chroot --userspec=10001:10001 "$rootfs" env HOME=/var/lib/sic PATH=/opt/sic/bin:/usr/bin:/bin \
  sh -c 'cd /var/lib/sic && sic example ex.log >/dev/null && sic analyze ex.log --format json > report.json' \
  || { echo "FAIL: sic example/analyze inside the runtime root"; exit 1; }
grep -q '"schema" *: *"sic.report/' "$rootfs/var/lib/sic/report.json" || { echo "FAIL: no report inside the root"; exit 1; }
grep -q '"rule" *: *"' "$rootfs/var/lib/sic/report.json" || { echo "FAIL: the report inside the root has no findings (Lua rules did not run)"; exit 1; }
echo "ok    sic example + sic analyze run as uid 10001 inside the runtime root"
echo "image size: $(du -sh --exclude=proc "$rootfs" | cut -f1) (rootfs incl. apt caches), sic install: $(du -sh "$rootfs/opt/sic" | cut -f1)"
echo "2 passed, 0 failed"
