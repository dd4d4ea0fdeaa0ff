# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cgroups.Cgroup on real cgroups (root only): v1 (or whatever /sys/fs/cgroup is) and a cgroup2 mount."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import (
    ContainerError, InvalidSpec, InvalidState)
from ansible_collections.strata.containers.plugins.module_utils.runtime import bundle, cgroups

ROOT = "/sys/fs/cgroup"
RUNC = shutil.which("runc")
BUSYBOX = "/bin/busybox"
MIB = 1024 * 1024
LOOP = "i=0; while :; do i=$((i+1)); echo $i > %s; done"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.isdir(ROOT), reason="needs root and cgroups")


def _v2_root():
    """A cgroup2 mount: /sys/fs/cgroup itself, or the hybrid hierarchy beside the v1 ones."""
    if cgroups.detect(ROOT) == "v2":
        return ROOT
    for point, opts in cgroups.hierarchies(ROOT).items():
        if "cgroup2" in opts:
            return point
    return None


V2_ROOT = _v2_root()
needs_v2 = pytest.mark.skipif(V2_ROOT is None, reason="no cgroup2 mount on this host")


class Sandbox:
    """Cgroups made as runc makes them, and processes started in them; all removed at the end."""

    def __init__(self, root, version):
        self.root, self.version = root, version
        self.parent = "/strata-test-" + uuid.uuid4().hex[:10]
        self.procs, self.work = [], tempfile.mkdtemp(prefix="strata-cg-")

    def tops(self):
        """Each hierarchy's root: every cgroup mount under root on v1 (as runc: hybrid included)."""
        if self.version == "v2":
            return [self.root]
        return [os.path.join(self.root, n) for n in sorted(os.listdir(self.root))
                if os.path.ismount(os.path.join(self.root, n))]

    def start(self, script, name="c1"):
        """``sh -c script`` inside /<parent>/<name>: it waits on stdin until it has been moved in."""
        path = "%s/%s" % (self.parent, name)
        proc = subprocess.Popen(["/bin/sh", "-c", "read dummy; " + script], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        for top in self.tops():
            os.makedirs(top + path, exist_ok=True)
            _inherit_cpuset(top, path)
            with open(top + path + "/cgroup.procs", "w", encoding="utf-8") as handle:
                handle.write(str(proc.pid))
        proc.stdin.write(b"go\n")
        proc.stdin.close()
        return proc, cgroups.Cgroup(path, self.version, root=self.root, name=name)

    def close(self):
        tops = [top + self.parent for top in self.tops()]
        for top in tops:
            self._each(top, (("freezer.state", "THAWED"), ("cgroup.freeze", "0")))
        for top in tops:  # our processes and whatever they started, by pid
            for here, dummy, files in os.walk(top):
                with open(os.path.join(here, "cgroup.procs"), encoding="utf-8") as handle:
                    for pid in handle.read().split():
                        _kill(int(pid))
        for proc in self.procs:
            proc.kill()
            proc.wait(timeout=10)
        for top in tops:
            for here, dummy, files in os.walk(top, topdown=False):
                _rmdir(here)
        shutil.rmtree(self.work, ignore_errors=True)

    @staticmethod
    def _each(top, settings):
        for here, dummy, files in os.walk(top):
            for name, value in settings:
                if os.path.exists(os.path.join(here, name)):
                    with open(os.path.join(here, name), "w", encoding="utf-8") as handle:
                        handle.write(value)

    def leftovers(self):
        return [top + self.parent for top in self.tops() if os.path.exists(top + self.parent)]


def _inherit_cpuset(top, path):
    """A new v1 cpuset cgroup starts with no CPUs or memory nodes and refuses tasks (ENOSPC)
    until they are set; runc copies its parent's, and so does this."""
    here = top
    for part in path.strip("/").split("/"):
        parent, here = here, os.path.join(here, part)
        for name in ("cpuset.cpus", "cpuset.mems"):
            mine = os.path.join(here, name)
            if os.path.exists(mine) and not _counter(mine).strip():
                with open(mine, "w", encoding="utf-8") as handle:
                    handle.write(_counter(os.path.join(parent, name)).strip())


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _rmdir(path):
    """A cgroup whose last task just died can be busy for a moment."""
    for dummy in range(100):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)
    os.rmdir(path)


@pytest.fixture(params=["host", pytest.param("v2", marks=needs_v2)])
def box(request):
    root = ROOT if request.param == "host" else V2_ROOT
    sandbox = Sandbox(root, cgroups.detect(root))
    yield sandbox
    sandbox.close()


