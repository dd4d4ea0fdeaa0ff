# -*- coding: utf-8 -*-
"""What one layer may cost: free space left on the store's filesystem, inflation of its
compressed stream, the size of its tar headers. Each refusal is a LayerError and the store
keeps nothing of the layer."""
from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
import tempfile

import pytest
from tarbuild import entry, tar

from ansible_collections.strata.containers.plugins.module_utils.archive import transfer as archives
from ansible_collections.strata.containers.plugins.module_utils._errors import LayerError
from ansible_collections.strata.containers.plugins.module_utils.archive.model import ArchiveLayer
from ansible_collections.strata.containers.plugins.module_utils.layer import apply, compression, limits
from ansible_collections.strata.containers.plugins.module_utils.oci import digest
from ansible_collections.strata.containers.plugins.module_utils.store.store import Store

MIB = 1 << 20


@pytest.fixture
def small_fs():
    """A 64 MiB tmpfs, made and unmounted by this test."""
    path = tempfile.mkdtemp(prefix="strata-small-fs-", dir="/var/tmp")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "strata-test", path], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", path], check=True)
        os.rmdir(path)


def _gzip_layer(*entries):
    data = tar(*entries)
    packed = gzip.compress(data, 6)
    return ArchiveLayer(digest.of_bytes(data), "application/vnd.oci.image.layer.v1.tar+gzip", digest.of_bytes(packed),
                        len(packed), lambda: io.BytesIO(packed))


def _store_layer(store, layer):
    return store.layers.ensure(layer.diff_id, layer.diff_id, None,
                               archives._extractor(layer, layer.diff_id, store.layers.limits))  # pylint: disable=protected-access


def _assert_store_empty(store):
    assert store.layers.all() == [] and os.listdir(store.tmp) == []


def test_a_layer_that_would_eat_the_reserve_is_refused(small_fs):
    store = Store(os.path.join(small_fs, "root"), limits=limits.Limits(min_free_space=16 * MIB))
    zeros = _gzip_layer(entry("a", data=b"\0" * (30 * MIB)), entry("b", data=b"\0" * (30 * MIB)))
    with pytest.raises(LayerError, match="under the reserve of 16777216 bytes .*min_free_space"):
        _store_layer(store, zeros)
    _assert_store_empty(store)
    # What fits above the reserve lands.
    assert _store_layer(store, _gzip_layer(entry("c", data=b"\0" * (20 * MIB))))


def test_the_default_reserve_is_at_least_one_gib(small_fs):
    store = Store(os.path.join(small_fs, "root"))
    with pytest.raises(LayerError, match="under the reserve of %d bytes" % (1 << 30)):
        _store_layer(store, _gzip_layer(entry("tiny", data=b"x")))
    _assert_store_empty(store)
    st = os.statvfs("/")
    assert limits.DEFAULT.reserve(st) == max(1 << 30, st.f_blocks * st.f_frsize // 20)
    assert limits.Limits(min_free_space=0).reserve(st) == 0


def test_a_decompression_bomb_is_refused(tmp_path):
    bomb = _gzip_layer(entry("zeros", data=b"\0" * (40 * MIB)))  # about 40 KiB of gzip
    store = Store(str(tmp_path / "root"), limits=limits.Limits(min_free_space=0, max_inflation_ratio=100,
                                                               inflation_check_after=4 * MIB))
    with pytest.raises(LayerError, match="inflated to over .* more than 100 times .*max_inflation_ratio"):
        _store_layer(store, bomb)
    _assert_store_empty(store)
    # Past the ratio, but not past the size it is checked after; or with the check off.
    for lax in (limits.Limits(min_free_space=0), limits.Limits(min_free_space=0, max_inflation_ratio=0,
                                                               inflation_check_after=0)):
        reader = compression.decompressing_reader(bomb.open(), compression.GZIP, lax)
        assert sum(len(c) for c in iter(lambda r=reader: r.read(MIB), b"")) > 40 * MIB


def _pax_tar(header_bytes):
    info, data = entry("file", data=b"content")
    info.pax_headers = {"comment": "x" * header_bytes}
    return tar((info, data))


def _gnu_long_name_tar(name_bytes):
    return tar(entry("d" * name_bytes, data=b"content"), fmt=tarfile.GNU_FORMAT)


@pytest.mark.parametrize("data, words", [
    (_pax_tar(4 * MIB), "PAX extended header of 4194"),
    (_gnu_long_name_tar(2 * MIB), "GNU long name of 2097"),
])
def test_oversized_tar_headers_are_refused_before_they_are_read(tmp_path, data, words):
    dest, split = tmp_path / "dest", str(tmp_path / "split.gz")
    dest.mkdir()
    with pytest.raises(LayerError, match=words + ".*the limit is 1048576 bytes"):
        apply.apply_layer(io.BytesIO(data), str(dest), split_out=split, limits=limits.Limits(min_free_space=0))
    assert os.listdir(str(dest)) == [] and os.listdir(str(tmp_path)) == ["dest"]


def test_headers_under_the_limit_and_a_chain_over_it(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    apply.apply_layer(io.BytesIO(_pax_tar(MIB // 2)), str(dest), limits=limits.Limits(min_free_space=0))
    assert (dest / "file").read_bytes() == b"content"
    # Each PAX header under the limit, but a chain of them before one entry: refused.
    one = _pax_tar(MIB // 2)
    with tarfile.open(fileobj=io.BytesIO(one)) as parsed:
        pax_only = one[:parsed.getmembers()[0].offset_data - 512]  # the 'x' header and its records
    chain = pax_only * 6
    with pytest.raises(LayerError, match="header chain"):
        apply.apply_layer(io.BytesIO(chain + _pax_tar(10)), str(tmp_path / "dest"),
                          limits=limits.Limits(min_free_space=0))


def test_engine_options_reach_every_extraction(tmp_path):
    from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
    from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
    engine = Engine(str(tmp_path / "root"), min_free_space=5 * MIB, max_inflation_ratio=7, inflation_check_after=MIB)
    assert engine.store.layers.limits == limits.Limits(5 * MIB, 7, MIB)
    assert Engine(str(tmp_path / "root")).store.layers.limits == limits.DEFAULT
    with pytest.raises(InvalidSpec, match="min_free_space must be a number of bytes"):
        Engine(str(tmp_path / "root"), min_free_space=-1)
