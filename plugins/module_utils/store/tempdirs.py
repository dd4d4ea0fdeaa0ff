# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Work directories under ``tmp/``, each flocked by its owner while alive.

A directory whose lock nobody holds was left by a process that died (even by SIGKILL):
``sweep`` removes it. Live operations of other processes are never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time

from .fsutil import remove_tree

LOCK_NAME = ".owner.lock"


@contextlib.contextmanager
def work_dir(tmp_root, prefix="op-"):
    path = tempfile.mkdtemp(dir=tmp_root, prefix=prefix)
    fd = os.open(os.path.join(path, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield path
    finally:
        remove_tree(path)
        os.close(fd)


def sweep(tmp_root):
    """Remove work directories whose owner is gone; returns how many."""
    removed = 0
    for name in os.listdir(tmp_root):
        path = os.path.join(tmp_root, name)
        if not _abandoned(path):
            continue
        remove_tree(path)
        removed += 1
    return removed


def _abandoned(path):
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    try:
        fd = os.open(os.path.join(path, LOCK_NAME), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        # mkdtemp ran but the lock file was not made yet: only abandoned if old.
        return _older_than(path, 60)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _older_than(path, seconds):
    try:
        return time.time() - os.lstat(path).st_mtime > seconds
    except FileNotFoundError:
        return False
