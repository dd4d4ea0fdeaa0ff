# -*- coding: utf-8 -*-
"""The collection's metadata agrees with its contents: every module is in the action group
``strata`` (so ``module_defaults: group/strata.containers.strata`` reaches it), and
requires_ansible names no ansible-core older than the oldest the suite runs on."""

from __future__ import annotations

import os

import yaml

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(path):
    with open(os.path.join(COLLECTION, path)) as f:
        return yaml.safe_load(f)


def test_action_group_lists_every_module():
    modules = sorted(n[:-3] for n in os.listdir(os.path.join(COLLECTION, "plugins", "modules"))
                     if n.endswith(".py") and not n.startswith("_"))
    assert sorted(_load("meta/runtime.yml")["action_groups"]["strata"]) == modules


def test_requires_ansible_matches_the_tested_versions():
    with open(os.path.join(COLLECTION, "requirements-controller.txt")) as f:
        pin = next(line for line in f if line.startswith("ansible-core"))
    oldest = pin.split(">=")[1].split(",")[0].strip()  # ansible-core>=2.17,<2.20 -> 2.17
    assert _load("meta/runtime.yml")["requires_ansible"] == ">=%s.0" % oldest


def test_galaxy_metadata_points_at_the_project():
    galaxy = _load("galaxy.yml")
    for key in ("repository", "documentation", "homepage", "issues"):
        assert galaxy[key].startswith("https://github.com/strata-containers/strata.containers"), key
    assert os.path.isfile(os.path.join(COLLECTION, "LICENSE"))
    for artefact in (".venv", ".pytest_cache", "tests/output", "*.tar", "bench"):
        assert artefact in galaxy["build_ignore"], artefact


def test_engine_version_is_galaxys():
    from ansible_collections.strata.containers.plugins.module_utils._version import VERSION
    assert VERSION == _load("galaxy.yml")["version"]
