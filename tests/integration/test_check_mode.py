# -*- coding: utf-8 -*-
"""Check mode is truthful: every module's main cases, run with --check --diff against a fresh
store root and a populated one, change nothing on the host (no file under the root, no mount,
no process, no network namespace or link), and the ``changed`` they predict is what the real
run that follows reports. The same runs show that each module's RETURN documents the keys it
returns, in both modes (``returns_doc``)."""

from __future__ import annotations

import os
import tarfile

import returns_doc
from ansible_runner import run_module, tree_listing

from ansible_collections.strata.containers.plugins.module_utils.containers import network_plan
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.networks import netavark
from ansible_collections.strata.containers.plugins.module_utils.runtime import overlay


def _mounts(root):
    with open("/proc/self/mountinfo") as f:
        return sorted(line.split(" - ")[0].split(" ", 4)[4] for line in f if root in line)


def _processes(root):
    """PIDs whose command line names the root, or whose filesystem root is under it (containers)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().decode(errors="replace")
            fs_root = os.readlink("/proc/%s/root" % pid)
        except OSError:
            continue  # gone, or not ours to read
        if root in cmdline or fs_root.startswith(root):
            found.add(int(pid))
    return found


def _netns_and_links(root):
    """The network namespaces of the root's containers (strata-<id12>; their veths are
    netavark's, named by it, and live and die with them). Other sessions on this host make and
    remove their own all the time, so only ours count; a container that check mode would
    wrongly create has a record under the root, which the file listing catches."""
    directory = os.path.join(root, "containers")
    ids = [n for n in os.listdir(directory) if len(n) == 64] if os.path.isdir(directory) else []
    ours = {network_plan.netns_name(i) for i in ids}
    netns = set(os.listdir(netavark.NETNS_DIR)) if os.path.isdir(netavark.NETNS_DIR) else set()
    return netns & ours


def _host_state(root):
    return {"exists": os.path.exists(root), "files": tree_listing(root), "mounts": _mounts(root), "processes": _processes(root),
            "network": _netns_and_links(root)}


def _cases(work, image):
    """(module, args) in an order where each real run sets up the next case."""
    c1 = {"name": "c1", "image": image, "command": ["sleep", "1000"], "network_mode": "none", "stop_timeout": 1}
    return [
        ("image_archive", {"action": "import", "path": os.path.join(work, "files.tar"), "name": "local/flat:1"}),
        ("image_archive", {"action": "import", "path": os.path.join(work, "files.tar"), "name": "local/flat:1",
                           "changes": ["CMD [\"/bin/sh\"]"]}),
        ("image", {"name": image}),
        ("image", {"name": image, "pull": "always"}),
        ("image", {"name": image, "repository": "local/bb:copy"}),
        ("image_info", {"name": "local/bb:copy"}),
        ("image_info", {"disk_usage": True, "verify": True}),
        ("container", dict(c1, state="created")),
        ("container", dict(c1, state="started")),
        ("container", dict(c1, state="started", pull="always")),
        ("container", {"name": "c2", "image": image, "command": ["sleep", "1000"], "stop_timeout": 1,
                       "pull": "always", "state": "started"}),  # bridge network: a netns and a veth
        ("container_exec", {"container": "c1", "argv": ["touch", "/made-by-exec"]}),
        ("container_exec", {"container": "c1", "argv": ["touch", "/made-by-exec"], "detach": True}),
        ("container_info", {}),
        ("container_info", {"name": "no-such"}),
        ("container_info", {"name": "c1", "logs": True}),
        ("container", dict(c1, state="stopped")),
        ("container", {"name": "c3", "image": image, "network_mode": "none", "state": "created"}),
        ("unmount", {"name": "c3"}),  # as after a reboot: export must look without mounting
        ("image_archive", {"action": "export", "container": "c3", "path": os.path.join(work, "c3.tar")}),
        ("image_archive", {"action": "export", "container": "c1", "path": os.path.join(work, "c1.tar")}),
        ("image_archive", {"action": "export", "container": "c1", "path": os.path.join(work, "c1.tar")}),
        ("image_archive", {"action": "save", "names": ["local/bb:copy"], "path": os.path.join(work, "bb.tar")}),
        ("image", {"name": "local/bb:copy", "state": "absent"}),
        ("image_archive", {"action": "load", "path": os.path.join(work, "bb.tar")}),
        ("container", {"name": "c2", "state": "absent", "force_kill": True}),
        ("layer_prune", {"all": True}),
        ("layer_prune", {"repair": True}),
    ]


def _files_tar(work):
    src = os.path.join(work, "files")
    os.makedirs(os.path.join(src, "etc"), exist_ok=True)
    with open(os.path.join(src, "etc", "motd"), "w") as f:
        f.write("imported\n")
    path = os.path.join(work, "files.tar")
    with tarfile.open(path, "w") as tar:
        tar.add(src, arcname=".")
    return path


def _with_root(args, root):
    return dict(args, root=root)


def _unmount(root, name):
    records = Engine(root).containers.containers.records
    overlay.unmount(records.path(records.find(name)["id"], "rootfs"))


def _check_then_run(cases, root, problems):
    for module, args in cases:
        if module == "unmount":
            _unmount(root, args["name"])
            continue
        args = _with_root(args, root)
        before = _host_state(root)
        checked = run_module(module, args, check=True, diff=True)
        assert _host_state(root) == before, (module, args, checked)
        assert not checked["failed"], (module, args, checked)
        real = run_module(module, args, diff=True)
        assert not real["failed"], (module, args, real)
        assert checked["changed"] == real["changed"], (module, args, checked, real)
        returns_doc.check(module, "check", checked, problems)
        returns_doc.check(module, "real", real, problems)


def test_check_mode_changes_nothing_and_predicts_changed(registry, container_root, tmp_path):
    """First on a root that does not exist yet (a new host), then again, with fewer cases (each
    playbook run takes seconds), on the root the first pass populated."""
    work = str(tmp_path)
    _files_tar(work)
    cases = _cases(work, registry.images["busybox"])
    os.rmdir(container_root)
    problems = []
    _check_then_run(cases, container_root, problems)
    again = [case for case in cases if case[0] in ("image_archive", "container", "unmount")
             and case[1].get("action") in (None, "import", "export", "load")]
    _check_then_run(again, container_root, problems)
    assert not problems, "RETURN differs from what the modules return:\n" + "\n".join(sorted(set(problems)))
