# -*- coding: utf-8 -*-
"""User-defined networks (issue 17) and host-wide addresses and ports (issue 23), on netavark.

Traffic goes only to 127.0.0.0/8 and to network namespaces these tests make: "a host outside"
and "a client host" are namespaces with a veth to this host. Subnets are in 10.213.0.0/16,
which nothing here uses. Every namespace, link, network, container and firewall chain a test
makes is removed; netavark's base chains go too when they were not there before the session.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import subprocess
import time
import urllib.request

import pytest
import returns_doc
from ansible_runner import run_module

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError, InUse, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.networks import definitions, host

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="networks need root")

HTTPD = ("mkdir -p /www && echo %s > /www/index.html && exec httpd -f -v -p 80 -h /www")
BASE_CHAINS = {("nat", "NETAVARK-HOSTPORT-DNAT"), ("nat", "NETAVARK-HOSTPORT-MASQ"),
               ("nat", "NETAVARK-HOSTPORT-SETMARK"), ("filter", "NETAVARK_FORWARD"),
               ("filter", "NETAVARK_ISOLATION_1"), ("filter", "NETAVARK_ISOLATION_2")}


def _sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def _chains():
    found = set()
    for table in ("nat", "filter"):
        for line in _sh("iptables", "-t", table, "-S").stdout.splitlines():
            if line.startswith("-N NETAVARK"):
                found.add((table, line.split()[1]))
    return found


@pytest.fixture(scope="session", autouse=True)
def firewall_baseline():
    """netavark's per-network chains go with their networks; its base chains stay as podman
    leaves them, unless this session brought them."""
    before = _chains()
    yield
    left = _chains() - before
    ours = [line for table in ("nat", "filter") for line in _sh("iptables", "-t", table, "-S").stdout.splitlines()
            if "10.213." in line]
    assert not ours, "firewall rules of the tests' networks left behind: %s" % ours
    if left & BASE_CHAINS and not left - BASE_CHAINS:
        for table, rule in (("nat", "PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT"),
                            ("nat", "OUTPUT -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT"),
                            ("nat", "POSTROUTING -j NETAVARK-HOSTPORT-MASQ"),
                            ("filter", "FORWARD -m comment --comment \"netavark firewall plugin rules\" "
                                       "-j NETAVARK_FORWARD"),
                            ("filter", "FORWARD -j NETAVARK_ISOLATION_1")):
            if (table, rule.split()[-1]) in left:  # a jump into a chain that was there before stays
                _sh("sh", "-c", "iptables -t %s -D %s" % (table, rule), check=False)
        for table, chain in sorted(left & BASE_CHAINS):
            _sh("iptables", "-t", table, "-F", chain, check=False)
            _sh("iptables", "-t", table, "-X", chain, check=False)


@pytest.fixture
def networks():
    """Makes networks with unique names; removes them (and checks their bridges are gone)."""
    made = []

    def make(**options):
        name = "stt-" + secrets.token_hex(3)
        Engine("/var/tmp/strata-unused", read_only=True).networks.ensure(name, **options)
        made.append(name)
        return name
    yield make
    service = Engine("/var/tmp/strata-unused", read_only=True).networks
    for name in made:
        definition = definitions.load(name)
        service.ensure(name, state="absent", force=True)
        if definition:  # its bridge went with its last container
            assert not os.path.exists("/sys/class/net/" + definition["network_interface"])


@pytest.fixture
def outside():
    """Namespaces standing for other machines: a veth to this host, an address, a default route."""
    made = []

    def make(host_cidr, peer_cidr):
        name = "stt-ns-" + secrets.token_hex(3)
        link = "stth" + secrets.token_hex(3)
        _sh("ip", "netns", "add", name)
        made.append((name, link))
        _sh("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", name)
        _sh("ip", "addr", "add", host_cidr, "dev", link)
        _sh("ip", "link", "set", link, "up")
        _sh("ip", "-n", name, "addr", "add", peer_cidr, "dev", "eth0")
        _sh("ip", "-n", name, "link", "set", "eth0", "up")
        _sh("ip", "-n", name, "link", "set", "lo", "up")
        _sh("ip", "-n", name, "route", "add", "default", "via", host_cidr.split("/")[0])
        return name
    yield make
    for name, link in made:
        pids = _sh("ip", "netns", "pids", name, check=False).stdout.split()
        for pid in pids:
            _sh("kill", "-9", pid, check=False)
        _sh("ip", "link", "del", link, check=False)
        _sh("ip", "netns", "del", name, check=False)


def _serve_in(netns, port, text, log):
    """busybox httpd in a namespace, its log (one line per client) in ``log``."""
    www = os.path.dirname(log) + "/www-" + netns
    os.makedirs(www, exist_ok=True)
    with open(www + "/index.html", "w") as handle:
        handle.write(text + "\n")
    proc = subprocess.Popen(["ip", "netns", "exec", netns, "busybox", "httpd", "-f", "-v", "-p", str(port),
                             "-h", www], stderr=open(log, "w"), stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    return proc


def _engine(root):
    return Engine(root)


def _run(root, name, image, **params):
    params.setdefault("stop_timeout", 0)
    result = _engine(root).containers.ensure(name, image=image, params=params)
    return result["container"]


def _exec(root, name, *argv):
    return _engine(root).containers.exec(name, list(argv), timeout=30)


def _wget(root, name, url):
    # through sh: wget is a busybox applet, and the image has no /bin/wget link
    rc, out, err = _exec(root, name, "sh", "-c", "wget -q -O - " + url)
    return rc, out + err


def _get(url, timeout=10):
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def _until(check, timeout=10):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.2)


# ---------------------------------------------------------------------- names between containers
def test_web_reaches_api_by_name_and_alias_and_after_recreate(registry, container_root, networks):
    busybox = registry.images["busybox"]
    net = networks(subnet="10.213.1.0/24")
    first = _run(container_root, "api", busybox, command=["sh", "-c", HTTPD % "api-one"],
                 networks=[{"name": net, "aliases": ["backend"]}])
    _run(container_root, "web", busybox, command=["sleep", "1000"], networks=[{"name": net}])
    assert first["network"]["networks"][net]["ip_address"].startswith("10.213.1.")
    assert _until(lambda: _wget(container_root, "web", "http://api/")[0] == 0)
    assert _wget(container_root, "web", "http://api/") == (0, "api-one\n")
    assert _wget(container_root, "web", "http://backend/") == (0, "api-one\n")

    again = _run(container_root, "api", busybox, command=["sh", "-c", HTTPD % "api-two"],
                 networks=[{"name": net, "aliases": ["backend"]}])
    assert again["id"] != first["id"]
    assert again["network"]["ip_address"] != first["network"]["ip_address"]  # round robin: a new address
    # aardvark-dns 1.4 rebuilds its listeners on every reload and may drop queries for a while
    # after a teardown and a setup in a row (containers/aardvark-dns#389, fixed in 1.11)
    assert _until(lambda: _wget(container_root, "web", "http://api/") == (0, "api-two\n"), timeout=90), \
        (_wget(container_root, "web", "http://api/"), _exec(container_root, "web", "nslookup", "api"), again["network"])


# ---------------------------------------------------------------------- outbound, internal
def test_outbound_nat_reaches_a_host_outside_but_not_from_an_internal_network(
        registry, container_root, networks, outside, tmp_path):
    busybox = registry.images["busybox"]
    far = outside("10.213.200.1/30", "10.213.200.2/30")
    server = _serve_in(far, 8088, "outside", str(tmp_path / "far.log"))
    try:
        open_net = networks(subnet="10.213.2.0/24")
        closed = networks(subnet="10.213.3.0/24", internal=True)
        _run(container_root, "out", busybox, command=["sleep", "1000"], networks=[{"name": open_net}])
        _run(container_root, "in", busybox, command=["sleep", "1000"], networks=[{"name": closed}])
        assert _wget(container_root, "out", "http://10.213.200.2:8088/") == (0, "outside\n")
        rc, out = _wget(container_root, "in", "http://10.213.200.2:8088/")
        assert rc != 0, out
        # masqueraded: the outside host saw this host's address on its link, not the container's
        assert "10.213.200.1" in (tmp_path / "far.log").read_text()
    finally:
        server.kill()
        server.wait()


# ---------------------------------------------------------------------- published port by DNAT
def test_published_port_answers_a_client_host_and_the_server_sees_its_address(
        registry, container_root, networks, outside):
    busybox = registry.images["busybox"]
    client = outside("10.213.201.1/30", "10.213.201.2/30")
    net = networks(subnet="10.213.4.0/24")
    _run(container_root, "pub", busybox, command=["sh", "-c", HTTPD % "published"],
         networks=[{"name": net}], published_ports=["10.213.201.1:18431:80"])
    got = _until(lambda: _sh("timeout", "5", "ip", "netns", "exec", client, "busybox", "wget", "-q", "-O", "-",
                             "http://10.213.201.1:18431/", check=False).stdout)
    assert got == "published\n"
    logs = "".join(line for line in open(_engine(container_root).containers.info("pub")[0]["log_path"]))
    assert "10.213.201.2" in logs  # the client's own address, not this host's
    assert "10.213.201.1" not in re.sub(r"10\.213\.201\.1:18431", "", logs)


# ---------------------------------------------------------------------- IPv6
def _global_addresses(root, name, version):
    """The container's global addresses on eth0, as ``ip`` inside it shows them."""
    rc, out, err = _exec(root, name, "ip", "-%d" % version, "-o", "addr", "show", "dev", "eth0", "scope", "global")
    assert rc == 0, err
    return [word.split("/")[0] for line in out.splitlines() for word in line.split()[3:4]]


