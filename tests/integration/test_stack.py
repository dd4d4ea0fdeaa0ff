# -*- coding: utf-8 -*-
"""The stack module (issue 22) through ansible-playbook, on tests/integration/stack-app: web ->
api (built from a context) -> db (a health check, a named volume), on two networks, web
published on 127.0.0.1. Up in dependency order and serving; a second run changes nothing; an
environment change recreates only its service; replicas 3 then 1; down keeps the named volume
(its data is there at the next up) unless asked; the strata compose command on the same
project; a bad file (a cycle, a schema error, a missing required variable) starts nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from ansible_runner import run_module

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack-app")
STRATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bin", "strata")
PROJECT = "stacktest"
NETWORKS = ("stacktest_front", "stacktest_back")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _page(port, timeout=60):
    """The page web serves (a fresh name may take aardvark-dns a moment: docs/networks.md)."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/cgi-bin/index.cgi" % port, timeout=10) as response:
                text = response.read().decode()
            if "says" in text and "db " in text and text.rstrip().split("db ")[-1]:
                return text.strip()
            last = text
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError("web did not serve api's and db's answer: %r" % (last,))


@pytest.fixture
def stack(registry, container_root):
    port = _free_port()
    env = {"BUSYBOX": registry.images["busybox"], "WEB_PORT": str(port)}

    def up(check=False, diff=False, **extra):
        args = dict({"name": PROJECT, "project_src": APP, "root": container_root, "env": env,
                     "wait_timeout": 60}, **extra)
        args["env"] = dict(env, **extra.get("env", {}))
        return run_module("stack", args, check=check, diff=diff)
    up.port, up.root, up.env = port, container_root, env
    try:
        yield up
    finally:
        engine = Engine(container_root)
        engine.stacks.down(PROJECT, remove_volumes=True)
        for name in NETWORKS:  # host-wide: never left behind, whatever failed above
            engine.networks.ensure(name, state="absent", force=True)


def _ok(result):
    assert not result["failed"], result.get("msg")
    return result


