# -*- coding: utf-8 -*-
"""Bad input gets a clear error and leaves the store as it was."""

from __future__ import annotations

import http.server
import json
import io
import os
import tarfile
import threading
import uuid

from ansible_runner import run_module, tree_listing
from rig import oci_writer


def _tar(*members):
    """members: (TarInfo, data or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name, data=b"x", mode=0o644):
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    return info, data


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def _dir(name):
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info, None


def _push_crafted(registry, tmp_path, layers):
    """A unique image made of ``layers`` (uncompressed tars), pushed with skopeo."""
    layout = str(tmp_path / ("layout-" + uuid.uuid4().hex[:8]))
    # A unique first layer so no blob is shared with another test in this registry.
    layers = [_tar(_file("unique-" + uuid.uuid4().hex, uuid.uuid4().bytes))] + list(layers)
    info = oci_writer.write_image(layout, "crafted", layers)
    name = "%s/crafted/%s:latest" % (registry.addr, uuid.uuid4().hex[:12])
    registry.push("%s:crafted" % layout, name.split("/", 1)[1])
    return name, info


def _seeded_store(registry, root):
    seeded = run_module("image", {"name": registry.images["busybox"], "root": root})
    assert seeded["changed"] is True, seeded
    return tree_listing(root)


def _assert_fails_cleanly(root, before, name, *phrases):
    result = run_module("image", {"name": name, "root": root})
    assert result.get("failed"), result
    for phrase in phrases:
        assert phrase in result["msg"], result["msg"]
    assert tree_listing(root) == before
    assert os.listdir(os.path.join(root, "tmp")) == []
    return result


def test_invalid_reference(registry, tmp_root):
    before = _seeded_store(registry, tmp_root)
    _assert_fails_cleanly(tmp_root, before, "Busybox:latest", "invalid reference format", "lowercase")
    _assert_fails_cleanly(tmp_root, before, "busybox:bad tag!", "invalid reference format")


def test_tampered_blob_is_refused(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    name, info = _push_crafted(registry, tmp_path, [_tar(_file("data/file", b"payload" * 1000))])
    blob = registry.blob_path(info["layer_digests"][-1])
    with open(blob, "r+b") as f:  # same size, other bytes
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        f.seek(0)
        f.write(bytes(data))
    _assert_fails_cleanly(tmp_root, before, name, "does not match its digest")


def test_layer_with_dotdot_paths(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    name, dummy = _push_crafted(registry, tmp_path, [_tar(_file("../../escaped-%s" % uuid.uuid4().hex))])
    result = _assert_fails_cleanly(tmp_root, before, name, "..")
    assert result["error"] == "UnsafePath"


def test_symlink_to_root_then_a_file_through_it(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    target = "/var/tmp/strata-escape-%s" % uuid.uuid4().hex
    name, dummy = _push_crafted(registry, tmp_path, [_tar(_link("escape", "/"), _file("escape" + target))])
    result = _assert_fails_cleanly(tmp_root, before, name)
    assert result["error"] == "UnsafePath"
    assert not os.path.exists(target)


def test_hard_link_to_a_path_outside_the_layer(registry, tmp_root, tmp_path):
    before = _seeded_store(registry, tmp_root)
    for target in ("../../../../etc/passwd", "/etc/passwd"):
        name, dummy = _push_crafted(registry, tmp_path, [_tar(_dir("etc"), _link("etc/pw", target, tarfile.LNKTYPE))])
        result = _assert_fails_cleanly(tmp_root, before, name)
        assert result["error"] == "UnsafePath"


class _HostileRegistry(http.server.BaseHTTPRequestHandler):
    """Debian's registry will neither take nor serve a manifest over 4 MiB, so this one case
    needs a hostile server: it answers /v2/ and serves an endless manifest."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        if self.path == "/v2/":
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        self.end_headers()
        try:
            self.wfile.write(b'{"schemaVersion": 2, "annotations": {"x": "')
            for dummy in range(64):  # 64 MiB unless the client stops reading first
                self.wfile.write(b"p" * (1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_oversized_manifest(registry, tmp_root):
    before = _seeded_store(registry, tmp_root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostileRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        name = "127.0.0.1:%d/hostile/image:huge" % server.server_address[1]
        _assert_fails_cleanly(tmp_root, before, name, "larger than the limit")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_unexpected_os_error_fails_readably(registry, tmp_path):
    """An OSError the engine does not expect (the store's refs.json is a directory) is a failure
    a person can act on: the path and the reason, not Ansible's MODULE FAILURE traceback."""
    root = tmp_path / "store"
    (root / "refs.json").mkdir(parents=True)
    result = run_module("image", {"name": registry.images["busybox"], "root": str(root),
                                  "insecure_registries": [registry.addr]})
    assert result["failed"]
    assert "MODULE FAILURE" not in result["msg"] and "module_stderr" not in result
    assert result["msg"] == "cannot use %s/refs.json: Is a directory (IsADirectoryError)" % root, result["msg"]
    assert result["error"] == "IsADirectoryError" and result["path"] == "%s/refs.json" % root


def test_deeply_nested_manifest_from_the_registry(registry, tmp_root, tmp_path):
    """A manifest with an extra field nested 5,000 deep (the registry's Go parser takes up to
    10,000): a clear InvalidSpec, not a RecursionError traceback, and the store unchanged."""
    before = _seeded_store(registry, tmp_root)
    name, dummy = _push_crafted(registry, tmp_path, [_tar(_file("data/file", b"payload"))])
    raw = registry.raw_manifest(name)
    deep = raw[:-1] + b', "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    deep_name = name.rsplit(":", 1)[0] + ":deep"
    registry.put_manifest(deep_name, deep, json.loads(raw)["mediaType"])
    result = _assert_fails_cleanly(tmp_root, before, deep_name, "manifest is nested 5001 levels deep",
                                   "over the limit of 100")
    assert result["error"] == "InvalidSpec"
