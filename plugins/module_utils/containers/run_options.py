# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``docker run`` options users of community.docker and containers.podman write beyond the
basics: capabilities, security options, devices, ulimits, sysctls, tmpfs, /dev/shm, init,
env_file, groups, more cgroup limits, the OOM score, auto_remove. Each is checked here and put
in one canonical form (sorted where order means nothing) so that comparing is comparing values;
``options.normalize`` merges them in."""

from __future__ import annotations

import os

from . import run_defaults
from .._errors import InvalidSpec
from ..runtime import capabilities, devices, limits, security, spec_options

ENV_FILE_MAX = 1024 * 1024
# Changed in place (runc update), as docker update does; the others recreate.
UPDATABLE = ("memory_reservation", "memory_swap", "cpu_shares", "cpuset_cpus")
DEFAULTS = run_defaults.DEFAULTS  # options.py merges them with the other options' defaults


def _list(what, parse, key=None):
    def normal(value):
        if not isinstance(value, (list, tuple)):
            raise InvalidSpec("%s must be a list, not %r" % (what, value))
        out = {}
        for item in value:
            canonical = parse(item)
            out[key(canonical) if key else canonical] = canonical
        return [out[k] for k in sorted(out)]
    return normal


def _int(what, low, high):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidSpec("%s must be a whole number from %d to %d, not %r" % (what, low, high, value))
        return value
    return check


def _size(what):
    def check(value):
        from .options import parse_size  # pylint: disable=import-outside-toplevel
        if value in (-1, "-1"):
            if what != "memory_swap":
                raise InvalidSpec("%s must be a size such as 64m, not -1" % what)
            return -1
        size = parse_size(value, what)
        if size <= 0:
            raise InvalidSpec("%s must be more than 0, not %r" % (what, value))
        return size
    return check


def _sysctls(value):
    if not isinstance(value, dict):
        raise InvalidSpec("sysctls must map names to values, such as {net.ipv4.ip_forward: 1}, not %r" % (value,))
    return {str(k): str(v) for k, v in value.items()}


def _group(value):
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or ":" in value:
        raise InvalidSpec("group_add: %r is not a group name or number" % (value,))
    return value


def _device(item):
    if isinstance(item, dict):  # community.docker's device_requests-like dicts are not devices
        raise InvalidSpec("devices entry %r: expected /dev/host[:/dev/container][:permissions]" % (item,))
    return ":".join(devices.parse_device(item))


NORMALIZERS = {
    "cap_add": lambda v: capabilities.canonical_list(v, "cap_add"),
    "cap_drop": lambda v: capabilities.canonical_list(v, "cap_drop"),
    "security_opts": _list("security_opts", security.parse),
    "devices": _list("devices", _device, key=lambda d: d.split(":")[1]),
    "device_cgroup_rules": _list("device_cgroup_rules", devices.parse_rule),
    "ulimits": _list("ulimits", limits.parse_ulimit, key=lambda u: u.split(":")[0]),
    "sysctls": _sysctls,
    "tmpfs": _list("tmpfs", spec_options.parse_tmpfs, key=lambda t: t.split(":")[0]),
    "shm_size": _size("shm_size"),
    "init": bool,
    "group_add": _list("group_add", _group),
    "memory_reservation": _size("memory_reservation"),
    "memory_swap": _size("memory_swap"),
    "cpu_shares": _int("cpu_shares", 2, 262144),
    "cpuset_cpus": limits.check_cpuset,
    "oom_score_adj": _int("oom_score_adj", -1000, 1000),
    "auto_remove": bool,
}


def read_env_file(path):
    """Docker's --env-file: KEY=VALUE lines taken as they are (no quotes removed), # comments and
    blank lines skipped, a bare KEY takes this process's value (and is skipped when unset)."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidSpec("env_file must be an absolute path on the target, not %r" % (path,))
    try:
        with open(path, "rb") as handle:
            data = handle.read(ENV_FILE_MAX + 1)
    except OSError as exc:
        raise InvalidSpec("env_file %s: %s" % (path, exc.strerror), path=path) from exc
    if len(data) > ENV_FILE_MAX:
        raise InvalidSpec("env_file %s is larger than 1 MiB" % path, path=path)
    env = {}
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not key or any(c.isspace() for c in key):
            raise InvalidSpec("env_file %s line %d: variable %r has white space in its name" % (path, number, key),
                              path=path)
        if sep:
            env[key] = value
        elif key in os.environ:
            env[key] = os.environ[key]
    return env


def finish(options, params):
    """What needs several options at once: env_file under env, sysctls against the network mode."""
    if params.get("env_file") is not None:
        env = read_env_file(params["env_file"])
        env.update(options.get("env") or {})
        options["env"] = env
    if options.get("env"):
        # in the order the record keeps them (sorted JSON), so the merged lists compare equal
        options["env"] = dict(sorted(options["env"].items()))
    if options.get("sysctls"):
        mode = options.get("network_mode", "bridge")
        for name in options["sysctls"]:
            limits.check_sysctl(name, mode)
    if options.get("memory_swap") not in (None, -1):
        limits.resources(options)  # memory_swap without memory, or below it, is refused now
    return options
