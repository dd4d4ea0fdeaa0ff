# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import stat

import pytest
from tarbuild import OneWay, entry, tar

from ansible_collections.strata.containers.plugins.module_utils._errors import LayerError, UnsafePath
from ansible_collections.strata.containers.plugins.module_utils.layer.apply import apply_layer


@pytest.fixture
def dirs(tmp_path):
    dest, outside = tmp_path / "layer", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (outside / "keep").write_text("untouched")
    return dest, outside


def _apply(data, dest, split=None):
    return apply_layer(OneWay(data), str(dest), split_out=split)


def test_entry_types_modes_owners_times_and_xattrs(dirs):
    dest, _ = dirs
    stats = _apply(tar(
        entry("bin", "dir", mode=0o755),
        entry("bin/su", data=b"\x7fELF", mode=0o4755, uid=0, gid=0),
        entry("tmp", "dir", mode=0o1777),
        entry("home/app/notes", data=b"hi", uid=1000, gid=1001, mode=0o600, xattrs={"user.x": "y"}),
        entry("home/app/abs", "symlink", link="/etc/passwd"),
        entry("home/app/rel", "symlink", link="../../bin/su"),
        entry("home/app/twin", "hardlink", link="home/app/notes"),
        entry("dev/null", "chr", mode=0o666, dev=(1, 3)),
        entry("run/pipe", "fifo"),
    ), dest)
    assert stats["entries"] == 9
    su = os.lstat(dest / "bin/su")
    assert stat.S_IMODE(su.st_mode) == 0o4755 and su.st_mtime == 1700000000
    assert stat.S_IMODE(os.lstat(dest / "tmp").st_mode) == 0o1777
    notes = os.lstat(dest / "home/app/notes")
    assert (notes.st_uid, notes.st_gid, stat.S_IMODE(notes.st_mode)) == (1000, 1001, 0o600)
    assert os.getxattr(dest / "home/app/notes", "user.x") == b"y"
    assert os.readlink(dest / "home/app/abs") == "/etc/passwd"
    assert os.readlink(dest / "home/app/rel") == "../../bin/su"
    assert os.lstat(dest / "home/app/twin").st_ino == notes.st_ino
    null = os.lstat(dest / "dev/null")
    assert stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1 and os.minor(null.st_rdev) == 3
    assert stat.S_ISFIFO(os.lstat(dest / "run/pipe").st_mode)
    assert os.lstat(dest / "bin").st_mtime == 1700000000  # set after its children


def test_whiteouts_become_overlay_form(dirs):
    dest, _ = dirs
    _apply(tar(entry("etc/.wh.motd"), entry("usr/lib/.wh.gconv"), entry("opt/app/.wh..wh..opq"),
               entry("opt/app/new", data=b"n")), dest)
    for gone in ("etc/motd", "usr/lib/gconv"):
        st = os.lstat(dest / gone)
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(0, 0)
    assert os.getxattr(dest / "opt/app", "trusted.overlay.opaque") == b"y"
    assert (dest / "opt/app/new").read_bytes() == b"n"


def test_later_entries_replace_earlier_ones_without_following(dirs):
    dest, outside = dirs
    _apply(tar(entry("x", "symlink", link=str(outside / "keep")), entry("x", data=b"file now"),
               entry("d", "dir"), entry("d/f", data=b"1"), entry("d", data=b"was a dir")), dest)
    assert (dest / "x").read_bytes() == b"file now"
    assert (dest / "d").read_bytes() == b"was a dir"
    assert (outside / "keep").read_text() == "untouched"


@pytest.mark.parametrize("entries", [
    [entry("../escape", data=b"x")],
    [entry("a/../../escape", data=b"x")],
    [entry("/../../escape", data=b"x")],
    [entry("a", "symlink", link="/"), entry("a/etc/x", data=b"x")],
    [entry("a", "symlink", link=".."), entry("a/x", data=b"x")],
    [entry("a", "symlink", link="OUTSIDE"), entry("b", "hardlink", link="a/keep")],
    [entry("pw", "hardlink", link="../../etc/passwd")],
    [entry("pw", "hardlink", link="/etc/passwd")],
    [entry("a", "symlink", link="/"), entry("a/.wh.keep")],
], ids=["dotdot", "nested-dotdot", "abs-dotdot", "symlink-root", "symlink-parent", "link-through-symlink",
        "hardlink-dotdot", "hardlink-abs", "whiteout-through-symlink"])
def test_attacks_are_refused_and_nothing_is_written_outside(dirs, entries):
    dest, outside = dirs
    entries = [(info, data) if info.linkname != "OUTSIDE" else _relink(info, str(outside), data)
               for info, data in entries]
    before = sorted(os.listdir(outside))
    with pytest.raises(UnsafePath):
        _apply(tar(*entries), dest)
    assert sorted(os.listdir(outside)) == before
    assert (outside / "keep").read_text() == "untouched"
    assert not os.path.exists("/etc/x") and not os.path.exists(str(dest.parent.parent / "escape"))


def _relink(info, target, data):
    info.linkname = target
    return info, data


def test_garbage_is_a_layer_error(dirs):
    dest, _ = dirs
    with pytest.raises(LayerError):
        _apply(b"this is not a tar archive" * 100, dest)