@pytest.fixture
def ipv6_forwarding():
    """netavark turns IPv6 forwarding on for an IPv6 network (as for podman's): put it back."""
    path = "/proc/sys/net/ipv6/conf/all/forwarding"
    with open(path) as handle:
        before = handle.read()
    yield
    with open(path, "w") as handle:
        handle.write(before)


def test_ipv6_network_gives_an_address_from_its_subnet_and_others_reach_it_by_name(
        ipv6_forwarding, registry, container_root, networks):  # pylint: disable=unused-argument
    busybox = registry.images["busybox"]
    subnet = ipaddress.ip_network("fd00:213:12::/64")
    net = networks(subnet="10.213.12.0/24", enable_ipv6=True, ipv6_subnet=str(subnet))
    server = _run(container_root, "six", busybox, command=["sh", "-c", HTTPD % "over-ipv6"], networks=[{"name": net}])
    _run(container_root, "client6", busybox, command=["sleep", "1000"], networks=[{"name": net}])
    inside = _until(lambda: _global_addresses(container_root, "six", 6))
    assert len(inside) == 1 and ipaddress.ip_address(inside[0]) in subnet, inside
    assert server["network"]["networks"][net]["ipv6_address"] == inside[0]
    # aardvark-dns answers the name with the IPv6 address too (AAAA)
    answer = _until(lambda: _exec(container_root, "client6", "nslookup", "-type=AAAA", "six")[1])
    assert inside[0] in answer, answer
    client = _global_addresses(container_root, "client6", 6)[0]
    assert _until(lambda: _wget(container_root, "client6", "http://[%s]/" % inside[0]) == (0, "over-ipv6\n"))
    logs = "".join(open(_engine(container_root).containers.info("six")[0]["log_path"]))
    assert client in logs  # the server saw the client's own IPv6 address: the request came over IPv6


