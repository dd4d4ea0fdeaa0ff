# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paths a user names inside a container's root filesystem (its working directory, say).

Symlinks resolve as they do inside the container: an absolute target starts at the
container's root. The runtime clamps a ``..`` that climbs above the root; an image whose
symlink does that is a mistake or an attack, and a silent clamp would run the container
somewhere the user did not mean, so it is refused instead.
"""

from __future__ import annotations

import os
import posixpath

from .._errors import InvalidSpec

MAX_LINKS = 40


def resolve(rootfs, path, what="path"):
    """``path`` inside ``rootfs`` with its symlinks followed, as a path relative to rootfs.

    Raises InvalidSpec when ``..`` (in ``path`` or in a symlink) climbs above the root."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    done = []
    links = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            if not done:
                raise InvalidSpec("%s %s leads outside the container's root filesystem (a symbolic link "
                                  "or '..' climbs above /)" % (what, path))
            done.pop()
            continue
        host = os.path.join(rootfs, *done, name)
        if not os.path.islink(host):
            done.append(name)
            continue
        links += 1
        if links > MAX_LINKS:
            raise InvalidSpec("%s %s: too many levels of symbolic links" % (what, path))
        target = os.readlink(host)
        if target.startswith("/"):
            done = []
        parts = [p for p in target.split("/") if p not in ("", ".")] + parts
    return posixpath.join(*done) if done else ""


def under_proc(path):
    """Whether an absolute path in the container, once normalised, is /proc or below it."""
    normal = "/" + posixpath.normpath(path).lstrip("/")
    return normal == "/proc" or normal.startswith("/proc/")


def check_working_dir(path, what="working_dir"):
    """Refuse a working directory in /proc: ``/proc/self/fd/N`` is how CVE-2024-21626 escaped
    through an fd that runc (before 1.1.12) leaked into the container. Returns ``path``."""
    if under_proc(path):
        raise InvalidSpec("%s %s is under /proc: a working directory there can reach the host through a "
                          "file descriptor the runtime leaks (CVE-2024-21626)" % (what, path))
    return path


def working_dir(rootfs, path, what="working_dir"):
    """``path`` resolved as for ``resolve``, refused when it or a symlink on the way leads into /proc."""
    relative = resolve(rootfs, check_working_dir(path, what), what)
    if under_proc("/" + relative):
        raise InvalidSpec("%s %s leads to /%s through a symbolic link: a working directory under /proc "
                          "is refused (CVE-2024-21626)" % (what, path, relative))
    return relative


def make_dir(rootfs, path, what="path"):
    """Make ``path`` a directory inside ``rootfs`` (as Docker creates a missing WORKDIR)."""
    relative = working_dir(rootfs, path, what)
    host = os.path.join(rootfs, relative)
    if os.path.exists(host) and not os.path.isdir(host):
        raise InvalidSpec("%s %s is not a directory in the image" % (what, path))
    os.makedirs(host, mode=0o755, exist_ok=True)
