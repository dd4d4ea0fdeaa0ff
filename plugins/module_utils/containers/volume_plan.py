# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's volumes: the named ones of its ``mounts`` and an anonymous one for each of its
image's ``VOLUME`` paths that no mount covers (Docker's). Both start as a copy of the image's
content at their path when empty; anonymous ones go with the container (``docker rm -v``), so a
recreated container gets fresh ones, while named ones stay."""

from __future__ import annotations

import posixpath

from .._errors import InvalidSpec
from ..fs import inroot
from ..volumes.usage import volumes_of

# an image's VOLUME may not shadow what the runtime mounts for the container's own safety
_RESERVED = ("/proc", "/sys", "/dev")


def anonymous(image_config, mounts, volumes):
    """[{name, target}] for the image's VOLUME paths no user mount covers (names made up now)."""
    declared = ((image_config.get("config") or {}).get("Volumes")) or {}
    covered = {posixpath.normpath(m["target"]) for m in mounts or []}
    out = []
    for path in sorted(declared):
        target = posixpath.normpath(path) if isinstance(path, str) and path.startswith("/") else None
        if target is None or target == "/":
            raise InvalidSpec("the image declares VOLUME %r: a volume path must be absolute and not /" % (path,))
        if inroot.under_proc(target) or any(target == r or target.startswith(r + "/") for r in _RESERVED):
            raise InvalidSpec("the image declares VOLUME %s: volumes over /proc, /sys or /dev are refused" % target)
        if target not in covered:
            out.append({"name": volumes.anonymous_name(), "target": target})
    return out


def mount_spec(volumes, name, target, read_only, rootfs, anonymous_volume=False):
    """The bind of the volume's directory on ``target`` (made, mounted, copied up as needed)."""
    source = volumes.source_for(name, rootfs, target, anonymous=anonymous_volume)
    return {"type": "bind", "target": target, "read_only": read_only, "source": source}


def ensure_available(volumes, record):
    """Before a start: every volume the container uses is there and mounted (after a reboot, or
    after a forced removal, a named one is made again, empty, as at its first use)."""
    anonymous_names = {v["name"] for v in record.get("anonymous_volumes") or []}
    for name in volumes_of(record):
        volumes.provide(name, anonymous=name in anonymous_names)
