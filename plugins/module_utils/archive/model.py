# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The value types that image archives are read into and written from.

Readers return ``ArchiveImage`` objects whose layers open as verifying streams; writers take
``SaveImage`` objects whose layers open as plain uncompressed tar streams.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from ..oci import digest as _digest

OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = OCI_LAYER + "+gzip"
OCI_LAYER_ZSTD = OCI_LAYER + "+zstd"


@dataclass(frozen=True)
class ArchiveLayer:
    """One layer blob in an archive. ``digest`` is the blob as stored (compressed or not);
    ``open()`` gives that blob as a stream that checks digest and size when it reaches EOF.
    The uncompressed content (``diff_id``) is the caller's to verify."""

    diff_id: str
    media_type: str
    digest: Optional[str]
    size: Optional[int]
    opener: Callable[[], "VerifyingStream"] = field(compare=False, repr=False)

    def open(self):
        return self.opener()


@dataclass(frozen=True)
class ArchiveImage:
    config_bytes: bytes
    config_digest: str
    repo_tags: List[str]  # as written in the archive, e.g. "busybox:latest"
    layers: List[ArchiveLayer]  # bottom first
    manifest_bytes: Optional[bytes] = None  # the OCI manifest, when the archive has one
    ref_name: Optional[str] = None  # OCI: the org.opencontainers.image.ref.name annotation

    @property
    def diff_ids(self):
        return [layer.diff_id for layer in self.layers]


# open_tar() -> a readable binary stream of exactly ``size`` bytes of uncompressed layer tar.
SaveLayer = namedtuple("SaveLayer", "diff_id size open_tar")


@dataclass(frozen=True)
class SaveImage:
    config_bytes: bytes
    config_digest: str
    repo_tags: List[str]
    layers: List[SaveLayer]  # or plain (diff_id, size, open_tar) tuples, bottom first


class VerifyingStream(_digest.VerifyingReader):
    """A VerifyingReader that checks itself at EOF and owns (closes) the stream it reads."""

    def read(self, n=-1):
        data = super().read(n)
        if n is None or n < 0 or (not data and n != 0):  # read(-1) reads to EOF: check now
            self.finish()
        return data

    def close(self):
        close = getattr(self._f, "close", None)
        if close is not None:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def verified_opener(open_raw, digest, size, what):
    """An ``ArchiveLayer.opener``: each call opens the raw blob afresh, wrapped to verify it."""
    def opener():
        return VerifyingStream(open_raw(), digest, size, what=what)
    return opener
