# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's network as Docker's network modes give it.

    bridge  its own netns (``/var/run/netns/strata-<id12>``), eth0 on the bridge ``strata0``
            with an address from the store's pool; published ports served by its monitor
    none    its own netns with only ``lo`` (the runtime makes it)
    host    the host's network
"""

from __future__ import annotations

import os

from .._errors import InvalidSpec
from ..network import bridge, ipam, ports

BRIDGE = bridge.DEFAULT_BRIDGE


def _pool(store_root):
    return ipam.Pool(os.path.join(store_root, "network"))


def netns_name(container_id):
    return "strata-" + container_id[:12]


def plan(store_root, container_id, options):
    """At create: the record's ``network`` (mode, address, netns) and the spec's namespace."""
    mode = options.get("network_mode", "bridge")
    if mode == "host":
        return {"mode": "host"}, "host"
    if mode == "none":
        return {"mode": "none"}, None
    pool = _pool(store_root)
    address = pool.allocate(container_id)
    name = netns_name(container_id)
    return ({"mode": "bridge", "ip": address, "prefix": pool.prefixlen, "gateway": pool.gateway,
             "netns": name, "bridge": BRIDGE}, bridge.netns_path(name))


def publish_plan(requested):
    """Host ports for the requested mappings; 0 (a random port) becomes a free one now."""
    published = []
    for entry in requested:
        entry = dict(entry)
        if entry["proto"] == "sctp":
            raise InvalidSpec("publishing sctp ports is not supported")
        if not entry["host_port"]:
            entry["host_port"] = ports.check_free(entry["host_ip"], 0, entry["proto"])
        published.append(entry)
    return published


def check_ports_free(published):
    """Before a start: every host port can be bound, so a taken one is a clear error."""
    for entry in published:
        ports.check_free(entry["host_ip"], entry["host_port"], entry["proto"])


def attach(store_root, record):
    """At start: a fresh netns and veth on the bridge (a crash may have left old ones)."""
    network = record.get("network") or {}
    if network.get("mode") != "bridge":
        return
    pool = _pool(store_root)
    bridge.ensure_bridge(network.get("bridge", BRIDGE), pool.gateway_cidr)
    bridge.disconnect(record["id"], network["netns"])
    bridge.connect(record["id"], network["netns"], network["ip"], network["prefix"], network["gateway"],
                   network.get("bridge", BRIDGE))


def detach(record):
    network = record.get("network") or {}
    if network.get("mode") == "bridge":
        bridge.disconnect(record["id"], network["netns"])


def release(store_root, record):
    """At remove: the address goes back to the pool."""
    detach(record)
    if (record.get("network") or {}).get("mode") == "bridge":
        _pool(store_root).release(record["id"])
