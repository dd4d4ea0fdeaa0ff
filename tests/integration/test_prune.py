# -*- coding: utf-8 -*-
"""layer_prune removes exactly what nothing needs, reports the space du sees freed, and is
idempotent; image_info's disk usage counts shared layers once; the integrity check finds a
damaged layer and repair mends what it can."""

from __future__ import annotations

import os
import subprocess

from ansible_runner import run_module, tree_listing


def _ok(result):
    assert not result["failed"], result
    return result


def _du(root):
    """Bytes allocated under root, as du counts them (not crossing into container mounts)."""
    out = subprocess.run(["du", "-s", "-x", "-B1", root], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def _prune(root, check=False, **args):
    return _ok(run_module("layer_prune", dict({"root": root}, **args), check=check))


def _ids(root):
    return {i["id"]: i["repo_tags"] for i in _ok(run_module("image_info", {"root": root}))["images"]}


def test_prune_removes_exactly_what_nothing_needs(registry, container_root, tmp_path):
    busybox, multi = registry.images["busybox"], registry.images["multi"]
    _ok(run_module("image", {"name": multi, "root": container_root}))
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM %s\nCOPY data /data\nLABEL team=web\n" % busybox)
    (context / "data").write_text("version 1\n" * 1000)
    first = _ok(run_module("image", {"name": "app:1", "source": "build", "path": str(context),
                                     "root": container_root}))["image"]
    (context / "data").write_text("version 2\n" * 1000)
    second = _ok(run_module("image", {"name": "app:1", "source": "build", "path": str(context),
                                      "root": container_root}))["image"]
    assert _ids(container_root)[first["id"]] == []  # the rebuild left the first app:1 dangling
    _ok(run_module("container", {"name": "running", "image": busybox, "root": container_root,
                                 "network_mode": "none", "command": ["sleep", "1000"], "stop_timeout": 0}))
    _ok(run_module("container", {"name": "stopped", "image": multi, "root": container_root,
                                 "network_mode": "none", "state": "created"}))

    busybox_id, multi_id = _id_of(container_root, busybox), _id_of(container_root, multi)
    multi_chains = _ok(run_module("image_info", {"root": container_root, "name": [multi]}))["images"][0]["chain_ids"]
    usage = _ok(run_module("image_info", {"root": container_root, "disk_usage": True}))["disk_usage"]
    by_id = {i["id"]: i for i in usage["images"]}
    base = by_id[busybox_id]
    assert base["shared_size"] == base["size"] > 0 and base["unique_size"] == 0  # both app images build on it
    assert by_id[second["id"]]["unique_size"] > 0 and by_id[second["id"]]["containers"] == 0
    assert by_id[multi_id]["shared_size"] == 0 and by_id[multi_id]["containers"] == 1
    # every layer once: what each image has alone, plus the busybox layer they share
    assert usage["total_size"] == sum(i["unique_size"] for i in usage["images"]) + base["size"]

    before = tree_listing(container_root)
    checked = _prune(container_root, check=True)
    # its COPY layer stays: the build cache still holds it (as BuildKit's cache does) until build_cache
    assert checked["changed"] and checked["images"] == [first["id"]] and checked["layers"] == []
    assert tree_listing(container_root) == before

    du_before = _du(container_root)
    pruned = _prune(container_root)
    assert pruned["images"] == [first["id"]] and pruned["layers"] == checked["layers"]
    assert pruned["space_reclaimed"] == du_before - _du(container_root) > 0
    assert set(_ids(container_root)) == {second["id"], busybox_id, multi_id}
    assert _prune(container_root)["changed"] is False

    du_before = _du(container_root)
    everything = _prune(container_root, all=True, containers=True, build_cache=True)
    assert everything["containers"] == ["stopped"] and everything["build_cache"] == 2 * 2  # COPY, LABEL twice
    # both builds' COPY layers and multi's layers; busybox's layer stays with the running container
    assert sorted(everything["layers"]) == sorted([first["chain_ids"][-1], second["chain_ids"][-1]] + multi_chains)
    assert sorted(everything["images"]) == sorted([second["id"], multi_id])
    assert everything["space_reclaimed"] == du_before - _du(container_root)
    assert set(_ids(container_root)) == {busybox_id}  # the running container's image stays
    info = _ok(run_module("container_info", {"root": container_root, "name": "running"}))["container"]
    assert info["state"]["status"] == "running"
    assert _prune(container_root, all=True, containers=True, build_cache=True)["changed"] is False
    problems = _ok(run_module("image_info", {"root": container_root, "verify": True}))["problems"]
    assert problems == []


def test_verify_finds_damage_and_repair_mends_links(registry, container_root):
    _ok(run_module("image", {"name": registry.images["busybox"], "root": container_root}))
    image = _ok(run_module("image_info", {"root": container_root}))["images"][0]
    assert _ok(run_module("image_info", {"root": container_root, "verify": True}))["problems"] == []
    chain = image["chain_ids"][0]
    diff = os.path.join(container_root, "layers", chain.split(":")[1], "diff")
    passwd = os.path.join(diff, "etc", "passwd")
    with open(passwd) as f:
        text = f.read()
    with open(passwd, "w") as f:  # same size, other bytes: only the diff_id can tell
        f.write(text.replace("root", "ROOT", 1))
    problems = _ok(run_module("image_info", {"root": container_root, "verify": True}))["problems"]
    assert [(p["kind"], p["what"]) for p in problems] == [("layer", chain)] and "content changed" in problems[0]["detail"]

    links = os.path.join(container_root, "l")
    for name in os.listdir(links):
        os.unlink(os.path.join(links, name))
    os.symlink("../layers/0000/diff", os.path.join(links, "DANGLING"))
    repaired = _ok(run_module("layer_prune", {"root": container_root, "repair": True}))
    kinds = sorted((p["kind"], p["repaired"]) for p in repaired["problems"])
    assert kinds == [("layer", False), ("link", True), ("link", True)] and repaired["changed"] is True
    assert not os.path.lexists(os.path.join(links, "DANGLING")) and len(os.listdir(links)) == 1


def _id_of(root, name):
    return _ok(run_module("image_info", {"root": root, "name": [name]}))["images"][0]["id"]
