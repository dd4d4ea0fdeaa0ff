# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep what is needed to rebuild a layer tar byte for byte, without keeping the tar.

While a layer is extracted, every byte of the tar that is not regular-file content (headers,
extension records, padding, end blocks, trailing bytes) is recorded verbatim, and each file's
content is recorded as (path, size); ``reassemble`` reads the contents back from the layer.

File format (one gzip stream): ``MAGIC`` then records, each a one-byte tag:
``R <u64 n> <n bytes>`` raw tar bytes; ``F <u64 size> <u16 n> <n bytes path>`` a file's content;
``E <u64 total>`` the end (total tar size); ``N`` alone after MAGIC: the tar cannot be rebuilt
(a referenced file was replaced later in the same layer) - callers fall back to a new tar.
"""

from __future__ import annotations

import gzip
import os
import stat
import struct
import sys
import zlib

from .._errors import Corrupt, LayerError

MAGIC = b"STRATA-TARSPLIT\x01"
_RAW, _FILE, _END, _NOT_REPRODUCIBLE = b"R", b"F", b"E", b"N"
_U64 = struct.Struct(">Q")
_U16 = struct.Struct(">H")
CHUNK = 1 << 20
_NO_HOLE = (0, 0)


class SplitRecorder:
    """Wraps the uncompressed tar stream and records it as it is read.

    The extractor calls ``advance(next_header_offset, hole)`` for each member before reading
    its content: bytes before ``next_header_offset`` are then classified - inside ``hole``
    (offset, size, path) they are file content and dropped, elsewhere raw. Bytes read ahead of
    that point wait in ``pending`` (at most tarfile's read-ahead plus the next headers)."""

    def __init__(self, stream, path):
        self.stream = stream
        self.path = path
        self.out = gzip.open(path + ".tmp", "wb", compresslevel=6)
        self.out.write(MAGIC)
        self.pos = 0                # stream offset of the next byte read
        self.known = 0              # bytes before this offset are classified
        self.hole = _NO_HOLE        # [start, end) of the current file's content
        self.hole_record = None     # its F record, written when the stream reaches it
        self.raw = bytearray()      # classified raw bytes not yet written
        self.pending = bytearray()  # bytes [known, pos), not yet classified
        self.encoded = bytearray()  # finished records not yet compressed
        self.refs = set()           # paths whose content the record refers to
        self.new_ref = None
        self.reproducible = True

    def read(self, n=-1):
        data = self.stream.read(n)
        if data:
            start = self.pos
            self.pos += len(data)
            self._take(start, data)
        return data

    def advance(self, known, hole=None):
        if self.hole_record is not None:  # an empty file right before: nothing was after it yet
            self._write_record(self.hole_record)
            self.hole_record = None
        if self.new_ref:  # counted once made: making it may remove what was at its path before
            self.refs.add(self.new_ref)
            self.new_ref = None
        if hole:
            offset, size, rel = hole
            encoded = rel.encode("utf-8", "surrogateescape")
            self.hole = (offset, offset + size)
            self.hole_record = _FILE + _U64.pack(size) + _U16.pack(len(encoded)) + encoded
            self.new_ref = rel
        self._settle(known)

    def removed(self, rel, is_dir):
        """The extractor removed ``rel``: content recorded by path there is gone."""
        prefix = rel + "/"
        if rel in self.refs or (is_dir and any(p.startswith(prefix) for p in self.refs)):
            self.reproducible = False

    def finish(self):
        """Read the stream to its end (end blocks, trailing bytes) and keep the record."""
        while self.read(CHUNK):
            pass
        self._settle(sys.maxsize)
        if self.hole_record is not None:
            self._write_record(self.hole_record)
        self._write_record(_END + _U64.pack(self.pos))
        self.out.write(self.encoded)
        self.out.close()
        if not self.reproducible:
            with gzip.open(self.path + ".tmp", "wb") as out:
                out.write(MAGIC + _NOT_REPRODUCIBLE)
        os.rename(self.path + ".tmp", self.path)

    def abort(self):
        self.out.close()
        try:
            os.unlink(self.path + ".tmp")
        except FileNotFoundError:
            pass

    def _settle(self, known):
        old, self.known = self.known, known
        pending, self.pending = self.pending, bytearray()
        if pending:
            self._take(old, bytes(pending))

    def _take(self, start, data):
        below = min(start + len(data), self.known) - start
        if below > 0:
            self._classified(start, memoryview(data)[:below])
        if below < len(data):
            self.pending += data[max(below, 0):]

    def _classified(self, start, view):
        hole_start, hole_end = self.hole
        end = start + len(view)
        if self.hole_record is not None:
            before = min(end, hole_start) - start
            if before > 0:
                self._add_raw(view[:before])
            if end < hole_start:
                return
            self._write_record(self.hole_record)
            self.hole_record = None
        after = max(hole_end, start) - start
        if after < len(view):
            self._add_raw(view[after:])

    def _add_raw(self, view):
        self.raw += view
        if len(self.raw) >= CHUNK:
            self._flush_raw()

    def _flush_raw(self):
        if self.raw:
            self.encoded += _RAW + _U64.pack(len(self.raw))
            self.encoded += self.raw
            self.raw = bytearray()
        if len(self.encoded) >= CHUNK:  # few, large writes: gzip is slow per call
            self.out.write(self.encoded)
            self.encoded = bytearray()

    def _write_record(self, record):
        self._flush_raw()
        self.encoded += record


def is_reproducible(split_path):
    """False when the record says its tar cannot be rebuilt; Corrupt when it is no record."""
    try:
        with gzip.open(split_path, "rb") as rec:
            head = rec.read(len(MAGIC) + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise Corrupt("tar-split record %s is unreadable: %s" % (split_path, exc), path=split_path) from exc
    if not head.startswith(MAGIC):
        raise Corrupt("%s is not a tar-split record" % split_path, path=split_path)
    return head[len(MAGIC):] != _NOT_REPRODUCIBLE


def reassemble(split_path, layer_dir, out):
    """Write the original layer tar to ``out`` from the record and the extracted files.
    Returns the tar's size. Raises LayerError for a layer whose tar cannot be rebuilt."""
    if not is_reproducible(split_path):
        raise LayerError("the layer's original tar cannot be rebuilt (a file was replaced within it)",
                         path=split_path, reproducible=False)
    try:
        with gzip.open(split_path, "rb") as rec:
            rec.read(len(MAGIC))
            return _replay(rec, layer_dir, out, split_path)
    except (EOFError, zlib.error, struct.error) as exc:
        raise Corrupt("tar-split record %s is damaged: %s" % (split_path, exc), path=split_path) from exc


def _replay(rec, layer_dir, out, split_path):
    written = 0
    while True:
        kind = rec.read(1)
        if kind == _END:
            (total,) = _U64.unpack(rec.read(8))
            if total != written:
                raise Corrupt("tar-split record %s: rebuilt %d bytes, expected %d" % (split_path, written, total))
            return written
        if kind == _RAW:
            (size,) = _U64.unpack(rec.read(8))
            _copy(rec, out, size, split_path)
        elif kind == _FILE:
            (size,) = _U64.unpack(rec.read(8))
            (length,) = _U16.unpack(rec.read(2))
            _copy_file(layer_dir, rec.read(length).decode("utf-8", "surrogateescape"), size, out)
        else:
            raise Corrupt("tar-split record %s is damaged or cut short" % split_path, path=split_path)
        written += size


def _copy(src, out, size, what):
    while size:
        data = src.read(min(size, CHUNK))
        if not data:
            raise Corrupt("%s ends early" % what, path=what)
        out.write(data)
        size -= len(data)


def _copy_file(layer_dir, rel, size, out):
    if rel.startswith("/") or ".." in rel.split("/"):
        raise Corrupt("tar-split record names %r outside the layer" % rel)
    path = os.path.join(layer_dir, rel)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise Corrupt("layer file %s is unreadable: %s" % (path, exc.strerror), path=path) from exc
    with os.fdopen(fd, "rb", buffering=0) as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            raise Corrupt("layer file %s changed; the layer tar cannot be rebuilt" % path, path=path)
        _copy(f, out, size, path)
