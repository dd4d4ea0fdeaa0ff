# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where COPY sources are looked for: paths contained in the context (not string prefixes),
and ``COPY --from`` globs matched inside the stage's root."""

from __future__ import annotations

import os
import types

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import BuildError
from ansible_collections.strata.containers.plugins.module_utils.build import sources
from ansible_collections.strata.containers.plugins.module_utils.build.dockerignore import DockerIgnore


@pytest.mark.parametrize("path, root, inside", [
    ("/ctx", "/ctx", True), ("/ctx/a", "/ctx", True), ("/ctx-secrets", "/ctx", False),
    ("/ctxa/b", "/ctx", False), ("/etc", "/", True), ("/ctx", "/ctx/", True),
])
def test_within_is_path_containment(path, root, inside):
    assert sources.within(path, root) is inside


@pytest.fixture
def stage(tmp_path):
    """A stage root whose /data is an absolute symlink to a host directory with a canary."""
    host, root = tmp_path / "host", tmp_path / "root"
    host.mkdir()
    (host / "canary").write_text("host")
    os.makedirs(str(root) + str(host))
    (root / str(host).lstrip("/") / "mine").write_text("stage")
    (root / "etc").mkdir()
    (root / "etc" / ".hidden").write_text("dot")
    os.symlink(str(host), str(root / "data"))
    return str(root), str(host)


def test_from_globs_resolve_symlinks_inside_the_stage_root(stage):
    root, host = stage
    found = sources._globbed(root, ["/data/*"])  # pylint: disable=protected-access
    assert found == [os.path.join(root, host.lstrip("/"), "mine")]
    assert sources._globbed(root, ["/etc/*"]) == [os.path.join(root, "etc", ".hidden")]  # Go's Glob: dot names too


def test_from_glob_without_a_match_in_the_stage_is_not_found(stage):
    root, dummy = stage
    os.unlink(os.path.join(root, "data"))
    os.symlink("/nowhere", os.path.join(root, "data"))
    with pytest.raises(BuildError, match="not found in the stage"):
        sources._globbed(root, ["/data/*"])  # pylint: disable=protected-access


def test_a_context_glob_never_lists_a_host_directory_a_symlink_leads_to(tmp_path, monkeypatch):
    """A pattern under a context symlink to a host directory: the host directory is never
    listed (its names would reach the build), and nothing outside is copied."""
    host = tmp_path / "host-secrets"
    host.mkdir()
    (host / "id_rsa").write_text("secret")
    context = tmp_path / "ctx"
    context.mkdir()
    os.symlink(str(host), str(context / "d"))
    listed = []
    real_listdir, real_scandir = os.listdir, os.scandir
    monkeypatch.setattr(os, "listdir", lambda p=".": listed.append(os.path.realpath(p)) or real_listdir(p))
    monkeypatch.setattr(os, "scandir", lambda p=".": listed.append(os.path.realpath(p)) or real_scandir(p))
    found = sources.Sources(str(context), DockerIgnore([]))
    instruction = types.SimpleNamespace(line=3, keyword="COPY")
    with pytest.raises(BuildError):
        found._match("d/*", instruction)  # pylint: disable=protected-access
    assert str(host) not in listed
