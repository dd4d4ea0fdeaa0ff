# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bridge networking: a host bridge, and per container a named netns joined by a veth pair.

    host: strata0 (gateway) <- veth<id[:8]>  ===  eth0 (container ip) : netns <name>

All netlink goes through pyroute2. The netns is bind-mounted at /var/run/netns/<name>;
``connect`` returns that path for the OCI spec's network namespace.
"""

from __future__ import annotations

import errno
import ipaddress
import os

from .._deps import need_pyroute2
from .._errors import ContainerError, InvalidSpec

DEFAULT_BRIDGE = "strata0"
DEFAULT_GATEWAY_CIDR = "172.30.0.1/16"
NETNS_DIR = "/var/run/netns"
IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"


def _need():
    """(IPRoute, netns, NetlinkError), imported on first use (pyroute2 takes 0.1 s to import)."""
    pyroute2, netns_module, exceptions = need_pyroute2()
    return pyroute2.IPRoute, netns_module, exceptions.NetlinkError


def _in_netns(netns_name):
    """A netlink socket in the named netns, never creating it (flags=0). NetNS, not
    IPRoute(netns=...): Debian 12's pyroute2 0.7 has only NetNS."""
    return need_pyroute2()[0].NetNS(netns_name, flags=0)


def netns_path(netns_name):
    if not isinstance(netns_name, str) or not netns_name or "/" in netns_name or netns_name in (".", ".."):
        raise InvalidSpec("bad network namespace name %r" % (netns_name,))
    return os.path.join(NETNS_DIR, netns_name)


def host_veth(container_id):
    if not isinstance(container_id, str) or len(container_id) < 8:
        raise InvalidSpec("bad container id %r: need at least 8 characters" % (container_id,))
    return "veth" + container_id[:8]


def _index(ipr, ifname):
    found = ipr.link_lookup(ifname=ifname)
    return found[0] if found else None


def ensure_bridge(name=DEFAULT_BRIDGE, gateway_cidr=DEFAULT_GATEWAY_CIDR, ip_forward=False):
    """Create the bridge if missing, give it the gateway address, bring it up. Returns True if changed."""
    IPRoute, dummy, NetlinkError = _need()
    address, prefix = _cidr(gateway_cidr)
    try:
        with IPRoute() as ipr:
            changed = _ensure_link(ipr, name)
            index = _index(ipr, name)
            changed = _ensure_addr(ipr, index, address, prefix) or changed
            if not ipr.get_links(index)[0].get("flags", 0) & 1:
                ipr.link("set", index=index, state="up")
                changed = True
    except NetlinkError as exc:
        raise ContainerError("cannot set up bridge %s: %s" % (name, _why(exc)), bridge=name) from exc
    if ip_forward:
        changed = _enable_forwarding() or changed
    return changed


def _ensure_link(ipr, name):
    index = _index(ipr, name)
    if index is None:
        ipr.link("add", ifname=name, kind="bridge")
        return True
    kind = ipr.get_links(index)[0].get(("linkinfo", "kind"))
    if kind != "bridge":
        raise ContainerError("network device %s exists but is a %s, not a bridge" % (name, kind), bridge=name)
    return False


def _ensure_addr(ipr, index, address, prefix):
    for msg in ipr.get_addr(index=index, family=2):
        if msg.get_attr("IFA_ADDRESS") == address and msg["prefixlen"] == prefix:
            return False
    ipr.addr("add", index=index, address=address, prefixlen=prefix)
    return True


def _enable_forwarding():
    with open(IP_FORWARD, encoding="ascii") as handle:
        if handle.read().strip() == "1":
            return False
    with open(IP_FORWARD, "w", encoding="ascii") as handle:
        handle.write("1\n")
    return True


def delete_bridge(name=DEFAULT_BRIDGE):
    """Remove the bridge; a missing one is fine. Returns True if it existed."""
    IPRoute = _need()[0]
    with IPRoute() as ipr:
        index = _index(ipr, name)
        if index is None:
            return False
        _quiet(ipr.link, "del", index=index)
    return True


