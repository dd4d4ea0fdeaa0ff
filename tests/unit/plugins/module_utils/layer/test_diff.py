# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for layer/diff.py: overlay upper dirs and plain dirs written as layer tars."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import socket
import stat
import struct
import tarfile

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import LayerError
from ansible_collections.strata.containers.plugins.module_utils.layer import diff
from ansible_collections.strata.containers.plugins.module_utils.layer.apply import apply_layer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for mknod and trusted.* xattrs")

# security.capability v2 granting cap_net_bind_service, effective
CAPABILITY = struct.pack("<5I", 0x02000001, 1 << 10, 0, 0, 0)
ODD_NAME = os.fsdecode(b"caf\xe9")  # not UTF-8
DEEP = ("d" * 120) + "/" + ("e" * 120)


def _whiteout(path):
    os.mknod(path, stat.S_IFCHR, os.makedev(0, 0))


@pytest.fixture
def upper(vartmp):
    """A fake overlayfs upper directory with one of everything."""
    root = vartmp / "upper"
    for d in ("etc", "bin", "opt/app/sub", "home", "usr/lib", "tmp", "run", "dev", DEEP):
        (root / d).mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    _whiteout(root / "etc/motd")
    os.link(root / "etc/motd", root / "usr/lib/gconv")  # overlayfs shares one whiteout inode
    (root / "bin/su").write_bytes(b"\x7fELF")
    os.chmod(root / "bin/su", 0o4755)
    (root / "bin/ping").write_bytes(b"\x7fELF ping")
    os.setxattr(root / "bin/ping", "security.capability", CAPABILITY)
    os.setxattr(root / "opt/app", diff.OPAQUE_XATTR, b"y")
    os.setxattr(root / "opt/app", "trusted.overlay.redirect", b"/elsewhere")
    (root / "opt/app/new").write_bytes(b"n")
    (root / "home/a").write_bytes(b"shared")
    os.setxattr(root / "home/a", "user.test", b"kept")
    os.chown(root / "home/a", 1000, 1001)
    os.link(root / "home/a", root / "home/b")
    os.symlink("/etc/passwd", root / "home/lnk")
    (root / "home" / ODD_NAME).write_bytes(b"odd")
    (root / DEEP / "long").write_bytes(b"deep")
    os.chmod(root / "tmp", 0o1777)
    os.mkfifo(root / "run/pipe")
    os.mknod(root / "dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mknod(root / "dev/sda", stat.S_IFBLK | 0o660, os.makedev(8, 0))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "run/sock"))
    sock.close()
    for top, dirs, files in os.walk(root, topdown=False):  # children first: they touch their parent
        for name in files + dirs:
            os.utime(os.path.join(top, name), (1600000000, 1700000000), follow_symlinks=False)
    return root


def _write(source, **kwargs):
    buf = io.BytesIO()
    result = diff.write_layer(str(source), buf, **kwargs)
    return result, buf.getvalue()


def _members(data):
    with tarfile.open(fileobj=io.BytesIO(data), errors="surrogateescape") as tar:
        return tar.getmembers()


def test_overlay_upper_becomes_whiteouts_links_and_xattrs(upper):
    dummy, data = _write(upper)
    members = _members(data)
    names = [m.name for m in members]
    by_name = {m.name: m for m in members}
    assert len(names) == len(set(names))
    assert not any(n.startswith(("/", "./")) for n in names)
    assert names.index("opt/app/.wh..wh..opq") == names.index("opt/app") + 1  # tarfile drops the "/"
    assert names.index("opt/app") < names.index("opt/app/new") < names.index("opt/app/sub")
    for name in ("etc/.wh.motd", "usr/lib/.wh.gconv"):
        assert by_name[name].isreg() and by_name[name].size == 0 and by_name[name].mode == 0o600
    assert "etc/motd" not in by_name and "run/sock" not in by_name
    assert by_name["home/b"].islnk() and by_name["home/b"].linkname == "home/a"
    assert by_name["home/a"].isreg() and (by_name["home/a"].uid, by_name["home/a"].gid) == (1000, 1001)
    assert by_name["home/a"].pax_headers["SCHILY.xattr.user.test"] == "kept"
    cap = by_name["bin/ping"].pax_headers["SCHILY.xattr.security.capability"]
    assert cap.encode("utf-8", "surrogateescape") == CAPABILITY
    assert by_name["home/lnk"].issym() and by_name["home/lnk"].linkname == "/etc/passwd"
    assert by_name["bin/su"].mode == 0o4755 and by_name["tmp"].mode == 0o1777
    assert by_name["dev/null"].ischr() and (by_name["dev/null"].devmajor, by_name["dev/null"].devminor) == (1, 3)
    assert by_name["dev/sda"].isblk() and by_name["run/pipe"].isfifo()
    assert by_name["home/" + ODD_NAME].size == 3 and by_name[DEEP + "/long"].size == 4
    assert all(m.uname == "" and m.gname == "" and m.mtime == 1700000000 for m in members)
    assert not any(k.startswith("SCHILY.xattr.trusted.overlay") for m in members for k in m.pax_headers)


def test_names_order_and_directory_slashes(upper):
    dummy, data = _write(upper, overlay=False)
    members = _members(data)
    names = [m.name for m in members]
    assert names == sorted(names, key=lambda n: [os.fsencode(part) for part in n.split("/")])
    plain_dirs = [m for m in members if m.isdir() and not m.pax_headers]
    assert len(plain_dirs) > 5
    for member in plain_dirs:  # tarfile strips the "/" when reading: look at the header itself
        assert data[member.offset:member.offset + 100].rstrip(b"\0") == member.name.encode() + b"/"


def test_plain_directory_keeps_devices_and_writes_no_whiteouts(upper):
    dummy, data = _write(upper, overlay=False)
    by_name = {m.name: m for m in _members(data)}
    assert by_name["etc/motd"].ischr() and (by_name["etc/motd"].devmajor, by_name["etc/motd"].devminor) == (0, 0)
    assert not any("/.wh." in n for n in by_name)
    assert not any(k.startswith("SCHILY.xattr.trusted.overlay") for m in by_name.values() for k in m.pax_headers)


def test_round_trip_through_apply(upper, vartmp):
    dummy, data = _write(upper)
    dest = vartmp / "applied"
    dest.mkdir()
    apply_layer(io.BytesIO(data), str(dest))
    got, want = _describe(dest), _describe(upper)
    assert stat.S_ISSOCK(want[0].pop("run/sock")[0])  # the one thing a layer cannot hold
    assert got == want


def test_deterministic_and_diff_id_is_the_sha256_of_the_bytes(upper):
    first, data = _write(upper)
    for top, dummy, files in os.walk(upper):  # reading changes atimes only
        for name in files:
            if os.path.isfile(os.path.join(top, name)) and not os.path.islink(os.path.join(top, name)):
                with open(os.path.join(top, name), "rb") as f:
                    f.read()
    second, again = _write(upper)
    assert first == second and data == again
    assert first.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert first.size == len(data)


def test_exclude_and_chown(upper):
    dummy, data = _write(upper, overlay=False, exclude=lambda rel: rel == "opt" or rel.endswith("/b"),
                         chown=(5, 6))
    members = _members(data)
    assert not any(m.name == "opt" or m.name.startswith("opt/") for m in members)
    assert "home/b" not in [m.name for m in members]
    assert all((m.uid, m.gid) == (5, 6) for m in members)


def test_tar_directory_is_atomic(upper, vartmp):
    target = vartmp / "layer.tar"
    result = diff.tar_directory(str(upper), str(target), overlay=True)
    data = target.read_bytes()
    assert result == _write(upper)[0] and result.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    with pytest.raises(LayerError):
        diff.tar_directory(str(vartmp / "missing"), str(vartmp / "other.tar"))
    assert sorted(p.name for p in vartmp.iterdir()) == ["layer.tar", "upper"]


def test_unreadable_entries_are_layer_errors(upper, monkeypatch):
    real_open = os.open

    def deny(path, flags, *args, **kwargs):
        if str(path).endswith("bin/su"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(diff.os, "open", deny)
    with pytest.raises(LayerError, match="bin/su"):
        _write(upper)


def _describe(root):
    """path -> what apply must reproduce (type, mode, owner, mtime, content, xattrs), plus hard-link groups."""
    entries, inodes = {}, {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            extra = None
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    extra = f.read()
                inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                extra = st.st_rdev
            whiteout = stat.S_ISCHR(st.st_mode) and st.st_rdev == 0  # apply leaves its time alone
            xattrs = {k: os.getxattr(path, k, follow_symlinks=False) for k in os.listxattr(path, follow_symlinks=False)
                      if k == diff.OPAQUE_XATTR or not k.startswith(diff.OVERLAY_XATTRS)}
            entries[rel] = (st.st_mode, st.st_uid, st.st_gid, None if whiteout else st.st_mtime_ns, extra, xattrs)
    return entries, sorted(sorted(paths) for paths in inodes.values() if len(paths) > 1)
