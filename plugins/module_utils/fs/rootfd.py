# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files inside a root that someone else controls (a running container's filesystem), reached
through directory fds, never through a host path string.

Each name is opened with O_NOFOLLOW relative to its parent's fd; a symlink on the way is read
(``readlink`` at the fd) and resolved as the container would: an absolute target starts again
at the root, ``..`` goes back one fd. Nothing the container does meanwhile (a directory swapped
for a symlink to /etc) can make the kernel follow a link out: the fds held are what was checked.
A ``..`` that climbs above the root is refused, as ``inroot.resolve`` refuses it."""

from __future__ import annotations

import errno
import os
import secrets
import stat

from .._errors import InvalidSpec

MAX_LINKS = 40
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Target:
    """The directory (an open fd) and the name a path inside the root leads to; ``relative`` is
    the path from the root as resolved. Close it (or use ``with``)."""

    def __init__(self, dir_fd, name, relative):
        self.dir_fd, self.name, self.relative = dir_fd, name, relative

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.dir_fd is not None:
            os.close(self.dir_fd)
            self.dir_fd = None

    def lstat(self):
        """The entry's lstat, or None when there is none."""
        try:
            return os.lstat(self.name, dir_fd=self.dir_fd)
        except FileNotFoundError:
            return None

    def open_read(self):
        """The entry opened for reading without following a link (ELOOP if it is one)."""
        return os.open(self.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=self.dir_fd)

    def replace(self, chunks, mode, uid, gid):
        """Write ``chunks`` (bytes) to a temp file in the directory, own and chmod it, fsync it,
        and rename it over the name: readers see the old file or the new one."""
        tmp = ".strata-cp-" + secrets.token_hex(8)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                     dir_fd=self.dir_fd)
        try:
            try:
                for chunk in chunks:
                    _write_all(fd, chunk)
                os.fchown(fd, uid, gid)
                os.fchmod(fd, mode)  # after chown, which clears set-id bits
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=self.dir_fd)
            except FileNotFoundError:
                pass
            raise
        os.fsync(self.dir_fd)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def locate(root, path, follow=True, what="path"):
    """The Target of absolute ``path`` inside directory ``root``: every directory on the way
    resolved in-root; the last name's symlinks followed too when ``follow``."""
    parts = _split(path)
    if not parts:
        raise InvalidSpec("%s %s names the root directory, not a file" % (what, path))
    stack = [(os.open(root, DIR_FLAGS), "")]
    links = 0
    try:
        while True:
            name = parts.pop(0)
            if name == "..":
                if len(stack) == 1:
                    raise InvalidSpec("%s %s leads outside the container's root filesystem (a symbolic link or "
                                      "'..' climbs above /)" % (what, path))
                os.close(stack.pop()[0])
                if not parts:
                    raise InvalidSpec("%s %s names a directory, not a file" % (what, path))
                continue
            target = _link_target(stack[-1][0], name)
            if target is not None and (parts or follow):
                links += 1
                if links > MAX_LINKS:
                    raise InvalidSpec("%s %s: too many levels of symbolic links" % (what, path))
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop()[0])
                parts = _split(target) + parts
                if not parts:
                    raise InvalidSpec("%s %s leads to the root directory, not a file" % (what, path))
                continue
            if not parts:
                dir_fd, where = stack.pop()
                return Target(dir_fd, name, os.path.join(where, name))
            stack.append((_open_dir(stack[-1][0], name, path, what), os.path.join(stack[-1][1], name)))
    finally:
        for fd, dummy in stack:
            os.close(fd)


def _split(path):
    return [p for p in path.split("/") if p not in ("", ".")]


def _link_target(dir_fd, name):
    """The target of ``name`` if it is a symlink, else None (also when it does not exist)."""
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    return os.readlink(name, dir_fd=dir_fd) if stat.S_ISLNK(info.st_mode) else None


def _open_dir(dir_fd, name, path, what):
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError as exc:
        raise InvalidSpec("%s %s: directory %s does not exist in the container" % (what, path, name)) from exc
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):  # ELOOP: swapped for a link since we looked
            raise InvalidSpec("%s %s: %s is not a directory in the container" % (what, path, name)) from exc
        raise
