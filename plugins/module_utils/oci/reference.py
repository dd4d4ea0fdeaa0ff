# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: the grammar and limits of distribution/reference, normalized as Docker does.

``ubuntu``, ``docker.io/ubuntu`` and ``index.docker.io/library/ubuntu:latest`` all become
``docker.io/library/ubuntu:latest``.
"""

from __future__ import annotations

import re

from .._errors import InvalidReference

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
DOCKER_API_HOST = "registry-1.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
MAX_PATH = 255

# Spelled-out ASCII classes: Python's \w and \d are Unicode, Go's are not. Always fullmatch,
# since "$" would also accept a trailing newline.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(r"(?:%s(?:\.%s)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?" % (_DOMAIN_PART, _DOMAIN_PART))
_PATH = re.compile(r"%s(?:/%s)*" % (_COMPONENT, _COMPONENT))
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
# go-digest pins the encoding of the algorithms it knows.
_KNOWN_DIGESTS = {"sha256": 64, "sha384": 96, "sha512": 128}
_HEX64 = re.compile(r"[a-f0-9]{64}")
_ID = re.compile(r"(?:sha256:)?[a-f0-9]{64}")
_SHORT_ID = re.compile(r"(?:sha256:)?[a-f0-9]{1,64}")


class Reference:
    """A normalized reference; build it with :func:`parse`. Immutable and hashable, as a frozen
    dataclass would be, without importing dataclasses (with inspect and typing, a third of what
    ``strata images`` imported)."""

    __slots__ = ("domain", "path", "tag", "digest")

    def __init__(self, domain, path, tag=None, digest=None):
        for name, value in zip(self.__slots__, (domain, path, tag, digest)):
            object.__setattr__(self, name, value)

    def _fields(self):
        return (self.domain, self.path, self.tag, self.digest)

    def __eq__(self, other):
        return self._fields() == other._fields() if other.__class__ is self.__class__ else NotImplemented

    def __hash__(self):
        return hash(self._fields())

    def __repr__(self):
        return "Reference(%s)" % ", ".join("%s=%r" % pair for pair in zip(self.__slots__, self._fields()))

    def __reduce__(self):  # pickle and copy through __init__ (slots are not set one by one)
        return (Reference, self._fields())

    def __setattr__(self, name, value):
        raise _frozen(name)

    def __delattr__(self, name):
        raise _frozen(name)

    @property
    def repository(self):
        return "%s/%s" % (self.domain, self.path)

    @property
    def familiar_name(self):
        """Docker's short form: ``ubuntu``, ``user/repo``, ``localhost:5000/x``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.repository
        rest = self.path[len(OFFICIAL_PREFIX):]
        if self.path.startswith(OFFICIAL_PREFIX) and "/" not in rest:
            return rest
        return self.path

    @property
    def tagged_name(self):
        """``repository:tag``; a name without a tag means ``latest``, as Docker's TagNameOnly."""
        return "%s:%s" % (self.repository, self.tag or DEFAULT_TAG)

    @property
    def digest_name(self):
        return "%s@%s" % (self.repository, self.digest)

    @property
    def api_host(self):
        """The host to talk to: Docker Hub's registry does not live at docker.io."""
        return DOCKER_API_HOST if self.domain == DEFAULT_DOMAIN else self.domain

    def with_tag(self, tag):
        return Reference(self.domain, self.path, _check_tag(tag, tag), self.digest)

    def with_digest(self, digest):
        return Reference(self.domain, self.path, self.tag, _check_digest(digest, digest))

    @property
    def familiar(self):
        """The whole reference as Docker prints it: ``busybox:latest``, ``user/app@sha256:…``."""
        return self._suffixed(self.familiar_name)

    def _suffixed(self, name):
        return name + (":" + self.tag if self.tag else "") + ("@" + self.digest if self.digest else "")

    def __str__(self):
        return self._suffixed(self.repository)


def _frozen(name):
    """The error a frozen dataclass raises (dataclasses imported only then)."""
    from dataclasses import FrozenInstanceError  # pylint: disable=import-outside-toplevel
    return FrozenInstanceError("cannot assign to field %r" % name)


def _fail(text, why):
    raise InvalidReference('invalid reference format "%s": %s' % (text, why), reference=text)


def _check_tag(tag, text):
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        _fail(text, "invalid tag %r (letters, digits, '_', '.', '-'; at most 128, not starting with '.' or '-')"
              % (tag,))
    return tag


