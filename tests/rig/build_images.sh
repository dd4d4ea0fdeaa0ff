#!/usr/bin/env bash
# Builds the test images offline from Debian packages into one OCI layout, and pushes them
# with skopeo (an independent client) into a registry storage directory that later test
# sessions copy. Idempotent and cached: a second run only checks a stamp.
#   usage: build_images.sh            build (if needed) into $STRATA_TEST_CACHE/v$RIG_VERSION
# Env: STRATA_TEST_CACHE (default /var/tmp/strata-test-cache), MIRROR (Debian mirror URL).
set -euo pipefail
RIG_VERSION=2                     # bump when a recipe below changes
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${STRATA_TEST_CACHE:-/var/tmp/strata-test-cache}
OUT=$CACHE/v$RIG_VERSION
OCI=$OUT/oci
log() { printf '[rig %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "build_images.sh must run as root" >&2; exit 1; }
[ -f "$OUT/images.done" ] && exit 0
mkdir -p "$OUT"
exec 9>"$CACHE/build.lock"; flock 9   # one builder at a time
[ -f "$OUT/images.done" ] && exit 0
rm -rf "$OCI" "$OUT/oci-zstd" "$OUT/registry" "$OUT/work"
umoci init --layout "$OCI"
work=$OUT/work; mkdir -p "$work"

# ---------------------------------------------------------------- busybox: one layer
log "busybox"
umoci new --image "$OCI:busybox"
umoci unpack --image "$OCI:busybox" "$work/bb"
R=$work/bb/rootfs
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/www}
chmod 1777 "$R/tmp"; chmod 700 "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in $("$R/bin/busybox" --list-full); do
  [ "$a" = bin/busybox ] && continue
  mkdir -p "$R/$(dirname "$a")"; ln -sf /bin/busybox "$R/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
echo '<h1>hello from strata</h1>' > "$R/var/www/index.html"
umoci repack --image "$OCI:busybox" --history.created_by "busybox-static + applet symlinks" "$work/bb"
umoci config --image "$OCI:busybox" --config.cmd sh \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
rm -rf "$work/bb"

# ---------------------------------------------- multi: debian base + small files + special
ROOTFS=$CACHE/debian-rootfs
if [ ! -f "$CACHE/debian-rootfs.done" ]; then
  MIRROR=${MIRROR:-$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
      /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | grep -oE 'https?://[^ ]+/debian/?' | head -1 || true)}
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  log "debootstrap --variant=minbase bookworm from $MIRROR"
  rm -rf "$ROOTFS"; mkdir -p "$CACHE/debs"
  debootstrap --variant=minbase --cache-dir="$CACHE/debs" bookworm "$ROOTFS" "$MIRROR" \
    > "$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  # Slim it as the official debian:*-slim images are.
  find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$ROOTFS"/usr/share/{man,info,lintian,linda}/* "$ROOTFS"/var/lib/apt/lists/* \
         "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/log/*.log \
         "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hostname"
  find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  touch "$CACHE/debian-rootfs.done"
fi
log "multi: debian base layer"
umoci new --image "$OCI:multi"
umoci unpack --image "$OCI:multi" "$work/multi"
cp -a "$ROOTFS/." "$work/multi/rootfs/"
umoci repack --refresh-bundle --image "$OCI:multi" --history.created_by "debootstrap --variant=minbase bookworm (slimmed)" "$work/multi"
log "multi: small files layer"
python3 "$here/make_layers.py" smallfiles "$work/multi/rootfs/opt/smallfiles"
umoci repack --refresh-bundle --image "$OCI:multi" --history.created_by "add 3000 small files" "$work/multi"
log "multi: whiteouts, opaque dir, links, setuid, xattr layer"
python3 "$here/make_layers.py" special "$work/special.tar"
umoci raw add-layer --image "$OCI:multi" --history.created_by "delete, replace, link, setuid, xattr" \
  "$work/special.tar"
umoci config --image "$OCI:multi" --config.cmd /bin/bash --config.workingdir /opt \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env APP_ENV=test \
  --config.label org.strata.test=multi --config.label org.strata.layers=4
rm -rf "$work/multi" "$work/special.tar"

# ------------------------------------------------------ platforms: an amd64 + arm64 index
log "platforms"
for arch in amd64 arm64; do
  if [ "$arch" = amd64 ]; then umoci tag --image "$OCI:busybox" "platform-$arch"
  else umoci new --image "$OCI:platform-$arch"; fi
  umoci unpack --image "$OCI:platform-$arch" "$work/p"
  mkdir -p "$work/p/rootfs/etc"; echo "$arch" > "$work/p/rootfs/etc/platform"
  umoci repack --image "$OCI:platform-$arch" --history.created_by "echo $arch > /etc/platform" "$work/p"
  umoci config --image "$OCI:platform-$arch" --architecture "$arch" --os linux
  rm -rf "$work/p"
done
python3 "$here/make_layers.py" index "$OCI" platforms platform-amd64:amd64 platform-arm64:arm64
umoci gc --layout "$OCI"

# ------------------------------------------------------------------ push with skopeo
log "pushing into the cached registry storage"
PYTHONPATH="$here/.." python3 -m rig.push_all "$OUT" "$OCI"
rm -rf "$work"
touch "$OUT/images.done"
log "done"
