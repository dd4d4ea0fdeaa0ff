# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-container monitor (like conmon): a detached process that runs the container with
the OCI runtime, sends its output to its log driver (logdrivers.py), records its exit code and
time, applies the restart policy and runs its health checks (health.py, in a thread). (Published
ports are the kernel's: netavark's DNAT.)

It must outlive the Ansible module that started it and the module's deleted temp files, so
this file (and logdrivers.py) is stdlib-only: the engine copies both into the store
(``<root>/bin/monitor.py``, ``<root>/bin/logdrivers.py``) and runs that copy through
``<root>/bin/monitor``, a script that imports it (so its bytecode is cached). Usage::

    python3 -S -I <root>/bin/monitor CONTAINER_DIR HANDSHAKE_FD RUNTIME_ARGV_JSON
"""

from __future__ import annotations

import json
import os
import select
import selectors
import subprocess
import sys
import threading
import time

try:
    from . import logdrivers  # imported as part of the engine
except ImportError:  # run as the store's copy: bin/logdrivers.py sits next to it (-I leaves its folder out of sys.path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import logdrivers  # pylint: disable=import-error

STATE = "state.json"
LOG = logdrivers.LOG
# The runtime's own messages (runc's and crun's warnings: they would otherwise share the
# container's stderr and land in its log). A failed start is still said on stderr as well.
RUNTIME_LOG = "runtime.log"
STOP_REQUEST = "stop-requested"
# Bounds, whatever the container prints: its log driver bounds its log (logdrivers.py); a
# line longer than LINE_MAX is logged in pieces, as Docker's json-file does; the monitor keeps
# only the last ERRORS_TAIL of stderr, for the message of a start that failed; monitor.err is
# emptied at a start when it passed ERR_MAX.
LINE_MAX = 16 * 1024
ERRORS_TAIL = 64 * 1024
ERR_MAX = 1024 * 1024


def now():
    """UTC, with microseconds (time rather than datetime: one import less at each start)."""
    seconds = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%06dZ" % int(seconds % 1 * 1000000)


def write_json(path, obj):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def open_capped(path, limit=None):
    """``path`` opened to append, emptied first when it has grown past ``limit`` (ERR_MAX)."""
    handle = open(path, "ab")
    if handle.tell() > (ERR_MAX if limit is None else limit):
        handle.truncate(0)
    return handle


def split_at_char(data, size):
    """``data[:size]`` and the rest, cut before a UTF-8 character rather than inside it."""
    for back in range(4):
        cut = size - back
        if cut >= len(data) or not 0x80 <= data[cut] < 0xC0:  # not a continuation byte
            return data[:cut], data[cut:]
    return data[:size], data[size:]


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def should_restart(policy, exit_code, restarts, stop_requested):
    """Docker's rules: no, always, unless-stopped, on-failure[:max]."""
    if stop_requested or not policy or policy == "no":
        return False
    if policy in ("always", "unless-stopped"):
        return True
    if policy.startswith("on-failure"):
        limit = int(policy.split(":", 1)[1]) if ":" in policy else 0
        return exit_code != 0 and (limit == 0 or restarts < limit)
    return False


class OomWatch:
    """Counts the kernel's OOM kills in a container's cgroup v2 while it runs (Docker's
    ``OOMKilled``). memory.events goes away with the cgroup when the runtime removes it at the
    container's exit, so it is watched during the run (the kernel wakes a poller of the file on
    every change), not read after. Nothing to watch on cgroup v1."""

    def __init__(self, pid, root="/sys/fs/cgroup"):
        self.kills = 0
        self.fd = None
        self.lock = threading.Lock()
        try:
            with open("/proc/%d/cgroup" % pid) as f:
                paths = [line[3:].strip() for line in f if line.startswith("0::")]
            if not paths or not os.path.exists(os.path.join(root, "cgroup.controllers")):
                return  # v1 (or hybrid: its cgroup2 holds no memory controller)
            self.fd = os.open(os.path.join(root + paths[0], "memory.events"), os.O_RDONLY)
        except (OSError, ValueError):
            return
        self.read()
        threading.Thread(target=self.watch, daemon=True).start()

    def read(self):
        """Take the current oom_kill count; False once the cgroup is gone."""
        with self.lock:
            if self.fd is None:
                return False
            try:
                data = os.pread(self.fd, 4096, 0).decode()
            except OSError:
                return False
        for line in data.splitlines():
            key, dummy, value = line.partition(" ")
            if key == "oom_kill" and value.isdigit():
                self.kills = max(self.kills, int(value))
        return True

    def watch(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLPRI)
        while self.read():
            poller.poll(1000)  # woken at once on a change; the timeout notices a removed cgroup
        with self.lock:
            os.close(self.fd)
            self.fd = None

    def killed(self):
        self.read()
        return self.kills > 0


