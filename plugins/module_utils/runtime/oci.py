# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OCI runtime's command line (runc, or crun where the host allows it).

The runtime's state directory lives under /run, so it is gone after a reboot, as the
containers' processes are; one per store root, so two stores never see each other's
containers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess

from .._errors import ContainerError, ContainerNotFound, MissingDependency
from ..fs.atomic import atomic_write_json, read_json

STATE_BASE = "/run/strata"
RUNTIMES = ("runc", "crun")
# The first release of each runtime with the fix for its known container escape.
FIXED_IN = {
    "runc": ((1, 1, 12), "CVE-2024-21626, a container escape through a file descriptor leaked to the "
                         "container and its working directory"),
    "crun": ((1, 4, 4), "CVE-2022-27650, containers started with inheritable capabilities"),
}
_VERSION = re.compile(r"^(runc|crun) version (\d+)\.(\d+)(?:\.(\d+))?", re.MULTILINE)
# Once per process (one module run): binary path -> its warning or None; warnings not yet taken.
_CHECKED = {}
_WARNINGS = []


def state_dir(store_root):
    return os.path.join(STATE_BASE, "runtime-" + hashlib.sha256(store_root.encode()).hexdigest()[:16])


def crun_refused_reason(cgroup_root="/sys/fs/cgroup"):
    """crun 1.8 refuses a 'hybrid' host (cgroup v1 plus a cgroup2 mount holding controllers)."""
    unified = os.path.join(cgroup_root, "unified", "cgroup.controllers")
    try:
        with open(unified) as f:
            controllers = f.read().split()
    except OSError:
        return None
    if controllers:
        return ("crun does not support this host's hybrid cgroup layout (a cgroup2 mount at %s holds "
                "the controllers %s); using runc" % (os.path.dirname(unified), ", ".join(controllers)))
    return None


def choose(name=None):
    """The runtime binary to use: the one asked for, else runc, else crun."""
    if name:
        path = shutil.which(name)
        if not path:
            raise MissingDependency(name, "the OCI runtime %s is not installed" % name)
        if name == "crun" and crun_refused_reason():
            raise ContainerError(crun_refused_reason())
        return path
    for candidate in RUNTIMES:
        path = shutil.which(candidate)
        if path and not (candidate == "crun" and crun_refused_reason()):
            return path
    raise MissingDependency("runc", "no OCI runtime (runc or crun) is installed")


def version_of(binary):
    """(name, (major, minor, patch)) from ``binary --version``; None when it cannot tell."""
    try:
        proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(proc.stdout or "")
    if not match:
        return None
    return match.group(1), tuple(int(n or 0) for n in match.group(2, 3, 4))


def version_warning(name, version):
    """What to tell the user about a runtime release older than its security fix, or None."""
    fixed, what = FIXED_IN.get(name, (None, None))
    if fixed is None or version >= fixed:
        return None
    return ("%s %s is older than %s, the release that fixed %s; upgrade it unless your distribution "
            "backported the fix. Working directories under /proc are refused whatever the version."
            % (name, ".".join(map(str, version)), ".".join(map(str, fixed)), what))


def _stat_key(binary):
    """What changes when the binary is replaced or upgraded (None when it is not there)."""
    try:
        info = os.stat(binary)
    except OSError:
        return None
    return "%s %d %d %d %d" % (os.path.realpath(binary), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def known_version(binary, cache_path=None):
    """``version_of(binary)``, remembered in ``cache_path`` (a JSON file of the store's) for as
    long as the binary is the same file: one process less at each start of a container."""
    key = _stat_key(binary)
    if not cache_path or not key or not os.path.isdir(os.path.dirname(cache_path)):
        return version_of(binary)
    try:
        cached = read_json(cache_path, {})
    except (OSError, ValueError):
        cached = {}
    if not isinstance(cached, dict):
        cached = {}
    if key in cached:
        found = cached[key]
        return (found[0], tuple(found[1])) if found else None
    found = version_of(binary)
    cached = {k: v for k, v in cached.items() if not k.startswith(key.split(" ")[0] + " ")}  # the old release's
    cached[key] = found
    try:
        atomic_write_json(cache_path, cached)
    except OSError:
        pass  # only a cache: the next run asks the binary again
    return found


def check_version(binary, cache_path=None):
    """Check the runtime's release once per process; a warning waits for ``take_warnings``."""
    if binary not in _CHECKED:
        found = known_version(binary, cache_path)
        _CHECKED[binary] = version_warning(*found) if found else None
        if _CHECKED[binary]:
            _WARNINGS.append(_CHECKED[binary])
    return _CHECKED[binary]


def take_warnings():
    """The runtime warnings not yet shown (the module glue passes them to ``module.warn``)."""
    taken = list(_WARNINGS)
    del _WARNINGS[:]
    return taken


class Runtime:
    def __init__(self, store_root, binary=None, flags=()):
        """``flags``: global options before --root, e.g. ``--systemd-cgroup`` (cgroup_manager.py)."""
        self.binary = binary or choose()
        self.root = state_dir(store_root)
        self.flags = list(flags)
        check_version(self.binary, os.path.join(store_root, "bin", "runtime-versions.json"))

    def command(self, *args):
        # --root stays last: the monitor takes the state directory from the end of this argv
        return [self.binary] + self.flags + ["--root", self.root] + list(args)

    def _run(self, *args, check=True, timeout=60):
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        proc = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            message = (proc.stderr or proc.stdout).strip().splitlines()
            raise ContainerError("%s %s failed: %s" % (os.path.basename(self.binary), args[0],
                                                       message[-1] if message else "exit %d" % proc.returncode))
        return proc

    def state(self, container_id):
        """The runtime's view: a dict with status (created/running/paused/stopped) and pid, or None."""
        proc = self._run("state", container_id, check=False)
        if proc.returncode != 0:
            return None
        try:
            return json.loads(proc.stdout)
        except ValueError as exc:
            raise ContainerError("unreadable state of container %s from the runtime" % container_id) from exc

    def kill(self, container_id, signal="TERM", all_processes=False):
        args = ["kill"] + (["--all"] if all_processes else []) + [container_id, signal]
        proc = self._run(*args, check=False)
        if proc.returncode != 0 and self.state(container_id) is None:
            raise ContainerNotFound("container %s is not running" % container_id)
        return proc.returncode == 0

    def pause(self, container_id):
        self._run("pause", container_id)

    def resume(self, container_id):
        self._run("resume", container_id)

    def delete(self, container_id):
        # `runc run` deletes a container that exited by itself: nothing left to ask the runtime for
        if os.path.exists(os.path.join(self.root, container_id)):
            self._run("delete", "--force", container_id, check=False)

    def update(self, container_id, resources):
        """Change limits in place: ``resources`` is an OCI linux.resources dict."""
        proc = subprocess.run(self.command("update", "--resources", "-", container_id), input=json.dumps(resources),
                              capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise ContainerError("cannot update container %s in place: %s" % (container_id, proc.stderr.strip()))

    def exec_argv(self, container_id, process_json_path, detach=False, log_path=None):
        """The command that runs the process described in ``process_json_path`` inside the container;
        ``log_path``: the runtime's own messages go there (a detached process keeps its stdio)."""
        log = ["--log", log_path] if log_path else []
        return ([self.binary, "--root", self.root] + log + ["exec", "--process", process_json_path]
                + (["--detach"] if detach else []) + [container_id])
