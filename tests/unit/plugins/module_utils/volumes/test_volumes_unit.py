# -*- coding: utf-8 -*-
"""Volume definitions (the local driver's options), the mount flags of ``o``, the copy-up of an
image's content (symlinks copied, never followed; a path climbing out refused) and the service's
rules (idempotency, recreate, in-use refusal, prune) on a store in a temporary directory."""

from __future__ import annotations

import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils import _linux
from ansible_collections.strata.containers.plugins.module_utils._errors import InUse, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.store.containers import ContainerStore
from ansible_collections.strata.containers.plugins.module_utils.volumes import copyup, definitions, mounting


@pytest.mark.parametrize("options, expected", [
    ({"size": "1m"}, "invalid volume driver option 'size'"),
    ({"o": "size=1m"}, "need a type"),
    ({"type": "ext4", "device": "/dev/sda1"}, "not supported"),
    ({"type": "tmpfs", "o": "size=1m,a b"}, "bad item"),
    ({"type": "tmpfs", "o": "bind"}, "cannot have o=bind"),
    ({"type": "none", "device": "/tmp"}, "needs o=bind"),
    ({"type": "none", "o": "bind", "device": "relative"}, "absolute path"),
    ({"type": "nfs", "device": "server:/x", "o": "rw"}, "addr="),
    ({"type": "nfs", "device": "/x", "o": "addr=10.0.0.5"}, "export"),
])
def test_bad_driver_options_are_refused(options, expected):
    with pytest.raises(InvalidSpec, match=expected):
        definitions.driver_options(options)


def test_good_driver_options():
    assert definitions.driver_options({"type": "tmpfs", "o": "size=64m"}) == \
        {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}
    assert definitions.driver_options({"type": "nfs", "device": ":/srv", "o": "addr=10.0.0.5,rw"})["type"] == "nfs"
    assert definitions.driver_options({"type": None, "device": None, "o": None}) == {}


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "x" * 129, None])
def test_bad_names(name):
    with pytest.raises(InvalidSpec, match="invalid volume name"):
        definitions.check_name(name)


def test_o_splits_into_flags_and_data():
    flags, data = mounting.flags_and_data(["ro", "nosuid", "size=8m", "rw", "mode=0755"])
    assert flags == _linux.MS_RDONLY | _linux.MS_NOSUID and data == "size=8m,mode=0755"


def _image_tree(rootfs):
    (rootfs / "srv" / "app" / "sub").mkdir(parents=True)
    (rootfs / "srv" / "app" / "sub" / "file").write_text("seed")
    os.symlink("/etc", rootfs / "srv" / "app" / "etc")
    os.symlink("../../../../../..", rootfs / "srv" / "app" / "up")
    os.symlink("../../../../../../tmp", rootfs / "srv" / "escape")
    os.mkfifo(rootfs / "srv" / "app" / "fifo")


def test_copy_up_copies_links_as_links_and_only_into_an_empty_volume(tmp_path):
    rootfs, data = tmp_path / "rootfs", tmp_path / "data"
    data.mkdir()
    _image_tree(rootfs)
    assert copyup.copy_up(str(rootfs), "/srv/app", str(data)) is True
    assert sorted(os.listdir(data)) == ["etc", "fifo", "sub", "up"]
    assert os.readlink(data / "etc") == "/etc" and os.readlink(data / "up") == "../../../../../.."
    assert (data / "sub" / "file").read_text() == "seed"
    (rootfs / "srv" / "app" / "new").write_text("later")
    assert copyup.copy_up(str(rootfs), "/srv/app", str(data)) is False  # not empty: kept as it is
    assert not (data / "new").exists()


def test_copy_up_refuses_a_path_that_climbs_out_and_skips_missing_ones(tmp_path):
    rootfs, data = tmp_path / "rootfs", tmp_path / "data"
    data.mkdir()
    _image_tree(rootfs)
    with pytest.raises(InvalidSpec, match="outside the container's root"):
        copyup.copy_up(str(rootfs), "/srv/escape/x", str(data))
    assert copyup.copy_up(str(rootfs), "/srv/missing", str(data)) is False
    assert copyup.copy_up(str(rootfs), "/srv/app/sub/file", str(data)) is False  # not a directory
    assert os.listdir(data) == []


def test_service_idempotent_recreate_in_use_and_prune(tmp_path):
    engine = Engine(str(tmp_path / "root"))
    volumes = engine.volumes
    assert volumes.ensure("a", labels={"k": "v"})["changed"] is True
    assert volumes.ensure("a", labels={"k": "v"})["changed"] is False
    assert volumes.ensure("a", labels={"k": "w"})["changed"] is False  # recreate: never
    result = volumes.ensure("a", labels={"k": "w"}, recreate="options-changed")
    assert result["actions"] == ["remove volume a", "create volume a"] and result["volume"]["Labels"] == {"k": "w"}
    volumes.ensure("b")
    os.makedirs(os.path.join(engine.store.root, "containers", "c" * 64))
    ContainerStore(os.path.join(engine.store.root, "containers")).put(
        {"id": "c" * 64, "name": "web", "options": {"mounts": [{"type": "volume", "source": "a", "target": "/d"}]}})
    with pytest.raises(InUse, match="in use by container web"):
        volumes.ensure("a", state="absent")
    assert engine.pruner.prune_volumes()["volumes"] == ["b"]
    assert volumes.ensure("a", state="absent", force=True)["changed"] is True
    assert volumes.info() == []


def test_check_mode_writes_nothing(tmp_path):
    root = tmp_path / "root"
    result = Engine(str(root), check_mode=True).volumes.ensure("a")
    assert result["changed"] is True and not root.exists()
