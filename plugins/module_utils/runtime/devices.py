# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host devices in a container (``docker run --device``) and device cgroup rules
(``--device-cgroup-rule``): the node runc creates in the container's /dev, and the rule
that lets the container open it (cgroup v1's devices controller, or runc's eBPF program on v2)."""

from __future__ import annotations

import os
import re
import stat

from .._errors import InvalidSpec

_RULE = re.compile(r"^([abc]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")
_ACCESS = re.compile(r"^[rwm]{1,3}$")


def _access(text, what):
    if not _ACCESS.match(text) or len(set(text)) != len(text):
        raise InvalidSpec("bad permissions %r in %s: a combination of r, w and m" % (text, what))
    return "".join(c for c in "rwm" if c in text)


def parse_device(text):
    """``/dev/host[:/dev/in-container][:rwm]`` -> (host, container, permissions), checked."""
    if not isinstance(text, str) or not text.startswith("/"):
        raise InvalidSpec("device %r: expected /dev/host[:/dev/container][:permissions]" % (text,))
    parts = text.split(":")
    if len(parts) > 3:
        raise InvalidSpec("device %r: expected /dev/host[:/dev/container][:permissions]" % text)
    host, container, access = parts[0], parts[0], "rwm"
    if len(parts) == 2:
        if parts[1].startswith("/"):
            container = parts[1]
        else:
            access = parts[1]
    elif len(parts) == 3:
        container, access = parts[1], parts[2]
    container = os.path.normpath(container)
    if not container.startswith("/dev/") or "/../" in container + "/":
        raise InvalidSpec("device %r: the path in the container must be under /dev" % text)
    _node(host)  # refused now when missing: before anything is made
    return host, container, _access(access, "device %s" % text)


def _node(host):
    """(type, major, minor) of a host device node (symbolic links followed, as Docker does)."""
    try:
        info = os.stat(host)
    except OSError as exc:
        raise InvalidSpec("device %s: %s on this host" % (host, exc.strerror), path=host) from exc
    if stat.S_ISCHR(info.st_mode):
        kind = "c"
    elif stat.S_ISBLK(info.st_mode):
        kind = "b"
    else:
        raise InvalidSpec("device %s is not a character or block device" % host, path=host)
    return kind, os.major(info.st_rdev), os.minor(info.st_rdev), stat.S_IMODE(info.st_mode)


def parse_rule(text):
    """``c 1:3 rwm`` (type a, b or c; major and minor numbers or *) -> a devices cgroup rule."""
    match = _RULE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise InvalidSpec("device cgroup rule %r: expected 'TYPE MAJOR:MINOR ACCESS' such as 'c 1:3 rwm'" % (text,))
    kind, major, minor, access = match.groups()
    return "%s %s:%s %s" % (kind, major, minor, _access(access, "device cgroup rule %s" % text))


def rule_entry(rule):
    """An OCI ``linux.resources.devices`` entry from a canonical rule text."""
    kind, numbers, access = rule.split(" ")
    major, minor = numbers.split(":")
    entry = {"allow": True, "type": kind, "access": access}
    if major != "*":
        entry["major"] = int(major)
    if minor != "*":
        entry["minor"] = int(minor)
    if kind == "a":
        del entry["type"]
    return entry


def spec_parts(device):
    """(``linux.devices`` node, its allow rule) for ``host:container:permissions``."""
    host, container, access = device.split(":")
    kind, major, minor, mode = _node(host)
    node = {"path": container, "type": kind, "major": major, "minor": minor, "fileMode": mode, "uid": 0, "gid": 0}
    return node, {"allow": True, "type": kind, "major": major, "minor": minor, "access": access}
