# -*- coding: utf-8 -*-
"""Pulling with ansible-playbook: by tag and by digest, idempotent, check mode writes nothing;
and what image_info reports equals what skopeo sees in the registry."""

from __future__ import annotations

import hashlib
import json
import os
import textwrap

import skopeo
from ansible_runner import run_module, run_playbook, tree_listing

PLAYBOOK = textwrap.dedent("""\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Pull by tag
          strata.containers.image:
            name: "{{ by_tag }}"
            root: "{{ root }}"
        - name: Pull by digest
          strata.containers.image:
            name: "{{ by_digest }}"
            root: "{{ root }}"
    """)


def _digest_of(ref):
    raw = skopeo.run("inspect", "--tls-verify=false", "--raw", "docker://" + ref).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def test_pull_by_tag_and_digest_is_idempotent_and_check_mode_writes_nothing(registry, tmp_root, tmp_path):
    by_tag = registry.images["multi"]
    repo = by_tag.rsplit(":", 1)[0]
    by_digest = "%s@%s" % (repo, _digest_of(by_tag))
    playbook = tmp_path / "pull.yml"
    playbook.write_text(PLAYBOOK)
    variables = {"by_tag": by_tag, "by_digest": by_digest, "root": tmp_root}

    check = run_playbook(str(playbook), variables, check=True)
    assert check.rc == 0, check.output
    assert check.changed == 2
    assert tree_listing(tmp_root, skip=()) == {}, "check mode wrote to the store"

    first = run_playbook(str(playbook), variables)
    assert first.rc == 0, first.output
    assert first.changed == 2

    second = run_playbook(str(playbook), variables)
    assert second.rc == 0, second.output
    assert second.changed == 0

    info = run_module("image_info", {"root": tmp_root})
    assert len(info["images"]) == 1
    image = info["images"][0]
    assert image["repo_tags"] == [by_tag]
    assert by_digest in image["repo_digests"]


def _assert_matches_skopeo(image, ref):
    seen = skopeo.inspect(ref)
    raw = skopeo.inspect(ref, raw=True)
    assert image["manifest_digest"] == seen["Digest"]
    assert image["layers"] == seen["Layers"]
    assert image["id"] == raw["config"]["digest"]
    assert image["config_digest"] == raw["config"]["digest"]
    # An OCI manifest may leave out mediaType (umoci's do); the registry then serves it as OCI.
    assert image["manifest_media_type"] == raw.get("mediaType", "application/vnd.oci.image.manifest.v1+json")
    config = skopeo.inspect(ref, config=True)
    assert image["diff_ids"] == config["rootfs"]["diff_ids"]


def test_image_info_reports_what_skopeo_sees(registry, tmp_root):
    for name in ("multi", "busybox"):
        ref = registry.images[name]
        pulled = run_module("image", {"name": ref, "root": tmp_root})
        assert pulled["changed"] is True, pulled
        info = run_module("image_info", {"name": [ref], "root": tmp_root})
        assert len(info["images"]) == 1
        _assert_matches_skopeo(info["images"][0], ref)
        assert pulled["image"]["id"] == info["images"][0]["id"]


def test_zstd_layers_pull_and_give_the_same_content(registry, tmp_root):
    gzip_root, zstd_root = os.path.join(tmp_root, "gz"), os.path.join(tmp_root, "zst")
    gz = run_module("image", {"name": registry.images["multi"], "root": gzip_root})
    zst = run_module("image", {"name": registry.images["multi_zstd"], "root": zstd_root})
    assert zst["changed"] is True, zst
    raw = skopeo.inspect(registry.images["multi_zstd"], raw=True)
    assert all(layer["mediaType"].endswith("+zstd") for layer in raw["layers"])
    _assert_matches_skopeo(zst["image"], registry.images["multi_zstd"])
    # Same uncompressed content: every diff_id was verified while extracting.
    assert zst["image"]["diff_ids"] == gz["image"]["diff_ids"]


def test_docker_schema2_manifest_pulls(registry, tmp_root):
    pulled = run_module("image", {"name": registry.images["multi_v2s2"], "root": tmp_root})
    assert pulled["changed"] is True, pulled
    assert pulled["image"]["manifest_media_type"] == "application/vnd.docker.distribution.manifest.v2+json"
    _assert_matches_skopeo(pulled["image"], registry.images["multi_v2s2"])


def _platform_file(root, image):
    # The top layer of each platform image carries /etc/platform naming its architecture.
    chain = image["chain_ids"][-1]
    path = os.path.join(root, "layers", chain.split(":")[1], "diff", "etc", "platform")
    with open(path) as f:
        return f.read().strip()


def test_index_pulls_the_host_platform_or_the_one_asked_for(registry, tmp_root):
    ref = registry.images["platforms"]
    index = skopeo.inspect(ref, raw=True)
    assert index["mediaType"] in ("application/vnd.oci.image.index.v1+json",
                                  "application/vnd.docker.distribution.manifest.list.v2+json")
    host = run_module("image", {"name": ref, "root": tmp_root})
    assert host["changed"] is True, host
    assert host["image"]["architecture"] == "amd64"
    assert _platform_file(tmp_root, host["image"]) == "amd64"
    assert host["image"]["index_digest"] == _digest_of(ref)

    arm_root = os.path.join(tmp_root, "arm")
    arm = run_module("image", {"name": ref, "platform": "linux/arm64", "root": arm_root})
    assert arm["changed"] is True, arm
    assert arm["image"]["architecture"] == "arm64"
    assert _platform_file(arm_root, arm["image"]) == "arm64"
    assert arm["image"]["id"] != host["image"]["id"]

    again = run_module("image", {"name": ref, "platform": "linux/arm64", "root": arm_root})
    assert again["changed"] is False
    missing = run_module("image", {"name": ref, "platform": "linux/s390x", "root": arm_root})
    assert missing.get("failed") and "s390x" in missing["msg"]


def test_shared_layers_are_stored_once(registry, tmp_root):
    run_module("image", {"name": registry.images["multi"], "root": tmp_root})
    second = run_module("image", {"name": registry.images["multi_v2s2"], "root": tmp_root})
    layers = os.listdir(os.path.join(tmp_root, "layers"))
    chains = set(second["image"]["chain_ids"])
    info = run_module("image_info", {"root": tmp_root})
    all_chains = set()
    for image in info["images"]:
        all_chains.update(image["chain_ids"])
    assert len(layers) == len(all_chains)
    assert chains <= all_chains
    json.dumps(info)  # the whole result is plain JSON
