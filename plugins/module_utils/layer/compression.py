# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Layer blob compression: detect it and undo it as a stream.

Every reader here works on non-seekable streams (an HTTP response) and keeps memory bounded.
"""

from __future__ import annotations

import gzip
import zlib

from .._deps import need_zstandard
from .._errors import LayerError
from . import limits as _limits

GZIP = "gzip"
ZSTD = "zstd"
NONE = "none"


_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def detect(media_type, first_bytes=b""):
    """'gzip', 'zstd' or 'none' from the media type; the magic bytes decide when it says nothing."""
    mt = (media_type or "").strip().lower()
    if mt.endswith("+gzip") or mt.endswith(".tar.gzip") or mt.endswith(".tar.gz"):
        return GZIP
    if mt.endswith("+zstd") or mt.endswith(".tar.zstd"):
        return ZSTD
    if mt.endswith(".tar") and (mt.startswith("application/vnd.oci.") or mt.endswith(".rootfs.diff.tar")):
        return NONE
    first_bytes = first_bytes or b""
    if first_bytes.startswith(_GZIP_MAGIC):
        return GZIP
    if first_bytes.startswith(_ZSTD_MAGIC):
        return ZSTD
    return NONE


def decompressing_reader(raw_fileobj, kind, limits=_limits.DEFAULT):
    """A file-like object whose ``read(n)`` gives the uncompressed stream of ``raw_fileobj``;
    a stream that inflates past ``limits`` (a Limits) is a LayerError."""
    if kind == NONE:
        return raw_fileobj
    counted = Counted(raw_fileobj)
    if kind == GZIP:
        reader = _GzipReader(counted)
    elif kind == ZSTD:
        reader = _ZstdReader(counted, need_zstandard())
    else:
        raise LayerError("unknown layer compression %r" % (kind,))
    return _Bounded(reader, counted, limits) if limits.max_inflation_ratio else reader


class Counted:
    """Counts the compressed bytes the decompressor has taken."""

    def __init__(self, raw):
        self._raw = raw
        self.size = 0

    def read(self, n=-1):
        data = self._raw.read(n)
        self.size += len(data)
        return data


class _Bounded:
    """The uncompressed stream, refused once it is too large for what went in (counting per read,
    never per byte)."""

    def __init__(self, reader, counted, limits):
        self._reader, self._counted, self._limits = reader, counted, limits
        self.size = 0

    def read(self, n=-1):
        data = self._reader.read(n)
        self.size += len(data)
        if self.size > self._limits.inflation_check_after:
            _limits.check_inflation(self._limits, self._counted.size, self.size)
        return data


class _GzipReader:
    """The gzip module on a stream that never seeks, its errors made ours: a damaged or
    truncated layer is a LayerError, not a silent EOF."""

    def __init__(self, raw):
        self._f = gzip.GzipFile(fileobj=raw, mode="rb")

    def read(self, n=-1):
        try:
            return self._f.read(n)
        except (OSError, EOFError, zlib.error) as exc:
            raise LayerError("the layer is not valid gzip data: %s" % exc) from exc


class _ZstdReader:
    """zstandard's stream reader across frames, with its errors made ours."""

    def __init__(self, raw, zstandard):
        self._error = zstandard.ZstdError
        self._r = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)

    def read(self, n=-1):
        try:
            return self._r.read(n)
        except self._error as exc:
            raise LayerError("the layer is not valid zstd data: %s" % exc) from exc
