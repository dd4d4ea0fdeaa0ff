# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of ``docker run`` that adjust Docker's default spec rather than make it:
security options, devices and their cgroup rules, ulimits, sysctls, tmpfs mounts, the size of
/dev/shm, added groups, the OOM score and an init as PID 1 (``bundle.make_spec`` calls this)."""

from __future__ import annotations

import re

from . import devices, init, limits, security
from .._errors import InvalidSpec

TMPFS_FLAGS = ("ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime", "noatime",
               "relatime", "norelatime", "strictatime", "nostrictatime", "diratime", "nodiratime")
_TMPFS_VALUE = re.compile(r"^(size=[0-9]+[kmgKMG%]?|nr_blocks=[0-9]+[kmgKMG]?|nr_inodes=[0-9]+[kmgKMG]?|"
                          r"mode=[0-7]{3,4}|uid=[0-9]+|gid=[0-9]+)$")
TMPFS_DEFAULTS = ["nosuid", "nodev", "noexec"]


def parse_tmpfs(text):
    """``/path[:opt,opt=value]`` (docker run --tmpfs, community.docker's tmpfs) -> canonical text."""
    if not isinstance(text, str) or not text.startswith("/"):
        raise InvalidSpec("tmpfs %r: expected /path[:options] with an absolute path" % (text,))
    path, dummy, opts = text.partition(":")
    if path.rstrip("/") == "" or "/../" in path + "/":
        raise InvalidSpec("tmpfs %r: the path must be absolute, below /, without .." % text)
    for opt in [o for o in opts.split(",") if o]:
        if opt not in TMPFS_FLAGS and not _TMPFS_VALUE.match(opt):
            raise InvalidSpec("tmpfs %r: unknown or bad mount option %r (size=, mode=, uid=, gid=, nr_inodes=, "
                              "and flags such as ro, exec, nosuid)" % (text, opt))
    return path.rstrip("/") + (":" + opts if opts else "")


def _tmpfs_mounts(spec, tmpfs):
    for item in tmpfs or ():
        path, dummy, opts = item.partition(":")
        if any(m["destination"] == path and m["type"] in ("bind", "tmpfs") and m["source"] != "shm"
               for m in spec["mounts"] if m["destination"] != "/dev"):
            raise InvalidSpec("tmpfs %s: another mount (mounts, or tmpfs twice) is already there" % path)
        spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != path]
        options = TMPFS_DEFAULTS + [o for o in opts.split(",") if o]
        if "mode" not in opts:
            options.append("mode=1777")  # Docker's: a /tmp-like directory
        spec["mounts"].append({"destination": path, "type": "tmpfs", "source": "tmpfs", "options": options})


def _shm_size(spec, size):
    for mount in spec["mounts"]:
        if mount["destination"] == "/dev/shm" and mount["type"] == "tmpfs":
            mount["options"] = [o for o in mount["options"] if not o.startswith("size=")] + ["size=%d" % size]


def _devices(spec, options):
    rules = spec["linux"]["resources"].setdefault("devices", [])
    for device in options.get("devices") or ():
        node, rule = devices.spec_parts(device)
        spec["linux"].setdefault("devices", []).append(node)
        rules.append(rule)
    rules.extend(devices.rule_entry(r) for r in options.get("device_cgroup_rules") or ())


def apply(spec, options, find_group):
    """Adjust ``spec`` (made by make_spec) for ``options``; ``find_group`` resolves a group name
    in the image's /etc/group."""
    security.apply(spec, options.get("security_opts"), spec["process"]["capabilities"]["bounding"])
    _devices(spec, options)
    if options.get("ulimits"):
        spec["process"]["rlimits"] = limits.rlimits(spec["process"]["rlimits"], options["ulimits"])
    if options.get("sysctls"):
        spec["linux"].setdefault("sysctl", {}).update(options["sysctls"])
    _tmpfs_mounts(spec, options.get("tmpfs"))
    if options.get("shm_size") is not None:
        _shm_size(spec, options["shm_size"])
    user = spec["process"]["user"]
    for group in options.get("group_add") or ():
        gid = find_group(group)
        if gid != user["gid"] and gid not in user["additionalGids"]:
            user["additionalGids"].append(gid)
    if options.get("oom_score_adj") is not None:
        spec["process"]["oomScoreAdj"] = options["oom_score_adj"]
    if options.get("init"):
        init.apply(spec)
    return spec
