# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Work directories under ``tmp/``, each flocked by its owner while alive.

A directory whose lock nobody holds was left by a process that died (even by SIGKILL):
``sweep`` removes it, after undoing what the dead process had made beneath it: mounts are
detached, and a command it left in ``cleanup.json`` (such as the OCI runtime's ``delete
--force`` for a build step's container) is run. Live operations of other processes are
never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time

from ..fs.atomic import atomic_write_json
from ..fs.tree import remove_tree

LOCK_NAME = ".owner.lock"
CLEANUP = "cleanup.json"


@contextlib.contextmanager
def work_dir(tmp_root, prefix="op-"):
    path = tempfile.mkdtemp(dir=tmp_root, prefix=prefix)
    fd = _locked_owner_file(path)
    try:
        yield path
    finally:
        try:
            _undo_mounts(path)
        finally:
            _remove_keeping_lock(path)
            os.close(fd)


def _remove_keeping_lock(path):
    """The lock file goes last: killed halfway, the directory still has it (now free) and the
    next sweep takes it at once, instead of a lockless directory that looks newly made."""
    if not os.path.isdir(path) or os.path.islink(path):
        return
    for name in os.listdir(path):
        entry = os.path.join(path, name)
        if name == LOCK_NAME:
            continue
        if os.path.isdir(entry) and not os.path.islink(entry):
            remove_tree(entry)
        else:
            os.unlink(entry)
    remove_tree(path)


def _locked_owner_file(path):
    """The lock file, already locked when it gets its name: a sweep that opens ``LOCK_NAME``
    between our open and our flock would find it free and remove a live directory. Until the
    rename, the directory has no lock file and counts as live while it is young."""
    fd, tmp = tempfile.mkstemp(dir=path, prefix=LOCK_NAME + ".")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(tmp, os.path.join(path, LOCK_NAME))
    except BaseException:
        os.close(fd)
        raise
    return fd


def leave_cleanup(path, argv):
    """Should this work dir's owner die, ``sweep`` runs ``argv`` before removing it."""
    atomic_write_json(os.path.join(path, CLEANUP), argv)


def sweep(tmp_root):
    """Remove work directories whose owner is gone; returns how many."""
    removed = 0
    for name in os.listdir(tmp_root):
        path = os.path.join(tmp_root, name)
        if not _abandoned(path):
            continue
        _run_cleanup(path)
        _undo_mounts(path)
        remove_tree(path)
        removed += 1
    return removed


def _run_cleanup(path):
    try:
        with open(os.path.join(path, CLEANUP)) as handle:
            argv = json.load(handle)
    except (OSError, ValueError):
        return
    if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
        # imported here: only a dead owner's cleanup runs a command, not every store opened
        import subprocess  # pylint: disable=import-outside-toplevel
        subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)


def mounts_under(path):
    """Mount points at or below ``path``, deepest first (from /proc/self/mountinfo)."""
    # imported here (ctypes): only a dead owner's mounts need it
    from .. import _linux  # pylint: disable=import-outside-toplevel
    prefix = os.path.realpath(path).rstrip("/") + "/"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            points = [_linux.unescape_mount_field(line.split()[4]) for line in handle]
    except OSError:
        return []
    return sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True)


def _undo_mounts(path):
    """Never delete through a mount: a dead process's overlay would take its layers with it."""
    from .. import _linux  # pylint: disable=import-outside-toplevel
    for point in mounts_under(path):
        try:
            _linux.umount(point, _linux.MNT_DETACH)
        except OSError:
            pass


def _abandoned(path):
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    try:
        fd = os.open(os.path.join(path, LOCK_NAME), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        # mkdtemp ran but the locked lock file has no name yet: only abandoned if old.
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
