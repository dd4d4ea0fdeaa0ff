# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What reading containers needs: their records, their status and their cgroup.

Light to import (no network plan, bundle, monitor or volumes): ``strata ps`` and ``inspect``
read through it alone, so listing costs the store's JSON records rather than the container
engine's imports. ``lifecycle.Containers`` builds on it to change containers."""

from __future__ import annotations

import os
import select
import time

from ..store.containers import ContainerStore

# A file in the container's directory while the engine has it paused (lifecycle.py): with its
# monitor alive, the record and this file tell its status without asking the runtime.
PAUSED = "paused"


class ContainerReader:
    def __init__(self, store, runtime_name=None, cgroup_parent="/strata"):
        self.store = store
        self.cgroup_parent = cgroup_parent
        self.records = ContainerStore(os.path.join(store.root, "containers"))
        self.runtime_name = runtime_name
        self._runtime = None

    @property
    def runtime(self):
        if self._runtime is None:
            # imported here: the runtime is asked only about a container recorded as running
            from ..runtime.oci import Runtime, choose  # pylint: disable=import-outside-toplevel
            self._runtime = Runtime(self.store.root, choose(self.runtime_name))
        return self._runtime

    def status(self, record):
        """created, running, paused, restarting or exited. While its monitor lives, the monitor's
        record says (it records the end of every run); without it, the runtime's word wins while
        it knows the container."""
        state = self.records.state(record["id"])
        monitor_alive = monitor_runs(state.get("monitor_pid"), record["id"])
        if state.get("status") == "exited" and monitor_alive:
            return "restarting"  # between two runs of its restart policy
        if state.get("status") == "running" and monitor_alive:
            return "paused" if os.path.exists(self.records.path(record["id"], PAUSED)) else "running"
        live = self.runtime.state(record["id"]) if state.get("status") == "running" else None
        if live and live.get("status") == "paused":
            return "paused"
        if state.get("status") == "running" and (not live or live.get("status") == "stopped"):
            # gone, or stopped with nobody left to record it (its monitor killed with it): exited
            return "exited"
        return state.get("status", "created")

    def cgroup(self, record):
        """The container's cgroup (it exists while the container runs). On cgroup v2 the one its
        first process is in: crun's systemd driver puts it in a ``container`` child of the scope."""
        # imported here: only a running container has a cgroup to read (cgroups.py loads ctypes)
        from ..runtime import cgroup_manager, cgroups  # pylint: disable=import-outside-toplevel
        path = cgroup_manager.cgroup_dir(cgroup_manager.of_record(record), self.cgroup_parent, record["id"])
        pid = self.records.state(record["id"]).get("pid")
        if pid and cgroups.detect() == "v2":
            path = cgroups.path_of(pid, under=path) or path
        return cgroups.Cgroup(path, name=record["name"])


def wait_for_exit(pid, timeout):
    """Sleep up to ``timeout`` seconds, waking as soon as process ``pid`` exits (its pidfd
    becomes readable then): a follower sees a container's monitor end at once, not a poll later."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError, TypeError):  # before Python 3.9 / Linux 5.3, or no such process
        time.sleep(timeout)
        return
    try:
        select.select([handle], [], [], timeout)
    finally:
        os.close(handle)


def monitor_runs(pid, container_id):
    """Whether process ``pid`` runs and is the monitor of ``container_id`` (its command line names
    the container's directory): after a reboot the PID a state file recorded may be another
    process's."""
    if not alive(pid):
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return container_id.encode() in f.read()
    except OSError:
        return True  # not ours to read (hidepid): its being alive is all we can tell


def alive(pid):
    """Whether process ``pid`` runs (a zombie does not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive: it is only waiting to be reaped
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
