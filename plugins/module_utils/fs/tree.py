# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Removing trees that image content made: layers may hold directories without write permission."""

from __future__ import annotations

import os
import shutil
import stat


def remove_tree(path):
    """Remove ``path`` (a file, a link or a tree, maybe half-extracted), even where image content
    made directories that deny writing; nothing to do when it is not there."""
    if not os.path.lexists(path):
        return
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
        return
    os.chmod(path, 0o700)
    for top, dirs, _files in os.walk(path):  # top-down: children are opened after this chmod
        for name in dirs:
            child = os.path.join(top, name)
            mode = os.lstat(child).st_mode
            if stat.S_ISDIR(mode):
                os.chmod(child, stat.S_IMODE(mode) | 0o700)
    shutil.rmtree(path)


def allocated_bytes(path, seen):
    """Bytes allocated under ``path`` (as du counts), each inode once: ``seen`` holds the
    (device, inode) pairs counted so far, shared between calls."""
    total = 0
    for top, dirs, files in os.walk(path):
        for name in [top] + [os.path.join(top, n) for n in dirs + files]:
            try:
                info = os.lstat(name)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total
