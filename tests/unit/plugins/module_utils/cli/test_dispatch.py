# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CLI registers only the module of the command it runs: the table that says which module
registers which command must match what the modules register, and parsing must not change."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from ansible_collections.strata.containers.plugins.module_utils.cli import main


def _top_level_commands(parser):
    subparsers = [a for a in parser._actions if a.dest == "command"]  # pylint: disable=protected-access
    return set(subparsers[0].choices)


def test_the_table_names_what_each_module_registers():
    for module, names in main.COMMANDS:
        assert _top_level_commands(main.build_parser([module])) == set(names), module
    everything = {name for dummy, names in main.COMMANDS for name in names}
    assert _top_level_commands(main.build_parser()) == everything


@pytest.mark.parametrize("argv,modules", [
    (["images"], ["images"]),
    (["--root", "/r", "ps", "-a"], ["containers"]),
    (["--root=/r", "--cgroup-manager", "cgroupfs", "system", "df"], ["system"]),
    (["--insecure-registry", "reg:5000", "pull", "x"], ["registry"]),
])
def test_a_plain_command_needs_its_module_only(argv, modules):
    assert main.modules_for(argv) == modules


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h", "images"], ["nope"], ["--ro", "/r", "images"], ["--root"]])
def test_anything_else_gets_every_command(argv):
    assert main.modules_for(argv) == [module for module, dummy in main.COMMANDS]


@pytest.mark.parametrize("argv", [
    ["images", "--bogus"], ["ps", "extra"], ["rm"], ["nope"], ["--cgroup-manager", "x", "ps"],
    ["run", "--rm"], ["system", "bogus"], ["network", "ls", "-x"], ["--root"],
])
def test_usage_errors_are_the_same_as_with_every_command(argv, monkeypatch):
    def run():
        err = io.StringIO()
        code = main.main(list(argv), stdin=io.StringIO(), stdout=io.StringIO(), stderr=err)
        return code, err.getvalue()
    lazy = run()
    monkeypatch.setattr(main, "modules_for", lambda argv: [module for module, dummy in main.COMMANDS])
    assert lazy == run()
    assert lazy[0] == main.USAGE_ERROR


def test_parsing_a_listing_imports_neither_the_registry_nor_pull():
    code = ("import sys; from ansible_collections.strata.containers.plugins.module_utils.cli import main; "
            "main.build_parser(main.modules_for(['ps', '-a'])).parse_args(['ps', '-a']); "
            "print(sorted(m for m in sys.modules if m.endswith(('images.pull', 'registry.client', 'cli.run')) "
            "or m in ('requests', 'multiprocessing', 'concurrent.futures')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
