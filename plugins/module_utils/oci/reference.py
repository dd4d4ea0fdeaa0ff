# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: the grammar and limits of distribution/reference, normalized as Docker does.

``ubuntu``, ``docker.io/ubuntu`` and ``index.docker.io/library/ubuntu:latest`` all become
``docker.io/library/ubuntu:latest``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from typing import Optional

from .._errors import InvalidReference

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
DOCKER_API_HOST = "registry-1.docker.io"
OFFICIAL_PREFIX = "library/"
MAX_NAME = 255

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = r"(?:%s(?:\.%s)*|\[[a-fA-F0-9:]+\])" % (_DOMAIN_PART, _DOMAIN_PART)
_DOMAIN = re.compile(r"^%s(?::[0-9]+)?$" % _HOST)
_PATH = re.compile(r"^%s(?:/%s)*$" % (_COMPONENT, _COMPONENT))
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")
_SHORT_ID = re.compile(r"^(?:sha256:)?[a-f0-9]{1,64}$")


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def repository(self):
        return "%s/%s" % (self.domain, self.path)

    @property
    def familiar_name(self):
        """Docker's short form: ``ubuntu``, ``user/repo``, ``localhost:5000/x``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.repository
        if self.path.startswith(OFFICIAL_PREFIX) and "/" not in self.path[len(OFFICIAL_PREFIX):]:
            return self.path[len(OFFICIAL_PREFIX):]
        return self.path

    @property
    def tagged_name(self):
        return "%s:%s" % (self.repository, self.tag or "latest")

    @property
    def digest_name(self):
        return "%s@%s" % (self.repository, self.digest)

    @property
    def api_host(self):
        return DOCKER_API_HOST if self.domain == DEFAULT_DOMAIN else self.domain

    def with_tag(self, tag):
        return replace(self, tag=_check_tag(tag, tag), digest=None)

    def with_digest(self, digest):
        return replace(self, digest=_check_digest(digest, digest))

    def __str__(self):
        out = self.repository
        if self.tag:
            out += ":" + self.tag
        if self.digest:
            out += "@" + self.digest
        return out


def _fail(text, why):
    raise InvalidReference('invalid reference format "%s": %s' % (text, why), reference=text)


def _check_tag(tag, text):
    if not _TAG.match(tag):
        _fail(text, "invalid tag %r (letters, digits, '_', '.', '-'; at most 128, not starting with '.' or '-')"
              % tag)
    return tag


def _check_digest(digest, text):
    if not _DIGEST.match(digest):
        _fail(text, "invalid digest %r" % digest)
    algorithm, hexpart = digest.split(":", 1)
    if algorithm == "sha256" and not _HEX64.match(hexpart):
        _fail(text, "a sha256 digest has exactly 64 lowercase hex digits")
    return digest


def _split_domain(name):
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return first, rest
    return DEFAULT_DOMAIN, name


def parse(text, default_tag="latest"):
    """Parse and normalize ``[domain/]path[:tag][@digest]``."""
    if not isinstance(text, str) or not text:
        _fail(text, "the name is empty")
    if _HEX64.match(text):
        _fail(text, "cannot specify 64-byte hexadecimal strings as a name; it looks like an image ID")
    name, digest = text, None
    if "@" in name:
        name, digest = name.split("@", 1)
        _check_digest(digest, text)
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], _check_tag(name[colon + 1:], text)
    domain, path = _split_domain(name)
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if not _DOMAIN.match(domain):
        _fail(text, "invalid registry host %r" % domain)
    if path != path.lower():
        _fail(text, "repository name must be lowercase")
    if not _PATH.match(path):
        _fail(text, "invalid repository name %r (lowercase letters, digits and separators '.', '_', '__', '-',"
                    " in components joined by '/')" % path)
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    if len(domain) + 1 + len(path) > MAX_NAME:
        _fail(text, "repository name must not be longer than %d characters" % MAX_NAME)
    if tag is None and digest is None:
        tag = default_tag
    return Reference(domain, path, tag, digest)


def looks_like_short_id(text):
    return bool(_SHORT_ID.match(text or ""))


def match_pattern(name, pattern):
    """Docker's ``reference=`` filter: ``*`` matches within one path component; the pattern
    is tried against the familiar name with its tag and without it."""
    try:
        ref = parse(name, default_tag=None) if isinstance(name, str) else name
    except InvalidReference:
        return False
    candidates = [ref.familiar_name, str(ref)]
    if ref.tag:
        candidates += ["%s:%s" % (ref.familiar_name, ref.tag)]
    regex = re.compile(fnmatch.translate(pattern).replace(".*", "[^/]*"))
    return any(regex.match(c) for c in candidates)
