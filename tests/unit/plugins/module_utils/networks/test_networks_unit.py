# -*- coding: utf-8 -*-
"""Network definitions, host-wide addresses and ports, and the /etc files, without a kernel:
the host's routes are given, the host state lives in a temporary directory."""

from __future__ import annotations

import ipaddress
import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.networks import build_step, definitions, endpoints, etcfiles, host

ROUTES = [(ipaddress.ip_network("192.0.2.0/24"), "eth0"), (ipaddress.ip_network("172.30.0.0/16"), "strata0")]


@pytest.fixture(autouse=True)
def host_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_NETWORKS_CONFIG", str(tmp_path / "etc"))
    monkeypatch.setenv("STRATA_NETWORKS_RUN", str(tmp_path / "run"))
    monkeypatch.setattr(definitions, "host_routes", lambda version: list(ROUTES) if version == 4 else [])
    return tmp_path


def _save(name, **options):
    definition = definitions.build(name, taken=definitions.all_networks(), **options)
    definitions.save(definition)
    return definition


def test_definition_is_netavarks_form_with_defaults_and_a_free_bridge():
    made = _save("app", subnet="10.213.1.0/24", ip_range="10.213.1.128/25", labels={"a": 1})
    assert made["subnets"] == [{"subnet": "10.213.1.0/24", "gateway": "10.213.1.1", "ip_range": "10.213.1.128/25",
                                "lease_range": {"start_ip": "10.213.1.129", "end_ip": "10.213.1.254"}}]
    assert made["dns_enabled"] is True and made["internal"] is False and made["labels"] == {"a": "1"}
    assert made["network_interface"].startswith("strata") and made["network_interface"] != "strata0"
    assert definitions.load("app") == made and definitions.load("bridge")["name"] == "default"
    auto = _save("auto")
    assert auto["subnets"][0]["subnet"] == "10.90.0.0/24"


@pytest.mark.parametrize("options, message", [
    ({"subnet": "10.213.1.64/26"}, "overlaps subnet 10.213.1.0/24 of network app"),
    ({"subnet": "172.30.9.0/24"}, "overlaps subnet 172.30.0.0/16 of network default"),
    ({"subnet": "192.0.2.0/25"}, "collides with the host's route to 192.0.2.0/24 (dev eth0)"),
    ({"subnet": "10.213.9.0/24", "gateway": "10.213.8.1"}, "not a host address of subnet"),
    ({"subnet": "10.213.9.0/24", "ip_range": "10.213.8.0/25"}, "not inside subnet"),
    ({"subnet": "10.213.9.1/24"}, "bad subnet"),
    ({"subnet": "10.213.9.0/24", "enable_ipv6": True}, "needs an ipv6_subnet"),
    ({"subnet": "10.213.9.0/24", "driver": "macvlan"}, "only bridge"),
])
def test_bad_definitions_are_refused(options, message):
    _save("app", subnet="10.213.1.0/24")
    with pytest.raises(InvalidSpec, match=message.replace("(", r"\(").replace(")", r"\)")):
        definitions.build("other", taken=definitions.all_networks(), **options)


def _state_with(root):
    os.makedirs(os.path.join(root, "containers", "a" * 64))
    os.makedirs(os.path.join(root, "containers", "b" * 64))
    return host.read_state()


def test_addresses_round_robin_skip_held_and_static_ones(tmp_path):
    made = _save("app", subnet="10.213.1.0/29")  # .1 gateway, .2-.6 for containers
    state = _state_with(str(tmp_path))
    state["members"]["b" * 64] = {"root": str(tmp_path), "name": "b",
                                  "networks": [{"name": "app", "ipv4_address": "10.213.1.3"}]}
    first = endpoints._allocate(state, made, 4, "a" * 64)  # pylint: disable=protected-access
    second = endpoints._allocate(state, made, 4, "a" * 64)  # pylint: disable=protected-access
    assert (first, second) == ("10.213.1.2", "10.213.1.4")  # .3 is b's static address
    with pytest.raises(ContainerError, match="10.213.1.3 on network app is already in use by container b"):
        endpoints._check_static(state, made, "10.213.1.3", "a" * 64)  # pylint: disable=protected-access
    for bad in ("10.213.1.1", "10.213.1.7", "10.213.2.5"):
        with pytest.raises(InvalidSpec, match="not a free host address of network app"):
            endpoints._check_static(state, made, bad, "a" * 64)  # pylint: disable=protected-access


