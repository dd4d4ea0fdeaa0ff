# -*- coding: utf-8 -*-
"""podman, an independent tool, on a private store: to show that what we write it reads, and
what it writes we read. The store lives in a temp dir the fixture removes with all it ran."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest
from rig.host import unmount_under, write_podman_conf


class Podman:
    def __init__(self, work):
        self.work = work
        self.conf = write_podman_conf(os.path.join(work, "containers.conf"))
        self.argv = ["podman", "--root", os.path.join(work, "root"), "--runroot", os.path.join(work, "run"),
                     "--tmpdir", os.path.join(work, "tmp"), "--storage-driver", "overlay", "--runtime", "runc"]

    def __call__(self, *args, check=True):
        proc = subprocess.run(self.argv + list(args), env=dict(os.environ, CONTAINERS_CONF=self.conf),
                              capture_output=True, text=True, timeout=300, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("podman %s failed: %s" % (" ".join(args), proc.stderr))
        return proc

    def close(self):
        self("rm", "-a", "-f", check=False)
        self("system", "reset", "-f", check=False)
        unmount_under(self.work)
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture
def podman():
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    tool = Podman(tempfile.mkdtemp(prefix="strata-podman-", dir="/var/tmp"))
    yield tool
    tool.close()
