# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata run``/``create`` flags for confinement, devices, limits and init, as Docker's
(--cap-add, --security-opt, --device, --ulimit, --sysctl, --init, ...)."""

from __future__ import annotations

from .common import CliError

SETUP_FAILED = 125
_REPEATED = (("--cap-add", "CAPABILITY", "add a Linux capability (or ALL)"),
             ("--cap-drop", "CAPABILITY", "drop a Linux capability (or ALL)"),
             ("--security-opt", "OPTION", "no-new-privileges[:true|false], seccomp=FILE|unconfined, label=disable"),
             ("--device", "HOST[:CONTAINER][:PERMS]", "a host device in the container"),
             ("--device-cgroup-rule", "RULE", "a devices cgroup rule, such as 'c 42:* rmw'"),
             ("--ulimit", "NAME=SOFT[:HARD]", "a ulimit, such as nofile=1024:2048"),
             ("--sysctl", "NAME=VALUE", "a namespaced sysctl (net.*, fs.mqueue.*, kernel.shm*/msg*/sem)"),
             ("--env-file", "FILE", "read KEY=VALUE lines of environment variables"),
             ("--group-add", "GROUP", "another group for the process"))


def add_flags(cmd):
    for flag, metavar, text in _REPEATED:
        cmd.add_argument(flag, action="append", default=[], metavar=metavar, help=text)
    cmd.add_argument("--shm-size", help="size of /dev/shm, e.g. 64m")
    cmd.add_argument("--init", action="store_true", help="run an init (tini) as PID 1 that reaps zombies")
    cmd.add_argument("--memory-reservation", help="soft memory limit")
    cmd.add_argument("--memory-swap", help="memory plus swap (-1: unlimited swap)")
    cmd.add_argument("-c", "--cpu-shares", type=int, help="relative CPU weight")
    cmd.add_argument("--cpuset-cpus", help="CPUs it may run on, e.g. 0-2")
    cmd.add_argument("--oom-score-adj", type=int, help="OOM score adjustment (-1000 to 1000)")


def _sysctls(items):
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError("invalid argument %r for --sysctl: expected NAME=VALUE" % item, SETUP_FAILED)
        out[name] = value
    return out


def params(args):
    """The engine's options of these flags (unset ones None)."""
    if len(args.env_file) > 1:
        raise CliError("strata takes one --env-file", SETUP_FAILED)
    return {"cap_add": args.cap_add or None, "cap_drop": args.cap_drop or None,
            "security_opts": args.security_opt or None, "devices": args.device or None,
            "device_cgroup_rules": args.device_cgroup_rule or None, "ulimits": args.ulimit or None,
            "sysctls": _sysctls(args.sysctl) or None, "env_file": args.env_file[0] if args.env_file else None,
            "group_add": args.group_add or None, "shm_size": args.shm_size, "init": True if args.init else None,
            "memory_reservation": args.memory_reservation, "memory_swap": args.memory_swap,
            "cpu_shares": args.cpu_shares, "cpuset_cpus": args.cpuset_cpus, "oom_score_adj": args.oom_score_adj}
