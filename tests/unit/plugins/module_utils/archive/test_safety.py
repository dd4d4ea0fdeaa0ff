# -*- coding: utf-8 -*-
"""Hostile and broken archives: every one is refused with an error that names the problem and
the archive, and nothing is ever written to disk while reading."""

from __future__ import annotations

import gzip
import json
import os
import re

import pytest
from archbuild import config, docker_entries, hexof, layer, make_tar, oci_dir, read_layer, save_image, sha, tar_dir, write

from ansible_collections.strata.containers.plugins.module_utils._errors import (
    DigestMismatch, InvalidSpec, SizeMismatch, UnsafePath)
from ansible_collections.strata.containers.plugins.module_utils.archive import docker_archive, formats, oci_archive, safety
from ansible_collections.strata.containers.plugins.module_utils.oci import spec

BASE = layer("base", b"base\n")
APP = layer("app", b"app\n")


def _refused(reader, path, error, *words):
    with pytest.raises(error) as info:
        reader(path)
    for word in (path,) + words:
        assert word in str(info.value), str(info.value)
    return info.value


def _docker(tmp_path, entries, name="a.tar"):
    return make_tar(str(tmp_path / name), entries)


@pytest.mark.parametrize("bad", ["/etc/passwd", "a/../../escape", "../up", "x/.."])
def test_unsafe_entry_names_refuse_the_whole_archive(tmp_path, bad):
    path = _docker(tmp_path, docker_entries([BASE]) + [(bad, b"x")])
    _refused(docker_archive.read, path, UnsafePath, repr(bad))
    _refused(oci_archive.read, path, UnsafePath, repr(bad))
    _refused(formats.detect, path, UnsafePath)


@pytest.mark.parametrize("doc, words", [
    (None, "manifest.json is null"), ({}, "not a JSON list"), ([], "lists no images"), (["x"], "not an object"),
    ([{"Layers": []}], "has no Config"), ([{"Config": "c.json", "Layers": "x"}], "no valid Layers"),
    ([{"Config": "c.json", "Layers": [], "RepoTags": "a:b"}], "invalid RepoTags"),
    ([{"Config": "c.json", "Layers": ["x"] * (spec.MAX_LAYERS + 1)}], "over the limit")])
def test_bad_manifest_json(tmp_path, doc, words):
    _refused(docker_archive.read, _docker(tmp_path, [("manifest.json", doc)]), InvalidSpec, words)


def test_manifest_json_invalid_or_oversized(tmp_path, monkeypatch):
    _refused(docker_archive.read, _docker(tmp_path, [("manifest.json", b"[{")]), InvalidSpec, "not valid JSON")
    path = _docker(tmp_path, docker_entries([BASE]), "big.tar")
    monkeypatch.setattr(safety, "MAX_INDEX_BYTES", 50)
    _refused(docker_archive.read, path, InvalidSpec, "manifest.json is", "over the limit of 50")


@pytest.mark.parametrize("config_name, error", [
    ("missing.json", InvalidSpec), ("../x.json", UnsafePath), ("/etc/passwd", UnsafePath), ("a/../../x", UnsafePath)])
def test_config_path_outside_or_missing(tmp_path, config_name, error):
    entries = [("manifest.json", [{"Config": config_name, "RepoTags": None, "Layers": []}])]
    _refused(docker_archive.read, _docker(tmp_path, entries), error, repr(config_name))


def test_missing_layer_and_links_out_of_the_archive(tmp_path):
    entries = docker_entries([BASE, APP])
    missing = [e for e in entries if e[0] != hexof(APP) + "/layer.tar"]
    _refused(docker_archive.read, _docker(tmp_path, missing, "m.tar"), InvalidSpec, hexof(APP) + "/layer.tar",
             "is not in the archive")
    for target in ("../../etc/passwd", "/etc/passwd"):
        linked = [e if e[0] != hexof(APP) + "/layer.tar" else (e[0], "symlink", target) for e in entries]
        _refused(docker_archive.read, _docker(tmp_path, linked, "l.tar"), UnsafePath, "links outside", target)
    looped = [e if e[0] != hexof(APP) + "/layer.tar" else (e[0], "symlink", "layer.tar") for e in entries]
    _refused(docker_archive.read, _docker(tmp_path, looped, "loop.tar"), InvalidSpec, "too many links")
    as_dir = [e if e[0] != hexof(APP) + "/layer.tar" else (e[0], "dir") for e in entries]
    _refused(docker_archive.read, _docker(tmp_path, as_dir, "d.tar"), InvalidSpec, "not a regular file")


