# -*- coding: utf-8 -*-
"""oci-archive and OCI layout directories: write -> read, layouts other tools write, indexes."""

from __future__ import annotations

import gzip
import json
import os
import tarfile

import pytest
from archbuild import hexof, layer, oci_dir, read_layer, save_image, sha, tar_dir, write

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.archive import formats, model, oci_archive
from ansible_collections.strata.containers.plugins.module_utils.oci import spec

BASE = layer("base", b"base\n")
APP = layer("app", b"app\n")
OTHER = layer("other", b"other\n")


def _two_images():
    return [save_image([BASE, APP], ["busybox:latest", "127.0.0.1:5000/test/busybox:latest"]),
            save_image([BASE, OTHER], ["other:v1"])]


def test_round_trip_one_manifest_per_tag(tmp_path):
    images = _two_images()
    write(oci_archive, tmp_path / "o.tar", images)
    assert formats.detect(str(tmp_path / "o.tar")) == formats.OCI_ARCHIVE
    got = oci_archive.read(str(tmp_path / "o.tar"))
    assert [(g.repo_tags, g.ref_name) for g in got] == [
        (["busybox:latest"], "busybox:latest"),
        (["127.0.0.1:5000/test/busybox:latest"], "127.0.0.1:5000/test/busybox:latest"),
        (["other:v1"], "other:v1")]
    for back, image, tars in zip(got, [images[0], images[0], images[1]], ([BASE, APP], [BASE, APP], [BASE, OTHER])):
        assert back.config_bytes == image.config_bytes and back.config_digest == image.config_digest
        manifest = spec.parse_manifest(back.manifest_bytes)
        assert manifest.config.digest == image.config_digest and manifest.config.media_type == spec.OCI_CONFIG
        assert back.diff_ids == [sha(t) for t in tars]
        for archive_layer, tar in zip(back.layers, tars):
            assert archive_layer.media_type == model.OCI_LAYER
            assert archive_layer.digest == archive_layer.diff_id and archive_layer.size == len(tar)
            assert read_layer(archive_layer) == tar
    assert got[0].manifest_bytes == got[1].manifest_bytes


def test_deterministic_shared_layers_once(tmp_path):
    first = write(oci_archive, tmp_path / "1.tar", _two_images())
    assert write(oci_archive, tmp_path / "2.tar", _two_images()) == first
    with tarfile.open(tmp_path / "1.tar") as tar:
        names = tar.getnames()
        index = json.load(tar.extractfile("index.json"))
        layout = json.load(tar.extractfile("oci-layout"))
        for info in tar.getmembers():
            assert (info.mtime, info.uid, info.gid, info.mode) == (0, 0, 0, 0o755 if info.isdir() else 0o644)
    assert layout == {"imageLayoutVersion": "1.0.0"}
    assert len(names) == len(set(names))
    for tar in (BASE, APP, OTHER):
        assert names.count("blobs/sha256/" + hexof(tar)) == 1
    assert len(index["manifests"]) == 3 and index["schemaVersion"] == 2


def test_untagged_image_has_no_ref_name(tmp_path):
    write(oci_archive, tmp_path / "u.tar", [save_image([BASE])])
    with tarfile.open(tmp_path / "u.tar") as tar:
        assert "annotations" not in json.load(tar.extractfile("index.json"))["manifests"][0]
    image, = oci_archive.read(str(tmp_path / "u.tar"))
    assert image.repo_tags == [] and image.ref_name is None


def test_reads_a_layout_directory_and_its_tar(tmp_path):
    made = oci_dir(str(tmp_path / "lay"), [BASE, APP], tag="crafted", compression=["gzip", "none"])
    assert formats.detect(str(tmp_path / "lay")) == formats.OCI_DIR
    tarred = tar_dir(str(tmp_path / "lay"), str(tmp_path / "lay.tar"))  # "./"-prefixed names
    for path in (str(tmp_path / "lay"), tarred):
        image, = oci_archive.read(path)
        assert image.ref_name == "crafted" and image.repo_tags == []
        assert image.config_digest == made["config_digest"] and image.manifest_bytes == made["manifest"]
        gz, plain = image.layers
        assert (gz.media_type, gz.digest, gz.diff_id) == (model.OCI_LAYER_GZIP, made["layer_digests"][0], sha(BASE))
        assert gzip.decompress(read_layer(gz)) == BASE
        assert read_layer(plain) == APP


def test_containerd_name_annotation_gives_the_full_name(tmp_path):
    lay = str(tmp_path / "lay")
    oci_dir(lay, [BASE], tag="latest")
    with open(os.path.join(lay, "index.json")) as f:
        index = json.load(f)
    index["manifests"][0]["annotations"]["io.containerd.image.name"] = "docker.io/library/busybox:latest"
    with open(os.path.join(lay, "index.json"), "w") as f:
        json.dump(index, f)
    image, = oci_archive.read(lay)
    assert image.repo_tags == ["docker.io/library/busybox:latest"] and image.ref_name == "latest"


def _multi_platform(lay, nested=True):
    amd = oci_dir(lay, [BASE], tag="amd", architecture="amd64")
    arm = oci_dir(lay, [APP], tag="arm", architecture="arm64")
    entries = [{"mediaType": spec.OCI_MANIFEST, "digest": made["manifest_digest"], "size": len(made["manifest"]),
                "platform": {"os": "linux", "architecture": arch}} for made, arch in ((amd, "amd64"), (arm, "arm64"))]
    index = {"schemaVersion": 2, "mediaType": spec.OCI_INDEX, "manifests": entries}
    if nested:
        data = json.dumps({"schemaVersion": 2, "mediaType": spec.OCI_INDEX, "manifests": entries}).encode()
        with open(os.path.join(lay, "blobs", "sha256", hexof(data)), "wb") as f:
            f.write(data)
        index["manifests"] = [{"mediaType": spec.OCI_INDEX, "digest": sha(data), "size": len(data),
                               "annotations": {"org.opencontainers.image.ref.name": "multi"}}]
    with open(os.path.join(lay, "index.json"), "w") as f:
        json.dump(index, f)
    return amd, arm


@pytest.mark.parametrize("nested", [True, False])
def test_index_resolves_to_the_host_platform(tmp_path, monkeypatch, nested):
    lay = str(tmp_path / "lay")
    amd, arm = _multi_platform(lay, nested)
    monkeypatch.setattr(spec, "host_platform", lambda: spec.Platform("linux", "arm64", "v8"))
    image, = oci_archive.read(lay)
    assert image.manifest_bytes == arm["manifest"] and image.diff_ids == [sha(APP)]
    assert image.ref_name == ("multi" if nested else None)
    monkeypatch.setattr(spec, "host_platform", lambda: spec.Platform("linux", "amd64"))
    assert oci_archive.read(lay)[0].manifest_bytes == amd["manifest"]
    monkeypatch.setattr(spec, "host_platform", lambda: spec.Platform("linux", "s390x"))
    with pytest.raises(InvalidSpec, match="no image for platform linux/s390x"):
        oci_archive.read(lay)
