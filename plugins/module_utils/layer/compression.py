# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Layer blob compression: detect it, undo it as a stream, and hash what passes through.

Every reader here works on non-seekable streams (an HTTP response) and keeps memory bounded.
"""

from __future__ import annotations

import hashlib
import zlib

from .._errors import LayerError, MissingDependency

try:
    import zstandard
except ImportError:  # pragma: no cover - depends on the host
    zstandard = None

GZIP = "gzip"
ZSTD = "zstd"
NONE = "none"

RAW_CHUNK = 128 * 1024       # compressed bytes fed to zlib at a time
OUT_CHUNK = 1024 * 1024      # decompressed bytes produced per zlib call (bounds memory)

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


def decompressing_reader(raw_fileobj, kind):
    """A file-like object whose ``read(n)`` gives the uncompressed stream of ``raw_fileobj``."""
    if kind == GZIP:
        return _GzipReader(raw_fileobj)
    if kind == ZSTD:
        if zstandard is None:
            raise MissingDependency("zstandard", "to read zstd-compressed layers")
        return _ZstdReader(raw_fileobj)
    if kind == NONE:
        return raw_fileobj
    raise LayerError("unknown layer compression %r" % (kind,))


class _GzipReader:
    """Multi-member gzip over zlib: faster than GzipFile and never seeks. zlib checks each
    member's CRC32 and length; a stream cut short is an error, not a silent EOF."""

    def __init__(self, raw):
        self._raw = raw
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._in = b""
        self._buf = b""
        self._pos = 0
        self._eof = False

    def read(self, n=-1):
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(OUT_CHUNK), b""))
        if self._pos >= len(self._buf) and not self._refill():
            return b""
        chunk = self._buf[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk

    def _refill(self):
        while not self._eof:
            if not self._in:
                self._in = self._raw.read(RAW_CHUNK)
                if not self._in:
                    return self._end_of_input()
            if self._d is None:
                self._start_member()
                continue
            try:
                out = self._d.decompress(self._in, OUT_CHUNK)
            except zlib.error as exc:
                raise LayerError("the layer is not valid gzip data: %s" % exc) from exc
            if self._d.eof:
                self._in, self._d = self._d.unused_data, None
            else:
                self._in = self._d.unconsumed_tail
            if out:
                self._buf, self._pos = out, 0
                return True
        return False

    def _start_member(self):
        # Zero padding between or after members is allowed, as the gzip module allows it.
        self._in = self._in.lstrip(b"\0")
        if self._in:
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _end_of_input(self):
        if self._d is not None:
            raise LayerError("the gzip layer stream ended early (truncated download?)")
        self._eof = True
        return False


class _ZstdReader:
    """zstandard's stream reader across frames, with its errors made ours."""

    def __init__(self, raw):
        self._r = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)

    def read(self, n=-1):
        try:
            return self._r.read(n)
        except zstandard.ZstdError as exc:
            raise LayerError("the layer is not valid zstd data: %s" % exc) from exc


class HashingReader:
    """Passes reads through unchanged while counting and hashing them.

    ``digest`` is "<algorithm>:<hex>" of everything read so far, ``size`` its length."""

    def __init__(self, fileobj, algorithm="sha256"):
        self._f = fileobj
        self._algorithm = algorithm
        self._h = hashlib.new(algorithm)
        self.size = 0

    def read(self, n=-1):
        data = self._f.read(n)
        if data:
            self._h.update(data)
            self.size += len(data)
        return data

    def drain(self, chunk=OUT_CHUNK):
        """Read to the end, so that digest and size cover the whole stream."""
        while self.read(chunk):
            pass
        return self

    @property
    def digest(self):
        return "%s:%s" % (self._algorithm, self._h.hexdigest())
