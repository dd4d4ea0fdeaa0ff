# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks (Docker's HEALTHCHECK), run by the container's monitor.

The monitor starts a :class:`Checker` thread while the container runs: at each interval it
execs the test in the container with the OCI runtime (``runc exec``, as ``docker exec``
does), with its timeout, and keeps the status (:class:`Health`, Docker's rules) in
``health.json`` beside the container's state. The thread only waits on its own child, so it
never holds up the monitor's log pump or its restart decisions. An unhealthy container is
reported, never killed or restarted, as Docker's.

Like monitor.py, this file is stdlib-only and self-contained: the engine installs it beside
the monitor's copy (``<root>/bin/health.py``), which loads it by path.
"""

from __future__ import annotations

import datetime
import json
import os
import select
import signal
import subprocess
import threading
import time

HEALTH = "health.json"
PROCESS = "health-process.json"
PROBE_PID = "health.pid"
STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"
# Docker's limits: the output kept of one check, and how many checks are kept.
OUTPUT_MAX = 4096
LOG_ENTRIES = 5
SECOND = 10 ** 9  # durations are nanoseconds, as in the image config


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json(path, obj):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def seconds_text(nanoseconds):
    """A duration as Go prints the simple ones: 1s, 1.5s, 500ms."""
    if nanoseconds < SECOND:
        return "%gms" % (nanoseconds / 10 ** 6)
    return "%gs" % (nanoseconds / SECOND)


class Health:
    """The status machine of Docker's health monitor: ``starting`` until a check passes,
    ``healthy`` after a passing check, ``unhealthy`` after ``retries`` failures in a row. A
    failure during the start period, before any check passed, does not count."""

    def __init__(self, retries, start_period, log=None):
        self.retries = retries
        self.start_period = start_period  # seconds
        self.status = STARTING
        self.failing_streak = 0
        self.log = list(log or [])[-LOG_ENTRIES:]

    def record(self, exit_code, output, start, end, since_start):
        """One check's result; ``since_start``: seconds from the container's start to the check's."""
        self.log = (self.log + [{"start": start, "end": end, "exit_code": exit_code,
                                 "output": output}])[-LOG_ENTRIES:]
        if exit_code == 0:
            self.failing_streak = 0
            self.status = HEALTHY
        elif not (self.status == STARTING and since_start < self.start_period):
            self.failing_streak += 1
            if self.failing_streak >= self.retries:
                self.status = UNHEALTHY

    def as_dict(self):
        return {"status": self.status, "failing_streak": self.failing_streak, "log": self.log}


def next_wait(check, elapsed, status):
    """Seconds until the next check: ``start_interval`` while starting within the start period,
    else ``interval``, and within the start period never past its end (so the first check that
    counts comes right after it, as Docker's)."""
    interval, start_period = check["interval"] / SECOND, check["start_period"] / SECOND
    if elapsed >= start_period:
        return interval
    wait = check["start_interval"] / SECOND if status == STARTING else interval
    return min(wait, start_period - elapsed)


def read_capped(stream, proc, deadline, limit=OUTPUT_MAX):
    """What the check printed, up to ``limit`` bytes (the rest read and dropped, "..." marks it);
    returns (text, timed_out). Stops when the check has exited, even if a process it left in the
    background still holds the pipe."""
    kept, dropped = b"", False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return _text(kept, dropped), True
        ready, dummy, dummy2 = select.select([stream], [], [], min(left, 0.1))
        if ready:
            data = os.read(stream.fileno(), 65536)
            if not data:
                return _text(kept, dropped), False
            room = limit - len(kept)
            kept, dropped = kept + data[:max(room, 0)], dropped or len(data) > room
        elif proc.poll() is not None:
            return _text(kept, dropped), False


def _text(data, dropped):
    return data.decode("utf-8", "replace") + ("..." if dropped else "")


class Checker:
    """The checks of one run of the container, in a daemon thread of the monitor."""

    def __init__(self, directory, container_id, runtime, check):
        self.dir = directory
        self.id = container_id
        self.runtime = runtime
        self.check = check
        previous = read_json(self.path(HEALTH), {}) or {}
        # Docker keeps the last checks over a restart, but starts the status afresh.
        self.health = Health(check["retries"], check["start_period"] / SECOND, previous.get("log"))
        self.started = time.monotonic()
        self.stopping = threading.Event()
        self.probe = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.loop, name="health", daemon=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self):
        spec = read_json(self.path("config.json"), {}) or {}
        write_json(self.path(PROCESS), dict(spec.get("process") or {}, args=self.check["argv"], terminal=False))
        self.save()
        self.thread.start()
        return self

    def stop(self, timeout=10):
        """The container has ended: no more checks, and a running one is killed (its result dropped)."""
        self.stopping.set()
        with self.lock:
            if self.probe is not None:
                self.kill_probe(self.probe)
        self.thread.join(timeout)

    def save(self):
        write_json(self.path(HEALTH), self.health.as_dict())

    def loop(self):
        while not self.stopping.wait(next_wait(self.check, time.monotonic() - self.started, self.health.status)):
            if self.paused():
                continue  # Docker does not check a paused container
            start, began = now(), time.monotonic()
            exit_code, output = self.run_probe()
            if self.stopping.is_set():
                return
            self.health.record(exit_code, output, start, now(), began - self.started)
            self.save()

    def paused(self):
        try:
            proc = subprocess.run(self.runtime + ["state", self.id], capture_output=True, timeout=30, check=False)
            return json.loads(proc.stdout).get("status") == "paused"
        except (OSError, subprocess.SubprocessError, ValueError, AttributeError):
            return False

    def run_probe(self):
        """(exit code, output) of one check; -1 and Docker's message when it exceeds its timeout."""
        pid_file = self.path(PROBE_PID)
        if os.path.exists(pid_file):
            os.unlink(pid_file)
        argv = self.runtime + ["exec", "--process", self.path(PROCESS), "--pid-file", pid_file, self.id]
        try:
            with self.lock:
                if self.stopping.is_set():
                    return -1, "stopped"
                self.probe = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                              stderr=subprocess.STDOUT)
        except OSError as exc:
            return -1, "cannot run the health check: %s" % exc
        proc = self.probe
        try:
            output, timed_out = read_capped(proc.stdout, proc, time.monotonic() + self.check["timeout"] / SECOND)
            if timed_out:
                self.kill_probe(proc)
                proc.wait()
                text = "Health check exceeded timeout (%s)" % seconds_text(self.check["timeout"])
                return -1, text + (": " + output if output else "")
            return proc.wait(), output
        finally:
            proc.stdout.close()
            with self.lock:
                self.probe = None

    def kill_probe(self, proc):
        """The check's process in the container (by the PID runc wrote), then runc exec itself."""
        if proc.poll() is not None:
            return  # runc exec outlives the process it runs: that PID is gone (and may be reused)
        try:
            with open(self.path(PROBE_PID)) as f:
                os.kill(int(f.read().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass  # not started yet, or already gone
        proc.kill()


def start(directory, container_id, runtime, check):
    """The checker of a container that has a health check, started."""
    return Checker(directory, container_id, runtime, check).start()
