# -*- coding: utf-8 -*-
"""Health checks as a playbook and the strata command see them: a failing check turns the
container unhealthy after its retries (reported, not killed or restarted), ``state: healthy``
waits for a good check and fails with the last outputs for a bad one, the image's HEALTHCHECK
runs unless disabled, a changed check recreates, and bad input is refused by name.
Intervals are short (200ms to 1s) to keep the run short."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from ansible_runner import PYTHON, _env

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STRATA = os.path.join(COLLECTION, "bin", "strata")


def _play(root, tasks, check=False):
    """Runs ``tasks`` (module name, args[, task keywords]) in one ansible-playbook run, each
    with ignore_errors; returns their registered results in order."""
    with tempfile.TemporaryDirectory(prefix="strata-task-") as work:
        out = os.path.join(work, "results.json")
        play_tasks = []
        for number, (module, args, *more) in enumerate(tasks):
            task = {"strata.containers." + module: dict(args, root=root), "register": "r%d" % number,
                    "ignore_errors": True}
            task.update(more[0] if more else {})
            play_tasks.append(task)
        every = "[%s]" % ", ".join("r%d" % n for n in range(len(tasks)))
        play_tasks.append({"ansible.builtin.copy": {"content": "{{ %s | to_json }}" % every, "dest": out},
                           "check_mode": False})
        path = os.path.join(work, "play.yml")
        with open(path, "w") as f:
            json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": play_tasks}], f)
        cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + PYTHON,
               path] + (["--check"] if check else [])
        proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600, check=False)
        assert os.path.exists(out), proc.stdout + proc.stderr
        with open(out) as f:
            results = json.load(f)
    for result in results:
        result.setdefault("failed", False)
    return results


def _ok(result):
    assert not result["failed"], result
    return result


def _failed(result, *words):
    assert result["failed"], result
    for word in words:
        assert word in result["msg"], (word, result["msg"])
    return result


def test_failing_and_passing_checks_with_state_healthy(registry, container_root):
    # (a wait of 60s at most: a broken checker fails the test in a minute, not in the default 5)
    busybox = {"image": registry.images["busybox"], "network_mode": "none", "command": ["sleep", "1d"],
               "healthy_wait_timeout": 60}
    bad = dict(busybox, name="bad", state="healthy", restart_policy="always",
               healthcheck={"test": ["CMD-SHELL", "echo not ready; exit 1"], "interval": "300ms", "retries": 2})
    # ready after a second; failures before that fall in the start period and do not count
    good = dict(busybox, name="good", state="healthy", command=["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1d"],
                healthcheck={"test": "test -f /tmp/ready && echo ready", "retries": 1, "interval": "1m",
                             "start_period": "1m", "start_interval": "200ms"})
    slow = dict(busybox, name="slow", state="healthy",
                healthcheck={"test": ["CMD", "sleep", "30"], "timeout": "300ms", "interval": "200ms", "retries": 1})
    late = dict(busybox, name="late", state="healthy", healthy_wait_timeout=2,
                healthcheck={"test": "echo still starting; exit 1", "start_period": "1h", "start_interval": "200ms"})
    results = _play(container_root, [
        ("container", bad), ("container_info", {"name": "bad"}),
        ("container", good), ("container", good),
        ("container", slow), ("container_info", {"name": "slow"}),
        ("container", late),
        ("container", dict(good, name="good2"), {"check_mode": True}),
        ("container", dict(busybox, name="x", healthcheck={"retries": -1})),
        ("container", dict(busybox, name="x", healthcheck={"test": "true", "interval": "10 seconds"})),
        ("container", dict(busybox, name="x", healthcheck={"test": ["true"]})),
        ("container_info", {}),
        # stopping it stops the checks (every 300ms): its health log stays as it was a task later
        ("container", {"name": "bad", "state": "stopped", "force_kill": True}),
        ("container_info", {"name": "bad"}),
    ])
    failed_bad, info_bad, first_good, second_good, failed_slow, info_slow, failed_late, checked = results[:8]
    bad_input, listed, stopped, after_stop = results[8:11], results[11], results[12], results[13]

    # the failing check: unhealthy after its 2 retries, with its output in the message and in the log
    _failed(failed_bad, "container bad is unhealthy", 'exit 1: "not ready"')
    bad_state = _ok(info_bad)["container"]["state"]
    assert bad_state["health"]["status"] == "unhealthy" and bad_state["health"]["failing_streak"] >= 2
    assert bad_state["health"]["log"][-1]["exit_code"] == 1
    assert bad_state["health"]["log"][-1]["output"] == "not ready\n"
    assert set(bad_state["health"]["log"][-1]) == {"start", "end", "exit_code", "output"}
    # reported, not killed or restarted (its restart policy is always)
    assert bad_state["status"] == "running" and bad_state["restart_count"] == 0
    assert failed_bad["container"]["state"]["pid"] == bad_state["pid"]

    # the good one: state healthy waits out the start period's failures; a second run changes nothing
    assert _ok(first_good)["changed"] is True
    health = first_good["container"]["state"]["health"]
    assert health["status"] == "healthy" and health["log"][-1] == dict(health["log"][-1], exit_code=0, output="ready\n")
    assert any(entry["exit_code"] == 1 for entry in health["log"])  # it failed before it was ready
    assert first_good["container"]["config"]["healthcheck"]["test"] == ["CMD-SHELL", "test -f /tmp/ready && echo ready"]
    assert _ok(second_good)["changed"] is False
    assert second_good["container"]["state"]["health"]["status"] == "healthy"

    # a check past its timeout is killed and fails
    _failed(failed_slow, "container slow is unhealthy", "Health check exceeded timeout (300ms)")
    assert _ok(info_slow)["container"]["state"]["health"]["log"][-1]["exit_code"] == -1

    # healthy_wait_timeout: still starting (its failures fall in its start period) after 2 seconds
    _failed(failed_late, "container late did not become healthy within 2s (status starting)")
    assert '"still starting"' in failed_late["msg"] or "no check has finished yet" in failed_late["msg"]

    # check mode reports the start without waiting or starting anything
    assert _ok(checked)["changed"] is True and checked["actions"] == ["create good2", "start good2"]

    # bad input, refused by name before anything is made
    _failed(bad_input[0], "healthcheck retries must be a whole number", "-1")
    _failed(bad_input[1], "healthcheck interval", "'10 seconds' is not a duration")
    _failed(bad_input[2], "must start with CMD, CMD-SHELL or NONE")
    assert sorted(c["name"] for c in _ok(listed)["containers"]) == ["bad", "good", "late", "slow"]

    assert _ok(stopped)["container"]["state"]["status"] == "exited"
    assert _ok(after_stop)["container"]["state"]["health"]["log"] == stopped["container"]["state"]["health"]["log"]


def test_image_healthcheck_disable_recreate_and_cli(registry, container_root, tmp_path):
    context = tmp_path / "checked"
    context.mkdir()
    (context / "Dockerfile").write_text(
        "ARG BASE\nFROM ${BASE}\nHEALTHCHECK --interval=200ms --retries=1 CMD echo from the image\n"
        'CMD ["sleep", "1d"]\n')
    base = {"image": "checked:1", "pull": "never", "network_mode": "none", "healthy_wait_timeout": 60}
    results = _play(container_root, [
        ("image", {"name": "checked:1", "source": "build", "path": str(context),
                   "build_args": {"BASE": registry.images["busybox"]}}),
        ("container", dict(base, name="img", state="healthy")),
        ("container", dict(base, name="off", healthcheck={"disable": True})),
        ("container", dict(base, name="none", healthcheck={"test": ["NONE"]}, state="healthy")),
        ("container", dict(base, name="img", state="healthy", healthcheck={"interval": "200ms"})),  # the image's
        ("container", dict(base, name="img", state="healthy", healthcheck={"interval": "300ms"})),
    ])
    dummy, from_image, off, none, same, changed = (_ok(r) for r in results)
    check = from_image["container"]["config"]["healthcheck"]
    assert check["test"] == ["CMD-SHELL", "echo from the image"] and check["interval"] == 200 * 10 ** 6
    assert from_image["container"]["state"]["health"]["log"][-1]["output"] == "from the image\n"
    for disabled in (off, none):  # no check, so no health; state healthy does not wait for one
        assert "health" not in disabled["container"]["state"] and "healthcheck" not in disabled["container"]["config"]
    assert same["changed"] is False
    assert changed["changed"] is True and changed["container"]["id"] != from_image["container"]["id"]
    assert changed["container"]["config"]["healthcheck"]["interval"] == 300 * 10 ** 6

    # the strata command: --health-* flags, the status in ps and inspect
    def strata(*args):
        proc = subprocess.run([sys.executable, STRATA, "--root", container_root] + list(args), capture_output=True,
                              text=True, timeout=300, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    code, out, err = strata("run", "-d", "--name", "cli", "--network", "none", "--health-cmd", "echo cli check",
                            "--health-interval", "200ms", "--health-retries", "1", "checked:1")
    assert code == 0, err
    for dummy in range(100):  # until its first check (200ms)
        status = strata("inspect", "-f", "{{.State.Health.Status}}", "cli")[1].strip()
        if status != "starting":
            break
        time.sleep(0.1)
    assert status == "healthy"
    rows = dict(line.split("|") for line in strata("ps", "--format", "{{.Names}}|{{.Status}}")[1].splitlines())
    assert rows["cli"].startswith("Up ") and rows["cli"].endswith(" (healthy)"), rows
    inspected = json.loads(strata("inspect", "cli")[1])[0]
    assert inspected["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "echo cli check"]
    assert inspected["State"]["Health"]["Log"][-1]["Output"] == "cli check\n"
    code, out, err = strata("run", "-d", "--name", "cli2", "--no-healthcheck", "--health-retries", "2", "checked:1")
    assert code == 125 and "--no-healthcheck conflicts" in err
    code, out, err = strata("create", "--name", "cli3", "--no-healthcheck", "checked:1")
    assert code == 0 and "Healthcheck" not in json.loads(strata("inspect", "cli3")[1])[0]["Config"]
