# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import BuildError
from ansible_collections.strata.containers.plugins.module_utils.build import dockerignore
from ansible_collections.strata.containers.plugins.module_utils.build.dockerignore import DockerIgnore


@pytest.mark.parametrize("patterns,path,excluded", [
    (["*.md"], "a.md", True),
    (["*.md"], "sub/a.md", False),            # * does not cross directories
    (["*/*.md"], "sub/a.md", True),
    (["**/*.md"], "a.md", True),
    (["**/*.md"], "x/y/a.md", True),
    (["**"], "anything/at/all", True),
    (["docs/**"], "docs/a/b", True),
    (["docs/**"], "docs", False),
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["temp?"], "temp1", True),
    (["temp?"], "temp12", False),
    (["temp?"], "temp/", False),
    (["[a-c]x"], "bx", True),
    (["[a-c]x"], "dx", False),
    (["[^a]x"], "bx", True),
    (["a\\*b"], "a*b", True),
    (["a\\*b"], "axb", False),
    (["a.b"], "axb", False),
    (["foo**"], "foobar/x", True),
    (["**foo"], "a/barfoo", True),
    (["node_modules"], "node_modules/pkg/index.js", True),   # a parent match excludes the children
    (["node_modules"], "src/node_modules", False),
    (["/build/"], "build/out", True),
    (["./build/../dist//"], "dist/a", True),
    (["  spaced  "], "spaced", True),
    (["#comment"], "#comment", False),
    (["  #notcomment"], "#notcomment", True),   # only a # in the first column starts a comment
    (["*.md", "!README.md"], "README.md", False),
    (["*.md", "!README.md"], "a.md", True),
    (["*.md", "!README.md", "README*"], "README.md", True),   # the last match wins
    (["docs", "!docs/keep"], "docs/keep/x", False),
    (["docs", "!docs/keep"], "docs/other", True),
    (["*", "!src", "src/*.tmp"], "src/a.tmp", True),
    (["*", "!src", "src/*.tmp"], "src/a.py", False),
    (["*"], ".", False),   # never the context itself
    ([], "a", False),
])
def test_excluded(patterns, path, excluded):
    assert DockerIgnore(patterns).excluded(path) is excluded
    assert DockerIgnore(patterns).excluded(path, is_dir=True) is excluded


def test_comments_blank_lines_crlf_and_bom():
    ignore = DockerIgnore(["\ufeff# comment\r\n", "\r\n", "   \n", "*.log\r\n", "! keep.log \n"])
    assert [p.text for p in ignore.patterns] == ["*.log", "keep.log"]
    assert ignore.excluded("a.log") and not ignore.excluded("keep.log")


@pytest.mark.parametrize("path,cleaned", [
    ("a//b/./c/", "a/b/c"), ("/a/../../b", "/b"), ("../a", "../a"), ("a/..", "."), ("", "."), ("/", "/"),
])
def test_clean_is_go_filepath_clean(path, cleaned):
    assert dockerignore.clean(path) == cleaned


def test_bad_patterns():
    with pytest.raises(BuildError, match="illegal exclusion pattern"):
        DockerIgnore(["a", "!"])
    with pytest.raises(BuildError, match="bad pattern"):
        DockerIgnore(["[a-"])


def test_from_file(tmp_path):
    assert dockerignore.from_file(str(tmp_path / "missing")).patterns == []
    (tmp_path / ".dockerignore").write_bytes(b"# c\n*.tmp\n!keep.tmp\n")
    ignore = dockerignore.from_file(str(tmp_path / ".dockerignore"))
    assert ignore.excluded("x.tmp") and not ignore.excluded("keep.tmp") and not ignore.excluded("x.py")


def test_walk(tmp_path):
    for rel in ["a.py", "a.tmp", "src/b.py", "src/c.tmp", "docs/x.md", "docs/keep/y.md", "node_modules/m/i.js", "empty/"]:
        path = tmp_path / rel
        if rel.endswith("/"):
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
    os.symlink("src", str(tmp_path / "link"))
    ignore = DockerIgnore(["*.tmp", "node_modules", "docs", "!docs/keep"])
    assert list(ignore.walk(str(tmp_path))) == [
        "a.py", "docs", "docs/keep", "docs/keep/y.md", "empty", "link", "src", "src/b.py", "src/c.tmp"]  # *.tmp is top-level only
    assert "node_modules/m" not in DockerIgnore(["node_modules"]).walk(str(tmp_path))
