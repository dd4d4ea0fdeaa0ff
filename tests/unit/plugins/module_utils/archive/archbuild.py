# -*- coding: utf-8 -*-
"""Build images and hand-made archives for the archive tests."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

from rig import oci_writer

from ansible_collections.strata.containers.plugins.module_utils.archive import model


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def hexof(data):
    return hashlib.sha256(data).hexdigest()


def layer(name, content):
    """A small uncompressed layer tar holding one file."""
    return oci_writer.tar_bytes([("dir", "etc"), ("file", "etc/" + name, content)])


def config(layers, architecture="amd64", **extra):
    doc = {"architecture": architecture, "os": "linux", "config": {"Cmd": ["/bin/sh"]},
           "rootfs": {"type": "layers", "diff_ids": [sha(tar) for tar in layers]}}
    doc.update(extra)
    return json.dumps(doc).encode()


def save_image(layers, tags=(), **extra):
    """A SaveImage over in-memory layer tars."""
    config_bytes = config(layers, **extra)
    return model.SaveImage(config_bytes, sha(config_bytes), list(tags),
                           [model.SaveLayer(sha(tar), len(tar), (lambda t=tar: io.BytesIO(t))) for tar in layers])


def write(module, path, images):
    with open(path, "wb") as f:
        module.write(f, images)
    with open(path, "rb") as f:
        return f.read()


def read_layer(archive_layer, chunk=1000):
    """Every byte of the layer blob, read the way a consumer would (to EOF, in chunks)."""
    out = []
    with archive_layer.open() as stream:
        while True:
            data = stream.read(chunk)
            if not data:
                return b"".join(out)
            out.append(data)


def make_tar(path, entries):
    """Write a tar of ``entries``: (name, bytes) files, (name, "dir"), (name, "symlink", target),
    (name, "hardlink", target); JSON-able values other than bytes are dumped as JSON."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for item in entries:
            name, value = item[0], item[1]
            info = tarfile.TarInfo(name)
            if value == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif value in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if value == "symlink" else tarfile.LNKTYPE
                info.linkname = item[2]
                tar.addfile(info)
            else:
                data = value if isinstance(value, bytes) else json.dumps(value).encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def docker_entries(layers, tags=("busybox:latest",), layer_names=None, blobs=None, config_bytes=None):
    """The entries of a docker-archive of one image, for make_tar; ``blobs`` replaces layer blobs
    (e.g. gzip-compressed) by index, ``layer_names`` names them."""
    config_bytes = config_bytes or config(layers)
    blobs = blobs or {}
    names = layer_names or ["%s/layer.tar" % hexof(tar) for tar in layers]
    entries = [(n, blobs.get(i, tar)) for i, (n, tar) in enumerate(zip(names, layers))]
    entries.append((hexof(config_bytes) + ".json", config_bytes))
    entries.append(("manifest.json", [{"Config": hexof(config_bytes) + ".json", "RepoTags": list(tags),
                                       "Layers": names}]))
    return entries


def oci_dir(path, layers, tag="latest", compression="none", **kwargs):
    """An OCI layout directory with one image (rig.oci_writer)."""
    os.makedirs(path, exist_ok=True)
    return oci_writer.write_image(path, tag, layers, compression=compression, **kwargs)


def tar_dir(directory, path):
    """Tar a directory the way `tar -C dir -cf path .` does (with ./ names)."""
    with tarfile.open(path, "w") as tar:
        tar.add(directory, arcname=".")
    return path