# ---------------------------------------------------------------------- network_mode container:<name>
def test_network_mode_container_shares_the_other_containers_network_namespace(registry, container_root, networks):
    busybox = registry.images["busybox"]
    net = networks(subnet="10.213.13.0/24")
    _run(container_root, "pod", busybox, command=["sh", "-c", HTTPD % "in-the-pod"], networks=[{"name": net}])
    _run(container_root, "sidecar", busybox, command=["sleep", "1000"], network_mode="container:pod")
    assert _until(lambda: _wget(container_root, "sidecar", "http://127.0.0.1/") == (0, "in-the-pod\n"))
    links = [_exec(container_root, name, "ip", "-o", "addr")[1] for name in ("pod", "sidecar")]
    assert links[0] == links[1] and "10.213.13." in links[0]
    own = [_exec(container_root, name, "readlink", "/proc/self/ns/net")[1] for name in ("pod", "sidecar")]
    assert own[0] == own[1], own


# ---------------------------------------------------------------------- a container on two networks
def test_a_container_on_two_networks_reaches_both_which_stay_apart(registry, container_root, networks):
    busybox = registry.images["busybox"]
    left, right = networks(subnet="10.213.14.0/24"), networks(subnet="10.213.15.0/24")
    # the last container of a third network goes after they start: netavark 1.4 then drops the
    # isolation of every network (engine: networks/netavark.py _keep_isolation)
    _run(container_root, "passing", busybox, command=["sleep", "100"],
         networks=[{"name": networks(subnet="10.213.16.0/24")}])
    _run(container_root, "on-left", busybox, command=["sh", "-c", HTTPD % "left"], networks=[{"name": left}])
    _run(container_root, "on-right", busybox, command=["sh", "-c", HTTPD % "right"], networks=[{"name": right}])
    both = _run(container_root, "both", busybox, command=["sh", "-c", HTTPD % "both"],
                networks=[{"name": left}, {"name": right}])
    assert sorted(both["network"]["networks"]) == sorted([left, right])
    engine = _engine(container_root)
    engine.containers.containers.remove(engine.containers.containers.records.find("passing"), force=True)
    assert _until(lambda: _wget(container_root, "both", "http://on-left/") == (0, "left\n"))
    assert _wget(container_root, "both", "http://on-right/") == (0, "right\n")
    assert _wget(container_root, "on-left", "http://both/") == (0, "both\n")
    assert _wget(container_root, "on-right", "http://both/") == (0, "both\n")
    info = {c["name"]: c["network"]["networks"] for c in _engine(container_root).containers.info()}
    for src, dst, net in (("on-left", "on-right", right), ("on-right", "on-left", left)):
        # (busybox 1.35's wget -T crashes: timeout(1) bounds the wait)
        rc, out, err = _exec(container_root, src, "sh", "-c", "timeout 3 wget -q -O - http://%s/"
                             % info[dst][net]["ip_address"])
        assert rc != 0 and not out, (src, dst, out, err)  # by address: dropped between the networks
        rc, out, err = _exec(container_root, src, "nslookup", dst)
        assert rc != 0, (src, dst, out, err)  # by name: not known on the other network


