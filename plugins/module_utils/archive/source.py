# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Random access to the files of an archive: a tar on disk or an OCI layout directory.

Nothing is ever extracted: a tar member is read in place from its offset in the archive file,
and its headers are checked once, up front, so that one unsafe name refuses the whole archive.
"""

from __future__ import annotations

import os
import stat
import tarfile

from . import safety
from .._errors import InvalidSpec

_COMPRESSED = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}


class Section:
    """``size`` bytes of a file from ``offset``: one tar member, read without tarfile."""

    def __init__(self, path, offset, size):
        self._f = open(path, "rb")
        self._f.seek(offset)
        self._left = size

    def read(self, n=-1):
        if n is None or n < 0 or n > self._left:
            n = self._left
        data = self._f.read(n)
        self._left -= len(data)
        return data

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class TarSource:
    """An uncompressed tar on disk, its entry headers read and checked once."""

    def __init__(self, path):
        self.path = path
        self._members = {}
        try:
            with open(path, "rb") as f:
                head = f.read(6)
                self._file_size = os.fstat(f.fileno()).st_size
        except OSError as exc:
            raise InvalidSpec("cannot read image archive %s: %s" % (path, exc.strerror or exc), path=path) from exc
        for magic, kind in _COMPRESSED.items():
            if head.startswith(magic):
                raise InvalidSpec("archive %s is %s-compressed: decompress it first" % (path, kind), path=path)
        try:
            with tarfile.open(path, "r:") as tar:
                for count, info in enumerate(tar, 1):
                    if count > safety.MAX_MEMBERS:
                        raise InvalidSpec("archive %s has more than %d entries" % (path, safety.MAX_MEMBERS), path=path)
                    self._add(info)
                end = tar.offset
        except tarfile.TarError as exc:
            raise InvalidSpec("archive %s is not a valid tar archive: %s" % (path, exc), path=path) from exc
        self._check_end(end)

    def _check_end(self, end):
        """tarfile takes a cut-off archive for a shorter one: insist on the end-of-archive block."""
        with open(self.path, "rb") as f:
            f.seek(end)
            block = f.read(tarfile.BLOCKSIZE)
        if len(block) < tarfile.BLOCKSIZE or block.count(0) != tarfile.BLOCKSIZE:
            raise InvalidSpec("archive %s is truncated: it ends without an end-of-archive block" % self.path,
                              path=self.path)

    def _add(self, info):
        name = safety.member_name(info.name, self.path)
        if info.offset_data + info.size > self._file_size:
            raise InvalidSpec("archive %s is truncated: %r is cut short" % (self.path, info.name), path=self.path)
        if not name:
            return
        if name in self._members and not (info.isdir() and self._members[name].isdir()):
            raise InvalidSpec("archive %s: the entry %r appears twice" % (self.path, name), path=self.path)
        self._members[name] = info

    @property
    def names(self):
        return set(self._members)

    def exists(self, name):
        return safety.member_name(name, self.path) in self._members

    def _regular(self, name, what):
        """The TarInfo of the regular file ``name`` is, following links inside the archive."""
        current = safety.member_name(name, self.path)
        for dummy in range(safety.MAX_LINK_HOPS):
            info = self._members.get(current)
            if info is None:
                raise InvalidSpec("archive %s: %s %r is not in the archive" % (self.path, what, name), path=self.path)
            if not (info.issym() or info.islnk()):
                break
            current = safety.link_target(current, info.linkname, info.issym(), self.path)
        else:
            raise InvalidSpec("archive %s: %s %r: too many links" % (self.path, what, name), path=self.path)
        if not info.isreg() or info.issparse():
            raise InvalidSpec("archive %s: %s %r is not a regular file" % (self.path, what, name), path=self.path)
        return info

    def size(self, name, what):
        return self._regular(name, what).size

    def raw_opener(self, name, what):
        info = self._regular(name, what)
        return lambda: Section(self.path, info.offset_data, info.size)

    def read_bytes(self, name, limit, what):
        info = self._regular(name, what)
        safety.check_size(info.size, limit, what, self.path)
        with Section(self.path, info.offset_data, info.size) as f:
            return f.read()


class DirSource:
    """An OCI layout directory. Files are opened without following a final symlink."""

    def __init__(self, path):
        self.path = path

    def _file(self, name):
        return os.path.join(self.path, *safety.member_name(name, self.path).split("/"))

    def exists(self, name):
        return os.path.lexists(self._file(name))

    def _open(self, name, what):
        try:
            fd = os.open(self._file(name), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError as exc:
            raise InvalidSpec("layout %s: %s %r is missing" % (self.path, what, name), path=self.path) from exc
        except OSError as exc:
            raise InvalidSpec("layout %s: cannot open %s %r: %s" % (self.path, what, name, exc), path=self.path) from exc
        f = os.fdopen(fd, "rb")
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            f.close()
            raise InvalidSpec("layout %s: %s %r is not a regular file" % (self.path, what, name), path=self.path)
        return f

    def size(self, name, what):
        with self._open(name, what) as f:
            return os.fstat(f.fileno()).st_size

    def raw_opener(self, name, what):
        self.size(name, what)  # a missing blob fails now, not when the caller gets to it
        return lambda: self._open(name, what)

    def read_bytes(self, name, limit, what):
        with self._open(name, what) as f:
            safety.check_size(os.fstat(f.fileno()).st_size, limit, what, self.path)
            return f.read(limit + 1)
