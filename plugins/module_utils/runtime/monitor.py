# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-container monitor (like conmon): a detached process that runs the container with
the OCI runtime, keeps its output as JSON lines with timestamps, records its exit code and
time and applies the restart policy. (Published ports are the kernel's: netavark's DNAT.)

It must outlive the Ansible module that started it and the module's deleted temp files, so
this file is stdlib-only and self-contained: the engine copies it into the store
(``<root>/bin/monitor.py``) and runs that copy. Usage::

    python3 monitor.py CONTAINER_DIR HANDSHAKE_FD RUNTIME_ARGV_JSON
"""

from __future__ import annotations

import datetime
import json
import os
import selectors
import subprocess
import sys
import time

STATE = "state.json"
LOG = "log.json"
STOP_REQUEST = "stop-requested"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_json(path, obj):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


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
        proc = subprocess.Popen(self.runtime + ["run", "--bundle", self.dir, "--pid-file", pid_file, self.id],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pid = self.wait_for_pid(proc, pid_file)
        if pid:
            self.update_state(status="running", pid=pid, started_at=now(), finished_at=None, exit_code=None,
                              monitor_pid=os.getpid())
            self.report("ok %d" % pid)
        errors = self.pump(proc)
        code = proc.wait()
        if not pid:
            self.report("error %s" % (errors.strip().splitlines() or ["the runtime exited with %d" % code])[-1])
        self.update_state(status="exited", pid=None, exit_code=code, finished_at=now())
        return code, bool(pid)

    def wait_for_pid(self, proc, pid_file, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with open(pid_file) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                pass
            if proc.poll() is not None:
                return None
            time.sleep(0.005)
        return None

    def pump(self, proc):
        """Copy the container's stdout and stderr to the log, a JSON line per line of output."""
        errors = []
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
        sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
        pending = {"stdout": b"", "stderr": b""}
        with open(self.path(LOG), "a") as log:
            while sel.get_map():
                for key, dummy in sel.select():
                    data = os.read(key.fileobj.fileno(), 65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        if pending[key.data]:  # a last line without a newline
                            self.write_line(log, key.data, pending[key.data])
                        continue
                    lines = (pending[key.data] + data).split(b"\n")
                    pending[key.data] = lines.pop()
                    for line in lines:
                        self.write_line(log, key.data, line + b"\n")
                    if key.data == "stderr":
                        errors.append(data.decode("utf-8", "replace"))
                log.flush()
        return "".join(errors)[-4000:]

    @staticmethod
    def write_line(log, stream, data):
        log.write(json.dumps({"time": now(), "stream": stream, "log": data.decode("utf-8", "replace")}) + "\n")

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


def main(argv):
    directory, fd, runtime = argv[1], int(argv[2]), json.loads(argv[3])
    os.chdir(directory)
    Monitor(directory, fd, runtime).loop()


if __name__ == "__main__":
    main(sys.argv)
