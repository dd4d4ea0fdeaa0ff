# -*- coding: utf-8 -*-
"""The changelog and the documentation site build from the repository, offline, with no
warning: CHANGELOG.md is what antsibull-changelog generates from changelogs/changelog.yaml,
pending fragments lint clean and make a release, and docs/build-site.sh renders a page for
every module, role and the connection plugin (antsibull-docs, Sphinx with warnings as errors)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import yaml

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The tools come with the venv that runs the tests (requirements-controller.txt).
BIN = os.path.dirname(sys.executable)
ENV = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
MODULES = sorted(n[:-3] for n in os.listdir(os.path.join(COLLECTION, "plugins", "modules"))
                 if n.endswith(".py") and not n.startswith("_"))
ROLES = sorted(os.listdir(os.path.join(COLLECTION, "roles")))


def _run(argv, cwd, env=None):
    done = subprocess.run(argv, cwd=cwd, env=env or ENV, capture_output=True, text=True,
                          timeout=600, check=False)
    return done.returncode, done.stdout + done.stderr


def _changelog_copy(tmp_path):
    """What antsibull-changelog reads and writes, copied so a run cannot touch the repository."""
    dest = tmp_path / "coll"
    for name in ("changelogs", "plugins", "roles", "meta"):
        shutil.copytree(os.path.join(COLLECTION, name), str(dest / name),
                        ignore=shutil.ignore_patterns("__pycache__", ".plugin-cache.yaml"))
    for name in ("galaxy.yml", "CHANGELOG.md"):
        shutil.copy(os.path.join(COLLECTION, name), str(dest / name))
    return dest


def _problems(output):
    return [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]


def test_changelog_sources_lint_clean():
    rc, out = _run([os.path.join(BIN, "antsibull-changelog"), "lint"], COLLECTION)
    assert (rc, out.strip()) == (0, ""), out
    rc, out = _run([os.path.join(BIN, "antsibull-changelog"), "lint-changelog-yaml",
                    "changelogs/changelog.yaml"], COLLECTION)
    assert (rc, out.strip()) == (0, ""), out


def test_changelog_md_is_generated_from_changelog_yaml(tmp_path):
    """A hand edit of CHANGELOG.md, or a release in changelog.yaml without `make changelog`,
    fails here."""
    copy = _changelog_copy(tmp_path)
    rc, out = _run([os.path.join(BIN, "antsibull-changelog"), "generate"], str(copy))
    assert rc == 0, out
    with open(os.path.join(COLLECTION, "CHANGELOG.md")) as f:
        committed = f.read()
    assert (copy / "CHANGELOG.md").read_text() == committed, \
        "CHANGELOG.md is out of date: run `make changelog` and commit it"


def test_galaxy_version_is_released_or_next():
    with open(os.path.join(COLLECTION, "changelogs", "changelog.yaml")) as f:
        released = yaml.safe_load(f)["releases"]
    with open(os.path.join(COLLECTION, "galaxy.yml")) as f:
        version = yaml.safe_load(f)["version"]

    def key(v):
        return tuple(int(p) for p in v.split("."))
    assert key(version) >= max(key(v) for v in released), (version, sorted(released))


def test_pending_fragments_make_a_release(tmp_path):
    """Every fragment waiting for the next release renders: a trial release of them in a copy
    succeeds with no warning and uses them all."""
    copy = _changelog_copy(tmp_path)
    (copy / "changelogs" / "fragments" / "trial.yml").write_text("release_summary: Trial.\n")
    rc, out = _run([os.path.join(BIN, "antsibull-changelog"), "release", "--version", "99.0.0",
                    "--date", "2099-01-01"], str(copy))
    assert rc == 0 and not _problems(out), out
    text = (copy / "CHANGELOG.md").read_text()
    assert "v99\\.0\\.0" in text
    assert not [n for n in os.listdir(str(copy / "changelogs" / "fragments")) if n.endswith(".yml")]


def test_collection_docs_lint_clean(tmp_path):
    # As docs/build-site.sh does: the collection on a collections path of its own.
    path = tmp_path / "collections" / "ansible_collections" / "strata"
    path.mkdir(parents=True)
    (path / "containers").symlink_to(COLLECTION)
    env = dict(ENV, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"))
    rc, out = _run([os.path.join(BIN, "antsibull-docs"), "lint-collection-docs", "--plugin-docs",
                    "."], str(path / "containers"), env)
    assert (rc, out.strip()) == (0, ""), out


def test_docs_site_builds_without_warnings(tmp_path):
    out_dir = tmp_path / "site"
    rc, out = _run(["bash", os.path.join(COLLECTION, "docs", "build-site.sh"), str(out_dir)],
                   COLLECTION)
    assert rc == 0, out
    assert not _problems(out), out
    pages = out_dir / "html" / "collections" / "strata" / "containers"
    expected = (["%s_module.html" % m for m in MODULES] + ["%s_role.html" % r for r in ROLES]
                + ["strata_connection.html", "index.html"])
    missing = [p for p in expected if not (pages / p).is_file()]
    assert not missing, missing
    assert (out_dir / "html" / "index.html").is_file()
