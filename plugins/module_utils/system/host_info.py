# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker info`` and ``docker system df`` for one store on this host: versions (the
collection, the OCI runtime, the kernel), the cgroup layout and its controllers, overlayfs,
counts of images, containers, volumes and networks, and on request the space they take.

Volumes are counted as the store keeps them: one directory each under ``<root>/volumes``."""

from __future__ import annotations

import os
import platform

from .._errors import EngineError
from .._version import VERSION
from ..fs.tree import allocated_bytes
from ..runtime import cgroups, oci

CGROUP_ROOT = "/sys/fs/cgroup"


def report(engine):
    """The ``host_info`` dict (no lists, no sizes: those are asked for separately)."""
    records = _container_records(engine)
    states = [engine.containers.containers.status(r) for r in records]
    return {
        "engine": {"name": "strata.containers", "version": VERSION, "python": platform.python_version()},
        "runtime": runtime(engine.runtime),
        "kernel": kernel(),
        "cgroup": cgroup(),
        "storage": {"driver": "overlay", "root": engine.store.root, "overlay_supported": overlay_supported(),
                    "store_exists": engine.store.exists},
        "containers": len(records),
        "containers_running": sum(1 for s in states if s in ("running", "restarting")),
        "containers_paused": states.count("paused"),
        "containers_stopped": sum(1 for s in states if s in ("created", "exited")),
        "images": len(engine.store.image_records()) if engine.store.exists else 0,
        "volumes": len(volume_names(engine.store.root)),
        "networks": len(engine.networks.info()),
    }


def runtime(name=None):
    """The OCI runtime containers would run with: its name, path and version."""
    try:
        path = oci.choose(name)
    except EngineError as exc:
        return {"name": name, "path": None, "version": None, "error": str(exc)}
    found = oci.version_of(path)
    return {"name": found[0] if found else os.path.basename(path), "path": path,
            "version": ".".join(map(str, found[1])) if found else None}


def kernel():
    uname = os.uname()
    return {"release": uname.release, "version": uname.version, "architecture": platform.machine(),
            "operating_system": _os_name(), "cpus": os.cpu_count()}


def _os_name():
    """PRETTY_NAME of /etc/os-release, as docker info's Operating System."""
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def cgroup(root=CGROUP_ROOT):
    """version (v1 or v2), layout (unified, hybrid or legacy) and the enabled controllers."""
    version = cgroups.detect(root)
    if version == "v2":
        return {"version": "v2", "layout": "unified", "driver": "cgroupfs",
                "controllers": sorted(_words(os.path.join(root, "cgroup.controllers")))}
    hybrid = os.path.isfile(os.path.join(root, "unified", "cgroup.controllers"))
    return {"version": "v1", "layout": "hybrid" if hybrid else "legacy", "driver": "cgroupfs",
            "controllers": sorted(_v1_controllers())}


def _words(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().split()
    except OSError:
        return []


def _v1_controllers(path="/proc/cgroups"):
    """Enabled controllers from /proc/cgroups (subsys_name hierarchy num_cgroups enabled)."""
    found = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) == 4 and not line.startswith("#") and fields[3] == "1":
                    found.append(fields[0])
    except OSError:
        pass
    return found


def overlay_supported(filesystems="/proc/filesystems"):
    """Whether the kernel has overlayfs now (built in, or its module loaded)."""
    try:
        with open(filesystems, encoding="utf-8") as handle:
            return any(line.split()[-1:] == ["overlay"] for line in handle)
    except OSError:
        return False


def volume_names(root):
    directory = os.path.join(root, "volumes")
    try:
        return sorted(n for n in os.listdir(directory) if os.path.isdir(os.path.join(directory, n)))
    except OSError:
        return []


def _container_records(engine):
    if not engine.store.exists:
        return []
    return engine.containers.containers.records.all()


def disk_usage(engine):
    """``docker system df``: images (as engine.disk_usage), containers' writable layers and
    volumes, in bytes allocated (each inode once)."""
    images = engine.disk_usage()
    seen = set()
    records = _container_records(engine)
    paths = engine.containers.containers.records
    layers = {r["id"]: allocated_bytes(paths.path(r["id"], "upper"), seen) for r in records}
    volumes = {n: allocated_bytes(os.path.join(engine.store.root, "volumes", n), seen) for n in volume_names(engine.store.root)}
    return {"images": {"count": len(images["images"]), "size": images["total_size"],
                       "reclaimable": images["reclaimable"]},
            "containers": {"count": len(records), "size": sum(layers.values())},
            "volumes": {"count": len(volumes), "size": sum(volumes.values())}}
