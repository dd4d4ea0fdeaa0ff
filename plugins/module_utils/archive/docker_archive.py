# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docker-archive: what ``docker save`` writes and ``docker load``, ``podman load`` and
skopeo's ``docker-archive:`` transport read.

    <diffid-hex>/VERSION, <diffid-hex>/json, <diffid-hex>/layer.tar   each layer once
    <config-hex>.json                                                 each image config
    manifest.json   [{"Config": ..., "RepoTags": [...] | null, "Layers": [...]}]
    repositories    {"repo": {"tag": "<top layer hex>"}}  (legacy; only when there are tags)

Readers also accept skopeo's ``<hex>.tar`` layers (with legacy ``<id>/layer.tar`` symlinks) and
Docker 25's ``blobs/sha256/<hex>``. The archive says nothing about layer compression: the
magic bytes do. Layer digests: a ``blobs/sha256/<hex>`` name is the digest; an uncompressed
layer's digest is its diff_id; a compressed one is hashed once, by a first pass in ``read()``.
"""

from __future__ import annotations

import re

from . import model, safety, tarwrite
from .._errors import InvalidSpec
from ..layer import compression
from ..oci import digest as _digest
from ..oci import spec
from .source import TarSource

_MEDIA_TYPES = {compression.NONE: model.OCI_LAYER, compression.GZIP: model.OCI_LAYER_GZIP,
                compression.ZSTD: model.OCI_LAYER_ZSTD}
_BLOB_NAME = re.compile(r"blobs/sha256/([0-9a-f]{64})")
_HASH_CHUNK = 1 << 20


def write(out, images):
    """Write ``images`` (SaveImage) to the binary file object ``out``; returns a small summary."""
    images = list(images)
    for image in images:
        tarwrite.check_image(image)
    entries = _entries(images)
    layers = tarwrite.distinct_layers(images)
    tar = tarwrite.DeterministicTar(out)
    for layer in layers:
        name = _digest.hex_of(layer[0])
        tar.add_dir(name)
        tar.add_bytes(name + "/VERSION", b"1.0")
        tar.add_bytes(name + "/json", tarwrite.dumps({"id": name}))
        tar.add_layer(name + "/layer.tar", layer)
    configs = {}
    for image in images:
        configs.setdefault(image.config_digest, image.config_bytes)
    for config_digest, config_bytes in configs.items():
        tar.add_bytes(_digest.hex_of(config_digest) + ".json", config_bytes)
    tar.add_bytes("manifest.json", tarwrite.dumps(entries))
    repositories = _repositories(entries)
    if repositories:
        tar.add_bytes("repositories", tarwrite.dumps(repositories))
    tar.close()
    return {"images": len(entries), "layers": len(layers)}


def _entries(images):
    """manifest.json: one entry per config, the tags of every SaveImage with it merged."""
    entries = {}
    for image in images:
        for tag in image.repo_tags:
            _split_tag(tag)
        entry = entries.setdefault(image.config_digest, {
            "Config": _digest.hex_of(image.config_digest) + ".json", "RepoTags": [],
            "Layers": [_digest.hex_of(layer[0]) + "/layer.tar" for layer in image.layers]})
        entry["RepoTags"].extend(t for t in image.repo_tags if t not in entry["RepoTags"])
    out = list(entries.values())
    for entry in out:
        entry["RepoTags"] = entry["RepoTags"] or None  # as Docker writes an untagged image
    return out


def _split_tag(repo_tag):
    repo, sep, tag = repo_tag.rpartition(":") if isinstance(repo_tag, str) else ("", "", "")
    if not sep or not repo or "/" in tag or "@" in repo_tag:
        raise InvalidSpec("repo tag %r is not of the form repository:tag" % (repo_tag,))
    return repo, tag


def _repositories(entries):
    out = {}
    for entry in entries:
        if entry["Layers"]:
            top = entry["Layers"][-1].split("/", 1)[0]
            for repo_tag in entry["RepoTags"] or ():
                repo, tag = _split_tag(repo_tag)
                out.setdefault(repo, {})[tag] = top
    return out


def read(path):
    """The images (ArchiveImage) of the docker-archive tar at ``path``, in manifest.json order."""
    source = TarSource(path)
    with safety.about(path):
        entries = _manifest(source)
        hashed = {}
        return [_image(source, entry, hashed) for entry in entries]


def _manifest(source):
    if not source.exists("manifest.json"):
        raise InvalidSpec("archive %s has no manifest.json: it is not a docker-archive (or a pre-1.10 one)"
                          % source.path, path=source.path)
    data = source.read_bytes("manifest.json", safety.MAX_INDEX_BYTES, "manifest.json")
    entries = safety.load_json(data, "manifest.json", source.path)
    if not isinstance(entries, list):
        raise InvalidSpec("archive %s: manifest.json is not a JSON list" % source.path, path=source.path)
    if not entries:
        raise InvalidSpec("archive %s: manifest.json lists no images" % source.path, path=source.path)
    for entry in entries:
        _check_entry(entry, source.path)
    return entries


def _check_entry(entry, path):
    if not isinstance(entry, dict):
        raise InvalidSpec("archive %s: a manifest.json entry is not an object" % path, path=path)
    if not isinstance(entry.get("Config"), str):
        raise InvalidSpec("archive %s: a manifest.json entry has no Config" % path, path=path)
    layers, tags = entry.get("Layers"), entry.get("RepoTags")
    if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise InvalidSpec("archive %s: manifest.json entry %s has no valid Layers list" % (path, entry["Config"]),
                          path=path)
    if len(layers) > spec.MAX_LAYERS:
        raise InvalidSpec("archive %s: image %s has %d layers, over the limit of %d"
                          % (path, entry["Config"], len(layers), spec.MAX_LAYERS), path=path)
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(x, str) for x in tags)):
        raise InvalidSpec("archive %s: manifest.json entry %s has an invalid RepoTags" % (path, entry["Config"]),
                          path=path)


def _image(source, entry, hashed):
    name = entry["Config"]
    config_bytes = source.read_bytes(name, spec.MAX_CONFIG_BYTES, "config %r" % name)
    config_digest = _digest.of_bytes(config_bytes)
    named = _BLOB_NAME.fullmatch(safety.member_name(name, source.path))
    if named:
        _digest.verify_bytes(config_bytes, "sha256:" + named.group(1), what="config %r" % name)
    diff_ids = spec.parse_config(config_bytes)["rootfs"]["diff_ids"]
    if len(diff_ids) != len(entry["Layers"]):
        raise InvalidSpec("archive %s: image %s lists %d layers but its config has %d diff_ids"
                          % (source.path, name, len(entry["Layers"]), len(diff_ids)), path=source.path)
    layers = [_layer(source, layer, diff_id, hashed) for layer, diff_id in zip(entry["Layers"], diff_ids)]
    return model.ArchiveImage(config_bytes, config_digest, list(entry.get("RepoTags") or []), layers)


def _layer(source, name, diff_id, hashed):
    what = "layer %r" % name
    size = source.size(name, what)
    open_raw = source.raw_opener(name, what)
    with open_raw() as f:
        kind = compression.detect("", f.read(4))
    named = _BLOB_NAME.fullmatch(safety.member_name(name, source.path))
    if named:
        blob_digest = "sha256:" + named.group(1)
    elif kind == compression.NONE:
        blob_digest = diff_id
    else:
        blob_digest = hashed.get(name) or _hash(open_raw)
        hashed[name] = blob_digest
    opener = model.verified_opener(open_raw, blob_digest, size, "%s in archive %s" % (what, source.path))
    return model.ArchiveLayer(diff_id, _MEDIA_TYPES[kind], blob_digest, size, opener)


def _hash(open_raw):
    with open_raw() as f:
        reader = _digest.VerifyingReader(f)
        reader.drain(_HASH_CHUNK)
        return reader.digest