def _counter(path):
    """The file's text; empty until the process has written it once."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def _changes(path, timeout=5.0):
    """The counter moves within ``timeout``."""
    first, deadline = _counter(path), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if _counter(path) != first:
            return True
    return False


def _proc_state(pid):
    with open("/proc/%d/status" % pid, encoding="utf-8") as handle:
        return [line.split()[1] for line in handle if line.startswith("State:")][0]


def test_detect(tmp_path):
    assert cgroups.detect(ROOT) == ("v2" if os.path.exists(ROOT + "/cgroup.controllers") else "v1")
    assert cgroups.detect(str(tmp_path)) == "v1"
    (tmp_path / "cgroup.controllers").write_text("")
    assert cgroups.detect(str(tmp_path)) == "v2"
    if V2_ROOT:
        assert cgroups.detect(V2_ROOT) == "v2"
        assert cgroups._fs_magic(V2_ROOT) == cgroups.CGROUP2_MAGIC


@pytest.mark.parametrize("path", ["", "/", "/strata/../x", ".."])
def test_bad_path(path):
    with pytest.raises(InvalidSpec):
        cgroups.Cgroup(path, "v1")


def test_bad_limits():
    group = cgroups.Cgroup("/strata/x", "v2", name="web")
    for kwargs in ({"memory": -2}, {"memory": "1g"}, {"cpus": True}, {"cpus": 0.001}, {"pids_limit": 1.5}):
        with pytest.raises(InvalidSpec, match="container web"):
            group.update(**kwargs)


def test_freeze_stops_progress_and_thaw_resumes(box):
    counter = os.path.join(box.work, "counter")
    proc, group = box.start(LOOP % counter)
    assert group.exists() and group.pids()
    assert _changes(counter)
    group.freeze()
    assert group.state() == "frozen"
    time.sleep(0.2)  # a write in progress ends
    assert not _changes(counter, timeout=0.5)
    assert _proc_state(proc.pid) != "R"
    group.thaw()
    assert group.state() == "thawed"
    # 10 s: once a CI run saw no progress within 5 s of a thaw, under load; say what it was
    assert _changes(counter, timeout=10), "no progress after thaw: process state %s, cgroup state %s" % (
        _proc_state(proc.pid), group.state())


def test_pids_has_children_and_kill_all_ends_them(box):
    proc, group = box.start("sleep 1000 & sleep 1000 & wait")
    deadline = time.monotonic() + 5
    while len(group.pids()) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.pid in group.pids() and len(group.pids()) == 3
    pids = group.pids()
    assert sorted(group.kill_all(signal.SIGKILL)) == pids
    assert proc.wait(timeout=10) == -signal.SIGKILL
    group.remove()
    assert not group.exists() and not group.pids()


def test_kill_all_other_signal_and_frozen(box):
    proc, group = box.start("exec sleep 1000")
    group.freeze()
    assert group.kill_all(signal.SIGTERM) == [proc.pid]
    assert proc.wait(timeout=10) == -signal.SIGTERM
    assert group.state() == "thawed"


def test_remove_waits_for_processes_and_keeps_parents(box):
    proc, group = box.start("exec sleep 1000")
    sibling_proc, sibling = box.start("exec sleep 1000", name="c2")
    with pytest.raises(InvalidState, match="c1"):
        group.remove(timeout=0.2)
    assert group.exists()
    proc.kill()
    group.remove(parent=box.parent)  # parent kept: c2 is in it
    assert not group.exists() and sibling.exists()
    group.remove()  # already gone: fine
    sibling_proc.kill()
    sibling.remove()
    assert box.leftovers()  # parents are left alone by default
    sibling.remove(parent="/elsewhere")
    assert box.leftovers()
    sibling.remove(parent=box.parent)
    assert box.leftovers() == []


def test_missing_cgroup_is_invalid_state(box):
    group = cgroups.Cgroup(box.parent + "/nothing", box.version, root=box.root, name="ghost")
    assert not group.exists() and group.pids() == []
    with pytest.raises(InvalidState, match="ghost.*nothing"):
        group.freeze()
    with pytest.raises(InvalidState, match="ghost"):
        group.state()


def _has_controllers(box):
    wanted = {"memory", "cpu", "pids"}
    if box.version == "v1":
        return True
    with open(box.root + "/cgroup.controllers", encoding="utf-8") as handle:
        return wanted <= set(handle.read().split())


def _delegate(box):
    """On v2 a cgroup has the controllers its parents enable in subtree_control, as runc does."""
    if box.version == "v2":
        os.makedirs(box.root + box.parent)
        for where in (box.root, box.root + box.parent):
            with open(where + "/cgroup.subtree_control", "w", encoding="utf-8") as handle:
                handle.write("+memory +cpu +pids")


def test_update_and_limits(box):
    if not _has_controllers(box):
        pytest.skip("the memory, cpu and pids controllers are not on this cgroup2 mount (bound to v1)")
    _delegate(box)
    # memory is charged where it is first touched: the shell fills a variable once it is inside
    proc, group = box.start("x=$(head -c 2000000 /dev/zero | tr '\\0' a); echo ready > %s/ready; sleep 1000"
                            % box.work)
    deadline = time.monotonic() + 10
    while not os.path.exists(os.path.join(box.work, "ready")) and time.monotonic() < deadline:
        time.sleep(0.05)
    group.update(memory=64 * MIB, cpus=0.5, pids_limit=100)
    assert group.limits() == {"memory": 64 * MIB, "cpus": 0.5, "pids_limit": 100}
    assert 0 < group.memory_usage() < 64 * MIB
    group.update(cpus=1.25)  # the others are left alone
    assert group.limits() == {"memory": 64 * MIB, "cpus": 1.25, "pids_limit": 100}
    group.update(memory=0, cpus=-1, pids_limit=0)
    assert group.limits() == {"memory": None, "cpus": None, "pids_limit": None}
    with pytest.raises(ContainerError, match="c1.*pids.max"):
        group.update(pids_limit=10 ** 30)


def test_v1_memory_raises_memsw_first(box):
    if box.version != "v1":
        pytest.skip("memory+swap is a cgroup v1 file")
    proc, group = box.start("exec sleep 1000")
    memory = os.path.join(box.root, "memory") + group.path
    if not os.path.exists(memory + "/memory.memsw.limit_in_bytes"):
        pytest.skip("no swap accounting on this kernel")
    group.update(memory=32 * MIB)
    with open(memory + "/memory.memsw.limit_in_bytes", "w", encoding="utf-8") as handle:
        handle.write(str(32 * MIB))  # as if the container had no swap
    group.update(memory=64 * MIB)
    assert group.limits()["memory"] == 64 * MIB


def _busybox_rootfs(path):
    for sub in ("bin", "proc", "sys", "dev", "tmp"):
        os.makedirs(os.path.join(path, sub))
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    os.symlink("busybox", os.path.join(path, "bin", "sh"))


@pytest.mark.skipif(not RUNC or not os.path.exists(BUSYBOX), reason="needs runc and busybox")
def test_a_runc_container():
    """The cgroup runc makes from bundle.make_spec's cgroupsPath, in every hierarchy."""
    work = tempfile.mkdtemp(prefix="strata-cg-runc-")
    cid, parent = "strata-test-" + uuid.uuid4().hex[:10], "/strata-test-" + uuid.uuid4().hex[:10]
    state, rootfs = os.path.join(work, "state"), os.path.join(work, "rootfs")
    group = cgroups.Cgroup(parent + "/" + cid, name=cid)
    try:
        _busybox_rootfs(rootfs)
        spec = bundle.make_spec({}, {"entrypoint": ["/bin/sh", "-c", LOOP % "/tmp/counter"],
                                     "cgroups_path": group.path, "memory": 64 * MIB, "cpus": 0.5,
                                     "pids_limit": 100}, rootfs)
        with open(os.path.join(work, "config.json"), "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        # Not a pipe: the detached container inherits runc's stdio and would hold it open.
        with open(os.path.join(work, "runc.log"), "wb") as log:
            subprocess.run([RUNC, "--root", state, "run", "-d", "--bundle", work, cid], stdin=subprocess.DEVNULL,
                           stdout=log, stderr=log, timeout=60, check=True)
        assert all(os.path.isdir(d) for d in group.dirs()) and len(group.pids()) == 1
        assert group.limits() == {"memory": 64 * MIB, "cpus": 0.5, "pids_limit": 100}
        counter = os.path.join(rootfs, "tmp", "counter")
        deadline = time.monotonic() + 5
        while not os.path.exists(counter) and time.monotonic() < deadline:
            time.sleep(0.05)
        group.freeze()
        time.sleep(0.2)
        assert not _changes(counter, timeout=0.5)
        group.thaw()
        assert _changes(counter)
        group.update(memory=128 * MIB, cpus=1, pids_limit=0)
        assert group.limits() == {"memory": 128 * MIB, "cpus": 1.0, "pids_limit": None}
        group.kill_all(signal.SIGKILL)
        group.remove(parent=parent)
        assert not group.exists()
        assert not [d for d in group.dirs() if os.path.exists(os.path.dirname(d))]
    finally:
        subprocess.run([RUNC, "--root", state, "delete", "-f", cid], capture_output=True, check=False)
        for top in group.dirs():
            for path in (top, os.path.dirname(top)):
                if os.path.isdir(path):
                    _rmdir(path)
        shutil.rmtree(work, ignore_errors=True)
