# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containers on networks, for every store root of the host at once (issue 23).

    member    a container configured for networks (from create to remove): its static
              addresses stay reserved, and a network it is on cannot be removed
    endpoint  a started container's wiring (from start to stop): its addresses, its
              published host ports, and netavark's input to tear it down again

Both live in the host state (``host.py``), changed only under the host lock, so two roots
or two concurrent runs never hand out one address or one host port. An entry whose
container directory is gone (its root removed, a crash) is reaped: its wiring torn down, its
addresses and ports freed.
"""

from __future__ import annotations

import ipaddress
import os

from . import definitions, host, netavark
from .._errors import ContainerError, InvalidSpec


def _alive(entry, container_id):
    if entry.get("process"):  # a build step's: alive while the process that wired it runs
        return entry["process"] == process_identity(entry["process"]["pid"])
    return os.path.isdir(os.path.join(entry["root"], "containers", container_id))


def process_identity(pid=None):
    """{pid, start}: a process's ID and start time (so a reused PID is not taken for it); None
    when there is no such process."""
    pid = pid or os.getpid()
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            # the start time is field 22; the command name (field 2) may hold spaces
            return {"pid": pid, "start": int(handle.read().rsplit(")", 1)[1].split()[19])}
    except (OSError, ValueError, IndexError):
        return None


def reap(state):
    """Drop the entries of containers that no longer exist (their root or record removed)."""
    for container_id, entry in list(state["endpoints"].items()):
        if not _alive(entry, container_id):
            try:
                netavark.teardown(entry["netns"], entry["payload"])
            except ContainerError:
                pass  # best effort: the namespace and rules of a vanished container
            del state["endpoints"][container_id]
    for container_id, entry in list(state["members"].items()):
        if not _alive(entry, container_id):
            del state["members"][container_id]
    try:
        netavark.remove_orphan_build_namespaces({entry["netns"] for entry in state["endpoints"].values()},
                                                host.build_namespace_prefix())
    except ContainerError:
        pass  # best effort, as above


def _describe(state, container_id):
    entry = state["endpoints"].get(container_id) or state["members"].get(container_id) or {}
    return "container %s (%s) of the store %s" % (entry.get("name"), container_id[:12], entry.get("root"))


# ---------------------------------------------------------------------- members
def register(root, container_id, name, wanted):
    """At create: check the networks and static addresses, reserve them host-wide.

    ``wanted``: [{name, aliases, ipv4_address, ipv6_address}]; raises before changing anything."""
    with host.locked():
        state = host.read_state()
        reap(state)
        for entry in wanted:
            definition = definitions.get(entry["name"])
            for key in ("ipv4_address", "ipv6_address"):
                if entry.get(key):
                    _check_static(state, definition, entry[key], container_id)
        state["members"][container_id] = {"root": root, "name": name, "networks": wanted}
        host.write_state(state)


def unregister(container_id):
    with host.locked():
        state = host.read_state()
        if state["members"].pop(container_id, None) is not None:
            host.write_state(state)


def users(network_name):
    """Who is configured for the network (any root): [(container id, entry)]."""
    with host.locked():
        state = host.read_state()
        reap(state)
        host.write_state(state)
    return [(cid, entry) for cid, entry in state["members"].items()
            if any(n["name"] == network_name for n in entry["networks"])]


def _check_static(state, definition, text, container_id):
    try:
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise InvalidSpec("bad address %r for network %s: %s" % (text, definition["name"], exc)) from exc
    subnet = _subnet_of(definition, address.version)
    if subnet is None or address not in subnet[0] or address in (subnet[0].network_address, subnet[1]) or \
            (address.version == 4 and address == subnet[0].broadcast_address):
        raise InvalidSpec("address %s is not a free host address of network %s (subnet %s, gateway %s)"
                          % (address, definition["name"], subnet[0] if subnet else "none", subnet[1] if subnet else "none"),
                          network=definition["name"], address=str(address))
    holder = _used(state, definition["name"], container_id).get(str(address))
    if holder:
        raise ContainerError("address %s on network %s is already in use by %s"
                             % (address, definition["name"], _describe(state, holder)),
                             network=definition["name"], address=str(address))


def _subnet_of(definition, version):
    for entry in definition["subnets"]:
        network = ipaddress.ip_network(entry["subnet"])
        if network.version == version:
            return network, ipaddress.ip_address(entry["gateway"])
    return None


def _used(state, network_name, but=None):
    """{address: container id} on the network: endpoints' addresses and members' static ones."""
    used = {}
    for cid, entry in state["members"].items():
        for net in entry["networks"]:
            if net["name"] == network_name and cid != but:
                for key in ("ipv4_address", "ipv6_address"):
                    if net.get(key):
                        used[str(ipaddress.ip_address(net[key]))] = cid
    for cid, entry in state["endpoints"].items():
        if cid != but:
            for address in entry["addresses"].get(network_name, []):
                used[address] = cid
    return used


def _allocate(state, definition, version, container_id):
    """The next free address after the last handed out (round robin: a released address is not
    reused at once, so a stale ARP entry or a client's cached name does not meet a stranger)."""
    network, gateway = _subnet_of(definition, version)
    entry = next(e for e in definition["subnets"] if ipaddress.ip_network(e["subnet"]) == network)
    if entry.get("lease_range"):
        first = int(ipaddress.ip_address(entry["lease_range"]["start_ip"]))
        last = int(ipaddress.ip_address(entry["lease_range"]["end_ip"]))
    else:
        first, last = int(network.network_address) + 1, int(network.broadcast_address) - (1 if version == 4 else 0)
    used = _used(state, definition["name"], container_id)
    count = last - first + 1
    pointer_key = "%s/%d" % (definition["name"], version)
    start = 0
    if state["last"].get(pointer_key):
        previous = int(ipaddress.ip_address(state["last"][pointer_key]))
        if first <= previous <= last:
            start = previous - first + 1
    for step in range(count):
        address = ipaddress.ip_address(first + (start + step) % count)
        if address != gateway and str(address) not in used:
            state["last"][pointer_key] = str(address)
            return str(address)
    raise ContainerError("no free address left on network %s (%s)" % (definition["name"], network),
                         network=definition["name"])


# ---------------------------------------------------------------------- ports
def _port_text(port):
    from .ports import endpoint  # pylint: disable=import-outside-toplevel
    return endpoint(port["host_ip"], port["host_port"])


def _clash(mine, theirs):
    return mine["proto"] == theirs["proto"] and mine["host_port"] == theirs["host_port"] and \
        (not mine["host_ip"] or not theirs["host_ip"] or mine["host_ip"] == theirs["host_ip"])


def check_ports(state, container_id, ports):
    """A host port published by any root's running container is refused, naming the holder."""
    for cid, entry in state["endpoints"].items():
        if cid == container_id:
            continue
        for theirs in entry.get("ports") or []:
            for mine in ports:
                if _clash(mine, theirs):
                    raise ContainerError("Bind for %s failed: port is already allocated (published by %s)"
                                         % (_port_text(mine), _describe(state, cid)),
                                         host_ip=mine["host_ip"], host_port=mine["host_port"], proto=mine["proto"],
                                         holder=entry.get("name"), holder_id=cid, holder_root=entry.get("root"))


def ports_in_use():
    """Every published host port of the host: [(port entry, container id, endpoint)]."""
    state = host.read_state()
    return [(p, cid, e) for cid, e in state["endpoints"].items() for p in e.get("ports") or []]


# ---------------------------------------------------------------------- wiring
def connect(root, container_id, name, netns_name, wanted, ports, process=None):
    """At start: addresses, host ports, netavark setup; returns the endpoint (with netavark's
    status). A stale wiring of the same container (a crash) is torn down first. ``process``
    (a process_identity()) marks a wiring that lives only as long as that process (a build
    step's) rather than as a container directory."""
    with host.locked():
        state = host.read_state()
        reap(state)
        old = state["endpoints"].pop(container_id, None)
        if old:
            netavark.teardown(old["netns"], old["payload"])
            host.write_state(state)
        check_ports(state, container_id, ports)
        networks, addresses = [], {}
        for entry in wanted:
            definition = definitions.get(entry["name"])
            static = []
            for version, key in ((4, "ipv4_address"), (6, "ipv6_address")):
                if version == 6 and not definition["ipv6_enabled"]:
                    continue
                if entry.get(key):
                    _check_static(state, definition, entry[key], container_id)
                    static.append(str(ipaddress.ip_address(entry[key])))
                else:
                    static.append(_allocate(state, definition, version, container_id))
            addresses[definition["name"]] = static
            aliases = [name] + [a for a in entry.get("aliases") or [] if a != name]
            networks.append((definition, {"static_ips": static, "aliases": aliases}))
        data = netavark.payload(container_id, name, networks, ports)
        status = netavark.setup(netns_name, data)
        endpoint = {"root": root, "name": name, "netns": netns_name, "payload": data, "addresses": addresses,
                    "ports": list(ports), "status": status}
        if process:
            endpoint["process"] = process
        state["endpoints"][container_id] = endpoint
        try:
            host.write_state(state)
        except BaseException:
            netavark.teardown(netns_name, data)
            raise
    return endpoint


def disconnect(container_id):
    """At stop and remove: undo the wiring, free the addresses and ports. True if it had one."""
    with host.locked():
        state = host.read_state()
        endpoint = state["endpoints"].pop(container_id, None)
        if endpoint is None:
            return False
        try:
            netavark.teardown(endpoint["netns"], endpoint["payload"])
        finally:
            host.write_state(state)
    return True


def lookup(container_id):
    """The container's endpoint now (no lock: for display), or None."""
    return host.read_state()["endpoints"].get(container_id)


def drop_network(network_name):
    """``network rm --force``: tear the network's part out of every running container's wiring
    (they keep running, without it) and drop it from the members. Returns the containers."""
    touched = []
    with host.locked():
        state = host.read_state()
        reap(state)
        for cid, entry in state["endpoints"].items():
            if network_name not in entry["payload"]["networks"]:
                continue
            only = dict(entry["payload"], networks={network_name: entry["payload"]["networks"][network_name]},
                        network_info={network_name: entry["payload"]["network_info"][network_name]})
            if len(entry["payload"]["networks"]) == 1:
                only["port_mappings"] = entry["payload"]["port_mappings"]
                entry["ports"] = []
            else:
                only["port_mappings"] = []
            netavark.run_teardown(entry["netns"], only)
            for key in ("networks", "network_info"):
                entry["payload"][key].pop(network_name, None)
            if not entry["payload"]["networks"]:
                entry["payload"]["port_mappings"] = []
            entry["addresses"].pop(network_name, None)
            touched.append(entry.get("name"))
        for entry in state["members"].values():
            before = len(entry["networks"])
            entry["networks"] = [n for n in entry["networks"] if n["name"] != network_name]
            if len(entry["networks"]) != before and entry.get("name") not in touched:
                touched.append(entry.get("name"))
        host.write_state(state)
    return touched


def forget_pointers(network_name):
    """A removed network's round-robin pointers (a new one of that name starts afresh)."""
    with host.locked():
        state = host.read_state()
        for version in (4, 6):
            state["last"].pop("%s/%d" % (network_name, version), None)
        host.write_state(state)