def test_a_port_of_any_root_is_refused_naming_its_holder(tmp_path):
    state = _state_with(str(tmp_path))
    state["endpoints"]["b" * 64] = {"root": str(tmp_path), "name": "web", "addresses": {},
                                    "ports": [{"host_ip": "", "host_port": 8080, "container_port": 80, "proto": "tcp"}]}
    mine = {"host_ip": "127.0.0.1", "host_port": 8080, "container_port": 80, "proto": "tcp"}
    with pytest.raises(ContainerError, match=r"Bind for 127.0.0.1:8080 failed: port is already allocated "
                                             r"\(published by container web \(bbbbbbbbbbbb\) of the store "):
        endpoints.check_ports(state, "a" * 64, [mine])
    endpoints.check_ports(state, "a" * 64, [dict(mine, proto="udp"), dict(mine, host_port=8081)])


def test_entries_of_vanished_containers_are_reaped(tmp_path):
    state = _state_with(str(tmp_path))
    state["members"]["c" * 64] = {"root": str(tmp_path / "gone"), "name": "c", "networks": []}
    state["members"]["a" * 64] = {"root": str(tmp_path), "name": "a", "networks": []}
    endpoints.reap(state)
    assert list(state["members"]) == ["a" * 64]


def test_etc_files_as_docker_writes_them(monkeypatch, tmp_path):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch corp.example\noptions edns0\n")
    monkeypatch.setattr(etcfiles, "HOST_RESOLV", str(resolv))
    hosts = etcfiles.hosts("box", "example.test", ["10.213.1.2"], {"db": "10.213.9.9"})
    assert hosts.startswith(etcfiles.BASE_HOSTS) and hosts.endswith("10.213.9.9\tdb\n10.213.1.2\tbox.example.test box\n")
    assert etcfiles.resolv(([], []), None, None, None) == \
        "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n"  # the host's, less the local one
    assert etcfiles.resolv((["10.213.1.1"], ["dns.podman"]), ["192.0.2.1"], ["a.test"], ["ndots:2"]) == \
        "nameserver 10.213.1.1\nnameserver 192.0.2.1\nsearch dns.podman a.test\noptions ndots:2\n"
    resolv.write_text("nameserver 127.0.0.53\n")
    assert etcfiles.resolv(([], []), None, None, None).startswith("nameserver 8.8.8.8\n")


def test_a_build_steps_endpoint_lives_as_long_as_its_process(tmp_path, monkeypatch):
    torn, removed = [], []
    monkeypatch.setattr(endpoints.netavark, "teardown", lambda netns, payload: torn.append(netns))
    monkeypatch.setattr(endpoints.netavark, "remove_netns", removed.append)
    monkeypatch.setattr(endpoints.netavark, "NETNS_DIR", str(tmp_path / "netns"))
    ours = host.build_namespace_prefix()
    assert build_step.namespace_name().startswith(ours) and ours.startswith("strata-build-")
    # another state's step (a second state on this machine: a test fleet's host) is not ours
    theirs = "strata-build-%s-0123" % ("0" * 6 if ours != "strata-build-000000-" else "1" * 6)
    for name in (ours + "live", ours + "orphan", theirs, "strata-0123456789ab"):
        (tmp_path / "netns").mkdir(exist_ok=True)
        (tmp_path / "netns" / name).write_text("")
    state = _state_with(str(tmp_path))
    me = endpoints.process_identity()
    assert me["pid"] == os.getpid() and me["start"] > 0
    for step, process in ((ours + "live", me), (ours + "dead", dict(me, start=me["start"] + 1)),
                          (ours + "gone", {"pid": 2 ** 22 + 1, "start": 1})):
        state["endpoints"][step] = {"root": str(tmp_path), "name": step, "netns": step, "payload": {},
                                    "addresses": {}, "ports": [], "process": process}
    endpoints.reap(state)
    assert list(state["endpoints"]) == [ours + "live"]  # a reused PID is not its process
    assert sorted(torn) == [ours + "dead", ours + "gone"]
    # a step's namespace that no endpoint records (its builder killed mid-setup) goes too;
    # a container's, or another state's step's, is not the sweep's business
    assert removed == [ours + "orphan"]
