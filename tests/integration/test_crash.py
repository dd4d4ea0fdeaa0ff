# -*- coding: utf-8 -*-
"""Crash safety: a pull, a load, a build and a commit, each killed with SIGKILL at random
moments (51 trials in all). After each, the same call succeeds, the integrity check is clean,
and nothing of the killed process is left: no work directory, no mount, no process.

The seed of the random moments is printed on failure; STRATA_CRASH_SEED replays it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from ansible_runner import run_module

from ansible_collections.strata.containers.plugins.module_utils.store import integrity
from ansible_collections.strata.containers.plugins.module_utils.store.store import Store


PRELUDE = """
import sys
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
root, arg = sys.argv[1], sys.argv[2]
"""
OPS = {
    "pull": "engine = Engine(root, insecure_registries=[arg.split('/')[0]])\n"
            "engine.images.remove(arg)\nengine.images.pull(arg)",
    "load": "engine = Engine(root)\nfor image in engine.archives.load(arg)['images']:\n"
            "    engine.images.remove(image, force=True)\nengine.archives.load(arg)",
    "build": "Engine(root).builds.build('crash/build:1', arg, nocache=True, runtime='runc')",
    "commit": "Engine(root).containers.commit('ticker', 'crash/commit:1')",
}
TRIALS = {"pull": 15, "load": 12, "build": 12, "commit": 12}
DOCKERFILE = "FROM %s\nCOPY files /files\nRUN sleep 0.3; cp -r /files /copy && echo done > /marker\nCMD [\"sh\"]\n"


def _run(op, root, arg):
    return subprocess.Popen([sys.executable, "-c", PRELUDE + OPS[op], root, arg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _descendants(pid):
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [p for p, parent in parents.items() if parent == current]
        found += children
        todo += children
    return found


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _mounts_under(root):
    with open("/proc/self/mountinfo") as f:
        return sorted(line.split()[4] for line in f if line.split()[4].startswith(root + "/"))


@pytest.fixture
def prepared(registry, container_root, another_root, tmp_path):
    """The store, an archive to load, a build context and a running container to commit."""
    busybox = registry.images["busybox"]
    archive_root = another_root()
    archive = str(tmp_path / "multi.tar")
    assert not run_module("image", {"name": registry.images["multi"], "root": archive_root})["failed"]
    assert not run_module("image_archive", {"action": "save", "names": [registry.images["multi"]], "path": archive,
                                            "root": archive_root})["failed"]
    context = tmp_path / "context"
    (context / "files").mkdir(parents=True)
    for i in range(300):
        (context / "files" / ("f%d" % i)).write_text("file %d\n" % i * 50)
    (context / "Dockerfile").write_text(DOCKERFILE % busybox)
    ticker = run_module("container", {"name": "ticker", "image": busybox, "root": container_root,
                                      "network_mode": "none", "stop_timeout": 0,
                                      "command": ["sh", "-c", "while true; do date +%s%N > /tick; usleep 20000; done"]})
    assert not ticker["failed"], ticker
    return {"pull": registry.images["multi"], "load": archive, "build": str(context), "commit": "ticker"}


def test_operations_killed_at_random_moments_leave_a_sound_store(container_root, prepared):
    seed = int(os.environ.get("STRATA_CRASH_SEED") or time.time())
    rng = random.Random(seed)
    steady = _mounts_under(container_root)  # the ticker's root filesystem
    for op, trials in TRIALS.items():
        began = time.time()
        first = _run(op, container_root, prepared[op])
        assert first.wait(timeout=300) == 0, first.stderr.read()
        duration = time.time() - began
        for trial in range(trials):
            where = "%s trial %d (seed %d)" % (op, trial, seed)
            proc = _run(op, container_root, prepared[op])
            time.sleep(rng.uniform(0.05, duration))
            family = _descendants(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            again = _run(op, container_root, prepared[op])
            assert again.wait(timeout=300) == 0, (where, again.stderr.read())
            assert integrity.check(Store(container_root)) == [], where
            assert _mounts_under(container_root) == steady, where
            deadline = time.time() + 5
            while [p for p in family if _alive(p)] and time.time() < deadline:
                time.sleep(0.05)
            assert not [p for p in family if _alive(p)], (where, [p for p in family if _alive(p)])
    info = run_module("container_info", {"name": "ticker", "root": container_root})["container"]
    assert info["state"]["status"] == "running"  # a commit killed while it was paused: resumed
