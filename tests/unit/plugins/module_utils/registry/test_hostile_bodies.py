# -*- coding: utf-8 -*-
"""The registry client against a hostile server on 127.0.0.1: every JSON body it parses
(manifests, tag lists, token answers) is bounded in depth, and an ambiguous manifest is refused."""
from __future__ import annotations

import hashlib
import http.server
import json
import threading

import pytest

from ansible_collections.strata.containers.plugins.module_utils.images import pull
from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.oci import reference, spec
from ansible_collections.strata.containers.plugins.module_utils.registry.client import RegistryClient

DEEP = b"[" * 100000 + b"]" * 100000
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
CONFIG_BYTES = json.dumps({"rootfs": {"type": "layers", "diff_ids": [D2]}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG_BYTES).hexdigest()
CONFIG = {"mediaType": spec.OCI_CONFIG, "digest": CONFIG_DIGEST, "size": len(CONFIG_BYTES)}
LAYER = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": D2, "size": 3}
ENTRY = {"mediaType": spec.OCI_MANIFEST, "digest": D1, "size": 2, "platform": {"os": "linux", "architecture": "amd64"}}


class _Hostile(http.server.BaseHTTPRequestHandler):
    routes = {}  # path -> (status, headers, body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        status, headers, body = self.routes.get(self.path.split("?")[0], (404, {}, b"{}"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value.replace("PORT", str(self.server.server_address[1])))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hostile.routes = {"/v2/": (200, {}, b"{}")}
    try:
        yield "127.0.0.1:%d" % server.server_address[1], _Hostile.routes
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _serve_manifest(routes, doc, content_type):
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    routes["/v2/x/manifests/latest"] = (200, {"Content-Type": content_type}, body)


def _resolve(host):
    return pull.resolve(RegistryClient(host), reference.parse(host + "/x:latest"))


def test_deep_manifest_from_a_registry(hostile):
    host, routes = hostile
    _serve_manifest(routes, b'{"schemaVersion": 2, "x": %s}' % DEEP, spec.OCI_MANIFEST)
    with pytest.raises(InvalidSpec, match="manifest is nested 100001 levels deep"):
        _resolve(host)


def test_deep_tag_list_and_token_answer(hostile):
    host, routes = hostile
    routes["/v2/x/tags/list"] = (200, {"Content-Type": "application/json"}, DEEP)
    with pytest.raises(InvalidSpec, match="tags of .* is nested"):
        RegistryClient(host).tags("x")
    routes["/v2/x/tags/list"] = (401, {"WWW-Authenticate": 'Bearer realm="http://127.0.0.1:PORT/token"'}, b"{}")
    routes["/token"] = (200, {"Content-Type": "application/json"}, b'{"token": %s}' % DEEP)
    with pytest.raises(InvalidSpec, match="answer of token service .* is nested"):
        RegistryClient(host).tags("x")


@pytest.mark.parametrize("doc, content_type, words", [
    # CVE-2021-41190: one document that reads as both an index and a manifest.
    ({"schemaVersion": 2, "mediaType": spec.OCI_MANIFEST, "config": CONFIG, "layers": [LAYER], "manifests": [ENTRY]},
     spec.OCI_MANIFEST, "both 'manifests' and"),
    ({"schemaVersion": 2, "config": CONFIG, "layers": [LAYER], "manifests": [ENTRY]}, spec.OCI_INDEX, "both"),
    ({"schemaVersion": 2, "mediaType": spec.OCI_INDEX, "manifests": [ENTRY], "layers": [LAYER]}, spec.OCI_INDEX,
     "both"),
    # The body says one type, the registry another.
    ({"schemaVersion": 2, "mediaType": spec.OCI_MANIFEST, "config": CONFIG, "layers": [LAYER]}, spec.OCI_INDEX,
     "mediaType %s but was served as %s" % (spec.OCI_MANIFEST, spec.OCI_INDEX)),
    ({"schemaVersion": 2, "mediaType": spec.OCI_MANIFEST, "config": CONFIG, "layers": [LAYER]},
     spec.DOCKER_MANIFEST, "but was served as"),
    # No mediaType in the body, and its fields contradict the Content-Type.
    ({"schemaVersion": 2, "config": CONFIG, "layers": [LAYER]}, spec.OCI_INDEX, "(an image index) but it has 'layers'"),
])
def test_ambiguous_manifest_from_a_registry(hostile, doc, content_type, words):
    host, routes = hostile
    _serve_manifest(routes, doc, content_type)
    with pytest.raises(InvalidSpec, match="ambiguous") as info:
        _resolve(host)
    assert words in str(info.value)


def test_unambiguous_manifest_still_resolves(hostile):
    host, routes = hostile
    _serve_manifest(routes, {"schemaVersion": 2, "mediaType": spec.OCI_MANIFEST, "config": CONFIG, "layers": [LAYER]},
                    spec.OCI_MANIFEST + "; charset=utf-8")
    routes["/v2/x/blobs/" + CONFIG_DIGEST] = (200, {}, CONFIG_BYTES)
    resolved = _resolve(host)
    assert resolved.image_id == CONFIG_DIGEST and resolved.manifest.layers[0].digest == D2
