# -*- coding: utf-8 -*-
"""host_info as a playbook uses it: on an empty store it counts nothing; after an image, a
running container with a named volume, a stopped one and a network, the counts, lists and
disk usage say so; versions are those of this host (runc --version, uname); a check-mode run
and a second run report the same, unchanged."""

from __future__ import annotations

import os
import secrets
import subprocess

from ansible_runner import run_module

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine


def _ok(result):
    assert not result["failed"], result
    return result


def test_counts_lists_versions_and_usage(registry, container_root):
    empty = _ok(run_module("host_info", {"root": container_root}))
    assert empty["changed"] is False
    assert (empty["host_info"]["images"], empty["host_info"]["containers"], empty["host_info"]["volumes"]) == (0, 0, 0)

    network = "stt-hi-" + secrets.token_hex(3)
    _ok(run_module("network", {"name": network}))
    try:
        image = registry.images["busybox"]
        running = {"name": "hi-run", "image": image, "command": ["sleep", "1000"], "network_mode": "none",
                   "stop_timeout": 1, "root": container_root,
                   "mounts": [{"type": "volume", "source": "hidata", "target": "/data"}]}
        _ok(run_module("container", running))
        _ok(run_module("container", {"name": "hi-stopped", "image": image, "command": ["true"],
                                     "network_mode": "none", "state": "stopped", "root": container_root}))
        fill = ["dd", "if=/dev/zero", "of=/data/blob", "bs=1k", "count=256"]
        _ok(run_module("container_exec", {"container": "hi-run", "argv": fill, "root": container_root}))
        args = {"root": container_root, "containers": True, "images": True, "networks": True, "volumes": True,
                "disk_usage": True}
        seen = _ok(run_module("host_info", args))
        info = seen["host_info"]
        assert seen["changed"] is False
        assert (info["images"], info["containers"], info["containers_running"], info["containers_stopped"],
                info["volumes"]) == (1, 2, 1, 1, 1)
        assert sorted(c["name"] for c in seen["containers"]) == ["hi-run", "hi-stopped"]
        assert {c["name"]: c["status"] for c in seen["containers"]}["hi-run"] == "running"
        assert [i["repo_tags"] for i in seen["images"]] == [[image]]
        assert seen["volumes"] == [{"name": "hidata",
                                    "mountpoint": os.path.join(container_root, "volumes", "hidata", "_data")}]
        assert network in [n["name"] for n in seen["networks"]] and info["networks"] == len(seen["networks"])
        usage = seen["disk_usage"]
        assert usage["images"]["count"] == 1 and usage["images"]["size"] > 0
        assert usage["volumes"] == {"count": 1, "size": usage["volumes"]["size"]} and usage["volumes"]["size"] >= 256 * 1024
        assert usage["containers"]["count"] == 2

        runtime = subprocess.run([info["runtime"]["path"], "--version"], capture_output=True, text=True,
                                 check=True).stdout
        assert info["runtime"]["version"] in runtime.splitlines()[0]
        assert info["kernel"]["release"] == os.uname().release
        assert info["cgroup"]["version"] in ("v1", "v2") and "memory" in info["cgroup"]["controllers"]
        assert info["storage"]["overlay_supported"] is True
        assert info["engine"]["name"] == "strata.containers" and info["engine"]["version"]

        checked = _ok(run_module("host_info", args, check=True))
        assert checked["changed"] is False and checked["host_info"]["containers"] == 2
        assert _ok(run_module("host_info", {"root": container_root}))["host_info"]["images"] == 1
    finally:
        Engine(container_root, read_only=True).networks.ensure(network, state="absent", force=True)
