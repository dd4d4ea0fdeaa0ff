# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container lifecycle on the store: create (writable layer + bundle), start (a detached
monitor runs the OCI runtime), stop, kill, pause, resume, remove, inspect."""

from __future__ import annotations

import json
import os
import secrets
import select
import subprocess
import sys
import tempfile
import time

from . import exec_run, healthcheck, logconfig, network_plan, run_defaults, volume_plan
from . import logs as container_logs
from .reader import PAUSED, ContainerReader, alive as _alive
from .. import _linux
from .._errors import ContainerError, ContainerNotFound, InvalidSpec, InvalidState
from ..fs import inroot
from ..fs.atomic import atomic_write, atomic_write_json, read_json
from ..fs.tree import remove_tree
from ..oci import timestamps
from ..runtime import overlay
from ..runtime import bundle, cgroup_manager, hardening
from ..runtime import health as _health
from ..runtime import logdrivers as _logdrivers
from ..runtime import monitor as _monitor
from ..runtime.oci import Runtime
from ..store.containers import check_name
from ..volumes.service import VolumeService

# How long a start waits for the monitor's answer. Generous: a host booting several containers
# at once on a slow CPU took over 30 s for one (the runtime itself decides; this only bounds a hang).
START_TIMEOUT = 180
# The monitor's entry point: a script is compiled at every start, an imported module only when
# it changed (its bytecode is cached beside it), so the script only imports monitor.py.
MONITOR_LAUNCHER = (b"import os, sys\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
                    b"import monitor\nmonitor.main(sys.argv)\n")


class Containers(ContainerReader):
    """Reading (records, status, cgroup: reader.py) and changing containers."""

    def __init__(self, store, runtime_name=None, cgroup_parent="/strata", cgroup_manager_name=None):
        super().__init__(store, runtime_name, cgroup_parent)
        self.cgroup_manager_name = cgroup_manager_name
        self.volumes = VolumeService(store)
        self._runtimes = {}

    @property
    def cgroup_manager(self):
        """systemd or cgroupfs for the containers created now (cgroup_manager.py)."""
        return cgroup_manager.choose(self.cgroup_manager_name)

    def runtime_for(self, record):
        """The runtime with the cgroup manager ``record`` was created with, for its whole life."""
        manager = cgroup_manager.of_record(record)
        if manager not in self._runtimes:
            self._runtimes[manager] = Runtime(self.store.root, self.runtime.binary, cgroup_manager.runtime_flags(manager))
        return self._runtimes[manager]

    # ------------------------------------------------------------------ create
    def create(self, name, image_id, options, image_name=None):
        """A new container from an image in the store: its writable layer and its bundle.

        ``options`` are container_options.normalize()'s; on any error nothing is left behind."""
        check_name(name)
        with self.store.locks.store():
            if any(r["name"] == name for r in self.records.all()):
                raise ContainerError('Conflict. The container name "/%s" is already in use' % name, name=name)
            container_id = secrets.token_hex(32)
            manager = self.cgroup_manager
            directory = self.records.path(container_id)
            os.makedirs(directory, mode=0o700)
            for sub in ("upper", "work", "rootfs"):
                # the upper dir's mode is the container's / (overlayfs takes the root's from it)
                os.mkdir(os.path.join(directory, sub), mode=0o755 if sub == "upper" else 0o700)
                os.chmod(os.path.join(directory, sub), 0o755 if sub == "upper" else 0o700)
            config = json.loads(self.store.blobs.get(image_id))
            record = {"id": container_id, "name": name, "image": image_name or image_id, "image_id": image_id,
                      "options": options, "restart_policy": options.get("restart_policy", "no"),
                      "labels": dict((config.get("config") or {}).get("Labels") or {}, **options.get("labels", {})),
                      "healthcheck": healthcheck.effective(config, options.get("healthcheck")),  # the monitor runs it
                      "created": timestamps.now(), "cgroup_manager": manager}
            record["log_config"] = logconfig.settings(options, record)
            self.records.put(record)
        try:
            record["network"], netns = network_plan.plan(self.store.root, container_id, name, options, self.records)
            record["ports"] = network_plan.publish_plan(options.get("published_ports") or [])
            self.records.put(record)
            network_plan.write_placeholders(directory)
            self.ensure_mounted(record)
            rootfs = os.path.join(directory, "rootfs")
            hostname = options.get("hostname") or container_id[:12]
            merged = bundle.merged_config(config, dict(options, hostname=hostname))
            inroot.make_dir(rootfs, merged["working_dir"], "working_dir")
            record["stop_signal"] = merged["stop_signal"]
            self.records.put(record)
            record["anonymous_volumes"] = volume_plan.anonymous(config, options.get("mounts"), self.volumes)
            self.records.put(record)  # before they exist: a failure from here on removes them
            mounts = [self._mount_spec(m, rootfs) for m in options.get("mounts") or []]
            mounts += [volume_plan.mount_spec(self.volumes, v["name"], v["target"], False, rootfs, True)
                       for v in record["anonymous_volumes"]]
            mounts += [self._mount_spec(m) for m in network_plan.etc_mounts(record, directory, self.records)]
            annotations = dict(cgroup_manager.scope_properties(manager, run_defaults.stop_timeout(options)),
                               **options.get("annotations") or {})
            spec_options = dict(options, cgroups_path=cgroup_manager.cgroups_path(manager, self.cgroup_parent, container_id),
                                hostname=hostname, network_namespace=netns, mounts=mounts, annotations=annotations)
            spec = bundle.make_spec(config, spec_options, rootfs)
            spec["root"]["path"] = "rootfs"
            if options.get("domainname"):
                spec["domainname"] = options["domainname"]
                # runc before 1.2 ignores "domainname"; the UTS namespace's sysctl is the same thing
                spec["linux"].setdefault("sysctl", {})["kernel.domainname"] = options["domainname"]
            atomic_write_json(os.path.join(directory, "config.json"), spec)
            atomic_write_json(os.path.join(directory, "state.json"), {"status": "created"})
        except BaseException:
            self._discard(record)
            raise
        return record

    def _mount_spec(self, mount, rootfs=None):
        """A named volume is made on first use (volumes/), kept after the container's removal."""
        spec = {"type": mount["type"], "target": mount["target"], "read_only": mount["read_only"],
                "source": mount["source"] or None}
        if mount["type"] == "volume":
            spec = volume_plan.mount_spec(self.volumes, mount["source"], mount["target"], mount["read_only"], rootfs)
        elif mount["type"] == "bind" and not os.path.exists(mount["source"]):
            raise InvalidSpec("bind mount source %s does not exist" % mount["source"], source=mount["source"])
        return spec

    def _chains(self, record):
        image = self.store.images.get(record["image_id"])
        return [layer["chain_id"] for layer in image["layers"]]

    def ensure_mounted(self, record):
        """Its overlay on rootfs/, again after a reboot or an unmount."""
        directory = self.records.path(record["id"])
        rootfs = os.path.join(directory, "rootfs")
        if not _linux.is_mountpoint(rootfs):
            overlay.mount(self.store, self._chains(record), rootfs, upper=os.path.join(directory, "upper"),
                          work=os.path.join(directory, "work"))

    def _discard(self, record):
        rootfs = self.records.path(record["id"], "rootfs")
        if _linux.is_mountpoint(rootfs):
            overlay.unmount(rootfs)
        network_plan.release(record)
        remove_tree(self.records.path(record["id"]))
        self.volumes.discard([v["name"] for v in record.get("anonymous_volumes") or []])

    # ------------------------------------------------------------------ start/stop
    def start(self, record):
        """Start it under a new monitor; returns the PID of its first process."""
        if self.status(record) in ("running", "paused", "restarting"):
            raise InvalidState("container %s is already running" % record["name"], name=record["name"])
        network_plan.check_ports_free(record.get("ports") or [])
        container_logs.check_host(record)
        self.ensure_mounted(record)
        volume_plan.ensure_available(self.volumes, record)
        directory = self.records.path(record["id"])
        network_plan.attach(self.store.root, record, directory)
        for stale in (_monitor.STOP_REQUEST, PAUSED):
            if os.path.exists(os.path.join(directory, stale)):
                os.unlink(os.path.join(directory, stale))
        read_fd, write_fd = os.pipe()
        with _monitor.open_capped(os.path.join(directory, "monitor.err")) as err:
            # -S -I: the monitor is stdlib-only; no site-packages scan, no environment, faster start
            argv = [sys.executable, "-S", "-I", self._monitor_path(), directory, str(write_fd),
                    json.dumps(self.runtime_for(record).command())]
            subprocess.Popen(cgroup_manager.monitor_argv(cgroup_manager.of_record(record), self.cgroup_parent,
                                                         record["id"], argv),
                             pass_fds=(write_fd,), start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err, cwd=directory)
        os.close(write_fd)
        answer = _read_line(read_fd, START_TIMEOUT)
        if not answer.startswith("ok "):
            network_plan.detach(record)
            reason = answer[6:] or "no answer from its monitor within %d s%s" % (
                START_TIMEOUT, _tail(os.path.join(directory, "monitor.err")))
            raise ContainerError("container %s did not start: %s" % (record["name"], reason), name=record["name"])
        return int(answer.split()[1])

    def _monitor_path(self):
        self._install("health.py", _health)  # the monitor loads it from beside itself
        self._install("logdrivers.py", _logdrivers)  # the monitor imports it from its own folder
        self._install("monitor.py", _monitor)
        return self._install("monitor", MONITOR_LAUNCHER)

    def _install(self, filename, module):
        """A stdlib-only module's own copy in the store, so it outlives the module's temp files."""
        # get_data, not get_source: the bytes as they are (get_source decodes them through tokenize)
        source = module if isinstance(module, bytes) else module.__loader__.get_data(module.__file__)
        path = os.path.join(self.store.root, "bin", filename)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        try:
            with open(path, "rb") as f:
                if f.read() == source:
                    return path
        except FileNotFoundError:
            pass
        atomic_write(path, source, mode=0o700)
        return path

    def stop(self, record, timeout=10, stop_signal=None):
        """SIGTERM (or the image's stop signal), wait, then SIGKILL, as docker stop does."""
        status = self.status(record)
        if status not in ("running", "paused", "restarting"):
            network_plan.detach(record)  # one that ended on its own still holds its addresses
            return False
        atomic_write(self.records.path(record["id"], _monitor.STOP_REQUEST), b"")
        if status == "restarting" and self._wait_exited(record, 15):
            network_plan.detach(record)
            return True
        if self.status(record) == "paused":
            self.resume(record)
        try:
            self.runtime_for(record).kill(record["id"], stop_signal or record.get("stop_signal") or "SIGTERM")
        except ContainerNotFound:
            pass  # it ended on its own a moment ago
        if not self._wait_exited(record, timeout):
            try:
                self.runtime_for(record).kill(record["id"], "KILL", all_processes=True)
            except ContainerNotFound:
                pass  # it ended between the stop signal and now
            if not self._wait_exited(record, 10):
                raise ContainerError("container %s did not stop" % record["name"], name=record["name"])
        network_plan.detach(record)
        return True

    def kill(self, record, signal="KILL"):
        """``docker kill``: a signal to its main process; the restart policy does not apply."""
        if self.status(record) not in ("running", "paused"):
            raise InvalidState("Container %s is not running" % record["name"], name=record["name"])
        atomic_write(self.records.path(record["id"], _monitor.STOP_REQUEST), b"")
        self.runtime_for(record).kill(record["id"], signal)

    def wait(self, record, timeout=None):
        """``docker wait``: block until the container has exited for good (its restart policy
        done with); returns its exit code."""
        if not self._wait_exited(record, float("inf") if timeout is None else timeout):
            raise ContainerError("container %s still runs after %ss" % (record["name"], timeout),
                                 name=record["name"])
        return self.records.state(record["id"]).get("exit_code")

    def _wait_exited(self, record, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.records.state(record["id"])
            if state.get("status") == "exited" and not _alive(state.get("monitor_pid")):
                return True
            time.sleep(0.005)
        return False

    def pause(self, record):
        if self.status(record) != "running":
            raise InvalidState("container %s is not running" % record["name"], name=record["name"])
        marker = self.records.path(record["id"], PAUSED)
        atomic_write(marker, b"")  # first: a pause cut short by a kill is then undone by a resume
        try:
            self.runtime_for(record).pause(record["id"])
        except BaseException:
            os.unlink(marker)
            raise

    def resume(self, record):
        """Thaw it; one the runtime does not hold paused (a pause or resume cut short) is left as
        it is, and its status is running again."""
        try:
            self.runtime_for(record).resume(record["id"])
        except ContainerError:
            live = self.runtime_for(record).state(record["id"])
            if live and live.get("status") == "paused":
                raise
        try:
            os.unlink(self.records.path(record["id"], PAUSED))
        except FileNotFoundError:
            pass

    def remove(self, record, force=False):
        if self.status(record) in ("running", "paused"):
            if not force:
                raise InvalidState("You cannot remove a running container %s. Stop the container before "
                                   "attempting removal or force remove" % record["id"], name=record["name"])
            self.stop(record, timeout=0)
        self.runtime.delete(record["id"])
        self._discard(record)

    def update(self, record, options):
        """Limits and restart policy in place (``docker update``); the record keeps the new values."""
        # all limits from the merged options: a change of one key of a group (cpu shares) keeps the others (quota)
        resources = {k: v for k, v in hardening.resources(dict(record["options"], **options)).items() if k != "devices"}
        if resources and self.status(record) in ("running", "paused"):
            self.runtime_for(record).update(record["id"], resources)
        spec_path = self.records.path(record["id"], "config.json")
        spec = read_json(spec_path)
        spec["linux"]["resources"].update(resources)
        atomic_write_json(spec_path, spec)
        record["options"].update(options)
        record["restart_policy"] = record["options"].get("restart_policy", "no")
        self.records.put(record)

    # ------------------------------------------------------------------ exec
    def exec(self, record, argv, *, env=None, user=None, chdir=None, stdin=None, timeout=None, tty=False,
             detach=False):
        """``docker exec``: run ``argv`` in the running container; returns (rc, stdout, stderr).
        ``tty``: on a terminal, its output all in stdout (as Docker gives it); ``detach``: start it
        and return at once, (None, "", ""), its output discarded."""
        if detach and (tty or stdin is not None):
            raise InvalidSpec("a detached command has no terminal and no stdin: drop tty and stdin, or detach")
        self.check_exec(record, user=user, chdir=chdir)
        process = self.exec_process(record, argv, env=env, user=user, chdir=chdir, tty=tty)
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.records.path(record["id"])) as handle:
            json.dump(process, handle)
            handle.flush()
            log = handle.name[:-len(".json")] + ".log" if detach else None
            command = self.runtime_for(record).exec_argv(record["id"], handle.name, detach=detach, log_path=log)
            try:
                rc, out, err = exec_run.run(command, stdin, timeout, tty, log)
            except subprocess.TimeoutExpired as exc:
                raise ContainerError("exec in %s timed out after %ss" % (record["name"], timeout)) from exc
        if rc != 0 and (detach or _runtime_failed(err or out)):
            said = (err or out).strip().splitlines()
            raise ContainerError("cannot exec in %s: %s" % (record["name"], said[-1] if said else "exit status %d" % rc),
                                 name=record["name"])
        return (None, "", "") if detach else (rc, out, err)

    def check_exec(self, record, *, user=None, chdir=None):
        """What an exec needs, checked without running anything (check mode asks this too)."""
        if self.status(record) != "running":
            raise InvalidState("Container %s is not running" % record["name"], name=record["name"])
        if user is not None:
            bundle.parse_user(user, self.records.path(record["id"], "rootfs"))
        if chdir is not None:
            if not chdir.startswith("/"):
                raise InvalidSpec("chdir must be an absolute path, not %r" % chdir)
            inroot.working_dir(self.records.path(record["id"], "rootfs"), chdir, "chdir")

    def exec_process(self, record, argv, *, env=None, user=None, chdir=None, tty=False):
        """The OCI process of an exec: the container's, with this call's changes."""
        spec = read_json(self.records.path(record["id"], "config.json"))
        process = dict(spec["process"], args=list(argv), terminal=bool(tty))
        merged = dict(item.split("=", 1) for item in process["env"])
        if tty:
            merged.setdefault("TERM", "xterm")  # as docker exec -t
        merged.update({k: bundle._env_value(k, v) for k, v in (env or {}).items()})  # pylint: disable=protected-access
        process["env"] = ["%s=%s" % kv for kv in merged.items()]
        if user is not None:
            uid, gid, groups = bundle.parse_user(user, self.records.path(record["id"], "rootfs"))
            process["user"] = {"uid": uid, "gid": gid, "additionalGids": groups}
        if chdir is not None:
            process["cwd"] = chdir
        return process

    def logs(self, record, since=None, until=None, tail=None):
        """Its output so far, from its log driver: a list of {time, stream, log} (see logs.read)."""
        return container_logs.read(self.records.path(record["id"]), record, since, until, tail)


def _runtime_failed(stderr):
    """runc's own failure (no such file, bad user...) rather than the command's exit status."""
    return any(word in stderr for word in ('level=error', 'exec failed', 'OCI runtime exec failed'))


def _tail(path, size=2000):
    """'; ' and the end of a file (the monitor's own errors, or systemd-run's), if it has any."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - size))
            text = f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return "; " + text if text else ""


def _read_line(fd, timeout):
    data = b""
    deadline = time.time() + timeout
    try:
        while not data.endswith(b"\n") and time.time() < deadline:
            ready, dummy, dummy2 = select.select([fd], [], [], max(0.0, deadline - time.time()))
            if not ready:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace").strip()