def _cli(stack, *args):
    """``strata --root ROOT compose -p stacktest -f .../compose.yaml ARGS``: (stdout, stderr)."""
    proc = subprocess.run([sys.executable, STRATA, "--root", stack.root, "compose", "-p", PROJECT, "-f",
                           os.path.join(APP, "compose.yaml")] + list(args), env=dict(os.environ, **stack.env),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def _did(result):
    return [(s["action"], s["container"]) for s in result["services"]]


def test_stack_up_idempotent_env_change_scale_and_down(stack):
    checked = _ok(stack(check=True, diff=True))
    assert checked["changed"] and _did(checked) == [
        ("create", "stacktest-db-1"), ("create", "stacktest-api-1"), ("create", "stacktest-web-1")]
    assert checked["containers"] == [] and Engine(stack.root).networks.info("default")  # nothing made
    assert not any(n["name"] in NETWORKS for n in Engine(stack.root).networks.info())

    up = _ok(stack(diff=True))
    assert up["changed"] and _did(up) == _did(checked)  # dependencies first: db, api, web
    assert "create network stacktest_front" in up["actions"] and "create volume stacktest_data" in up["actions"]
    assert "stacktest-db-1 (db)" in up["diff"]["after"]
    states = {c["name"]: c["state"] for c in up["containers"]}
    assert set(states) == {"stacktest-db-1", "stacktest-api-1", "stacktest-web-1"}
    assert all(s["running"] for s in states.values()), states
    assert states["stacktest-db-1"]["health"]["status"] == "healthy"  # api waited for it
    labels = Engine(stack.root).containers.info("stacktest-api-1")[0]["config"]["labels"]
    assert labels["com.docker.compose.project"] == PROJECT and labels["com.docker.compose.service"] == "api"
    assert labels["com.docker.compose.container-number"] == "1" and labels["com.docker.compose.config-hash"]
    page = _page(stack.port)
    assert page.startswith("web: api ") and "says hello" in page, page
    stamp = page.split("db ")[-1]

    again = _ok(stack())
    assert again["changed"] is False and again["services"] == [], again["services"]
    assert _ok(stack(check=True))["changed"] is False

    greeted = _ok(stack(env={"API_GREETING": "bonjour"}))
    assert [(s["action"], s["container"], s["reason"]) for s in greeted["services"]] == [
        ("recreate", "stacktest-api-1", "configuration changed (env)")]
    assert "says bonjour" in _page(stack.port)

    scaled = _ok(stack(env={"API_GREETING": "bonjour", "API_REPLICAS": "3"}))
    assert _did(scaled) == [("create", "stacktest-api-2"), ("create", "stacktest-api-3")]
    assert sorted(c["name"] for c in scaled["containers"] if c["service"] == "api") == \
        ["stacktest-api-1", "stacktest-api-2", "stacktest-api-3"]
    down_to_one = _ok(stack(env={"API_GREETING": "bonjour", "API_REPLICAS": "1"}))
    assert [(s["action"], s["container"], s["reason"]) for s in down_to_one["services"]] == [
        ("remove", "stacktest-api-2", "scale down to 1"), ("remove", "stacktest-api-3", "scale down to 1")]

    stopped = _ok(stack(state="stopped"))
    assert sorted(_did(stopped)) == [("stop", "stacktest-api-1"), ("stop", "stacktest-db-1"), ("stop", "stacktest-web-1")]
    assert not any(c["state"]["running"] for c in stopped["containers"])
    started = _ok(stack(env={"API_GREETING": "bonjour"}))
    assert [(s["action"], s["reason"]) for s in started["services"]] == [("start", "was exited")] * 3
    assert [s["container"] for s in started["services"]] == ["stacktest-db-1", "stacktest-api-1", "stacktest-web-1"]

    down = _ok(stack(state="absent"))
    assert down["changed"] and down["containers"] == []
    assert "remove network stacktest_front" in down["actions"]
    assert not any(n["name"] in NETWORKS for n in Engine(stack.root).networks.info())
    assert [v["Name"] for v in Engine(stack.root).volumes.info()] == ["stacktest_data"]  # kept
    assert _ok(stack(state="absent"))["changed"] is False

    _ok(stack(env={"API_GREETING": "bonjour"}))
    assert _page(stack.port).split("db ")[-1] == stamp  # the named volume's data came back

    # the command line on the same project: up -d (bonjour there too: nothing to do), ps, logs
    stack.env["API_GREETING"] = "bonjour"
    assert "Container" not in _cli(stack, "up", "-d")[1]
    table = _cli(stack, "ps")[0].splitlines()
    assert table[0].split() == ["NAME", "IMAGE", "SERVICE", "STATUS", "PORTS"]
    assert sorted(line.split()[0] for line in table[1:]) == ["stacktest-api-1", "stacktest-db-1", "stacktest-web-1"]
    assert "127.0.0.1:%d->80/tcp" % stack.port in [line for line in table if "web" in line][0]
    assert _cli(stack, "logs", "db")[0] == "stacktest-db-1 | db ready\n"
    gone = _ok(stack(state="absent", remove_volumes=True))
    assert "remove volume stacktest_data" in gone["actions"] and Engine(stack.root).volumes.info() == []


@pytest.mark.parametrize("definition, words", [
    ({"services": {"a": {"image": "busybox", "depends_on": ["b"]}, "b": {"image": "busybox", "depends_on": ["a"]}}},
     ["dependency cycle between services: a -> b -> a"]),
    ({"services": {"web": {"image": "busybox", "ports": [{"bad": 1}]}}}, ["services.web.ports[0]"]),
    (None, ["required variable BUSYBOX", "the test sets BUSYBOX"]),  # the app with no BUSYBOX
])
def test_bad_files_start_nothing(container_root, definition, words):
    args = {"name": PROJECT, "root": container_root}
    args.update({"definition": definition} if definition else {"project_src": APP})
    failed = run_module("stack", args)
    assert failed["failed"] and all(w in failed["msg"] for w in words), failed
    assert Engine(container_root).containers.info() == []
    assert not any(n["name"].startswith(PROJECT + "_") for n in Engine(container_root).networks.info())
