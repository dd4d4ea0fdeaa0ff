# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks every archive reader applies before it trusts a name or a JSON document.

Archives come from anywhere: a name that leaves the archive refuses the whole archive, and
every JSON document is read with a size bound and checked for its shape.
"""

from __future__ import annotations

import contextlib
import posixpath

from .._errors import EngineError, InvalidSpec, UnsafePath
from ..oci import jsondoc

MAX_INDEX_BYTES = 4 << 20  # manifest.json, index.json
MAX_LAYOUT_BYTES = 64 << 10  # oci-layout
MAX_MEMBERS = 200000  # a tar with more entries than this is not an image archive
MAX_LINK_HOPS = 8


def member_name(name, archive):
    """A tar entry or referenced name -> its normal form ("./a/b/" -> "a/b"); "" for the root.
    Refuses absolute names and any ".." component."""
    if not isinstance(name, str) or "\x00" in name:
        raise UnsafePath("archive %s: invalid entry name %r" % (archive, name), path=archive)
    if name.startswith("/"):
        raise UnsafePath("archive %s: refusing absolute entry name %r" % (archive, name), path=archive)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePath("archive %s: refusing entry name %r: it contains '..'" % (archive, name), path=archive)
    return "/".join(parts)


def link_target(name, linkname, symlink, archive):
    """The normal name a symlink or hard link entry points to, which must stay in the archive."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(name), linkname)) if symlink else linkname
    if linkname.startswith("/") or target == ".." or target.startswith("../"):
        raise UnsafePath("archive %s: %s links outside the archive (to %r)" % (archive, name, linkname),
                         path=archive)
    return member_name(target, archive)


def load_json(data, what, archive):
    """Bytes -> any JSON value; ``null`` is refused, as every document here must have content."""
    try:
        doc = jsondoc.loads(data, what)
    except InvalidSpec as exc:
        raise InvalidSpec("archive %s: %s" % (archive, exc), path=archive) from exc
    if doc is None:
        raise InvalidSpec("archive %s: %s is null" % (archive, what), path=archive)
    return doc


def load_object(data, what, archive):
    doc = load_json(data, what, archive)
    if not isinstance(doc, dict):
        raise InvalidSpec("archive %s: %s is not a JSON object" % (archive, what), path=archive)
    return doc


def check_size(size, limit, what, archive):
    if size > limit:
        raise InvalidSpec("archive %s: %s is %d bytes, over the limit of %d" % (archive, what, size, limit),
                          path=archive)


@contextlib.contextmanager
def about(archive):
    """Errors raised by shared helpers (spec, digest) get the archive's path in their message."""
    try:
        yield
    except EngineError as exc:
        if archive not in exc.message:
            exc.message = "archive %s: %s" % (archive, exc.message)
            exc.args = (exc.message,)
        raise
