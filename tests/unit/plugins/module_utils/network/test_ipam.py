# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
import multiprocessing

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.network.ipam import Pool


def test_default_subnet_and_idempotent(tmp_path):
    pool = Pool(str(tmp_path / "network"))
    assert (pool.gateway, pool.prefixlen, pool.gateway_cidr) == ("172.30.0.1", 16, "172.30.0.1/16")
    first = pool.allocate("a" * 64)
    assert first == "172.30.0.2"
    assert pool.allocate("a" * 64) == first
    assert pool.allocate("b" * 64) == "172.30.0.3"
    assert pool.lookup("a" * 64) == first
    state = json.loads((tmp_path / "network" / "ipam.json").read_text())
    assert state["allocations"] == {"a" * 64: first, "b" * 64: "172.30.0.3"}
    assert not list((tmp_path / "network").glob("*.tmp*"))


def test_release_and_round_robin(tmp_path):
    pool = Pool(str(tmp_path), "10.9.0.0/29")  # hosts .2-.6 for containers
    got = [pool.allocate("c%d" % i) for i in range(5)]
    assert got == ["10.9.0.%d" % i for i in range(2, 7)]
    with pytest.raises(ContainerError, match="no free address left in subnet 10.9.0.0/29"):
        pool.allocate("extra")
    assert pool.release("c1") is True
    assert pool.release("c1") is False
    assert pool.allocate("extra") == "10.9.0.3"
    pool.release("c3")
    pool.release("c4")
    # after .3 the search goes on at .4, not back to the lowest free
    assert pool.allocate("next") == "10.9.0.5"
    assert Pool(str(tmp_path), "10.9.0.0/29").allocations()["next"] == "10.9.0.5"


def test_bad_input(tmp_path):
    with pytest.raises(InvalidSpec, match="bad subnet"):
        Pool(str(tmp_path), "10.0.0.1/24")
    with pytest.raises(InvalidSpec, match="too small"):
        Pool(str(tmp_path), "10.0.0.0/31")
    with pytest.raises(InvalidSpec, match="bad container id"):
        Pool(str(tmp_path)).allocate("")


def test_subnet_change_with_containers_refused(tmp_path):
    Pool(str(tmp_path), "10.1.0.0/24").allocate("x")
    with pytest.raises(ContainerError, match="is for subnet 10.1.0.0/24, not 10.2.0.0/24"):
        Pool(str(tmp_path), "10.2.0.0/24").allocate("y")
    Pool(str(tmp_path), "10.1.0.0/24").release("x")
    assert Pool(str(tmp_path), "10.2.0.0/24").allocate("y") == "10.2.0.2"


def test_corrupt_file(tmp_path):
    (tmp_path / "ipam.json").write_text("{not json")
    with pytest.raises(ContainerError, match="cannot read the address pool"):
        Pool(str(tmp_path)).allocate("x")


def _worker(args):
    directory, worker = args
    pool = Pool(directory, "10.77.0.0/22")
    return [(cid, pool.allocate(cid)) for cid in ("w%d-%d" % (worker, n) for n in range(20))
            for dummy in range(2)]


def test_many_processes_never_share_an_address(tmp_path):
    directory = str(tmp_path / "network")
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(16) as procs:
        results = procs.map(_worker, [(directory, w) for w in range(32)])
    by_id = {}
    for cid, address in (pair for result in results for pair in result):
        assert by_id.setdefault(cid, address) == address  # idempotent per id
    assert len(by_id) == 32 * 20
    assert len(set(by_id.values())) == len(by_id)
    assert Pool(directory, "10.77.0.0/22").allocations() == by_id
