# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep what is needed to rebuild a layer tar byte for byte, without keeping the tar.

While a layer is extracted, every byte of the tar that is not regular-file content (headers,
extension records, padding, end blocks, trailing bytes) is recorded verbatim, and each file's
content is recorded as (path, size). ``reassemble`` reads the file contents back from the
extracted layer. Record format (gzip-compressed): ``R <u64 len> <bytes>`` for raw bytes,
``F <u64 size> <u16 len> <path>`` for a file's content.
"""

from __future__ import annotations

import gzip
import os
import struct

from .._errors import Corrupt

_RAW = b"R"
_FILE = b"F"
_U64 = struct.Struct(">Q")
_U16 = struct.Struct(">H")
CHUNK = 1 << 20


class SplitRecorder:
    """Wraps the uncompressed tar stream; the extractor tells it where file contents lie."""

    def __init__(self, stream, path):
        self.stream = stream
        self.path = path
        self.out = gzip.open(path + ".tmp", "wb", compresslevel=6)
        self.buf = bytearray()      # bytes [buf_start, pos) not yet written or dropped
        self.buf_start = 0
        self.pos = 0
        self.data_end = 0           # end of the file content being skipped
        self.reproducible = True

    def read(self, n=-1):
        data = self.stream.read(n)
        if data:
            self.buf += data
            self.pos += len(data)
            self._drop_content()
        return data

    def _drop_content(self):
        if self.buf_start < self.data_end:
            cut = min(self.data_end, self.pos) - self.buf_start
            del self.buf[:cut]
            self.buf_start += cut

    def _emit_raw(self, upto):
        count = upto - self.buf_start
        if count > 0:
            self.out.write(_RAW + _U64.pack(count) + bytes(self.buf[:count]))
            del self.buf[:count]
            self.buf_start = upto

    def file_content(self, offset, size, rel_path):
        """A regular file's content occupies [offset, offset+size) of the stream."""
        self._emit_raw(offset)
        encoded = rel_path.encode("utf-8", "surrogateescape")
        self.out.write(_FILE + _U64.pack(size) + _U16.pack(len(encoded)) + encoded)
        self.data_end = offset + size
        self._drop_content()

    def finish(self):
        """Call after the stream was read to its end; keeps the record only if it can rebuild the tar."""
        self._emit_raw(self.pos)
        self.out.close()
        if self.reproducible:
            os.rename(self.path + ".tmp", self.path)
        else:
            os.unlink(self.path + ".tmp")

    def abort(self):
        self.out.close()
        try:
            os.unlink(self.path + ".tmp")
        except FileNotFoundError:
            pass


def reassemble(split_path, layer_dir, out):
    """Write the original layer tar to ``out`` from the record and the extracted files."""
    with gzip.open(split_path, "rb") as rec:
        while True:
            kind = rec.read(1)
            if not kind:
                return
            (size,) = _U64.unpack(rec.read(8))
            if kind == _RAW:
                _copy(rec, out, size)
            elif kind == _FILE:
                (length,) = _U16.unpack(rec.read(2))
                rel = rec.read(length).decode("utf-8", "surrogateescape")
                _copy_file(os.path.join(layer_dir, rel), size, out)
            else:
                raise Corrupt("tar-split record %s is damaged" % split_path, path=split_path)


def _copy(src, out, size):
    while size:
        data = src.read(min(size, CHUNK))
        if not data:
            raise Corrupt("tar-split record ends early")
        out.write(data)
        size -= len(data)


def _copy_file(path, size, out):
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size != size:
                raise Corrupt("layer file %s changed size; the layer cannot be rebuilt" % path, path=path)
            _copy(f, out, size)
    except OSError as exc:
        raise Corrupt("layer file %s is unreadable: %s" % (path, exc.strerror), path=path) from exc
