# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Content digests: parse them, compute them, and verify what we read against them."""

from __future__ import annotations

import hashlib
import re

from .._errors import DigestMismatch, InvalidSpec, SizeMismatch

_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")
CHUNK = 1 << 20  # read size for streams we copy and hash

_ANY = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


def validate(digest):
    """Return ``digest`` if it is a well-formed sha256 digest; we only store sha256."""
    if not isinstance(digest, str) or not _SHA256.match(digest):
        if isinstance(digest, str) and _ANY.match(digest) and not digest.startswith("sha256:"):
            raise InvalidSpec("unsupported digest algorithm in %r (only sha256 is supported)" % digest)
        raise InvalidSpec("invalid digest %r" % (digest,))
    return digest


def hex_of(digest):
    return validate(digest).split(":", 1)[1]


def of_bytes(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def verify_bytes(data, digest, size=None, what="blob"):
    """Check a whole in-memory blob (manifest, config) against its descriptor."""
    if size is not None and len(data) != size:
        raise SizeMismatch("%s %s: expected %d bytes, got %d" % (what, digest, size, len(data)),
                           digest=digest)
    actual = of_bytes(data)
    if actual != digest:
        raise DigestMismatch("%s content does not match its digest: expected %s, got %s" % (what, digest, actual),
                             digest=digest, actual=actual)
    return data


def chain_id(parent_chain, diff_id):
    """The chain ID of layer ``diff_id`` on top of ``parent_chain`` (None: a base layer)."""
    return diff_id if parent_chain is None else of_bytes(("%s %s" % (parent_chain, diff_id)).encode())


def chain_ids(diff_ids):
    """Chain IDs name a layer together with everything under it (OCI image-spec, config.md)."""
    chain, out = None, []
    for diff_id in diff_ids:
        chain = chain_id(chain, diff_id)
        out.append(chain)
    return out


class VerifyingReader:
    """Reads a stream while hashing it; ``finish()`` checks digest and size at EOF."""

    def __init__(self, fileobj, digest=None, size=None, what="blob"):
        self._f = fileobj
        self._h = hashlib.sha256()
        self.expected = digest
        self.expected_size = size
        self.size = 0
        self.what = what

    def read(self, n=-1):
        data = self._f.read(n)
        if data:
            self._h.update(data)
            self.size += len(data)
            if self.expected_size is not None and self.size > self.expected_size:
                raise SizeMismatch("%s %s is larger than the %d bytes its descriptor gives"
                                   % (self.what, self.expected, self.expected_size), digest=self.expected)
        return data

    @property
    def digest(self):
        return "sha256:" + self._h.hexdigest()

    def drain(self, chunk=CHUNK):
        while self.read(chunk):
            pass

    def finish(self):
        if self.expected_size is not None and self.size != self.expected_size:
            raise SizeMismatch("%s %s: expected %d bytes, got %d"
                               % (self.what, self.expected, self.expected_size, self.size), digest=self.expected)
        if self.expected is not None and self.digest != self.expected:
            raise DigestMismatch("%s content does not match its digest: expected %s, got %s"
                                 % (self.what, self.expected, self.digest), digest=self.expected, actual=self.digest)
        return self.digest


class HashingWriter:
    """A file-like sink that hashes (sha256) and counts what is written, passing it on to
    ``target`` when there is one: the writing counterpart of VerifyingReader."""

    def __init__(self, target=None):
        self.target, self.hash, self.size = target, hashlib.sha256(), 0

    def write(self, data):
        if self.target is not None:
            view = memoryview(data)
            while view:  # an unbuffered file may take part of it
                written = self.target.write(view)
                view = view[len(view) if written is None else written:]
        self.hash.update(data)
        self.size += len(data)
        return len(data)

    def tell(self):
        """What tarfile asks of a file it writes into, besides ``write``."""
        return self.size

    def flush(self):
        if self.target is not None:
            self.target.flush()

    def digest(self):
        return "sha256:" + self.hash.hexdigest()
