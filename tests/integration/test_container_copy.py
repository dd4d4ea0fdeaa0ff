# -*- coding: utf-8 -*-
"""container_copy as a playbook uses it, seen from inside the container: content and a host
file land with their owner (a name from the container's /etc/passwd) and mode, a second run
changes nothing, check mode writes nothing, a stopped container takes a file too. Hostile: a
relative or climbing container_path, and a symlink in the container that names a host
directory: a clear error, or the file inside the container; the host's canary stays untouched."""

from __future__ import annotations

import os

from ansible_runner import run_module
from test_cli import strata


def _ok(result):
    assert not result["failed"], result
    return result


def _exec(root, *argv):
    return _ok(run_module("container_exec", {"container": "cp", "argv": list(argv), "root": root}))["stdout"]


def _copy(root, check=False, **args):
    return run_module("container_copy", dict({"container": "cp", "root": root}, **args), check=check, diff=True)


def test_copy_into_a_running_then_a_stopped_container(registry, container_root, tmp_path):
    keep = {"name": "cp", "image": registry.images["busybox"], "command": ["sleep", "1000"], "network_mode": "none",
            "stop_timeout": 1, "root": container_root}
    _ok(run_module("container", keep))
    motd = {"content": "hello from the controller\n", "container_path": "/etc/motd", "owner": "nobody",
            "mode": "0640"}
    checked = _ok(_copy(container_root, check=True, **motd))
    assert checked["changed"] is True and checked["diff"]["before"] is None
    assert _exec(container_root, "sh", "-c", "ls /etc/motd 2>&1 || true").endswith("No such file or directory\n")

    written = _ok(_copy(container_root, **motd))
    assert written["changed"] is True
    assert _exec(container_root, "stat", "-c", "%U %u:%g %a", "/etc/motd") == "nobody 65534:65534 640\n"
    assert _exec(container_root, "cat", "/etc/motd") == "hello from the controller\n"
    assert _ok(_copy(container_root, **motd))["changed"] is False
    assert _ok(_copy(container_root, check=True, **motd))["changed"] is False
    recolored = dict(motd)
    recolored["mode"] = "0644"
    assert _ok(_copy(container_root, **recolored))["changed"] is True  # metadata counts too

    source = tmp_path / "app.bin"
    source.write_bytes(bytes(range(256)) * 64)
    source.chmod(0o750)
    _ok(run_module("container", dict(keep, state="stopped")))
    from_file = {"path": str(source), "container_path": "/usr/bin/app", "owner_id": 1000, "group_id": 100}
    assert _ok(_copy(container_root, **from_file))["changed"] is True
    assert _ok(_copy(container_root, **from_file))["changed"] is False
    _ok(run_module("container", keep))
    assert _exec(container_root, "stat", "-c", "%u:%g %a %s", "/usr/bin/app") == "1000:100 750 16384\n"
    assert _exec(container_root, "sha256sum", "/usr/bin/app").split()[0] == \
        __import__("hashlib").sha256(source.read_bytes()).hexdigest()

    # strata cp, into a directory of the container and out of it
    strata(container_root, "cp", str(source), "cp:/tmp")
    assert _exec(container_root, "cmp", "/tmp/app.bin", "/usr/bin/app") == ""
    strata(container_root, "cp", "cp:/etc/motd", str(tmp_path))
    assert (tmp_path / "motd").read_text() == "hello from the controller\n"
    refused = strata(container_root, "cp", str(source), "cp:/../../x", code=1)
    assert "outside the container's root" in refused.stderr


def test_hostile_paths_and_symlinks_stay_inside_the_container(registry, container_root, tmp_path):
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "keep").write_text("host file\n")
    _ok(run_module("container", {"name": "cp", "image": registry.images["busybox"], "command": ["sleep", "1000"],
                                 "network_mode": "none", "stop_timeout": 1, "root": container_root}))
    # the container links /etc2 to the host canary's path, and /up climbs above its root
    _exec(container_root, "sh", "-c", "ln -s %s /etc2 && ln -s ../../../../.. /up && ln -s %s/keep /keeplink"
          % (canary, canary))
    content = {"content": "pwned\n"}

    for bad, says in (("../../etc/x", "absolute path"), ("/../../etc/x", "outside the container's root"),
                      ("/up/etc/x", "outside the container's root"), ("/etc2/x", "does not exist in the container"),
                      ("/proc/self/root/x", "under /proc"), ("/etc/hosts", "mount")):
        refused = _copy(container_root, container_path=bad, **content)
        assert refused["failed"] and says in refused["msg"], (bad, refused)

    _exec(container_root, "mkdir", "-p", str(canary))  # now the link's target exists inside the container
    landed = _ok(_copy(container_root, container_path="/etc2/x", **content))
    assert landed["path_in_container"] == "%s/x" % canary
    assert _exec(container_root, "cat", "%s/x" % canary) == "pwned\n"
    followed = _ok(_copy(container_root, container_path="/keeplink", follow=True, **content))
    assert followed["path_in_container"] == "%s/keep" % canary
    replaced = _ok(_copy(container_root, container_path="/keeplink", **content))  # follow: false replaces the link
    assert replaced["path_in_container"] == "/keeplink"
    assert _exec(container_root, "sh", "-c", "test -L /keeplink || cat /keeplink") == "pwned\n"
    assert sorted(os.listdir(canary)) == ["keep"] and (canary / "keep").read_text() == "host file\n"
