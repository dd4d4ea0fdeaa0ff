# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network definitions: what a user asks for, checked, in netavark's own form.

A definition is the ``network_info`` entry netavark takes (name, id, driver, bridge,
subnets with gateway and lease range, internal, ipv6_enabled, dns_enabled) plus labels and
a creation time, kept as ``<config dir>/<name>.json``. ``default`` (Docker's ``bridge``)
is built in: the bridge ``strata0`` on 172.30.0.0/16, no DNS between its containers.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re

from . import host
from .._errors import ContainerError, InvalidSpec

DEFAULT = "default"
ALIASES = {"bridge": DEFAULT}  # Docker's name for it
DEFAULT_BRIDGE = "strata0"
DEFAULT_SUBNET = "172.30.0.0/16"
AUTO_POOL = "10.90.0.0/16"     # user networks without a subnet get the first free /24 of it
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$")
_LABEL = re.compile(r"^[^\x00-\x1f=]{1,256}$")


def canonical_name(name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidSpec("bad network name %r: [a-zA-Z0-9][a-zA-Z0-9_.-]*, up to 64 characters" % (name,))
    return ALIASES.get(name, name)


def network_id(name):
    """A stable 64-hex ID, as podman's (the default network's is the same on every host)."""
    return hashlib.sha256(("strata-network:" + name).encode()).hexdigest()


def default_network():
    return {"name": DEFAULT, "id": network_id(DEFAULT), "driver": "bridge", "network_interface": DEFAULT_BRIDGE,
            "subnets": [_subnet_entry(ipaddress.ip_network(DEFAULT_SUBNET), None, None)],
            "ipv6_enabled": False, "internal": False, "dns_enabled": False, "labels": {},
            "ipam_options": {"driver": "host-local"}, "created": None}


def _path(name):
    return os.path.join(host.config_dir(), name + ".json")


def load(name):
    """The definition of ``name`` (``default``/``bridge`` built in), or None."""
    name = canonical_name(name)
    if name == DEFAULT:
        return default_network()
    try:
        return _read(_path(name))
    except FileNotFoundError:
        return None


def get(name):
    found = load(name)
    if found is None:
        raise ContainerError("network %s not found" % name, network=name)
    return found


def all_networks():
    """Every definition, ``default`` first, then by name."""
    found = [default_network()]
    directory = host.config_dir()
    if os.path.isdir(directory):
        for entry in sorted(os.listdir(directory)):
            if entry.endswith(".json") and _NAME.match(entry[:-5]) and entry[:-5] != DEFAULT:
                try:
                    found.append(_read(os.path.join(directory, entry)))
                except FileNotFoundError:
                    continue  # removed meanwhile
    return found


def _read(path):
    from ..fs.atomic import read_json  # pylint: disable=import-outside-toplevel
    try:
        value = read_json(path)
    except ValueError as exc:
        raise ContainerError("network definition %s is not valid JSON: %s" % (path, exc)) from exc
    if value is None:
        raise FileNotFoundError(path)
    return value


def save(definition):
    os.makedirs(host.config_dir(), mode=0o755, exist_ok=True)
    host.write_json(_path(definition["name"]), definition)


def delete(name):
    try:
        os.unlink(_path(name))
    except FileNotFoundError:
        pass


# ---------------------------------------------------------------------- building one
def build(name, *, subnet=None, gateway=None, ip_range=None, internal=False, enable_ipv6=False,
          ipv6_subnet=None, ipv6_gateway=None, dns=True, labels=None, driver="bridge", taken=()):
    """A new definition from the user's options; ``taken`` are the other definitions.

    Raises InvalidSpec for anything wrong; nothing is written here."""
    name = canonical_name(name)
    if driver != "bridge":
        raise InvalidSpec("network driver %r is not supported: only bridge" % (driver,))
    others = [n for n in taken if n["name"] != name]
    bridges = [n["network_interface"] for n in taken]  # its own bridge's route is no collision
    if subnet:
        v4 = _network(subnet, 4, "subnet")
    else:
        if gateway or ip_range:
            raise InvalidSpec("gateway and ip_range need a subnet")
        v4 = _free_subnet(others)
    subnets = [_subnet_entry(v4, gateway, ip_range)]
    if enable_ipv6:
        if not ipv6_subnet:
            raise InvalidSpec("enable_ipv6 needs an ipv6_subnet, such as fd00:1234::/64")
        subnets.append(_subnet_entry(_network(ipv6_subnet, 6, "ipv6_subnet"), ipv6_gateway, None))
    elif ipv6_subnet or ipv6_gateway:
        raise InvalidSpec("ipv6_subnet and ipv6_gateway need enable_ipv6: true")
    for entry in subnets:
        check_overlaps(name, ipaddress.ip_network(entry["subnet"]), others, bridges)
    return {"name": name, "id": network_id(name), "driver": "bridge",
            "network_interface": _bridge_name(name, taken),
            "subnets": subnets, "ipv6_enabled": bool(enable_ipv6), "internal": bool(internal),
            "dns_enabled": bool(dns), "labels": _labels(labels), "ipam_options": {"driver": "host-local"}}


def _network(text, version, what):
    try:
        network = ipaddress.ip_network(str(text), strict=True)
    except ValueError as exc:
        raise InvalidSpec("bad %s %r: %s" % (what, text, exc)) from exc
    if network.version != version:
        raise InvalidSpec("bad %s %r: not an IPv%d network" % (what, text, version))
    if network.num_addresses < 4:
        raise InvalidSpec("%s %s is too small for a gateway and containers" % (what, network))
    return network


def _subnet_entry(network, gateway, ip_range):
    entry = {"subnet": str(network), "gateway": str(_gateway(network, gateway))}
    if ip_range:
        try:
            pool = ipaddress.ip_network(str(ip_range), strict=True)
        except ValueError as exc:
            raise InvalidSpec("bad ip_range %r: %s" % (ip_range, exc)) from exc
        if pool.version != network.version or not pool.subnet_of(network):
            raise InvalidSpec("ip_range %s is not inside subnet %s" % (pool, network))
        entry["ip_range"] = str(pool)
        entry["lease_range"] = {"start_ip": str(pool[0] if pool.num_addresses == 1 else pool[1]),
                                "end_ip": str(pool[-1] if pool.num_addresses == 1 else pool[-2])}
    return entry


def _gateway(network, gateway):
    if not gateway:
        return network[1]
    try:
        address = ipaddress.ip_address(str(gateway))
    except ValueError as exc:
        raise InvalidSpec("bad gateway %r: %s" % (gateway, exc)) from exc
    if address not in network or address in (network.network_address, network.broadcast_address):
        raise InvalidSpec("gateway %s is not a host address of subnet %s" % (address, network))
    return address


def _labels(labels):
    labels = labels or {}
    if not isinstance(labels, dict):
        raise InvalidSpec("labels must be a dict of strings, not %r" % (labels,))
    out = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not _LABEL.match(key):
            raise InvalidSpec("bad label name %r" % (key,))
        out[key] = str(value)
    return out


def check_overlaps(name, network, others, bridges):
    """Refuse a subnet that overlaps another network's or a route of the host."""
    for other in others:
        for entry in other["subnets"]:
            theirs = ipaddress.ip_network(entry["subnet"])
            if theirs.version == network.version and theirs.overlaps(network):
                raise InvalidSpec("subnet %s of network %s overlaps subnet %s of network %s"
                                  % (network, name, theirs, other["name"]), network=name, other=other["name"])
    for route, device in host_routes(network.version):
        if route.overlaps(network) and route.prefixlen > 0 and device not in bridges:
            raise InvalidSpec("subnet %s of network %s collides with the host's route to %s (dev %s)"
                              % (network, name, route, device), network=name, route=str(route))


def host_routes(version):
    """(network, device name) of the host's routes in the main table, from netlink."""
    from .._deps import need_pyroute2  # pylint: disable=import-outside-toplevel
    pyroute2 = need_pyroute2()[0]
    family = 2 if version == 4 else 10
    found = []
    with pyroute2.IPRoute() as ipr:
        names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
        for msg in ipr.get_routes(family=family, table=254):
            dst = msg.get_attr("RTA_DST")
            if dst is None:
                continue  # the default route overlaps everything: not a collision
            route = ipaddress.ip_network("%s/%d" % (dst, msg["dst_len"]), strict=False)
            found.append((route, names.get(msg.get_attr("RTA_OIF"), "?")))
    return found


def _free_subnet(others):
    """The first /24 of AUTO_POOL that no network and no host route uses (podman's way)."""
    routes = host_routes(4)
    for candidate in ipaddress.ip_network(AUTO_POOL).subnets(new_prefix=24):
        used = [ipaddress.ip_network(e["subnet"]) for o in others for e in o["subnets"]] + [route for route, dummy in routes]
        if not any(u.version == 4 and u.overlaps(candidate) for u in used):
            return candidate
    raise ContainerError("no free subnet left in %s: give the network a subnet" % AUTO_POOL)


def _bridge_name(name, taken):
    """strata1, strata2, ...: the lowest number no other network and no host link uses."""
    for other in taken:
        if other["name"] == name:
            return other["network_interface"]
    used = {o["network_interface"] for o in taken}
    for number in range(1, 10000):
        candidate = "strata%d" % number
        if candidate not in used and not os.path.exists("/sys/class/net/" + candidate):
            return candidate
    raise ContainerError("no free bridge name strataN left")


def comparable(definition):
    """The fields a user sets, to compare a wanted definition with an existing one."""
    return {k: definition.get(k) for k in ("driver", "subnets", "ipv6_enabled", "internal", "dns_enabled", "labels")}
