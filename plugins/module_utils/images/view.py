# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``image_info`` shows of an image, and the filters of ``docker images -f``."""

from __future__ import annotations

import json

from .._errors import Corrupt, InvalidSpec
from ..oci import digest as _digest
from ..oci import reference
from ..oci.timestamps import parse_time

FILTERS = ("dangling", "before", "since", "reference", "label")


def familiar(name):
    """``docker.io/library/busybox:latest`` -> ``busybox:latest``, as Docker prints names."""
    try:
        ref = reference.parse(name, default_tag=None)
    except ValueError:
        return name
    return ref.familiar


def view(store, refs, record):
    tags = sorted(n for n, i in refs["tags"].items() if i == record["id"])
    digests = set(record.get("repo_digests", [])) | {n for n, i in refs["digests"].items() if i == record["id"]}
    config = json.loads(store.blobs.get(record["config_digest"]))
    layer_sizes = [layer_size(store, layer["chain_id"]) for layer in record["layers"]]
    return {
        "id": record["id"],
        "short_id": _digest.hex_of(record["id"])[:12],
        "repo_tags": [familiar(t) for t in tags],
        "repo_digests": sorted(familiar(d) for d in digests),
        "dangling": not tags and not any(i == record["id"] for i in refs["digests"].values()),
        "created": config.get("created", ""),
        "architecture": config.get("architecture", ""),
        "os": config.get("os", ""),
        "variant": config.get("variant", ""),
        "size": sum(layer_sizes),
        "config_digest": record["config_digest"],
        "manifest_digest": record.get("manifest_digest"),
        "manifest_media_type": record.get("manifest_media_type"),
        "index_digest": record.get("index_digest"),
        "layers": [layer["digest"] for layer in record["layers"]],
        "diff_ids": [layer["diff_id"] for layer in record["layers"]],
        "chain_ids": [layer["chain_id"] for layer in record["layers"]],
        "labels": (config.get("config") or {}).get("Labels") or {},
        "config": config,
        "history": history(config, layer_sizes),
    }


def layer_size(store, chain_id):
    try:
        return store.layers.size(chain_id)
    except Corrupt:  # a missing layer shows as 0; the integrity check reports it
        return 0


def history(config, layer_sizes):
    """``docker history`` rows, newest first; metadata-only steps have size 0."""
    rows, sizes = [], list(layer_sizes)
    for entry in config.get("history") or []:
        empty = bool(entry.get("empty_layer"))
        size = 0 if empty or not sizes else sizes.pop(0)
        rows.append({"created": entry.get("created", ""), "created_by": entry.get("created_by", ""),
                     "size": size, "comment": entry.get("comment", ""), "empty_layer": empty})
    return list(reversed(rows))


def parse_filters(filters):
    """Ansible dict (values str or list) -> {name: [values]}, checked."""
    out = {}
    for key, value in (filters or {}).items():
        if key not in FILTERS:
            raise InvalidSpec("unknown image filter %r; supported: %s" % (key, ", ".join(FILTERS)))
        values = value if isinstance(value, list) else [value]
        out[key] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    if "dangling" in out and not set(out["dangling"]) <= {"true", "false", "1", "0"}:
        raise InvalidSpec("filter dangling must be true or false, got %s" % out["dangling"])
    return out


def matches(image, filters, created_of):
    """``created_of(name)`` gives the creation time of the image a before/since filter names."""
    if "dangling" in filters:
        want = filters["dangling"][-1] in ("true", "1")
        if image["dangling"] != want:
            return False
    for name in filters.get("before", []):
        if not parse_time(image["created"]) < parse_time(created_of(name)):
            return False
    for name in filters.get("since", []):
        if not parse_time(image["created"]) > parse_time(created_of(name)):
            return False
    if "reference" in filters and not any(
            reference.match_pattern(tag, pattern) for tag in image["repo_tags"] for pattern in filters["reference"]):
        return False
    for label in filters.get("label", []):
        key, has_value, value = label.partition("=")
        if key not in image["labels"] or (has_value and image["labels"][key] != value):
            return False
    return True
