# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real container from make_spec's config.json, run by runc (root only)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from ansible_collections.strata.containers.plugins.module_utils.runtime import bundle

RUNC = shutil.which("runc")
BUSYBOX = "/bin/busybox"
DOCKER_CAPEFF = "00000000a80425fb"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not RUNC or not os.path.exists(BUSYBOX),
                                reason="needs root, runc and busybox")


def _rootfs(path):
    """A rootfs of busybox alone, with the applets the test uses."""
    for sub in ("bin", "etc", "proc", "sys", "dev", "tmp"):
        os.makedirs(os.path.join(path, sub))
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    for applet in ("sh", "cat", "id", "hostname", "grep", "ls", "wc"):
        os.symlink("busybox", os.path.join(path, "bin", applet))


def _remove_cgroup(cgroup):
    """runc leaves the cgroup's parent behind: remove both, children first, on every v1 hierarchy."""
    for controller in glob.glob("/sys/fs/cgroup/*"):
        for path in (controller + cgroup, os.path.dirname(controller + cgroup)):
            if os.path.isdir(path):
                try:
                    os.rmdir(path)
                except OSError:
                    pass


def test_runc_runs_the_spec_hardened():
    work = tempfile.mkdtemp(prefix="strata-runc-")
    cid = "strata-test-" + uuid.uuid4().hex[:12]
    cgroup = "/strata-test/" + cid
    state = os.path.join(work, "state")
    try:
        _rootfs(os.path.join(work, "rootfs"))
        script = ("grep -E 'CapEff|NoNewPrivs|Seccomp:' /proc/self/status; hostname; "
                  "cat /proc/kcore 2>/dev/null | wc -c; cat /proc/keys /proc/timer_list | wc -c; echo pid=$$")
        spec = bundle.make_spec({"config": {"Cmd": ["/bin/sh"]}},
                                {"command": ["-c", script], "entrypoint": ["/bin/sh"],
                                 "hostname": "strata-box", "cgroups_path": cgroup,
                                 "memory": 64 * 1024 * 1024, "pids_limit": 100, "cpus": 0.5},
                                os.path.join(work, "rootfs"))
        with open(os.path.join(work, "config.json"), "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        proc = subprocess.run([RUNC, "--root", state, "run", "--bundle", work, cid],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
        out = proc.stdout.decode()
        assert proc.returncode == 0, proc.stderr.decode() + out
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        assert fields["CapEff"].strip() == DOCKER_CAPEFF
        assert fields["NoNewPrivs"].strip() == "1"
        assert fields["Seccomp"].strip() == "2"
        lines = out.splitlines()
        # /proc/kcore is absent from some kernels: /proc/keys and timer_list show the masking too.
        assert lines[3:] == ["strata-box", "0", "0", "pid=1"]
    finally:
        subprocess.run([RUNC, "--root", state, "delete", "-f", cid], capture_output=True, check=False)
        _remove_cgroup(cgroup)
        shutil.rmtree(work, ignore_errors=True)
