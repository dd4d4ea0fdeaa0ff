# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cgroup_manager: systemd scopes where systemd is the init system, the runtime's own
cgroupfs paths elsewhere; a container keeps the manager it was created with."""

from __future__ import annotations

import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.runtime import cgroup_manager, cgroups, monitor, oci

ID = "ab" * 32


def test_systemd_names_a_scope_in_a_slice():
    assert cgroup_manager.cgroups_path("systemd", "/strata", ID) == "strata.slice:strata:" + ID
    assert cgroup_manager.cgroup_dir("systemd", "/strata", ID) == "/strata.slice/strata-%s.scope" % ID
    assert cgroup_manager.runtime_flags("systemd") == ["--systemd-cgroup"]


def test_cgroupfs_keeps_the_plain_path():
    assert cgroup_manager.cgroups_path("cgroupfs", "/strata", ID) == "/strata/" + ID
    assert cgroup_manager.cgroup_dir("cgroupfs", "/strata/", ID) == "/strata/" + ID
    assert cgroup_manager.runtime_flags("cgroupfs") == []


def test_under_systemd_the_monitor_runs_in_a_scope_of_its_own():
    argv = ["/usr/bin/python3", "-S", "-I", "monitor.py"]
    wrapped = cgroup_manager.monitor_argv("systemd", "/strata", ID, argv)
    assert wrapped[:2] == ["systemd-run", "--scope"] and wrapped[-4:] == argv
    assert wrapped[wrapped.index("--slice") + 1] == "strata.slice"
    unit = wrapped[wrapped.index("--unit") + 1]
    assert unit.startswith("strata-monitor-%s-" % ID)
    assert unit != cgroup_manager.monitor_argv("systemd", "/strata", ID, argv)[wrapped.index("--unit") + 1]
    assert cgroup_manager.monitor_argv("cgroupfs", "/strata", ID, argv) == argv


def test_a_systemd_scope_waits_the_stop_timeout_at_shutdown():
    assert cgroup_manager.scope_properties("systemd", 10) == {"org.systemd.property.TimeoutStopUSec": "uint64 10000000"}
    assert cgroup_manager.scope_properties("systemd", 0.5) == {"org.systemd.property.TimeoutStopUSec": "uint64 500000"}
    assert cgroup_manager.scope_properties("cgroupfs", 10) == {}


def test_the_default_follows_the_init_system(monkeypatch, tmp_path):
    assert cgroup_manager.systemd_running(str(tmp_path)) is True
    assert cgroup_manager.systemd_running(str(tmp_path / "none")) is False
    monkeypatch.setattr(cgroup_manager, "systemd_running", lambda: False)
    assert cgroup_manager.choose(None) == "cgroupfs"
    monkeypatch.setattr(cgroup_manager, "systemd_running", lambda: True)
    assert cgroup_manager.choose(None) == "systemd"
    assert cgroup_manager.choose("cgroupfs") == "cgroupfs"


def test_systemd_without_systemd_is_refused(monkeypatch):
    monkeypatch.setattr(cgroup_manager, "systemd_running", lambda: False)
    with pytest.raises(InvalidSpec, match="needs systemd"):
        cgroup_manager.choose("systemd")
    with pytest.raises(InvalidSpec, match="one of systemd, cgroupfs"):
        cgroup_manager.choose("lxcfs")


@pytest.mark.parametrize("parent", ["/a/b", "/../x", "/", "/.hidden", "/a b"])
def test_a_parent_that_cannot_be_a_slice_is_refused(parent):
    with pytest.raises(InvalidSpec, match="slice"):
        cgroup_manager.cgroups_path("systemd", parent, ID)


def test_old_records_are_cgroupfs():
    assert cgroup_manager.of_record({"id": ID}) == "cgroupfs"
    assert cgroup_manager.of_record({"id": ID, "cgroup_manager": "systemd"}) == "systemd"


def test_the_flag_goes_before_root_which_stays_last(tmp_path):
    binary = tmp_path / "runc"
    binary.write_text("#!/bin/sh\necho 'runc version 1.1.12'\n")
    binary.chmod(0o755)
    runtime = oci.Runtime(str(tmp_path / "store"), str(binary), ["--systemd-cgroup"])
    argv = runtime.command()
    assert argv[:2] == [str(binary), "--systemd-cgroup"]
    assert argv[-2:] == ["--root", runtime.root]  # the monitor reads the state dir from the end


def test_a_process_cgroup_is_found_only_under_the_container(tmp_path):
    with open("/proc/self/cgroup") as handle:
        mine = [line[3:].strip() for line in handle if line.startswith("0::")][0]
    assert cgroups.path_of(os.getpid(), under=mine) == mine
    assert cgroups.path_of(os.getpid(), under=mine.rstrip("/") + "/elsewhere") is None


def test_oom_kills_are_read_from_memory_events(tmp_path):
    with open("/proc/self/cgroup") as handle:
        mine = [line[3:].strip() for line in handle if line.startswith("0::")][0]
    group = tmp_path / mine.lstrip("/")
    group.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cgroup.controllers").write_text("memory pids\n")
    events = group / "memory.events"
    events.write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
    watch = monitor.OomWatch(os.getpid(), root=str(tmp_path))
    assert watch.killed() is False
    events.write_text("low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n")
    assert watch.killed() is True
    events.unlink()  # the cgroup goes with the container: the count taken stays
    assert watch.killed() is True


def test_no_watch_without_cgroup_v2(tmp_path):
    watch = monitor.OomWatch(os.getpid(), root=str(tmp_path))  # no cgroup.controllers: v1
    assert watch.fd is None and watch.killed() is False
