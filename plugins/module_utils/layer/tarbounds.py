# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounds on tar headers, checked before ``tarfile`` reads them.

``tarfile`` reads a PAX extended header or a GNU long name whole into memory, whatever size
its header block claims, and follows chains of them recursively; the tar-split recorder keeps
another copy of every header byte. Two checks, both before the bytes are read:

- ``BoundedTarInfo`` (passed as ``tarinfo=`` to ``tarfile.open``) refuses an extension header
  whose size field is over the limit, as soon as its 512-byte block is parsed;
- ``HeaderBound`` wraps the stream and refuses more than a few limits' worth of bytes between
  the end of one member's content and the next member (chains of headers, GNU sparse maps).
"""

from __future__ import annotations

import tarfile

from .._errors import LayerError
from . import limits as _limits

_EXTENSIONS = {tarfile.XHDTYPE: "PAX extended header", tarfile.XGLTYPE: "PAX global header",
               tarfile.SOLARIS_XHDTYPE: "Solaris extended header", tarfile.GNUTYPE_LONGNAME: "GNU long name",
               tarfile.GNUTYPE_LONGLINK: "GNU long link name"}
_SLACK = 64 << 10  # tarfile's read-ahead and a few plain header blocks


def bounded_tarinfo(max_header_bytes):
    """A TarInfo class that refuses extension headers over ``max_header_bytes``."""

    class BoundedTarInfo(tarfile.TarInfo):
        @classmethod
        def frombuf(cls, buf, encoding, errors):
            info = super().frombuf(buf, encoding, errors)
            kind = _EXTENSIONS.get(info.type)
            if kind and info.size > max_header_bytes:
                raise LayerError("refusing a tar %s of %d bytes (entry %r): the limit is %d bytes"
                                 % (kind, info.size, info.name, max_header_bytes), entry=info.name, size=info.size)
            return info

    return BoundedTarInfo


DEFAULT_TARINFO = bounded_tarinfo(_limits.MAX_HEADER_BYTES)


class HeaderBound:
    """The tar stream, read with a moving bound: ``next_member(offset)`` says where the next
    header starts; reading far past it before the next member is returned is refused."""

    def __init__(self, stream, max_header_bytes):
        self.stream = stream
        self.allowance = 2 * max_header_bytes + _SLACK
        self.pos = 0
        self.bound = self.allowance

    def next_member(self, offset):
        self.bound = offset + self.allowance

    def read(self, n=-1):
        data = self.stream.read(n)
        self.pos += len(data)
        if self.pos > self.bound:
            raise LayerError("refusing a tar header chain of over %d bytes (at offset %d): extension headers"
                             " are limited" % (self.allowance, self.bound - self.allowance))
        return data
