# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real bridge, netns and veth devices, all named stratatest*, on 172.31.250.0/24 only."""
from __future__ import annotations

import ipaddress
import os
import secrets
import socket

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.network import bridge
from ansible_collections.strata.containers.plugins.module_utils.network.ipam import Pool

pyroute2 = pytest.importorskip("pyroute2")
from pyroute2 import IPRoute, netns  # noqa: E402  (after the skip)

SUBNET = ipaddress.ip_network("172.31.250.0/24")
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")


def _subnet_in_use():
    with IPRoute() as ipr:
        addrs = [ipaddress.ip_address(a.get("address")) for a in ipr.get_addr(family=2)]
        routes = [ipaddress.ip_network("%s/%d" % (r.get("dst"), r["dst_len"]))
                  for r in ipr.get_routes(family=2) if r.get("dst")]
    return any(a in SUBNET for a in addrs) or any(r.overlaps(SUBNET) for r in routes)


def _links():
    with IPRoute() as ipr:
        return {link.get("ifname"): link for link in ipr.get_links()}


@pytest.fixture
def net(tmp_path):
    if _subnet_in_use():
        pytest.skip("%s is already used on this host" % SUBNET)
    name = "stratatest" + secrets.token_hex(2)
    made = {"bridge": name, "containers": []}
    try:
        yield made
    finally:
        for cid, ns in made["containers"]:
            bridge.disconnect(cid, ns)
        bridge.delete_bridge(name)
        links = _links()
        assert name not in links and name + "p" not in links
        for cid, ns in made["containers"]:
            assert bridge.host_veth(cid) not in links
            assert ns not in netns.listnetns()
            assert not os.path.exists(os.path.join(bridge.NETNS_DIR, ns))


def _container(made, pool):
    cid, ns = secrets.token_hex(32), "stratatest-" + secrets.token_hex(4)
    made["containers"].append((cid, ns))
    ip = pool.allocate(cid)
    path = bridge.connect(cid, ns, ip, pool.prefixlen, pool.gateway, bridge=made["bridge"])
    assert path == "/var/run/netns/" + ns
    return cid, ns, ip


def _roundtrip(listener, client_ns, address):
    """TCP from a socket made in ``client_ns`` (None: the host) to ``listener``."""
    port = listener.getsockname()[1]
    client = netns.create_socket(client_ns, flags=0) if client_ns else socket.socket()
    with client:
        client.settimeout(5)
        client.connect((address, port))
        peer, dummy = listener.accept()
        with peer:
            client.sendall(b"ping")
            assert peer.recv(4) == b"ping"
            peer.sendall(b"pong")
            assert client.recv(4) == b"pong"
            return peer.getpeername()[0]


def _listen(ns, address):
    sock = netns.create_socket(ns, flags=0) if ns else socket.socket()
    sock.settimeout(5)
    sock.bind((address, 0))
    sock.listen(1)
    return sock


def test_two_containers_talk_over_the_bridge(net, tmp_path):
    pool = Pool(str(tmp_path / "network"), str(SUBNET))
    with open(bridge.IP_FORWARD) as handle:
        forward = handle.read()
    assert bridge.ensure_bridge(net["bridge"], pool.gateway_cidr) is True
    assert bridge.ensure_bridge(net["bridge"], pool.gateway_cidr) is False
    with open(bridge.IP_FORWARD) as handle:
        assert handle.read() == forward  # the host's sysctl is left alone
    cid_a, ns_a, ip_a = _container(net, pool)
    cid_b, ns_b, ip_b = _container(net, pool)

    info = bridge.inspect(ns_a)
    assert (info["ip"], info["prefix"], info["gateway"]) == (ip_a, 24, "172.31.250.1")
    assert len(info["mac"].split(":")) == 6
    links = _links()
    veth = links[bridge.host_veth(cid_a)]
    assert veth.get("master") == links[net["bridge"]]["index"]
    assert veth.get("operstate") in ("UP", "LOWERLAYERDOWN", "UNKNOWN") and veth["flags"] & 1

    with _listen(ns_a, ip_a) as listener:
        assert _roundtrip(listener, ns_b, ip_a) == ip_b  # container to container
    with _listen(None, pool.gateway) as listener:
        assert _roundtrip(listener, ns_b, pool.gateway) == ip_b  # container to gateway
    with _listen(ns_b, ip_b) as listener:
        assert _roundtrip(listener, None, ip_b) == pool.gateway  # host to container via the bridge

    with pytest.raises(ContainerError, match="already exists"):
        bridge.connect(cid_a, ns_a, ip_a, 24, pool.gateway, bridge=net["bridge"])
    bridge.disconnect(cid_a, ns_a)
    bridge.disconnect(cid_a, ns_a)  # idempotent
    assert bridge.inspect(ns_a) is None
    assert bridge.host_veth(cid_a) not in _links()


def test_failed_connect_leaves_nothing(net, tmp_path):
    bridge.ensure_bridge(net["bridge"], "172.31.250.1/24")
    cid, ns = secrets.token_hex(32), "stratatest-" + secrets.token_hex(4)
    net["containers"].append((cid, ns))
    # a gateway outside the subnet makes the default route fail after netns and veth exist
    with pytest.raises(ContainerError, match="cannot connect"):
        bridge.connect(cid, ns, "172.31.250.9", 24, "172.31.251.1", bridge=net["bridge"])
    assert ns not in netns.listnetns()
    assert bridge.host_veth(cid) not in _links()
    with pytest.raises(ContainerError, match="bridge stratatest-none does not exist"):
        bridge.connect(cid, ns, "172.31.250.9", 24, "172.31.250.1", bridge="stratatest-none")
    assert ns not in netns.listnetns()


def test_not_a_bridge_and_bad_input(net):
    with IPRoute() as ipr:
        # a veth pair (the kernel may lack dummy); deleting one end later removes both
        ipr.link("add", ifname=net["bridge"], kind="veth", peer=net["bridge"] + "p")
    with pytest.raises(ContainerError, match="is a veth, not a bridge"):
        bridge.ensure_bridge(net["bridge"], "172.31.250.1/24")
    with pytest.raises(InvalidSpec):
        bridge.ensure_bridge(net["bridge"], "172.31.250.300/24")
    with pytest.raises(InvalidSpec):
        bridge.connect("short", "stratatest-x", "172.31.250.2", 24, "172.31.250.1")
    with pytest.raises(InvalidSpec):
        bridge.connect("a" * 64, "../etc", "172.31.250.2", 24, "172.31.250.1")
    assert bridge.inspect("stratatest-absent") is None
