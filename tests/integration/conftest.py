# -*- coding: utf-8 -*-
"""Fixtures for tests that run containers: a store root whose containers are removed
afterwards (by the engine, then by PID if anything survived), and, at the end of the
session, the host-wide things containers leave (the bridge, the cgroup parents, the
runtime state directories), removed when nothing uses them any more."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile

import pytest
from podman import podman  # noqa: F401  pylint: disable=unused-import
from rig.host import remove_empty_cgroups, unmount_under
from rig.registry import BINARY as REGISTRY_BINARY

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.networks import definitions, host, netavark
from ansible_collections.strata.containers.plugins.module_utils.runtime import oci

CGROUP_PARENT = "strata"
PODMAN_CGROUP_PARENT = "libpod_parent"  # podman's cgroupfs manager (tests/integration/podman.py)


def host_problems():
    """What this host lacks to run the integration tests at all (they must then fail, not skip:
    a suite that passes as skipped on the wrong runner proves nothing)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("they run as root (containers, overlay mounts, network namespaces); run them with sudo")
    with open("/proc/filesystems") as f:
        if "overlay" not in f.read():
            problems.append("the kernel has no overlayfs (modprobe overlay)")
    if not (shutil.which("runc") or shutil.which("crun")):
        problems.append("no OCI runtime: install runc or crun (tests/setup.sh)")
    if not os.access(REGISTRY_BINARY, os.X_OK):
        problems.append("the test registry %s is missing: install docker-registry (tests/setup.sh)" % REGISTRY_BINARY)
    if not shutil.which("molecule"):
        problems.append("molecule is missing from the controller's environment (requirements-controller.txt)")
    return problems


def pytest_collection_modifyitems(session, config, items):  # pylint: disable=unused-argument
    if not any("/integration/" in str(item.fspath) for item in items):
        return
    problems = host_problems()
    if problems:
        pytest.exit("the integration tests cannot run on this host:\n  - " + "\n  - ".join(problems), returncode=3)


def remove_containers(root):
    """Every container in the store at ``root``, killed and removed; returns their IDs."""
    if not os.path.isdir(os.path.join(root, "containers")):
        return []
    service = Engine(root).containers
    removed = []
    for record in service.containers.records.all():
        state = service.containers.records.state(record["id"])
        try:
            service.containers.remove(record, force=True)
        finally:
            for key in ("monitor_pid", "pid"):  # whatever survived a failed removal
                _kill(state.get(key))
        removed.append(record["id"])
    runtime_dir = oci.state_dir(root)
    if os.path.isdir(runtime_dir):
        shutil.rmtree(runtime_dir, ignore_errors=True)
    return removed


def _kill(pid):
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _clean_root(root):
    try:
        remove_containers(root)
    finally:
        unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def container_root():
    root = tempfile.mkdtemp(prefix="strata-root-", dir="/var/tmp")
    try:
        yield root
    finally:
        _clean_root(root)


@pytest.fixture
def another_root():
    """Makes more store roots (a second host's, say); each cleaned up as container_root is."""
    made = []

    def make():
        made.append(tempfile.mkdtemp(prefix="strata-root-", dir="/var/tmp"))
        return made[-1]
    yield make
    for root in made:
        _clean_root(root)


@pytest.fixture(scope="session", autouse=True)
def host_leftovers():
    """After the session: the bridge, empty cgroup parents (ours, and podman's cgroupfs parent
    when the session made it) and runtime dirs go."""
    had_bridge = os.path.exists("/sys/class/net/" + definitions.DEFAULT_BRIDGE)
    had_podman_parent = glob.glob("/sys/fs/cgroup/*/" + PODMAN_CGROUP_PARENT)
    yield
    with host.locked():  # another test worker may be wiring a container to the bridge now
        netns = [n for n in os.listdir(netavark.NETNS_DIR) if n.startswith("strata-")] \
            if os.path.isdir(netavark.NETNS_DIR) else []
        if not had_bridge and not netns and os.path.exists("/sys/class/net/" + definitions.DEFAULT_BRIDGE):
            subprocess.run(["ip", "link", "del", definitions.DEFAULT_BRIDGE], check=False)
    remove_empty_cgroups([CGROUP_PARENT] + ([] if had_podman_parent else [PODMAN_CGROUP_PARENT]))
    if os.path.isdir(oci.STATE_BASE) and not os.listdir(oci.STATE_BASE):
        os.rmdir(oci.STATE_BASE)