def _check_digest(digest, text):
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        _fail(text, "invalid digest %r (expected algorithm:hex)" % (digest,))
    algorithm, hexpart = digest.split(":", 1)
    size = _KNOWN_DIGESTS.get(algorithm)
    if size and not re.fullmatch("[a-f0-9]{%d}" % size, hexpart):
        _fail(text, "a %s digest has exactly %d lowercase hex digits" % (algorithm, size))
    return digest


def split_domain(name):
    """Docker's rule: the first component is a host if it has '.' or ':', is localhost, or has
    uppercase (Docker Hub namespaces cannot)."""
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return (DEFAULT_DOMAIN if first == LEGACY_DOMAIN else first), rest
    return DEFAULT_DOMAIN, name


def parse(text, default_tag=DEFAULT_TAG):
    """Parse and normalize ``[domain/]path[:tag][@digest]``.

    ``default_tag`` is applied only when there is neither a tag nor a digest; pass None to keep
    the tag absent.
    """
    if not isinstance(text, str) or not text:
        _fail(text, "the name is empty")
    if _HEX64.fullmatch(text):
        _fail(text, "cannot specify 64-byte hexadecimal strings as a name; it looks like an image ID")
    name, digest = text, None
    if "@" in name:
        name, digest = name.split("@", 1)
        _check_digest(digest, text)
    tag = None
    colon = name.rfind(":")
    if colon > name.rfind("/"):  # a colon before the last slash is a port
        name, tag = name[:colon], _check_tag(name[colon + 1:], text)
    domain, path = split_domain(name)
    if not _DOMAIN.fullmatch(domain):
        _fail(text, "invalid registry host %r" % domain)
    if path != path.lower():
        _fail(text, "repository name must be lowercase")
    if not _PATH.fullmatch(path):
        _fail(text, "invalid repository name %r (lowercase letters, digits and separators '.', '_', '__', '-',"
                    " in components joined by '/')" % path)
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    # distribution/reference limits the path (after normalization), not domain + path.
    if len(path) > MAX_PATH:
        _fail(text, "repository name must not be longer than %d characters" % MAX_PATH)
    if tag is None and digest is None:
        tag = default_tag
    return Reference(domain, path, tag, digest)


def is_id_like(text):
    """A full image ID: ``sha256:<64 hex>`` or bare ``<64 hex>``."""
    return isinstance(text, str) and bool(_ID.fullmatch(text))


def looks_like_short_id(text):
    """A possible ID prefix, as Docker accepts: 1 to 64 lowercase hex, optionally after ``sha256:``."""
    return isinstance(text, str) and bool(_SHORT_ID.fullmatch(text))


def _glob_regex(pattern):
    """Go's path.Match as a regex: ``*`` and ``?`` stay within one '/'-separated component."""
    out, i, n = [], 0, len(pattern)

    def char(j):  # one literal, maybe escaped; a bare '-' or ']' here is malformed
        if j < n and pattern[j] == "\\":
            j += 1
        elif j < n and pattern[j] in "-]":
            raise ValueError("bad character class")
        if j >= n:
            raise ValueError("unterminated pattern")
        return pattern[j], j + 1

    while i < n:
        c = pattern[i]
        if c in "*?":
            out.append("[^/]*" if c == "*" else "[^/]")
            i += 1
        elif c == "[":
            i += 1
            negate = i < n and pattern[i] == "^"
            i += negate
            ranges = []
            while not (ranges and i < n and pattern[i] == "]"):
                lo, i = char(i)
                hi = lo
                if i < n and pattern[i] == "-":
                    hi, i = char(i + 1)
                if hi < lo:
                    raise ValueError("reversed range")
                ranges.append(re.escape(lo) + "-" + re.escape(hi))
            out.append("[%s%s]" % ("^" if negate else "", "".join(ranges)))
            i += 1
        else:
            c, i = char(i) if c == "\\" else (c, i + 1)
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def match_pattern(name, pattern):
    """Docker's ``reference=`` filter (reference.FamiliarMatch): the pattern is tried against the
    familiar string (``busybox:latest``) and then the familiar name alone (``busybox``)."""
    try:
        regex = _glob_regex(pattern)
    except ValueError as exc:
        raise InvalidReference('invalid reference filter "%s": %s' % (pattern, exc), pattern=pattern) from exc
    try:
        ref = parse(name, default_tag=None) if isinstance(name, str) else name
    except InvalidReference:
        return False
    full = ref.familiar_name + (":" + ref.tag if ref.tag else "") + ("@" + ref.digest if ref.digest else "")
    return bool(regex.fullmatch(full) or regex.fullmatch(ref.familiar_name))