class Monitor:
    def __init__(self, directory, handshake_fd, runtime_argv):
        self.dir = directory
        self.handshake = handshake_fd
        self.runtime = runtime_argv  # e.g. ["runc", "--root", "/run/strata/runtime-x"]
        self.config = read_json(os.path.join(directory, "container.json"), {})
        self.id = self.config["id"]

    def path(self, name):
        return os.path.join(self.dir, name)

    def update_state(self, **changes):
        state = read_json(self.path(STATE), {})
        state.update(changes)
        write_json(self.path(STATE), state)

    def report(self, message):
        if self.handshake is not None:
            try:
                os.write(self.handshake, (message + "\n").encode())
            finally:
                os.close(self.handshake)
                self.handshake = None

    def run_once(self):
        pid_file = self.path("pid")
        if os.path.exists(pid_file):
            os.unlink(pid_file)
        if os.path.exists(os.path.join(self.runtime[-1], self.id)):  # a run before a crash left its state
            subprocess.run(self.runtime + ["delete", "--force", self.id], capture_output=True, check=False)
        # the log is open (its file made) before the start is answered: a reader right after finds it
        log = logdrivers.open_writer(self.dir, self.config)
        try:
            proc = subprocess.Popen(self.runtime + ["--log", self.path(RUNTIME_LOG), "run", "--bundle", self.dir,
                                                    "--pid-file", pid_file, self.id],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except BaseException:
            log.close()
            raise
        pid = self.wait_for_pid(proc, pid_file)
        checker = None
        oom = None
        if pid:
            oom = OomWatch(pid)
            self.update_state(status="running", pid=pid, started_at=now(), finished_at=None, exit_code=None,
                              monitor_pid=os.getpid(), oom_killed=False)
            checker = self.start_health()
            self.report("ok %d" % pid)
        errors = self.pump(proc, log)
        code = proc.wait()
        if checker is not None:
            checker.stop()
        if not pid:
            self.report("error %s" % (errors.strip().splitlines() or ["the runtime exited with %d" % code])[-1])
        self.update_state(status="exited", pid=None, exit_code=code, finished_at=now(),
                          oom_killed=bool(oom and oom.killed()))
        return code, bool(pid)

    def start_health(self):
        """Its health checks (health.py, in a thread) when it has a HEALTHCHECK; a failure to
        start them is written to monitor.err and leaves the container running."""
        check = read_json(self.path("container.json"), self.config).get("healthcheck")
        if not check:
            return None
        try:
            return load_health().start(self.dir, self.id, self.runtime, check)
        except Exception as exc:  # pylint: disable=broad-except  # the container runs on without checks
            sys.stderr.write("%s cannot start health checks: %r\n" % (now(), exc))
            return None

    @staticmethod
    def wait_for_pid(proc, pid_file):
        """The container's PID once the runtime wrote it, or None when the runtime exits first. No
        deadline of its own: the runtime either starts the container or fails (a monitor that gave
        up while the runtime went on would leave a running container recorded as not started)."""
        while True:
            try:
                with open(pid_file) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                pass
            if proc.poll() is not None:
                return None
            time.sleep(0.005)

    def pump(self, proc, log):
        """Copy the container's stdout and stderr to ``log`` (closed at the end), a JSON line per
        line of output. Returns the end of stderr (the runtime's error, when the start failed)."""
        errors = b""
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
        sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
        pending = {"stdout": b"", "stderr": b""}
        try:
            while sel.get_map():
                for key, dummy in sel.select():
                    data = os.read(key.fileobj.fileno(), 65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        if pending[key.data]:  # a last line without a newline
                            log.write(key.data, pending[key.data])
                        continue
                    pending[key.data] = self.write_lines(log, key.data, pending[key.data] + data)
                    if key.data == "stderr":
                        errors = (errors + data)[-ERRORS_TAIL:]
                log.flush()
        finally:
            log.close()
        return errors.decode("utf-8", "replace")[-4000:]

    @staticmethod
    def write_lines(log, stream, data):
        """Log the complete lines of ``data`` (and pieces of an overlong one); returns the rest."""
        lines = data.split(b"\n")
        rest = lines.pop()
        for line in lines:
            log.write(stream, line + b"\n")
        while len(rest) >= LINE_MAX:
            piece, rest = split_at_char(rest, LINE_MAX)
            log.write(stream, piece)
        return rest

    def loop(self):
        try:
            self.run_until_done()
        finally:
            self.update_state(monitor_pid=None)

    def run_until_done(self):
        restarts = 0
        while True:
            code, started = self.run_once()
            stop = os.path.exists(self.path(STOP_REQUEST))
            # the policy may have been updated in place since the start
            policy = read_json(self.path("container.json"), self.config).get("restart_policy", "no")
            if not started or not should_restart(policy, code, restarts, stop):
                break
            restarts += 1
            self.update_state(restart_count=restarts)
            time.sleep(min(0.1 * 2 ** restarts, 10))  # Docker backs off between restarts too
            if os.path.exists(self.path(STOP_REQUEST)):  # stopped while waiting
                break


def load_health():
    """health.py from beside this file (the engine installs both; -I keeps the script's own
    directory out of sys.path, so it is loaded by path)."""
    import importlib.util  # pylint: disable=import-outside-toplevel  # only a container with a health check needs it
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "health.py")
    spec = importlib.util.spec_from_file_location("strata_health", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv):
    directory, fd, runtime = argv[1], int(argv[2]), json.loads(argv[3])
    os.chdir(directory)
    Monitor(directory, fd, runtime).loop()


if __name__ == "__main__":
    main(sys.argv)
