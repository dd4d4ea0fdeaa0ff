# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Process limits (``--ulimit``), namespaced sysctls (``--sysctl``) and the cgroup limits
beyond memory/cpus/pids (``--memory-reservation``, ``--memory-swap``, ``--cpu-shares``,
``--cpuset-cpus``), as parts of an OCI runtime spec."""

from __future__ import annotations

import re

from .._errors import InvalidSpec

# docker run --ulimit's names (Go's ulimit package) -> RLIMIT_*
ULIMITS = {"as": "AS", "core": "CORE", "cpu": "CPU", "data": "DATA", "fsize": "FSIZE", "locks": "LOCKS",
           "memlock": "MEMLOCK", "msgqueue": "MSGQUEUE", "nice": "NICE", "nofile": "NOFILE", "nproc": "NPROC",
           "rss": "RSS", "rtprio": "RTPRIO", "rttime": "RTTIME", "sigpending": "SIGPENDING", "stack": "STACK"}
UNLIMITED = 2 ** 64 - 1  # RLIM_INFINITY in the OCI spec
# The sysctls of the IPC namespace (Docker's list, validated the same way: ipc_namespace.c).
IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
               "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
_SYSCTL_NAME = re.compile(r"^[a-z0-9_]+(\.[a-zA-Z0-9_\-]+)+$")
_CPUSET = re.compile(r"^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$")


def _limit(text, what):
    try:
        value = int(text)
    except (TypeError, ValueError) as exc:
        raise InvalidSpec("ulimit %s: %r is not a number (-1 for unlimited)" % (what, text)) from exc
    if value < -1:
        raise InvalidSpec("ulimit %s: %d is below -1 (unlimited)" % (what, value))
    return value


def parse_ulimit(item):
    """``nofile:1024:2048``, ``nofile=1024:2048`` (docker run's), ``nofile:1024`` (soft = hard),
    or ``{name: nofile, soft: 1024, hard: 2048}`` -> ``nofile:1024:2048``."""
    if isinstance(item, dict):
        name, soft, hard = item.get("name") or item.get("type"), item.get("soft"), item.get("hard")
        hard = soft if hard is None else hard
    elif isinstance(item, str):
        name, dummy, limits = item.replace("=", ":", 1).partition(":")
        soft, dummy, hard = limits.partition(":")
        hard = hard or soft
    else:
        raise InvalidSpec("a ulimit must be NAME:SOFT[:HARD] or a dict with name, soft and hard, not %r" % (item,))
    if name not in ULIMITS:
        raise InvalidSpec("unknown ulimit %r in %r: one of %s" % (name, item, ", ".join(sorted(ULIMITS))))
    soft, hard = _limit(soft, name), _limit(hard, name)
    if hard != -1 and (soft == -1 or soft > hard):
        raise InvalidSpec("ulimit %s: the soft limit %s is above the hard limit %s" % (name, soft, hard))
    return "%s:%d:%d" % (name, soft, hard)


def rlimits(defaults, ulimits):
    """The spec's rlimits: the defaults, each replaced by the user's limit of the same kind."""
    out = {r["type"]: r for r in defaults}
    for item in ulimits or ():
        name, soft, hard = item.split(":")
        out["RLIMIT_" + ULIMITS[name]] = {"type": "RLIMIT_" + ULIMITS[name],
                                          "soft": UNLIMITED if soft == "-1" else int(soft),
                                          "hard": UNLIMITED if hard == "-1" else int(hard)}
    return list(out.values())


def check_sysctl(name, network_mode):
    """Only what the container's own namespaces hold: net.* with a network namespace of its
    own, the IPC namespace's kernel.shm*/msg*/sem and fs.mqueue.*. Anything else would change
    the host (vm.swappiness, kernel.panic) and is refused, as Docker refuses it."""
    if not isinstance(name, str) or not _SYSCTL_NAME.match(name):
        raise InvalidSpec("bad sysctl name %r" % (name,))
    if name.startswith("net."):
        if network_mode == "host" or network_mode.startswith("container:"):
            raise InvalidSpec("sysctl %s belongs to the network namespace, which network_mode %s shares: "
                              "it would change %s" % (name, network_mode,
                                                      "the host" if network_mode == "host" else "another container"))
        return name
    if name in IPC_SYSCTLS or name.startswith("fs.mqueue."):
        return name
    if name in ("kernel.hostname", "kernel.domainname"):
        raise InvalidSpec("sysctl %s: set the hostname or domainname option instead" % name)
    raise InvalidSpec("sysctl %s is not namespaced: setting it in a container would change the whole host; only "
                      "net.*, fs.mqueue.* and the IPC ones (%s) may be set" % (name, ", ".join(IPC_SYSCTLS)))


def check_cpuset(text):
    if not isinstance(text, str) or not _CPUSET.match(text.replace(" ", "")):
        raise InvalidSpec("cpuset_cpus %r: expected CPU numbers and ranges such as 0-2,4" % (text,))
    return text.replace(" ", "")


def resources(options):
    """The cgroup limits of this file's options, merged into ``linux.resources`` by the caller."""
    memory, cpu = {}, {}
    if options.get("memory_reservation") is not None:
        memory["reservation"] = options["memory_reservation"]
    swap = options.get("memory_swap")
    if swap is not None:
        if swap != -1 and options.get("memory") is not None and swap < options["memory"]:
            raise InvalidSpec("memory_swap (%d) is memory plus swap: it must be at least memory (%d), or -1"
                              % (swap, options["memory"]))
        if swap != -1 and options.get("memory") is None:
            raise InvalidSpec("memory_swap needs memory too (it is the total of memory and swap)")
        memory["swap"] = swap
    if options.get("cpu_shares") is not None:
        cpu["shares"] = options["cpu_shares"]
    if options.get("cpuset_cpus") is not None:
        cpu["cpus"] = options["cpuset_cpus"]
    return {k: v for k, v in (("memory", memory), ("cpu", cpu)) if v}
