# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user asks of a volume, checked before anything touches disk.

Only Docker's ``local`` driver exists. Its options are ``type``, ``device`` and ``o``, as
``docker volume create --opt``: no options is a plain directory in the store; ``type: tmpfs``
(``o: size=64m``), ``type: none`` with ``o: bind`` and an existing host directory as
``device``, and ``type: nfs``/``nfs4`` (``o`` naming the server as ``addr=``, ``device`` as
``:/export`` or ``server:/export``) are mounted on the volume's directory at first use.
"""

from __future__ import annotations

import os
import re

from .._errors import InvalidSpec

DRIVERS = ("local",)
OPTION_KEYS = ("type", "device", "o")
TYPES = ("tmpfs", "none", "nfs", "nfs4")
ANONYMOUS_LABEL = "com.docker.volume.anonymous"  # what Docker 23+ puts on anonymous volumes
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")
_OPTION_WORD = re.compile(r"^[A-Za-z0-9_.:/@+=%-]+$")  # one item of o: no commas, blanks or quotes
_NFS_DEVICE = re.compile(r"^[A-Za-z0-9_.:\[\]-]*:/[^\x00-\x1f,]*$")
_LABEL_KEY = re.compile(r"^[^\x00-\x1f=]{1,256}$")


def check_name(name):
    """Docker's volume name rule (a name is also a directory: no '/', no '..')."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidSpec("invalid volume name %r: [a-zA-Z0-9][a-zA-Z0-9_.-]*, up to 128 characters" % (name,))
    return name


def check_driver(driver):
    if driver not in DRIVERS:
        raise InvalidSpec("volume driver %r is not supported: only 'local' (Docker's default) is" % (driver,))
    return driver


def labels(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidSpec("volume labels must be a dict of strings, not %r" % (value,))
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _LABEL_KEY.match(key):
            raise InvalidSpec("bad volume label name %r" % (key,))
        out[key] = "" if item is None else str(item)
    return out


def split_o(text):
    """The items of ``o`` (comma-separated), each checked to be one plain word."""
    items = [item for item in text.split(",") if item]
    for item in items:
        if not _OPTION_WORD.match(item):
            raise InvalidSpec("bad item %r in the volume option o: mount options are words such as size=64m, "
                              "ro or addr=10.0.0.5 separated by commas" % (item,))
    return items


def driver_options(value):
    """The options of the local driver, checked: {} or {type, device, o}."""
    if value is not None and not isinstance(value, dict):
        raise InvalidSpec("driver_options must be a dict with type, device and o, not %r" % (value,))
    value = {k: v for k, v in (value or {}).items() if v is not None}  # a module's unset suboptions
    if not value:
        return {}
    unknown = sorted(set(value) - set(OPTION_KEYS))
    if unknown:
        raise InvalidSpec("invalid volume driver option %s: the local driver knows only type, device and o"
                          % ", ".join(repr(k) for k in unknown))
    options = {k: str(v) for k, v in value.items() if v is not None and str(v) != ""}
    kind = options.get("type")
    if kind is None:
        raise InvalidSpec("the local driver's options need a type (tmpfs, none with o=bind, nfs or nfs4)")
    if kind not in TYPES:
        raise InvalidSpec("volume type %r is not supported: one of %s" % (kind, ", ".join(TYPES)))
    words = split_o(options.get("o", ""))
    _CHECKS[kind](options, words)
    return options


def _tmpfs(options, words):
    options.setdefault("device", "tmpfs")
    if "bind" in words or "rbind" in words:
        raise InvalidSpec("a tmpfs volume cannot have o=bind")


def _bind(options, words):
    device = options.get("device")
    if not ("bind" in words or "rbind" in words):
        raise InvalidSpec("a volume of type none needs o=bind (it binds the host directory named by device)")
    if not device or not device.startswith("/") or "\x00" in device:
        raise InvalidSpec("a bind volume needs device: an absolute path of a host directory, not %r" % (device,))
    if not os.path.isdir(device):
        raise InvalidSpec("the bind volume's device %s is not an existing directory" % device, path=device)


def _nfs(options, words):
    device = options.get("device")
    if not device or not _NFS_DEVICE.match(device):
        raise InvalidSpec("an nfs volume needs device: the export, as :/srv/export or server:/srv/export, "
                          "not %r" % (device,))
    addresses = [w.split("=", 1)[1] for w in words if w.startswith("addr=")]
    if len(addresses) != 1 or not addresses[0]:
        raise InvalidSpec("an nfs volume needs the server in o, as o: addr=10.0.0.5,rw (once)")
    if "bind" in words or "rbind" in words:
        raise InvalidSpec("an nfs volume cannot have o=bind")


_CHECKS = {"tmpfs": _tmpfs, "none": _bind, "nfs": _nfs, "nfs4": _nfs}
