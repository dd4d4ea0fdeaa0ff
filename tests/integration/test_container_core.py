# -*- coding: utf-8 -*-
"""The container core through the engine (the container module comes next): a detached
monitor runs runc, keeps logs and exit codes; stop escalates to SIGKILL; the writable layer
survives stop/start and the image's layers stay unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import treecompare

from ansible_collections.strata.containers.plugins.module_utils import _linux
from ansible_collections.strata.containers.plugins.module_utils.containers.lifecycle import Containers
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine


def _log(containers, record):
    with open(containers.records.path(record["id"], "log.json")) as f:
        return [json.loads(line) for line in f]


def _wait(predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def containers(registry, tmp_root):
    engine = Engine(tmp_root)
    image = engine.images.pull(registry.images["busybox"])["image"]
    parent = "/strata-test-%d" % os.getpid()
    made = Containers(engine.store, cgroup_parent=parent)
    made.image = image
    yield made
    for record in made.records.all():
        made.remove(record, force=True)
    for hierarchy in os.listdir("/sys/fs/cgroup"):  # the parent cgroup runc made, now empty
        path = "/sys/fs/cgroup/%s%s" % (hierarchy, parent)
        if os.path.isdir(path):
            os.rmdir(path)
    for directory in (made.runtime.root, os.path.dirname(made.runtime.root)):
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)


def test_run_logs_stop_with_sigkill_and_remove(containers):
    record = containers.create("web", containers.image["id"], {
        "command": ["sh", "-c", "echo hello; echo oops >&2; echo data > /persist; exec sleep 1000"]})
    assert containers.status(record) == "created"
    pid = containers.start(record)
    assert containers.status(record) == "running"
    assert _wait(lambda: len(_log(containers, record)) >= 2)
    lines = {(entry["stream"], entry["log"]) for entry in _log(containers, record)}
    assert lines == {("stdout", "hello\n"), ("stderr", "oops\n")}
    assert all(entry["time"].endswith("Z") for entry in _log(containers, record))
    # sleep as PID 1 ignores SIGTERM: stop waits stop_timeout, then SIGKILL.
    started = time.time()
    assert containers.stop(record, timeout=1) is True
    assert 1.0 <= time.time() - started < 10
    state = containers.records.state(record["id"])
    assert state["status"] == "exited" and state["exit_code"] == 137
    assert not os.path.exists("/proc/%d" % pid) or _zombie(pid)

    # The writable layer keeps the file; the image's layer is unchanged (copy-on-write).
    upper = containers.records.path(record["id"], "upper")
    assert open(os.path.join(upper, "persist")).read() == "data\n"
    layer = containers.store.layers.diff_path(containers.image["chain_ids"][0])
    before = treecompare.describe(layer)
    containers.start(record)
    with open(os.path.join(containers.records.path(record["id"], "rootfs"), "persist")) as f:
        assert f.read() == "data\n"
    assert treecompare.describe(layer) == before

    with pytest.raises(Exception, match="cannot remove a running container"):
        containers.remove(record)
    directory = containers.records.path(record["id"])
    containers.remove(record, force=True)
    assert not os.path.exists(directory)
    assert not _linux.is_mountpoint(os.path.join(directory, "rootfs"))
    assert containers.runtime.state(record["id"]) is None
    assert not os.path.exists("/sys/fs/cgroup/pids%s/%s" % (containers.cgroup_parent, record["id"]))


def test_exit_code_restart_policy_and_pause(containers):
    failing = containers.create("fails", containers.image["id"], {
        "command": ["sh", "-c", "echo run >> /count; exit 3"], "restart_policy": "on-failure:2"})
    containers.start(failing)
    assert _wait(lambda: containers.status(failing) == "exited", 20)
    assert containers.records.state(failing["id"])["restart_count"] == 2
    assert containers.records.state(failing["id"])["exit_code"] == 3
    runs = open(os.path.join(containers.records.path(failing["id"], "upper"), "count")).read().split()
    assert len(runs) == 3  # the first run and two restarts

    ticking = containers.create("ticks", containers.image["id"], {
        "command": ["sh", "-c", "while true; do date +%s%N > /tick; usleep 20000; done"]})
    containers.start(ticking)
    tick = os.path.join(containers.records.path(ticking["id"], "upper"), "tick")
    assert _wait(lambda: os.path.exists(tick))
    containers.pause(ticking)
    assert containers.status(ticking) == "paused"
    frozen = open(tick).read()
    time.sleep(0.5)
    assert open(tick).read() == frozen
    containers.resume(ticking)
    assert _wait(lambda: open(tick).read() != frozen)
    assert containers.status(ticking) == "running"

    # a pause cut short by a kill (its mark written, the runtime not yet asked) shows as paused
    # and is undone by a resume, which finds nothing frozen and says nothing of it
    open(containers.records.path(ticking["id"], "paused"), "w").close()
    assert containers.status(ticking) == "paused"
    containers.resume(ticking)
    assert containers.status(ticking) == "running"
    assert containers.runtime.state(ticking["id"])["status"] == "running"


def _zombie(pid):
    try:
        return open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_name_conflict_and_bad_start(containers):
    containers.create("taken", containers.image["id"], {"command": ["true"]})
    with pytest.raises(Exception, match="already in use"):
        containers.create("taken", containers.image["id"], {"command": ["true"]})
    broken = containers.create("broken", containers.image["id"], {"command": ["/no/such/binary"]})
    with pytest.raises(Exception, match="did not start"):
        containers.start(broken)
    assert subprocess.run(["true"], check=False).returncode == 0
