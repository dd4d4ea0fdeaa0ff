# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""New images made on this host (build, commit, import): a layer from a directory, then an
image record from a config and its layers.

A layer is written as an uncompressed tar first (``layer/diff.py``), then applied into the
store like a pulled one, so that its tar-split record can rebuild the tar byte for byte
for save and push. Data lands before metadata: layers, then the config blob, then the
image record, then its names.
"""

from __future__ import annotations

import json
import os

from ..fs.atomic import syncfs
from ..layer import apply as _apply
from ..layer import diff as _diff
from ..oci import digest as _digest
from ..oci import timestamps

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"


def layer_from_dir(store, source_dir, parent_chain, work, overlay=True, chown=None):
    """Store ``source_dir`` (an overlay upper dir, or a plain tree) as a layer on top of
    ``parent_chain``; returns ``{"diff_id", "chain_id", "size"}``."""
    tar_path = os.path.join(work, "layer.tar")
    written = _diff.tar_directory(source_dir, tar_path, overlay=overlay, chown=chown)
    return layer_from_tar(store, tar_path, written.diff_id, parent_chain)


def layer_from_tar(store, tar_path, diff_id, parent_chain):
    """An uncompressed layer tar whose diff_id is known, applied into the store once."""
    chain_id = _digest.chain_id(parent_chain, diff_id)

    def produce(diff_dir, split_path):
        with open(tar_path, "rb") as handle:
            stream = _digest.VerifyingReader(handle, diff_id, what="layer %s" % diff_id)
            _apply.apply_layer(stream, diff_dir, split_out=split_path)
            stream.drain(1 << 20)
            stream.finish()
            return stream.size

    store.layers.ensure(chain_id, diff_id, parent_chain, produce)
    return {"diff_id": diff_id, "chain_id": chain_id, "size": os.path.getsize(tar_path)}


def config_bytes(config):
    """Canonical JSON, so the same config always has the same image ID."""
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def image_id_of(config):
    return _digest.of_bytes(config_bytes(config))


def record_image(store, config, layers, tags=(), exact_bytes=None):
    """Write the config blob and the image record, then point ``tags`` (tagged names such as
    ``docker.io/library/app:latest``) at it. Returns the image ID. ``exact_bytes``: the config
    as it came (a loaded image keeps its ID only with the bytes it had)."""
    data = exact_bytes if exact_bytes is not None else config_bytes(config)
    image_id = store.blobs.put(data)
    syncfs(store.root)
    with store.locks.store():
        record = store.images.get(image_id) if store.images.exists(image_id) else {}
        record.update({
            "id": image_id, "config_digest": image_id,
            "layers": [{"digest": layer["diff_id"], "media_type": LAYER_MEDIA_TYPE, "size": layer["size"],
                        "diff_id": layer["diff_id"], "chain_id": layer["chain_id"]} for layer in layers],
        })
        record.setdefault("repo_digests", [])
        record.setdefault("added", timestamps.now())
        store.images.put(record)
        refs = store.load_refs()
        for tag in tags:
            refs["tags"][tag] = image_id
        store.refs.save(refs)
    return image_id
