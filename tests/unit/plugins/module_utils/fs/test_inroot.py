# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils.fs import inroot as rootfs_paths
from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec


@pytest.mark.parametrize("link", ["/proc/self/fd/7", "proc/../proc/self/cwd", "proc", "/./proc/"])
def test_a_working_dir_that_leads_into_proc_by_a_symlink_is_refused(tmp_path, link):
    """The image's /work -> /proc/self/fd/7 is the same escape as WorkingDir /proc/self/fd/7."""
    root = tmp_path / "rootfs"
    (root / "proc").mkdir(parents=True)
    (root / "work").symlink_to(link)
    with pytest.raises(InvalidSpec, match="under /proc"):
        rootfs_paths.make_dir(str(root), "/work/sub", "working_dir")
    assert os.listdir(str(root / "proc")) == []  # nothing made there either
    with pytest.raises(InvalidSpec, match="under /proc"):
        rootfs_paths.working_dir(str(root), "/work", "chdir")


def test_a_working_dir_elsewhere_is_made(tmp_path):
    root = tmp_path / "rootfs"
    (root / "srv").mkdir(parents=True)
    (root / "work").symlink_to("srv/app")
    rootfs_paths.make_dir(str(root), "/work/sub", "working_dir")
    assert (root / "srv" / "app" / "sub").is_dir()
