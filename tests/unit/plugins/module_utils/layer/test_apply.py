# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os
import stat
import subprocess
import tarfile

import pytest
from tarbuild import OneWay, entry, tar

from ansible_collections.strata.containers.plugins.module_utils._errors import (
    LayerError, UnsafePath, UnsupportedEntry)
from ansible_collections.strata.containers.plugins.module_utils.fs.tree import remove_tree
from ansible_collections.strata.containers.plugins.module_utils.layer.apply import apply_layer, unpack_archive


@pytest.fixture
def dirs(vartmp):
    dest, outside = vartmp / "layer", vartmp / "outside"
    dest.mkdir()
    outside.mkdir()
    (outside / "keep").write_text("untouched")
    return dest, outside


def _apply(data, dest, split=None):
    return apply_layer(OneWay(data), str(dest), split_out=split)


def test_entry_types_modes_owners_times_and_xattrs(dirs):
    dest, dummy = dirs
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
    dest, dummy = dirs
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
    [entry("a", "symlink", link="OUTSIDE"), entry("a/.wh..wh..opq")],
    [entry(".wh...")],
    [entry("layer/.wh...")],
    [entry(".wh..")],
    [entry("f", data=b"x"), entry("f/x", data=b"x")],
], ids=["dotdot", "nested-dotdot", "abs-dotdot", "symlink-root", "symlink-parent", "link-through-symlink",
        "hardlink-dotdot", "hardlink-abs", "whiteout-through-symlink", "opaque-through-symlink",
        "whiteout-dotdot", "nested-whiteout-dotdot", "whiteout-dot", "file-as-parent"])
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
    dest, dummy = dirs
    with pytest.raises(LayerError):
        _apply(b"this is not a tar archive" * 100, dest)


def test_block_devices_whiteout_owners_and_root_entry(dirs):
    dest, dummy = dirs
    _apply(tar(entry("./", "dir", mode=0o711, mtime=1600000000), entry("dev/sda", "blk", dev=(8, 0)),
               entry("etc/.wh.old", uid=7, gid=8)), dest)
    assert stat.S_ISBLK(os.lstat(dest / "dev/sda").st_mode)
    assert os.lstat(dest / "dev/sda").st_rdev == os.makedev(8, 0)
    old = os.lstat(dest / "etc/old")
    assert (old.st_uid, old.st_gid) == (7, 8)
    root = os.lstat(dest)
    assert stat.S_IMODE(root.st_mode) == 0o711 and root.st_mtime == 1600000000


def test_sub_second_times_and_symlink_times(dirs):
    dest, dummy = dirs
    info, data = entry("f", data=b"x")
    info.pax_headers = {"mtime": "1700000000.123456789"}
    _apply(tar((info, data), entry("s", "symlink", link="/nowhere", mtime=1500000000)), dest)
    assert os.lstat(dest / "f").st_mtime_ns == 1700000000123456789
    assert os.lstat(dest / "s").st_mtime == 1500000000


def test_overlay_xattrs_from_the_tar_are_not_applied(dirs):
    dest, dummy = dirs
    _apply(tar(entry("d", "dir", xattrs={"trusted.overlay.redirect": "/x", "trusted.k": "v"})), dest)
    assert os.getxattr(dest / "d", "trusted.k") == b"v"
    assert "trusted.overlay.redirect" not in os.listxattr(dest / "d")


def test_hard_link_to_a_symlink_links_the_symlink(dirs):
    dest, outside = dirs
    _apply(tar(entry("s", "symlink", link=str(outside)), entry("h", "hardlink", link="s")), dest)
    assert os.path.islink(dest / "h") and os.lstat(dest / "h").st_ino == os.lstat(dest / "s").st_ino


def test_a_directory_replaced_within_the_layer(dirs):
    dest, dummy = dirs
    _apply(tar(entry("d", "dir"), entry("d/f", data=b"1"), entry(".wh.d"), entry("x", "symlink", link="/"),
               entry("x", "dir", mode=0o700), entry("x/y", data=b"y")), dest)
    assert stat.S_ISCHR(os.lstat(dest / "d").st_mode)
    assert (dest / "x/y").read_bytes() == b"y" and not os.path.islink(dest / "x")


