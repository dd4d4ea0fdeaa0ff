# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A volume with driver options is a mount on its ``_data`` directory, made at first use (a
container's create or start), as Docker's local driver does; after a reboot the next start
mounts it again. Containers bind-mount ``_data`` either way."""

from __future__ import annotations

import socket

from . import definitions
from .. import _linux
from .._errors import InvalidSpec, MountError

FLAGS = {"ro": _linux.MS_RDONLY, "nosuid": _linux.MS_NOSUID, "nodev": _linux.MS_NODEV,
         "noexec": _linux.MS_NOEXEC, "sync": _linux.MS_SYNCHRONOUS, "dirsync": _linux.MS_DIRSYNC,
         "noatime": _linux.MS_NOATIME, "nodiratime": _linux.MS_NODIRATIME, "relatime": _linux.MS_RELATIME,
         "strictatime": _linux.MS_STRICTATIME, "bind": _linux.MS_BIND, "rbind": _linux.MS_BIND | _linux.MS_REC}
NO_FLAG = ("rw", "defaults", "suid", "dev", "exec", "async")


def flags_and_data(words):
    """``o``'s items as mount(2) takes them: flag bits, and the rest as the filesystem's data."""
    flags, data = 0, []
    for word in words:
        if word in FLAGS:
            flags |= FLAGS[word]
        elif word not in NO_FLAG:
            data.append(word)
    return flags, ",".join(data)


def needs_mount(options):
    return bool(options.get("type"))


def ensure_mounted(options, data_dir):
    """Mount the volume's device on ``data_dir`` unless it is already there."""
    if not needs_mount(options) or _linux.is_mountpoint(data_dir):
        return False
    words = definitions.split_o(options.get("o", ""))
    flags, data = flags_and_data(words)
    kind = options["type"]
    try:
        if kind == "none":
            _linux.mount(options["device"], data_dir, None, flags & (_linux.MS_BIND | _linux.MS_REC))
            if flags & ~(_linux.MS_BIND | _linux.MS_REC):  # ro, nosuid...: a bind takes them on a remount
                _linux.mount("none", data_dir, None, flags | _linux.MS_REMOUNT | _linux.MS_BIND)
        else:
            if kind.startswith("nfs"):
                data = _nfs_data(words, data)
            _linux.mount(options["device"], data_dir, kind, flags, data or None)
    except OSError as exc:
        raise MountError("cannot mount the volume's %s %s on %s: %s (check the volume's driver options)"
                         % (kind, options["device"], data_dir, exc.strerror or exc), path=data_dir) from exc
    return True


def _nfs_data(words, data):
    """The kernel wants the server's address, not a name (Docker's local driver resolves it too)."""
    server = [w.split("=", 1)[1] for w in words if w.startswith("addr=")][0]
    try:
        address = socket.getaddrinfo(server, None)[0][4][0]
    except (OSError, IndexError) as exc:
        raise InvalidSpec("cannot resolve the nfs server %r of the volume: %s" % (server, exc)) from exc
    return ",".join("addr=" + address if w.startswith("addr=") else w for w in data.split(","))


def unmount(data_dir):
    """Detach whatever is mounted on ``data_dir`` (lazily: a running container keeps its own bind)."""
    while _linux.is_mountpoint(data_dir):
        try:
            _linux.umount(data_dir, _linux.MNT_DETACH)
        except OSError as exc:
            raise MountError("cannot unmount the volume at %s: %s" % (data_dir, exc.strerror or exc),
                             path=data_dir) from exc
