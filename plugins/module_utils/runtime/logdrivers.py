# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the monitor sends a container's output: Docker's log drivers.

- ``json-file``: ``log.json``, one ``{"log", "stream", "time"}`` line per line of output, as
  Docker writes it; past ``max_size`` bytes it becomes ``log.json.1`` (the older ones move up one,
  the one past ``max_file`` goes), gzipped when ``compress``; so the files never hold more than
  ``max_size * max_file`` (a single line bigger than ``max_size`` excepted).
- ``journald``: one journal entry per line, with the fields Docker's journald driver sets, in the
  journal's native protocol: a datagram on ``/run/systemd/journal/socket`` (written here, small,
  because the monitor runs with ``python -I -S``: no site-packages, so no python3-systemd).
- ``none``: the output is read and dropped.

Like monitor.py, this file is stdlib-only: the engine copies both into the store's ``bin/``.
The engine (containers/logconfig.py) checks the options and writes the settings into the
container's record as ``log_config``; this file only reads them.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time

LOG = "log.json"
# Without log options the json-file driver keeps today's bound: 16 MiB, rotated once.
# (Docker keeps everything by default; one chatty container must not fill a fleet host's disk.)
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
DEFAULT_MAX_FILE = 2
DEFAULT_CONFIG = {"driver": "json-file", "max_size": DEFAULT_MAX_SIZE, "max_file": DEFAULT_MAX_FILE,
                  "compress": False, "tag": None}
JOURNAL_SOCKET = "/run/systemd/journal/socket"
# Tests only: a socket standing in for journald (this project's test machine has no systemd).
JOURNAL_SOCKET_ENV = "STRATA_TEST_JOURNAL_SOCKET"
PRIORITY = {"stdout": "6", "stderr": "3"}  # info and err, as Docker's journald driver


def journal_socket():
    return os.environ.get(JOURNAL_SOCKET_ENV) or JOURNAL_SOCKET


def rfc3339_nano(ns):
    """Go's time.RFC3339Nano in UTC (trailing zeros of the fraction dropped), as Docker writes."""
    seconds, fraction = divmod(ns, 1000000000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    digits = ("%09d" % fraction).rstrip("0")
    return text + ("." + digits if digits else "") + "Z"


def rotated_name(path, index, compress):
    """log.json, log.json.1, log.json.2.gz... (index 0 is the live file, never compressed)."""
    if index == 0:
        return path
    return "%s.%d%s" % (path, index, ".gz" if compress else "")


class JsonFile:
    """log.json with rotation at ``max_size`` bytes into at most ``max_file`` files."""

    def __init__(self, path, max_size=DEFAULT_MAX_SIZE, max_file=DEFAULT_MAX_FILE, compress=False):
        self.path = path
        self.max_size = max_size
        self.max_file = max_file
        self.compress = compress
        self.handle = open(path, "ab")  # appends after a restart: the size so far counts

    def write(self, stream, data):
        entry = {"log": data.decode("utf-8", "replace"), "stream": stream, "time": rfc3339_nano(time.time_ns())}
        line = json.dumps(entry, separators=(",", ":")).encode() + b"\n"  # Docker's compact form
        if self.max_size and self.handle.tell() > 0 and self.handle.tell() + len(line) > self.max_size:
            self.rotate()
        self.handle.write(line)

    def rotate(self):
        self.handle.close()
        if self.max_file <= 1:  # Docker's max-file 1: the file starts again, empty
            self.handle = open(self.path, "wb")
            return
        for index in range(self.max_file - 1, 0, -1):  # the oldest goes, the others move up one
            older = rotated_name(self.path, index, self.compress)
            if index == self.max_file - 1:
                _remove(older)
            elif os.path.exists(older):
                os.rename(older, rotated_name(self.path, index + 1, self.compress))
        if self.compress:
            _gzip(self.path, rotated_name(self.path, 1, True))
        else:
            os.rename(self.path, rotated_name(self.path, 1, False))
        self.handle = open(self.path, "wb")

    def flush(self):
        self.handle.flush()

    def close(self):
        self.handle.close()


class Journal:
    """One journal entry per line, through journald's native protocol (a datagram per entry)."""

    def __init__(self, fields, path=None):
        self.fields = fields  # the container's: CONTAINER_NAME, CONTAINER_ID...
        self.path = path or journal_socket()
        import socket  # pylint: disable=import-outside-toplevel  # here: the monitor's start imports no more than it uses
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.failed = False

    def write(self, stream, data):
        partial = not data.endswith(b"\n")
        fields = [("MESSAGE", data.rstrip(b"\n") if not partial else data), ("PRIORITY", PRIORITY[stream])]
        if partial:  # a piece of an overlong line, as Docker marks it
            fields.append(("CONTAINER_PARTIAL_MESSAGE", "true"))
        try:
            self.sock.sendto(encode_entry(fields + self.fields), self.path)
        except OSError as exc:
            if not self.failed:  # said once in monitor.err, not per line
                sys.stderr.write("journald: cannot send to %s: %s\n" % (self.path, exc))
                self.failed = True

    def flush(self):
        pass

    def close(self):
        self.sock.close()


class Discard:
    """The ``none`` driver."""

    def write(self, stream, data):
        pass

    def flush(self):
        pass

    def close(self):
        pass


def encode_entry(fields):
    """journald's native format: ``NAME=value\\n``, or for a value with a newline (or any value:
    it is always allowed) ``NAME\\n``, its length as 64-bit little endian, the value, ``\\n``."""
    out = []
    for name, value in fields:
        value = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        if b"\n" in value:
            out.append(name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n")
        else:
            out.append(name.encode() + b"=" + value + b"\n")
    return b"".join(out)


def journal_fields(record, tag):
    """The fields Docker's journald driver puts on every entry of a container."""
    full = record["id"]
    tag = tag or full[:12]
    return [("CONTAINER_ID", full[:12]), ("CONTAINER_ID_FULL", full), ("CONTAINER_NAME", record.get("name", "")),
            ("CONTAINER_TAG", tag), ("SYSLOG_IDENTIFIER", tag), ("IMAGE_NAME", record.get("image") or "")]


def open_writer(directory, record):
    """The writer the container's ``log_config`` asks for (json-file, 16 MiB x 2, when unset)."""
    config = dict(DEFAULT_CONFIG, **(record.get("log_config") or {}))
    if config["driver"] == "none":
        return Discard()
    if config["driver"] == "journald":
        return Journal(journal_fields(record, config.get("tag")))
    return JsonFile(os.path.join(directory, LOG), config["max_size"], config["max_file"], config["compress"])


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _gzip(source, target):
    """``source`` gzipped into ``target`` (written aside, then renamed), then removed."""
    import gzip  # pylint: disable=import-outside-toplevel  # only a rotation with compress needs them
    import shutil  # pylint: disable=import-outside-toplevel
    tmp = target + ".tmp"
    with open(source, "rb") as raw, gzip.open(tmp, "wb") as packed:
        shutil.copyfileobj(raw, packed)
    os.rename(tmp, target)
    os.unlink(source)
