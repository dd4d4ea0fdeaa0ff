# -*- coding: utf-8 -*-
"""Fixtures for the layer tests."""

from __future__ import annotations

import os
import pathlib
import tempfile

import pytest

from ansible_collections.strata.containers.plugins.module_utils.fs.tree import remove_tree


@pytest.fixture
def vartmp():
    """A scratch directory on a disk filesystem: trusted.* xattrs and mknod need one (not tmpfs)."""
    path = tempfile.mkdtemp(prefix="layer-test-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    yield pathlib.Path(path)
    remove_tree(path)
