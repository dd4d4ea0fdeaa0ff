# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fcntl locks, so several module runs on one host can share a store.

- ``store``: exclusive while metadata (refs, image records) changes.
- ``extract-<chain>``: exclusive while one layer is extracted, so it is extracted once.
- ``use-<chain>``: shared by every operation that needs a layer until its image is recorded;
  removal takes it exclusively without waiting and skips layers someone is using.
Lock files are never deleted: deleting one could let two processes lock different inodes.
"""

from __future__ import annotations

import fcntl
import os


class FileLock:
    def __init__(self, path, shared=False, blocking=True):
        self.path = path
        self.shared = shared
        self.blocking = blocking
        self.fd = None

    def acquire(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        flags = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        if not self.blocking:
            flags |= fcntl.LOCK_NB
        try:
            fcntl.flock(self.fd, flags)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            return False
        return True

    def release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


class Locks:
    def __init__(self, directory):
        self.directory = directory

    def _path(self, name):
        return os.path.join(self.directory, name + ".lock")

    def store(self):
        return FileLock(self._path("store"))

    def extract(self, chain_hex):
        return FileLock(self._path("extract-" + chain_hex))

    def use(self, chain_hex, exclusive=False):
        return FileLock(self._path("use-" + chain_hex), shared=not exclusive, blocking=not exclusive)
