# -*- coding: utf-8 -*-
"""Log drivers as a user meets them, through ansible-playbook and the ``strata`` CLI: a chatty
container's json-file log stays within max-size x max-file across restarts and keeps its newest
lines, readable with tail, since and until; a changed log option recreates the container; bad
ones are refused by name; ``none`` keeps nothing; journald entries (sent to a socket standing in
for journald: this machine has no systemd; test_vm.py reads the real journal) carry
Docker's fields."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

from ansible_runner import run_playbook

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STRATA = os.path.join(COLLECTION, "bin", "strata")
# Each run counts itself in the container's own /n (the writable layer outlives a restart) and
# prints 40 lines, about 3.3 kB of log: only the runs together pass max-size 4k. The fourth
# run (after a restart asked by the playbook) is the chatty one: 3000 lines.
CHATTY = ('n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; count=40; [ $n -ge 4 ] && count=3000; '
          'i=0; while [ $i -lt $count ]; do echo "run $n line $i"; i=$((i+1)); done; echo "run $n done" >&2; '
          '[ $n -ge 4 ] && exit 0; exit 1')
LOG_OPTIONS = {"max-size": "4k", "max-file": 3}
BOUND = 4000 * 3


def strata(root, *args, code=0, env=None):
    proc = subprocess.run([sys.executable, STRATA, "--root", root] + list(args), capture_output=True, text=True,
                          timeout=300, check=False, env=dict(os.environ, **(env or {})))
    if code is not None:
        assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def _chatty(**args):
    task = {"name": "chatty", "root": "{{ root }}", "image": "{{ image }}", "command": ["sh", "-c", CHATTY],
            "restart_policy": "on-failure:2", "log_driver": "json-file", "log_options": LOG_OPTIONS}
    return {"strata.containers.container": dict(task, **args)}


def _info(**args):
    return {"strata.containers.container_info": dict({"name": "chatty", "root": "{{ root }}", "logs": True}, **args)}


def _play(root, image, *tasks):
    """One ansible-playbook run of ``tasks`` (registered as r0, r1...; failures kept) -> the results."""
    with tempfile.TemporaryDirectory(prefix="strata-play-") as work:
        out = os.path.join(work, "results.json")
        steps = [dict(t, register="r%d" % i, ignore_errors=True) for i, t in enumerate(tasks)]
        names = ", ".join("'r%d': r%d" % (i, i) for i in range(len(tasks)))
        steps.append({"ansible.builtin.copy": {"content": "{{ {%s} | to_json }}" % names, "dest": out}})
        path = os.path.join(work, "play.yml")
        with open(path, "w") as f:
            json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": steps}], f)
        run = run_playbook(path, extra_vars={"root": root, "image": image})
        assert os.path.exists(out), run.output
        with open(out) as f:
            results = json.load(f)
    return [results["r%d" % i] for i in range(len(tasks))]


def _ok(result):
    assert not result.get("failed"), result
    return result


def _streams(entries, text=False):
    """The stdout lines and the stderr lines (each in order; the two may interleave either way)."""
    out = [e["log"] for e in entries if e["stream"] == "stdout"]
    err = [e["log"] for e in entries if e["stream"] == "stderr"]
    return ("".join(out), "".join(err)) if text else (out, err)


def _assert_bounded(info):
    directory = os.path.dirname(info["container"]["log_path"])
    files = {n: os.path.getsize(os.path.join(directory, n)) for n in os.listdir(directory) if n.startswith("log.json")}
    assert set(files) <= {"log.json", "log.json.1", "log.json.2"}, files
    assert all(size <= 4000 for size in files.values()) and sum(files.values()) <= BOUND, files
    return files


def test_json_file_rotates_within_its_bound_and_reads_back(registry, container_root):
    busybox = registry.images["busybox"]
    first, = _play(container_root, busybox, _chatty())
    assert _ok(first)["changed"]
    assert strata(container_root, "wait", "chatty").stdout == "1\n"  # three runs: the policy's 2 restarts done

    # three runs of 3.3 kB into 4k files: rotated across the restarts, nothing lost in between;
    # then the chatty run (3000 lines)
    info, dummy = (_ok(r) for r in _play(container_root, busybox, _info(), _chatty(restart=True)))
    assert info["container"]["state"]["restart_count"] == 2
    assert info["container"]["host_config"]["log_config"] == {"type": "json-file",
                                                              "config": {"max-size": "4k", "max-file": "3"}}
    assert len(_assert_bounded(info)) == 3
    out, err = _streams(info["logs"])
    assert err[-1] == "run 3 done\n"
    runs = [tuple(int(word) for word in line.split()[1::2]) for line in out]  # (run, line)
    assert runs[-1] == (3, 39) and all(b in ((a[0], a[1] + 1), (a[0] + 1, 0)) for a, b in zip(runs, runs[1:])), runs
    assert runs[0][0] < 3  # more than the last run kept
    assert strata(container_root, "wait", "chatty").stdout == "0\n"

    # of the chatty run, the newest lines are kept, in order; tail, since and until pick among them
    info, tail, window = _play(container_root, busybox, _info(), _info(logs_tail=2),
                               _info(logs_since="{{ r0.logs[10].time }}", logs_until="{{ r0.logs[20].time }}"))
    _assert_bounded(_ok(info))
    out, err = _streams(info["logs"])
    assert err[-1] == "run 4 done\n"
    numbers = [int(line.split()[3]) for line in out]
    assert numbers == list(range(numbers[0], 3000)) and len(numbers) > 100
    assert _ok(tail)["logs"] == info["logs"][-2:]
    assert _ok(window)["logs"] == info["logs"][10:21]

    # a changed log option recreates the container, the same again changes nothing
    changed, again = _play(container_root, busybox,
                           _chatty(state="stopped", log_options={"max-size": "8k", "max-file": 3}),
                           _chatty(state="stopped", log_options={"max-size": "8k", "max-file": "3"}))
    assert _ok(changed)["changed"] and changed["container"]["id"] != info["container"]["id"]
    assert not _ok(again)["changed"]

    # the same from the CLI, on the new container: start -a follows its three runs (10 kB into
    # 8k files: a rotation while it follows, which loses nothing)
    attached = strata(container_root, "start", "-a", "chatty", code=1)
    assert attached.stdout == "".join("run %d line %d\n" % (n, i) for n in (1, 2, 3) for i in range(40))
    assert attached.stderr == "run 1 done\nrun 2 done\nrun 3 done\n"
    with open(os.path.join(os.path.dirname(changed["container"]["log_path"]), "log.json")) as handle:
        entries = [json.loads(line) for line in handle]
    cli = strata(container_root, "logs", "--tail", "2", "chatty")
    assert (cli.stdout, cli.stderr) == _streams(entries[-2:], text=True)
    since, until = entries[5]["time"], entries[7]["time"]
    cli = strata(container_root, "logs", "-t", "--since", since, "--until", until, "chatty")
    assert cli.stdout == "".join("%s %s" % (e["time"], e["log"]) for e in entries[5:8])
    assert "since 'yesterday'" in strata(container_root, "logs", "--since", "yesterday", "chatty", code=1).stderr


def test_bad_log_settings_are_refused_and_none_keeps_nothing(registry, container_root):
    busybox = registry.images["busybox"]
    cli = strata(container_root, "run", "--log-opt", "max-sise=1m", busybox, "true", code=125)
    assert "unknown log opt 'max-sise'" in cli.stderr
    cli = strata(container_root, "run", "--log-driver", "syslog", busybox, "true", code=125)
    assert "log_driver 'syslog' is not one of json-file, journald, none" in cli.stderr
    strata(container_root, "run", "-d", "--name", "quiet", "--log-driver", "none", busybox, "echo", "hi")
    assert strata(container_root, "wait", "quiet").stdout == "0\n"
    assert "does not support reading" in strata(container_root, "logs", "quiet", code=1).stderr
    inspect = json.loads(strata(container_root, "inspect", "quiet").stdout)[0]
    assert (inspect["LogPath"], inspect["HostConfig"]["LogConfig"]) == ("", {"Type": "none", "Config": {}})

    bad, quiet = _play(container_root, busybox,
                       {"strata.containers.container": {"name": "bad", "root": "{{ root }}", "image": "{{ image }}",
                                                        "command": ["true"], "log_options": {"max-sise": "1m"}}},
                       {"strata.containers.container_info": {"name": "quiet", "root": "{{ root }}", "logs": True}})
    assert bad["failed"] and "unknown log opt 'max-sise' for json-file log driver" in bad["msg"], bad
    assert quiet["failed"] and "does not support reading" in quiet["msg"]
    assert strata(container_root, "ps", "-aq").stdout.split() == [inspect["Id"][:12]]  # nothing made by the refused ones


def _decode(datagram):
    """journald's native format back into {name: value}."""
    fields, rest = {}, datagram
    while rest:
        head, dummy, tail = rest.partition(b"\n")
        if b"=" in head:
            name, dummy, value = head.partition(b"=")
            fields[name.decode()], rest = value.decode(), tail
        else:
            size = struct.unpack("<Q", tail[:8])[0]
            fields[head.decode()], rest = tail[8:8 + size].decode(), tail[9 + size:]
    return fields


