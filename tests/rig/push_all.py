# -*- coding: utf-8 -*-
"""Make the multi-zstd tag and push the rig's images with skopeo into the cached registry storage.

    python3 -m rig.push_all OUT OCI      (build_images.sh runs it; PYTHONPATH=tests)

It must run in a private mount namespace with an empty tmpfs over /var/lib/containers/cache
(build_images.sh does that): skopeo 1.9 substitutes blobs its blob-info cache knows, so a
"zstd" push after the gzip push of the same layers silently sends gzip. The cache is emptied
again (only when it is a tmpfs) before the zstd steps.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import shutil
import sys

from rig import oci_writer
from rig.registry import Registry, run_skopeo

# Logical name -> name in the registry. The port is not part of the storage, so any later
# registry over a copy of it serves these names.
IMAGES = {
    "busybox": "test/busybox:latest",
    "multi": "test/multi:latest",
    "multi_zstd": "test/multi:zstd",
    "multi_v2s2": "test/multi-v2s2:latest",
    "platforms": "test/platforms:latest",
    "python": "test/python:latest",
    "strata_host": "test/strata-host:latest",
}
BLOB_CACHE = "/var/lib/containers/cache"
ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
V2S2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
TAG = "org.opencontainers.image.ref.name"


def log(text):
    sys.stderr.write("[rig push] %s\n" % text)
    sys.stderr.flush()


def _private_cache():
    """Empty the blob-info cache, refusing unless it is the tmpfs of this mount namespace."""
    with open("/proc/self/mountinfo") as f:
        mounts = {line.split()[4]: line.split(" - ")[1].split()[0] for line in f}
    if mounts.get(BLOB_CACHE) != "tmpfs":
        raise RuntimeError("%s is not a private tmpfs here; run through build_images.sh" % BLOB_CACHE)
    for path in glob.glob(os.path.join(BLOB_CACHE, "*")):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def _layer_types(raw):
    return [layer["mediaType"] for layer in json.loads(raw)["layers"]]


def make_zstd_tag(oci):
    """oci:multi (gzip) -> oci:multi-zstd in the same layout: the same config, every layer
    recompressed with zstd. Written here rather than by skopeo: copying into the layout that
    already holds the gzip blobs, skopeo 1.9 reuses them and writes gzip again."""
    index_path = os.path.join(oci, "index.json")
    with open(index_path) as f:
        index = json.load(f)
    tagged = {m.get("annotations", {}).get(TAG): m for m in index["manifests"]}
    with open(_blob(oci, tagged["multi"]["digest"]), "rb") as f:
        manifest = json.load(f)
    for layer in manifest["layers"]:
        with open(_blob(oci, layer["digest"]), "rb") as f:
            tar = gzip.decompress(f.read())
        blob = oci_writer.compress(tar, "zstd")
        layer.update(mediaType=ZSTD, digest=oci_writer.put_blob(oci, blob), size=len(blob))
    raw = json.dumps(manifest).encode()
    index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get(TAG) != "multi-zstd"]
    index["manifests"].append({"mediaType": tagged["multi"]["mediaType"], "digest": oci_writer.put_blob(oci, raw),
                               "size": len(raw), "annotations": {TAG: "multi-zstd"}})
    with open(index_path + ".tmp", "w") as f:
        json.dump(index, f)
    os.rename(index_path + ".tmp", index_path)
    types = _layer_types(run_skopeo("inspect", "--raw", "oci:%s:multi-zstd" % oci))
    if set(types) != {ZSTD}:
        raise RuntimeError("oci:multi-zstd has layers %s, not all %s" % (types, ZSTD))


def _blob(oci, digest):
    return os.path.join(oci, "blobs", *digest.split(":", 1))


def check_pushed(reg):
    """The registry holds what the tests expect, with the media types they expect."""
    raw = {key: json.loads(run_skopeo("inspect", "--raw", "--tls-verify=false", "docker://%s/%s" % (reg.addr, name)))
           for key, name in IMAGES.items()}
    if set(l["mediaType"] for l in raw["multi_zstd"]["layers"]) != {ZSTD}:
        raise RuntimeError("the zstd push kept other layers: %s" % raw["multi_zstd"]["layers"])
    if raw["multi_v2s2"].get("mediaType") != V2S2:
        raise RuntimeError("multi-v2s2 is %s, not %s" % (raw["multi_v2s2"].get("mediaType"), V2S2))
    if raw["platforms"].get("mediaType") != OCI_INDEX:
        raise RuntimeError("platforms is %s, not an OCI index" % raw["platforms"].get("mediaType"))
    archs = sorted(m["platform"]["architecture"] for m in raw["platforms"]["manifests"])
    if archs != ["amd64", "arm64"]:
        raise RuntimeError("platforms has %s" % archs)


def main(out, oci):
    _private_cache()  # refuses unless skopeo's blob-info cache is this namespace's empty tmpfs
    log("multi -> multi-zstd in the layout")
    make_zstd_tag(oci)
    data = os.path.join(out, "registry")
    with Registry(data, workdir=os.path.join(out, "registry-run")) as reg:
        for key, tag, extra in (("busybox", "busybox", ()), ("multi", "multi", ()),
                                ("multi_v2s2", "multi", ("--format", "v2s2")),
                                ("platforms", "platforms", ("--all",)), ("python", "python", ()),
                                ("strata_host", "strata-host", ())):
            log("%s -> %s" % (tag, IMAGES[key]))
            reg.push("%s:%s" % (oci, tag), IMAGES[key], *extra)
        _private_cache()  # forget the gzip blobs just pushed, or skopeo reuses them for zstd
        log("multi-zstd -> %s" % IMAGES["multi_zstd"])
        reg.push("%s:multi-zstd" % oci, IMAGES["multi_zstd"], "--dest-compress-format", "zstd")
        check_pushed(reg)
    log("registry storage: %s" % data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
