# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_options (normalised through options.normalize) and comparisons."""
from __future__ import annotations

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.containers import comparisons, options, run_defaults, run_options


def test_canonical_forms_compare_equal():
    one = options.normalize({"cap_add": ["net_admin", "CHOWN"], "ulimits": ["nofile=10:20", "core:0"],
                             "devices": ["/dev/null:/dev/b", "/dev/zero:/dev/a:r"], "shm_size": "64m",
                             "sysctls": {"net.core.somaxconn": 1024}, "memory_swap": "-1"})
    two = options.normalize({"cap_add": ["CAP_CHOWN", "CAP_NET_ADMIN"], "ulimits": ["core:0:0", "nofile:10:20"],
                             "devices": ["/dev/zero:/dev/a:r", "/dev/null:/dev/b:rwm"], "shm_size": 64 << 20,
                             "sysctls": {"net.core.somaxconn": "1024"}, "memory_swap": -1})
    assert one == two
    # Docker's defaults are no change on a container that never set them
    assert options.differences({"config": {"Cmd": ["sh"]}}, {}, options.normalize(
        {"shm_size": "64m", "cap_add": [], "init": False, "oom_score_adj": 0})) == {}
    assert not options.needs_recreate({"cpu_shares": (None, 512), "memory_reservation": (None, 1)})
    assert options.needs_recreate({"cap_add": ([], ["CAP_NET_ADMIN"])})


def test_env_file_docker_format(tmp_path, monkeypatch):
    path = tmp_path / "env"
    path.write_text("# comment\n\n  A=1 2\nB='q'\nFROM_HOST\nUNSET\nC=\n")
    monkeypatch.setenv("FROM_HOST", "h")
    monkeypatch.delenv("UNSET", raising=False)
    normal = options.normalize({"env_file": str(path), "env": {"C": "env"}})
    assert normal["env"] == {"A": "1 2", "B": "'q'", "C": "env", "FROM_HOST": "h"}
    path.write_text("BAD NAME=1\n")
    with pytest.raises(InvalidSpec, match="white space"):
        run_options.read_env_file(str(path))
    with pytest.raises(InvalidSpec, match="No such file"):
        run_options.read_env_file(str(tmp_path / "none"))


@pytest.mark.parametrize("params, message", [
    ({"sysctls": {"vm.swappiness": 1}}, "not namespaced"),
    ({"sysctls": {"net.ipv4.ip_forward": 1}, "network_mode": "host"}, "network_mode host"),
    ({"memory_swap": "1g"}, "needs memory"),
    ({"oom_score_adj": 2000}, "-1000 to 1000"),
    ({"cpu_shares": 1}, "from 2"),
    ({"shm_size": "-1"}, "not -1"),
    ({"group_add": ["a:b"]}, "not a group"),
])
def test_refused(params, message):
    with pytest.raises(InvalidSpec, match=message):
        options.normalize(params)


def test_comparisons():
    changes = {"labels": ({"a": "1", "b": "2"}, {"a": "1"}), "mounts": ([{"t": 1}], [{"t": 1}, {"t": 2}]),
               "image": ("x", "y")}
    kept = comparisons.apply(changes, {"labels": "allow_more_present", "mounts": "allow_more_present"})
    assert set(kept) == {"mounts", "image"}
    assert comparisons.apply(changes, {"*": "ignore", "image": "strict"}) == {"image": ("x", "y")}
    assert comparisons.apply(changes, None) == changes
    with pytest.raises(InvalidSpec, match="unknown option 'colour'"):
        comparisons.check({"colour": "strict"}, options.NORMALIZERS)
    with pytest.raises(InvalidSpec, match="'\\*' may be strict or ignore"):
        comparisons.check({"*": "allow_more_present"}, options.NORMALIZERS)


def test_view_shows_defaults_for_unset_options():
    shown = run_defaults.view({"cap_add": ["CAP_NET_ADMIN"]})
    assert shown["cap_add"] == ["CAP_NET_ADMIN"] and shown["shm_size"] == 64 << 20 and shown["init"] is False
