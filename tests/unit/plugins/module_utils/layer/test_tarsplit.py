# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile

import pytest
from tarbuild import OneWay, entry, tar

from ansible_collections.strata.containers.plugins.module_utils._errors import Corrupt, LayerError
from ansible_collections.strata.containers.plugins.module_utils.layer.apply import apply_layer
from ansible_collections.strata.containers.plugins.module_utils.layer.tarsplit import (SplitRecorder,
                                                                                       is_reproducible,
                                                                                       reassemble)


def _roundtrip(data, vartmp):
    dest, split = vartmp / "diff", str(vartmp / "split.gz")
    dest.mkdir()
    apply_layer(OneWay(data), str(dest), split_out=split)
    out = io.BytesIO()
    reassemble(split, str(dest), out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_python_tars_are_rebuilt_byte_for_byte(vartmp, fmt):
    long_name = "deep/" + "n" * 150 + "/file"
    entries = [entry("a", "dir"), entry("a/big", data=os.urandom(3 << 20)), entry("a/empty", data=b""),
               entry("a/ln", "hardlink", link="a/big"), entry("a/sym", "symlink", link="/x"),
               entry(".wh.gone")]
    if fmt != tarfile.USTAR_FORMAT:
        entries.append(entry(long_name, data=b"long"))
    if fmt == tarfile.PAX_FORMAT:
        entries.append(entry("a/attr", data=b"x", xattrs={"user.k": "v"}))
    data = tar(*entries, fmt=fmt) + b"\0" * 4096 + b"trailing junk"  # kept verbatim too
    assert hashlib.sha256(_roundtrip(data, vartmp)).digest() == hashlib.sha256(data).digest()


def test_gnu_tar_output_is_rebuilt(vartmp):
    src = vartmp / "src"
    (src / "d").mkdir(parents=True)
    for i in range(50):
        (src / "d" / ("f%d" % i)).write_bytes(os.urandom(i * 100))
    os.symlink("d/f1", src / "s")
    os.link(src / "d" / "f2", src / "h")
    data = subprocess.run(["tar", "-C", str(src), "-cf", "-", "."], check=True, capture_output=True).stdout
    assert _roundtrip(data, vartmp) == data


def test_a_referenced_file_replaced_later_marks_the_record(vartmp):
    dest, split = vartmp / "diff", str(vartmp / "split.gz")
    dest.mkdir()
    apply_layer(OneWay(tar(entry("f", data=b"one"), entry("f", data=b"two"))), str(dest), split_out=split)
    assert (dest / "f").read_bytes() == b"two"
    assert not is_reproducible(split)
    with pytest.raises(LayerError):
        reassemble(split, str(dest), io.BytesIO())


def test_replacing_entries_without_content_keeps_the_record(vartmp):
    data = tar(entry("s", "symlink", link="x"), entry("s", data=b"now a file"), entry("d", "dir"),
               entry("d", "dir", mode=0o700), entry("h", "hardlink", link="s"), entry("h", data=b"own"))
    assert _roundtrip(data, vartmp) == data


@pytest.mark.parametrize("fmt", ["gnu", "posix"])
def test_gnu_tar_sparse_files_are_rebuilt(vartmp, fmt):
    src = vartmp / "src"
    src.mkdir()
    with open(src / "sparse", "wb") as f:
        f.write(b"head")
        f.seek(3 << 20)
        f.write(b"tail")
    (src / "plain").write_bytes(os.urandom(20000))
    data = subprocess.run(["tar", "-C", str(src), "--format", fmt, "--sparse", "-cf", "-", "."], check=True,
                          capture_output=True).stdout
    assert _roundtrip(data, vartmp) == data


def test_a_changed_layer_file_is_corrupt(vartmp):
    dest, split = vartmp / "diff", str(vartmp / "split.gz")
    dest.mkdir()
    apply_layer(OneWay(tar(entry("f", data=b"12345"))), str(dest), split_out=split)
    (dest / "f").write_bytes(b"123")
    with pytest.raises(Corrupt):
        reassemble(split, str(dest), io.BytesIO())


def test_a_failed_extraction_leaves_no_record(vartmp):
    dest, split = vartmp / "diff", str(vartmp / "split.gz")
    dest.mkdir()
    with pytest.raises(LayerError):
        apply_layer(OneWay(tar(entry("../x", data=b"1"))), str(dest), split_out=split)
    assert not os.path.exists(split) and not os.path.exists(split + ".tmp")


def test_the_recorder_buffers_little(vartmp):
    """Content passes through without being held: memory stays bounded for big files."""
    dest, split = vartmp / "diff", str(vartmp / "split.gz")
    dest.mkdir()
    data = tar(entry("big", data=b"z" * (8 << 20)), entry("small", data=b"s"))
    seen = []
    real = SplitRecorder.read

    def spy(self, n=-1):
        out = real(self, n)
        seen.append(len(self.pending) + len(self.raw))
        return out
    SplitRecorder.read = spy
    try:
        apply_layer(OneWay(data), str(dest), split_out=split)
    finally:
        SplitRecorder.read = real
    assert max(seen) < (1 << 20)
    out = io.BytesIO()
    reassemble(split, str(dest), out)
    assert out.getvalue() == data
