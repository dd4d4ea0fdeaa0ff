# -*- coding: utf-8 -*-
"""Volumes (issue 20, item 1) as a playbook uses them: the volume and volume_info modules
(idempotent, check mode, diff), data that outlives the containers that wrote it, tmpfs and bind
volumes seen from inside, removal refused while in use, layer_prune's volumes, and Docker's
copy-up of an image's VOLUME content (anonymous volumes go with their container, named ones stay)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_runner import run_module, tree_listing

ANONYMOUS = "com.docker.volume.anonymous"
STRATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bin", "strata")


def _ok(result):
    assert not result["failed"], result
    return result


def _volume(root, name, check=False, diff=False, **args):
    return run_module("volume", dict({"name": name, "root": root}, **args), check=check, diff=diff)


def _info(root, name=None):
    return _ok(run_module("volume_info", dict({"root": root}, **({"name": name} if name else {}))))


def _container(root, name, image, **args):
    args = dict({"name": name, "image": image, "root": root, "network_mode": "none",
                 "command": ["sleep", "3600"]}, **args)
    return _ok(run_module("container", args))


def _sh(root, name, script):
    return _ok(run_module("container_exec", {"container": name, "argv": ["sh", "-c", script], "root": root}))


def _mount(source, target, **extra):
    return dict({"type": "volume", "source": source, "target": target}, **extra)


def test_volume_module_data_outlives_containers_and_removal_needs_force(registry, container_root):
    root, busybox = container_root, registry.images["busybox"]
    checked = _ok(_volume(root, "data", check=True, diff=True, labels={"app": "web"}))
    assert checked["changed"] is True and checked["actions"] == ["create volume data"]
    assert checked["diff"]["before"] == {"state": "absent"}
    assert _info(root, "data")["exists"] is False  # check mode made nothing

    made = _ok(_volume(root, "data", diff=True, labels={"app": "web"}))
    assert made["changed"] is True and made["diff"]["after"]["labels"] == {"app": "web"}
    assert made["volume"]["Mountpoint"] == os.path.join(root, "volumes", "data", "_data")
    assert set(made["volume"]) == {"Name", "Driver", "Mountpoint", "Labels", "Options", "CreatedAt", "Scope"}
    assert _ok(_volume(root, "data", labels={"app": "web"}))["changed"] is False
    assert _ok(_volume(root, "data", check=True, labels={"app": "web"}))["changed"] is False
    # different labels: kept as they are unless recreate says otherwise (community.docker's rule)
    assert _ok(_volume(root, "data", labels={"app": "db"}))["changed"] is False
    relabel = _ok(_volume(root, "data", check=True, diff=True, labels={"app": "db"}, recreate="options-changed"))
    assert relabel["changed"] is True and relabel["diff"]["after"]["labels"] == {"app": "db"}

    _container(root, "writer", busybox, mounts=[_mount("data", "/data")])
    _sh(root, "writer", "echo written by writer > /data/note")
    _container(root, "reader", busybox, mounts=[_mount("data", "/srv", read_only=True)])
    assert _sh(root, "reader", "cat /srv/note")["stdout"] == "written by writer\n"
    denied = run_module("container_exec", {"container": "reader", "argv": ["touch", "/srv/x"], "root": root})
    assert denied["rc"] != 0 and "Read-only" in denied["stderr"], denied
    # recreated (another env): the named volume and its data stay
    _container(root, "writer", busybox, mounts=[_mount("data", "/data")], env={"V": "2"})
    assert _sh(root, "writer", "cat /data/note")["stdout"] == "written by writer\n"
    assert sorted(_info(root, "data")["volumes"][0]["UsedBy"]) == ["reader", "writer"]

    refused = _volume(root, "data", state="absent")
    assert refused["failed"] and "in use" in refused["msg"] and "reader" in refused["msg"] \
        and "writer" in refused["msg"], refused
    assert _info(root, "data")["exists"] is True
    relabel = _volume(root, "data", labels={"app": "db"}, recreate="options-changed")
    assert relabel["failed"] and "in use" in relabel["msg"]
    assert _ok(_volume(root, "data", state="absent", check=True, force=True))["changed"] is True
    assert _info(root, "data")["exists"] is True
    gone = _ok(_volume(root, "data", state="absent", force=True, diff=True))
    assert gone["changed"] is True and gone["diff"]["after"] == {"state": "absent"}
    assert not os.path.exists(os.path.join(root, "volumes", "data"))
    assert _ok(_volume(root, "data", state="absent"))["changed"] is False


def test_tmpfs_and_bind_volumes_seen_from_inside(registry, container_root, tmp_path):
    root = container_root
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "from-host").write_text("host file\n")
    tmpfs = {"type": "tmpfs", "device": "tmpfs", "o": "size=8m"}
    bind = {"type": "none", "o": "bind", "device": str(shared)}
    assert _ok(_volume(root, "scratch", driver_options=tmpfs))["volume"]["Options"] == tmpfs
    assert _ok(_volume(root, "scratch", driver_options=tmpfs))["changed"] is False
    assert _ok(_volume(root, "hostdir", driver_options=bind))["changed"] is True
    _container(root, "probe", registry.images["busybox"],
               mounts=[_mount("scratch", "/scratch"), _mount("hostdir", "/shared")])
    df = _sh(root, "probe", "df -k /scratch | tail -1")["stdout"].split()
    assert df[0] == "tmpfs" and df[1] == "8192", df
    assert _sh(root, "probe", "cat /shared/from-host; echo from-container > /shared/new")["stdout"] == "host file\n"
    assert (shared / "new").read_text() == "from-container\n"
    # removing the bind volume unmounts it and leaves the host's directory and files alone
    _ok(run_module("container", {"name": "probe", "state": "absent", "root": root}))
    _ok(_volume(root, "hostdir", state="absent"))
    _ok(_volume(root, "scratch", state="absent"))
    assert sorted(os.listdir(shared)) == ["from-host", "new"]
    assert not os.path.exists(os.path.join(root, "volumes", "scratch"))


def test_prune_removes_only_unused_volumes(registry, container_root):
    root = container_root
    for name in ("kept", "spare1", "spare2"):
        _ok(_volume(root, name))
    _container(root, "user", registry.images["busybox"], state="created", mounts=[_mount("kept", "/k")])
    checked = _ok(run_module("layer_prune", {"root": root, "volumes": True}, check=True))
    assert checked["changed"] is True and sorted(checked["volumes"]) == ["spare1", "spare2"]
    assert len(_info(root)["volumes"]) == 3
    pruned = _ok(run_module("layer_prune", {"root": root, "volumes": True}))
    assert sorted(pruned["volumes"]) == ["spare1", "spare2"]
    assert [v["Name"] for v in _info(root)["volumes"]] == ["kept"]
    assert _ok(run_module("layer_prune", {"root": root, "volumes": True}))["volumes"] == []


def test_image_volume_is_copied_up_anonymous_goes_with_the_container(registry, container_root, tmp_path):
    root = container_root
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        "ARG BASE\nFROM $BASE\n"
        "RUN mkdir -p /srv/app/sub && echo seed > /srv/app/sub/seed && chown 1234:5678 /srv/app/sub/seed"
        " && ln -s /etc /srv/app/etc-link && ln -s ../../../../../../root /srv/app/up-link\n"
        "VOLUME /srv/app\n")
    _ok(run_module("image", {"name": "withvol:1", "source": "build", "path": str(context), "root": root,
                             "build_args": {"BASE": registry.images["busybox"]}}))
    _container(root, "app", "withvol:1", pull="never")
    assert _sh(root, "app", "cat /srv/app/sub/seed; stat -c %u:%g /srv/app/sub/seed")["stdout"] == "seed\n1234:5678\n"
    anonymous = [v for v in _info(root)["volumes"] if ANONYMOUS in v["Labels"]]
    assert len(anonymous) == 1 and anonymous[0]["UsedBy"] == ["app"]
    data = anonymous[0]["Mountpoint"]
    # the image's symlinks were copied as links, never followed to the host
    assert os.readlink(os.path.join(data, "etc-link")) == "/etc"
    assert os.readlink(os.path.join(data, "up-link")) == "../../../../../../root"
    assert sorted(os.listdir(data)) == ["etc-link", "sub", "up-link"]
    _sh(root, "app", "echo mine > /srv/app/mark")

    # recreated: a fresh anonymous volume (seeded again), the old one removed with the container
    _container(root, "app", "withvol:1", pull="never", env={"V": "2"})
    assert _sh(root, "app", "ls /srv/app")["stdout"].split() == ["etc-link", "sub", "up-link"]
    after = [v for v in _info(root)["volumes"] if ANONYMOUS in v["Labels"]]
    assert len(after) == 1 and after[0]["Name"] != anonymous[0]["Name"]

    # a named volume on that path is copied up when empty, and survives recreation
    _container(root, "named", "withvol:1", pull="never", mounts=[_mount("appdata", "/srv/app")])
    assert _sh(root, "named", "cat /srv/app/sub/seed; echo mine > /srv/app/mark")["stdout"] == "seed\n"
    _container(root, "named", "withvol:1", pull="never", mounts=[_mount("appdata", "/srv/app")], env={"V": "2"})
    assert _sh(root, "named", "cat /srv/app/mark")["stdout"] == "mine\n"
    assert ANONYMOUS not in _info(root, "appdata")["volumes"][0]["Labels"]

    for name in ("app", "named"):
        _ok(run_module("container", {"name": name, "state": "absent", "root": root}))
    assert [v["Name"] for v in _info(root)["volumes"]] == ["appdata"]


def test_bad_volume_input_is_refused_and_creates_nothing(container_root, tmp_path):
    root = container_root
    _ok(_volume(root, "first"))
    before = tree_listing(root)
    cases = [({"name": "bad/name"}, "invalid volume name"),
             ({"name": "x", "driver": "nfs"}, "only 'local'"),
             ({"name": "x", "driver_options": {"type": "btrfs", "device": "/dev/sdz"}}, "not supported"),
             ({"name": "x", "driver_options": {"type": "nfs", "device": ":/srv"}}, "addr="),
             ({"name": "x", "driver_options": {"type": "none", "o": "bind", "device": str(tmp_path / "missing")}},
              "not an existing directory"),
             ({"name": "x", "driver_options": {"type": "tmpfs", "o": "size=8m,evil opt"}}, "bad item"),
             ({"name": "x", "driver_options": {"type": "tmpfs", "size": "8m"}}, "size")]
    for args, expected in cases:
        result = run_module("volume", dict(args, root=root))
        assert result["failed"] and expected in result["msg"], (args, result)
    assert tree_listing(root) == before


def test_strata_volume_commands(container_root):
    root = container_root

    def strata(*args, code=0):
        proc = subprocess.run([sys.executable, STRATA, "--root", root] + list(args), capture_output=True, text=True,
                              timeout=300, check=False)
        assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
        return proc

    assert strata("volume", "create", "-o", "type=tmpfs", "-o", "o=size=1m", "-l", "k=v", "mem").stdout == "mem\n"
    assert strata("volume", "create", "plain").stdout == "plain\n"
    assert "invalid volume driver option 'size'" in strata("volume", "create", "-o", "size=1", "bad", code=1).stderr
    lines = strata("volume", "ls").stdout.splitlines()
    assert lines[0].split() == ["DRIVER", "VOLUME", "NAME"] and [line.split() for line in lines[1:]] == \
        [["local", "mem"], ["local", "plain"]]
    shown = json.loads(strata("volume", "inspect", "mem").stdout)
    assert shown[0]["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"} and shown[0]["Labels"] == {"k": "v"}
    assert "no such volume" in strata("volume", "inspect", "nope", code=1).stderr
    assert strata("volume", "rm", "plain").stdout == "plain\n"
    pruned = strata("volume", "prune", "-f").stdout
    assert pruned.startswith("Deleted Volumes:\nmem\n") and "Total reclaimed space" in pruned
    assert strata("volume", "ls", "-q").stdout == ""
