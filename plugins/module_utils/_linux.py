# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux syscalls the standard library lacks on Python 3.9, through ctypes, in one place."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_SYNCHRONOUS = 16
MS_DIRSYNC = 128
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MS_BIND = 4096
MS_REMOUNT = 32
MNT_DETACH = 2
MS_REC = 16384
MS_PRIVATE = 1 << 18
CLONE_NEWNS = 0x00020000

_libc = None


def libc():
    global _libc
    if _libc is None:
        try:  # glibc's name, without find_library's `ldconfig -p` process
            _libc = ctypes.CDLL("libc.so.6", use_errno=True)
        except OSError:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    return _libc


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def mount(source, target, fstype, flags=0, data=None):
    _check(libc().mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                        ctypes.c_ulong(flags), data.encode() if data else None),
           "mount %s on %s" % (fstype or source, target))


def unshare(flags):
    """os.unshare, which Python has only from 3.12."""
    _check(libc().unshare(ctypes.c_int(flags)), "unshare(%#x)" % flags)


def umount(target, flags=0):
    _check(libc().umount2(target.encode(), flags), "umount %s" % target)


def unescape_mount_field(field):
    """A path as /proc/self/mountinfo writes it (space, tab, newline and backslash octal-escaped)."""
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def is_mountpoint(path):
    try:
        with open("/proc/self/mountinfo") as f:
            real = os.path.realpath(path)
            return any(unescape_mount_field(line.split()[4]) == real for line in f)
    except OSError:
        return False


PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid):
    """Have the kernel SIGKILL this (forked helper) process when its parent dies, even by
    SIGKILL, so that a crashed operation leaves no helpers behind."""
    import signal  # pylint: disable=import-outside-toplevel
    _check(libc().prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)  # pylint: disable=protected-access
