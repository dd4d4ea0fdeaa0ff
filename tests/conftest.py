# -*- coding: utf-8 -*-
"""Fixtures shared by every test.

The rig is the package ``tests/rig`` (this file puts ``tests/`` on ``sys.path``): import its
helpers as ``from rig.registry import Registry`` and ``from rig import oci_writer``.

``registry`` (session): runs tests/rig/build_images.sh unless its cache stamp is current (the
first build takes a few minutes and needs root; then the images are cached under
$STRATA_TEST_CACHE, default /var/tmp/strata-test-cache), then starts Debian's docker-registry on
127.0.0.1 and a free port over a fresh plain copy of the cached registry storage, so tests may
tamper with blobs. It is a ``rig.registry.Registry`` (addr, data_dir, push, copy, blob_path,
manifest, manifest_digest, delete_manifest, catalog, tags) plus:

    layout    the OCI layout the images were built into; tags: busybox multi multi-zstd
              platform-amd64 platform-arm64 platforms
    images    {"busybox":    ADDR/test/busybox:latest,   one layer
               "multi":      ADDR/test/multi:latest,     debian minbase + small files + special
               "multi_zstd": ADDR/test/multi:zstd,       the same, layers tar+zstd
               "multi_v2s2": ADDR/test/multi-v2s2:latest, docker schema2 manifest
               "platforms":  ADDR/test/platforms:latest} OCI index, linux/amd64 + linux/arm64

It is stopped (by PID) and its storage copy removed at the end of the session.

``tmp_root`` (function): an empty directory under /var/tmp for a store root; whatever a test
left mounted below it is unmounted, then it is removed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

import rig  # noqa: E402  pylint: disable=wrong-import-position
from rig.push_all import IMAGES  # noqa: E402  pylint: disable=wrong-import-position
from rig.registry import Registry  # noqa: E402  pylint: disable=wrong-import-position


class TestRegistry(Registry):
    """The session's registry: a Registry that also knows the rig's layout and image names."""

    __test__ = False

    def __init__(self, data_dir, workdir, layout):
        super().__init__(data_dir, workdir)
        self.layout = layout
        self.images = {}

    def start(self, timeout=20):
        super().start(timeout)
        self.images = {key: "%s/%s" % (self.addr, name) for key, name in IMAGES.items()}
        return self


@pytest.fixture(scope="session")
def registry():
    built = rig.ensure_built()
    scratch = tempfile.mkdtemp(prefix="strata-registry-", dir="/var/tmp")
    try:
        data = os.path.join(scratch, "data")
        # A plain copy (never hard links): tests overwrite blob files in it.
        shutil.copytree(os.path.join(built, "registry"), data, symlinks=True)
        with TestRegistry(data, os.path.join(scratch, "run"), os.path.join(built, "oci")) as reg:
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
