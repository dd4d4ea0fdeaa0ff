# -*- coding: utf-8 -*-
"""The collection as a user gets it: ``ansible-galaxy collection build`` makes a small tarball of
the collection alone (no local environment, cache, test output or image), and once installed
with ``ansible-galaxy collection install`` it works from a playbook that sets its options once
with ``module_defaults: group/strata.containers.strata``."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile

import yaml
from ansible_runner import PYTHON, _env

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_SIZE = 2 * 1024 * 1024
# Names that must never be in the tarball: local artefacts, caches, images and archives.
FORBIDDEN_PARTS = {".venv", "venv", ".pytest_cache", "__pycache__", ".git", ".tox", ".mypy_cache", "bench"}
FORBIDDEN_SUFFIXES = (".pyc", ".tar", ".tar.gz", ".tgz", ".tar.zst", ".img", ".qcow2", ".log")


def _run(cmd, env, cwd=None, timeout=600):
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(cmd), proc.stdout, proc.stderr)
    return proc


def _isolated_env(collections_path):
    """Ansible sees only the installed copy: no checkout on PYTHONPATH or the collections path."""
    env = _env()
    env.pop("PYTHONPATH", None)
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path
    return env


def _build(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    # Artefacts a developer's checkout has, which must stay out of the tarball.
    _run(["ansible-galaxy", "collection", "build", "--output-path", str(out), COLLECTION], _env(), cwd=COLLECTION)
    tarballs = list(out.iterdir())
    assert len(tarballs) == 1, tarballs
    return tarballs[0]


def _forbidden(name):
    parts = name.split("/")
    return bool(FORBIDDEN_PARTS.intersection(parts)) or name.endswith(FORBIDDEN_SUFFIXES)


def test_build_holds_only_the_collection_and_installs_and_runs(tmp_path, registry, container_root):
    # A developer checkout's leftovers, made here so the test holds whatever the checkout has.
    made = [os.path.join(COLLECTION, p) for p in (".pytest_cache/v/x", "tests/output/junk.txt",
                                                  "plugins/__pycache__/x.cpython-311.pyc")]
    made_new = [p for p in made if not os.path.exists(p)]
    for path in made_new:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("local artefact\n")
    try:
        tarball = _build(tmp_path)
    finally:
        for path in made_new:
            os.unlink(path)
            try:
                os.removedirs(os.path.dirname(path))
            except OSError:
                pass  # the directory held other things before
    assert os.path.getsize(tarball) < MAX_SIZE, "%s is %d bytes" % (tarball, os.path.getsize(tarball))
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    bad = [n for n in names if _forbidden(n)]
    assert not bad, "the tarball holds local artefacts: %s" % bad[:20]
    for must in ("LICENSE", "meta/runtime.yml", "plugins/modules/container.py", "roles/host/meta/main.yml"):
        assert must in names, must
    info = manifest["collection_info"]
    assert info["repository"].startswith("https://github.com/")
    assert info["documentation"] and info["issues"] and info["homepage"]
    assert info["license"] == ["GPL-3.0-or-later"]

    installed = tmp_path / "collections"
    installed.mkdir()
    env = _isolated_env(str(installed))
    _run(["ansible-galaxy", "collection", "install", "-p", str(installed), str(tarball)], env)
    listed = _run(["ansible-galaxy", "collection", "list", "strata.containers", "--format", "json"], env).stdout
    assert list(json.loads(listed)) == [str(installed / "ansible_collections")], listed

    image = registry.images["busybox"]
    play = [{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/strata.containers.strata": {"root": container_root}},
        "tasks": [
            {"name": "pull", "strata.containers.image": {"name": image}, "register": "pulled"},
            {"name": "run", "strata.containers.container": {
                "name": "galaxy", "image": image, "network_mode": "none", "command": ["true"],
                "state": "created"}, "register": "ran"},
            {"name": "look", "strata.containers.container_info": {"name": "galaxy"}, "register": "info"},
            {"ansible.builtin.assert": {"that": [
                "pulled is changed", "ran is changed", "info.exists",
                "info.container.image_id == pulled.image.id"]}},
        ]}]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play))
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % PYTHON, str(playbook)],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # root came from module_defaults: the store is where the group's defaults put it.
    assert os.path.isdir(os.path.join(container_root, "containers")), os.listdir(container_root)