def connect(container_id, netns_name, ip, prefix, gateway, bridge=DEFAULT_BRIDGE):
    """Create netns ``netns_name`` with eth0 = ``ip/prefix`` on ``bridge``; returns the netns path."""
    IPRoute, netns, NetlinkError = _need()
    path, veth = netns_path(netns_name), host_veth(container_id)
    address = _cidr("%s/%s" % (ip, prefix))
    master = _precheck(bridge, veth, path, netns_name)
    try:
        netns.create(netns_name)
    except OSError as exc:
        raise ContainerError("cannot create network namespace %s: %s" % (netns_name, _why(exc)),
                             netns=netns_name) from exc
    try:
        with IPRoute() as ipr:
            _plug(ipr, veth, netns_name, master)
        _configure_inside(netns_name, address, _cidr("%s/32" % gateway)[0])
    except (NetlinkError, OSError) as exc:
        # undo only what this call made: the netns and veth are ours by now
        disconnect(container_id, netns_name)
        raise ContainerError("cannot connect %s to bridge %s: %s" % (netns_name, bridge, _why(exc)),
                             netns=netns_name, bridge=bridge) from exc
    return path


def _precheck(bridge, veth, path, netns_name):
    IPRoute = _need()[0]
    if os.path.exists(path):
        raise ContainerError("network namespace %s already exists" % netns_name, netns=netns_name)
    with IPRoute() as ipr:
        master = _index(ipr, bridge)
        if master is None:
            raise ContainerError("bridge %s does not exist" % bridge, bridge=bridge)
        if _index(ipr, veth) is not None:
            raise ContainerError("network device %s already exists" % veth, device=veth)
    return master


def _plug(ipr, veth, netns_name, master):
    # the peer is born inside the netns as eth0: no rename, no clash with the host's eth0
    ipr.link("add", ifname=veth, kind="veth", peer={"ifname": "eth0", "net_ns_fd": netns_name})
    index = _index(ipr, veth)
    ipr.link("set", index=index, master=master)
    ipr.link("set", index=index, state="up")


def _configure_inside(netns_name, address, gateway):
    with _in_netns(netns_name) as ns:
        ns.link("set", index=_index(ns, "lo"), state="up")
        eth0 = _index(ns, "eth0")
        ns.addr("add", index=eth0, address=address[0], prefixlen=address[1])
        ns.link("set", index=eth0, state="up")
        ns.route("add", dst="0.0.0.0/0", gateway=gateway)


def disconnect(container_id, netns_name):
    """Delete the host veth (its peer goes with it) and the netns; missing parts are fine."""
    IPRoute, netns, dummy = _need()
    path, veth = netns_path(netns_name), host_veth(container_id)
    with IPRoute() as ipr:
        index = _index(ipr, veth)
        if index is not None:
            _quiet(ipr.link, "del", index=index)
    if os.path.exists(path):
        try:
            netns.remove(netns_name)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise ContainerError("cannot remove network namespace %s: %s" % (netns_name, _why(exc)),
                                     netns=netns_name) from exc


def inspect(netns_name):
    """{"ip", "prefix", "mac", "gateway"} of eth0 in the netns; None if the netns is gone."""
    if not os.path.exists(netns_path(netns_name)):
        return None
    with _in_netns(netns_name) as ns:
        index = _index(ns, "eth0")
        if index is None:
            return {"ip": None, "prefix": None, "mac": None, "gateway": None}
        # attributes by their full names: pyroute2 0.7 (Debian 12) resolves no short ones
        mac = ns.get_links(index)[0].get_attr("IFLA_ADDRESS")
        addrs = list(ns.get_addr(index=index, family=2))
        routes = [r for r in ns.get_routes(family=2) if r["dst_len"] == 0 and r.get_attr("RTA_GATEWAY")]
    first = addrs[0] if addrs else None
    return {"ip": first.get_attr("IFA_ADDRESS") if first else None, "prefix": first["prefixlen"] if first else None,
            "mac": mac, "gateway": routes[0].get_attr("RTA_GATEWAY") if routes else None}


def _quiet(method, *args, **kwargs):
    """Run a delete; "no such device" means someone else already did it."""
    NetlinkError = _need()[2]
    try:
        method(*args, **kwargs)
    except NetlinkError as exc:
        if exc.code != errno.ENODEV:
            raise ContainerError("cannot delete network device: %s" % _why(exc)) from exc


def _cidr(text):
    """"a.b.c.d/n" -> ("a.b.c.d", n)."""
    try:
        interface = ipaddress.IPv4Interface(str(text))
    except ValueError as exc:
        raise InvalidSpec("bad IPv4 address %r: %s" % (text, exc)) from exc
    return str(interface.ip), interface.network.prefixlen


def _why(exc):
    return exc.args[1] if len(getattr(exc, "args", ())) > 1 else str(exc)
