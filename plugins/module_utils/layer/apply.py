# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extract one OCI layer tar into an empty directory, safely, in overlayfs form.

- Nothing is written outside ``dest``: names are resolved lexically and may not climb out;
  every parent on the way must be a real directory made by this layer (never a symlink);
  a final component that exists is replaced, not followed; hard links must point at a
  non-directory already extracted in this layer.
- Whiteouts become what overlayfs reads: ``.wh.name`` -> character device 0/0 at ``name``,
  ``.wh..wh..opq`` -> xattr ``trusted.overlay.opaque=y`` on the directory.
- Modes (setuid included), owners, times, xattrs and device nodes are kept.
Contract: on any error the caller removes ``dest`` (it is half-written).
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile

from .._errors import LayerError, UnsafePath, UnsupportedEntry
from .tarsplit import SplitRecorder

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
XATTR_PREFIX = "SCHILY.xattr."
CHUNK = 1 << 20
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def apply_layer(tar_stream, dest, split_out=None):
    """Extract ``tar_stream`` (uncompressed, read once) into ``dest``; returns counts.
    With ``split_out``, also writes the tar-split record there (see tarsplit.py)."""
    recorder = SplitRecorder(tar_stream, split_out) if split_out else None
    extractor = _Extractor(dest, recorder)
    try:
        extractor.run(recorder or tar_stream)
        reader = recorder or tar_stream
        while reader.read(CHUNK):  # end-of-archive blocks and anything after them
            pass
        if recorder:
            recorder.finish()
    except tarfile.TarError as exc:
        _abort(recorder)
        raise LayerError("the layer is not a valid tar archive: %s" % exc) from exc
    except OSError as exc:
        _abort(recorder)
        raise LayerError("cannot extract the layer into %s: %s" % (dest, exc)) from exc
    except BaseException:
        _abort(recorder)
        raise
    return {"entries": extractor.entries, "size": extractor.size}


def _abort(recorder):
    if recorder:
        recorder.abort()


