# -*- coding: utf-8 -*-
"""container_exec as a playbook uses it (issue 20, item 7): a non-zero exit status is returned,
not a failure, unless fail_on_error; tty gives the command a terminal; detach starts it and
returns at once; check mode runs nothing. Then ``strata exec -t`` and ``-d``. One container,
one real playbook run and one check-mode run."""

from __future__ import annotations

import json
import subprocess
import sys

from ansible_runner import run_playbook

from test_cli import STRATA

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/strata.containers.strata:
      root: "{{ root }}"
  tasks:
    - strata.containers.container:
        name: box
        image: "{{ image }}"
        network_mode: none
        command: [sleep, "1000"]
        stop_timeout: 0
      check_mode: false
    - name: a non-zero status is returned, the task does not fail
      strata.containers.container_exec:
        container: box
        command: sh -c 'echo out; echo err >&2; exit 3'
      register: nonzero
    - name: with fail_on_error it fails
      strata.containers.container_exec:
        container: box
        command: sh -c 'echo out; exit 3'
        fail_on_error: true
      register: failing
      ignore_errors: true
    - name: no terminal by default
      strata.containers.container_exec:
        container: box
        argv: [test, -t, "0"]
      register: pipes
    - name: a terminal with tty
      strata.containers.container_exec:
        container: box
        argv: [sh, -c, 'test -t 0 && test -t 1 && tty && echo "$TERM" && echo to-stderr >&2']
        tty: true
      register: terminal
    - name: detached, it waits for /go that a later task makes
      strata.containers.container_exec:
        container: box
        argv: [sh, -c, 'while [ ! -e /go ]; do sleep 0.1; done; echo done > /detached']
        detach: true
      register: detached
    - name: a detached command that does not exist fails
      strata.containers.container_exec:
        container: box
        argv: [no-such-command]
        detach: true
      register: missing
      ignore_errors: true
    - name: mark
      strata.containers.container_exec:
        container: box
        argv: [touch, /go, /marker]
      register: marked
    - name: the detached process ran on and wrote its file
      strata.containers.container_exec:
        container: box
        command: sh -c 'for i in $(seq 100); do test -s /detached && exec cat /detached; sleep 0.1; done; exit 1'
        fail_on_error: true
      register: finished
      when: not ansible_check_mode
    - name: what ran (check mode ran nothing)
      strata.containers.container_exec:
        container: box
        command: sh -c 'ls /go /marker /detached 2>/dev/null; true'
      register: present
      check_mode: false
    - strata.containers.container: {name: box, state: absent, force_kill: true}
      check_mode: false
    - ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'nonzero': nonzero, 'failing': failing, 'pipes': pipes, 'terminal': terminal,
                     'detached': detached, 'missing': missing, 'marked': marked, 'finished': finished,
                     'present': present} | to_json }}"
      check_mode: false
"""


def _run(tmp_path, root, image, check):
    book = tmp_path / "exec.yml"
    book.write_text(PLAYBOOK)
    out = tmp_path / "out.json"
    run = run_playbook(str(book), {"root": root, "image": image, "out": str(out)}, check=check)
    assert run.unreachable == 0 and out.exists(), run.output
    return json.loads(out.read_text())


def test_rc_fail_on_error_tty_and_detach(registry, container_root, tmp_path):
    seen = _run(tmp_path, container_root, registry.images["busybox"], check=False)
    nonzero = seen["nonzero"]
    assert not nonzero.get("failed") and nonzero["changed"], nonzero
    assert (nonzero["rc"], nonzero["stdout"], nonzero["stderr"]) == (3, "out\n", "err\n")
    failing = seen["failing"]
    assert failing["failed"] and failing["rc"] == 3 and failing["stdout"] == "out\n", failing
    assert "exited with status 3" in failing["msg"]
    assert seen["pipes"]["rc"] == 1
    terminal = seen["terminal"]
    assert terminal["rc"] == 0 and terminal["stderr"] == "", terminal
    assert terminal["stdout_lines"] == ["/dev/pts/0", "xterm", "to-stderr"], terminal  # one stream, as Docker's
    detached = seen["detached"]
    assert detached["changed"] and not detached.get("failed") and "rc" not in detached, detached
    missing = seen["missing"]
    assert missing["failed"] and "no-such-command" in missing["msg"], missing
    assert seen["finished"]["stdout"] == "done\n"
    assert seen["present"]["stdout_lines"] == ["/detached", "/go", "/marker"]


def test_check_mode_runs_nothing(registry, container_root, tmp_path):
    seen = _run(tmp_path, container_root, registry.images["busybox"], check=True)
    for name in ("nonzero", "failing", "pipes", "terminal", "detached", "marked"):
        result = seen[name]
        assert result["changed"] and not result.get("failed") and "rc" not in result, (name, result)
    assert seen["missing"]["changed"]  # the command is not looked for: nothing runs
    assert seen["present"]["stdout"] == ""


def test_cli_exec_tty_and_detach(registry, container_root):
    def strata(*args):
        return subprocess.run([sys.executable, STRATA, "--root", container_root] + list(args), capture_output=True,
                              text=True, timeout=300, check=False)
    assert strata("run", "-d", "--name", "cli", "--network", "none", registry.images["busybox"],
                  "sleep", "1000").returncode == 0
    try:
        on_tty = strata("exec", "-t", "cli", "tty")
        assert (on_tty.returncode, on_tty.stdout) == (0, "/dev/pts/0\n"), on_tty  # \r\n read as text
        assert strata("exec", "cli", "tty").returncode == 1
        started = strata("exec", "-d", "cli", "sh", "-c", "echo later > /later")
        assert (started.returncode, started.stdout) == (0, ""), started
        waited = strata("exec", "cli", "sh", "-c", "for i in $(seq 100); do test -s /later && exec cat /later;"
                                                   " sleep 0.1; done; exit 1")
        assert waited.stdout == "later\n"
    finally:
        strata("rm", "-f", "cli")
