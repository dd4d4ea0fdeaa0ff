# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading containers (``ps``, ``inspect``, container_info) through reader.py: the status rules,
the same view as through the whole engine, and none of the engine's imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.strata.containers.plugins.module_utils.containers import view
from ansible_collections.strata.containers.plugins.module_utils.containers.lifecycle import Containers
from ansible_collections.strata.containers.plugins.module_utils.containers.reader import ContainerReader
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine

DEAD = 2 ** 22 + 1  # above the kernel's pid_max: never a process
ENGINE = (".containers.lifecycle", ".containers.network_plan", ".containers.run_options", ".runtime.oci",
          ".runtime.cgroups", ".runtime.health", ".runtime.monitor", ".networks.netavark")


class FakeRuntime:
    def __init__(self, status):
        self.status = status

    def state(self, container_id):
        return {"id": container_id, "status": self.status} if self.status else None


def _record(name, **extra):
    return dict({"id": (name * 64)[:64], "name": name, "image": "busybox", "image_id": "sha256:" + "0" * 64,
                 "created": "2026-12-03T16:00:00Z", "options": {"network_mode": "none"},
                 "network": {"mode": "none"}, "labels": {"a": "1"}}, **extra)


def _store(tmp_path, *records_and_states):
    engine = Engine(str(tmp_path / "root"))
    reader = ContainerReader(engine.store)
    for record, state in records_and_states:
        os.makedirs(reader.records.path(record["id"]))
        reader.records.put(record)
        if state is not None:
            with open(reader.records.path(record["id"], "state.json"), "w") as f:
                json.dump(state, f)
    return engine, reader


class AskedRuntime(FakeRuntime):
    """A runtime that counts how often it is asked (one process each, for a real one)."""
    asked = 0

    def state(self, container_id):
        self.asked += 1
        return super().state(container_id)


@pytest.fixture
def stand_in_monitor(tmp_path):
    """A process whose command line names the container's directory, as its monitor's does."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                             str(tmp_path / "root" / "containers" / ("a" * 64))])
    yield proc.pid
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("state, paused_by_us, runtime, status, asks", [
    (None, False, None, "created", False),
    ({"status": "exited", "exit_code": 3}, False, None, "exited", False),
    ({"status": "exited", "monitor_pid": "monitor"}, False, None, "restarting", False),  # its monitor restarts it
    # while its monitor lives, the record says: the monitor records the end of every run
    ({"status": "running", "monitor_pid": "monitor"}, False, "running", "running", False),
    ({"status": "running", "monitor_pid": "monitor"}, True, "paused", "paused", False),
    ({"status": "running", "monitor_pid": "monitor"}, False, None, "running", False),  # between two runs
    ({"status": "running", "monitor_pid": "monitor"}, False, "stopped", "running", False),  # recording the exit now
    # without its monitor, the runtime is asked
    ({"status": "running", "monitor_pid": DEAD}, False, None, "exited", True),  # its monitor died with it
    # killed with its monitor: the runtime still holds it, stopped, until the next start deletes it
    ({"status": "running", "monitor_pid": DEAD}, False, "stopped", "exited", True),
    ({"status": "running", "monitor_pid": DEAD}, False, "paused", "paused", True),
    ({"status": "running", "monitor_pid": DEAD}, False, "running", "running", True),  # its monitor alone was killed
    # after a reboot its recorded PID may be another process's: that is no monitor of it
    ({"status": "running", "monitor_pid": "other"}, False, None, "exited", True),
    ({"status": "exited", "monitor_pid": "other"}, False, None, "exited", False),
])
def test_status_rules(tmp_path, stand_in_monitor, state, paused_by_us, runtime, status, asks):
    if state and state.get("monitor_pid") in ("monitor", "other"):
        state = dict(state, monitor_pid=stand_in_monitor if state["monitor_pid"] == "monitor" else os.getpid())
    record = _record("a")
    dummy, reader = _store(tmp_path, (record, state))
    if paused_by_us:
        open(reader.records.path(record["id"], "paused"), "w").close()
    reader._runtime = AskedRuntime(runtime)  # pylint: disable=protected-access
    assert reader.status(record) == status
    assert reader._runtime.asked == (1 if asks else 0)  # pylint: disable=protected-access


def test_the_reader_shows_what_the_engine_shows(tmp_path):
    records = [_record("a"), _record("b", network={"mode": "bridge"}, healthcheck={
        "test": ["CMD", "true"], "interval": 1, "timeout": 1, "start_period": 0, "start_interval": 0, "retries": 3})]
    engine, reader = _store(tmp_path, (records[0], {"status": "exited", "exit_code": 3}), (records[1], None))
    for record in records:
        assert view.view(reader, record) == view.view(Containers(engine.store), record)
    shown = engine.containers.info()
    assert [(v["name"], v["state"]["status"]) for v in shown] == [("a", "exited"), ("b", "created")]
    assert list(shown[1]["network"]["networks"]) == ["default"]  # a bridge record without its networks


def test_listing_imports_none_of_the_engine(tmp_path):
    """``strata ps -a`` and ``inspect`` of containers that do not run import neither the
    container engine nor the runtime's code (docs/performance.md, "Command line")."""
    _store(tmp_path, (_record("a"), {"status": "exited", "exit_code": 0}), (_record("b"), None))
    code = ("import sys; from ansible_collections.strata.containers.plugins.module_utils.engine import Engine; "
            "service = Engine(sys.argv[1], read_only=True).containers; "
            "shown = service.info() + service.info('a', resources=False); "
            "print(sorted(v['state']['status'] for v in shown), sorted(m.rsplit('.', 1)[-1] for m in sys.modules "
            "if m.endswith(ENGINE)))".replace("ENGINE", repr(ENGINE)))
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "root")], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['created', 'exited', 'exited'] []"


def test_resources_are_read_only_when_asked(tmp_path):
    """``ps`` and ``inspect`` show no cgroup figures, so they read none (view's resources=False)."""
    record = _record("a")
    dummy, reader = _store(tmp_path, (record, {"status": "running", "monitor_pid": os.getpid(), "pid": os.getpid()}))
    reader._runtime = FakeRuntime("running")  # pylint: disable=protected-access
    asked = []

    def cgroup(record):
        asked.append(record["name"])
        raise OSError("no cgroup here")
    reader.cgroup = cgroup
    assert view.view(reader, record, resources=False)["resources"] == {} and asked == []
    assert view.view(reader, record)["resources"] == {} and asked == ["a"]  # the failure is a fact not shown
