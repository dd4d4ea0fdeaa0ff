# -*- coding: utf-8 -*-
"""The pulled image, stacked with overlayfs, equals what umoci (an independent tool) unpacks."""

from __future__ import annotations

import os
import subprocess

import skopeo
import treecompare
from ansible_runner import run_module

from ansible_collections.strata.containers.plugins.module_utils.runtime import overlay
from ansible_collections.strata.containers.plugins.module_utils.store.store import Store


def _umoci_unpack(ref, workdir):
    layout = os.path.join(workdir, "oci")
    skopeo.copy_to_oci(ref, layout, "img")
    bundle = os.path.join(workdir, "bundle")
    subprocess.run(["umoci", "unpack", "--image", layout + ":img", bundle], check=True, capture_output=True)
    return os.path.join(bundle, "rootfs")


def test_merged_filesystem_equals_umoci_unpack(registry, tmp_root, tmp_path):
    ref = registry.images["multi"]
    pulled = run_module("image", {"name": ref, "root": tmp_root})
    assert pulled["changed"] is True, pulled
    assert len(pulled["image"]["chain_ids"]) >= 3

    theirs = _umoci_unpack(ref, str(tmp_path))
    merged = str(tmp_path / "merged")
    os.mkdir(merged)
    store = Store(tmp_root)
    overlay.mount(store, pulled["image"]["chain_ids"], merged)
    try:
        ours_tree = treecompare.describe(merged)
        xattr = os.getxattr(os.path.join(merged, _find_xattr_file(theirs)), "user.strata.test")
    finally:
        overlay.unmount(merged)
    theirs_tree = treecompare.describe(theirs)

    assert treecompare.differences(ours_tree, theirs_tree) == []
    assert ours_tree[1], "the image has hard links, so there must be hard-link groups"
    assert xattr == b"hello"
    kinds = {entry[0] for entry in ours_tree[0].values()}
    assert len(kinds) >= 3  # directories, files and symlinks at least
    setuid = [p for p, e in ours_tree[0].items() if e[1] & 0o4000]
    assert setuid, "the setuid file survived"
    # Whiteouts are hidden by overlayfs, never shown as 0/0 devices.
    assert not [p for p, e in ours_tree[0].items() if e[5] == (0, 0)]


def _find_xattr_file(root):
    for top, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(top, name)
            if not os.path.islink(path) and "user.strata.test" in os.listxattr(path, follow_symlinks=False):
                return os.path.relpath(path, root)
    raise AssertionError("umoci's rootfs has no file with the user.strata.test xattr")
