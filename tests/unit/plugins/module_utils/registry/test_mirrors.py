# -*- coding: utf-8 -*-
"""Credentials and mirrors, as Podman keeps them: the username and password given for a
registry go to that registry only; a mirror gets what the auth file (Docker's config.json) has
for the mirror's own host, or nothing."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import EngineError
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.registry import auth

ORIGIN_USER, ORIGIN_PASSWORD = "alice", "origin-secret"
MIRROR_USER, MIRROR_PASSWORD = "mirror-bot", "mirror-secret"


def _demands_a_password(server, seen):
    """Basic auth: 401 without credentials, then 404 (the pull fails; the headers are what count)."""
    if not seen.headers.get("authorization"):
        return 401, {"WWW-Authenticate": 'Basic realm="fake"'}, b""
    return 404, {}, b""


def _auth_file(tmp_path, entries):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"auths": {host: {"auth": base64.b64encode(("%s:%s" % up).encode()).decode()}
                                          for host, up in entries.items()}}))
    return str(path)


def _pull_through(tmp_path, origin, mirror, auth_config):
    engine = Engine(str(tmp_path / "store"), username=ORIGIN_USER, password=ORIGIN_PASSWORD,
                    auth_config=auth_config, registry_mirrors={origin.addr: [mirror.addr]})
    with pytest.raises(EngineError):
        engine.images.pull("%s/r:latest" % origin.addr)


def test_a_mirror_never_gets_the_password_given_for_the_registry(fake_server, tmp_path):
    origin, mirror = fake_server(_demands_a_password), fake_server(_demands_a_password)
    _pull_through(tmp_path, origin, mirror, _auth_file(tmp_path, {}))
    assert mirror.seen and mirror.authorizations() == []
    assert auth.basic_header(ORIGIN_USER, ORIGIN_PASSWORD) in origin.authorizations()  # the registry still does


def test_a_mirror_gets_what_the_auth_file_has_for_its_own_host(fake_server, tmp_path):
    origin, mirror = fake_server(_demands_a_password), fake_server(_demands_a_password)
    config = _auth_file(tmp_path, {mirror.addr: (MIRROR_USER, MIRROR_PASSWORD),
                                   origin.addr: ("someone-else", "for-the-registry")})
    _pull_through(tmp_path, origin, mirror, config)
    assert set(mirror.authorizations()) == {auth.basic_header(MIRROR_USER, MIRROR_PASSWORD)}
    assert set(origin.authorizations()) == {auth.basic_header(ORIGIN_USER, ORIGIN_PASSWORD)}  # the option wins
