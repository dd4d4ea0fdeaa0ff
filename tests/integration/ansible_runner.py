# -*- coding: utf-8 -*-
"""Run our modules the way a user does: ``ansible`` for one module call, ``ansible-playbook``
for a playbook. Results come back as Python values."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile

PYTHON = sys.executable  # the target interpreter: the venv with requests, zstandard, pyroute2
CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")


def _env():
    env = dict(os.environ)
    env.update({"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "False",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False", "ANSIBLE_DEPRECATION_WARNINGS": "False"})
    return env


def run_module(module, args, check=False, diff=False, timeout=600):
    """One task of ``strata.containers.<module>`` in a playbook -> its registered result
    (with ``failed``, ``msg`` and ``diff`` as a playbook sees them; callback_plugins/strata_result.py
    writes it out)."""
    with tempfile.TemporaryDirectory(prefix="strata-task-") as work:
        out = os.path.join(work, "result.json")
        task = {"strata.containers." + module: args, "ignore_errors": True}
        play = [{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]
        path = os.path.join(work, "task.yml")
        with open(path, "w") as f:
            json.dump(play, f)  # JSON is YAML
        cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=%s" % PYTHON, path]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        env = dict(_env(), STRATA_TEST_RESULT_FILE=out, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                   ANSIBLE_CALLBACKS_ENABLED="strata_result")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        results = []
        if os.path.exists(out):
            with open(out) as f:
                results = json.load(f)
        if len(results) != 1:
            raise AssertionError("the task left no result:\n%s\n%s" % (proc.stdout, proc.stderr))
        result = results[0]
        result.setdefault("failed", False)
        return result


class PlaybookRun:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        m = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout)
        if not m:
            raise AssertionError("no PLAY RECAP in ansible-playbook output:\n" + self.output)
        self.ok, self.changed, self.unreachable, self.failed = (int(g) for g in m.groups())


def run_playbook(path, extra_vars=None, check=False, timeout=900, extra_args=()):
    cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=%s" % PYTHON,
           path]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    cmd += list(extra_args)
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)
    return PlaybookRun(proc)


def tree_listing(root, skip=("locks",)):
    """Every path under a store root with its type and size: to prove a call changed nothing."""
    out = {}
    if not os.path.exists(root):
        return out
    for top, dirs, files in os.walk(root):
        rel_top = os.path.relpath(top, root)
        if rel_top.split(os.sep)[0] in skip:
            continue
        for name in dirs + files:
            path = os.path.join(top, name)
            st = os.lstat(path)
            out[os.path.relpath(path, root)] = (st.st_mode, st.st_size if not os.path.isdir(path) else 0)
    return out
