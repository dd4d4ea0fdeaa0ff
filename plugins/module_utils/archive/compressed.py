# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image archives compressed as a whole (``docker save | gzip``, ``podman save | zstd`` or
``| xz``), found by their magic bytes, whatever their name.

The archive readers need random access (manifest.json may come after the layers, and a layer
is read from its offset), so the compressed stream is decompressed once, as a stream, into one
temporary tar that the readers use in place, then removed: one plain copy on disk for the
duration of the load, as Podman (containers/image) does for a compressed docker-archive.
Decompressing is charged to the same limits as a layer: the inflation ratio (a bomb stops
there) and the free-space reserve of the filesystem it is written to.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import tempfile
import zlib

from .._deps import need_zstandard
from .._errors import EngineError, InvalidSpec, LayerError
from ..layer import limits as _limits
from ..layer.compression import Counted
from ..oci.digest import CHUNK

GZIP, ZSTD, XZ, BZIP2 = "gzip", "zstd", "xz", "bzip2"
_MAGIC = ((b"\x1f\x8b", GZIP), (b"\x28\xb5\x2f\xfd", ZSTD), (b"\xfd7zXZ\x00", XZ), (b"BZh", BZIP2))


def detect(path):
    """The compression of the file at ``path`` (None: not compressed, or not a file)."""
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        head = f.read(6)
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


@contextlib.contextmanager
def plain_archive(path, work_dir=None, limits=_limits.DEFAULT):
    """``path`` itself when it is not compressed, else a decompressed copy for the ``with``
    block, in the directory ``work_dir()`` (a context manager) yields, or a temporary one of the
    system's. Errors met inside the block name ``path``, not the copy."""
    kind = detect(path)
    if kind is None:
        yield path
        return
    with (work_dir or _system_temp)() as work:
        plain = os.path.join(work, "archive.tar")
        try:
            decompress(path, kind, plain, limits)
            yield plain
        except EngineError as exc:
            exc.message = exc.message.replace(plain, "%s (%s-decompressed)" % (path, kind))
            exc.args = (exc.message,)
            raise


def _system_temp():
    return tempfile.TemporaryDirectory(prefix="strata-load-")


def decompress(path, kind, out_path, limits=_limits.DEFAULT):
    """Write the decompressed stream of ``path`` to ``out_path``, within ``limits``."""
    with open(path, "rb") as raw, open(out_path, "wb") as out:
        counted = Counted(raw)
        reader = _reader(counted, kind)
        space = _limits.SpaceGuard(os.path.dirname(out_path), limits)
        written = 0
        while True:
            chunk = _read(reader, path, kind)
            if not chunk:
                break
            written += len(chunk)
            _check_inflation(limits, counted.size, written, path)
            space.charge(len(chunk))
            out.write(chunk)


def _reader(raw, kind):
    if kind == GZIP:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == XZ:
        return lzma.LZMAFile(raw)
    if kind == BZIP2:
        return bz2.BZ2File(raw)
    return _ZstdFrames(raw, need_zstandard())


def _read(reader, path, kind):
    try:
        return reader.read(CHUNK)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise InvalidSpec("archive %s: its %s data is damaged or cut short (%s)" % (path, kind, exc),
                          path=path) from exc
    except Exception as exc:  # zstandard.ZstdError, which needs zstandard imported to name
        if type(exc).__name__ != "ZstdError":
            raise
        raise InvalidSpec("archive %s: its %s data is damaged or cut short (%s)" % (path, kind, exc),
                          path=path) from exc


def _check_inflation(limits, packed, unpacked, path):
    try:
        _limits.check_inflation(limits, packed, unpacked)
    except LayerError as exc:
        raise InvalidSpec("archive %s: refusing to decompress it: %d compressed bytes inflated to over %d bytes,"
                          " more than %d times their size (option max_inflation_ratio): a decompression bomb?"
                          % (path, packed, unpacked, limits.max_inflation_ratio), path=path) from exc


class _ZstdFrames:
    """zstd frames one after another, fed in small pieces: zstandard's stream reader takes a
    stream cut in the middle of a frame for its end, and one decompress call returns all its
    output at once (an RLE block inflates 32768 times), so the input is bounded instead."""

    PIECE = 1024

    def __init__(self, raw, zstandard):
        self._raw, self._zstandard, self._obj = raw, zstandard, None

    def read(self, dummy_n=-1):
        while True:
            piece = self._raw.read(self.PIECE)
            if not piece:
                if self._obj is not None:
                    raise EOFError("the stream ends inside a zstd frame")
                return b""
            out = []
            while piece:
                if self._obj is None:
                    self._obj = self._zstandard.ZstdDecompressor().decompressobj()
                out.append(self._obj.decompress(piece))
                piece, self._obj = (self._obj.unused_data, None) if self._obj.eof else (b"", self._obj)
            data = b"".join(out)
            if data:
                return data
