# -*- coding: utf-8 -*-
"""docker-archive: write -> read round trips, determinism, and the layouts other tools write."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest
from archbuild import config, docker_entries, hexof, layer, make_tar, read_layer, save_image, sha, write

from ansible_collections.strata.containers.plugins.module_utils._errors import DigestMismatch, InvalidSpec, SizeMismatch
from ansible_collections.strata.containers.plugins.module_utils.archive import docker_archive, formats, model, oci_archive

BASE = layer("base", b"base\n")
APP = layer("app", b"app\n")
OTHER = layer("other", b"other\n")


def _two_images():
    return [save_image([BASE, APP], ["busybox:latest", "127.0.0.1:5000/test/busybox:latest"]),
            save_image([BASE, OTHER], ["other:v1"])]


def test_round_trip(tmp_path):
    images = _two_images()
    write(docker_archive, tmp_path / "a.tar", images)
    assert formats.detect(str(tmp_path / "a.tar")) == formats.DOCKER_ARCHIVE
    got = docker_archive.read(str(tmp_path / "a.tar"))
    assert len(got) == 2
    for image, back, tars in zip(images, got, ([BASE, APP], [BASE, OTHER])):
        assert back.config_bytes == image.config_bytes
        assert back.config_digest == image.config_digest == sha(back.config_bytes)
        assert back.repo_tags == image.repo_tags
        assert back.manifest_bytes is None and back.ref_name is None
        assert back.diff_ids == [sha(t) for t in tars]
        for archive_layer, tar in zip(back.layers, tars):
            assert archive_layer.media_type == model.OCI_LAYER
            assert archive_layer.digest == archive_layer.diff_id == sha(tar)
            assert archive_layer.size == len(tar)
            assert read_layer(archive_layer) == tar


def test_deterministic_and_normalized(tmp_path):
    first = write(docker_archive, tmp_path / "1.tar", _two_images())
    assert write(docker_archive, tmp_path / "2.tar", _two_images()) == first
    with tarfile.open(tmp_path / "1.tar") as tar:
        for info in tar.getmembers():
            assert (info.mtime, info.uid, info.gid, info.uname, info.gname) == (0, 0, 0, "", "")
            assert info.mode == (0o755 if info.isdir() else 0o644)


def test_shared_layers_written_once_and_legacy_files(tmp_path):
    write(docker_archive, tmp_path / "a.tar", _two_images())
    with tarfile.open(tmp_path / "a.tar") as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        repositories = json.load(tar.extractfile("repositories"))
        base = hexof(BASE)
        assert tar.extractfile(base + "/VERSION").read() == b"1.0"
        assert json.load(tar.extractfile(base + "/json")) == {"id": base}
    assert [n for n in names if n.endswith("/layer.tar")] == ["%s/layer.tar" % hexof(t) for t in (BASE, APP, OTHER)]
    assert len(names) == len(set(names))
    assert manifest[0] == {"Config": hexof(config([BASE, APP])) + ".json",
                           "RepoTags": ["busybox:latest", "127.0.0.1:5000/test/busybox:latest"],
                           "Layers": [hexof(BASE) + "/layer.tar", hexof(APP) + "/layer.tar"]}
    assert repositories == {"busybox": {"latest": hexof(APP)}, "127.0.0.1:5000/test/busybox": {"latest": hexof(APP)},
                            "other": {"v1": hexof(OTHER)}}


def test_same_config_twice_is_one_entry_and_untagged_is_null(tmp_path):
    images = [save_image([BASE], ["a:1"]), save_image([BASE], ["b:2", "a:1"])]
    write(docker_archive, tmp_path / "a.tar", images)
    got = docker_archive.read(str(tmp_path / "a.tar"))
    assert [g.repo_tags for g in got] == [["a:1", "b:2"]]
    write(docker_archive, tmp_path / "u.tar", [save_image([BASE])])
    with tarfile.open(tmp_path / "u.tar") as tar:
        assert json.load(tar.extractfile("manifest.json"))[0]["RepoTags"] is None
        assert "repositories" not in tar.getnames()
    assert docker_archive.read(str(tmp_path / "u.tar"))[0].repo_tags == []


def test_writes_to_a_stream_that_cannot_seek(tmp_path):
    class Pipe(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    pipe = Pipe()
    docker_archive.write(pipe, _two_images())
    assert bytes(pipe.data) == write(docker_archive, tmp_path / "a.tar", _two_images())


def test_writer_checks_layers_against_their_description():
    image = save_image([BASE])
    short = model.SaveImage(image.config_bytes, image.config_digest, [],
                            [model.SaveLayer(sha(BASE), len(BASE), lambda: io.BytesIO(BASE[:-512]))])
    long = model.SaveImage(image.config_bytes, image.config_digest, [],
                           [model.SaveLayer(sha(BASE), len(BASE), lambda: io.BytesIO(BASE + b"x"))])
    other = model.SaveImage(image.config_bytes, image.config_digest, [],
                            [model.SaveLayer(sha(BASE), len(APP), lambda: io.BytesIO(APP))])
    for bad, error in ((short, SizeMismatch), (long, SizeMismatch), (other, DigestMismatch)):
        with pytest.raises(error):
            docker_archive.write(io.BytesIO(), [bad])
    with pytest.raises(InvalidSpec, match="rootfs.diff_ids"):
        docker_archive.write(io.BytesIO(), [model.SaveImage(image.config_bytes, image.config_digest, [], [])])
    with pytest.raises(DigestMismatch):
        docker_archive.write(io.BytesIO(), [model.SaveImage(image.config_bytes, sha(b"x"), [], image.layers)])
    with pytest.raises(InvalidSpec, match="repository:tag"):
        docker_archive.write(io.BytesIO(), [save_image([BASE], ["127.0.0.1:5000/busybox"])])


def test_reads_skopeo_layout_with_gzip_layer(tmp_path):
    """skopeo: <digest-hex>.tar layers, legacy <id>/layer.tar symlinks to them."""
    packed = gzip.compress(APP, mtime=0)
    names = [hexof(BASE) + ".tar", hexof(packed) + ".tar"]
    entries = docker_entries([BASE, APP], layer_names=names, blobs={1: packed})
    entries += [("1" * 64, "dir"), ("1" * 64 + "/layer.tar", "symlink", "../" + names[0])]
    path = make_tar(str(tmp_path / "s.tar"), entries)
    image, = docker_archive.read(path)
    base, app = image.layers
    assert (base.media_type, base.digest, read_layer(base)) == (model.OCI_LAYER, sha(BASE), BASE)
    assert (app.media_type, app.digest, app.size) == (model.OCI_LAYER_GZIP, sha(packed), len(packed))
    assert app.diff_id == sha(APP) and read_layer(app) == packed


def test_reads_docker25_blobs_and_symlinked_shared_layers(tmp_path):
    names = ["blobs/sha256/" + hexof(BASE), "2" * 64 + "/layer.tar"]
    entries = docker_entries([BASE, BASE], layer_names=names, blobs={1: b""}, config_bytes=config([BASE, BASE]))
    entries[1] = (names[1], "symlink", "../blobs/sha256/" + hexof(BASE))
    path = make_tar(str(tmp_path / "d.tar"), [("blobs", "dir"), ("blobs/sha256", "dir")] + entries)
    image, = docker_archive.read(path)
    assert [read_layer(x) for x in image.layers] == [BASE, BASE]
    assert [x.digest for x in image.layers] == [sha(BASE)] * 2


def test_zstd_magic_gives_the_zstd_media_type(tmp_path):
    blob = b"\x28\xb5\x2f\xfd" + b"\x00" * 20
    path = make_tar(str(tmp_path / "z.tar"), docker_entries([BASE], blobs={0: blob}))
    image, = docker_archive.read(path)
    assert image.layers[0].media_type == model.OCI_LAYER_ZSTD and image.layers[0].digest == sha(blob)


def test_layer_not_matching_its_diff_id_fails_at_eof(tmp_path):
    tampered = APP[:600] + b"X" + APP[601:]
    path = make_tar(str(tmp_path / "t.tar"), docker_entries([APP], blobs={0: tampered}))
    image, = docker_archive.read(path)
    with pytest.raises(DigestMismatch, match=str(tmp_path)):
        read_layer(image.layers[0])
    with pytest.raises(DigestMismatch), image.layers[0].open() as stream:
        stream.read()


def test_hard_linked_layer(tmp_path):
    names = [hexof(BASE) + ".tar", "3" * 64 + "/layer.tar"]
    entries = docker_entries([BASE, BASE], layer_names=names, config_bytes=config([BASE, BASE]))
    entries[1] = (names[1], "hardlink", names[0])
    image, = docker_archive.read(make_tar(str(tmp_path / "h.tar"), entries))
    assert [read_layer(x) for x in image.layers] == [BASE, BASE]


@pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo is not installed")
def test_skopeo_reads_ours_and_we_read_skopeos(tmp_path):
    images = [save_image([BASE, APP], ["busybox:latest"])]
    ours = str(tmp_path / "ours.tar")
    write(docker_archive, ours, images)
    subprocess.run(["skopeo", "copy", "-q", "docker-archive:" + ours, "oci:%s:x" % (tmp_path / "oci")],
                   check=True, capture_output=True)
    via_skopeo, = oci_archive.read(str(tmp_path / "oci"))
    assert via_skopeo.ref_name == "x" and via_skopeo.repo_tags == []
    assert via_skopeo.diff_ids == [sha(BASE), sha(APP)]
    # each blob matches skopeo's digest (read_layer checks at EOF), its content our diff_id
    contents = [read_layer(x) for x in via_skopeo.layers]
    assert [x.media_type for x in via_skopeo.layers] in ([model.OCI_LAYER] * 2, [model.OCI_LAYER_GZIP] * 2)
    if via_skopeo.layers[0].media_type == model.OCI_LAYER_GZIP:
        contents = [gzip.decompress(c) for c in contents]
    assert [sha(c) for c in contents] == [sha(BASE), sha(APP)]
    back = str(tmp_path / "back.tar")
    subprocess.run(["skopeo", "copy", "-q", "oci:%s:x" % (tmp_path / "oci"), "docker-archive:%s:re/named:v2" % back],
                   check=True, capture_output=True)
    image, = docker_archive.read(back)
    assert image.repo_tags[0].endswith("re/named:v2")
    assert image.diff_ids == [sha(BASE), sha(APP)]
    assert [read_layer(x) for x in image.layers] == [BASE, APP]
    assert not os.path.exists(os.path.join(str(tmp_path), "manifest.json"))
