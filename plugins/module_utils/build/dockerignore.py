# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``.dockerignore``: which build-context paths are left out, as moby's ``patternmatcher``.

Patterns are cleaned like Go's ``filepath.Clean`` and matched against slash-separated paths
relative to the context: ``*`` and ``?`` stop at ``/``, ``**`` crosses directories, ``[...]`` is a
class, ``\\`` escapes. A path is excluded if it or one of its parent directories matches; ``!``
patterns re-include, and the last pattern that matches wins.
"""

from __future__ import annotations

import os
import re

from .._errors import BuildError

_EXACT, _PREFIX, _SUFFIX, _REGEX = "exact", "prefix", "suffix", "regex"
_REGEX_SPECIALS = ".+()|{}$"


class DockerIgnore:
    """The patterns of one ``.dockerignore``; ``lines`` are the file's lines."""

    def __init__(self, lines=()):
        self.patterns = [_Pattern(text) for text in _read_lines(lines)]
        self.has_exceptions = any(pattern.exclusion for pattern in self.patterns)

    def excluded(self, relpath, is_dir=False):
        """True if the context path ``relpath`` is left out. Docker's patterns match files and
        directories alike (a trailing ``/`` is cleaned away), so ``is_dir`` changes nothing."""
        del is_dir
        path = clean(relpath.replace(os.sep, "/")).lstrip("/")
        if path in ("", "."):
            return False  # the context itself is never excluded
        parents = path.split("/")[:-1]
        matched = False
        for pattern in self.patterns:
            # Only a pattern that could change the answer is tried.
            if pattern.exclusion != matched:
                continue
            match = pattern.match(path) or any(pattern.match("/".join(parents[:i + 1])) for i in range(len(parents)))
            if match:
                matched = not pattern.exclusion
        return matched

    def walk(self, context_dir):
        """Yield the relative paths of the context's files and directories that are not excluded,
        sorted, parents first. An excluded directory is still entered when a ``!`` pattern could
        bring back something inside; it is then yielded before the first thing it holds."""
        return self._walk(context_dir, "")

    def _walk(self, root, prefix):
        try:
            entries = sorted(os.scandir(os.path.join(root, prefix)), key=lambda entry: entry.name)
        except OSError as exc:
            raise BuildError("cannot read the build context %s: %s" % (os.path.join(root, prefix), exc)) from exc
        for entry in entries:
            path = prefix + "/" + entry.name if prefix else entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if not self.excluded(path):
                yield path
                if is_dir:
                    yield from self._walk(root, path)
            elif is_dir and self.has_exceptions:
                inside = list(self._walk(root, path))
                if inside:
                    yield path
                    yield from inside


def from_file(path):
    """The :class:`DockerIgnore` of the file at ``path``; a missing file excludes nothing."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return DockerIgnore()
    except OSError as exc:
        raise BuildError("cannot read %s: %s" % (path, exc)) from exc
    # Paths are bytes to Docker: keep undecodable bytes as os.fsdecode would.
    return DockerIgnore(data.decode("utf-8", "surrogateescape").split("\n"))


def clean(path):
    """Go's ``filepath.Clean`` for ``/`` paths."""
    rooted = path.startswith("/")
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    text = "/".join(parts)
    return "/" + text if rooted else text or "."


def _read_lines(lines):
    """The patterns of the file's lines, as ``ignorefile.ReadAll``: no comments, no blanks, cleaned."""
    patterns = []
    for number, line in enumerate(lines):
        line = line.rstrip("\r\n")
        if number == 0:
            line = line.lstrip("\ufeff")
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = clean(pattern)
            pattern = pattern[1:] if len(pattern) > 1 and pattern.startswith("/") else pattern
        if invert and not pattern:
            raise BuildError('.dockerignore line %d: illegal exclusion pattern: "!"' % (number + 1))
        patterns.append("!" + pattern if invert else pattern)
    return patterns


class _Pattern:
    def __init__(self, text):
        self.exclusion = text.startswith("!")
        self.text = text[1:] if self.exclusion else text
        self.kind, self.regex = _compile(self.text)

    def match(self, path):
        if self.kind == _EXACT:
            return path == self.text
        if self.kind == _PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind == _SUFFIX:
            suffix = self.text[2:]
            # "**/foo" also matches "foo" itself.
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        return self.regex.match(path) is not None


def _compile(pattern):
    """``(kind, regex)``: patternmatcher's shortcuts for patterns without wildcards, else a regex."""
    out, kind, pos = [], _EXACT, 0
    while pos < len(pattern):
        start, char, pos = pos, pattern[pos], pos + 1
        if char == "*" and pattern[pos:pos + 1] == "*":
            pos, kind = _double_star(pattern, pos + 1, kind, out)
            if start == 0:
                kind = _SUFFIX
        elif char in "*?":
            out.append("[^/]*" if char == "*" else "[^/]")
            kind = _REGEX
        elif char in _REGEX_SPECIALS:
            out.append("\\" + char)
        elif char == "\\":
            if pos < len(pattern):
                out.append(re.escape(pattern[pos]))
                pos += 1
                kind = _REGEX
            else:
                out.append("\\\\")
        elif char in "[]":
            out.append(char)
            kind = _REGEX
        else:
            out.append(char)  # as patternmatcher: inside [...] ranges must stay ranges
    try:
        regex = re.compile("".join(out) + r"\Z")
    except re.error as exc:
        raise BuildError(".dockerignore: bad pattern %r: %s" % (pattern, exc)) from None
    return kind, regex


def _double_star(pattern, pos, kind, out):
    """``**`` (its ``/`` too) matches any number of directories; a trailing one everything below."""
    if pattern[pos:pos + 1] == "/":
        pos += 1
    if pos < len(pattern):
        out.append("(.*/)?")
        return pos, _REGEX
    if kind == _EXACT:
        return pos, _PREFIX
    out.append(".*")
    return pos, _REGEX
