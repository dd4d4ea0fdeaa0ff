# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extract one OCI layer tar into an empty directory, safely, in overlayfs form.

- Nothing is written outside ``dest``: names are resolved lexically and may not climb out;
  every parent on the way must be a real directory inside the layer (never a symlink);
  a final component that exists is replaced, not followed; hard links must point at a
  non-directory already extracted in this layer. Symlink targets are stored verbatim.
- Whiteouts become what overlayfs reads (as Docker's overlay2 driver makes them):
  ``.wh.name`` -> character device 0/0 at ``name``; ``.wh..wh..opq`` -> xattr
  ``trusted.overlay.opaque=y`` on the directory; other ``.wh..wh.*`` entries are ignored.
- Modes (setuid/sticky included), owners, times, xattrs and device nodes are kept.

Contract: on any error ``apply_layer`` raises a LayerError (or the stream's own EngineError)
and the caller removes ``dest`` with ``fs.tree.remove_tree``: it is half-written. Nothing is fsynced;
the caller syncs the filesystem once per layer.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile

from .._errors import EngineError, LayerError, UnsafePath, UnsupportedEntry
from ..oci.digest import CHUNK
from .conventions import OPAQUE, OPAQUE_XATTR, WHITEOUT, XATTR_PREFIX
from . import limits as _limits
from .tarbounds import DEFAULT_TARINFO, HeaderBound, bounded_tarinfo
from .tarsplit import SplitRecorder

_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
ENTRY_COST = 4096  # what an entry takes on disk besides its content: an inode, a directory block
_DEVICES = {tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK, tarfile.FIFOTYPE: stat.S_IFIFO}


def apply_layer(tar_stream, dest, split_out=None, limits=_limits.DEFAULT):
    """Extract ``tar_stream`` (uncompressed, read once, need not seek) into the empty directory
    ``dest``. With ``split_out``, also writes the tar-split record there (see tarsplit.py).
    ``limits`` (layer.limits.Limits): the free-space reserve and the tar header bound.
    Returns {"entries": members read, "size": bytes of regular-file content}."""
    recorder = SplitRecorder(tar_stream, split_out) if split_out else None
    return _extract(_Extractor(dest, recorder), recorder or tar_stream, dest, limits, recorder)


def unpack_archive(tar_stream, dest, limits=_limits.DEFAULT):
    """A user's tar (ADD of a local archive), uncompressed, merged into the existing directory
    ``dest`` with a layer's safety: names and hard link targets re-rooted at ``dest``, never a
    write through a symlink, the same limits. As Docker's untar (not a layer): ``.wh.`` names are
    plain files, the archive's root entry leaves ``dest`` as it is; unlike it, device nodes are
    skipped."""
    return _extract(_Extractor(dest, None, plain=True), tar_stream, dest, limits)


def _extract(extractor, stream, dest, limits, recorder=None):
    try:
        extractor.space = _limits.SpaceGuard(dest, limits)
        extractor.run(HeaderBound(stream, limits.max_header_bytes), limits.max_header_bytes)
        if recorder:
            recorder.finish()
    except BaseException as exc:
        if recorder:
            recorder.abort()
        _raise_as_layer_error(exc, extractor, dest)
    return {"entries": extractor.entries, "size": extractor.size}


def _raise_as_layer_error(exc, extractor, dest):
    translated = (tarfile.TarError, OSError, ValueError, OverflowError, RecursionError)
    if isinstance(exc, EngineError) or not isinstance(exc, translated):
        raise exc
    raise LayerError("cannot extract entry %r into %s: %s" % (extractor.current, dest, exc),
                     entry=extractor.current) from exc


def clean_name(name):
    """A member name -> its path relative to the layer root, or UnsafePath if it climbs out."""
    if "\x00" in name:
        raise UnsafePath("layer entry %r has a NUL byte in its name" % name, entry=name)
    parts = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise UnsafePath("layer entry %r points outside the layer (..)" % name, entry=name)
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


class _Extractor:
    def __init__(self, dest, recorder, plain=False):
        self.dest = dest
        self.recorder = recorder
        self.plain = plain          # a user's archive, not a layer: no whiteouts, no devices
        self.safe_dirs = {""}       # relative dirs known to be real directories (no symlinks)
        self.dir_times = {}         # rel -> (atime_ns, mtime_ns), applied last
        self.entries = 0
        self.size = 0
        self.current = None
        self.space = None

    def run(self, bound, max_header_bytes):
        tarinfo = DEFAULT_TARINFO if max_header_bytes == _limits.MAX_HEADER_BYTES else bounded_tarinfo(max_header_bytes)
        with tarfile.open(fileobj=bound, mode="r|", errors="surrogateescape", tarinfo=tarinfo) as tar:
            for member in tar:
                self.entries += 1
                self.current = member.name
                bound.next_member(tar.offset)
                self._member(tar, member)
        self.current = None
        # Children change their directory's mtime: set directory times last, deepest first.
        for rel in sorted(self.dir_times, key=lambda r: -r.count("/")):
            os.utime(self._abs(rel), ns=self.dir_times[rel], follow_symlinks=False)

    def _member(self, tar, member):
        rel = clean_name(member.name)
        parent, base = rel.rpartition("/")[::2]
        whiteout = base.startswith(WHITEOUT) and not self.plain
        is_file = member.isreg() and not whiteout
        self.space.charge(ENTRY_COST + (member.size if is_file else 0))
        if self.recorder:  # before any content is read, so the recorder never buffers it
            hole = (member.offset_data, member.size, rel) if is_file and not member.issparse() else None
            self.recorder.advance(tar.offset, hole)
        if not rel:
            if not member.isdir():
                raise UnsafePath("layer entry %r would replace the layer root" % member.name, entry=member.name)
            return None if self.plain else self._directory(member, rel, self.dest)
        if whiteout:
            return self._whiteout(member, parent, base)
        if self.plain and not (member.isreg() or member.isdir() or member.islnk() or member.issym()):
            return None  # no device nodes (nor fifos) from a user's archive
        path = os.path.join(self._real_dir(parent, create=True), base)
        if is_file:
            return self._regular(tar, member, rel, path)
        if member.isdir():
            return self._directory(member, rel, path)
        if member.islnk():
            return self._hardlink(member, rel, path)
        if member.issym():
            if "\x00" in member.linkname:
                raise UnsafePath("symlink %r has a NUL byte in its target" % member.name, entry=member.name)
            self._create(rel, path, lambda: os.symlink(member.linkname, path))
        elif member.type in _DEVICES:
            dev = 0 if member.isfifo() else os.makedev(member.devmajor, member.devminor)
            self._create(rel, path, lambda: os.mknod(path, _DEVICES[member.type] | 0o600, dev))
        else:
            raise UnsupportedEntry("layer entry %r has an unsupported type %r" % (member.name, member.type),
                                   entry=member.name)
        return self._attrs(member, path)

    def _regular(self, tar, member, rel, path):
        fd = self._create(rel, path, lambda: os.open(path, _FILE_FLAGS, 0o600))
        try:
            src = tar.fileobj  # read the content straight from the stream, as tarfile's makefile does
            src.seek(member.offset_data)
            if member.issparse():
                for offset, size in member.sparse:
                    os.lseek(fd, offset, os.SEEK_SET)
                    _copy(src, fd, size, member.name)
                os.ftruncate(fd, member.size)  # keeps the holes
            else:
                _copy(src, fd, member.size, member.name)
            self._attrs(member, fd)
        finally:
            os.close(fd)
        self.size += member.size

    def _directory(self, member, rel, path):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                self._clear(rel, path)
                os.mkdir(path, 0o700)
        self.safe_dirs.add(rel)
        self._attrs(member, path)
        self.dir_times[rel] = _times(member)

    def _whiteout(self, member, parent, base):
        directory = self._real_dir(parent, create=True)
        if base == OPAQUE:
            os.setxattr(directory, OPAQUE_XATTR, b"y", follow_symlinks=False)
            return
        if base.startswith(WHITEOUT + WHITEOUT):
            return  # other AUFS metadata: nothing for overlayfs
        name = base[len(WHITEOUT):]
        if name in ("", ".", ".."):  # ".wh..." must never turn into rmtree(dest/..)
            raise UnsafePath("whiteout %r names no entry inside the layer" % member.name, entry=member.name)
        rel, path = "/".join(p for p in (parent, name) if p), os.path.join(directory, name)
        self._create(rel, path, lambda: os.mknod(path, stat.S_IFCHR, os.makedev(0, 0)))
        os.chown(path, member.uid, member.gid, follow_symlinks=False)

    def _hardlink(self, member, rel, path):
        target_rel = clean_name(member.linkname)
        parent, base = target_rel.rpartition("/")[::2]
        if not base or self._real_dir(parent, create=False) is None:
            raise UnsafePath("hard link %r points outside the layer or through a symlink (%r)"
                             % (member.name, member.linkname), entry=member.name)
        target = os.path.join(self.dest, target_rel)
        try:
            st = os.lstat(target)
        except FileNotFoundError as exc:
            raise UnsafePath("hard link %r points at %r, which is not in this layer"
                             % (member.name, member.linkname), entry=member.name) from exc
        if stat.S_ISDIR(st.st_mode):
            raise UnsafePath("hard link %r points at a directory" % member.name, entry=member.name)
        if target_rel != rel:  # the link shares the target's inode and metadata, as GNU tar does
            self._create(rel, path, lambda: os.link(target, path, follow_symlinks=False))

    def _create(self, rel, path, make):
        """``make()`` a new entry; whatever is already there is removed first, never followed."""
        try:
            return make()
        except FileExistsError:
            self._clear(rel, path)
            return make()

    def _clear(self, rel, path):
        is_dir = stat.S_ISDIR(os.lstat(path).st_mode)
        if is_dir:
            shutil.rmtree(path)
            prefix = rel + "/"
            self.safe_dirs = {d for d in self.safe_dirs if d != rel and not d.startswith(prefix)}
            self.dir_times = {d: t for d, t in self.dir_times.items() if d != rel and not d.startswith(prefix)}
        else:
            os.unlink(path)
        if self.recorder:
            self.recorder.removed(rel, is_dir)

    def _real_dir(self, rel, create):
        """Absolute path of directory ``rel`` after checking each component is a real directory;
        missing ones are made (``create``) or the answer is None. A symlink is UnsafePath."""
        if rel in self.safe_dirs:
            return self._abs(rel)
        path, done = self.dest, ""
        for part in rel.split("/"):
            done = done + "/" + part if done else part
            path = os.path.join(path, part)
            if done in self.safe_dirs:
                continue
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                if not create:
                    return None
                os.mkdir(path)
                os.chmod(path, 0o755)  # an implied parent, as Docker makes them, whatever the umask
                mode = stat.S_IFDIR
            if not stat.S_ISDIR(mode):  # a symlink above all: never followed
                raise UnsafePath("layer entry %r goes through %r, which is not a real directory"
                                 % (self.current, done), entry=self.current)
            self.safe_dirs.add(done)
        return path

    def _abs(self, rel):
        return os.path.join(self.dest, rel) if rel else self.dest

    def _attrs(self, member, target):
        """Owner first (chown clears setuid bits and file capabilities), then xattrs, mode and
        times. ``target`` is an open fd (regular files) or a path that is never followed."""
        is_fd = isinstance(target, int)
        if is_fd:
            os.fchown(target, member.uid, member.gid)
        else:
            os.chown(target, member.uid, member.gid, follow_symlinks=False)
        for key, value in member.pax_headers.items():
            if key.startswith(XATTR_PREFIX):
                _set_xattr(member, target, key[len(XATTR_PREFIX):], value.encode("utf-8", "surrogateescape"))
        if is_fd:
            os.fchmod(target, member.mode & 0o7777)
            os.utime(target, ns=_times(member))
            return
        if not member.issym():  # Linux has no lchmod; the path is not a symlink here
            os.chmod(target, member.mode & 0o7777)
        if not member.isdir():
            os.utime(target, ns=_times(member), follow_symlinks=False)


def _set_xattr(member, target, name, value):
    if name.startswith("trusted.overlay."):
        return  # only our whiteout conversion may steer overlayfs (opaque, redirect, metacopy)
    try:
        if isinstance(target, int):
            os.setxattr(target, name, value)
        else:
            os.setxattr(target, name, value, follow_symlinks=False)
    except OSError as exc:
        if not member.issym():  # Linux refuses user.* xattrs on symlinks: skip those, as Docker does
            raise LayerError("cannot set xattr %s on layer entry %r: %s" % (name, member.name, exc.strerror),
                             entry=member.name) from exc


def _times(member):
    """(atime, mtime) in nanoseconds; PAX keeps sub-second digits that a float would round."""
    mtime = _ns(member.pax_headers.get("mtime")) or int(member.mtime * 10 ** 9)
    return _ns(member.pax_headers.get("atime")) or mtime, mtime


def _ns(text):
    whole, _dot, frac = (text or "").partition(".")
    try:
        return int(whole) * 10 ** 9 + (-1 if whole.startswith("-") else 1) * int((frac + "0" * 9)[:9])
    except ValueError:
        return None


def _copy(src, fd, size, name):
    while size:
        data = src.read(min(size, CHUNK))
        if not data:
            raise LayerError("layer entry %r is cut short" % name, entry=name)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        size -= len(data)
