# -*- coding: utf-8 -*-
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.oci import spec

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def _index(*platforms):
    return json.dumps({"schemaVersion": 2, "mediaType": spec.OCI_INDEX, "manifests": [
        {"mediaType": spec.OCI_MANIFEST, "digest": "sha256:%064x" % i, "size": 10, "platform": p}
        for i, p in enumerate(platforms)]}).encode()


def test_index_platform_selection_prefers_exact_variant():
    index = spec.parse_manifest(_index({"os": "linux", "architecture": "arm", "variant": "v6"},
                                       {"os": "linux", "architecture": "arm", "variant": "v7"},
                                       {"os": "linux", "architecture": "amd64"}))
    assert spec.select_platform(index, spec.parse_platform("linux/arm/v7")).digest == "sha256:%064x" % 1
    assert spec.select_platform(index, spec.parse_platform("amd64")).digest == "sha256:%064x" % 2
    with pytest.raises(InvalidSpec, match="linux/s390x.*linux/amd64"):
        spec.select_platform(index, spec.parse_platform("linux/s390x"))


def test_manifest_limits_and_media_types():
    manifest = {"schemaVersion": 2, "mediaType": spec.OCI_MANIFEST,
                "config": {"mediaType": spec.OCI_CONFIG, "digest": D1, "size": 2},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": D2, "size": 3}]}
    parsed = spec.parse_manifest(json.dumps(manifest).encode())
    assert parsed.layers[0].digest == D2
    big = dict(manifest, annotations={"x": "y" * spec.MAX_MANIFEST_BYTES})
    with pytest.raises(InvalidSpec, match="over the limit"):
        spec.parse_manifest(json.dumps(big).encode())
    with pytest.raises(InvalidSpec, match="unsupported layer media type"):
        spec.parse_manifest(json.dumps(dict(manifest, layers=[dict(manifest["layers"][0], mediaType="x/y")])).encode())
    with pytest.raises(InvalidSpec, match="schemaVersion"):
        spec.parse_manifest(json.dumps({"schemaVersion": 1, "fsLayers": []}).encode())
    with pytest.raises(InvalidSpec, match="not valid JSON"):
        spec.parse_manifest(b"{nope")
    with pytest.raises(InvalidSpec, match="not a JSON object"):
        spec.parse_manifest(b"null")


def test_config_needs_diff_ids():
    with pytest.raises(InvalidSpec, match="diff_ids"):
        spec.parse_config(b'{"rootfs": {"type": "layers"}}')
    assert spec.parse_config(json.dumps({"rootfs": {"type": "layers", "diff_ids": [D1]}}).encode())


def test_parse_platform():
    assert str(spec.parse_platform("linux/arm64/v8")) == "linux/arm64/v8"
    assert spec.parse_platform("x86_64").architecture == "amd64"
    with pytest.raises(InvalidSpec):
        spec.parse_platform("a/b/c/d")
