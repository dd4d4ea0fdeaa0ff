# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitor's log drivers: json-file rotation stays within max_size x max_file and keeps the
newest lines; journald entries carry Docker's fields in the journal's native format."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import struct

from ansible_collections.strata.containers.plugins.module_utils.runtime import logdrivers

RECORD = {"id": "ab" * 32, "name": "chatty", "image": "busybox:latest"}


def _write_lines(writer, count, stream="stdout"):
    for i in range(count):
        writer.write(stream, b"line %05d\n" % i)
    writer.close()


def _files(directory):
    return sorted(n for n in os.listdir(directory) if n.startswith("log.json"))


def _lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as handle:
        return [json.loads(line) for line in handle]


def test_json_file_rotates_into_max_file_files_never_over_the_bound(tmp_path):
    writer = logdrivers.JsonFile(str(tmp_path / "log.json"), max_size=4000, max_file=3)
    _write_lines(writer, 2000)
    assert _files(tmp_path) == ["log.json", "log.json.1", "log.json.2"]
    sizes = [os.path.getsize(tmp_path / n) for n in _files(tmp_path)]
    assert all(s <= 4000 for s in sizes) and sum(sizes) <= 3 * 4000
    newest = _lines(str(tmp_path / "log.json"))
    assert newest[-1]["log"] == "line 01999\n" and newest[-1]["stream"] == "stdout"
    older = _lines(str(tmp_path / "log.json.2")) + _lines(str(tmp_path / "log.json.1")) + newest
    numbers = [int(e["log"].split()[1]) for e in older]
    assert numbers == list(range(numbers[0], 2000))  # the newest kept, in order, without a gap


def test_json_file_lines_are_dockers(tmp_path):
    writer = logdrivers.JsonFile(str(tmp_path / "log.json"))
    writer.write("stderr", b"caf\xc3\xa9 \"quoted\"\n")
    writer.close()
    raw = (tmp_path / "log.json").read_text()
    assert raw.startswith('{"log":"caf\\u00e9 \\"quoted\\"\\n","stream":"stderr","time":"')
    stamp = json.loads(raw)["time"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$", stamp), stamp


def test_rotation_continues_after_a_restart(tmp_path):
    """A new writer (the container's next run) appends and counts what is already there."""
    path = str(tmp_path / "log.json")
    for run in range(3):
        writer = logdrivers.JsonFile(path, max_size=2000, max_file=2)
        _write_lines(writer, 60)  # about 1.8 kB a run: only the runs together pass max_size
    assert _files(tmp_path) == ["log.json", "log.json.1"]
    assert all(os.path.getsize(tmp_path / n) <= 2000 for n in _files(tmp_path))


def test_max_file_1_starts_the_file_again(tmp_path):
    writer = logdrivers.JsonFile(str(tmp_path / "log.json"), max_size=2000, max_file=1)
    _write_lines(writer, 100)
    assert _files(tmp_path) == ["log.json"]
    assert _lines(str(tmp_path / "log.json"))[-1]["log"] == "line 00099\n"


def test_compress_gzips_the_rotated_files(tmp_path):
    writer = logdrivers.JsonFile(str(tmp_path / "log.json"), max_size=3000, max_file=3, compress=True)
    _write_lines(writer, 1000)
    assert _files(tmp_path) == ["log.json", "log.json.1.gz", "log.json.2.gz"]
    numbers = [int(e["log"].split()[1]) for n in ("log.json.2.gz", "log.json.1.gz", "log.json")
               for e in _lines(str(tmp_path / n))]
    assert numbers == list(range(numbers[0], 1000))


def _decode(datagram):
    """journald's native format back into {name: value}."""
    fields, rest = {}, datagram
    while rest:
        head, sep, tail = rest.partition(b"\n")
        if b"=" in head:
            name, dummy, value = head.partition(b"=")
            fields[name.decode()] = value.decode()
            rest = tail
        else:
            size = struct.unpack("<Q", tail[:8])[0]
            fields[head.decode()] = tail[8:8 + size].decode()
            assert tail[8 + size:9 + size] == b"\n"
            rest = tail[9 + size:]
    return fields


def test_journal_entries_carry_dockers_fields(tmp_path):
    path = str(tmp_path / "journal.socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as journal:
        journal.bind(path)
        writer = logdrivers.Journal(logdrivers.journal_fields(RECORD, None), path)
        writer.write("stdout", b"hello\n")
        writer.write("stderr", b"two\nlines\n")  # one line of the container cannot hold \n; the format can
        writer.write("stdout", b"a piece")
        writer.close()
        out, err, piece = (_decode(journal.recv(65536)) for dummy in range(3))
    assert out == {"MESSAGE": "hello", "PRIORITY": "6", "CONTAINER_ID": "ab" * 6, "CONTAINER_ID_FULL": "ab" * 32,
                   "CONTAINER_NAME": "chatty", "CONTAINER_TAG": "ab" * 6, "SYSLOG_IDENTIFIER": "ab" * 6,
                   "IMAGE_NAME": "busybox:latest"}
    assert (err["MESSAGE"], err["PRIORITY"]) == ("two\nlines", "3")
    assert piece["CONTAINER_PARTIAL_MESSAGE"] == "true" and piece["MESSAGE"] == "a piece"


def test_a_missing_journal_drops_lines_and_says_so_once(tmp_path, capsys):
    writer = logdrivers.Journal(logdrivers.journal_fields(RECORD, "web"), str(tmp_path / "nothing"))
    writer.write("stdout", b"one\n")
    writer.write("stdout", b"two\n")
    writer.close()
    assert capsys.readouterr().err.count("journald: cannot send") == 1


def test_open_writer_follows_the_records_log_config(tmp_path):
    assert isinstance(logdrivers.open_writer(str(tmp_path), dict(RECORD, log_config={"driver": "none"})),
                      logdrivers.Discard)
    default = logdrivers.open_writer(str(tmp_path), RECORD)  # a container made before log_config
    assert (default.max_size, default.max_file) == (logdrivers.DEFAULT_MAX_SIZE, logdrivers.DEFAULT_MAX_FILE)
    default.close()


def test_rfc3339_nano():
    assert logdrivers.rfc3339_nano(1700000000123456789) == "2023-11-14T22:13:20.123456789Z"
    assert logdrivers.rfc3339_nano(1700000000120000000) == "2023-11-14T22:13:20.12Z"
    assert logdrivers.rfc3339_nano(1700000000000000000) == "2023-11-14T22:13:20Z"
