#!/usr/bin/env bash
# Builds the test VM: Debian 12 with systemd as PID 1 and cgroup v2 only, booted by QEMU (see
# boot.sh). Offline from Debian packages with debootstrap; everything the engine and roles/host
# need is preinstalled, so the guest never needs a mirror during the tests. Run as root.
# Idempotent and cached: when the stamp is current a run only reads it.
#
#   $CACHE/vm-v$VM_VERSION/disk.img       raw ext4 image of the rootfs (root=/dev/vda)
#   $CACHE/vm-v$VM_VERSION/vmlinuz, initrd.img   the guest's kernel, for qemu -kernel/-initrd
#   $CACHE/vm-v$VM_VERSION/id_ed25519[.pub]      root's SSH key for the guest
#   $CACHE/vm-v$VM_VERSION/vm.done        the stamp: contains $VM_VERSION
#   $CACHE/vm-debs/                       debootstrap's .deb cache (a rebuild downloads nothing)
#
# VM_VERSION is apart from build_images.sh's RIG_VERSION: the two caches are rebuilt
# independently. Bump VM_VERSION whenever this recipe changes.
# Env: STRATA_TEST_CACHE (default /var/tmp/strata-test-cache), MIRROR (Debian mirror URL).
set -euo pipefail
VM_VERSION=2
CACHE=${STRATA_TEST_CACHE:-/var/tmp/strata-test-cache}
OUT=$CACHE/vm-v$VM_VERSION
SIZE=3G
log() { printf '[vm %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
stamp_is() { [ "$(cat "$1" 2>/dev/null || true)" = "$2" ]; }

stamp_is "$OUT/vm.done" "$VM_VERSION" && exit 0
[ "$(id -u)" = 0 ] || { echo "make_image.sh must run as root" >&2; exit 1; }
for tool in debootstrap mkfs.ext4 ssh-keygen unshare qemu-system-x86_64; do
  command -v "$tool" >/dev/null || { echo "make_image.sh: $tool is missing (see tests/setup.sh)" >&2; exit 1; }
done
mkdir -p "$CACHE"
exec 9>"$CACHE/vm-build.lock"; flock 9   # one builder at a time; the others find the stamp
stamp_is "$OUT/vm.done" "$VM_VERSION" && exit 0
start=$SECONDS

# What the guest holds: a bootable systemd host, sshd, and what roles/host would install
# (strata_debian_packages, for both runtimes) plus python3-apt for Ansible's apt module.
# debootstrap does not resolve virtual packages: python3-zstandard needs python3-cffi-backend.
PKGS=(
  systemd-sysv systemd dbus udev linux-image-amd64 initramfs-tools kmod e2fsprogs
  openssh-server ca-certificates procps iproute2 busybox-static
  python3 python3-apt python3-requests python3-zstandard python3-cffi-backend python3-pyroute2
  runc crun netavark aardvark-dns iptables
)
MIRROR=${MIRROR:-$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | grep -oE 'https?://[^ ]+/debian/?' | head -1 || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

rm -rf "$OUT"
mkdir -p "$OUT" "$CACHE/vm-debs"
R=$OUT/rootfs
cleanup() {
  local m
  for m in $(awk -v c="$OUT/" 'index($5, c) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$R"
}
trap cleanup EXIT

log "debootstrap bookworm + ${#PKGS[@]} packages from $MIRROR (log: $CACHE/vm-debootstrap.log)"
# A private mount namespace: what debootstrap mounts in the target goes away with it.
if ! unshare -m --propagation private debootstrap --variant=minbase --cache-dir="$CACHE/vm-debs" \
      --include="$(IFS=,; echo "${PKGS[*]}")" bookworm "$R" "$MIRROR" > "$CACHE/vm-debootstrap.log" 2>&1; then
  tail -20 "$CACHE/vm-debootstrap.log" >&2; echo "debootstrap failed" >&2; exit 1
fi

log "configuring the guest"
ssh-keygen -q -t ed25519 -N '' -C strata-test-vm -f "$OUT/id_ed25519"
install -d -m 700 "$R/root/.ssh"
install -m 600 "$OUT/id_ed25519.pub" "$R/root/.ssh/authorized_keys"
echo strata-vm > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 strata-vm\n::1 localhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\ntmpfs /tmp tmpfs defaults,nosuid,nodev 0 0\n' > "$R/etc/fstab"
echo "deb $MIRROR bookworm main" > "$R/etc/apt/sources.list"
# QEMU's user-mode network: DHCP gives 10.0.2.15, the host is 10.0.2.2, DNS 10.0.2.3.
install -d "$R/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' > "$R/etc/systemd/network/10-wired.network"
rm -f "$R/etc/resolv.conf"; echo "nameserver 10.0.2.3" > "$R/etc/resolv.conf"
wants=$R/etc/systemd/system/multi-user.target.wants
install -d "$wants"
ln -sf /lib/systemd/system/systemd-networkd.service "$wants/systemd-networkd.service"
ln -sf /lib/systemd/system/ssh.service "$wants/ssh.service"
# Slow under emulation and useless here (the tests log in over SSH only; the console is a log).
for unit in systemd-networkd-wait-online.service e2scrub_reap.service e2scrub_all.timer \
            apt-daily.timer apt-daily-upgrade.timer man-db.timer fstrim.timer dpkg-db-backup.timer \
            serial-getty@ttyS0.service getty@tty1.service systemd-logind.service systemd-binfmt.service \
            modprobe@efi_pstore.service modprobe@fuse.service modprobe@drm.service; do
  ln -sf /dev/null "$R/etc/systemd/system/$unit"
done
echo 'root:root' | chroot "$R" chpasswd   # the serial console only: sshd takes keys only
printf 'UseDNS no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\nMaxSessions 50\nMaxStartups 50\n' \
  > "$R/etc/ssh/sshd_config.d/strata-vm.conf"
[ -f "$R/etc/ssh/ssh_host_ed25519_key" ] || chroot "$R" ssh-keygen -A
: > "$R/etc/machine-id"; rm -f "$R/var/lib/dbus/machine-id"   # a new one on first boot
kver=$(ls "$R/lib/modules" | sort -V | tail -1)
cp "$R/boot/vmlinuz-$kver" "$OUT/vmlinuz"
cp "$R/boot/initrd.img-$kver" "$OUT/initrd.img"
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin

log "mkfs.ext4 -d rootfs disk.img ($SIZE)"
mkfs.ext4 -q -F -L root -d "$R" "$OUT/disk.img" "$SIZE"
echo "$VM_VERSION" > "$OUT/vm.done"
log "built in $((SECONDS - start)) s (kernel $kver)"
