# -*- coding: utf-8 -*-
"""Docker Hub's search answer (here a fake on 127.0.0.1 in its place) is read within a limit."""

from __future__ import annotations

import json

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.registry import search
from ansible_collections.strata.containers.plugins.module_utils.registry.client import RegistryClient


def _hub(fake_server, monkeypatch, body):
    hub = fake_server(lambda server, seen: (200, {"Content-Type": "application/json"}, body))
    monkeypatch.setattr(search, "HUB_SEARCH", hub.url("/v1/search"))
    return RegistryClient(hub.addr)


def test_hub_results(fake_server, monkeypatch):
    body = json.dumps({"results": [{"name": "busybox", "star_count": 3, "is_official": True}]}).encode()
    client = _hub(fake_server, monkeypatch, body)
    assert search.search("busybox", lambda registry: client) == [
        {"name": "busybox", "description": "", "stars": 3, "official": True, "automated": False}]


def test_an_endless_hub_answer_is_refused(fake_server, monkeypatch):
    client = _hub(fake_server, monkeypatch, b" " * (8 << 20) + json.dumps({"results": []}).encode())
    with pytest.raises(InvalidSpec, match="limit"):
        search.search("busybox", lambda registry: client)