def test_bad_configs(tmp_path, monkeypatch):
    entries = docker_entries([BASE, APP], config_bytes=config([BASE]))
    _refused(docker_archive.read, _docker(tmp_path, entries, "n.tar"), InvalidSpec, "lists 2 layers", "1 diff_ids")
    entries = docker_entries([BASE], config_bytes=b"null")
    _refused(docker_archive.read, _docker(tmp_path, entries, "null.tar"), InvalidSpec, "image config is not a JSON object")
    named = [("blobs/sha256/" + "0" * 64, config([BASE])), (hexof(BASE) + "/layer.tar", BASE),
             ("manifest.json", [{"Config": "blobs/sha256/" + "0" * 64, "Layers": [hexof(BASE) + "/layer.tar"]}])]
    _refused(docker_archive.read, _docker(tmp_path, named, "named.tar"), DigestMismatch, "does not match")
    monkeypatch.setattr(spec, "MAX_CONFIG_BYTES", 20)
    _refused(docker_archive.read, _docker(tmp_path, docker_entries([BASE]), "big.tar"), InvalidSpec, "over the limit of 20")


def test_not_an_image_archive(tmp_path):
    good = str(tmp_path / "good.tar")
    write(docker_archive, good, [save_image([BASE], ["a:b"])])
    with open(good, "rb") as f:
        data = f.read()
    cases = {"gz.tar": (gzip.compress(data), "gzip-compressed"), "text.tar": (b"hello" * 200, "not a valid tar"),
             "cut.tar": (data[:3000], "truncated")}
    for name, (content, words) in cases.items():
        with open(tmp_path / name, "wb") as f:
            f.write(content)
        _refused(docker_archive.read, str(tmp_path / name), InvalidSpec, words)
    _refused(docker_archive.read, str(tmp_path / "absent.tar"), InvalidSpec, "cannot read")
    _refused(formats.detect, _docker(tmp_path, [("x", b"y")], "x.tar"), InvalidSpec, "not an image archive")
    _refused(docker_archive.read, _docker(tmp_path, [("oci-layout", b"{}")], "o.tar"), InvalidSpec, "no manifest.json")
    twice = docker_entries([BASE]) + [("manifest.json", [])]
    _refused(docker_archive.read, _docker(tmp_path, twice, "twice.tar"), InvalidSpec, "'manifest.json' appears twice")


def _layout(tmp_path, **kwargs):
    lay = str(tmp_path / "lay")
    return lay, oci_dir(lay, [BASE, APP], tag="t", **kwargs)


def _rewrite(path, doc):
    with open(path, "w" if not isinstance(doc, bytes) else "wb") as f:
        if isinstance(doc, bytes):
            f.write(doc)
        else:
            json.dump(doc, f)


def test_oci_layout_file(tmp_path):
    lay, dummy = _layout(tmp_path)
    for doc, words in (({"imageLayoutVersion": "2.0.0"}, "unsupported imageLayoutVersion '2.0.0'"),
                       (None, "oci-layout is null"), ([], "not a JSON object")):
        _rewrite(os.path.join(lay, "oci-layout"), doc)
        _refused(oci_archive.read, lay, InvalidSpec, words)
    os.unlink(os.path.join(lay, "oci-layout"))
    _refused(oci_archive.read, lay, InvalidSpec, "no oci-layout")
    _refused(formats.detect, lay, InvalidSpec, "oci-layout")


def test_bad_index_json(tmp_path, monkeypatch):
    lay, made = _layout(tmp_path)
    index = os.path.join(lay, "index.json")
    cases = ((None, "index.json is null"), ([], "not a JSON object"), (b"{", "not valid JSON"),
             ({"schemaVersion": 2, "manifests": [{"digest": "sha512:" + "0" * 128, "size": 1}]}, "sha512"),
             (json.loads(made["manifest"]), "not an image index"),
             ({"schemaVersion": 2, "manifests": []}, "lists no images"))
    for doc, words in cases:
        _rewrite(index, doc)
        _refused(oci_archive.read, lay, InvalidSpec, words)
    monkeypatch.setattr(safety, "MAX_INDEX_BYTES", 10)
    _refused(oci_archive.read, lay, InvalidSpec, "index.json is", "over the limit of 10")


def _blob(lay, digest):
    return os.path.join(lay, "blobs", "sha256", digest.split(":")[1])


