# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small content-addressed blobs (manifests, configs): verified on write and on read."""

from __future__ import annotations

import os

from .._errors import Corrupt, DigestMismatch
from ..fs.atomic import atomic_write
from ..oci import digest as _digest


class BlobStore:
    def __init__(self, directory):
        self.directory = directory

    def path(self, digest):
        return os.path.join(self.directory, _digest.hex_of(digest))

    def exists(self, digest):
        return os.path.exists(self.path(digest))

    def put(self, data, digest=None):
        """Store ``data``; idempotent. Returns its digest."""
        actual = _digest.of_bytes(data)
        if digest is not None and digest != actual:
            raise DigestMismatch("blob does not match its digest: expected %s, got %s" % (digest, actual),
                                 digest=digest, actual=actual)
        if not self.exists(actual):
            atomic_write(self.path(actual), data)
        return actual

    def get(self, digest):
        try:
            with open(self.path(digest), "rb") as f:
                data = f.read()
        except FileNotFoundError as exc:
            raise Corrupt("blob %s is missing from the store" % digest, digest=digest) from exc
        if _digest.of_bytes(data) != digest:
            raise Corrupt("blob %s in the store does not match its digest" % digest, digest=digest)
        return data

    def delete(self, digest):
        try:
            os.unlink(self.path(digest))
        except FileNotFoundError:
            pass

    def all(self):
        return ["sha256:" + name for name in os.listdir(self.directory) if not name.startswith(".")]
