# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where COPY and ADD take their files from: the build context (less what ``.dockerignore``
excludes, never outside it) or an earlier stage or image (``--from``); and a digest of their
content for the build cache."""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import posixpath
import stat

from . import expand as _expand
from . import steps
from .._errors import BuildError, InvalidSpec
from ..fs import inroot
from ..oci.digest import CHUNK

_MAGIC = ("*", "?", "[")


class Prepared:
    """One COPY/ADD's sources, destination and content digest, ready to be staged."""

    def __init__(self, paths, dest, digest, exclude=None, layers=None):
        self.paths, self.dest, self.digest, self.exclude = paths, dest, digest, exclude
        self.layers = layers  # for --from: the chains to mount; paths are then inside the mount

    @contextlib.contextmanager
    def opened(self, store):
        if self.layers is None:
            yield self.paths
            return
        with store.work_dir("from-") as work:
            with steps.mounted(store, self.layers, os.path.join(work, "root")) as root:
                yield _globbed(root, self.paths) or [_inside(root, path) for path in self.paths]


class Sources:
    def __init__(self, context, ignore):
        self.context = os.path.realpath(context)
        self.ignore = ignore

    def prepare(self, builder, instruction, env, escape, results, parsed, pull):
        words = [_expand.expand(w, env, escape, instruction.line, keep_quotes=False) for w in instruction.args] \
            if instruction.json_form else _expand.expand_words(instruction.args[0], env, escape, instruction.line)
        if len(words) < 2:
            raise BuildError("line %d: %s needs a source and a destination" % (instruction.line, instruction.keyword))
        sources, dest = words[:-1], words[-1]
        for source in sources:
            if source.startswith(("http://", "https://", "git@")):
                raise BuildError("line %d: ADD from a URL is not supported (%s); download it in a RUN step"
                                 % (instruction.line, source))
        if instruction.flag("chmod"):
            raise BuildError("line %d: %s --chmod is not supported" % (instruction.line, instruction.keyword))
        origin = instruction.flag("from")
        if origin:
            return self._from_stage(builder, instruction, origin, sources, dest, results, parsed, pull)
        paths = []
        for source in sources:
            paths.extend(self._match(source, instruction))
        return Prepared(paths, dest, self._digest(paths), exclude=self._excluded)

    def _from_stage(self, builder, instruction, origin, sources, dest, results, parsed, pull):
        stage = parsed.stage(origin.lower())
        if stage is not None and stage.index < len(results):
            state = results[stage.index]
        elif stage is not None:
            raise BuildError("line %d: COPY --from=%s names a stage that is not built before this one"
                             % (instruction.line, origin))
        else:
            state = builder.image_state(origin, pull)
        digest = hashlib.sha256(("%s %r" % (state.key(), sources)).encode()).hexdigest()
        return Prepared(sources, dest, digest, layers=state.chains)

    def _match(self, source, instruction):
        rel = os.path.normpath(source.lstrip("/")) if source.strip("/") else "."
        if rel == ".." or rel.startswith("../"):
            raise BuildError("line %d: %s %s: forbidden path outside the build context"
                             % (instruction.line, instruction.keyword, source))
        pattern = os.path.join(self.context, rel)
        # A pattern is matched inside the context (links resolved there, as for --from), so no
        # directory outside it is ever listed; _inside still refuses a match that leads out.
        found = [os.path.join(self.context, m) for m in _glob_in(self.context, rel, "COPY source")] \
            if any(c in rel for c in _MAGIC) else ([pattern] if os.path.lexists(pattern) else [])
        found = [p for p in found if not self._excluded(p) and self._inside(p, instruction)]
        if not found:
            raise BuildError("line %d: %s failed: file not found in build context or excluded by .dockerignore: %s"
                             % (instruction.line, instruction.keyword, source), source=source)
        return found

    def _inside(self, path, instruction):
        if not within(os.path.realpath(os.path.dirname(path)), self.context):
            raise BuildError("line %d: %s: %s leads outside the build context through a symbolic link"
                             % (instruction.line, instruction.keyword, path))
        return True

    def _excluded(self, path):
        rel = os.path.relpath(path, self.context)
        return rel != "." and self.ignore.excluded(rel)

    def _digest(self, paths):
        """Content, names, modes and link targets of everything to copy; not times or owners."""
        digest = hashlib.sha256()
        for path in paths:
            for full in _walk(path, self._excluded):
                info = os.lstat(full)
                digest.update(("%s\0%o\0" % (os.path.relpath(full, self.context), info.st_mode)).encode())
                if stat.S_ISLNK(info.st_mode):
                    digest.update(os.readlink(full).encode())
                elif stat.S_ISREG(info.st_mode):
                    with open(full, "rb") as handle:
                        for chunk in iter(lambda: handle.read(CHUNK), b""):
                            digest.update(chunk)
        return digest.hexdigest()


def within(path, root):
    """``path`` is ``root`` or below it (a path test: ``/ctx-secrets`` is not below ``/ctx``)."""
    root = root.rstrip("/")
    return path == root or path.startswith(root + "/")


def _walk(path, excluded):
    yield path
    if os.path.isdir(path) and not os.path.islink(path):
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if not excluded(full):
                yield from _walk(full, excluded)


def _inside(root, path):
    try:
        found = os.path.join(root, inroot.resolve(root, path, "COPY --from source"))
    except InvalidSpec as exc:
        raise BuildError(str(exc)) from exc
    if not os.path.lexists(found):
        raise BuildError("COPY --from source %s: not found in the stage or image" % path, source=path)
    return found


def _globbed(root, paths):
    """Glob patterns in --from sources, matched inside the mounted stage."""
    if not any(c in p for p in paths for c in _MAGIC):
        return None
    found = []
    for path in paths:
        found.extend([_inside(root, match) for match in _glob_in(root, path)] or [_inside(root, path)])
    return found


def _glob_in(root, pattern, what="COPY --from source"):
    """The in-root paths that ``pattern`` matches (as Go's filepath.Glob: ``*`` matches dot
    names too). Each directory is listed only after its symlinks were resolved inside ``root``:
    a link to an absolute path names the stage's directory, never the host's."""
    matches = [""]
    for part in [p for p in pattern.split("/") if p not in ("", ".")]:
        if not any(c in part for c in _MAGIC):
            matches = [posixpath.join(m, part) for m in matches]
            continue
        found = []
        for match in matches:
            try:
                names = os.listdir(os.path.join(root, inroot.resolve(root, match, what)))
            except (InvalidSpec, OSError):
                continue
            found.extend(posixpath.join(match, n) for n in sorted(fnmatch.filter(names, part)))
        matches = found
    return [m for m in matches if _exists_in(root, m, what)]


def _exists_in(root, path, what):
    try:
        parent = inroot.resolve(root, posixpath.dirname(path), what)
    except InvalidSpec:
        return False
    return os.path.lexists(os.path.join(root, parent, posixpath.basename(path)))
