# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OCI runtime's release is checked at first use: one older than its security fix is
reported once per run, as a warning of the module's result."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils import _module
from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError
from ansible_collections.strata.containers.plugins.module_utils.runtime import oci


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each test as a new module run: nothing checked, nothing pending."""
    monkeypatch.setattr(oci, "_CHECKED", {})
    monkeypatch.setattr(oci, "_WARNINGS", [])


def _fake_runtime(tmp_path, text, name="fake-runtime"):
    path = tmp_path / name
    path.write_text("#!/bin/sh\nprintf '%s\\n' '" + text.replace("\n", "' '") + "'\n")
    path.chmod(0o755)
    return str(path)


RUNC_DEBIAN = "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev"


@pytest.mark.parametrize("text, warned", [
    (RUNC_DEBIAN, "runc 1.1.5 is older than 1.1.12, the release that fixed CVE-2024-21626"),
    ("runc version 1.1.11\ncommit: v1.1.11", "runc 1.1.11 is older than 1.1.12"),
    ("runc version 1.0.0-rc93", "runc 1.0.0 is older than 1.1.12"),
    ("runc version 1.1.12\ncommit: v1.1.12", None),
    ("runc version 1.2.0", None),
    ("crun version 1.4.3\ncommit: x", "crun 1.4.3 is older than 1.4.4, the release that fixed CVE-2022-27650"),
    ("crun version 1.8.1\ncommit: f8a096be", None),
    ("something else entirely", None),
])
def test_old_runtime_releases_are_warned_about(tmp_path, text, warned):
    oci.Runtime(str(tmp_path / "store"), _fake_runtime(tmp_path, text))
    taken = oci.take_warnings()
    if warned is None:
        assert taken == []
    else:
        assert len(taken) == 1 and taken[0].startswith(warned)
        assert "/proc are refused" in taken[0]


def test_the_warning_is_given_once_per_run(tmp_path):
    binary = _fake_runtime(tmp_path, RUNC_DEBIAN)
    for dummy in range(3):  # a container service and a builder both make a Runtime
        oci.Runtime(str(tmp_path / "store"), binary)
    assert len(oci.take_warnings()) == 1
    oci.Runtime(str(tmp_path / "store"), binary)
    assert oci.take_warnings() == []


def test_a_runtime_that_cannot_tell_its_version_is_no_error(tmp_path):
    oci.Runtime(str(tmp_path / "store"), str(tmp_path / "not-there"))
    assert oci.take_warnings() == []


class FakeModule:
    _diff = False  # AnsibleModule's: the task's diff mode

    def __init__(self):
        self.warnings, self.exited = [], None

    def warn(self, text):
        self.warnings.append(text)

    def exit_json(self, **result):
        self.exited = ("exit", result)

    def fail_json(self, **result):
        self.exited = ("fail", result)
        raise SystemExit(1)


def test_the_module_glue_passes_the_warning_to_module_warn(tmp_path):
    """In the module's result's warnings, not in the engine's result: exact results stay as they were."""
    binary = _fake_runtime(tmp_path, RUNC_DEBIAN)
    module = FakeModule()
    _module.run(module, lambda: (oci.Runtime(str(tmp_path / "store"), binary), {"changed": False})[1])
    assert module.exited == ("exit", {"changed": False})
    assert len(module.warnings) == 1 and "CVE-2024-21626" in module.warnings[0]

    module = FakeModule()  # a failing run warns too

    def failing():
        oci.Runtime(str(tmp_path / "store"), _fake_runtime(tmp_path, "crun version 1.0", "old-crun"))
        raise ContainerError("boom")
    with pytest.raises(SystemExit):
        _module.run(module, failing)
    assert module.exited[0] == "fail" and module.exited[1]["msg"] == "boom"
    assert len(module.warnings) == 1 and "crun 1.0.0" in module.warnings[0]


def test_the_release_is_remembered_in_the_store_until_the_binary_changes(tmp_path, monkeypatch):
    """A later run (a new process) does not start the runtime again to learn its release, but
    an upgraded binary is asked again."""
    calls = tmp_path / "calls"
    binary = tmp_path / "runc"
    binary.write_text("#!/bin/sh\necho x >> %s\nprintf 'runc version 1.1.5\\n'\n" % calls)
    binary.chmod(0o755)
    store = tmp_path / "store"
    os.makedirs(store / "bin")
    for dummy in range(3):
        monkeypatch.setattr(oci, "_CHECKED", {})  # a new process each time
        oci.Runtime(str(store), str(binary))
        assert "runc 1.1.5 is older" in oci.take_warnings()[0]
    assert calls.read_text().count("x") == 1
    binary.write_text("#!/bin/sh\necho x >> %s\nprintf 'runc version 1.1.12 \\n'\n" % calls)  # the upgrade
    monkeypatch.setattr(oci, "_CHECKED", {})
    oci.Runtime(str(store), str(binary))
    assert oci.take_warnings() == [] and calls.read_text().count("x") == 2
    assert len(json.loads((store / "bin" / "runtime-versions.json").read_text())) == 1  # the old release's entry went


def test_a_store_without_its_bin_folder_is_not_made_by_the_check(tmp_path):
    oci.Runtime(str(tmp_path / "store"), _fake_runtime(tmp_path, RUNC_DEBIAN))
    assert not (tmp_path / "store").exists()
