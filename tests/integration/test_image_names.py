# -*- coding: utf-8 -*-
"""Tags, removal and dangling images, with Docker's rules, through the modules."""

from __future__ import annotations

import os

import skopeo
from ansible_runner import run_module, tree_listing


def _pull(ref, root, **extra):
    result = run_module("image", dict({"name": ref, "root": root}, **extra))
    assert not result.get("failed"), result
    return result


def _copy_in_registry(src, dest):
    skopeo.run("copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", "docker://" + src, "docker://" + dest)


def test_tag_and_remove_follow_docker(registry, tmp_root):
    busybox = registry.images["busybox"]
    image = _pull(busybox, tmp_root)["image"]
    short = image["id"].split(":")[1][:12]

    tagged = _pull(busybox, tmp_root, repository="example.com/tools/bb:1")
    assert tagged["changed"] is True
    assert sorted(tagged["image"]["repo_tags"]) == sorted([busybox, "example.com/tools/bb:1"])
    assert _pull(busybox, tmp_root, repository="example.com/tools/bb:1")["changed"] is False

    listed = run_module("image_info", {"root": tmp_root, "filters": {"reference": "example.com/tools/*"}})
    assert [i["id"] for i in listed["images"]] == [image["id"]]
    assert run_module("image_info", {"root": tmp_root, "filters": {"reference": "nomatch*"}})["images"] == []

    # By ID, two repositories name it: Docker refuses without force.
    refused = run_module("image", {"name": short, "state": "absent", "root": tmp_root})
    assert refused.get("failed")
    assert "referenced in multiple repositories" in refused["msg"] and "must be forced" in refused["msg"]

    # By name, another name is left: only untagged.
    before = tree_listing(tmp_root)
    check = run_module("image", {"name": "example.com/tools/bb:1", "state": "absent", "root": tmp_root},
                       check=True, diff=True)
    assert check["changed"] is True and check["untagged"] == ["example.com/tools/bb:1"]
    assert tree_listing(tmp_root) == before
    untag = run_module("image", {"name": "example.com/tools/bb:1", "state": "absent", "root": tmp_root})
    assert untag["untagged"] == ["example.com/tools/bb:1"] and untag["deleted"] == []
    assert run_module("image_info", {"root": tmp_root, "name": [busybox]})["images"][0]["id"] == image["id"]

    # The last name by short ID: the image and its layers go.
    gone = run_module("image", {"name": short, "state": "absent", "root": tmp_root})
    assert gone["changed"] is True and image["id"] in gone["deleted"]
    assert run_module("image_info", {"root": tmp_root})["images"] == []
    assert os.listdir(os.path.join(tmp_root, "layers")) == []
    assert run_module("image", {"name": short, "state": "absent", "root": tmp_root})["changed"] is False


def test_a_moved_tag_leaves_the_old_image_dangling(registry, tmp_root):
    moving = "%s/test/moving:v1" % registry.addr
    _copy_in_registry(registry.images["busybox"], moving)
    old = _pull(moving, tmp_root)["image"]
    assert _pull(moving, tmp_root, pull="always")["changed"] is False

    _copy_in_registry(registry.images["multi"], moving)  # the tag now names another, newer image
    assert _pull(moving, tmp_root)["changed"] is False  # pull: missing does not ask the registry
    moved = _pull(moving, tmp_root, pull="always")
    assert moved["changed"] is True and moved["image"]["id"] != old["id"]

    dangling = run_module("image_info", {"root": tmp_root, "filters": {"dangling": True}})["images"]
    assert [i["id"] for i in dangling] == [old["id"]]
    assert dangling[0]["repo_tags"] == []
    tagged = run_module("image_info", {"root": tmp_root, "filters": {"dangling": False}})["images"]
    assert [i["id"] for i in tagged] == [moved["image"]["id"]]

    # before= and since= compare creation times with the named image's, as docker images -f does.
    new_id, old_id = moved["image"]["id"], old["id"]
    assert old["created"] < moved["image"]["created"]
    since = run_module("image_info", {"root": tmp_root, "filters": {"since": old_id}})["images"]
    assert [i["id"] for i in since] == [new_id]
    before = run_module("image_info", {"root": tmp_root, "filters": {"before": moving}})["images"]
    assert [i["id"] for i in before] == [old_id]

    # A dangling image can be named again (docker tag IMAGE_ID NAME).
    renamed = run_module("image", {"name": old["id"], "source": "local", "repository": "old/busybox:kept",
                                   "root": tmp_root})
    assert renamed["changed"] is True and renamed["image"]["repo_tags"] == ["old/busybox:kept"]


def test_remove_by_digest_and_by_full_id(registry, tmp_root):
    busybox = registry.images["busybox"]
    image = _pull(busybox, tmp_root)["image"]
    by_digest = image["repo_digests"][0]
    pinned = _pull(by_digest, tmp_root)
    assert pinned["changed"] is True  # the digest is now a name of its own
    untag = run_module("image", {"name": by_digest, "state": "absent", "root": tmp_root})
    assert untag["untagged"] == [by_digest] and untag["deleted"] == []
    gone = run_module("image", {"name": image["id"], "state": "absent", "root": tmp_root}, diff=True)
    assert gone["changed"] is True and gone["untagged"] == [busybox] and image["id"] in gone["deleted"]
    assert gone["diff"]["before"]["exists"] is True and gone["diff"]["after"] == {"exists": False}
    assert run_module("image_info", {"root": tmp_root})["images"] == []


def test_pull_never_and_missing_images(registry, tmp_root):
    missing = run_module("image", {"name": registry.images["busybox"], "pull": "never", "root": tmp_root})
    assert missing.get("failed") and "not in the store" in missing["msg"]
    absent = run_module("image", {"name": "%s/test/nothing-here:v9" % registry.addr, "root": tmp_root})
    assert absent.get("failed") and "not found" in absent["msg"]
