#!/usr/bin/env bash
# Builds the test images offline from Debian packages (busybox-static, debootstrap from the
# mirror in apt's sources) into ONE OCI layout, and pushes them with skopeo (an independent
# client) into a registry storage directory that each test session copies. Run as root.
# Idempotent and cached: when the stamp is current a run only reads it (well under 2 s).
#
#   $CACHE/v$RIG_VERSION/oci/          the OCI layout, tags: busybox multi multi-zstd python strata-host
#                                      platform-amd64 platform-arm64 platforms (an index)
#   $CACHE/v$RIG_VERSION/registry/     docker-registry storage holding rig/push_all.py IMAGES
#   $CACHE/v$RIG_VERSION/images.done   the stamp: contains $RIG_VERSION
#   $CACHE/debian-rootfs/              debootstrap minbase, slimmed (stamp: BASE_VERSION)
#   $CACHE/debs/                       debootstrap's .deb cache (a rebuild downloads nothing)
#   $CACHE/apt/                        apt's lists and .deb cache for the python image (chroot)
#
# Bump RIG_VERSION whenever an image recipe (this script, make_layers.py, push_all.py)
# changes; bump BASE_VERSION when the debootstrap/slimming recipe changes.
# Env: STRATA_TEST_CACHE (default /var/tmp/strata-test-cache), MIRROR (Debian mirror URL).
set -euo pipefail
RIG_VERSION=7
BASE_VERSION=2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${STRATA_TEST_CACHE:-/var/tmp/strata-test-cache}
OUT=$CACHE/v$RIG_VERSION
OCI=$OUT/oci
log() { printf '[rig %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
stamp_is() { [ "$(cat "$1" 2>/dev/null || true)" = "$2" ]; }

stamp_is "$OUT/images.done" "$RIG_VERSION" && exit 0
[ "$(id -u)" = 0 ] || { echo "build_images.sh must run as root" >&2; exit 1; }
for tool in umoci skopeo debootstrap docker-registry unshare python3 zstd; do
  command -v "$tool" >/dev/null || { echo "build_images.sh: $tool is missing (see tests/setup.sh)" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "build_images.sh: /bin/busybox missing (busybox-static)" >&2; exit 1; }
mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"; flock 9   # one builder at a time; the others wait, then find the stamp
stamp_is "$OUT/images.done" "$RIG_VERSION" && exit 0
start=$SECONDS
log "building the test images, rig version $RIG_VERSION, into $OUT"

work=$OUT/work
made_mountpoint=
cleanup() {
  # Nothing should be mounted (debootstrap and skopeo run in private mount namespaces), but a
  # leftover mount under the cache must never survive this script.
  local m
  for m in $(awk -v c="$CACHE/" 'index($5, c) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$work"
  if [ -n "$made_mountpoint" ]; then   # only the empty dirs this script made
    rmdir /var/lib/containers/cache 2>/dev/null || true
    [ "$made_mountpoint" != /var/lib/containers ] || rmdir /var/lib/containers 2>/dev/null || true
  fi
}
trap cleanup EXIT
rm -rf "$OCI" "$OUT/registry" "$OUT/registry-run" "$work" "$OUT/images.done"
mkdir -p "$work"
umoci init --layout "$OCI"

# ------------------------------------------------------------ busybox: one layer
log "busybox: one layer of /bin/busybox and its applet links"
umoci new --image "$OCI:busybox"
umoci unpack --image "$OCI:busybox" "$work/bb" >/dev/null
R=$work/bb/rootfs
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/www}
chmod 1777 "$R/tmp"; chmod 700 "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in $("$R/bin/busybox" --list-full); do   # one symlink per applet, where busybox puts it
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

# ------------------------------------------- the Debian base (cached apart, BASE_VERSION)
ROOTFS=$CACHE/debian-rootfs
if ! stamp_is "$CACHE/debian-rootfs.done" "$BASE_VERSION"; then
  MIRROR=${MIRROR:-$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
      /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | grep -oE 'https?://[^ ]+/debian/?' | head -1 || true)}
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  log "debootstrap --variant=minbase bookworm from $MIRROR (log: $CACHE/debootstrap.log)"
  rm -rf "$ROOTFS" "$CACHE/debian-rootfs.done"; mkdir -p "$CACHE/debs"
  # A private mount namespace: whatever debootstrap mounts in the target (/proc, /sys) goes
  # away with it, even when it fails half-way.
  if ! unshare -m --propagation private debootstrap --variant=minbase --cache-dir="$CACHE/debs" \
        bookworm "$ROOTFS" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1; then
    tail -20 "$CACHE/debootstrap.log" >&2; echo "debootstrap failed" >&2; exit 1
  fi
  log "slimming the Debian rootfs (as debian:*-slim)"
  cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$ROOTFS"/usr/share/{man,groff,info,lintian,linda}/* "$ROOTFS"/var/lib/apt/lists/* \
         "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/log/*.log \
         "$ROOTFS"/var/log/apt/* "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hostname"
  find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"; chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
  echo "$BASE_VERSION" > "$CACHE/debian-rootfs.done"
fi

# A new image TAG whose first layer is the Debian base, left unpacked in BUNDLE for more layers.
debian_base() {   # TAG BUNDLE
  log "$1: Debian base layer"
  umoci new --image "$OCI:$1"
  umoci unpack --image "$OCI:$1" "$2" >/dev/null
  cp -a "$ROOTFS/." "$2/rootfs/"
  umoci repack --refresh-bundle --image "$OCI:$1" \
    --history.created_by "debootstrap --variant=minbase bookworm (slimmed)" "$2"
}

# ------------------------------------------ multi: debian base + small files + special layer
debian_base multi "$work/multi"
log "multi: small files layer"
python3 "$here/make_layers.py" smallfiles "$work/multi/rootfs/opt/smallfiles"
umoci repack --refresh-bundle --image "$OCI:multi" --history.created_by "add 3000 small files" "$work/multi"
log "multi: whiteouts, opaque dir, links, setuid, xattr layer"
python3 "$here/make_layers.py" special "$work/special.tar" "$ROOTFS"
umoci raw add-layer --image "$OCI:multi" --history.created_by "delete, replace, link, setuid, xattr" \
  "$work/special.tar"
umoci config --image "$OCI:multi" --config.cmd /bin/bash --config.workingdir /opt \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env APP_ENV=test \
  --config.label org.strata.test=multi --config.label org.strata.layers=3
rm -rf "$work/multi" "$work/special.tar"

# ------------------------------------------ python: debian base + python3 (for Ansible targets)
debian_base python "$work/py"
# apt-get install in a chroot of an unpacked rootfs. apt's lists and .debs live in the cache
# (bind mounts in a private mount namespace, with /proc), so a rebuild only revalidates the
# lists; the chroot shares the host's network for the mirror.
apt_install() {   # ROOTFS LOG PACKAGE...
  local R=$1 logfile=$2; shift 2
  mkdir -p "$CACHE/apt/archives/partial" "$CACHE/apt/lists/partial"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  if ! unshare -m --propagation private sh -ec '
      R=$1; A=$2; shift 2
      mount --bind "$A/archives" "$R/var/cache/apt/archives"
      mount --bind "$A/lists" "$R/var/lib/apt/lists"
      mount -t proc proc "$R/proc"
      apt="apt-get -q -o APT::Sandbox::User=root"
      chroot "$R" $apt update
      chroot "$R" env DEBIAN_FRONTEND=noninteractive $apt install -y --no-install-recommends "$@"' \
        sh "$R" "$CACHE/apt" "$@" > "$logfile" 2>&1; then
    tail -20 "$logfile" >&2; echo "apt-get install $* failed" >&2; exit 1
  fi
  rm -rf "$R/etc/resolv.conf" "$R"/var/cache/apt/*.bin "$R"/var/log/apt/* "$R"/var/log/*.log \
         "$R"/var/cache/debconf/*-old "$R"/var/lib/dpkg/*-old
}
log "python: apt-get install python3 in a chroot (log: $CACHE/python-apt.log)"
R=$work/py/rootfs
apt_install "$R" "$CACHE/python-apt.log" python3
chroot "$R" /usr/bin/python3 -c 'import json, shlex, zipfile' || { echo "python3 is broken in the image" >&2; exit 1; }
umoci repack --refresh-bundle --image "$OCI:python" \
  --history.created_by "apt-get install --no-install-recommends python3" "$work/py"
umoci config --image "$OCI:python" --config.cmd /bin/bash \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.label org.strata.test=python
rm -rf "$work/py"

# ---------------------- strata-host: python + what roles/host installs (molecule's instances)
log "strata-host: python + runc and the engine's libraries (log: $CACHE/strata-host-apt.log)"
umoci unpack --image "$OCI:python" "$work/sh" >/dev/null
R=$work/sh/rootfs
apt_install "$R" "$CACHE/strata-host-apt.log" runc python3-requests python3-zstandard python3-pyroute2 iproute2 kmod python3-apt netavark aardvark-dns iptables tini
chroot "$R" /usr/bin/python3 -c 'import requests, zstandard, pyroute2' || { echo "strata-host lacks a library" >&2; exit 1; }
umoci repack --refresh-bundle --image "$OCI:strata-host" \
  --history.created_by "apt-get install --no-install-recommends runc python3-requests python3-zstandard python3-pyroute2 iproute2 kmod python3-apt netavark aardvark-dns iptables tini" \
  "$work/sh"
umoci config --image "$OCI:strata-host" --config.label org.strata.test=strata-host
rm -rf "$work/sh"

# -------------------------------------------------------- platforms: an amd64 + arm64 index
log "platforms: linux/amd64 (busybox + /etc/platform) and linux/arm64 (/etc/platform only)"
for arch in amd64 arm64; do
  if [ "$arch" = amd64 ]; then umoci tag --image "$OCI:busybox" "platform-$arch"
  else umoci new --image "$OCI:platform-$arch"; fi
  umoci unpack --image "$OCI:platform-$arch" "$work/p" >/dev/null
  mkdir -p "$work/p/rootfs/etc"; echo "$arch" > "$work/p/rootfs/etc/platform"
  umoci repack --image "$OCI:platform-$arch" --history.created_by "echo $arch > /etc/platform" "$work/p"
  umoci config --image "$OCI:platform-$arch" --architecture "$arch" --os linux
  rm -rf "$work/p"
done
python3 "$here/make_layers.py" index "$OCI" platforms platform-amd64:amd64 platform-arm64:arm64
umoci gc --layout "$OCI"

# ------------------------------------------ multi-zstd and the pushes, with skopeo
# skopeo 1.9 substitutes blobs it knows from its blob-info cache (/var/lib/containers/cache):
# asked for zstd, it would push the gzip layers again. So every skopeo call of the build runs
# in a private mount namespace over an empty tmpfs cache (which push_all.py empties again
# before the zstd steps); the host's cache is neither read nor written.
log "multi-zstd, then pushing into the cached registry storage"
if [ ! -d /var/lib/containers/cache ]; then   # the mount point; exists where skopeo ran as root
  made_mountpoint=$( [ -d /var/lib/containers ] && echo /var/lib/containers/cache || echo /var/lib/containers )
  mkdir -p -m 0700 /var/lib/containers/cache
fi
unshare -m --propagation private sh -c '
  mount -t tmpfs -o size=64m,mode=0700 strata-rig-blobcache /var/lib/containers/cache &&
  exec env PYTHONPATH="$1" python3 -m rig.push_all "$2" "$3"' sh "$here/.." "$OUT" "$OCI"
echo "$RIG_VERSION" > "$OUT/images.done"
for old in "$CACHE"/v*; do   # builds of other rig versions are dead weight (~100 MB each)
  case ${old##*/} in v$RIG_VERSION|*[!v0-9]*) ;; *) log "removing the stale build $old"; rm -rf "$old" ;; esac
done
log "done in $((SECONDS - start)) s: $(du -sh "$OCI" | cut -f1) layout, $(du -sh "$OUT/registry" | cut -f1) registry"
