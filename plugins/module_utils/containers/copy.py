# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker cp`` into a container (``docker_container_copy_into``): one file, written into the
container's merged root filesystem (its overlay, mounted for a stopped container too), so a
running container sees it at once and a stopped one when it starts.

The container may be running and hostile: the destination is reached through directory fds
(fs/rootfd.py), never a host path; the file is written beside its destination and renamed over
it. It is written only when its content, owner or mode differ (or ``force``)."""

from __future__ import annotations

import hashlib
import io
import os
import stat

from .._errors import ContainerError, InvalidSpec
from ..fs import inroot, rootfd
from ..fs.atomic import read_json
from ..runtime import bundle

CHUNK = 1 << 20


class Source:
    """The bytes to copy: ``content`` (bytes) or a regular file on the host at ``path``."""

    def __init__(self, content=None, path=None):
        if (content is None) == (path is None):
            raise InvalidSpec("give either content or path, not both or neither")
        self.content, self.path = content, path
        if path is not None:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                raise InvalidSpec("path %s is not a regular file" % path, path=path)
            self.mode = stat.S_IMODE(info.st_mode)
        else:
            self.mode = 0o644

    def chunks(self):
        if self.content is not None:
            yield self.content
            return
        with open(self.path, "rb") as handle:
            yield from iter(lambda: handle.read(CHUNK), b"")

    def digest(self):
        return _digest(self.chunks())


def _digest(chunks):
    hasher, size = hashlib.sha256(), 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def copy_into(containers, record, container_path, source, *, mode=None, owner=None, group=None, follow=False,
              force=None, check_mode=False):
    """Put ``source`` at ``container_path``; returns ``changed``, ``actions`` and ``diff``.

    ``owner``/``group``: a number or a name from the container's /etc/passwd and /etc/group
    (default 0); ``mode``: default the source file's, 0644 for content; ``force``: True writes
    always, False only when nothing is there, None when something differs."""
    if not isinstance(container_path, str) or not container_path.startswith("/"):
        raise InvalidSpec("container_path must be an absolute path in the container, not %r" % (container_path,))
    if inroot.under_proc(container_path):
        raise InvalidSpec("container_path %s is under /proc: refused" % container_path)
    if (record.get("options") or {}).get("read_only"):
        raise ContainerError("container %s has a read-only root filesystem" % record["name"], name=record["name"])
    containers.ensure_mounted(record)
    rootfs = containers.records.path(record["id"], "rootfs")
    uid, gid = _owner(owner, group, rootfs)
    mode = source.mode if mode is None else mode
    with rootfd.locate(rootfs, container_path, follow=follow, what="container_path") as target:
        _check_not_on_a_mount(containers, record, target.relative, container_path)
        before = _current(target)
        wanted = {"sha256": source.digest()[0], "mode": "%04o" % mode, "uid": uid, "gid": gid}
        result = {"changed": False, "actions": [], "container": record["name"], "container_path": container_path,
                  "path_in_container": "/" + target.relative, "diff": {"before": before, "after": wanted}}
        if force is False and before is not None:
            return result
        if force is None and before == wanted:
            return result
        result["changed"] = True
        result["actions"].append("write /%s in container %s" % (target.relative, record["name"]))
        if not check_mode:
            target.replace(source.chunks(), mode, uid, gid)
    return result


def _owner(owner, group, rootfs):
    """(uid, gid): numbers as given, names looked up in the container's files (in-root)."""
    uid, gid = 0, None
    if owner is not None and str(owner) != "":
        uid, gid, dummy = bundle.parse_user(str(owner), rootfs)
    if group is not None and str(group) != "":
        gid = bundle.parse_user("%d:%s" % (uid, group), rootfs)[1]
    return uid, 0 if gid is None else gid


def _current(target):
    """What is at the destination now, as ``copy_into`` compares it; None when nothing is."""
    info = target.lstat()
    if info is None:
        return None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidSpec("/%s is a directory in the container: container_path names the file to write"
                          % target.relative)
    if not stat.S_ISREG(info.st_mode):
        return {"type": "symlink" if stat.S_ISLNK(info.st_mode) else "special"}
    fd = target.open_read()
    with io.open(fd, "rb") as handle:
        digest = _digest(iter(lambda: handle.read(CHUNK), b""))[0]
        info = os.fstat(handle.fileno())
    return {"sha256": digest, "mode": "%04o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid, "gid": info.st_gid}


def _check_not_on_a_mount(containers, record, relative, container_path):
    """A file under a mount (a volume, /etc/hosts, /dev) would land under it in the root
    filesystem, where the container never sees it: refused, as a wrong answer would be silent."""
    spec = read_json(containers.records.path(record["id"], "config.json"), {}) or {}
    place = "/" + relative
    for mount in spec.get("mounts") or []:
        destination = os.path.normpath(mount.get("destination") or "/")
        if destination != "/" and (place == destination or place.startswith(destination + "/")):
            raise InvalidSpec("container_path %s is on the %s mount at %s in container %s: write to what is mounted "
                              "there instead" % (container_path, mount.get("type") or "bind", destination,
                                                 record["name"]))


def is_directory(containers, record, container_path):
    """Whether ``container_path`` is a directory in the container (links followed in-root):
    ``docker cp FILE CONTAINER:DIR`` puts the file in it."""
    containers.ensure_mounted(record)
    rootfs = containers.records.path(record["id"], "rootfs")
    if not _split_nonempty(container_path):
        return True
    with rootfd.locate(rootfs, container_path, follow=True, what="container_path") as target:
        info = target.lstat()
    return info is not None and stat.S_ISDIR(info.st_mode)


def open_in(containers, record, container_path):
    """(a binary file object, its mode) for the regular file ``container_path`` in the
    container, opened in-root (``docker cp CONTAINER:PATH DEST``)."""
    containers.ensure_mounted(record)
    rootfs = containers.records.path(record["id"], "rootfs")
    with rootfd.locate(rootfs, container_path, follow=True, what="container_path") as target:
        if target.lstat() is None:
            raise InvalidSpec("%s does not exist in container %s" % (container_path, record["name"]))
        handle = io.open(target.open_read(), "rb")
    info = os.fstat(handle.fileno())
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise InvalidSpec("%s is not a regular file in container %s: strata cp copies files" % (
            container_path, record["name"]))
    return handle, stat.S_IMODE(info.st_mode)


def _split_nonempty(path):
    return [p for p in path.split("/") if p not in ("", ".")]
