# -*- coding: utf-8 -*-
"""The test VM: Debian 12 with systemd as PID 1 and only cgroup v2, under QEMU.

    rig/vm/make_image.sh   builds the disk image offline from Debian packages (debootstrap),
                           cached in $STRATA_TEST_CACHE/vm-v<VM_VERSION>/ (apart from the
                           images' RIG_VERSION)
    VM(workdir).boot()     QEMU daemonized (KVM is not assumed: TCG, software emulation), a
                           copy-on-write overlay of the cached image, SSH forwarded from a free
                           port on 127.0.0.1; returns once root logs in over SSH
    vm.ssh("cmd")          one command in the guest through a ControlMaster connection
    vm.reboot()            ``systemctl reboot``, then waits for SSH again (same disk)
    vm.inventory(path)     an Ansible inventory for the host ``vm``: ansible-playbook over SSH,
                           /usr/bin/python3 in the guest
    vm.stop()              QEMU's PID (from its pidfile) ends, the overlay and the work
                           directory are removed (nothing in the guest is worth a clean shutdown)

The guest reaches the host's 127.0.0.1 as 10.0.2.2 (QEMU's user-mode network), e.g. the test
registry at ``10.0.2.2:<its port>``. By hand: ``python3 -m rig.vm boot|stop DIR`` from tests/.
Standard library and subprocess only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_SCRIPT = os.path.join(HERE, "make_image.sh")
HOST_FROM_GUEST = "10.0.2.2"
BOOT_TIMEOUT = 420  # TCG boots in about a minute on a quiet host, a few times that under load
MEMORY_MB = 1024
# Quiet (a serial console is slow to emulate), cgroup v2 only, no fsck of a throw-away overlay,
# the NIC named eth0 (make_image.sh configures that name), none of the drivers udev would load
# for emulated hardware the tests never use (q35's SATA/LPC/SMBus, KVM for `-cpu max`'s SVM,
# input devices, the CPU's crypto helpers: each costs seconds of boot), no speculation
# mitigations (emulated anyway), the emulated CPU's RNG trusted (sshd needs no wait for entropy).
UNUSED_DRIVERS = ("ahci", "lpc_ich", "i2c_i801", "kvm", "kvm_amd", "kvm_intel", "ccp", "cfg80211", "rfkill",
                  "pcspkr", "psmouse", "evdev", "serio_raw", "button", "joydev", "qemu_fw_cfg", "powernow_k8",
                  "aesni_intel", "ghash_clmulni_intel", "sha1_ssse3", "sha256_ssse3", "sha512_ssse3",
                  "crc32_pclmul", "crct10dif_pclmul")
KERNEL_CMDLINE = " ".join((
    "root=/dev/vda rw rootfstype=ext4 console=ttyS0 quiet loglevel=3",
    "systemd.unified_cgroup_hierarchy=1 systemd.show_status=false fsck.mode=skip net.ifnames=0",
    "modprobe.blacklist=" + ",".join(UNUSED_DRIVERS), "mitigations=off random.trust_cpu=on",
    "no_timer_check tsc=reliable 8250.nr_uarts=1 audit=0 nowatchdog",
    # the journal (volatile in the guest) also in console.log: what a failure message shows
    "systemd.journald.forward_to_console=1 systemd.journald.max_level_console=info"))


def cache_root():
    return os.environ.get("STRATA_TEST_CACHE") or "/var/tmp/strata-test-cache"


def vm_version():
    """VM_VERSION as make_image.sh sets it (the one place it is written)."""
    with open(BUILD_SCRIPT) as handle:
        match = re.search(r"^VM_VERSION=(\d+)", handle.read(), re.M)
    if not match:
        raise RuntimeError("no VM_VERSION= line in %s" % BUILD_SCRIPT)
    return int(match.group(1))


def image_dir():
    return os.path.join(cache_root(), "vm-v%d" % vm_version())


def is_current():
    try:
        with open(os.path.join(image_dir(), "vm.done")) as handle:
            return handle.read().strip() == str(vm_version())
    except OSError:
        return False


def host_problems():
    """What this host lacks to boot the VM; empty when it can."""
    problems = []
    for tool, package in (("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"),
                          ("debootstrap", "debootstrap"), ("ssh", "openssh-client")):
        if not shutil.which(tool):
            problems.append("%s is missing: install %s (tests/setup.sh)" % (tool, package))
    if os.geteuid() != 0:
        problems.append("building the VM image needs root")
    return problems


def ensure_built():
    """Runs make_image.sh unless the stamp is current; returns image_dir()."""
    if not is_current():
        subprocess.run(["bash", BUILD_SCRIPT], check=True)
        if not is_current():
            raise RuntimeError("%s finished without writing %s/vm.done" % (BUILD_SCRIPT, image_dir()))
    return image_dir()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class VM:
    """One booted guest; ``workdir`` holds its overlay disk, pidfile, console log and SSH socket."""

    def __init__(self, workdir, image=None, memory_mb=MEMORY_MB, cpus=2):
        self.workdir = workdir
        self.image = image or image_dir()
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.ssh_port = None
        self.boot_seconds = None
        self.key = os.path.join(self.image, "id_ed25519")
        self.pidfile = os.path.join(workdir, "qemu.pid")
        self.console = os.path.join(workdir, "console.log")
        # A short path: a unix socket's name is limited to 108 bytes.
        self.control_path = os.path.join(workdir, "ssh-%r@%h:%p")

    # ------------------------------------------------------------------ lifecycle
    def boot(self, timeout=BOOT_TIMEOUT):
        os.makedirs(self.workdir, mode=0o700, exist_ok=True)
        disk = os.path.join(self.workdir, "disk.qcow2")
        # The cached image stays untouched: the guest writes to a copy-on-write overlay.
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                        os.path.join(self.image, "disk.img"), disk], check=True)
        self.ssh_port = free_port()
        # A file, not a pipe: the daemonized QEMU would hold a pipe open and block the wait.
        with open(os.path.join(self.workdir, "qemu.err"), "wb") as qemu_err:
            self._start_qemu(disk, qemu_err)
        started = time.monotonic()
        self.wait_ssh(timeout)
        self.boot_seconds = time.monotonic() - started
        return self

    def _start_qemu(self, disk, qemu_err):
        # -nodefaults: no VGA, CD-ROM, floppy, default NIC or monitor to emulate and probe; the
        # overlay is thrown away, so the disk cache never needs flushing (cache=unsafe).
        subprocess.run([
            "qemu-system-x86_64", "-name", "strata-test-vm", "-nodefaults", "-no-user-config",
            "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-m", str(self.memory_mb), "-smp", str(self.cpus),
            "-kernel", os.path.join(self.image, "vmlinuz"), "-initrd", os.path.join(self.image, "initrd.img"),
            "-append", KERNEL_CMDLINE,
            "-drive", "file=%s,if=virtio,format=qcow2,cache=unsafe,discard=ignore" % disk,
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:22" % self.ssh_port,
            "-device", "virtio-net-pci,netdev=n0,romfile=", "-device", "virtio-rng-pci",
            "-display", "none", "-serial", "file:" + self.console,
            # by hand, when a guest hangs: socat - UNIX:<workdir>/monitor.sock, then e.g.
            # sendkey alt-sysrq-9, sendkey alt-sysrq-w (the blocked tasks, in console.log)
            "-monitor", "unix:%s,server=on,wait=off" % os.path.join(self.workdir, "monitor.sock"),
            "-daemonize", "-pidfile", self.pidfile], check=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=qemu_err)

    def wait_ssh(self, timeout=BOOT_TIMEOUT):
        """Until root logs in over SSH; each attempt and the whole wait are bounded, and a
        failure says what the last attempt answered and how far the console got."""
        deadline = time.monotonic() + timeout
        last = "no attempt"
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError("QEMU exited while booting (%s); console:\n%s" % (self.qemu_err(), self.console_tail()))
            proc = self.ssh("true", check=False, timeout=60, master=False)
            if proc.returncode == 0:
                return
            last = (proc.stderr.strip() or "exit %d" % proc.returncode)[-300:]
            time.sleep(2)
        raise RuntimeError("no SSH login to the VM (127.0.0.1:%s) within %s s; the last attempt: %s\nconsole:\n%s"
                           % (self.ssh_port, timeout, last, self.console_tail()))

    def reboot(self, timeout=BOOT_TIMEOUT):
        """``systemctl reboot`` and wait until SSH answers from the new boot."""
        old_boot = self.ssh("cat /proc/sys/kernel/random/boot_id").stdout.strip()
        self.ssh("systemctl reboot", check=False)
        self._close_master()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(3)
            proc = self.ssh("cat /proc/sys/kernel/random/boot_id", check=False, timeout=60, master=False)
            if proc.returncode == 0 and proc.stdout.strip() not in ("", old_boot):
                return
            if not self.alive():
                raise RuntimeError("QEMU exited during the reboot; console:\n" + self.console_tail())
        raise RuntimeError("the VM did not come back within %ss; console:\n%s" % (timeout, self.console_tail()))

    def stop(self):
        """QEMU ends (SIGTERM to the PID in its pidfile, SIGKILL if it lingers), and the work
        directory goes. No clean poweroff: the disk is a throw-away overlay, and a guest shutting
        down waits for its containers' scopes (90 s for a PID 1 that ignores SIGTERM)."""
        pid = self.pid()
        self._close_master()
        if pid and self.alive():
            _kill(pid)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def pid(self):
        try:
            with open(self.pidfile) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def alive(self):
        pid = self.pid()
        if not pid:
            return False
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                return b"qemu-system" in handle.read()  # not a recycled PID
        except OSError:
            return False

    def qemu_err(self):
        try:
            with open(os.path.join(self.workdir, "qemu.err"), "rb") as handle:
                return handle.read()[-2000:].decode("utf-8", "replace").strip() or "no message"
        except OSError:
            return "no qemu.err"

    def console_tail(self, size=4000):
        try:
            with open(self.console, "rb") as handle:
                return handle.read()[-size:].decode("utf-8", "replace")
        except OSError:
            return "(no console log)"

    # ------------------------------------------------------------------ SSH
    def ssh_options(self, master=True):
        options = ["-i", self.key, "-p", str(self.ssh_port), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                   "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
        if master:
            options += ["-o", "ControlMaster=auto", "-o", "ControlPersist=300", "-o", "ControlPath=" + self.control_path]
        return options

    def ssh(self, command, check=True, timeout=300, master=True, stdin=None):
        """``command`` (a shell line) as root in the guest: a CompletedProcess with text output."""
        argv = ["ssh"] + self.ssh_options(master) + ["root@127.0.0.1", command]
        try:
            proc = subprocess.run(argv, input=stdin if stdin is not None else "", capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            # a guest still booting (or a host this busy) answers slowly: ssh's own failure code
            proc = subprocess.CompletedProcess(argv, 255, "", "ssh timed out after %ss" % timeout)
        if check and proc.returncode != 0:
            raise AssertionError("in the VM: %s\nexit %d\n%s%s" % (command, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def _close_master(self):
        if self.ssh_port:
            subprocess.run(["ssh"] + self.ssh_options() + ["-O", "exit", "root@127.0.0.1"],
                           capture_output=True, check=False, timeout=20)

    def inventory(self, path, extra_vars=None):
        """An Ansible inventory (JSON is YAML) with the one host ``vm``."""
        args = " ".join(self.ssh_options()[4:])  # -i and -p are ansible_* variables
        host = {"ansible_host": "127.0.0.1", "ansible_port": self.ssh_port, "ansible_user": "root",
                "ansible_ssh_private_key_file": self.key, "ansible_ssh_common_args": args,
                "ansible_python_interpreter": "/usr/bin/python3"}
        host.update(extra_vars or {})
        with open(path, "w") as handle:
            json.dump({"all": {"hosts": {"vm": host}}}, handle)
        return path


def _kill(pid):
    try:
        os.kill(pid, signal.SIGTERM)
        for dummy in range(40):
            time.sleep(0.25)
            os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main(argv):
    """``python3 -m rig.vm boot DIR`` (prints the SSH command) / ``stop DIR``."""
    if len(argv) != 3 or argv[1] not in ("boot", "stop"):
        sys.stderr.write("usage: python3 -m rig.vm boot|stop WORKDIR\n")
        return 2
    if argv[1] == "boot":
        ensure_built()
        vm = VM(argv[2]).boot()
        with open(os.path.join(argv[2], "ssh-port"), "w") as handle:
            handle.write(str(vm.ssh_port))
        print("booted in %.0f s: ssh %s root@127.0.0.1" % (vm.boot_seconds, " ".join(vm.ssh_options())))
        return 0
    vm = VM(argv[2])
    with open(os.path.join(argv[2], "ssh-port")) as handle:
        vm.ssh_port = int(handle.read())
    vm.stop()
    return 0
