# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where networks live on the host, and the one lock every change takes.

Networks are host objects (a bridge, firewall rules, addresses on a shared link), so their
state is per host, not per store root, as podman keeps ``/etc/containers/networks``:

    /etc/strata/networks/<name>.json   a network's definition (kept across reboots)
    /run/strata/networks/state.json    who holds what now: endpoints (a running container's
                                       addresses and published ports), members (containers
                                       of any root configured for a network), the
                                       round-robin pointers; gone after a reboot, as the
                                       namespaces and rules it describes
    /run/strata/networks/netavark/     netavark's --config (aardvark-dns's files)
    /run/strata/networks/lock          fcntl lock: one change at a time, for every root

``STRATA_NETWORKS_CONFIG`` and ``STRATA_NETWORKS_RUN`` move them (unit tests, and the test
fleet's hosts: network namespaces of one machine that stand for separate hosts).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os

from .._errors import ContainerError

CONFIG_DIR = "/etc/strata/networks"
RUN_DIR = "/run/strata/networks"


def config_dir():
    return os.environ.get("STRATA_NETWORKS_CONFIG") or CONFIG_DIR


def run_dir():
    return os.environ.get("STRATA_NETWORKS_RUN") or RUN_DIR


def build_namespace_prefix():
    """How this state's build-step namespaces are named: ``strata-build-<6 hex of the run
    dir>-``, so that a state reaps only the ones it made when a machine holds several."""
    return "strata-build-%s-" % hashlib.sha256(run_dir().encode()).hexdigest()[:6]


def state_path():
    return os.path.join(run_dir(), "state.json")


def empty_state():
    return {"endpoints": {}, "members": {}, "last": {}}


def read_state():
    """The host's state as it is now, without the lock (for display)."""
    try:
        with open(state_path(), encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        return empty_state()
    except (OSError, ValueError) as exc:
        raise ContainerError("cannot read the host's network state %s: %s" % (state_path(), exc)) from exc
    for key, value in empty_state().items():
        state.setdefault(key, value)
    return state


def write_state(state):
    write_json(state_path(), state, 0o600)


def write_json(path, obj, mode=0o644):
    """Crash-safe: a temp file renamed over the old one."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode), "w",
                  encoding="utf-8") as handle:
            json.dump(obj, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ContainerError("cannot write %s: %s" % (path, exc.strerror or exc)) from exc


_HELD = []  # this process's depth of locked(): flock on a second fd would wait for itself


@contextlib.contextmanager
def locked():
    """Hold the host-wide network lock (every root, every concurrent run waits here).

    Re-entrant within a process (a network's removal disconnects its containers)."""
    if _HELD:
        _HELD.append(True)
        try:
            yield
        finally:
            _HELD.pop()
        return
    os.makedirs(run_dir(), mode=0o755, exist_ok=True)
    # a lock file of its own: state.json is replaced by rename, which would leave a second
    # process holding a lock on the old inode
    fd = os.open(os.path.join(run_dir(), "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD.append(True)
        try:
            yield
        finally:
            _HELD.pop()
    finally:
        os.close(fd)
