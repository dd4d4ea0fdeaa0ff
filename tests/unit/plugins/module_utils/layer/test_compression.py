# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import gzip
import os

import pytest
from tarbuild import OneWay

from ansible_collections.strata.containers.plugins.module_utils._errors import LayerError, MissingDependency
from ansible_collections.strata.containers.plugins.module_utils import _deps
from ansible_collections.strata.containers.plugins.module_utils.layer import compression

zstandard = pytest.importorskip("zstandard")
DATA = os.urandom(300000) + b"\0" * 3000000 + os.urandom(1000)


@pytest.mark.parametrize("media_type, first, kind", [
    ("application/vnd.oci.image.layer.v1.tar", b"\x1f\x8b", "none"),
    ("application/vnd.oci.image.layer.v1.tar+gzip", b"", "gzip"),
    ("application/vnd.oci.image.layer.v1.tar+zstd", b"", "zstd"),
    ("application/vnd.oci.image.layer.nondistributable.v1.tar", b"", "none"),
    ("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", b"", "gzip"),
    ("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", b"", "zstd"),
    ("application/vnd.docker.image.rootfs.diff.tar.gzip", b"", "gzip"),
    ("application/vnd.docker.image.rootfs.diff.tar.zstd", b"", "zstd"),
    ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", b"", "gzip"),
    ("application/octet-stream", b"\x1f\x8b\x08", "gzip"),
    ("", b"\x28\xb5\x2f\xfd\x00", "zstd"),
    (None, b"ustar", "none"),
])
def test_detect(media_type, first, kind):
    assert compression.detect(media_type, first) == kind


def _read_all(reader, n):
    parts = []
    while True:
        data = reader.read(n)
        if not data:
            return b"".join(parts)
        assert len(data) <= n
        parts.append(data)


@pytest.mark.parametrize("n", [512, 10240, 1 << 20])
def test_gzip_multi_member_with_padding(n):
    packed = gzip.compress(DATA[:1000]) + gzip.compress(DATA[1000:]) + b"\0" * 10
    reader = compression.decompressing_reader(OneWay(packed), "gzip")
    assert _read_all(reader, n) == DATA


def test_gzip_read_all_at_once():
    assert compression.decompressing_reader(OneWay(gzip.compress(DATA)), "gzip").read() == DATA


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_damaged_gzip_is_a_layer_error(damage):
    packed = gzip.compress(DATA)
    packed = {"truncate": packed[:-20], "flip": packed[:100] + bytes([packed[100] ^ 0xff]) + packed[101:],
              "garbage": packed + b"not gzip at all"}[damage]
    with pytest.raises(LayerError):
        _read_all(compression.decompressing_reader(OneWay(packed), "gzip"), 1 << 16)


def test_zstd_across_frames():
    cctx = zstandard.ZstdCompressor()
    packed = cctx.compress(DATA[:5000]) + cctx.compress(DATA[5000:])
    assert _read_all(compression.decompressing_reader(OneWay(packed), "zstd"), 10240) == DATA


def test_damaged_zstd_is_a_layer_error():
    packed = zstandard.ZstdCompressor().compress(DATA)
    with pytest.raises(LayerError):
        _read_all(compression.decompressing_reader(OneWay(packed[:10] + b"\xff" * 50 + packed[60:]), "zstd"), 10240)


def test_zstd_without_the_library(monkeypatch):
    monkeypatch.setitem(_deps._LOADED, "zstandard", (None, "ImportError: no zstandard"))  # pylint: disable=protected-access
    with pytest.raises(MissingDependency):
        compression.decompressing_reader(OneWay(b""), "zstd")
    assert compression.decompressing_reader(OneWay(b"x"), "none").read() == b"x"
