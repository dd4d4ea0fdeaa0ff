# -*- coding: utf-8 -*-
"""The container options users of community.docker and containers.podman write (issue 20 item 6),
through ansible-playbook and seen from inside the container: capabilities, devices and their
cgroup rules, ulimits, sysctls, tmpfs and /dev/shm, an init as PID 1, env_file, groups, cgroup
limits, the OOM score; idempotency and check mode; comparisons; detach=false with auto_remove;
the strata run flags; and bad input refused with nothing made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from ansible_runner import run_playbook, tree_listing

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A parent that leaves an orphan (reparented to PID 1), then becomes a process that never reaps.
ORPHAN = "(sleep 1 &); exec sleep 3600"
# Waits until the orphan has ended, then counts the zombies (a zombie has no cmdline).
ZOMBIES = ("for i in $(seq 200); do"
           " busy=0; for f in /proc/[0-9]*; do [ \"$(tr '\\0' ' ' < $f/cmdline 2>/dev/null)\" = 'sleep 1 ' ] && busy=1;"
           " done; [ $busy = 0 ] && break; sleep 0.05; done;"
           " cat /proc/[0-9]*/stat | awk '$3 == \"Z\"' | wc -l")


def _ok(result):
    assert not result.get("failed"), result
    return result


def _play(root, *tasks):
    """Several tasks in one ansible-playbook run (each its own ansible start costs seconds):
    (module, args[, "check"][, "diff"]) -> their registered results, in order."""
    with tempfile.TemporaryDirectory(prefix="strata-play-") as work:
        out = os.path.join(work, "results.json")
        steps = []
        for number, (module, args, *modes) in enumerate(tasks):
            step = {"strata.containers." + module: dict({"root": root}, **args), "register": "r%d" % number,
                    "ignore_errors": True}
            step.update({"check_mode": True} if "check" in modes else {}, **({"diff": True} if "diff" in modes else {}))
            steps.append(step)
        collect = "[%s] | to_json" % ", ".join("r%d" % n for n in range(len(tasks)))
        steps.append({"ansible.builtin.copy": {"content": "{{ %s }}" % collect, "dest": out}, "check_mode": False})
        path = os.path.join(work, "play.yml")
        with open(path, "w") as handle:
            json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": steps}], handle)
        run = run_playbook(path)
        assert os.path.exists(out), run.output
        with open(out) as handle:
            return json.load(handle)


def _sh(name, script):
    return ("container_exec", {"container": name, "argv": ["sh", "-c", script]})


def _lines(result):
    return _ok(result)["stdout"].splitlines()


def _options(image, env_file, node):
    return {
        "name": "opts", "image": image, "command": ["sh", "-c", ORPHAN], "labels": {"owner": "ops", "team": "web"},
        "cap_drop": ["ALL"], "cap_add": ["net_bind_service"], "security_opts": ["no-new-privileges"],
        "devices": ["/dev/null:/dev/mynull:rwm", "%s:/dev/demo42:r" % node],
        "ulimits": ["nofile:1024:2048"], "sysctls": {"net.ipv4.ip_unprivileged_port_start": "1024"},
        "tmpfs": ["/cache:size=8m"], "shm_size": "16m", "init": True, "env_file": env_file, "env": {"BOTH": "env"},
        "group_add": ["1234"], "memory": "64m", "memory_reservation": "32m", "memory_swap": "128m",
        "cpu_shares": 512, "oom_score_adj": 100,
    }


INSIDE = ("grep -E '^(CapEff|NoNewPrivs)' /proc/self/status;"
          " stat -c '%F %t:%T' /dev/mynull; echo x > /dev/mynull && echo written;"
          # the device's rule is r: reading passes the cgroup (no driver: ENXIO), writing does not (EPERM)
          " cat /dev/demo42 2>&1 | grep -o 'No such device or address';"
          " (echo x > /dev/demo42) 2>&1 | grep -o 'Operation not permitted';"
          # the container's process (runc 1.1's exec gives exec'd ones soft = hard: not ulimit -n here)
          " awk '/open files/ {print $4, $5}' /proc/1/limits; cat /proc/sys/net/ipv4/ip_unprivileged_port_start;"
          " df -k /dev/shm /cache | awk 'NR > 1 {print $2}'; tr '\\0' ' ' < /proc/1/cmdline; echo;"
          " echo \"$FROM_FILE|$BOTH\"; id -G; cat /proc/self/oom_score_adj;"
          " cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/memory/memory.soft_limit_in_bytes"
          " /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes; ") + ZOMBIES


def test_options_seen_from_inside_idempotent_and_compared(registry, container_root, tmp_path):
    env_file = tmp_path / "app.env"
    env_file.write_text("# comment\nFROM_FILE=a b\nBOTH=file\n")
    node = str(tmp_path / "demo42")  # c 42:0, a number no driver has: opening it passes the cgroup or not
    subprocess.run(["mknod", node, "c", "42", "0"], check=True)
    task = _options(registry.images["busybox"], str(env_file), node)

    before = tree_listing(container_root)
    checked, = _play(container_root, ("container", task, "check"))
    assert _ok(checked)["changed"] is True and checked["actions"][-2:] == ["create opts", "start opts"]
    assert tree_listing(container_root) == before  # check mode made nothing

    update = dict(task, cpu_shares=256)
    fewer = dict(update, labels={"owner": "ops"})
    first, inside, again, updated, cgroup, kept, strict = _play(
        container_root, ("container", task), _sh("opts", INSIDE), ("container", task), ("container", update),
        _sh("opts", "cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us"
                    " /sys/fs/cgroup/memory/memory.soft_limit_in_bytes"),
        # a label someone else added is kept with allow_more_present; strict would recreate
        ("container", dict(fewer, state="present", comparisons={"labels": "allow_more_present"})),
        ("container", fewer, "check", "diff"))
    assert _ok(first)["changed"] is True
    assert _lines(inside) == [
        "CapEff:\t0000000000000400", "NoNewPrivs:\t1", "character special file 1:3", "written",
        "No such device or address", "Operation not permitted", "1024 2048", "1024", "16384", "8192",
        "/sbin/docker-init -- sh -c %s " % ORPHAN, "a b|env", "0 1234", "100", "512", "33554432", "134217728",
        "0"], inside["stdout"]  # the last: no zombie, the init reaped the orphan

    assert _ok(again)["changed"] is False and again["container"]["id"] == first["container"]["id"]
    # cgroup limits change in place: the same process, the other limits kept
    assert _ok(updated)["actions"] == ["update opts"] and updated["container"]["id"] == first["container"]["id"]
    assert _lines(cgroup) == ["256", "-1", "33554432"]
    # state present is created: the running container is kept as it is
    assert _ok(kept)["changed"] is False and kept["container"]["state"]["status"] == "running"
    assert _ok(strict)["changed"] is True and strict["actions"][0] == "remove opts"
    assert strict["diff"]["after"]["labels"] == {"owner": "ops"}


def test_detach_false_returns_the_run_and_auto_remove_removes_it(registry, container_root):
    job = {"name": "job", "image": registry.images["busybox"], "detach": False, "auto_remove": True,
           "device_cgroup_rules": ["c 42:* r"],
           "ulimits": [{"name": "nofile", "soft": 100, "hard": 200}],  # community.docker's dict form too
           "command": ["sh", "-c", "echo out; echo err >&2; ulimit -n; mknod /tmp/n c 42 0;"
                                   " cat /tmp/n 2>&1; echo x 2>&1 > /tmp/n; exit 3"]}
    done = dict(job, command=["echo", "done"], auto_remove=False)
    checked, failed, info, fine, rerun = _play(
        container_root, ("container", job, "check"), ("container", job), ("container_info", {"name": "job"}),
        ("container", done), ("container", done))
    assert _ok(checked)["changed"] is True and "rc" not in checked
    assert failed["failed"] is True and failed["rc"] == 3 and failed["status"] == 3, failed
    # the rule lets it read a c 42:* node it made (no driver: ENXIO), not write to it (the cgroup's EPERM)
    assert failed["stdout"].splitlines()[:2] == ["out", "100"] and failed["stderr"] == "err\n"
    assert "No such device or address" in failed["stdout"] and "Operation not permitted" in failed["stdout"]
    assert "Output" in failed["container"] and failed["actions"][-1] == "remove job"
    assert _ok(info)["exists"] is False  # auto_remove removed it
    assert _ok(fine)["rc"] == 0 and fine["stdout"] == "done\n" and fine["container"]["state"]["status"] == "exited"
    assert _ok(rerun)["changed"] is True and rerun["stdout"] == "done\n"  # each run starts it again


def test_bad_options_are_refused_and_make_nothing(registry, container_root):
    base = {"name": "bad", "image": registry.images["busybox"], "command": ["true"]}
    _ok(_play(container_root, ("container", dict(base, name="pull", state="created")))[0])  # the image, once
    before = tree_listing(container_root)
    cases = [({"cap_add": ["CAP_FLY"]}, "unknown capability 'CAP_FLY'"),
             ({"devices": ["/dev/nonexistent-device"]}, "device /dev/nonexistent-device: No such file"),
             ({"sysctls": {"vm.swappiness": "10"}}, "sysctl vm.swappiness is not namespaced"),
             ({"sysctls": {"kernel.panic": "1"}}, "sysctl kernel.panic is not namespaced"),
             ({"sysctls": {"net.ipv4.ip_forward": "1"}, "network_mode": "host"}, "network_mode host shares"),
             ({"ulimits": ["nofile:2048:1024"]}, "soft limit 2048 is above the hard limit 1024"),
             ({"ulimits": ["open_files:10"]}, "unknown ulimit 'open_files'"),
             ({"security_opts": ["apparmor=docker-default"]}, "unknown security option"),
             ({"comparisons": {"labels": "sometimes"}}, "comparisons: labels must be strict")]
    results = _play(container_root, *[("container", dict(base, **args)) for args, dummy in cases])
    for (args, message), result in zip(cases, results):
        assert result["failed"] is True and message in result["msg"], (args, result["msg"])
    assert tree_listing(container_root) == before


def test_strata_run_flags(registry, container_root, tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("GREETING=hello\n")
    proc = subprocess.run(
        [sys.executable, os.path.join(COLLECTION, "bin", "strata"), "--root", container_root, "run", "--rm",
         "--cap-drop", "ALL", "--cap-add", "CAP_NET_BIND_SERVICE", "--ulimit", "nofile=512:1024",
         "--sysctl", "net.ipv4.ip_unprivileged_port_start=99", "--shm-size", "8m", "--tmpfs", "/scratch:size=4m",
         "--init", "--env-file", str(env_file), "--group-add", "4321", "--oom-score-adj", "50",
         "--device", "/dev/null:/dev/n2", "--security-opt", "no-new-privileges:false",
         registry.images["busybox"], "sh", "-c",
         "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; ulimit -n;"
         " cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/self/oom_score_adj;"
         " df -k /dev/shm /scratch | awk 'NR > 1 {print $2}'; tr '\\0' ' ' < /proc/1/cmdline; echo;"
         " echo $GREETING; id -G; stat -c %t:%T /dev/n2"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:7] == ["CapEff:\t0000000000000400", "NoNewPrivs:\t0", "512", "99", "50", "8192", "4096"], lines
    assert lines[7].startswith("/sbin/docker-init -- sh -c ") and lines[8] == "hello", lines
    assert "4321" in lines[9].split() and lines[10] == "1:3", lines
