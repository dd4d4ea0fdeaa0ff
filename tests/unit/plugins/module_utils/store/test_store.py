# -*- coding: utf-8 -*-
from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import Corrupt, DigestMismatch, StoreError
from ansible_collections.strata.containers.plugins.module_utils.images import writer as image_writer
from ansible_collections.strata.containers.plugins.module_utils.fs import atomic as fsutil
from ansible_collections.strata.containers.plugins.module_utils.store import layers, tempdirs
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


def test_a_layer_published_by_a_killed_call_gets_its_short_link_from_the_next(tmp_path):
    store = Store(str(tmp_path / "root"))

    def produce(_diff, _split):
        return 0
    assert store.layers.ensure(CHAIN, CHAIN, None, produce)
    link = os.path.join(store.root, "l", store.layers.meta(CHAIN)["link"])
    os.unlink(link)  # as when killed between the rename and the link
    assert not store.layers.ensure(CHAIN, CHAIN, None, produce)
    assert os.path.islink(link) and os.path.isdir(link)


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


def _watch_publishing(monkeypatch, store):
    """Events in order: "sync" for a syncfs or sync, "publish" for a rename into layers/."""
    events = []
    real_syncfs, real_sync, real_rename = fsutil.syncfs, os.sync, os.rename

    def syncfs(path):
        events.append("sync")
        real_syncfs(path)

    def sync():
        events.append("sync")
        real_sync()

    def rename(src, dst, *args, **kwargs):
        if os.path.dirname(os.path.abspath(dst)) == store.layers.directory:
            events.append("publish")
        real_rename(src, dst, *args, **kwargs)
    monkeypatch.setattr(fsutil, "syncfs", syncfs)
    monkeypatch.setattr(layers, "syncfs", syncfs, raising=False)
    monkeypatch.setattr(os, "sync", sync)
    monkeypatch.setattr(os, "rename", rename)
    return events


def test_a_layers_files_are_synced_before_it_is_published(tmp_path, monkeypatch):
    """After a power cut, layers/<chain> must not be a layer of empty files that looks complete."""
    store = Store(str(tmp_path / "root"))
    events = _watch_publishing(monkeypatch, store)

    def produce(diff, _split):
        with open(os.path.join(diff, "file"), "w") as f:
            f.write("data")
        events.append("written")
        return 4
    store.layers.ensure(CHAIN, CHAIN, None, produce)
    assert events.count("publish") == 1
    before = events[:events.index("publish")]
    assert "written" in before and "sync" in before[before.index("written"):], events


def test_a_built_or_committed_layer_is_synced_before_it_is_published(tmp_path, monkeypatch):
    """build and commit store a directory as a layer (image_writer): the same order."""
    store = Store(str(tmp_path / "root"))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "hello").write_text("hi\n")
    with store.work_dir() as work:
        events = _watch_publishing(monkeypatch, store)
        layer = image_writer.layer_from_dir(store, str(tree), None, work, overlay=False)
    assert store.layers.exists(layer["chain_id"])
    assert events.count("publish") == 1 and "sync" in events[:events.index("publish")], events


def test_the_sweep_never_takes_a_directory_between_its_lock_files_open_and_flock(tmp_path, monkeypatch):
    """Driven by hand: a sweep runs at the owner's first flock, before it holds the lock."""
    store = Store(str(tmp_path / "root"))
    real_flock = tempdirs.fcntl.flock
    swept = []

    def flock(fd, operation):
        if not swept:
            swept.append(tempdirs.sweep(store.tmp))  # another process's sweep, at the worst moment
        return real_flock(fd, operation)
    monkeypatch.setattr(tempdirs.fcntl, "flock", flock)
    with store.work_dir() as mine:
        assert swept == [0]
        assert os.path.isdir(mine)
        with open(os.path.join(mine, "partial"), "w") as f:
            f.write("x")
        assert tempdirs.sweep(store.tmp) == 0  # and once the lock is held, as before
    assert os.listdir(store.tmp) == []


def test_a_work_dir_whose_owner_died_before_naming_its_lock_is_swept_when_old(tmp_path):
    store = Store(str(tmp_path / "root"))
    young = tmp_path / "root" / "tmp" / "op-young"
    old = tmp_path / "root" / "tmp" / "op-old"
    for path in (young, old):
        path.mkdir()
        (path / (tempdirs.LOCK_NAME + ".x1y2")).write_text("")
    os.utime(str(old), (time.time() - 3600, time.time() - 3600))
    assert tempdirs.sweep(store.tmp) == 1
    assert os.listdir(store.tmp) == ["op-young"]


def test_a_work_dir_is_emptied_before_its_lock_goes(tmp_path, monkeypatch):
    """Killed while removing its work dir, an operation leaves a dir the next sweep takes."""
    store = Store(str(tmp_path / "root"))
    seen = []
    real_remove_tree = tempdirs.remove_tree

    def remove_tree(path):
        if os.path.isdir(path) and os.path.dirname(path) == store.tmp:
            seen.append(os.path.exists(os.path.join(path, tempdirs.LOCK_NAME)) and len(os.listdir(path)))
        real_remove_tree(path)
    monkeypatch.setattr(tempdirs, "remove_tree", remove_tree)
    with store.work_dir() as work:
        for name in ("a", "b", "c"):
            os.mkdir(os.path.join(work, name))
    assert seen == [1]  # the whole dir is removed only when the lock file alone is left
