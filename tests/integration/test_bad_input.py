# -*- coding: utf-8 -*-
"""Bad input gets a clear error and leaves the store as it was."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import uuid

import requests
from ansible_runner import run_module, tree_listing
from rig import oci_writer


def _tar(*members):
    """members: (TarInfo, data or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name, data=b"x", mode=0o644):
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    return info, data


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def _dir(name):
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info, None


def _push_crafted(registry, tmp_path, layers):
    """A unique image made of ``layers`` (uncompressed tars), pushed with skopeo."""
    layout = str(tmp_path / ("layout-" + uuid.uuid4().hex[:8]))
    # A unique first layer so no blob is shared with another test in this registry.
    layers = [_tar(_file("unique-" + uuid.uuid4().hex, uuid.uuid4().bytes))] + list(layers)
    info = oci_writer.write_image(layout, "crafted", layers)
    name = "%s/crafted/%s:latest" % (registry.addr, uuid.uuid4().hex[:12])
    registry.push("%s:crafted" % layout, name.split("/", 1)[1])
    return name, info


def _seeded_store(registry, root):
    seeded = run_module("image", {"name": registry.images["busybox"], "root": root})
    assert seeded["changed"] is True, seeded
    return tree_listing(root)


def _assert_fails_cleanly(root, before, name, *phrases):
    result = run_module("image", {"name": name, "root": root})
    assert result.get("failed"), result
    for phrase in phrases:
        assert phrase in result["msg"], result["msg"]
    assert tree_listing(root) == before
    assert os.listdir(os.path.join(root, "tmp")) == []
    return result


def test_invalid_reference(registry, tmp_root):
    before = _seeded_store(registry, tmp_root)
    _assert_fails_cleanly(tmp_root, before, "Busybox:latest", "invalid reference format", "lowercase")
    _assert_fails_cleanly(tmp_root, before, "busybox:bad tag!", "invalid reference format")


def test_tampered_blob_is_refused(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    name, info = _push_crafted(registry, tmp_path, [_tar(_file("data/file", b"payload" * 1000))])
    blob = registry.blob_path(info["layer_digests"][-1])
    with open(blob, "r+b") as f:  # same size, other bytes
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        f.seek(0)
        f.write(bytes(data))
    _assert_fails_cleanly(tmp_root, before, name, "does not match its digest")


def test_layer_with_dotdot_paths(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    name, _ = _push_crafted(registry, tmp_path, [_tar(_file("../../escaped-%s" % uuid.uuid4().hex))])
    result = _assert_fails_cleanly(tmp_root, before, name, "..")
    assert result["error"] == "UnsafePath"


def test_symlink_to_root_then_a_file_through_it(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    target = "/var/tmp/strata-escape-%s" % uuid.uuid4().hex
    name, _ = _push_crafted(registry, tmp_path, [_tar(_link("escape", "/"), _file("escape" + target))])
    result = _assert_fails_cleanly(tmp_root, before, name)
    assert result["error"] == "UnsafePath"
    assert not os.path.exists(target)


def test_hard_link_to_a_path_outside_the_layer(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    for target in ("../../../../etc/passwd", "/etc/passwd"):
        name, _ = _push_crafted(registry, tmp_path, [_tar(_dir("etc"), _link("etc/pw", target, tarfile.LNKTYPE))])
        result = _assert_fails_cleanly(tmp_root, before, name)
        assert result["error"] == "UnsafePath"


def _plant_manifest(registry, repo, tag, data):
    """The registry refuses to accept manifests over 4 MiB, so a hostile one is planted in its
    storage, where the registry serves it from like any other."""
    digest = hashlib.sha256(data).hexdigest()
    blob = registry.blob_path("sha256:" + digest)
    os.makedirs(os.path.dirname(blob), exist_ok=True)
    with open(blob, "wb") as f:
        f.write(data)
    manifests = os.path.join(registry.data_dir, "docker/registry/v2/repositories", repo, "_manifests")
    for link in ("revisions/sha256/%s/link" % digest, "tags/%s/current/link" % tag,
                 "tags/%s/index/sha256/%s/link" % (tag, digest)):
        os.makedirs(os.path.dirname(os.path.join(manifests, link)), exist_ok=True)
        with open(os.path.join(manifests, link), "w") as f:
            f.write("sha256:" + digest)


def test_oversized_manifest(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    name, info = _push_crafted(registry, tmp_path, [])
    repo = name.split("/", 1)[1].rsplit(":", 1)[0]
    manifest = json.loads(info["manifest"])
    manifest["annotations"] = {"padding": "p" * (5 << 20)}
    _plant_manifest(registry, repo, "huge", json.dumps(manifest).encode())
    served = requests.get("http://%s/v2/%s/manifests/huge" % (registry.addr, repo), timeout=60,
                          headers={"Accept": manifest["mediaType"]})
    assert served.status_code == 200 and len(served.content) > (5 << 20)
    _assert_fails_cleanly(tmp_root, before, "%s/%s:huge" % (registry.addr, repo), "larger than the limit")
