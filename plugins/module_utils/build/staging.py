# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""COPY and ADD lay their sources out in a staging directory that becomes the layer.

The staging directory is written as ``layer/apply.py`` writes a layer: every parent on the
way must be a real directory inside it (a symlink that an earlier source put there is never
followed), an entry that exists is replaced, not written through. The destination is resolved
in the stage's root as Docker does (``COPY x /bin/`` on a usrmerge image lands in /usr/bin),
and nothing of the host outside the sources is read.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import posixpath
import shutil
import stat
import tarfile

from ..fs import inroot
from .._errors import BuildError, InvalidSpec, LayerError
from ..layer import apply as _apply
from ..layer import limits as _limits
from .state import join_path

_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_OPENERS = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


def stage_copy(sources, dest, view, stage_dir, workdir, unpack=False, exclude=None, limits=_limits.DEFAULT):
    """Lay ``sources`` (host paths, already checked to be inside their root) out under
    ``stage_dir`` as ``dest`` in the image, as COPY does; ``view`` is the stage's current root
    (to tell whether ``dest`` is a directory there and to copy its parents' metadata);
    ``limits`` bound what an ADD'ed archive may unpack (the store's free-space reserve)."""
    target = join_path(workdir, dest)
    into_dir = dest.endswith("/") or len(sources) > 1 or _is_dir_in(view, target)
    if len(sources) > 1 and not dest.endswith("/"):
        raise BuildError("When using COPY with more than one source file, the destination must be a directory "
                         "and end with a /")
    if into_dir:
        target = _in_view(view, target)
    else:
        target = posixpath.join(_in_view(view, posixpath.dirname(target)), posixpath.basename(target))
    stage = _Stage(stage_dir, view, limits)
    stage.parents(target if into_dir else posixpath.dirname(target))
    for source in sources:
        if _is_real_dir(source):
            stage.tree(source, target, exclude or (lambda path: False))
        elif unpack and _is_archive(source):
            stage.unpack(source, target)
        else:
            stage.file(source, posixpath.join(target, os.path.basename(source)) if into_dir else target, top=True)


def _in_view(view, path):
    """``path`` with the image's symlinks followed inside its root, as Docker resolves a destination."""
    try:
        return "/" + inroot.resolve(view, path, "destination")
    except InvalidSpec as exc:
        raise BuildError(str(exc)) from exc


def _is_dir_in(view, path):
    try:
        return os.path.isdir(os.path.join(view, inroot.resolve(view, path, "destination")))
    except InvalidSpec:
        return False


def _is_real_dir(path):
    return stat.S_ISDIR(os.lstat(path).st_mode)


def _is_archive(path):
    return stat.S_ISREG(os.lstat(path).st_mode) and tarfile.is_tarfile(path)


class _Stage:
    def __init__(self, root, view, limits=_limits.DEFAULT):
        self.root = root
        self.view = view
        self.limits = limits

    def directory(self, image_path):
        """The host path of ``image_path`` in the stage, each missing directory made; a
        symlink or file on the way is refused, never followed."""
        path = self.root
        for part in [p for p in image_path.split("/") if p]:
            path = os.path.join(path, part)
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                os.mkdir(path, 0o755)
                continue
            if not stat.S_ISDIR(mode):
                raise BuildError("cannot copy to %s: %s in the image is not a directory (an earlier source "
                                 "made it a %s)" % (image_path, path[len(self.root):],
                                                    "symbolic link" if stat.S_ISLNK(mode) else "file"))
        return path

    def parents(self, image_path):
        """Each directory of the destination, with the mode, owner and times it has in the image."""
        parts = [p for p in image_path.split("/") if p]
        for i in range(len(parts)):
            rel = "/".join(parts[:i + 1])
            if os.path.lexists(os.path.join(self.root, rel)):  # its parents are real directories
                self.directory(rel)
                continue
            staged = self.directory(rel)
            try:  # the destination was resolved in the view: no symlink on the way there
                info = os.lstat(os.path.join(self.view, rel))
            except (FileNotFoundError, NotADirectoryError):
                continue
            if stat.S_ISDIR(info.st_mode):
                os.chmod(staged, info.st_mode & 0o7777)
                os.chown(staged, info.st_uid, info.st_gid)
                os.utime(staged, ns=(info.st_atime_ns, info.st_mtime_ns))

    def tree(self, source, image_path, exclude):
        """The directory's contents (not the directory itself) into ``image_path``."""
        self.directory(image_path)
        for entry in sorted(os.listdir(source)):
            path = os.path.join(source, entry)
            if exclude(path):
                continue
            inner = posixpath.join(image_path, entry)
            if _is_real_dir(path):
                staged = self.directory(inner)
                shutil.copystat(path, staged, follow_symlinks=False)
                os.lchown(staged, 0, 0)
                self.tree(path, inner, exclude)
            else:
                self.file(path, inner)

    def file(self, source, image_path, top=False):
        """One non-directory; at the top a directory already at ``image_path`` receives it."""
        parent, name = posixpath.split(image_path)
        host = os.path.join(self.directory(parent), name)
        if top and os.path.lexists(host) and _is_real_dir(host):
            host = os.path.join(self.directory(image_path), os.path.basename(source))
        if os.path.lexists(host):
            if _is_real_dir(host):
                shutil.rmtree(host)
            else:
                os.unlink(host)
        _copy_entry(source, host)

    def unpack(self, source, image_path):
        """ADD of a local tar (plain, gzip, bzip2 or xz): merged into ``image_path``."""
        target = self.directory(image_path)
        try:
            with _open_archive(source) as stream:
                _apply.unpack_archive(stream, target, self.limits)
        except LayerError as exc:
            raise BuildError("ADD %s: %s" % (os.path.basename(source), exc)) from exc
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise BuildError("ADD %s: cannot read the archive: %s" % (os.path.basename(source), exc)) from exc


def _copy_entry(source, host):
    """A copy that reads only ``source`` itself: a symlink is copied as a link, a device node
    or fifo is made anew (never opened), a regular file's content is read from it. The copy
    is root's (unless --chown says otherwise) with the source's mode, setuid bits included."""
    info = os.lstat(source)
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(source), host)
        os.lchown(host, 0, 0)
        return
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
        os.mknod(host, stat.S_IFMT(mode) | 0o600, info.st_rdev)
    elif stat.S_ISREG(mode):
        _copy_file(source, host)
    else:
        return  # a socket: Docker's context transfer skips them too
    os.lchown(host, 0, 0)  # before the mode: a chown clears setuid bits
    shutil.copystat(source, host, follow_symlinks=False)


def _copy_file(source, host):
    src = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):  # replaced since it was looked at
            raise BuildError("%s changed while it was copied" % source)
        out = os.open(host, _FILE_FLAGS, 0o600)
        try:
            with os.fdopen(src, "rb", closefd=False) as reader, os.fdopen(out, "wb", closefd=False) as writer:
                shutil.copyfileobj(reader, writer, 1 << 20)
        finally:
            os.close(out)
    finally:
        os.close(src)


def _open_archive(path):
    with open(path, "rb") as handle:
        head = handle.read(6)
    for magic, opener in _OPENERS:
        if head.startswith(magic):
            return opener(path, "rb")
    return open(path, "rb")