def test_journald_entries_carry_dockers_fields(registry, container_root, tmp_path):
    """The monitor's side of journald, with a socket standing in for /run/systemd/journal/socket."""
    busybox = registry.images["busybox"]
    path = str(tmp_path / "journal.socket")
    env = {"STRATA_TEST_JOURNAL_SOCKET": path}
    failed = strata(container_root, "run", "-d", "--name", "nojournal", "--log-driver", "journald", busybox, "true",
                    code=None, env=env)
    assert failed.returncode == 125 and "needs systemd-journald, and %s does not exist" % path in failed.stderr
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as journal:
        journal.bind(path)
        journal.settimeout(60)
        full = strata(container_root, "run", "-d", "--name", "talker", "--log-driver", "journald", "--log-opt",
                      "tag={{.Name}}", busybox, "sh", "-c", "echo to stdout; echo to stderr >&2", env=env).stdout.strip()
        entries = sorted((_decode(journal.recv(65536)) for dummy in range(2)), key=lambda e: e["PRIORITY"])
    common = {"CONTAINER_ID": full[:12], "CONTAINER_ID_FULL": full, "CONTAINER_NAME": "talker",
              "CONTAINER_TAG": "talker", "SYSLOG_IDENTIFIER": "talker", "IMAGE_NAME": busybox}
    assert entries == [dict(common, MESSAGE="to stderr", PRIORITY="3"), dict(common, MESSAGE="to stdout", PRIORITY="6")]
    assert strata(container_root, "wait", "talker").stdout == "0\n"
    assert strata(container_root, "inspect", "-f", "{{.LogPath}}", "talker").stdout == "\n"
