# -*- coding: utf-8 -*-
"""A hostile build context or Dockerfile (issue 16) must never read or write the build host:
each test keeps a host canary outside the context that must stay as it was and must not
end up in the image."""

from __future__ import annotations

import http.server
import io
import os
import stat
import subprocess
import sys
import tarfile
import threading

import pytest
from ansible_runner import run_module

from ansible_collections.strata.containers.plugins.module_utils._errors import BuildError, StepFailed
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="builds run containers and mount overlays")

STRATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bin", "strata")
CANARY = b"host canary: never in an image, never overwritten\n"


@pytest.fixture
def host(tmp_path):
    """A host directory outside every context, with one file; checked untouched afterwards."""
    directory = tmp_path / "host"
    directory.mkdir()
    (directory / "canary").write_bytes(CANARY)
    yield directory
    assert sorted(os.listdir(str(directory))) == ["canary"]
    assert (directory / "canary").read_bytes() == CANARY


def _context(tmp_path, dockerfile, name="ctx"):
    context = tmp_path / name
    context.mkdir()
    (context / "Dockerfile").write_text(dockerfile)
    return context


def _layer_files(engine, image_id):
    """Relative path -> bytes (files) or link target (symlinks) of the image's newest layer."""
    chain = engine.store.images.get(image_id)["layers"][-1]["chain_id"]
    top = engine.store.layers.diff_path(chain)
    found = {}
    for directory, dirs, files in os.walk(top):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(directory, d))]:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, top)
            if os.path.islink(path):
                found[rel] = os.readlink(path)
            else:
                with open(path, "rb") as handle:
                    found[rel] = handle.read()
    return found


def _no_canary_in(files):
    assert not [rel for rel, content in files.items() if content == CANARY], files


def _tar(path, entries, mode="w"):
    """entries: (name, kind, data or link target) with kind "file", "dir", "hardlink" or "symlink"."""
    with tarfile.open(str(path), mode) as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "hardlink": tarfile.LNKTYPE, "symlink": tarfile.SYMTYPE}[kind]
            info.mode = 0o755 if kind == "dir" else 0o777
            info.linkname = data or ""
            tar.addfile(info)


# 1 -------------------------------------------------------------- COPY/ADD staging

@pytest.mark.parametrize("sources", ["d1 d2", "d1 d2.tar"])
def test_a_later_source_never_writes_through_an_earlier_sources_symlink(container_root, tmp_path, host, sources):
    """d1/x is a symlink to a host directory; the next source has x/f (a directory, or a tar
    entry): COPY/ADD must not create f in the host directory."""
    context = _context(tmp_path, "FROM scratch\nADD %s /dst/\n" % sources)
    (context / "d1").mkdir()
    os.symlink(str(host), str(context / "d1" / "x"))
    (context / "d2" / "x").mkdir(parents=True)
    (context / "d2" / "x" / "f").write_bytes(b"planted\n")
    _tar(context / "d2.tar", [("x/f", "file", b"planted\n")])
    with pytest.raises(BuildError, match="(x in the image is not a directory|goes through 'x', which is not a real)"):
        Engine(container_root).builds.build("planted:1", str(context))


def test_copy_destination_follows_image_symlinks_inside_the_root_only(container_root, tmp_path, host):
    """A destination under an image symlink to an absolute path lands at that path in the
    image (as Docker resolves it), never in the host's directory of that name."""
    context = _context(tmp_path, "FROM scratch\nCOPY link /\nCOPY f /link/\n")
    os.symlink(str(host), str(context / "link"))
    (context / "f").write_bytes(b"in the image\n")
    engine = Engine(container_root)
    image_id = engine.builds.build("dest:1", str(context))["image"]["id"]
    assert _layer_files(engine, image_id) == {os.path.join(str(host).lstrip("/"), "f"): b"in the image\n"}


def test_a_device_node_in_the_context_is_copied_as_a_node_never_read(container_root, tmp_path):
    """A context's device node is the host's device: COPY makes the node in the image (as
    Docker does), it never reads the device into a file; setuid bits are kept."""
    context = _context(tmp_path, "FROM scratch\nCOPY dev/ /dev/\nCOPY tool /\n")
    (context / "dev").mkdir()
    os.mknod(str(context / "dev" / "null"), stat.S_IFCHR | 0o666, os.makedev(1, 3))
    (context / "tool").write_bytes(b"#!/bin/sh\n")
    os.chmod(str(context / "tool"), 0o4755)
    engine = Engine(container_root)
    record = engine.store.images.get(engine.builds.build("dev:1", str(context))["image"]["id"])
    first, second = (engine.store.layers.diff_path(layer["chain_id"]) for layer in record["layers"])
    node = os.lstat(os.path.join(first, "dev", "null"))
    assert stat.S_ISCHR(node.st_mode) and node.st_rdev == os.makedev(1, 3)
    assert stat.S_IMODE(os.lstat(os.path.join(second, "tool")).st_mode) == 0o4755


# 2 -------------------------------------------------------------- ADD of a local tar

@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_add_tar_hard_link_to_a_host_file_neither_copies_nor_overwrites_it(container_root, tmp_path, host, mode):
    """A hard link to an absolute host path, then a regular file of that name: the host file
    keeps its content; the link is re-rooted in the destination, where nothing is linked to."""
    canary = str(host / "canary")
    context = _context(tmp_path, "FROM scratch\nADD evil.tar /\n")
    _tar(context / "evil.tar", [("stolen", "hardlink", canary), ("stolen", "file", b"overwritten\n")], mode)
    with pytest.raises(BuildError, match="ADD evil.tar: hard link 'stolen' points "):
        Engine(container_root).builds.build("evil:1", str(context))
    _tar(context / "evil.tar", [("copied", "hardlink", canary)], mode)
    with pytest.raises(BuildError, match="ADD evil.tar: hard link 'copied' points "):
        Engine(container_root).builds.build("evil:2", str(context))


