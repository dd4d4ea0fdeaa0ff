# -*- coding: utf-8 -*-
from __future__ import annotations

from ansible_collections.strata.containers.plugins.module_utils.registry import auth, transport


def test_parse_bearer_challenge():
    scheme, params = auth.parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull"')
    assert scheme == "bearer"
    assert params == {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                      "scope": "repository:library/x:pull"}
    assert auth.parse_challenge('Basic realm="Registry Realm"') == ("basic", {"realm": "Registry Realm"})


def test_plain_http_only_for_loopback_or_listed_registries():
    assert transport.is_insecure("localhost:5000")
    assert transport.is_insecure("127.0.0.1:5000")
    assert transport.is_insecure("[::1]:5000")
    assert not transport.is_insecure("registry.example.com")
    assert transport.is_insecure("registry.example.com:5000", ["registry.example.com:5000"])
    assert not transport.is_insecure("10.0.0.1:5000")
