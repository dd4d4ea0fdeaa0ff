# -*- coding: utf-8 -*-
"""podman, an independent tool, on a private store: to show that what we write it reads, and
what it writes we read. The store lives in a temp dir the fixture removes with all it ran."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile

import pytest

# podman's default rlimits exceed what some hosts grant root (no CAP_SYS_RESOURCE); no systemd.
CONF = """[containers]
default_ulimits = ["nofile=%(nofile)d:%(nofile)d", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class Podman:
    def __init__(self, work):
        self.work = work
        self.conf = os.path.join(work, "containers.conf")
        with open(self.conf, "w") as f:
            f.write(CONF % {"nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[1]})
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
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f if line.split()[4].startswith(self.work)]
        for point in sorted(points, key=len, reverse=True):
            subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture
def podman():
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    tool = Podman(tempfile.mkdtemp(prefix="strata-podman-", dir="/var/tmp"))
    yield tool
    tool.close()