def test_add_tar_is_merged_with_names_and_links_rerooted_in_the_destination(container_root, tmp_path, host):
    """Docker's ADD semantics kept: unpacked onto what the destination holds, absolute names
    and hard link targets inside it; a symlink to the host is stored, never written through."""
    context = _context(tmp_path, "FROM scratch\nADD before good.tar.gz /dst/\n")
    (context / "before").write_bytes(b"kept\n")
    _tar(context / "good.tar.gz", [("/abs/file", "file", b"abs\n"), ("twin", "hardlink", "/abs/file"),
                                   ("out", "symlink", str(host))], "w:gz")
    engine = Engine(container_root)
    image_id = engine.builds.build("good:1", str(context))["image"]["id"]
    assert _layer_files(engine, image_id) == {"dst/before": b"kept\n", "dst/abs/file": b"abs\n", "dst/twin": b"abs\n",
                                              "dst/out": str(host)}
    _tar(context / "bad.tar", [("out", "symlink", str(host)), ("out/planted", "file", b"planted\n")])
    (context / "Dockerfile").write_text("FROM scratch\nADD bad.tar /dst/\n")
    with pytest.raises(BuildError, match="goes through 'out', which is not a real directory"):
        engine.builds.build("bad:1", str(context))


# 3 -------------------------------------------------------------- COPY --from with a glob

def test_copy_from_glob_is_matched_inside_the_stage_root(container_root, tmp_path, host):
    """The stage's /data is a symlink to the host directory's path: the glob lists that path
    inside the stage (what the stage put there), never the host's files."""
    context = _context(tmp_path, "FROM scratch AS src\nCOPY data /\nCOPY inroot/ %s/\n"
                                 "FROM scratch\nCOPY --from=src /data/* /out/\n" % host)
    os.symlink(str(host), str(context / "data"))
    (context / "inroot").mkdir()
    (context / "inroot" / "mine").write_bytes(b"the stage's own\n")
    engine = Engine(container_root)
    image_id = engine.builds.build("glob:1", str(context))["image"]["id"]
    assert _layer_files(engine, image_id) == {"out/mine": b"the stage's own\n"}
    (context / "Dockerfile").write_text("FROM scratch AS src\nCOPY data /\nFROM scratch\nCOPY --from=src /data/* /out/\n")
    with pytest.raises(BuildError, match="not found in the stage"):
        engine.builds.build("glob:2", str(context))


# 4 -------------------------------------------------------------- the context's bounds

def test_a_symlink_to_a_sibling_whose_name_extends_the_contexts_is_outside(container_root, tmp_path, host):
    """``ctx/link -> ../ctx-secrets``: its path starts with the context's, yet it is outside."""
    context = _context(tmp_path, "FROM scratch\nCOPY link/key /\n")
    secrets = tmp_path / "ctx-secrets"
    secrets.mkdir()
    (secrets / "key").write_bytes(CANARY)
    (secrets / "Dockerfile").write_text("SECRETWORD in a host file\n")
    os.symlink("../ctx-secrets", str(context / "link"))
    engine = Engine(container_root)
    with pytest.raises(BuildError, match="leads outside the build context"):
        engine.builds.build("secret:1", str(context))
    (context / "Dockerfile").unlink()
    os.symlink("../ctx-secrets/Dockerfile", str(context / "Dockerfile"))
    with pytest.raises(BuildError, match="leads outside the build context") as failed:
        engine.builds.build("secret:2", str(context))
    assert "SECRETWORD" not in str(failed.value)
    (context / "Dockerfile").unlink()
    (context / "Dockerfile").write_text("FROM scratch\n")
    os.symlink("../ctx-secrets/key", str(context / ".dockerignore"))
    with pytest.raises(BuildError, match=".dockerignore leads outside the build context"):
        engine.builds.build("secret:3", str(context))


# 5 -------------------------------------------------------------- RUN's network

class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        body = b"host service\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


@pytest.fixture
def host_service():
    """An HTTP server on the build host's 127.0.0.1 (only there): its port."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_run_reaches_the_hosts_loopback_only_with_network_host(registry, container_root, tmp_path, host_service):
    context = _context(tmp_path, "FROM %s\nRUN wget -q -O /got http://127.0.0.1:%d/\n"
                       % (registry.images["busybox"], host_service))
    args = {"name": "net:1", "source": "build", "path": str(context), "root": container_root}
    shared = run_module("image", dict(args, network="host"))
    assert not shared["failed"], shared
    engine = Engine(container_root)
    assert _layer_files(engine, shared["image"]["id"])["got"] == b"host service\n"
    for network in ({}, {"network": "default"}, {"network": "none"}):  # the cached host step is not reused
        isolated = run_module("image", dict(args, **network))
        assert isolated["failed"] and "returned a non-zero code" in isolated["msg"], isolated
        assert "refused" in isolated["msg"] or "unreachable" in isolated["msg"], isolated
    with pytest.raises(StepFailed):
        engine.builds.build("net:2", str(context), network="none")
    for network, code in (("none", 1), ("default", 1), ("host", 0)):  # strata build --network
        proc = subprocess.run([sys.executable, STRATA, "--root", container_root, "build", "--no-cache", "--network",
                               network, "-t", "net:3", str(context)], capture_output=True, text=True, timeout=300,
                              check=False)
        assert (proc.returncode != 0) is bool(code), (network, proc.stdout, proc.stderr)
