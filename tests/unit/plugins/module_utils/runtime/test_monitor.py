# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitor's memory and files stay bounded whatever a container prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc

import pytest

from ansible_collections.strata.containers.plugins.module_utils.containers import lifecycle as containers
from ansible_collections.strata.containers.plugins.module_utils.runtime import monitor
from ansible_collections.strata.containers.plugins.module_utils.store.containers import ContainerStore

MIB = 1024 * 1024


def _monitor(tmp_path, log_config=None):
    directory = tmp_path / "c1"
    directory.mkdir()
    (directory / "container.json").write_text(json.dumps({"id": "c1", "log_config": log_config}))
    return monitor.Monitor(str(directory), None, ["runc"])


def _pump(mon, script):
    """A process standing in for ``runc run``: ``script`` writes to its stdout and stderr."""
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        tracemalloc.start()
        errors = mon.pump(proc, monitor.logdrivers.open_writer(mon.dir, mon.config))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        proc.wait()
    return errors, peak


def _entries(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle]


def test_a_chatty_stderr_is_not_kept_in_memory(tmp_path):
    """24 MiB on stderr over a container's life: the monitor keeps only its end."""
    mon = _monitor(tmp_path)
    script = ("import sys\nline = b'e' * 1023 + b'\\n'\nfor i in range(24 * 1024): sys.stderr.buffer.write(line)\n"
              "sys.stderr.buffer.write(b'runc: the last word\\n')")
    errors, peak = _pump(mon, script)
    assert errors.splitlines()[-1] == "runc: the last word"
    assert peak < 4 * MIB, "the monitor held %d bytes" % peak


def test_a_line_without_end_is_logged_in_pieces(tmp_path):
    """8 MiB with no newline: pieces of LINE_MAX in the log, not one buffer that grows."""
    mon = _monitor(tmp_path)
    errors, peak = _pump(mon, "import sys\nfor i in range(128): sys.stdout.buffer.write(b'%c' % (97 + i % 26) * 65536)")
    assert errors == ""
    assert peak < 4 * MIB, "the monitor held %d bytes" % peak
    entries = _entries(os.path.join(mon.dir, monitor.LOG))
    assert all(len(e["log"]) <= monitor.LINE_MAX for e in entries)
    text = "".join(e["log"] for e in entries)
    assert len(text) == 8 * MIB and text.startswith("a" * 65536 + "b")


def test_the_log_is_rotated_past_its_limit(tmp_path):
    """log.json grows to max_size, then becomes log.json.1: two files of at most max_size each."""
    mon = _monitor(tmp_path, {"driver": "json-file", "max_size": 256 * 1024, "max_file": 2})
    _pump(mon, "for i in range(40000): print('line %d' % i)")  # about 3 MiB of JSON lines
    names = sorted(os.listdir(mon.dir))
    assert names == ["container.json", "log.json", "log.json.1"]
    for name in names[1:]:
        assert os.path.getsize(os.path.join(mon.dir, name)) <= 256 * 1024
    newest = _entries(os.path.join(mon.dir, monitor.LOG))
    assert newest[-1]["log"] == "line 39999\n"

    # what `logs` shows: the older file, then the newer, in order and without a gap
    store = containers.Containers.__new__(containers.Containers)
    store.records = ContainerStore(str(tmp_path))
    shown = [int(e["log"].split()[1]) for e in store.logs({"id": "c1", "name": "c1"})]
    assert shown == list(range(shown[0], 40000)) and len(shown) > len(newest)


@pytest.mark.parametrize("size, kept", [(100, True), (2 * MIB, False)])
def test_monitor_err_is_emptied_at_a_start_once_too_big(tmp_path, size, kept):
    path = tmp_path / "monitor.err"
    path.write_bytes(b"x" * size)
    with monitor.open_capped(str(path)) as handle:
        handle.write(b"new\n")
    assert path.read_bytes() == (b"x" * size if kept else b"") + b"new\n"


FAKE_RUNTIME = r'''
import os, sys
args = sys.argv[1:]
with open(args[args.index("--pid-file") + 1], "w") as handle:
    handle.write(str(os.getpid()))
warning = 'level=warning msg="skipping device /dev/char/10:200 for systemd"\n'
if "--log" in args:
    with open(args[args.index("--log") + 1], "a") as handle:
        handle.write(warning)
else:
    sys.stderr.write(warning)
print("hello from the container")
'''


def test_the_runtimes_own_warnings_stay_out_of_the_containers_log(tmp_path):
    """runc's systemd driver warns on its stderr, which is the container's: given --log, it
    writes there instead, and the container's log holds only what the container printed."""
    fake = tmp_path / "fake-runc"
    fake.write_text(FAKE_RUNTIME)
    (tmp_path / "state").mkdir()
    mon = _monitor(tmp_path)
    mon.runtime = [sys.executable, str(fake), "--root", str(tmp_path / "state")]
    code, started = mon.run_once()
    assert (code, started) == (0, True)
    assert [(e["stream"], e["log"]) for e in _entries(os.path.join(mon.dir, monitor.LOG))] == [
        ("stdout", "hello from the container\n")]
    with open(os.path.join(mon.dir, monitor.RUNTIME_LOG)) as handle:
        assert "skipping device" in handle.read()
