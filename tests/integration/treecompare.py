# -*- coding: utf-8 -*-
"""Describe a directory tree the way a user of its files sees it, to compare two trees."""

from __future__ import annotations

import hashlib
import os
import stat


def describe(root):
    """path -> (type, mode, uid, gid, size, sha256 or link target or device), plus hard-link groups."""
    entries, inodes = {}, {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            fmt = stat.S_IFMT(st.st_mode)
            extra = None
            if stat.S_ISREG(st.st_mode):
                extra = _sha256(path)
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                extra = (os.major(st.st_rdev), os.minor(st.st_rdev))
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            entries[rel] = (fmt, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, size, extra)
    groups = sorted(sorted(paths) for paths in inodes.values() if len(paths) > 1)
    return entries, groups


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def differences(left, right, limit=20):
    """Human-readable differences between two ``describe`` results."""
    (le, lg), (re_, rg) = left, right
    out = []
    for path in sorted(set(le) | set(re_)):
        if le.get(path) != re_.get(path):
            out.append("%s: %r != %r" % (path, le.get(path), re_.get(path)))
    if lg != rg:
        out.append("hard-link groups differ: %r != %r" % (lg[:5], rg[:5]))
    return out[:limit]
