# -*- coding: utf-8 -*-
"""journald in a real systemd host (the test VM, rig/vm): a container with log_driver journald,
deployed by ansible-playbook over SSH, has each line in the journal with Docker's fields
(``journalctl CONTAINER_NAME=...``), and container_info reads them back with tail and since.
(The sending side is also tested on this machine, against a socket: test_logs.py.)

Needs the ``vm`` fixture (tests/conftest.py: a booted rig.vm.VM with ssh() and inventory()) and
the session's registry, which the guest reaches as 10.0.2.2."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

from ansible_runner import _env  # pylint: disable=protected-access

GUEST_HOST = "10.0.2.2"  # the host's loopback, seen from the guest (QEMU user-mode network)
TALKER = "echo first; echo second >&2; echo third"


def _play_in_vm(vm, registry, *tasks):
    """``tasks`` on the VM in one ansible-playbook run (each registered r0, r1...; failures
    kept) -> their results, copied back to the controller."""
    image = registry.images["busybox"].replace("127.0.0.1:", GUEST_HOST + ":", 1)
    with tempfile.TemporaryDirectory(prefix="strata-vm-play-") as work:
        out = os.path.join(work, "results.json")
        steps = [dict(t, register="r%d" % i, ignore_errors=True) for i, t in enumerate(tasks)]
        names = ", ".join("'r%d': r%d" % (i, i) for i in range(len(tasks)))
        steps.append({"ansible.builtin.copy": {"content": "{{ {%s} | to_json }}" % names, "dest": out},
                      "delegate_to": "localhost"})
        play = [{"hosts": "vm", "gather_facts": False, "tasks": steps,
                 "vars": {"image": image, "registry_host": image.split("/", 1)[0]}}]
        path = os.path.join(work, "play.yml")
        with open(path, "w") as handle:
            json.dump(play, handle)
        proc = subprocess.run(["ansible-playbook", "-i", vm.inventory(os.path.join(work, "inventory.json")), path],
                              env=_env(), capture_output=True, text=True, timeout=1800, check=False)
        assert os.path.exists(out), proc.stdout + proc.stderr
        with open(out) as handle:
            results = json.load(handle)
    return [results["r%d" % i] for i in range(len(tasks))]


def _ok(result):
    assert not result.get("failed"), result
    return result


def _journal(vm, match, count=None, timeout=300):
    """The journal's entries that ``match``; with ``count``, once that many are there (the
    container may still be printing when the play ends: polled, the time is no assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        vm.ssh("journalctl --sync")  # what journald received is written before it is read
        proc = vm.ssh("journalctl --no-pager -o json %s" % match)
        entries = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        if count is None or len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(1)


def test_journald_lines_are_in_the_vms_journal_and_read_back(vm, registry):
    started, = _play_in_vm(vm, registry, {"strata.containers.container": {
        "name": "journaled", "image": "{{ image }}", "insecure_registries": ["{{ registry_host }}"],
        "command": ["sh", "-c", TALKER],
        "log_driver": "journald", "log_options": {"tag": "{{ '{{.Name}}' }}"}}})
    full_id = _ok(started)["container"]["id"]
    try:
        entries = _journal(vm, "CONTAINER_NAME=journaled", count=3)
        assert [(e["MESSAGE"], e["PRIORITY"]) for e in entries] in (
            [("first", "6"), ("second", "3"), ("third", "6")],  # stdout and stderr are two pipes:
            [("first", "6"), ("third", "6"), ("second", "3")],  # they may interleave either way
            [("second", "3"), ("first", "6"), ("third", "6")])
        for entry in entries:
            assert (entry["CONTAINER_ID"], entry["CONTAINER_ID_FULL"]) == (full_id[:12], full_id)
            assert (entry["CONTAINER_TAG"], entry["SYSLOG_IDENTIFIER"]) == ("journaled", "journaled")
        assert [e["MESSAGE"] for e in _journal(vm, "CONTAINER_ID_FULL=%s PRIORITY=3" % full_id)] == ["second"]

        info, tail, since = _play_in_vm(
            vm, registry,
            {"strata.containers.container_info": {"name": "journaled", "logs": True}},
            {"strata.containers.container_info": {"name": "journaled", "logs": True, "logs_tail": 1}},
            {"strata.containers.container_info": {"name": "journaled", "logs": True,
                                                  "logs_since": "{{ r0.logs[1].time }}"}})
        logs = _ok(info)["logs"]
        expected = [("stderr", "second\n"), ("stdout", "first\n"), ("stdout", "third\n")]
        assert sorted((e["stream"], e["log"]) for e in logs) == expected
        assert _ok(info)["container"]["log_path"] == ""
        assert _ok(tail)["logs"] == logs[-1:]
        assert _ok(since)["logs"] == logs[1:]
    finally:
        _play_in_vm(vm, registry, {"strata.containers.container": {"name": "journaled", "state": "absent"}})
