# -*- coding: utf-8 -*-
"""The strata.containers.strata connection plugin and the molecule scenarios whose instances are
our containers: ad hoc modules (setup, command, copy, fetch, with and without pipelining) run
inside a running container of the rig's python image, files go through the container's mounts
and respect its read-only root and its user, a missing or stopped container is unreachable;
then ``molecule test`` of each scenario in extensions/molecule (default, host, app: create,
converge, idempotence, verify, destroy) passes and leaves no container behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid

import pytest
from ansible_runner import run_module

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine


# the collection's root (tests/run.sh's copy): molecule finds extensions/molecule from there
COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONNECTION = "strata.containers.strata"
PAYLOAD = bytes(range(256)) * 1024 + b"\n\x00end"  # binary, 256 KiB: more than one pipe buffer


def _env(**extra):
    env = dict(os.environ)
    env.update({"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1", "ANSIBLE_DEPRECATION_WARNINGS": "False",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False"})
    env.update(extra)
    return env


def adhoc(root, container, module, args=None, pipelining=False, extra_vars=None, timeout=300):
    """``ansible -i <container>, -c strata.containers.strata -m <module> -a <args>`` -> the
    host's result, with ``failed`` or ``unreachable`` set as the run reported it."""
    variables = {"ansible_strata_root": root, "ansible_python_interpreter": "/usr/bin/python3"}
    variables.update(extra_vars or {})
    cmd = ["ansible", "all", "-v", "-i", container + ",", "-c", CONNECTION, "-e", json.dumps(variables), "-m", module]
    if args is not None:
        cmd += ["-a", json.dumps(args) if isinstance(args, dict) else args]
    # The minimal callback prints "host | STATUS => {json}", except for command, shell and raw,
    # whose output it prints as text; the default one prints those as "changed: [host] => {json}"
    # (but never the facts of setup).
    text_output = module.rsplit(".", 1)[-1] in ("command", "shell", "raw")
    env = _env(ANSIBLE_PIPELINING=str(pipelining), ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default" if text_output else "ansible.builtin.minimal")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    name = re.escape(container)
    if text_output:
        match = re.search(r"^(?:ok|changed|fatal): \[%s\](?:: ([A-Z]+)!)? => " % name, proc.stdout, re.M)
    else:
        match = re.search(r"^%s \| (?:SUCCESS|CHANGED|([A-Z]+)!) => " % name, proc.stdout, re.M)
    if not match:
        raise AssertionError("no result from ansible (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    result = json.JSONDecoder().raw_decode(proc.stdout, match.end())[0]
    if match.group(1) == "FAILED":
        result["failed"] = True
    elif match.group(1) == "UNREACHABLE":
        result["unreachable"] = True
    return result


def _ok(result):
    assert not result.get("failed") and not result.get("unreachable"), result
    return result


def _service(root):
    return Engine(root, read_only=True).containers


def start_container(registry, root, name, **options):
    # sleep as PID 1 ignores SIGTERM: stop_timeout 0 goes straight to SIGKILL
    args = {"root": root, "name": name, "image": registry.images["python"], "command": ["sleep", "infinity"],
            "stop_timeout": 0, "network_mode": "none", "hostname": name}
    args.update(options)
    result = _ok(run_module("container", args))
    assert result["container"]["state"]["status"] == "running", result
    return _service(root).find(name)


def rootfs(root, record):
    return _service(root).containers.records.path(record["id"], "rootfs")


@pytest.fixture
def target(registry, container_root):
    """A running container of the python image: (store root, name, record)."""
    name = "conn-" + uuid.uuid4().hex[:8]
    return container_root, name, start_container(registry, container_root, name)


# ------------------------------------------------------------------ the connection plugin
@pytest.mark.parametrize("pipelining", [False, True], ids=["files", "pipelining"])
def test_connection_runs_modules_in_the_container(target, tmp_path, pipelining):
    root, name, record = target
    facts = _ok(adhoc(root, name, "ansible.builtin.setup", {"gather_subset": ["min"]}, pipelining))["ansible_facts"]
    assert facts["ansible_hostname"] == name  # the container's UTS namespace, not the host's
    assert facts["ansible_distribution"] == "Debian" and facts["ansible_distribution_major_version"] == "12"

    command = _ok(adhoc(root, name, "ansible.builtin.command", "cat /proc/1/cmdline", pipelining))
    assert command["stdout"].split("\x00")[:2] == ["sleep", "infinity"]  # its PID namespace

    source = tmp_path / "payload.bin"
    source.write_bytes(PAYLOAD)
    dest = "/root/a dir/the payload.bin"  # spaces: the paths are quoted, not split
    copy = {"src": str(source), "dest": dest, "mode": "0640"}
    _ok(adhoc(root, name, "ansible.builtin.file", {"path": "/root/a dir", "state": "directory"}, pipelining))
    assert _ok(adhoc(root, name, "ansible.builtin.copy", copy, pipelining))["changed"] is True
    on_host = os.path.join(rootfs(root, record), dest.lstrip("/"))
    with open(on_host, "rb") as f:
        assert f.read() == PAYLOAD
    assert os.stat(on_host).st_mode & 0o777 == 0o640
    assert _ok(adhoc(root, name, "ansible.builtin.copy", copy, pipelining))["changed"] is False

    fetched = tmp_path / "fetched" / "copy.bin"
    result = _ok(adhoc(root, name, "ansible.builtin.fetch", {"src": dest, "dest": str(fetched), "flat": True},
                       pipelining))
    assert result["changed"] is True and fetched.read_bytes() == PAYLOAD
    assert not [p for p in os.listdir(str(fetched.parent)) if p.startswith(".strata-fetch-")]
    missing = adhoc(root, name, "ansible.builtin.fetch", {"src": "/nonexistent", "dest": str(tmp_path / "x"),
                                                          "flat": True, "fail_on_missing": True}, pipelining)
    assert missing.get("failed") and not (tmp_path / "x").exists()

    raw = _ok(adhoc(root, name, "ansible.builtin.raw", "echo out; echo err >&2; exit 0", pipelining))
    assert raw["stdout"].strip() == "out" and raw["stderr"].strip() == "err"
    # the command's own failure (whatever it prints) is a failed task, not an unreachable host
    failing = adhoc(root, name, "ansible.builtin.shell", "echo no; echo 'exec failed' >&2; exit 7", pipelining)
    assert failing["failed"] and failing["rc"] == 7 and not failing.get("unreachable"), failing


def test_connection_runs_as_the_remote_user(target):
    root, name, record = target
    as_nobody = {"ansible_user": "nobody", "ansible_remote_tmp": "/tmp/.ansible-nobody"}
    result = _ok(adhoc(root, name, "ansible.builtin.command", "id -u", extra_vars=as_nobody))
    assert result["stdout"] == "65534"
    _ok(adhoc(root, name, "ansible.builtin.copy", {"content": "mine\n", "dest": "/tmp/owned"}, extra_vars=as_nobody))
    assert os.stat(os.path.join(rootfs(root, record), "tmp/owned")).st_uid == 65534
    denied = adhoc(root, name, "ansible.builtin.copy", {"content": "x", "dest": "/etc/not-mine"}, extra_vars=as_nobody)
    assert denied.get("failed") and not os.path.exists(os.path.join(rootfs(root, record), "etc/not-mine"))
    assert _ok(adhoc(root, name, "ansible.builtin.command", "id -u"))["stdout"] == "0"  # the image's user
    unknown = adhoc(root, name, "ansible.builtin.ping", extra_vars={"ansible_user": "no-such-user"})
    assert unknown.get("unreachable") and "no-such-user" in unknown["msg"], unknown


def test_files_go_through_the_containers_mounts(registry, container_root, tmp_path):
    """Files are written by a process in the container: a bind mount receives them and the
    read-only root filesystem refuses them, as it would refuse the container's own processes."""
    data = tmp_path / "data"
    data.mkdir()
    name = "conn-ro-" + uuid.uuid4().hex[:6]
    record = start_container(registry, container_root, name, read_only=True,
                             mounts=[{"type": "bind", "source": str(data), "target": "/data"},
                                     {"type": "tmpfs", "target": "/tmp"}])
    writable_tmp = {"ansible_remote_tmp": "/tmp/.ansible"}
    _ok(adhoc(container_root, name, "ansible.builtin.copy", {"content": "through the mount\n", "dest": "/data/hello"},
              extra_vars=writable_tmp))
    assert (data / "hello").read_text() == "through the mount\n"
    refused = adhoc(container_root, name, "ansible.builtin.copy", {"content": "x", "dest": "/etc/hello"},
                    extra_vars=writable_tmp)
    assert refused.get("failed") and "/etc not writable" in refused["msg"], refused
    assert not os.path.exists(os.path.join(rootfs(container_root, record), "etc/hello"))


def test_missing_or_stopped_container_is_unreachable(target):
    root, name, record = target
    missing = adhoc(root, "no-such-container", "ansible.builtin.ping")
    assert missing.get("unreachable") and "no container no-such-container" in missing["msg"]
    _ok(run_module("container", {"root": root, "name": name, "state": "stopped"}))
    stopped = adhoc(root, name, "ansible.builtin.ping")
    assert stopped.get("unreachable") and "not running" in stopped["msg"], stopped
    assert _service(root).find(name)["id"] == record["id"]  # the connection changed nothing


# ------------------------------------------------------------------ molecule
# scenario -> (an instance, the rig's image it runs); the scenario's own checks are its verify.yml
SCENARIOS = {"default": ("strata-molecule-1", "python"), "host": ("strata-host-1", "strata_host"),
             "app": ("strata-app-1", "strata_host")}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_molecule_scenario(registry, container_root, tmp_path, scenario):
    """``molecule test -s <scenario>``: default applies a test role to two instances of the
    python image; host applies roles/host to a privileged instance of strata-host; app applies
    roles/host and roles/app there, whose web server runs in a container in the instance."""
    env = _env(STRATA_REGISTRY=registry.addr, STRATA_ROOT=container_root,
               MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / "molecule"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert env.get("ANSIBLE_COLLECTIONS_PATH"), "tests/run.sh puts the collection on ANSIBLE_COLLECTIONS_PATH"
    proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=COLLECTION, env=env, capture_output=True,
                          text=True, timeout=1200, check=False)
    output = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, output[-6000:]
    for step in ("create", "converge", "idempotence", "verify", "destroy"):
        assert re.search(r"%s \S+ %s: Executed: Successful" % (scenario, step), output), step
    instance, image = SCENARIOS[scenario]
    recaps = [int(c) for c in re.findall(r"%s\s+: ok=\d+\s+changed=(\d+)" % re.escape(instance), output)]
    # converge, idempotence, verify: the first changes the instance, the second nothing
    assert len(recaps) == 3 and recaps[0] > 0 and recaps[1] == 0, recaps
    if scenario == "default":
        assert recaps[2] == 1  # the fetch
    if scenario == "app":
        assert recaps[2] == 2  # the new config file and the handler's restart

    service = _service(container_root)
    assert service.containers.records.all() == []  # destroy left no container
    assert service.images.find_image(registry.images[image])  # the image stays, as docker rmi is not destroy
    assert not (tmp_path / "molecule" / "stores").exists()  # nor the app instance's own store
    with open("/proc/self/mountinfo") as f:
        assert not [line for line in f if " %s/" % container_root in line or str(tmp_path) in line]
