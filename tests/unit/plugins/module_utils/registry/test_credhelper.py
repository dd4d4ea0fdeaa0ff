# -*- coding: utf-8 -*-
"""Credential helpers and the auth file: a helper is asked about the host contacted only, an
answer for another host is not used, a failing, hanging or missing helper is a clear error that
never shows the password, and the file is replaced 0600 keeping what it had."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import AuthenticationError, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.registry import authfile, credhelper


def _helper(tmp_path, monkeypatch, body):
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    path = bindir / "docker-credential-fake"
    path.write_text("#!/bin/sh\necho \"$1 $(cat)\" >> %s/asked\n%s\n" % (tmp_path, body))
    path.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    return tmp_path / "asked"


def test_the_helper_is_asked_about_this_host_only(tmp_path, monkeypatch):
    asked = _helper(tmp_path, monkeypatch, 'echo \'{"ServerURL": "reg:5000", "Username": "u", "Secret": "p"}\'')
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {"reg:5000": "fake"},
                                  "auths": {"other:5000": {"auth": base64.b64encode(b"o:q").decode()}}}))
    assert authfile.credentials("reg:5000", str(config)) == ("u", "p")
    assert authfile.credentials("other:5000", str(config)) == ("o", "q")  # no helper for it: the file
    assert asked.read_text().splitlines() == ["get reg:5000"]


def test_an_answer_for_another_host_is_refused(tmp_path, monkeypatch):
    _helper(tmp_path, monkeypatch, 'echo \'{"ServerURL": "evil:443", "Username": "u", "Secret": "p"}\'')
    with pytest.raises(AuthenticationError, match="evil:443 when asked for reg:5000"):
        credhelper.get("fake", "reg:5000")


def test_not_found_is_none_and_a_failure_is_named(tmp_path, monkeypatch):
    _helper(tmp_path, monkeypatch, 'echo "credentials not found in native keychain"; exit 1')
    assert credhelper.get("fake", "reg:5000") == (None, None)
    _helper(tmp_path, monkeypatch, 'echo "keyring is locked" >&2; exit 1')
    with pytest.raises(AuthenticationError, match="docker-credential-fake could not give .*keyring is locked"):
        credhelper.get("fake", "reg:5000")
    with pytest.raises(AuthenticationError) as caught:
        credhelper.store("fake", "reg:5000", "u", "the-secret")
    assert "the-secret" not in str(caught.value)


def test_missing_hanging_and_badly_named_helpers(tmp_path, monkeypatch):
    with pytest.raises(AuthenticationError, match="docker-credential-absent .* not installed"):
        credhelper.get("absent", "reg:5000")
    with pytest.raises(InvalidSpec, match="not valid"):
        credhelper.get("../../bin/sh", "reg:5000")
    _helper(tmp_path, monkeypatch, "sleep 5")
    monkeypatch.setattr(credhelper, "TIMEOUT", 0.5)
    with pytest.raises(AuthenticationError, match="did not answer 'get' within"):
        credhelper.get("fake", "reg:5000")


def test_save_is_0600_keeps_other_keys_and_replaces_every_spelling(tmp_path):
    path = tmp_path / "d" / "config.json"
    config = {"auths": {"https://reg:5000": {"auth": "eDp5"}, "keep:1": {"auth": "eDp5"}}, "psFormat": "x"}
    authfile.save(str(path), authfile.set_inline(config, authfile.server_key("https://reg:5000/v2/"), "u", "p"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    written = json.loads(path.read_text())
    assert sorted(written["auths"]) == ["keep:1", "reg:5000"] and written["psFormat"] == "x"
    assert authfile.inline(written, "reg:5000") == ("u", "p")
    assert sorted(os.listdir(path.parent)) == ["config.json"]


def test_server_keys():
    assert authfile.server_key("docker.io") == authfile.HUB_KEY
    assert authfile.server_key("https://index.docker.io/v1/") == authfile.HUB_KEY
    assert authfile.server_key("http://Reg.example:5000/") == "reg.example:5000"
    with pytest.raises(InvalidSpec):
        authfile.server_key("a b")
