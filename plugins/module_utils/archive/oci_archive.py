# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI image layouts, in a tar (oci-archive, as ``podman save --format oci-archive`` writes)
or a directory (skopeo's ``oci:``).

    oci-layout          {"imageLayoutVersion": "1.0.0"}
    blobs/sha256/<hex>  layers (written uncompressed), configs, manifests
    index.json          one manifest per (image, tag), the tag as org.opencontainers.image.ref.name

Every blob read is checked against its descriptor: manifests and configs at once, layers
when their stream reaches EOF.
"""

from __future__ import annotations

import os

from . import model, safety, tarwrite
from .._errors import InvalidReference, InvalidSpec, SizeMismatch
from ..oci import digest as _digest
from ..oci import reference, spec
from .source import DirSource, TarSource

REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"  # Docker 25+ and containerd write the full name here
LAYOUT_VERSION = "1.0.0"


def _blob_name(digest):
    return "blobs/sha256/" + _digest.hex_of(digest)


def write(out, images):
    """Write ``images`` (SaveImage) as an oci-archive to the binary file object ``out``."""
    images = list(images)
    blobs, entries = {}, []
    for image in images:
        tarwrite.check_image(image)
        blobs.setdefault(image.config_digest, image.config_bytes)
        manifest = _manifest(image)
        manifest_digest = _digest.of_bytes(manifest)
        for tag in image.repo_tags or [None]:
            entry = {"mediaType": spec.OCI_MANIFEST, "digest": manifest_digest, "size": len(manifest)}
            if tag:
                entry["annotations"] = {REF_NAME: tag}
            if entry not in entries:
                entries.append(entry)
        blobs.setdefault(manifest_digest, manifest)
    layers = tarwrite.distinct_layers(images)
    tar = tarwrite.DeterministicTar(out)
    tar.add_bytes("oci-layout", tarwrite.dumps({"imageLayoutVersion": LAYOUT_VERSION}))
    tar.add_dir("blobs")
    tar.add_dir("blobs/sha256")
    for layer in layers:
        tar.add_layer(_blob_name(layer[0]), layer)
    for blob_digest, data in blobs.items():
        if blob_digest not in (layer[0] for layer in layers):
            tar.add_bytes(_blob_name(blob_digest), data)
    tar.add_bytes("index.json", tarwrite.dumps({"schemaVersion": 2, "mediaType": spec.OCI_INDEX, "manifests": entries}))
    tar.close()
    return {"images": len(entries), "layers": len(layers)}


def _manifest(image):
    config = spec.Descriptor(spec.OCI_CONFIG, image.config_digest, len(image.config_bytes))
    layers = [spec.Descriptor(model.OCI_LAYER, layer[0], layer[1]).to_json() for layer in image.layers]
    return tarwrite.dumps({"schemaVersion": 2, "mediaType": spec.OCI_MANIFEST, "config": config.to_json(),
                           "layers": layers})


def read(path):
    """The images (ArchiveImage) of the OCI archive (tar) or layout directory at ``path``:
    one per index.json entry, a nested index resolved to the host's platform."""
    source = DirSource(path) if os.path.isdir(path) else TarSource(path)
    with safety.about(path):
        _check_layout(source)
        data = source.read_bytes("index.json", safety.MAX_INDEX_BYTES, "index.json")
        safety.load_object(data, "index.json", path)
        index = spec.parse_manifest(data)
        if not isinstance(index, spec.Index):
            raise InvalidSpec("archive %s: index.json is not an image index" % path, path=path)
        images = [_image(source, desc) for desc in _entries(index)]
        if not images:
            raise InvalidSpec("archive %s: index.json lists no images" % path, path=path)
        return images


def _check_layout(source):
    if not source.exists("oci-layout"):
        raise InvalidSpec("archive %s has no oci-layout file: it is not an OCI layout" % source.path,
                          path=source.path)
    layout = safety.load_object(source.read_bytes("oci-layout", safety.MAX_LAYOUT_BYTES, "oci-layout"),
                                "oci-layout", source.path)
    if layout.get("imageLayoutVersion") != LAYOUT_VERSION:
        raise InvalidSpec("archive %s: unsupported imageLayoutVersion %r in oci-layout (expected %r)"
                          % (source.path, layout.get("imageLayoutVersion"), LAYOUT_VERSION), path=source.path)


def _entries(index):
    """Image entries; other artifacts are skipped. Bare per-platform entries are one image."""
    entries = [d for d in index.manifests if not d.media_type or d.media_type in spec.MANIFEST_TYPES + spec.INDEX_TYPES]
    if len(entries) > 1 and all(d.platform and not _annotation(d, REF_NAME) for d in entries):
        return [spec.select_platform(index, spec.host_platform())]
    return entries


def _annotation(desc, key):
    return dict(desc.annotations).get(key)


def _image(source, desc):
    data = _blob_bytes(source, desc, spec.MAX_MANIFEST_BYTES, "manifest")
    parsed = spec.parse_manifest(data, desc.media_type)
    if isinstance(parsed, spec.Index):
        chosen = spec.select_platform(parsed, spec.host_platform())
        data = _blob_bytes(source, chosen, spec.MAX_MANIFEST_BYTES, "manifest")
        parsed = spec.parse_manifest(data, chosen.media_type)
        if isinstance(parsed, spec.Index):
            raise InvalidSpec("archive %s: nested image indexes are not supported (%s)" % (source.path, chosen.digest),
                              path=source.path)
    config_bytes = _blob_bytes(source, parsed.config, spec.MAX_CONFIG_BYTES, "config")
    diff_ids = spec.parse_config(config_bytes)["rootfs"]["diff_ids"]
    if len(diff_ids) != len(parsed.layers):
        raise InvalidSpec("archive %s: manifest %s has %d layers but its config has %d diff_ids"
                          % (source.path, desc.digest, len(parsed.layers), len(diff_ids)), path=source.path)
    layers = [_layer(source, layer, diff_id) for layer, diff_id in zip(parsed.layers, diff_ids)]
    ref_name = _annotation(desc, REF_NAME)
    full = [name for name in (_annotation(desc, CONTAINERD_NAME), ref_name) if _is_repo_tag(name)]
    return model.ArchiveImage(config_bytes, parsed.config.digest, full[:1], layers, data, ref_name)


def _is_repo_tag(name):
    """A full ``repository:tag`` name rather than a bare tag such as "latest"."""
    if not name or "@" in name or not (":" in name or "/" in name):
        return False
    try:
        return reference.parse(name, default_tag=None).tag is not None
    except InvalidReference:
        return False


def _blob_bytes(source, desc, limit, what):
    what = "%s %s" % (what, desc.digest)
    safety.check_size(desc.size, limit, what, source.path)
    data = source.read_bytes(_blob_name(desc.digest), limit, what)
    return _digest.verify_bytes(data, desc.digest, desc.size, what=what)


def _layer(source, desc, diff_id):
    name, what = _blob_name(desc.digest), "layer %s" % desc.digest
    size = source.size(name, what)
    if size != desc.size:
        raise SizeMismatch("archive %s: %s is %d bytes, its descriptor says %d" % (source.path, what, size, desc.size),
                           digest=desc.digest)
    opener = model.verified_opener(source.raw_opener(name, what), desc.digest, desc.size,
                                   "%s in archive %s" % (what, source.path))
    return model.ArchiveLayer(diff_id, desc.media_type, desc.digest, desc.size, opener)
