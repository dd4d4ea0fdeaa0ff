# -*- coding: utf-8 -*-
"""Writes into a root someone else controls: links resolve inside it (an absolute one from
the root), '..' above the root is refused, the last link is replaced or followed as asked, and
a directory swapped for a link to the host after it was opened does not take the write out."""

from __future__ import annotations

import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.fs import rootfd


def _write(root, path, data=b"x", follow=False):
    with rootfd.locate(str(root), path, follow=follow) as target:
        target.replace([data], 0o640, os.geteuid(), os.getegid())
        return target.relative


@pytest.fixture
def tree(tmp_path):
    root, host = tmp_path / "root", tmp_path / "host"
    (root / "etc").mkdir(parents=True)
    host.mkdir()
    (root / "abs").symlink_to(str(host))  # names a host path: resolves inside the root
    (root / "up").symlink_to("../../..")
    (root / "link").symlink_to("/etc/real")
    return root, host


def test_links_resolve_inside_the_root(tree):
    root, host = tree
    (root / str(host).lstrip("/")).mkdir(parents=True)
    assert _write(root, "/abs/f") == os.path.join(str(host).lstrip("/"), "f")
    assert os.listdir(str(host)) == []
    assert (root / str(host).lstrip("/") / "f").read_bytes() == b"x"


def test_climbing_and_missing_directories_are_refused(tree):
    root, host = tree
    for path, says in (("/../etc/x", "outside"), ("/up/x", "outside"), ("/abs/x", "does not exist"),
                       ("/etc/real/x", "does not exist"), ("/", "root directory")):
        with pytest.raises(InvalidSpec, match=says):
            _write(root, path)
    assert os.listdir(str(host)) == []


def test_the_last_link_is_replaced_or_followed(tree):
    root, dummy = tree
    assert _write(root, "/link", b"followed", follow=True) == "etc/real"
    assert (root / "etc" / "real").read_bytes() == b"followed"
    assert _write(root, "/link", b"replaced") == "link"
    assert not os.path.islink(str(root / "link")) and (root / "etc" / "real").read_bytes() == b"followed"
    assert oct(os.stat(str(root / "link")).st_mode & 0o7777) == "0o640"


def test_a_directory_swapped_for_a_link_after_opening_keeps_the_write_inside(tree, tmp_path):
    root, host = tree
    (root / "d").mkdir()
    with rootfd.locate(str(root), "/d/f") as target:
        os.rename(str(root / "d"), str(root / "d.old"))
        (root / "d").symlink_to(str(host))  # the race a running container can play
        target.replace([b"x"], 0o644, os.geteuid(), os.getegid())
    assert os.listdir(str(host)) == [] and (root / "d.old" / "f").read_bytes() == b"x"
