# -*- coding: utf-8 -*-
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile

import pytest
from tarbuild import OneWay, entry, tar

from ansible_collections.strata.containers.plugins.module_utils.layer.apply import apply_layer
from ansible_collections.strata.containers.plugins.module_utils.layer.tarsplit import reassemble


def _roundtrip(data, tmp_path):
    dest, split = tmp_path / "diff", str(tmp_path / "split.gz")
    dest.mkdir()
    apply_layer(OneWay(data), str(dest), split_out=split)
    out = io.BytesIO()
    reassemble(split, str(dest), out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_python_tars_are_rebuilt_byte_for_byte(tmp_path, fmt):
    long_name = "deep/" + "n" * 150 + "/file"
    entries = [entry("a", "dir"), entry("a/big", data=os.urandom(3 << 20)), entry("a/empty", data=b""),
               entry("a/ln", "hardlink", link="a/big"), entry("a/sym", "symlink", link="/x"),
               entry(".wh.gone")]
    if fmt != tarfile.USTAR_FORMAT:
        entries.append(entry(long_name, data=b"long"))
    if fmt == tarfile.PAX_FORMAT:
        entries.append(entry("a/attr", data=b"x", xattrs={"user.k": "v"}))
    data = tar(*entries, fmt=fmt) + b"\0" * 4096  # trailing padding as some writers add
    assert hashlib.sha256(_roundtrip(data, tmp_path)).digest() == hashlib.sha256(data).digest()


def test_gnu_tar_output_is_rebuilt(tmp_path):
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    for i in range(50):
        (src / "d" / ("f%d" % i)).write_bytes(os.urandom(i * 100))
    os.symlink("d/f1", src / "s")
    os.link(src / "d" / "f2", src / "h")
    data = subprocess.run(["tar", "-C", str(src), "-cf", "-", "."], check=True, capture_output=True).stdout
    assert _roundtrip(data, tmp_path) == data


def test_a_path_written_twice_keeps_no_record(tmp_path):
    dest, split = tmp_path / "diff", str(tmp_path / "split.gz")
    dest.mkdir()
    apply_layer(OneWay(tar(entry("f", data=b"one"), entry("f", data=b"two"))), str(dest), split_out=split)
    assert not os.path.exists(split)
    assert (dest / "f").read_bytes() == b"two"