# ---------------------------------------------------------------------- a build's RUN goes out
def test_a_build_run_step_on_the_default_network_reaches_a_host_outside(
        registry, container_root, outside, tmp_path):
    far = outside("10.213.202.1/30", "10.213.202.2/30")
    before = _build_namespaces()  # other runs on this machine may be building too
    server = _serve_in(far, 8089, "from-outside", str(tmp_path / "far.log"))
    try:
        context = tmp_path / "ctx"
        context.mkdir()
        (context / "Dockerfile").write_text("FROM %s\nRUN wget -q -O /got http://10.213.202.2:8089/\n"
                                            % registry.images["busybox"])
        built = run_module("image", {"name": "fetched:1", "source": "build", "path": str(context),
                                     "root": container_root})
        assert not built.get("failed"), built
        _run(container_root, "check", "fetched:1", command=["sleep", "1000"], network_mode="none")
        assert _exec(container_root, "check", "cat", "/got")[1] == "from-outside\n"
    finally:
        server.kill()
        server.wait()
    assert not _build_namespaces() - before  # the step's namespace is gone with the step


def _build_namespaces():
    return {n for n in os.listdir("/var/run/netns") if n.startswith("strata-build-")}


# ---------------------------------------------------------------------- /etc files
def test_etc_files_are_what_the_options_say(registry, container_root, networks):
    busybox = registry.images["busybox"]
    net = networks(subnet="10.213.5.0/24")
    _run(container_root, "files", busybox, command=["sleep", "1000"], networks=[{"name": net}],
         hostname="box", domainname="example.test", dns=["10.213.5.53"], dns_search=["corp.test"],
         dns_options=["ndots:2"], etc_hosts={"db.example.test": "10.213.99.9"})
    ip = _engine(container_root).containers.info("files")[0]["network"]["ip_address"]
    hosts = _exec(container_root, "files", "cat", "/etc/hosts")[1]
    assert "10.213.99.9\tdb.example.test\n" in hosts
    assert "%s\tbox.example.test box\n" % ip in hosts
    assert hosts.startswith("127.0.0.1\tlocalhost\n")
    resolv = _exec(container_root, "files", "cat", "/etc/resolv.conf")[1]
    assert resolv == ("nameserver 10.213.5.1\nnameserver 10.213.5.53\nsearch dns.podman corp.test\n"
                      "options ndots:2\n")
    assert _exec(container_root, "files", "cat", "/etc/hostname")[1] == "box\n"
    assert _exec(container_root, "files", "hostname")[1] == "box\n"
    assert _exec(container_root, "files", "cat", "/proc/sys/kernel/domainname")[1] == "example.test\n"


