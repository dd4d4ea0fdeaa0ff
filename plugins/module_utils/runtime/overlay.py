# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stack an image's layers with overlayfs.

Lower directories are named by their short links (``l/<26 chars>``) relative to the store
root, and the mount is made from there, so that an image with many layers still fits the
one-page limit on mount options (as Docker's overlay2 does).
"""

from __future__ import annotations

import os
import threading

from .. import _linux
from .._errors import MountError

PAGE = 4096
_cwd_lock = threading.Lock()


def lowerdir(store, chain_ids):
    """``l/TOP:...:l/BOTTOM``: overlayfs wants the topmost layer first."""
    return ":".join(store.layers.short_link(c) for c in reversed(chain_ids))


def mount(store, chain_ids, target, upper=None, work=None):
    """Mount the layers on ``target``: read-only without ``upper``, writable with it."""
    if not chain_ids:
        raise MountError("an image with no layers cannot be mounted")
    try:
        if upper is None and len(chain_ids) == 1:
            # overlayfs needs two lowers without an upper dir: a read-only bind does the same.
            _linux.mount(store.layers.diff_path(chain_ids[0]), target, "", _linux.MS_BIND)
            _linux.mount("", target, "", _linux.MS_BIND | _linux.MS_REMOUNT | _linux.MS_RDONLY)
            return
        options = "lowerdir=" + lowerdir(store, chain_ids)
        if upper is not None:
            options += ",upperdir=%s,workdir=%s" % (upper, work)
        if len(options) >= PAGE:
            raise MountError("the image has too many layers (%d) to mount" % len(chain_ids))
        flags = _linux.MS_RDONLY if upper is None else 0
        with _cwd_lock:  # relative lowerdirs resolve against the cwd of the mounting process
            old = os.getcwd()
            os.chdir(store.root)
            try:
                _linux.mount("overlay", target, "overlay", flags, options)
            finally:
                os.chdir(old)
    except OSError as exc:
        raise MountError("cannot mount the image's layers on %s: %s" % (target, exc.strerror or exc),
                         target=target) from exc


def unmount(target):
    try:
        _linux.umount(target)
    except OSError as exc:
        raise MountError("cannot unmount %s: %s" % (target, exc.strerror or exc), target=target) from exc
