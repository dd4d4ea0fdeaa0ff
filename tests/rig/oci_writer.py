# -*- coding: utf-8 -*-
"""Write a one-image OCI layout from layer tars a test made (to push crafted, even hostile,
layers with skopeo). Standard library only."""

from __future__ import annotations

import gzip
import hashlib
import json
import os

LAYER_TYPES = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip", "none": "application/vnd.oci.image.layer.v1.tar"}


def _put(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + digest


def write_image(layout, tag, layers, config=None, compression="gzip", architecture="amd64", history=None):
    """``layers``: uncompressed tar bytes, bottom first. Returns digests and the manifest bytes."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descriptors, diff_ids = [], []
    for tar in layers:
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        blob = gzip.compress(tar, mtime=0) if compression == "gzip" else tar
        descriptors.append({"mediaType": LAYER_TYPES[compression], "digest": _put(layout, blob), "size": len(blob)})
    image_config = {"architecture": architecture, "os": "linux", "config": config or {"Cmd": ["/bin/sh"]},
                    "rootfs": {"type": "layers", "diff_ids": diff_ids},
                    "history": [{"created_by": text} for text in (history or ["test layer %d" % i for i in range(len(layers))])]}
    config_bytes = json.dumps(image_config).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": _put(layout, config_bytes), "size": len(config_bytes)},
                "layers": descriptors}
    manifest_bytes = json.dumps(manifest).encode()
    manifest_digest = _put(layout, manifest_bytes)
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": manifest["mediaType"], "digest": manifest_digest,
                               "size": len(manifest_bytes),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(index_path, "w") as f:
        json.dump(index, f)
    return {"manifest_digest": manifest_digest, "manifest": manifest_bytes,
            "config_digest": manifest["config"]["digest"], "layer_digests": [d["digest"] for d in descriptors],
            "diff_ids": diff_ids}