def test_unsupported_types_are_refused(dirs):
    dest, dummy = dirs
    info, _data = entry("vol", "fifo")
    info.type = b"V"
    with pytest.raises(UnsupportedEntry):
        _apply(tar((info, None), fmt=tarfile.GNU_FORMAT), dest)


def test_a_truncated_tar_is_a_layer_error(dirs):
    dest, dummy = dirs
    data = tar(entry("big", data=b"x" * 100000))
    with pytest.raises(LayerError):
        _apply(data[:50000], dest)


def test_remove_tree_copes_with_locked_directories(dirs):
    dest, dummy = dirs
    _apply(tar(entry("a", "dir", mode=0o500), entry("a/b", "dir", mode=0), entry("a/b/f", data=b"x", mode=0)),
           dest)
    os.chmod(dest / "a", 0)
    remove_tree(str(dest))
    assert not os.path.lexists(dest)


def test_real_tar_with_sparse_files_and_long_names(dirs, vartmp):
    dest, dummy = dirs
    src = vartmp / "src"
    deep = src / ("d" * 120) / ("e" * 120)
    deep.mkdir(parents=True)
    with open(deep / "sparse", "wb") as f:
        f.seek(5 << 20)
        f.write(b"end")
    data = subprocess.run(["tar", "-C", str(src), "--sparse", "--xattrs", "-cf", "-", "."], check=True,
                          capture_output=True).stdout
    _apply(data, dest)
    out = dest / ("d" * 120) / ("e" * 120) / "sparse"
    assert out.read_bytes() == b"\0" * (5 << 20) + b"end"
    assert os.stat(out).st_blocks * 512 < (1 << 20)  # the hole stayed a hole


def test_absurd_owners_are_a_layer_error(dirs):
    dest, dummy = dirs
    info, data = entry("f", data=b"x")
    info.pax_headers = {"uid": str(1 << 40)}
    with pytest.raises(LayerError):
        _apply(tar((info, data)), dest)


def test_unpack_archive_merges_as_docker_untar_does(dirs):
    """A user's archive (ADD): merged into what is there, ``.wh.`` names stay plain files,
    the root entry leaves the destination alone, device nodes are skipped."""
    dest, dummy = dirs
    (dest / "before").write_text("kept")
    os.chmod(dest, 0o750)
    unpack_archive(OneWay(tar(
        entry("./", "dir", mode=0o777),
        entry(".wh.gone", data=b"plain"),
        entry("/abs/file", data=b"abs"),
        entry("twin", "hardlink", link="/abs/file"),
        entry("dev/null", "chr", dev=(1, 3)),
    )), str(dest))
    assert sorted(os.listdir(dest)) == [".wh.gone", "abs", "before", "twin"]
    assert (dest / ".wh.gone").read_bytes() == b"plain" and (dest / "before").read_text() == "kept"
    assert os.lstat(dest / "twin").st_ino == os.lstat(dest / "abs/file").st_ino
    assert stat.S_IMODE(os.lstat(dest).st_mode) == 0o750


@pytest.mark.parametrize("entries", [
    [entry("stolen", "hardlink", link="OUTSIDE/keep"), entry("stolen", data=b"overwritten")],
    [entry("link", "symlink", link="OUTSIDE"), entry("link/keep", data=b"overwritten")],
    [entry("../outside/keep", data=b"overwritten")],
], ids=["hardlink-to-host", "through-symlink", "dotdot"])
def test_unpack_archive_never_reaches_outside(dirs, entries):
    dest, outside = dirs
    fixed = []
    for info, data in entries:
        info.linkname = info.linkname.replace("OUTSIDE", str(outside))
        fixed.append((info, data))
    with pytest.raises(UnsafePath):
        unpack_archive(OneWay(tar(*fixed)), str(dest))
    assert os.listdir(outside) == ["keep"] and (outside / "keep").read_text() == "untouched"