def _flip(path):
    with open(path, "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 1]))


def test_small_blobs_are_verified_at_once(tmp_path):
    for key in ("config_digest", "manifest_digest"):
        lay, made = _layout(tmp_path)
        _flip(_blob(lay, made[key]))
        _refused(oci_archive.read, lay, DigestMismatch, made[key])
        tarred = tar_dir(lay, str(tmp_path / "lay.tar"))
        _refused(oci_archive.read, tarred, DigestMismatch, made[key])
        os.unlink(tarred)
        os.rename(lay, str(tmp_path / ("old-" + key)))


def test_layer_blobs(tmp_path):
    lay, made = _layout(tmp_path)
    _flip(_blob(lay, made["layer_digests"][1]))
    image, = oci_archive.read(lay)
    read_layer(image.layers[0])
    with pytest.raises(DigestMismatch, match=re.escape(lay)):
        read_layer(image.layers[1])
    with open(_blob(lay, made["layer_digests"][1]), "ab") as f:
        f.write(b"x")
    _refused(oci_archive.read, lay, SizeMismatch, "its descriptor says")
    os.unlink(_blob(lay, made["layer_digests"][1]))
    _refused(oci_archive.read, lay, InvalidSpec, "is missing", hexof(APP))
    os.symlink("/etc/hostname", _blob(lay, made["layer_digests"][1]))
    _refused(oci_archive.read, lay, InvalidSpec, "cannot open")


def test_oversized_descriptor(tmp_path, monkeypatch):
    lay, dummy = _layout(tmp_path)
    monkeypatch.setattr(spec, "MAX_CONFIG_BYTES", 10)
    _refused(oci_archive.read, lay, InvalidSpec, "config sha256:", "over the limit of 10")


def test_readers_never_write_to_disk(tmp_path, monkeypatch):
    archive_dir, cwd = tmp_path / "in", tmp_path / "cwd"
    archive_dir.mkdir()
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    write(docker_archive, archive_dir / "d.tar", [save_image([BASE, APP], ["a:b"])])
    write(oci_archive, archive_dir / "o.tar", [save_image([BASE, APP], ["a:b"])])
    before = sorted(os.listdir(archive_dir))
    for image in docker_archive.read(str(archive_dir / "d.tar")) + oci_archive.read(str(archive_dir / "o.tar")):
        assert [read_layer(x) for x in image.layers] == [BASE, APP]
        assert sha(image.config_bytes) == image.config_digest
    assert sorted(os.listdir(archive_dir)) == before and os.listdir(cwd) == []


DEEP = b"[" * 100000 + b"]" * 100000
SHALLOWER = b"[" * 20000 + b"]" * 20000  # oci-layout may have 64 KiB


def test_deeply_nested_json_is_refused(tmp_path):
    """manifest.json, index.json, oci-layout and configs nested 100,000 deep: InvalidSpec naming
    the file, not a RecursionError."""
    _refused(docker_archive.read, _docker(tmp_path, [("manifest.json", DEEP)]), InvalidSpec,
             "manifest.json is nested 100000 levels deep")
    entries = docker_entries([BASE], config_bytes=b'{"rootfs": {"type": "layers", "diff_ids": []}, "x": %s}' % DEEP)
    _refused(docker_archive.read, _docker(tmp_path, entries, "c.tar"), InvalidSpec, "image config is nested")
    lay, dummy = _layout(tmp_path)
    for name, deep in (("index.json", DEEP), ("oci-layout", SHALLOWER)):
        with open(os.path.join(lay, name), "rb") as f:
            good = f.read()
        _rewrite(os.path.join(lay, name), deep)
        _refused(oci_archive.read, lay, InvalidSpec, name + " is nested %d levels deep" % (len(deep) // 2))
        _refused(oci_archive.read, tar_dir(lay, str(tmp_path / "lay.tar")), InvalidSpec, name + " is nested")
        os.unlink(str(tmp_path / "lay.tar"))
        _rewrite(os.path.join(lay, name), good)


def _replace_manifest(lay, made, manifest, entry_type=None):
    """Swap the layout's manifest blob for ``manifest`` (a dict) and point index.json at it."""
    data = json.dumps(manifest).encode()
    _rewrite(_blob(lay, sha(data)), data)
    with open(os.path.join(lay, "index.json")) as f:
        index = json.load(f)
    index["manifests"][0].update(digest=sha(data), size=len(data))
    if entry_type:
        index["manifests"][0]["mediaType"] = entry_type
    _rewrite(os.path.join(lay, "index.json"), index)


@pytest.mark.parametrize("change, entry_type, words", [
    ({"manifests": []}, None, "both 'manifests' and 'layers'"),
    ({}, spec.OCI_INDEX, "mediaType %s but was served as %s" % (spec.OCI_MANIFEST, spec.OCI_INDEX)),
    ({"mediaType": None}, spec.OCI_INDEX, "(an image index) but it has 'layers'"),
])
def test_ambiguous_manifest_in_a_layout(tmp_path, change, entry_type, words):
    """CVE-2021-41190 in an archive: a manifest that could be read as an index (or the other way
    round, by what its index.json entry says) is refused."""
    lay, made = _layout(tmp_path)
    manifest = dict(json.loads(made["manifest"]), **change)
    _replace_manifest(lay, made, {k: v for k, v in manifest.items() if v is not None}, entry_type)
    _refused(oci_archive.read, lay, InvalidSpec, "ambiguous manifest", words)


def test_ambiguous_index_json(tmp_path):
    lay, made = _layout(tmp_path)
    with open(os.path.join(lay, "index.json")) as f:
        index = json.load(f)
    _rewrite(os.path.join(lay, "index.json"), dict(index, layers=[], config={}))
    _refused(oci_archive.read, lay, InvalidSpec, "ambiguous manifest", "both 'manifests'")
