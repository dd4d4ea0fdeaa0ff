# -*- coding: utf-8 -*-
"""Write one-image OCI layouts from layer tars a test made, to push crafted (even hostile)
layers with skopeo. Standard library only (zstd layers need the zstd command).

    from rig import oci_writer
    layer = oci_writer.tar_bytes([
        ("dir", "etc"),
        ("file", "etc/hello", b"hi\\n"),                  # mode 0644
        ("file", "bin/tool", b"#!/bin/sh\\n", 0o4755),
        ("symlink", "evil", "/"),                       # (kind, name, target)
        ("hardlink", "etc/twin", "etc/hello"),
        ("file", "../escape", b"x"),                    # names are not checked: craft at will
        ("char", "dev/null", (1, 3)),                   # (major, minor)
        ("file", "etc/.wh.passwd"),                     # whiteouts are just names
        {"name": "x", "type": "file", "data": b"", "mode": 0o600, "uid": 1000, "gid": 1000,
         "xattrs": {"user.k": "v"}, "mtime": 0},      # the dict form takes every field
    ])
    info = oci_writer.write_image(layout_dir, "crafted", [layer], config={"Cmd": ["/bin/sh"]})
    registry.push(layout_dir + ":crafted", "crafted/x:latest")

write_image() returns {"manifest_digest", "manifest" (bytes), "config_digest", "config" (bytes),
"layer_digests", "diff_ids", "ref"} where ref is "<layout>:<tag>" for Registry.push.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile

LAYER_TYPES = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "none": "application/vnd.oci.image.layer.v1.tar",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
MTIME = 1700000000
_TYPES = {
    "file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
    "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE,
}
_DEFAULT_MODES = {"dir": 0o755, "symlink": 0o777, "char": 0o666, "block": 0o660, "fifo": 0o644}


def _entry(spec):
    """A tuple (kind, name[, data|target|(major, minor)[, mode]]) or a dict -> a dict."""
    if isinstance(spec, dict):
        entry = dict(spec)
        entry.setdefault("type", "file")
        return entry
    kind, name = spec[0], spec[1]
    entry = {"type": kind, "name": name}
    if len(spec) > 2:
        key = {"file": "data", "symlink": "link", "hardlink": "link", "char": "device", "block": "device"}.get(kind)
        if key is None:
            raise ValueError("%s entries take no third field: %r" % (kind, spec))
        entry[key] = spec[2]
    if len(spec) > 3:
        entry["mode"] = spec[3]
    return entry


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """An uncompressed tar, in memory, of ``entries`` in the order given (see the module doc).

    Dict fields: name, type (file dir symlink hardlink char block fifo), data (bytes or str),
    mode, link (target of symlink/hardlink), device ((major, minor)), uid, gid, uname, gname,
    mtime, xattrs ({name: value}, as PAX SCHILY.xattr.*), pax ({header: value})."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for spec in entries:
            entry = _entry(spec)
            kind = entry["type"]
            if kind not in _TYPES:
                raise ValueError("unknown entry type %r" % kind)
            info = tarfile.TarInfo(entry["name"])
            info.type = _TYPES[kind]
            info.mode = entry.get("mode", _DEFAULT_MODES.get(kind, 0o644))
            info.uid, info.gid = entry.get("uid", 0), entry.get("gid", 0)
            info.uname, info.gname = entry.get("uname", "root"), entry.get("gname", "root")
            info.mtime = entry.get("mtime", MTIME)
            info.linkname = entry.get("link", "")
            if kind in ("char", "block"):
                info.devmajor, info.devminor = entry.get("device", (0, 0))
            pax = dict(entry.get("pax", {}))
            for key, value in entry.get("xattrs", {}).items():
                pax["SCHILY.xattr." + key] = value
            if pax:
                info.pax_headers = pax
            data = entry.get("data", b"")
            if isinstance(data, str):
                data = data.encode()
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def compress(tar, compression="gzip"):
    """The layer blob for uncompressed ``tar``: gzip (mtime 0, reproducible), zstd or none."""
    if compression == "gzip":
        return gzip.compress(tar, mtime=0)
    if compression == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=tar, capture_output=True, check=True).stdout
    if compression == "none":
        return tar
    raise ValueError("compression must be gzip, zstd or none, not %r" % compression)


def put_blob(layout, data):
    """Store ``data`` in the layout's blobs; returns its digest."""
    digest = hashlib.sha256(data).hexdigest()
    blobs = os.path.join(layout, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    path = os.path.join(blobs, digest)
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)
    return "sha256:" + digest


def write_image(layout, tag, layers, config=None, compression="gzip", architecture="amd64", os_name="linux",
                history=None, labels=None, image_config=None, annotations=None):
    """Write (or add to) the OCI layout ``layout`` one image tagged ``tag``.

    layers: uncompressed tar bytes, bottom first. config: the image's runtime config (Cmd, Env,
    WorkingDir, ...; default {"Cmd": ["/bin/sh"]}); labels are merged into it. compression:
    "gzip" (default), "zstd" or "none", or a list with one per layer. image_config: extra
    top-level config fields (override the defaults). Returns the digests (see the module doc)."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    kinds = compression if isinstance(compression, (list, tuple)) else [compression] * len(layers)
    if len(kinds) != len(layers):
        raise ValueError("one compression per layer")
    descriptors, diff_ids = [], []
    for tar, kind in zip(layers, kinds):
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        blob = compress(tar, kind)
        descriptors.append({"mediaType": LAYER_TYPES[kind], "digest": put_blob(layout, blob), "size": len(blob)})
    runtime = dict(config if config is not None else {"Cmd": ["/bin/sh"]})
    if labels:
        runtime["Labels"] = dict(runtime.get("Labels") or {}, **labels)
    history = history or ["test layer %d" % i for i in range(len(layers))]
    top = {"created": "2023-11-14T22:13:20Z", "architecture": architecture, "os": os_name, "config": runtime,
           "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "history": [{"created": "2023-11-14T22:13:20Z", "created_by": text} for text in history]}
    top.update(image_config or {})
    config_bytes = json.dumps(top).encode()
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                "config": {"mediaType": CONFIG_TYPE, "digest": put_blob(layout, config_bytes),
                           "size": len(config_bytes)},
                "layers": descriptors}
    if annotations:
        manifest["annotations"] = dict(annotations)
    manifest_bytes = json.dumps(manifest).encode()
    manifest_digest = put_blob(layout, manifest_bytes)
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": MANIFEST_TYPE, "digest": manifest_digest, "size": len(manifest_bytes),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(index_path + ".tmp", "w") as f:
        json.dump(index, f)
    os.rename(index_path + ".tmp", index_path)
    return {"manifest_digest": manifest_digest, "manifest": manifest_bytes,
            "config_digest": manifest["config"]["digest"], "config": config_bytes,
            "layer_digests": [d["digest"] for d in descriptors], "diff_ids": diff_ids,
            "ref": "%s:%s" % (layout, tag)}
