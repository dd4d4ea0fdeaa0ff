# -*- coding: utf-8 -*-
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import AuthenticationError
from ansible_collections.strata.containers.plugins.module_utils.registry import auth, transport
from ansible_collections.strata.containers.plugins.module_utils.registry.client import RegistryClient


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


def _registry_with_realm(realm_of):
    """A registry whose 401 names the realm ``realm_of(server)``; it accepts any bearer token."""
    def answer(server, seen):
        if seen.path.startswith("/token"):
            return 200, {}, json.dumps({"token": "t"}).encode()
        if not (seen.headers.get("authorization") or "").startswith("Bearer "):
            return 401, {"WWW-Authenticate": 'Bearer realm="%s",service="fake"' % realm_of(server)}, b""
        return 200, {}, json.dumps({"tags": ["a"]}).encode()
    return answer


@pytest.mark.parametrize("elsewhere", ["another port", "localhost for 127.0.0.1"])
def test_a_password_is_not_sent_to_a_plain_http_realm_on_another_host(fake_server, elsewhere):
    token_service = fake_server(lambda server, seen: (200, {}, json.dumps({"token": "t"}).encode()))

    def realm(server):
        if elsewhere == "another port":
            return token_service.url("/token")
        return server.url("/token", host="localhost")
    registry = fake_server(_registry_with_realm(realm))
    client = RegistryClient(registry.addr, username="alice", password="origin-secret")
    with pytest.raises(AuthenticationError) as caught:
        client.tags("r")
    assert realm(registry) in str(caught.value)
    assert token_service.seen == [] and [s for s in registry.seen if s.path.startswith("/token")] == []


def test_a_plain_http_realm_on_the_insecure_registry_itself_gets_the_password(fake_server):
    registry = fake_server(_registry_with_realm(lambda server: server.url("/token")))
    client = RegistryClient(registry.addr, username="alice", password="origin-secret")
    assert client.tags("r") == ["a"]
    assert auth.basic_header("alice", "origin-secret") in registry.authorizations()


def test_an_anonymous_token_may_come_from_any_realm(fake_server):
    token_service = fake_server(lambda server, seen: (200, {}, json.dumps({"token": "t"}).encode()))
    registry = fake_server(_registry_with_realm(lambda server: token_service.url("/token")))
    assert RegistryClient(registry.addr).tags("r") == ["a"]
    assert token_service.authorizations() == []


class _TLSRegistry:
    """The transport of a registry reached over TLS (not insecure); records what it is asked to send."""
    host, scheme, insecure = "registry.example", "https", False

    def __init__(self):
        self.sent = []

    def url(self, path):
        return "https://registry.example" + path

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs.get("auth")))
        raise AssertionError("stop here: the request was made")


@pytest.mark.parametrize("realm", ["http://registry.example/token", "http://registry.example:443/token",
                                   "ftp://registry.example/token", "/token"])
def test_a_tls_registry_cannot_have_its_password_sent_in_the_clear(realm):
    transport = _TLSRegistry()
    authenticator = auth.Authenticator(transport, "alice", "origin-secret")
    with pytest.raises(AuthenticationError, match=realm):
        authenticator.answer('Bearer realm="%s",service="x"' % realm, "repository:r:pull")
    assert transport.sent == []


def test_an_https_realm_elsewhere_gets_the_password():
    transport = _TLSRegistry()
    with pytest.raises(AssertionError, match="stop here"):
        auth.Authenticator(transport, "alice", "pw").answer('Bearer realm="https://auth.example/token"', "s")
    assert transport.sent == [("GET", "https://auth.example/token", ("alice", "pw"))]
