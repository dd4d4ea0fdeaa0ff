# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's default confinement of a container, as parts of an OCI runtime spec.

These follow moby's ``oci/defaults.go`` (DefaultLinuxSpec, DefaultCapabilities) and the
device rules and sysctls its daemon adds for an unprivileged container.
"""

from __future__ import annotations

import os
import resource

from . import limits
from .._errors import InvalidSpec

# What Docker grants an unprivileged container (CapEff 00000000a80425fb for root).
DEFAULT_CAPABILITIES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

# Every capability by number (linux/capability.h), for a privileged container.
ALL_CAPABILITY_NAMES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
]

# Kernel interfaces that leak host facts or let a container poke hardware: hidden...
MASKED_PATHS = [
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap",
]
# ...or made read-only.
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

NOSUID_NOEXEC_NODEV = ["nosuid", "noexec", "nodev"]
SHM_SIZE = 64 * 1024 * 1024
MIN_MEMORY = 6 * 1024 * 1024  # Docker's floor: below it a container cannot even start
CPU_PERIOD = 100000
# Docker (and podman) give containers this many open files; capped by what we may grant.
NOFILE_MAX = 1048576


def default_mounts(host_network=False, privileged=False):
    """The filesystems every container gets, in mount order; /sys and its cgroups are
    writable only in a privileged container."""
    access = "rw" if privileged else "ro"
    sysfs = {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": [access] + NOSUID_NOEXEC_NODEV}
    if host_network:
        # sysfs can only be mounted from within a network namespace one owns: bind the host's.
        sysfs = {"destination": "/sys", "type": "bind", "source": "/sys",
                 "options": ["rbind", access] + NOSUID_NOEXEC_NODEV}
    return [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": list(NOSUID_NOEXEC_NODEV)},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        sysfs,
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": [access] + NOSUID_NOEXEC_NODEV},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": list(NOSUID_NOEXEC_NODEV)},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": NOSUID_NOEXEC_NODEV + ["mode=1777", "size=%d" % SHM_SIZE]},
    ]


def _dev(kind, major, minor, access="rwm", allow=True):
    rule = {"allow": allow, "type": kind, "access": access}
    if major is not None:
        rule["major"] = major
    if minor is not None:
        rule["minor"] = minor
    return rule


def device_rules(privileged=False):
    """The devices cgroup: deny all, then allow the nodes runc creates in /dev (and pts);
    a privileged container may use every device."""
    if privileged:
        return [{"allow": True, "access": "rwm"}]
    return [
        {"allow": False, "access": "rwm"},
        # Docker's fuse denial: before the wildcards, as cgroup v1 cannot punch holes in them.
        _dev("c", 10, 229, allow=False),
        _dev("c", None, None, "m"),  # mknod of any node; opening it stays denied
        _dev("b", None, None, "m"),
        _dev("c", 1, 3),    # null
        _dev("c", 1, 5),    # zero
        _dev("c", 1, 7),    # full
        _dev("c", 1, 8),    # random
        _dev("c", 1, 9),    # urandom
        _dev("c", 5, 0),    # tty
        _dev("c", 5, 1),    # console
        _dev("c", 5, 2),    # ptmx
        _dev("c", 136, None),  # /dev/pts/*
        _dev("c", 10, 200),    # tun/tap, as Docker allows
    ]


def all_capabilities():
    """The capabilities of our own bounding set, as ``podman run --privileged`` grants: a
    container cannot get what its engine lacks (the runtime fails with EPERM)."""
    try:
        with open("/proc/self/status") as f:
            bounding = int(next(line.split()[1] for line in f if line.startswith("CapBnd:")), 16)
    except (OSError, StopIteration, ValueError):
        return list(DEFAULT_CAPABILITIES)
    return ["CAP_" + name for bit, name in enumerate(ALL_CAPABILITY_NAMES) if bounding & (1 << bit)]


def capabilities(privileged=False):
    """Process capabilities: none inheritable or ambient (CVE-2022-24769), as Docker 20.10.14+."""
    granted = all_capabilities() if privileged else DEFAULT_CAPABILITIES
    return {"bounding": list(granted), "effective": list(granted), "permitted": list(granted), "inheritable": []}


def namespaces(network=None):
    """New pid/ipc/uts/mount/cgroup namespaces; network new, joined by path, or the host's."""
    spaces = [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
    if network != "host":
        spaces.append({"type": "network", "path": network} if network else {"type": "network"})
    if os.path.exists("/proc/self/ns/cgroup"):  # kernels before 4.6 have none
        spaces.append({"type": "cgroup"})
    return spaces


def sysctls(network=None):
    """Docker 20.10+ lets unprivileged processes bind low ports and ping, in a private netns."""
    if network == "host":
        return {}
    return {"net.ipv4.ip_unprivileged_port_start": "0",
            "net.ipv4.ping_group_range": "0 2147483647"}


def rlimits():
    """RLIMIT_NOFILE as high as Docker's but never above our own hard limit.

    Raising a hard limit needs CAP_SYS_RESOURCE, which hosts (and nested containers)
    may lack: the runtime would then fail with EPERM.
    """
    dummy, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > NOFILE_MAX:
        hard = NOFILE_MAX
    return [{"type": "RLIMIT_NOFILE", "hard": hard, "soft": hard}]


def _integer(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSpec("%s must be an integer, not %r" % (what, value))
    return value


def _cpu(cpus):
    """CFS quota for a number of CPUs, as ``docker run --cpus``."""
    if isinstance(cpus, bool) or not isinstance(cpus, (int, float)):
        raise InvalidSpec("cpus must be a number, not %r" % (cpus,))
    available = os.cpu_count() or 1
    if not 0.01 <= cpus <= available:
        raise InvalidSpec("cpus %r is out of range: 0.01 to %d on this host" % (cpus, available))
    return {"quota": int(round(cpus * CPU_PERIOD)), "period": CPU_PERIOD}


def resources(options):
    """``linux.resources``: the device rules and the limits asked for."""
    res = {"devices": device_rules(bool(options.get("privileged")))}
    memory = options.get("memory")
    if memory is not None:
        if _integer(memory, "memory") < MIN_MEMORY:
            raise InvalidSpec("memory %r is below the minimum of %d bytes (6 MiB)" % (memory, MIN_MEMORY))
        res["memory"] = {"limit": memory}
    if options.get("cpus") is not None:
        res["cpu"] = _cpu(options["cpus"])
    pids = options.get("pids_limit")
    if pids is not None:
        # Docker: 0 and -1 mean unlimited.
        if _integer(pids, "pids_limit") < -1:
            raise InvalidSpec("pids_limit %r must be positive, or 0 or -1 for no limit" % pids)
        if pids > 0:
            res["pids"] = {"limit": pids}
    for key, values in limits.resources(options).items():  # reservation, swap, shares, cpuset
        res[key] = dict(res.get(key) or {}, **values)
    return res