# ---------------------------------------------------------------------- bad input
def test_bad_input_is_refused_and_changes_nothing(registry, container_root, networks):
    busybox = registry.images["busybox"]
    service = _engine(container_root).networks
    taken = networks(subnet="10.213.6.0/24")
    before = sorted(os.listdir(host.config_dir()))
    with pytest.raises(InvalidSpec, match="overlaps subnet 10.213.6.0/24 of network " + taken):
        service.ensure("stt-overlap", subnet="10.213.6.128/25")
    with pytest.raises(InvalidSpec, match="collides with the host's route"):
        service.ensure("stt-route", subnet=_a_host_route())
    with pytest.raises(InvalidSpec, match="overlaps"):
        service.ensure("stt-default", subnet="172.30.5.0/24")  # the default network's
    with pytest.raises(InvalidSpec, match="default network is built in"):
        service.ensure("default", subnet="10.213.7.0/24")
    assert sorted(os.listdir(host.config_dir())) == before
    containers = _engine(container_root).containers
    with pytest.raises(InvalidSpec, match="not a free host address of network"):
        _run(container_root, "outside", busybox, command=["true"],
             networks=[{"name": taken, "ipv4_address": "10.213.9.5"}])
    _run(container_root, "static", busybox, command=["sleep", "1000"],
         networks=[{"name": taken, "ipv4_address": "10.213.6.77"}])
    assert containers.info("static")[0]["network"]["ip_address"] == "10.213.6.77"
    with pytest.raises(ContainerError, match="10.213.6.77 on network %s is already in use by container static"
                       % taken):
        _run(container_root, "twin", busybox, command=["true"],
             networks=[{"name": taken, "ipv4_address": "10.213.6.77"}])
    with pytest.raises(ContainerError, match="network stt-nosuch not found"):
        _run(container_root, "lost", busybox, command=["true"], networks=[{"name": "stt-nosuch"}])
    assert [c["name"] for c in containers.info()] == ["static"]
    with pytest.raises(InUse, match="in use by static"):
        service.ensure(taken, state="absent")
    with pytest.raises(InUse, match="in use by static"):
        service.ensure(taken, subnet="10.213.8.0/24")
    # a name conflict: the same name with other settings is a change, refused while in use;
    # the same settings are no change
    assert service.ensure(taken, subnet="10.213.6.0/24")["changed"] is False
    assert definitions.get(taken)["subnets"][0]["subnet"] == "10.213.6.0/24"


def _a_host_route():
    """A subnet of a route of this host that no network of ours makes."""
    for route, device in definitions.host_routes(4):
        if not device.startswith("strata") and 8 <= route.prefixlen <= 30 and not route.is_loopback:
            return str(route)
    pytest.skip("the host has no route to collide with")


# ---------------------------------------------------------------------- issue 23
def test_two_roots_never_share_an_address_or_a_host_port(registry, container_root, another_root):
    busybox = registry.images["busybox"]
    root_b = another_root()
    port = 18000 + secrets.randbelow(1000)
    url = "http://127.0.0.1:%d/" % port
    a = _run(container_root, "site", busybox, command=["sh", "-c", HTTPD % "root-a"],
             published_ports=["127.0.0.1:%d:80" % port])
    assert _get(url) == "root-a\n"
    addresses = {a["network"]["ip_address"]}
    for round_ in range(2):
        for index in range(3):
            other = _run(root_b, "b%d" % index, busybox, command=["sh", "-c", HTTPD % "root-b"],
                         published_ports=["127.0.0.1::80"])
            assert other["network"]["ip_address"] not in addresses, (round_, other["network"])
            addresses.add(other["network"]["ip_address"])
            assert _get(url) == "root-a\n"
        for index in range(3):
            _engine(root_b).containers.ensure("b%d" % index, state="stopped", params={"stop_timeout": 0})
            assert _get(url) == "root-a\n"
        addresses = {a["network"]["ip_address"]}
    running = [c["network"]["ip_address"] for root in (container_root, root_b)
               for c in _engine(root).containers.info() if c["state"]["running"]]
    assert len(running) == len(set(running))
    with pytest.raises(ContainerError, match=r"Bind for 127.0.0.1:%d failed: port is already allocated "
                                             r"\(published by container site .* of the store %s\)"
                       % (port, container_root)):
        _run(root_b, "thief", busybox, command=["sh", "-c", HTTPD % "thief"],
             published_ports=["127.0.0.1:%d:80" % port])
    assert _get(url) == "root-a\n"
    assert sorted(c["name"] for c in _engine(root_b).containers.info()) == ["b0", "b1", "b2"]


