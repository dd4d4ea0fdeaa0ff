# -*- coding: utf-8 -*-
"""image_archive as the seed's backup and migration workflow uses it: save and load round trips
with the same IDs, archives that podman and skopeo read and write, export and import, and bad
archives that load nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time

import treecompare
from ansible_runner import run_module, run_playbook


def _ok(result):
    assert not result["failed"], result
    return result


def _archive(root, **args):
    return run_module("image_archive", dict({"root": root}, **args))


def _image(root, name):
    return _ok(run_module("image_info", {"root": root, "name": [name]}))["images"][0]


def _output(root, name, image, command):
    """Run ``command`` in a new container of ``image`` and return what it printed (stdout and
    stderr); it must exit 0."""
    _ok(run_module("container", {"name": name, "image": image, "root": root, "network_mode": "none",
                                 "pull": "never", "command": command}))
    for dummy in range(100):
        info = _ok(run_module("container_info", {"name": name, "root": root, "logs": True}))
        if info["container"]["state"]["status"] == "exited":
            printed = "".join(entry["log"] for entry in info["logs"])
            assert info["container"]["state"]["exit_code"] == 0, printed
            return printed
        time.sleep(0.1)
    raise AssertionError("%s did not exit" % name)


def test_save_and_load_round_trip_into_a_fresh_store(registry, container_root, another_root, tmp_path):
    ref = registry.images["multi"]
    _ok(run_module("image", {"name": ref, "root": container_root}))
    before = _image(container_root, ref)
    path = str(tmp_path / "multi.tar")
    saved = _ok(_archive(container_root, action="save", names=[ref], path=path))
    assert saved["changed"] is True and saved["images"] == [before["id"]]
    assert _ok(_archive(container_root, action="save", names=[ref], path=path))["changed"] is False
    assert _ok(run_module("image_archive", {"root": container_root, "action": "save", "names": [ref],
                                            "path": path}, check=True))["changed"] is False

    fresh = another_root()
    os.rmdir(fresh)  # a store that does not exist yet
    assert _ok(run_module("image_archive", {"root": fresh, "action": "load", "path": path}, check=True))["changed"]
    assert not os.path.exists(os.path.join(fresh, "images"))  # check mode wrote nothing
    loaded = _ok(_archive(fresh, action="load", path=path))
    assert loaded["changed"] is True and loaded["images"] == [before["id"]] and loaded["format"] == "docker-archive"
    after = _image(fresh, ref)
    assert (after["id"], after["diff_ids"], after["chain_ids"]) == (before["id"], before["diff_ids"], before["chain_ids"])
    assert _ok(_archive(fresh, action="load", path=path))["changed"] is False
    # the layer tars are byte for byte the same: saving from the new store gives the same file
    again = str(tmp_path / "again.tar")
    _ok(_archive(fresh, action="save", names=[ref], path=again))
    with open(path, "rb") as one, open(again, "rb") as two:
        assert one.read() == two.read()
    for root in (container_root, fresh):  # runs from either store, the top layer's edit on top (rig/make_layers.py)
        assert _output(root, "ran", ref, ["cat", "/etc/debian_version"]) == "12.99-strata\n"


def test_podman_and_skopeo_read_ours_and_we_read_theirs(registry, container_root, another_root, podman, tmp_path):
    ref = registry.images["busybox"]
    _ok(run_module("image", {"name": ref, "root": container_root}))
    ours = str(tmp_path / "ours.tar")
    _ok(_archive(container_root, action="save", names=[ref], path=ours))
    mine = _image(container_root, ref)

    podman("load", "-i", ours)
    ran = podman("run", "--rm", "--network", "none", ref, "echo", "hello from podman")
    assert ran.stdout == "hello from podman\n"
    layout = str(tmp_path / "oci")
    subprocess.run(["skopeo", "copy", "-q", "docker-archive:" + ours, "oci:%s:x" % layout], check=True)
    with open(os.path.join(layout, "index.json")) as f:
        manifest_digest = json.load(f)["manifests"][0]["digest"]
    with open(os.path.join(layout, "blobs", "sha256", manifest_digest.split(":")[1])) as f:
        manifest = json.load(f)
    with open(os.path.join(layout, "blobs", "sha256", manifest["config"]["digest"].split(":")[1])) as f:
        assert json.load(f)["rootfs"]["diff_ids"] == mine["diff_ids"]  # skopeo may re-encode the config

    # theirs: podman save and skopeo's docker-archive, each into a fresh store, each runs
    podman("tag", ref, "localhost/theirs:podman")
    from_podman = str(tmp_path / "podman.tar")
    podman("save", "-o", from_podman, "localhost/theirs:podman")
    from_skopeo = str(tmp_path / "skopeo.tar")
    subprocess.run(["skopeo", "copy", "-q", "oci:%s:x" % layout, "docker-archive:%s:localhost/theirs:skopeo" % from_skopeo],
                   check=True)
    for path, name in ((from_podman, "localhost/theirs:podman"), (from_skopeo, "localhost/theirs:skopeo")):
        root = another_root()
        loaded = _ok(_archive(root, action="load", path=path))
        assert _image(root, name)["diff_ids"] == mine["diff_ids"], loaded
        assert _output(root, "theirs", name, ["echo", "ran " + name]) == "ran %s\n" % name


def test_oci_archive_round_trip(registry, container_root, another_root, tmp_path):
    ref = registry.images["busybox"]
    _ok(run_module("image", {"name": ref, "root": container_root}))
    path = str(tmp_path / "busybox-oci.tar")
    _ok(_archive(container_root, action="save", names=[ref], path=path, format="oci-archive"))
    layout = str(tmp_path / "unpacked")
    subprocess.run(["skopeo", "copy", "-q", "oci-archive:%s" % path, "oci:%s:x" % layout], check=True)
    fresh = another_root()
    loaded = _ok(_archive(fresh, action="load", path=path))
    assert loaded["format"] == "oci-archive" and loaded["images"] == [_image(container_root, ref)["id"]]
    assert _image(fresh, ref)["repo_tags"] == _image(container_root, ref)["repo_tags"]


SEED = """
- hosts: localhost
  gather_facts: false
  vars:
    root: "{{ store }}"
  tasks:
    - name: docker run -d --name seed busybox
      strata.containers.container:
        name: seed
        image: "{{ image }}"
        root: "{{ root }}"
        network_mode: none
        command: [sh, -c, "echo changed by hand > /etc/motd; exec sleep 1000"]
    - name: wait for the change
      strata.containers.container_exec:
        container: seed
        root: "{{ root }}"
        command: sh -c 'for i in $(seq 50); do test -s /etc/motd && exit 0; sleep 0.1; done; exit 1'
        fail_on_error: true
    - name: docker commit seed seed:backup
      strata.containers.image:
        name: seed:backup
        source: commit
        container: seed
        root: "{{ root }}"
    - name: docker save -o backup.tar seed:backup
      strata.containers.image_archive:
        action: save
        names: [seed:backup]
        path: "{{ archive }}"
        root: "{{ root }}"
    - name: docker rm -f seed
      strata.containers.container:
        name: seed
        state: absent
        root: "{{ root }}"
    - name: docker rmi seed:backup
      strata.containers.image:
        name: seed:backup
        state: absent
        root: "{{ root }}"
    - name: docker load -i backup.tar
      strata.containers.image_archive:
        action: load
        path: "{{ archive }}"
        root: "{{ root }}"
    - name: docker run seed:backup
      strata.containers.container:
        name: restored
        image: seed:backup
        pull: never
        root: "{{ root }}"
        network_mode: none
        command: [sleep, "1000"]
    - name: the change is there
      strata.containers.container_exec:
        container: restored
        root: "{{ root }}"
        argv: [cat, /etc/motd]
      register: motd
    - ansible.builtin.assert:
        that: motd.stdout == "changed by hand\\n"
