# -*- coding: utf-8 -*-
"""The roles check their variables before any task runs (meta/argument_specs.yml): a wrong
choice or type stops the play at once with the variable's name; the defaults pass. Only the
validation runs here (``--tags`` naming no task: the check is tagged ``always``)."""

from __future__ import annotations

import json

import pytest
from ansible_runner import run_playbook

GOOD = {
    "strata.containers.host": {},
    "strata.containers.app": {"app_name": "web", "app_image": "busybox"},
}
BAD = [
    ("strata.containers.host", {"strata_runtime": "docker"}, "strata_runtime"),
    ("strata.containers.host", {"strata_apt_cache_valid_time": "a day"}, "strata_apt_cache_valid_time"),
    ("strata.containers.app", {"app_name": "web", "app_state": "running"}, "app_state"),
    ("strata.containers.app", {"app_name": "web", "app_ports": "8080:80:x", "app_env": ["A=1"]}, "app_env"),
    ("strata.containers.app", {"app_image": "busybox"}, "app_name"),
]


def _play(tmp_path, role, variables):
    path = tmp_path / "play.yml"
    play = [{"hosts": "localhost", "gather_facts": False,
             "roles": [{"role": role, "vars": variables}]}]
    path.write_text(json.dumps(play))
    return str(path)


@pytest.mark.parametrize("role", sorted(GOOD))
def test_defaults_pass_the_role_check(tmp_path, role):
    run = run_playbook(_play(tmp_path, role, GOOD[role]), extra_args=["--tags", "no-such-tag"])
    assert run.rc == 0 and run.failed == 0, run.output


@pytest.mark.parametrize("role, variables, culprit", BAD, ids=[b[2] for b in BAD])
def test_a_wrong_variable_stops_the_role_before_any_task(tmp_path, role, variables, culprit):
    run = run_playbook(_play(tmp_path, role, variables), extra_args=["--tags", "no-such-tag"])
    # The check is the role's first task: it failed, so nothing else ran (ok=0).
    assert run.failed == 1 and run.ok == 0, run.output
    assert "Validating arguments against arg spec" in run.output and culprit in run.output, run.output
