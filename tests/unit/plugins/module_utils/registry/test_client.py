# -*- coding: utf-8 -*-
"""The registry client against fake registries on 127.0.0.1: credentials and tokens go only to
the registry's own scheme, host and port (not to an upload Location or a next-page Link on
another one), a request body is sent again only from its start, and what a registry sends
back is read within limits."""

from __future__ import annotations

import hashlib
import io
import json
import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import (
    AuthenticationError, InvalidSpec, RegistryError)
from ansible_collections.strata.containers.plugins.module_utils.registry import auth
from ansible_collections.strata.containers.plugins.module_utils.registry.client import RegistryClient

USER, PASSWORD = "alice", "origin-secret"
TOKEN = "token-for-the-registry"


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _token_registry(routes):
    """A registry with a bearer token service of its own (``/token``, over plain HTTP on its own
    host: allowed, it is loopback): ``routes(server, seen)`` answers what has a valid token."""
    def answer(server, seen):
        if seen.path.startswith("/token"):
            if seen.headers.get("authorization") != auth.basic_header(USER, PASSWORD):
                return 401, {}, b""
            return 200, {"Content-Type": "application/json"}, json.dumps({"token": TOKEN}).encode()
        if seen.headers.get("authorization") != "Bearer " + TOKEN:
            return 401, {"WWW-Authenticate": 'Bearer realm="%s",service="fake"' % server.url("/token")}, b""
        return routes(server, seen)
    return answer


def _accept_put(server, seen):
    return (201, {}, b"") if seen.method == "PUT" else (404, {}, b"")


@pytest.mark.parametrize("elsewhere", ["another port", "localhost for 127.0.0.1"])
def test_an_upload_location_on_another_host_gets_no_credentials(fake_server, elsewhere):
    other = fake_server(_accept_put)
    target = other.url("/upload/1") if elsewhere == "another port" else None

    def routes(server, seen):
        if seen.method == "POST":
            return 202, {"Location": target or server.url("/upload/1", host="localhost")}, b""
        return 404, {}, b""

    def answer(server, seen):
        if seen.path.startswith("/upload/"):  # the same server by another name: not our registry
            return _accept_put(server, seen)
        return _token_registry(routes)(server, seen)
    registry = fake_server(answer)
    client = RegistryClient(registry.addr, username=USER, password=PASSWORD)
    client.upload_blob("r", io.BytesIO(b"layer"), 5, _digest(b"layer"))

    receiver = other if target else registry
    puts = [s for s in receiver.seen if s.path.startswith("/upload/1")]
    assert [s.body for s in puts] == [b"layer"]
    assert [s.headers.get("authorization") for s in puts] == [None]  # neither the token nor the password
    assert other.authorizations() == []


def test_another_hosts_challenge_is_not_answered_with_our_credentials(fake_server):
    def demanding(server, seen):
        if not seen.headers.get("authorization"):
            return 401, {"WWW-Authenticate": 'Basic realm="other"'}, b""
        return 201, {}, b""
    other = fake_server(demanding)
    registry = fake_server(_token_registry(lambda server, seen: (202, {"Location": other.url("/upload/1")}, b"")))
    client = RegistryClient(registry.addr, username=USER, password=PASSWORD)
    with pytest.raises(AuthenticationError, match="sent only to the registry itself"):
        client.upload_blob("r", io.BytesIO(b"layer"), 5, _digest(b"layer"))
    assert other.seen and other.authorizations() == []


def test_a_next_page_on_another_host_gets_no_credentials(fake_server):
    other = fake_server(lambda server, seen: (200, {}, json.dumps({"tags": ["b"]}).encode()))

    def routes(server, seen):
        link = '<%s>; rel="next"' % other.url("/v2/r/tags/list?n=100&last=a")
        return 200, {"Link": link}, json.dumps({"tags": ["a"]}).encode()
    registry = fake_server(_token_registry(routes))
    client = RegistryClient(registry.addr, username=USER, password=PASSWORD)
    assert client.tags("r") == ["a", "b"]
    assert len(other.seen) == 1 and other.authorizations() == []
    assert "Bearer " + TOKEN in registry.authorizations()  # the registry itself still gets its token


def _failing_first_put(failure):
    def answer(server, seen):
        if seen.method == "POST":
            return 202, {"Location": "/upload/1"}, b""
        puts = [s for s in server.seen if s.method == "PUT"]
        if len(puts) == 1:
            return (503, {}, b"") if failure == 503 else (401, {"WWW-Authenticate": 'Basic realm="fake"'}, b"")
        return 201, {}, b""
    return answer


@pytest.mark.parametrize("failure", [503, 401])
def test_a_retried_upload_sends_the_whole_file_again(fake_server, tmp_path, failure):
    data = os.urandom(3000)
    (tmp_path / "blob").write_bytes(data)
    registry = fake_server(_failing_first_put(failure))
    client = RegistryClient(registry.addr, username=USER, password=PASSWORD)
    with open(tmp_path / "blob", "rb") as handle:
        client.upload_blob("r", handle, len(data), _digest(data))
    assert [s.body for s in registry.seen if s.method == "PUT"] == [data, data]


def test_a_stream_is_not_sent_twice(fake_server):
    data = os.urandom(3000)
    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    registry = fake_server(lambda server, seen: (202, {"Location": "/upload/1"}, b"") if seen.method == "POST"
                           else (503, {}, b""))
    client = RegistryClient(registry.addr)
    with open(read_end, "rb") as stream, pytest.raises(RegistryError, match="503"):
        client.upload_blob("r", stream, len(data), _digest(data))
    assert [s.body for s in registry.seen if s.method == "PUT"] == [data]  # once: a second try would be empty


def test_a_tag_list_page_is_read_within_a_limit(fake_server):
    huge = b" " * (8 << 20) + json.dumps({"tags": ["a"]}).encode()
    registry = fake_server(lambda server, seen: (200, {"Content-Type": "application/json"}, huge))
    with pytest.raises(InvalidSpec, match="limit"):
        RegistryClient(registry.addr).tags("r")


def test_a_token_answer_is_read_within_a_limit(fake_server):
    huge = b" " * (8 << 20) + json.dumps({"token": TOKEN}).encode()

    def answer(server, seen):
        if seen.path.startswith("/token"):
            return 200, {"Content-Type": "application/json"}, huge
        if seen.headers.get("authorization") == "Bearer " + TOKEN:
            return 200, {}, json.dumps({"tags": ["a"]}).encode()
        return 401, {"WWW-Authenticate": 'Bearer realm="%s",service="fake"' % server.url("/token")}, b""
    registry = fake_server(answer)
    with pytest.raises(InvalidSpec, match="limit"):
        RegistryClient(registry.addr).tags("r")
