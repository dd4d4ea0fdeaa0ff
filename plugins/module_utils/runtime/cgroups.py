# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's cgroup as runc made it from ``linux.cgroupsPath``, on cgroup v1 or v2.

v2 only when the root itself is a cgroup2 mount; a hybrid host (v1 controllers plus
a cgroup2 at ``<root>/unified``) is v1, as runc sees it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal as signals
import time

from .. import _linux
from .._errors import ContainerError, InvalidSpec, InvalidState

ROOT = "/sys/fs/cgroup"
CGROUP2_MAGIC = 0x63677270
CPU_PERIOD = 100000
UNLIMITED = 2 ** 62  # v1 reports "no limit" as a huge page-rounded number
FREEZE_TIMEOUT = 10.0
EMPTY_TIMEOUT = 5.0


def _fs_magic(path):
    """statfs(2) f_type (the first field of struct statfs); None if unknown."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        buf = ctypes.create_string_buffer(256)
        if libc.statfs(os.fsencode(path), buf) != 0:
            return None
        return ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF
    except (OSError, AttributeError):
        return None


def detect(root=ROOT):
    """"v2" when ``root`` is a cgroup2 mount, else "v1" (hybrid included)."""
    if _fs_magic(root) == CGROUP2_MAGIC:
        return "v2"
    return "v2" if os.path.exists(os.path.join(root, "cgroup.controllers")) else "v1"


def hierarchies(root=ROOT, mountinfo="/proc/self/mountinfo"):
    """{mountpoint: set of super options} of the cgroup mounts right under ``root``, one per hierarchy."""
    found, seen = {}, set()
    with open(mountinfo, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            tail = fields[fields.index("-") + 1:]
            point = _linux.unescape_mount_field(fields[4])
            # runc joins <root>/<basename of the mount>: only direct children of root count.
            if tail[0] not in ("cgroup", "cgroup2") or os.path.dirname(point) != root.rstrip("/"):
                continue
            if fields[2] not in seen:  # one hierarchy mounted twice: the first place
                seen.add(fields[2])
                found[point] = set(tail[2].split(",")) | ({"cgroup2"} if tail[0] == "cgroup2" else set())
    return found


def path_of(pid, under):
    """The cgroup v2 path of process ``pid`` when it is ``under`` or below it, else None."""
    try:
        with open("/proc/%d/cgroup" % pid, encoding="utf-8") as handle:
            paths = [line[3:].strip() for line in handle if line.startswith("0::")]
    except (OSError, ValueError):
        return None
    if paths and (paths[0] == under or paths[0].startswith(under.rstrip("/") + "/")):
        return paths[0]
    return None


class Cgroup:
    """``path`` is the cgroupsPath given to runc, e.g. ``/strata/<id>``."""

    def __init__(self, path, version=None, root=ROOT, name=None):
        parts = [p for p in str(path).split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise InvalidSpec("bad cgroups path %r for container %s" % (path, name or path))
        self.path = "/" + "/".join(parts)
        self.root = root.rstrip("/") or "/"
        self.version = version or detect(self.root)
        self.name = name or parts[-1]

    # -- where things are

    def dirs(self):
        """The cgroup's directory in every hierarchy (one on v2)."""
        if self.version == "v2":
            return [self.root + self.path]
        return [point + self.path for point in sorted(hierarchies(self.root))]

    def _dir(self, controller):
        if self.version == "v2":
            return self.root + self.path
        for point, opts in sorted(hierarchies(self.root).items()):
            if controller in opts:
                return point + self.path
        raise ContainerError("container %s: no cgroup v1 %s hierarchy under %s" % (self.name, controller, self.root))

    def _file(self, controller, name):
        return os.path.join(self._dir(controller), name)

    # -- files

    def _read(self, path):
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise self._error("cannot read", path, exc) from exc

    def _write(self, path, value):
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(str(value))
        except OSError as exc:
            raise self._error("cannot write %s to" % value, path, exc) from exc

    def _error(self, what, path, exc):
        if not os.path.isdir(os.path.dirname(path)):
            return InvalidState("container %s has no cgroup at %s: is it running?" % (self.name, os.path.dirname(path)),
                                path=path)
        return ContainerError("container %s: %s %s: %s" % (self.name, what, path, exc.strerror), path=path)

    # -- processes

    def exists(self):
        return any(os.path.isdir(d) for d in self.dirs())

    def pids(self):
        """Every process in the cgroup and its children, in any hierarchy."""
        found = set()
        for top in self.dirs():
            for here, dummy, files in os.walk(top):
                try:
                    with open(os.path.join(here, "cgroup.procs"), encoding="utf-8") as handle:
                        found.update(int(line) for line in handle if line.strip())
                except OSError:  # removed meanwhile
                    continue
        return sorted(found)

    def kill_all(self, signal=signals.SIGKILL):
        """Signal every process; frozen meanwhile so none forks away, then thawed. The pids signalled."""
        if self.version == "v2" and signal == signals.SIGKILL and os.path.exists(self._file("", "cgroup.kill")):
            pids = self.pids()
            self._write(self._file("", "cgroup.kill"), 1)
            return pids
        try:
            self.freeze()
            frozen = True
        except ContainerError:
            frozen = False  # no freezer, a stuck task or no cgroup: signal anyway
        try:
            pids = self.pids()
            for pid in pids:
                try:
                    os.kill(pid, signal)
                except ProcessLookupError:
                    pass
            return pids
        finally:
            if frozen:
                self.thaw()

    # -- freezer

    def state(self):
        if self.version == "v2":
            return "frozen" if "frozen 1" in self._read(self._file("", "cgroup.events")).splitlines() else "thawed"
        return "frozen" if self._read(self._file("freezer", "freezer.state")) == "FROZEN" else "thawed"

    def freeze(self, timeout=FREEZE_TIMEOUT):
        deadline, pause = time.monotonic() + timeout, 0.001
        while True:
            # v1 can stay FREEZING on a busy task: writing FROZEN again retries, as runc does.
            self._set_frozen(True)
            if self.state() == "frozen":
                return
            if time.monotonic() > deadline:
                self._set_frozen(False)
                raise ContainerError("container %s: its cgroup %s did not freeze within %ss"
                                     % (self.name, self._dir("freezer"), timeout), path=self._dir("freezer"))
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def thaw(self):
        self._set_frozen(False)

    def _set_frozen(self, frozen):
        if self.version == "v2":
            self._write(self._file("", "cgroup.freeze"), 1 if frozen else 0)
        else:
            self._write(self._file("freezer", "freezer.state"), "FROZEN" if frozen else "THAWED")

    # -- limits

    def update(self, memory=None, cpus=None, pids_limit=None):
        """Change limits in place; None leaves one alone, 0 or -1 lifts it."""
        if memory is not None:
            self._set_memory(_integer(memory, "memory", self.name))
        if cpus is not None:
            self._set_cpus(_cpus(cpus, self.name))
        if pids_limit is not None:
            limit = _integer(pids_limit, "pids_limit", self.name)
            self._write(self._file("pids", "pids.max"), limit if limit > 0 else "max")

    def _set_memory(self, limit):
        if self.version == "v2":
            self._write(self._file("memory", "memory.max"), limit if limit > 0 else "max")
            return
        value = limit if limit > 0 else -1
        swap = self._file("memory", "memory.memsw.limit_in_bytes")
        # memory+swap may never be below memory: raise it first when the new limit is above it.
        if os.path.exists(swap) and (value == -1 or value > int(self._read(swap))):
            self._write(swap, value)
        self._write(self._file("memory", "memory.limit_in_bytes"), value)

    def _set_cpus(self, cpus):
        quota = int(round(cpus * CPU_PERIOD)) if cpus > 0 else None
        if self.version == "v2":
            self._write(self._file("cpu", "cpu.max"), "%s %d" % (quota or "max", CPU_PERIOD))
            return
        self._write(self._file("cpu", "cpu.cfs_period_us"), CPU_PERIOD)
        self._write(self._file("cpu", "cpu.cfs_quota_us"), quota or -1)

    def limits(self):
        """{"memory": bytes, "cpus": float, "pids_limit": int}; None where there is no limit."""
        if self.version == "v2":
            memory = _number(self._read(self._file("memory", "memory.max")))
            quota, dummy, period = self._read(self._file("cpu", "cpu.max")).partition(" ")
        else:
            memory = _number(self._read(self._file("memory", "memory.limit_in_bytes")))
            quota = self._read(self._file("cpu", "cpu.cfs_quota_us"))
            period = self._read(self._file("cpu", "cpu.cfs_period_us"))
        quota = _number(quota)
        return {"memory": memory, "cpus": quota / int(period) if quota else None,
                "pids_limit": _number(self._read(self._file("pids", "pids.max")))}

    def memory_usage(self):
        """Bytes charged to the cgroup now."""
        name = "memory.current" if self.version == "v2" else "memory.usage_in_bytes"
        return int(self._read(self._file("memory", name)))

    # -- removal

    def remove(self, timeout=EMPTY_TIMEOUT, parent=None):
        """rmdir the cgroup (children first) in every hierarchy once its processes are gone.

        ``parent`` (e.g. "/strata") is removed too, but only if it is this cgroup's parent
        and nothing else is in it; by default parents are left alone.
        """
        deadline = time.monotonic() + timeout
        while self.pids():
            if time.monotonic() > deadline:
                raise InvalidState("container %s: cgroup %s still has processes %s"
                                   % (self.name, self.path, self.pids()), path=self.path)
            time.sleep(0.05)
        for top in self.dirs():
            for here, dummy, files in os.walk(top, topdown=False):
                self._rmdir(here, deadline)
        if parent is not None and parent.rstrip("/") == os.path.dirname(self.path) != "/":
            for top in self.dirs():
                try:
                    os.rmdir(os.path.dirname(top))
                except OSError:
                    pass  # another container's cgroup is in it, or it is gone

    def _rmdir(self, path, deadline):
        while True:
            try:
                os.rmdir(path)
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                # A task that just exited can keep a cgroup busy for a moment.
                if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                    raise self._error("cannot remove", path, exc) from exc
                time.sleep(0.02)


def _number(text):
    """A limit as an int; None for "max", -1 or v1's unlimited."""
    if text in ("max", "-1"):
        return None
    value = int(text)
    return None if value >= UNLIMITED else value


def _integer(value, what, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise InvalidSpec("container %s: %s must be a positive integer, or 0 or -1 for no limit, not %r"
                          % (name, what, value))
    return value


def _cpus(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (value < 0 and value != -1):
        raise InvalidSpec("container %s: cpus must be a positive number, or 0 or -1 for no limit, not %r"
                          % (name, value))
    if 0 < value < 0.01:
        raise InvalidSpec("container %s: cpus %r is below the minimum of 0.01" % (name, value))
    return value
