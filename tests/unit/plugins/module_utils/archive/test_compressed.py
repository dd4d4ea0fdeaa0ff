# -*- coding: utf-8 -*-
"""Archives compressed as a whole: detected by magic bytes, decompressed as a stream within the
layer limits, a cut-off or damaged stream refused, the temporary copy always removed."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os

import pytest
import zstandard

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.archive import compressed
from ansible_collections.strata.containers.plugins.module_utils.layer.limits import Limits

DATA = os.urandom(300000) + b"\0" * 300000
KINDS = {"gzip": gzip.compress, "xz": lzma.compress, "bzip2": bz2.compress,
         "zstd": zstandard.ZstdCompressor().compress}


def _write(tmp_path, name, data):
    path = str(tmp_path / name)
    with open(path, "wb") as f:
        f.write(data)
    return path


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_is_found_by_its_magic_and_decompressed(tmp_path, kind):
    path = _write(tmp_path, "archive", KINDS[kind](DATA))
    assert compressed.detect(path) == kind
    with compressed.plain_archive(path) as plain:
        with open(plain, "rb") as f:
            assert f.read() == DATA
    assert not os.path.exists(plain)


def test_a_plain_archive_is_used_in_place(tmp_path):
    path = _write(tmp_path, "plain.tar", DATA)
    assert compressed.detect(path) is None
    with compressed.plain_archive(path) as plain:
        assert plain == path


def test_zstd_frames_one_after_another(tmp_path):
    frame = zstandard.ZstdCompressor().compress(DATA)
    with compressed.plain_archive(_write(tmp_path, "two.zst", frame + frame)) as plain:
        assert os.path.getsize(plain) == 2 * len(DATA)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_cut_off_stream_is_refused_and_nothing_is_left(tmp_path, kind):
    packed = KINDS[kind](DATA)
    path = _write(tmp_path, "cut", packed[:len(packed) // 2])
    work = tmp_path / "work"
    work.mkdir()

    class Work:
        def __enter__(self):
            (work / "w").mkdir()
            return str(work / "w")

        def __exit__(self, *exc):
            for name in os.listdir(str(work / "w")):
                os.unlink(str(work / "w" / name))
            os.rmdir(str(work / "w"))

    with pytest.raises(InvalidSpec, match="archive %s: its %s data is damaged or cut short" % (path, kind)):
        with compressed.plain_archive(path, Work):
            pass
    assert os.listdir(str(work)) == []


def test_a_decompression_bomb_stops_at_the_inflation_limit(tmp_path):
    path = _write(tmp_path, "bomb.gz", gzip.compress(b"\0" * (8 << 20)))
    with pytest.raises(InvalidSpec, match="decompression bomb"):
        with compressed.plain_archive(path, limits=Limits(inflation_check_after=1 << 20)):
            pass


def test_errors_inside_the_block_name_the_archive_not_the_copy(tmp_path):
    path = _write(tmp_path, "a.tar.gz", gzip.compress(DATA))
    with pytest.raises(InvalidSpec) as caught:
        with compressed.plain_archive(path) as plain:
            raise InvalidSpec("archive %s is not a valid tar archive" % plain)
    assert str(caught.value) == "archive %s (gzip-decompressed) is not a valid tar archive" % path
