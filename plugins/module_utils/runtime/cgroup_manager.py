# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who makes a container's cgroup: systemd (a transient scope, as podman and Docker do on
systemd hosts) or the runtime itself in the cgroup filesystem ("cgroupfs").

With ``systemd`` the runtime gets ``--systemd-cgroup`` and a cgroupsPath
``strata.slice:strata:<id>``: the container is the unit ``strata-<id>.scope`` in
``strata.slice``, so systemd knows its processes and never moves or kills them behind our
back. Without systemd as PID 1 there is nobody to ask: ``cgroupfs`` writes ``/strata/<id>``.
"""

from __future__ import annotations

import os
import re
import secrets

from .._errors import InvalidSpec

MANAGERS = ("systemd", "cgroupfs")
SCOPE_PREFIX = "strata"
_SLICE_NAME = re.compile(r"^[A-Za-z0-9_.]+$")


def systemd_running(run_dir="/run/systemd/system"):
    """sd_booted(3): systemd is the init system when this directory exists."""
    return os.path.isdir(run_dir)


def default():
    """``systemd`` where systemd is PID 1, else ``cgroupfs``."""
    return "systemd" if systemd_running() else "cgroupfs"


def choose(name=None):
    """The manager asked for (checked), or the host's default."""
    if name is None:
        return default()
    if name not in MANAGERS:
        raise InvalidSpec("cgroup_manager must be one of %s, not %r" % (", ".join(MANAGERS), name))
    if name == "systemd" and not systemd_running():
        raise InvalidSpec("cgroup_manager systemd needs systemd as the init system, and this host has none "
                          "(no /run/systemd/system); use cgroup_manager cgroupfs")
    return name


def slice_name(parent):
    """The systemd slice for a cgroup parent: ``/strata`` -> ``strata.slice``."""
    name = parent.strip("/")
    if not _SLICE_NAME.match(name) or name.startswith("."):
        raise InvalidSpec("cgroup parent %r cannot name a systemd slice: use one word of letters, digits, "
                          "'_' or '.'" % parent)
    return name + ".slice"


def cgroups_path(manager, parent, container_id):
    """The OCI spec's linux.cgroupsPath for a container."""
    if manager == "systemd":
        return "%s:%s:%s" % (slice_name(parent), SCOPE_PREFIX, container_id)
    return "%s/%s" % (parent.rstrip("/"), container_id)


def cgroup_dir(manager, parent, container_id):
    """The container's cgroup below the cgroup root, as the runtime makes it from cgroups_path."""
    if manager == "systemd":
        return "/%s/%s-%s.scope" % (slice_name(parent), SCOPE_PREFIX, container_id)
    return "%s/%s" % (parent.rstrip("/"), container_id)


def runtime_flags(manager):
    """runc's and crun's global option for the manager."""
    return ["--systemd-cgroup"] if manager == "systemd" else []


def scope_properties(manager, stop_timeout):
    """Annotations runc and crun turn into properties of the container's scope: when systemd
    stops it (at shutdown) it sends SIGTERM and, after the container's stop timeout, SIGKILL, as
    ``docker stop`` does; systemd's own default would wait 90 s for a PID 1 that ignores SIGTERM."""
    if manager != "systemd":
        return {}
    return {"org.systemd.property.TimeoutStopUSec": "uint64 %d" % int(stop_timeout * 1000000)}


def monitor_argv(manager, parent, container_id, argv):
    """The monitor's command line. Under systemd it runs in a scope of its own in the
    containers' slice (as podman puts conmon in a scope), not in the unit that started it: a
    oneshot service at boot, an SSH session; the stop of either would take the monitor along.
    The name has a random end: a restart may come before systemd has collected the last scope."""
    if manager != "systemd":
        return argv
    unit = "%s-monitor-%s-%s" % (SCOPE_PREFIX, container_id, secrets.token_hex(3))
    # systemd-run --scope execs the command itself: the file descriptors passed stay open
    return ["systemd-run", "--scope", "--quiet", "--collect", "--slice", slice_name(parent), "--unit", unit,
            "--description", "strata.containers monitor of %s" % container_id] + argv


def of_record(record):
    """The manager a container was created with (records from before the choice: cgroupfs)."""
    return record.get("cgroup_manager") or "cgroupfs"
