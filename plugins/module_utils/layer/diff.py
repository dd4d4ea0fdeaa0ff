# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a directory as an uncompressed OCI layer tar: the reverse of apply.py.

- ``overlay=True`` reads an overlayfs upper directory (``docker commit``, build ``RUN`` steps):
  a character device 0/0 becomes the whiteout ``.wh.name``, an empty file (mode 0600, as Docker
  writes it); a directory with ``trusted.overlay.opaque=y`` is followed by ``.wh..wh..opq``.
- ``overlay=False`` reads a plain directory (export, import, COPY staging): device nodes stay.
- In both, ``trusted.overlay.*`` xattrs (opaque, redirect, metacopy, origin) are never written:
  apply.py refuses them too. Other xattrs go into PAX ``SCHILY.xattr.*`` records.
- Deterministic, as Docker walks: depth first, names sorted by their bytes, a directory before
  its contents, the root itself left out, whole-second mtimes, numeric owners only (no names).
  A later path of an inode already written is a hard link to the first; sockets are skipped.
"""

from __future__ import annotations

import collections
import errno
import os
import stat
import tarfile
import tempfile

from .._errors import LayerError, UnsupportedEntry
from ..fs.atomic import fsync_dir
from ..oci.digest import HashingWriter
from .conventions import OPAQUE, OPAQUE_XATTR, OVERLAY_XATTRS, WHITEOUT, XATTR_PREFIX

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_TYPES = {stat.S_IFREG: tarfile.REGTYPE, stat.S_IFDIR: tarfile.DIRTYPE, stat.S_IFLNK: tarfile.SYMTYPE,
          stat.S_IFCHR: tarfile.CHRTYPE, stat.S_IFBLK: tarfile.BLKTYPE, stat.S_IFIFO: tarfile.FIFOTYPE}

LayerTar = collections.namedtuple("LayerTar", "diff_id size")


def write_layer(source_dir, out, overlay=True, exclude=None, chown=None):
    """Write the contents of ``source_dir`` as a PAX tar into the binary file object ``out``
    (only ``write`` is used). ``exclude(relpath)`` true skips a path (a directory with all it
    holds); ``chown=(uid, gid)`` replaces every owner. Returns LayerTar(diff_id, size): the
    ``sha256:<hex>`` of the bytes written and their count. Failures raise LayerError."""
    sink = HashingWriter(out)
    walker = _Walker(source_dir, overlay, exclude, chown)
    try:
        with tarfile.open(fileobj=sink, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                          errors="surrogateescape") as tar:
            walker.run(tar)
    except (OSError, tarfile.TarError, ValueError) as exc:
        raise LayerError("cannot write a layer tar of %s at %r: %s" % (source_dir, walker.current, exc),
                         entry=walker.current) from exc
    return LayerTar(sink.digest(), sink.size)


def tar_directory(source_dir, path, overlay=False, exclude=None, chown=None):
    """``write_layer`` into the file ``path``, which appears whole or not at all."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-" + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "wb") as out:
            result = write_layer(source_dir, out, overlay=overlay, exclude=exclude, chown=chown)
            out.flush()
            os.fsync(out.fileno())  # before the rename: a crash must not leave a short tar under the name
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(directory)
    return result


class _Walker:
    def __init__(self, root, overlay, exclude, chown):
        self.root = root
        self.overlay = overlay
        self.exclude = exclude
        self.chown = chown
        self.seen = {}          # (st_dev, st_ino) -> first relative path written for it
        self.current = "."

    def run(self, tar):
        stack = self._children("", self.root)
        while stack:  # a stack, not recursion: trees can be deeper than Python's recursion limit
            rel, path = stack.pop()
            if self.exclude and self.exclude(rel):
                continue
            self.current = rel
            if self._entry(tar, rel, path, os.lstat(path)):
                stack.extend(self._children(rel, path))
        self.current = None

    @staticmethod
    def _children(rel, path):
        names = sorted(os.listdir(path), key=os.fsencode, reverse=True)  # popped smallest first
        return [(rel + "/" + name if rel else name, os.path.join(path, name)) for name in names]

    def _entry(self, tar, rel, path, st):
        """Add one entry; True if it is a directory whose contents come next."""
        fmt = stat.S_IFMT(st.st_mode)
        if fmt == stat.S_IFSOCK:
            return False  # a socket cannot be stored: Docker skips them too
        if fmt not in _TYPES:
            raise UnsupportedEntry("%r in %s has an unsupported file type %o" % (rel, self.root, fmt), entry=rel)
        if self.overlay and fmt == stat.S_IFCHR and st.st_rdev == 0:
            # Before the hard-link check: overlayfs may hard-link all whiteouts to one inode.
            parent, base = rel.rpartition("/")[::2]
            tar.addfile(self._info(parent + "/" + WHITEOUT + base if parent else WHITEOUT + base,
                                   tarfile.REGTYPE, st, mode=0o600))
            return False
        info = self._info(rel, _TYPES[fmt], st)
        if fmt != stat.S_IFDIR and st.st_nlink > 1:
            first = self.seen.setdefault((st.st_dev, st.st_ino), rel)
            if first != rel:
                info.type, info.linkname = tarfile.LNKTYPE, first
                tar.addfile(info)
                return False
        xattrs = _xattrs(path)
        info.pax_headers = {XATTR_PREFIX + name: value.decode("utf-8", "surrogateescape")
                            for name, value in xattrs.items() if not name.startswith(OVERLAY_XATTRS)}
        if fmt == stat.S_IFREG:
            self._regular(tar, info, path, st)
            return False
        if fmt == stat.S_IFLNK:
            info.linkname = os.readlink(path)
        elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        tar.addfile(info)
        if fmt != stat.S_IFDIR:
            return False
        if self.overlay and xattrs.get(OPAQUE_XATTR) == b"y":  # right after the directory, as Docker writes it
            tar.addfile(self._info(rel + "/" + OPAQUE, tarfile.REGTYPE, st, mode=stat.S_IMODE(st.st_mode) & 0o777))
        return True

    def _regular(self, tar, info, path, st):
        fd = os.open(path, _READ_FLAGS)
        with os.fdopen(fd, "rb", buffering=0) as src:
            now = os.fstat(fd)
            if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
                raise LayerError("%r in %s was replaced while the layer was written" % (self.current, self.root),
                                 entry=self.current)
            info.size = now.st_size  # a file that shrinks meanwhile is an error in addfile
            tar.addfile(info, src)

    def _info(self, name, kind, st, mode=None):
        info = tarfile.TarInfo(name)  # tarfile adds the trailing "/" to directory names
        info.type = kind
        info.mode = stat.S_IMODE(st.st_mode) if mode is None else mode
        info.uid, info.gid = self.chown or (st.st_uid, st.st_gid)
        info.mtime = st.st_mtime_ns // 10 ** 9  # an int: a float would add a PAX mtime record
        return info


def _xattrs(path):
    """name -> value of every xattr on ``path`` (never followed), sorted by name."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return {}
        raise
    values = {}
    for name in sorted(names):
        try:
            values[name] = os.getxattr(path, name, follow_symlinks=False)
        except OSError as exc:
            if exc.errno != errno.ENODATA:  # removed since listed
                raise
    return values