"""


def test_the_seed_backup_workflow_as_one_playbook(registry, container_root, tmp_path):
    playbook = tmp_path / "seed.yml"
    playbook.write_text(SEED)
    run = run_playbook(str(playbook), {"store": container_root, "image": registry.images["busybox"],
                                       "archive": str(tmp_path / "backup.tar")})
    assert run.rc == 0 and run.failed == 0, run.output


def test_export_then_import_is_the_containers_view(registry, container_root, tmp_path):
    _ok(run_module("container", {"name": "src", "image": registry.images["multi"], "root": container_root,
                                 "network_mode": "none", "state": "created", "command": ["true"]}))
    rootfs = _ok(run_module("container_info", {"name": "src", "root": container_root}))["container"]["rootfs"]
    with open(os.path.join(rootfs, "added-by-hand"), "w") as f:
        f.write("here\n")
    path = str(tmp_path / "src.tar")
    assert _ok(_archive(container_root, action="export", container="src", path=path))["changed"] is True
    assert _ok(_archive(container_root, action="export", container="src", path=path))["changed"] is False
    args = {"action": "import", "path": path, "name": "flat:1", "changes": ['CMD ["/bin/sh"]'],
            "commit_message": "flattened"}
    imported = _ok(_archive(container_root, **args))["image"]
    assert len(imported["layers"]) == 1 and imported["config"]["config"]["Cmd"] == ["/bin/sh"]
    assert imported["history"][0]["comment"] == "flattened"
    assert _ok(_archive(container_root, **args))["changed"] is False
    view = _ok(run_module("container", {"name": "flat", "image": "flat:1", "root": container_root, "pull": "never",
                                        "network_mode": "none", "state": "created"}))["container"]["rootfs"]
    assert treecompare.differences(treecompare.describe(view), treecompare.describe(rootfs)) == []


def _tar(path, members):
    with tarfile.open(path, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_bad_archives_load_nothing(registry, container_root, another_root, tmp_path):
    ref = registry.images["busybox"]
    _ok(run_module("image", {"name": ref, "root": container_root}))
    good = str(tmp_path / "good.tar")
    _ok(_archive(container_root, action="save", names=[ref], path=good))
    with tarfile.open(good) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile()]
    manifest = json.loads(dict(members)["manifest.json"])
    config_name, layer_name = manifest[0]["Config"], manifest[0]["Layers"][0]

    def variant(name, change):
        path = str(tmp_path / name)
        _tar(path, change(list(members)))
        return path

    def with_manifest(value):
        return lambda ms: [(n, d) for n, d in ms if n != "manifest.json"] + [("manifest.json", value)]

    bad = {
        "dotdot": (variant("dotdot.tar", lambda ms: ms + [("../escape", b"x")]), ".."),
        "config outside": (variant("config.tar", with_manifest(json.dumps(
            [dict(manifest[0], Config="../" + config_name)]).encode())), config_name),
        "layer outside": (variant("layer.tar", with_manifest(json.dumps(
            [dict(manifest[0], Layers=["/etc/passwd"])]).encode())), "/etc/passwd"),
        "missing layer": (variant("missing.tar", lambda ms: [(n, d) for n, d in ms if n != layer_name]), layer_name),
        "wrong content": (variant("content.tar", lambda ms: [(n, d if n != layer_name else
                                                             oci_tar_of(b"evil")) for n, d in ms]), "sha256"),
        "null manifest": (variant("null.tar", with_manifest(b"null")), "manifest.json"),
        "huge manifest": (variant("huge.tar", with_manifest(b"[" + b" " * (5 << 20) + b"]")), "manifest.json"),
    }
    fresh = another_root()
    for case, (path, expect) in bad.items():
        result = _archive(fresh, action="load", path=path)
        assert result["failed"] and expect in result["msg"], (case, result)
        images = os.path.join(fresh, "images")
        assert not os.path.isdir(images) or not os.listdir(images), case
        layers = os.path.join(fresh, "layers")
        assert not os.path.isdir(layers) or not os.listdir(layers), case


def oci_tar_of(data):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("evil")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
