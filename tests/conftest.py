# -*- coding: utf-8 -*-
"""Fixtures shared by every test.

``registry`` (session): Debian's docker-registry on 127.0.0.1 and a free port, serving a
fresh copy of the cached registry storage that tests/rig/build_images.sh filled, so tests may
tamper with blobs. ``tmp_root`` (function): an empty store root under /var/tmp, removed after.
Helpers are imported as ``rig.registry`` and ``rig.oci_writer``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TESTS)

from rig.push_all import IMAGES  # noqa: E402
from rig.registry import Registry  # noqa: E402

CACHE = os.environ.get("STRATA_TEST_CACHE", "/var/tmp/strata-test-cache")


def _rig_dir():
    subprocess.run(["bash", os.path.join(TESTS, "rig", "build_images.sh")], check=True)
    versions = sorted(d for d in os.listdir(CACHE) if d.startswith("v") and
                      os.path.exists(os.path.join(CACHE, d, "images.done")))
    return os.path.join(CACHE, versions[-1])


class TestRegistry(Registry):
    __test__ = False

    def __init__(self, data_dir, workdir, layout):
        super().__init__(data_dir, workdir)
        self.layout = layout
        self.images = {key: "%s/%s" % (self.addr, name) for key, name in IMAGES.items()}


@pytest.fixture(scope="session")
def registry():
    rig = _rig_dir()
    scratch = tempfile.mkdtemp(prefix="strata-registry-", dir="/var/tmp")
    try:
        data = os.path.join(scratch, "data")
        shutil.copytree(os.path.join(rig, "registry"), data, symlinks=True)
        reg = TestRegistry(data, os.path.join(scratch, "run"), os.path.join(rig, "oci"))
        with reg:
            yield reg
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def tmp_root():
    root = tempfile.mkdtemp(prefix="strata-root-", dir="/var/tmp")
    try:
        yield root
    finally:
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)


def _unmount_under(path):
    """Whatever a failed test left mounted below ``path`` (deepest first)."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f if line.split()[4].startswith(path + "/")]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
