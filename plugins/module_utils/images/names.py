# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and removal of images in the store, with Docker's rules.

Callers hold the store lock around anything that changes refs or records.
"""

from __future__ import annotations

import re

from .._errors import Conflict, ImageNotFound, InvalidReference
from ..oci import digest as _digest
from ..oci import reference

_FULL_ID = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")
_SHORT_ID = re.compile(r"^(?:sha256:)?([0-9a-f]{1,63})$")


class Match:
    """An image found by a name: ``ref`` is the tag or digest name used, or None for an ID."""

    def __init__(self, image_id, ref=None, kind="id"):
        self.image_id = image_id
        self.ref = ref
        self.kind = kind  # "tag", "digest", "repo_digest" or "id"


def find(store, refs, text):
    """Resolve a name, full ID, unique short ID or digest to an image, as ``docker inspect`` does."""
    text = (text or "").strip()
    full = _FULL_ID.match(text)
    if full:
        image_id = "sha256:" + full.group(1)
        if store.images.exists(image_id):
            return Match(image_id)
        raise ImageNotFound("No such image: %s" % text, name=text)
    by_name = _find_by_name(store, refs, text)
    if by_name:
        return by_name
    short = _SHORT_ID.match(text)
    if short:
        ids = sorted({r["id"] for r in store.image_records() if _digest.hex_of(r["id"]).startswith(short.group(1))})
        if len(ids) == 1:
            return Match(ids[0])
        if len(ids) > 1:
            raise Conflict("short ID %s is ambiguous: it matches %d images" % (text, len(ids)), name=text)
    raise ImageNotFound("No such image: %s" % text, name=text)


def _find_by_name(store, refs, text):
    try:
        ref = reference.parse(text)
    except InvalidReference:
        if _SHORT_ID.match(text):
            return None
        raise
    if ref.digest:
        name = ref.digest_name
        if name in refs["digests"]:
            return Match(refs["digests"][name], name, "digest")
        for record in store.image_records():
            if name in record.get("repo_digests", []):
                return Match(record["id"], name, "repo_digest")
        return None
    name = ref.tagged_name
    if name in refs["tags"]:
        return Match(refs["tags"][name], name, "tag")
    return None


def untag_plan(refs, match, force):
    """What removing ``match`` does: (names to drop, whether the image itself goes)."""
    tags = [n for n, i in refs["tags"].items() if i == match.image_id]
    pins = [n for n, i in refs["digests"].items() if i == match.image_id]
    if match.kind in ("tag", "digest"):
        left = [n for n in tags + pins if n != match.ref]
        return [match.ref], not left
    repos = {_repository_of(n) for n in tags + pins}
    if len(repos) > 1 and not force:
        raise Conflict("conflict: unable to delete %s (must be forced) - image is referenced in multiple "
                       "repositories" % _digest.hex_of(match.image_id)[:12], image_id=match.image_id,
                       names=sorted(tags + pins))
    return sorted(tags + pins), True


def _repository_of(name):
    if "@" in name:
        return name.split("@", 1)[0]
    return name.rsplit(":", 1)[0]


def drop_names(refs, names):
    for name in names:
        refs["tags"].pop(name, None)
        refs["digests"].pop(name, None)


def unreferenced_layers(store, removed_record):
    """Chains of ``removed_record`` that no other image needs."""
    needed = set()
    for record in store.image_records():
        if record["id"] != removed_record["id"]:
            needed.update(layer["chain_id"] for layer in record["layers"])
    return [layer["chain_id"] for layer in removed_record["layers"] if layer["chain_id"] not in needed]


def unreferenced_blobs(store, removed_record):
    needed = set()
    for record in store.image_records():
        if record["id"] != removed_record["id"]:
            needed.update(_blobs_of(record))
    return [b for b in _blobs_of(removed_record) if b not in needed]


def _blobs_of(record):
    out = [record["config_digest"], record.get("manifest_digest"), record.get("index_digest")]
    return [b for b in out if b]