def clean_name(name):
    """A member name -> its path relative to the layer root, or UnsafePath if it climbs out."""
    if "\x00" in name:
        raise UnsafePath("layer entry %r has a NUL byte in its name" % name)
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
    def __init__(self, dest, recorder):
        self.dest = dest
        self.recorder = recorder
        self.safe_dirs = {""}       # relative dirs known to be real directories made here
        self.dir_times = []
        self.entries = 0
        self.size = 0

    def run(self, stream):
        # tarfile slices its read buffer per header: the default record size is the fastest here.
        with tarfile.open(fileobj=stream, mode="r|", errors="surrogateescape") as tar:
            for member in tar:
                self.entries += 1
                self._member(tar, member)
        # Children change their directory's mtime: set directory times last, deepest first.
        for path, mtime in sorted(self.dir_times, key=lambda item: -item[0].count("/")):
            os.utime(path, (mtime, mtime), follow_symlinks=False)

    def _member(self, tar, member):
        rel = clean_name(member.name)
        if not rel:
            return self._root_attrs(member)
        parent, base = rel.rpartition("/")[::2]
        if base == OPAQUE:
            path = self._ensure_dir(parent)
            os.setxattr(path, OPAQUE_XATTR, b"y")
            return None
        if base.startswith(WHITEOUT):
            if base.startswith(WHITEOUT + WHITEOUT):
                return None  # other AUFS metadata: nothing for overlayfs
            return self._whiteout("/".join(p for p in (parent, base[len(WHITEOUT):]) if p))
        path = os.path.join(self._ensure_dir(parent), base)
        if member.isreg():
            return self._regular(tar, member, rel, path)
        self._clear(rel, path, keep_dir=member.isdir())
        if member.isdir():
            if not os.path.isdir(path):
                os.mkdir(path, 0o700)
            self.safe_dirs.add(rel)
            self._attrs(member, path)
            self.dir_times.append((path, member.mtime))
        elif member.issym():
            os.symlink(member.linkname, path)
            self._attrs(member, path)
        elif member.islnk():
            self._hardlink(member, path)
        elif member.ischr() or member.isblk():
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
            self._attrs(member, path)
        elif member.isfifo():
            os.mkfifo(path, 0o600)
            self._attrs(member, path)
        else:
            raise UnsupportedEntry("layer entry %r has an unsupported type %r" % (member.name, member.type),
                                   entry=member.name)
        return None

    def _regular(self, tar, member, rel, path):
        try:
            fd = os.open(path, _FILE_FLAGS, 0o600)
        except FileExistsError:
            self._clear(rel, path, keep_dir=False)
            fd = os.open(path, _FILE_FLAGS, 0o600)
        try:
            if self.recorder and not member.issparse():
                self.recorder.file_content(member.offset_data, member.size, rel)
            src = tar.extractfile(member)
            with os.fdopen(fd, "wb", closefd=False) as out:
                shutil.copyfileobj(src, out, CHUNK)
            self._attrs(member, fd)
        finally:
            os.close(fd)
        self.size += member.size

    def _ensure_dir(self, rel):
        """The absolute path of directory ``rel``, made if missing; refuses symlinks on the way."""
        if rel in self.safe_dirs:
            return os.path.join(self.dest, rel) if rel else self.dest
        parent, base = rel.rpartition("/")[::2]
        path = os.path.join(self._ensure_dir(parent), base)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            os.mkdir(path, 0o755)  # an implied parent, as Docker makes them
        else:
            if stat.S_ISLNK(st.st_mode):
                raise UnsafePath("layer entry goes through the symlink %r: refusing to write through it" % rel,
                                 entry=rel)
            if not stat.S_ISDIR(st.st_mode):
                raise UnsafePath("layer entry goes through %r, which is not a directory" % rel, entry=rel)
        self.safe_dirs.add(rel)
        return path

    def _clear(self, rel, path, keep_dir):
        """Make room at ``path``: what is there is replaced, never followed."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if keep_dir and stat.S_ISDIR(st.st_mode):
            return
        if self.recorder:
            self.recorder.reproducible = False  # an earlier entry's content is gone
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path)
            prefix = rel + "/"
            self.safe_dirs = {d for d in self.safe_dirs if d != rel and not d.startswith(prefix)}
        else:
            os.unlink(path)

    def _whiteout(self, rel):
        parent, base = rel.rpartition("/")[::2]
        path = os.path.join(self._ensure_dir(parent), base)
        self._clear(rel, path, keep_dir=False)
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(0, 0))

    def _hardlink(self, member, path):
        target_rel = clean_name(member.linkname)
        parent, base = target_rel.rpartition("/")[::2]
        if not base or (parent not in self.safe_dirs and not self._is_real_dir(parent)):
            raise UnsafePath("hard link %r points outside the layer (%r)" % (member.name, member.linkname),
                             entry=member.name)
        target = os.path.join(self.dest, target_rel)
        try:
            st = os.lstat(target)
        except FileNotFoundError as exc:
            raise UnsafePath("hard link %r points at %r, which is not in this layer"
                             % (member.name, member.linkname), entry=member.name) from exc
        if stat.S_ISDIR(st.st_mode):
            raise UnsafePath("hard link %r points at a directory" % member.name, entry=member.name)
        os.link(target, path, follow_symlinks=False)

    def _is_real_dir(self, rel):
        """True if every component of ``rel`` is a directory (no symlink) inside the layer."""
        path = self.dest
        for part in rel.split("/") if rel else []:
            path = os.path.join(path, part)
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    return False
            except FileNotFoundError:
                return False
        return True

    def _root_attrs(self, member):
        if member.isdir():
            self._attrs(member, self.dest)
        return None

    def _attrs(self, member, target):
        """Owner first (chown clears setuid bits and file capabilities), then xattrs, mode and
        mtime. ``target`` is an open fd (regular files) or a path (never followed)."""
        is_fd = isinstance(target, int)
        if is_fd:
            os.fchown(target, member.uid, member.gid)
        else:
            os.lchown(target, member.uid, member.gid)
        for key, value in member.pax_headers.items():
            if key.startswith(XATTR_PREFIX):
                name, data = key[len(XATTR_PREFIX):], value.encode("utf-8", "surrogateescape")
                if is_fd:
                    os.setxattr(target, name, data)
                else:
                    os.setxattr(target, name, data, follow_symlinks=False)
        if is_fd:
            os.fchmod(target, member.mode & 0o7777)
            os.utime(target, (member.mtime, member.mtime))
        elif not member.issym():
            os.chmod(target, member.mode & 0o7777)
        if not is_fd and not member.isdir():
            os.utime(target, (member.mtime, member.mtime), follow_symlinks=False)
