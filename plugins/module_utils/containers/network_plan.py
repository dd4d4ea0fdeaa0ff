# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's network as Docker's network modes give it.

    bridge            its own netns (``/var/run/netns/strata-<id12>``) on one or more networks
                      (``default`` when none is named), wired by netavark at start; addresses
                      and published ports are the host's (``networks/endpoints.py``)
    none              its own netns with only ``lo`` (the runtime makes it)
    host              the host's network
    container:<name>  the network namespace (and /etc files) of another running container

Every mode gets /etc/hosts, /etc/resolv.conf and /etc/hostname from files in the container's
directory (``networks/etcfiles.py``), rewritten at each start.
"""

from __future__ import annotations

import os

from .._errors import ContainerError, InvalidSpec
from ..networks import endpoints, etcfiles, netavark
from ..fs.atomic import atomic_write

ETC_FILES = (("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf"), ("hostname", "/etc/hostname"))


def netns_name(container_id):
    return "strata-" + container_id[:12]


def plan(store_root, container_id, name, options, records):
    """At create: the record's ``network`` and the spec's namespace (a path, "host" or None).

    Networks and static addresses are checked and reserved host-wide here."""
    mode = options.get("network_mode", "bridge")
    if mode == "host":
        return {"mode": "host"}, "host"
    if mode == "none":
        return {"mode": "none"}, None
    if mode.startswith("container:"):
        other = records.find(mode.split(":", 1)[1])
        network = other.get("network") or {}
        if network.get("mode") != "bridge":
            raise InvalidSpec("network_mode %s: container %s has no network namespace of its own to share "
                              "(its network_mode is %s)" % (mode, other["name"], network.get("mode")))
        return ({"mode": "container", "container": other["id"], "netns": network["netns"]},
                netavark.netns_path(network["netns"]))
    wanted = options.get("networks") or default_networks()
    endpoints.register(store_root, container_id, name, wanted)
    netns = netns_name(container_id)
    return {"mode": "bridge", "networks": wanted, "netns": netns}, netavark.netns_path(netns)


def default_networks():
    return [{"name": "default", "aliases": [], "ipv4_address": None, "ipv6_address": None}]


def publish_plan(requested):
    """Host ports for the requested mappings; 0 (a random port) becomes a free one now."""
    published = []
    for entry in requested:
        from ..networks import ports  # pylint: disable=import-outside-toplevel  # (socket, ipaddress, typing): only to publish
        entry = dict(entry)
        if entry["proto"] == "sctp":
            raise InvalidSpec("publishing sctp ports is not supported")
        if not entry["host_port"]:
            entry["host_port"] = ports.check_free(entry["host_ip"], 0, entry["proto"])
        published.append(entry)
    return published


def check_ports_free(published):
    """Before a start: no host process listens on a published port (DNAT would hide it)."""
    for entry in published:
        from ..networks import ports  # pylint: disable=import-outside-toplevel  # only to publish
        ports.check_free(entry["host_ip"], entry["host_port"], entry["proto"])


def etc_mounts(record, directory, records):
    """The bind mounts of /etc/hosts, resolv.conf and hostname (a user's own mount wins)."""
    network = record.get("network") or {}
    source_dir = directory
    if network.get("mode") == "container":
        source_dir = records.path(network["container"])
    taken = {os.path.normpath(m["target"]) for m in record["options"].get("mounts") or []}
    return [{"type": "bind", "source": os.path.join(source_dir, filename), "target": target, "read_only": False}
            for filename, target in ETC_FILES if target not in taken]


def write_placeholders(directory):
    """Empty files for the bind mounts until the first start writes them."""
    for filename, dummy in ETC_FILES:
        path = os.path.join(directory, filename)
        if not os.path.exists(path):
            atomic_write(path, b"", mode=0o644)


def attach(store_root, record, directory):
    """At start: the wiring (a stale one torn down first), then the /etc files."""
    network = record.get("network") or {}
    mode = network.get("mode")
    if mode == "container":
        if not os.path.exists(netavark.netns_path(network["netns"])):
            raise ContainerError("cannot join the network of container %s: it is not running"
                                 % network["container"][:12], container=network["container"])
        return
    addresses, dns = [], ([], [])
    if mode == "bridge":
        # a record made before networks (one pool per root) has no "networks": it was on default
        endpoint = endpoints.connect(store_root, record["id"], record["name"], network["netns"],
                                     network.get("networks") or default_networks(), record.get("ports") or [])
        addresses, dns = _from_status(endpoint)
    _write_etc(record, directory, addresses, dns)


def _from_status(endpoint):
    """(the container's addresses, first network first; (DNS servers, search domains))."""
    addresses, servers, search = [], [], []
    for name in endpoint["payload"]["networks"]:
        status = endpoint["status"].get(name) or {}
        addresses += endpoint["addresses"].get(name, [])
        for server in status.get("dns_server_ips") or []:
            if server not in servers:
                servers.append(server)
        for domain in status.get("dns_search_domains") or []:
            if domain not in search:
                search.append(domain)
    return addresses, (servers, search)


def _write_etc(record, directory, addresses, dns):
    options = record["options"]
    host_network = record["network"].get("mode") == "host"
    hostname = options.get("hostname") or record["id"][:12]  # as the spec's (lifecycle.create)
    domainname = options.get("domainname") or ""
    files = {
        "hosts": etcfiles.hosts(hostname, domainname, addresses, options.get("etc_hosts"),
                                etcfiles.host_hosts() if host_network else None),
        "resolv.conf": etcfiles.resolv(dns, options.get("dns"), options.get("dns_search"),
                                       options.get("dns_options"), host_network),
        "hostname": etcfiles.hostname_file(hostname),
    }
    for filename, text in files.items():
        _rewrite(os.path.join(directory, filename), text.encode())


def _rewrite(path, data):
    """In place, not by rename: a running container sharing it keeps seeing the same file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def detach(record):
    network = record.get("network") or {}
    if network.get("mode") == "bridge":
        endpoints.disconnect(record["id"])
        # a namespace wired before networks (pyroute2 veth, no endpoint): its veth goes with it
        netavark.remove_netns(network["netns"])


def release(record):
    """At remove: the wiring, the addresses and the reservations go."""
    detach(record)
    if (record.get("network") or {}).get("mode") == "bridge":
        endpoints.unregister(record["id"])


def live(record):
    """{network name: {ip_address, ipv6_address, gateway, prefix_len, mac_address, aliases}} now."""
    network = record.get("network") or {}
    if network.get("mode") != "bridge":
        return {}
    endpoint = endpoints.lookup(record["id"])
    if not endpoint:
        return {}
    out = {}
    for name, options in endpoint["payload"]["networks"].items():
        interface = ((endpoint["status"].get(name) or {}).get("interfaces") or {}).get(options["interface_name"]) or {}
        found = {"ip_address": "", "ipv6_address": "", "gateway": "", "prefix_len": 0, "ipv6_gateway": "",
                 "mac_address": interface.get("mac_address", ""), "aliases": options["aliases"]}
        for subnet in interface.get("subnets") or []:
            address, dummy, prefix = subnet.get("ipnet", "").partition("/")
            if ":" in address:
                found.update(ipv6_address=address, ipv6_gateway=subnet.get("gateway", ""))
            else:
                found.update(ip_address=address, prefix_len=int(prefix or 0), gateway=subnet.get("gateway", ""))
        out[name] = found
    return out
