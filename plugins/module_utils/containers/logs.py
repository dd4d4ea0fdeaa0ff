# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker logs``: a container's output read back from its log driver (the json-file files,
rotated ones included, or the journal through ``journalctl``), with ``since``, ``until`` and
``tail`` as Docker takes them. Each entry is ``{time, stream, log}``, oldest first."""

from __future__ import annotations

import calendar
import gzip
import json
import os
import re
import shutil
import subprocess
import time

from .._errors import ContainerError, InvalidSpec
from ..runtime import logdrivers

_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
_DURATION = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 10 ** 3, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9,
            "h": 3600 * 10 ** 9}
JOURNALCTL_TIMEOUT = 120


def config_of(record):
    return dict(logdrivers.DEFAULT_CONFIG, **(record.get("log_config") or {}))


def time_ns(text):
    """An RFC 3339 time (any fraction, Z or an offset) -> nanoseconds since the epoch; None if bad."""
    match = _RFC3339.match(text or "")
    if not match:
        return None
    seconds = calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
    zone = match.group(3)
    if zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        seconds += sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * 10 ** 9 + int((match.group(2) or "0").ljust(9, "0"))


def parse_since(value, what="since", now_ns=None):
    """Docker's --since/--until: an RFC 3339 time, Unix seconds (``1700000000.5``), or a Go
    duration before now (``10m``, ``1h30m``) -> nanoseconds since the epoch."""
    text = str(value).strip()
    now_ns = time.time_ns() if now_ns is None else now_ns
    if re.match(r"^[0-9]+(\.[0-9]{1,9})?$", text):
        whole, dummy, fraction = text.partition(".")
        return int(whole) * 10 ** 9 + int(fraction.ljust(9, "0") or 0)
    if _DURATION.match(text):
        return now_ns - sum(int(float(n) * _UNIT_NS[u]) for n, u in _DURATION_PART.findall(text))
    found = time_ns(text)
    if found is None:
        raise InvalidSpec("%s %r: expected an RFC 3339 time (2026-12-03T16:00:00Z), Unix seconds or a "
                          "duration such as 10m or 1h30m" % (what, value))
    return found


def parse_tail(value):
    """Docker's --tail: a count, or ``all`` (None)."""
    if value is None or str(value).strip().lower() == "all":
        return None
    text = str(value).strip()
    if not re.match(r"^[0-9]+$", text):
        raise InvalidSpec("tail %r: expected a number of lines or 'all'" % (value,))
    return int(text)


def read(directory, record, since=None, until=None, tail=None):
    """The entries in [since, until] (nanoseconds, either may be None), the last ``tail`` of them."""
    config = config_of(record)
    if config["driver"] == "none":
        raise ContainerError('configured logging driver does not support reading (container %s has log_driver '
                             'none)' % record["name"], name=record["name"])
    if config["driver"] == "journald":
        entries = _journal(record, since, until, tail)
    else:
        entries = [e for e in _files(directory, config) if _within(e["ns"], since, until)]
    entries = entries[-tail:] if tail is not None and tail > 0 else ([] if tail == 0 else entries)
    for entry in entries:
        entry.pop("ns", None)
    return entries


def _within(ns, since, until):
    return (since is None or ns >= since) and (until is None or ns <= until)


def _files(directory, config):
    path = os.path.join(directory, logdrivers.LOG)
    entries = []
    for index in range(max(config["max_file"], 1) - 1, -1, -1):  # the oldest first
        name = logdrivers.rotated_name(path, index, config["compress"])
        try:
            with (gzip.open(name, "rt", encoding="utf-8") if name.endswith(".gz")
                  else open(name, encoding="utf-8")) as handle:
                entries.extend(_json_lines(handle))
        except (FileNotFoundError, EOFError, OSError):
            continue  # not rotated that far yet (or one cut short by a crash)
    return entries


def _json_lines(handle):
    for line in handle:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash
        if isinstance(entry, dict) and isinstance(entry.get("log"), str):
            entry["ns"] = time_ns(entry.get("time")) or 0
            yield entry


def _journal(record, since, until, tail):
    """``journalctl -o json CONTAINER_ID_FULL=<id>``, as Docker's journald reader matches."""
    journalctl = shutil.which("journalctl")
    if not journalctl:
        raise ContainerError("container %s logs to journald, but this host has no journalctl" % record["name"],
                             name=record["name"])
    argv = [journalctl, "--no-pager", "-q", "-o", "json", "CONTAINER_ID_FULL=" + record["id"]]
    if since is not None:
        argv.append("--since=@%d.%06d" % divmod(since // 1000, 10 ** 6))
    if until is not None:
        argv.append("--until=@%d.%06d" % divmod(until // 1000, 10 ** 6))
    if tail is not None:
        argv.append("--lines=%d" % tail)
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=JOURNALCTL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ContainerError("journalctl took more than %ds" % JOURNALCTL_TIMEOUT, name=record["name"]) from exc
    if proc.returncode != 0:
        raise ContainerError("journalctl failed: %s" % proc.stderr.decode("utf-8", "replace").strip(),
                             name=record["name"])
    return [entry for entry in (_journal_entry(line) for line in proc.stdout.splitlines()) if entry]


def _journal_entry(line):
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    message = fields.get("MESSAGE")
    if isinstance(message, list):  # journalctl writes a value that is not UTF-8 as its bytes
        message = bytes(b & 0xFF for b in message if isinstance(b, int)).decode("utf-8", "replace")
    if not isinstance(message, str):
        return None
    ns = int(fields.get("__REALTIME_TIMESTAMP") or 0) * 1000
    partial = fields.get("CONTAINER_PARTIAL_MESSAGE") == "true"
    return {"log": message if partial else message + "\n",
            "stream": "stderr" if fields.get("PRIORITY") == logdrivers.PRIORITY["stderr"] else "stdout",
            "time": logdrivers.rfc3339_nano(ns), "ns": ns}


def check_host(record):
    """Before a start: the driver can write here (journald needs its socket, as Docker's does)."""
    if config_of(record)["driver"] == "journald" and not os.path.exists(logdrivers.journal_socket()):
        raise ContainerError("container %s: log_driver journald needs systemd-journald, and %s does not exist "
                             "on this host" % (record["name"], logdrivers.journal_socket()), name=record["name"])
