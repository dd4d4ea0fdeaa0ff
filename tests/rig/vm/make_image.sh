#!/usr/bin/env bash
# Builds the test VM: Debian 12 with systemd as PID 1 and cgroup v2 only, booted by QEMU (rig.vm,
# __init__.py). Offline from Debian packages with debootstrap; everything the engine and roles/host
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
# independently. Bump VM_VERSION whenever this recipe (or zip_pyc_cache.py) changes.
# Env: STRATA_TEST_CACHE (default /var/tmp/strata-test-cache), MIRROR (Debian mirror URL).
set -euo pipefail
VM_VERSION=5
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
# (strata_debian_packages, for both runtimes, and strata_debian_stack_packages for the stack
# module) plus python3-apt for Ansible's apt module, and podman, the peer bench/vm.py times us
# against on the same guest. Keep it in step with roles/host/defaults/main.yml: the role's apt
# task finds them all installed.
# debootstrap does not resolve virtual packages: python3-zstandard needs python3-cffi-backend.
PKGS=(
  systemd-sysv systemd dbus udev linux-image-amd64 initramfs-tools kmod e2fsprogs
  openssh-server ca-certificates procps iproute2 busybox-static
  python3 python3-apt python3-requests python3-zstandard python3-cffi-backend python3-pyroute2
  runc crun netavark aardvark-dns iptables tini python3-yaml python3-jsonschema
  podman
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
# QEMU's user-mode network is fixed (the guest 10.0.2.15, the host 10.0.2.2, DNS 10.0.2.3): one
# `ip -batch` configures it, much sooner than a DHCP client (networkd: 10 s of an emulated boot).
# The kernel command line (rig.vm) has net.ifnames=0: the device is eth0.
printf 'link set eth0 up\naddr add 10.0.2.15/24 dev eth0\nroute add default via 10.0.2.2\n' > "$R/etc/strata-vm-net"
cat > "$R/etc/systemd/system/strata-vm-net.service" <<'UNIT'
[Unit]
Description=The test VM's network (QEMU user mode, static)
BindsTo=sys-subsystem-net-devices-eth0.device
After=sys-subsystem-net-devices-eth0.device
Before=network.target network-online.target
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip -batch /etc/strata-vm-net

[Install]
WantedBy=multi-user.target
UNIT
rm -f "$R/etc/resolv.conf"; echo "nameserver 10.0.2.3" > "$R/etc/resolv.conf"
wants=$R/etc/systemd/system/multi-user.target.wants
install -d "$wants"
ln -sf /etc/systemd/system/strata-vm-net.service "$wants/strata-vm-net.service"
ln -sf /lib/systemd/system/ssh.service "$wants/ssh.service"
# The journal in memory only: nothing to flush to disk at boot (the tests read it in one boot).
install -d "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$R/etc/systemd/journald.conf.d/strata-vm.conf"
# Generators run at every boot before any unit; only the fstab one is of use here.
install -d "$R/etc/systemd/system-generators"
for generator in "$R"/lib/systemd/system-generators/*; do
  case ${generator##*/} in systemd-fstab-generator) ;; *) ln -sf /dev/null "$R/etc/systemd/system-generators/${generator##*/}" ;; esac
done
# Slow under emulation and useless here (the tests log in over SSH only; the console is a log).
# The first boot's one-time jobs (hwdb, ldconfig, catalog: dpkg already did them) are the
# slowest of all in an emulated CPU.
for unit in systemd-networkd-wait-online.service e2scrub_reap.service e2scrub_all.timer \
            apt-daily.timer apt-daily-upgrade.timer man-db.timer fstrim.timer dpkg-db-backup.timer \
            systemd-tmpfiles-clean.timer serial-getty@ttyS0.service getty@tty1.service \
            systemd-logind.service systemd-binfmt.service systemd-firstboot.service \
            systemd-hwdb-update.service ldconfig.service systemd-journal-catalog-update.service \
            systemd-update-done.service systemd-pstore.service systemd-rfkill.service \
            sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
            sys-fs-fuse-connections.mount modprobe@efi_pstore.service modprobe@fuse.service \
            modprobe@drm.service modprobe@configfs.service modprobe@dm_mod.service \
            modprobe@loop.service systemd-update-utmp.service systemd-update-utmp-runlevel.service \
            systemd-random-seed.service systemd-journal-flush.service systemd-sysusers.service; do
  ln -sf /dev/null "$R/etc/systemd/system/$unit"
done
# Bytecode of what Python imports from zips (each Ansible task's module, the engine) cached by
# its source: compiling it again at every task was most of a task's time (zip_pyc_cache.py).
install -m 644 "$(dirname "${BASH_SOURCE[0]}")/zip_pyc_cache.py" "$R/usr/lib/python3/dist-packages/zip_pyc_cache.py"
echo 'import zip_pyc_cache' > "$R/usr/lib/python3/dist-packages/zip_pyc_cache.pth"
echo 'root:root' | chroot "$R" chpasswd   # the serial console only: sshd takes keys only
printf 'UseDNS no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\nMaxSessions 50\nMaxStartups 50\n' \
  > "$R/etc/ssh/sshd_config.d/strata-vm.conf"
[ -f "$R/etc/ssh/ssh_host_ed25519_key" ] || chroot "$R" ssh-keygen -A
: > "$R/etc/machine-id"; rm -f "$R/var/lib/dbus/machine-id"   # a new one on first boot
kver=$(ls "$R/lib/modules" | sort -V | tail -1)
# An initrd with only what mounts the root disk (Debian's default packs every driver: 130 MB
# to unpack in an emulated CPU at each boot). /proc mounted in a private mount namespace.
printf 'MODULES=list\nCOMPRESS=gzip\n' > "$R/etc/initramfs-tools/conf.d/strata-vm"
printf 'virtio_pci\nvirtio_blk\next4\n' >> "$R/etc/initramfs-tools/modules"
unshare -m --propagation private sh -ec 'mount -t proc proc "$1/proc"; chroot "$1" update-initramfs -u -k "$2"' \
  sh "$R" "$kver" > "$CACHE/vm-initramfs.log" 2>&1 || { cat "$CACHE/vm-initramfs.log" >&2; exit 1; }
cp "$R/boot/vmlinuz-$kver" "$OUT/vmlinuz"
cp "$R/boot/initrd.img-$kver" "$OUT/initrd.img"
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin

log "mkfs.ext4 -d rootfs disk.img ($SIZE)"
mkfs.ext4 -q -F -L root -d "$R" "$OUT/disk.img" "$SIZE"
echo "$VM_VERSION" > "$OUT/vm.done"
log "built in $((SECONDS - start)) s (kernel $kver)"