# ---------------------------------------------------------------------- the module
def test_network_module_is_idempotent_with_check_mode_diff_and_info(container_root):
    name = "stt-mod-" + secrets.token_hex(3)
    args = {"name": name, "subnet": "10.213.10.0/24", "ip_range": "10.213.10.128/25", "labels": {"app": "x"}}
    try:
        checked = run_module("network", args, check=True, diff=True)
        assert checked["changed"] is True and checked["diff"]["before"] == {"state": "absent"}
        assert definitions.load(name) is None
        made = run_module("network", args)
        checked_info = run_module("network_info", {"name": name}, check=True)
        assert returns_doc.mismatches("network", "check", checked) + returns_doc.mismatches("network", "real", made) \
            + returns_doc.mismatches("network_info", "check", checked_info) == []
        assert made["changed"] is True and made["network"]["subnets"] == [
            {"subnet": "10.213.10.0/24", "gateway": "10.213.10.1", "ip_range": "10.213.10.128/25"}]
        assert run_module("network", args)["changed"] is False
        relabel = run_module("network", dict(args, labels={"app": "y"}), diff=True)
        assert relabel["changed"] is True and relabel["diff"]["after"]["labels"] == {"app": "y"}
        info = run_module("network_info", {"name": name})
        assert info["networks"][0]["dns"] is True and info["networks"][0]["labels"] == {"app": "y"}
        listed = run_module("network_info", {})
        assert [n["name"] for n in listed["networks"]][0] == "default" and name in [n["name"] for n in listed["networks"]]
        removed = run_module("network", {"name": name, "state": "absent"})
        assert removed["changed"] is True
        assert returns_doc.mismatches("network_info", "real", info) + returns_doc.mismatches("network_info", "real", listed) \
            + returns_doc.mismatches("network", "real", removed) == []
        assert run_module("network", {"name": name, "state": "absent"})["changed"] is False
        failed = run_module("network", {"name": "default", "state": "absent"})
        assert failed["failed"] is True and "built in" in failed["msg"]
    finally:
        Engine(container_root).networks.ensure(name, state="absent", force=True)


# ---------------------------------------------------------------------- the CLI
def _strata(*argv):
    import io  # pylint: disable=import-outside-toplevel
    from ansible_collections.strata.containers.plugins.module_utils.cli import main  # pylint: disable=import-outside-toplevel
    out, err = io.StringIO(), io.StringIO()
    code = main.main(list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_network_commands_and_run_flags(registry, container_root):
    name = "stt-cli-" + secrets.token_hex(3)
    try:
        code, out, err = _strata("network", "create", "--subnet", "10.213.11.0/24", "-l", "app=x", name)
        assert code == 0 and len(out.strip()) == 64, err
        code, out, err = _strata("network", "create", "--subnet", "10.213.11.0/24", name)
        assert code == 1 and "already exists" in err
        code, out, err = _strata("network", "ls", "--format", "{{.Name}} {{.Subnet}}")
        assert "%s 10.213.11.0/24\n" % name in out and out.startswith("default 172.30.0.0/16\n")
        code, out, err = _strata("--root", container_root, "run", "-d", "--name", "c1", "--network", name,
                                 "--network-alias", "svc", "--ip", "10.213.11.50", "--add-host", "db:10.213.99.1",
                                 "--dns-search", "corp.test", registry.images["busybox"], "sleep", "1000")
        assert code == 0, err
        code, out, err = _strata("--root", container_root, "exec", "c1", "cat", "/etc/hosts", "/etc/resolv.conf")
        assert "10.213.99.1\tdb\n" in out and "10.213.11.50\t" in out and "search dns.podman corp.test\n" in out
        code, out, err = _strata("--root", container_root, "inspect", "-f", "{{json .NetworkSettings.Networks}}", "c1")
        assert code == 0 and json.loads(out)[name]["IPAddress"] == "10.213.11.50", err
        code, out, err = _strata("network", "rm", name)
        assert code == 1 and "in use by c1" in err
        code, out, err = _strata("--root", container_root, "rm", "-f", "c1")
        code, out, err = _strata("network", "rm", name)
        assert (code, out) == (0, name + "\n"), err
    finally:
        Engine(container_root).networks.ensure(name, state="absent", force=True)
