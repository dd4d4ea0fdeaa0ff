# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's copy-up: an empty volume mounted where the image has content starts as a copy of it.

The image's path is resolved in the container's root (``fs/inroot``: a symlink that climbs
out is refused), then both trees are walked through directory fds opened with O_NOFOLLOW, so
a symlink in the image is copied as a symlink and never followed, and a container that shares
the volume cannot swap a directory for a link to the host while the copy runs. Owners, modes,
times, symlinks, fifos and device nodes are kept (not extended attributes nor hard links).
"""

from __future__ import annotations

import os
import stat

from .._errors import InvalidSpec
from ..fs import inroot

MAX_DEPTH = 256
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def copy_up(rootfs, path, data_dir):
    """Copy the image's ``path`` (in ``rootfs``) into ``data_dir`` if that is empty; returns
    whether anything was copied."""
    relative = inroot.resolve(rootfs, path, "the volume path")
    source = _open_under(rootfs, relative)
    if source is None:
        return False  # nothing there in the image (the runtime makes the mount point)
    try:
        target = os.open(data_dir, _DIR)
        try:
            if os.listdir(target):
                return False  # a volume with content keeps it
            _copy_tree(source, target, 0, path)
            _same_metadata(source, target, None)
        finally:
            os.close(target)
    finally:
        os.close(source)
    return True


def _open_under(rootfs, relative):
    """An fd of the directory ``relative`` under ``rootfs``, never following a link; None when
    it is missing or not a directory."""
    fd = os.open(rootfs, _DIR)
    try:
        for name in [p for p in relative.split("/") if p]:
            try:
                child = os.open(name, _DIR, dir_fd=fd)
            except (FileNotFoundError, NotADirectoryError, OSError):
                os.close(fd)
                return None
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _copy_tree(source, target, depth, path):
    if depth > MAX_DEPTH:
        raise InvalidSpec("the image's content under volume path %s is nested deeper than %d directories"
                          % (path, MAX_DEPTH))
    for name in sorted(os.listdir(source)):
        info = os.stat(name, dir_fd=source, follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            os.mkdir(name, 0o700, dir_fd=target)
            child_source = os.open(name, _DIR, dir_fd=source)
            try:
                child_target = os.open(name, _DIR, dir_fd=target)
                try:
                    _copy_tree(child_source, child_target, depth + 1, path)
                    _same_metadata(child_source, child_target, info)
                finally:
                    os.close(child_target)
            finally:
                os.close(child_source)
        elif stat.S_ISREG(info.st_mode):
            _copy_file(name, source, target, info)
        elif stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(name, dir_fd=source), name, dir_fd=target)
            _link_metadata(name, target, info)
        elif stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
            os.mknod(name, stat.S_IFMT(info.st_mode) | 0o600, info.st_rdev, dir_fd=target)
            _link_metadata(name, target, info)
            os.chmod(name, stat.S_IMODE(info.st_mode), dir_fd=target)
        # sockets are left out, as a tar of the image would


def _copy_file(name, source, target, info):
    src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=source)
    try:
        dst = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                      dir_fd=target)
        try:
            while True:
                chunk = os.read(src, 1 << 20)
                if not chunk:
                    break
                view = memoryview(chunk)
                while view:
                    view = view[os.write(dst, view):]
            _same_metadata(src, dst, info)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _same_metadata(source_fd, target_fd, info):
    """Owner, then mode (a chown clears set-id bits), then times."""
    info = info or os.fstat(source_fd)
    os.fchown(target_fd, info.st_uid, info.st_gid)
    os.fchmod(target_fd, stat.S_IMODE(info.st_mode))
    os.utime(target_fd, ns=(info.st_atime_ns, info.st_mtime_ns))


def _link_metadata(name, target, info):
    os.chown(name, info.st_uid, info.st_gid, dir_fd=target, follow_symlinks=False)
    os.utime(name, ns=(info.st_atime_ns, info.st_mtime_ns), dir_fd=target, follow_symlinks=False)
