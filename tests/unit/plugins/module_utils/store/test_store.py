# -*- coding: utf-8 -*-
from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import Corrupt, DigestMismatch, StoreError
from ansible_collections.strata.containers.plugins.module_utils.store import tempdirs
from ansible_collections.strata.containers.plugins.module_utils.store.store import Store

CHAIN = "sha256:" + "c" * 64


def test_blobs_are_verified_on_write_and_read(tmp_path):
    store = Store(str(tmp_path / "root"))
    d = store.blobs.put(b"config")
    assert store.blobs.get(d) == b"config"
    with pytest.raises(DigestMismatch):
        store.blobs.put(b"other", d)
    with open(store.blobs.path(d), "wb") as f:
        f.write(b"tampered")
    with pytest.raises(Corrupt):
        store.blobs.get(d)


def test_root_must_be_absolute():
    with pytest.raises(StoreError, match="absolute"):
        Store("relative/root")


def _extract_slowly(root, marker_dir, barrier):
    store = Store(root)
    barrier.wait()

    def produce(diff, _split):
        with open(os.path.join(marker_dir, str(os.getpid())), "w"):
            pass
        time.sleep(0.3)
        with open(os.path.join(diff, "file"), "w") as f:
            f.write("data")
        return 4
    store.layers.ensure(CHAIN, CHAIN, None, produce)


def test_a_layer_wanted_by_several_processes_is_extracted_once(tmp_path):
    root, markers = str(tmp_path / "root"), tmp_path / "markers"
    markers.mkdir()
    Store(root)
    barrier = multiprocessing.Barrier(4)
    procs = [multiprocessing.Process(target=_extract_slowly, args=(root, str(markers), barrier)) for dummy in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert len(os.listdir(markers)) == 1
    store = Store(root)
    assert store.layers.exists(CHAIN)
    with open(os.path.join(root, store.layers.short_link(CHAIN), "file")) as f:
        assert f.read() == "data"


def test_a_failed_extraction_leaves_nothing(tmp_path):
    store = Store(str(tmp_path / "root"))

    def produce(diff, _split):
        with open(os.path.join(diff, "half"), "w") as f:
            f.write("x")
        raise DigestMismatch("boom")
    with pytest.raises(DigestMismatch):
        store.layers.ensure(CHAIN, CHAIN, None, produce)
    assert not store.layers.exists(CHAIN)
    assert os.listdir(store.tmp) == []
    assert os.listdir(store.layers.directory) == []


def _hold_work_dir(tmp, ready):
    with tempdirs.work_dir(tmp) as path:
        with open(os.path.join(path, "partial"), "w") as f:
            f.write("x")
        ready.set()
        time.sleep(60)


def test_work_dirs_of_killed_processes_are_swept_and_live_ones_kept(tmp_path):
    store = Store(str(tmp_path / "root"))
    ready = multiprocessing.Event()
    victim = multiprocessing.Process(target=_hold_work_dir, args=(store.tmp, ready))
    victim.start()
    assert ready.wait(10)
    with store.work_dir() as mine:
        assert tempdirs.sweep(store.tmp) == 0  # both owners alive
        os.kill(victim.pid, signal.SIGKILL)
        victim.join()
        assert tempdirs.sweep(store.tmp) == 1
        assert os.listdir(store.tmp) == [os.path.basename(mine)]
    assert os.listdir(store.tmp) == []
