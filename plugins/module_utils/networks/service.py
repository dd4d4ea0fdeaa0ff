# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network module's logic: ``docker network create/rm/inspect/ls``, idempotent.

Networks are the host's, not a store root's: every root sees the same ones.
"""

from __future__ import annotations

import ipaddress

from . import definitions, endpoints, host
from .._errors import InUse, InvalidSpec
from ..oci import timestamps

STATES = ("present", "absent")


class NetworkService:
    def __init__(self, *, check_mode=False):
        self.check_mode = check_mode

    # ------------------------------------------------------------------ read
    def info(self, name=None):
        """[view] of one network (``name``) or of all."""
        if name:
            return [self.view(definitions.get(name))]
        return [self.view(d) for d in definitions.all_networks()]

    @staticmethod
    def view(definition):
        state = host.read_state()
        containers = {}
        for cid, entry in state["members"].items():
            for net in entry["networks"]:
                if net["name"] == definition["name"]:
                    containers[cid] = {"name": entry["name"], "root": entry["root"], "aliases": net.get("aliases", []),
                                       "ipv4_address": "", "ipv6_address": "", "running": False}
        for cid, entry in state["endpoints"].items():
            if definition["name"] in entry["addresses"] and cid in containers:
                found = containers[cid]
                found["running"] = True
                for address in entry["addresses"][definition["name"]]:
                    found["ipv6_address" if ":" in address else "ipv4_address"] = address
        return {"name": definition["name"], "id": definition["id"], "driver": definition["driver"],
                "bridge": definition["network_interface"], "subnets": [_subnet_view(e) for e in definition["subnets"]],
                "internal": definition["internal"], "enable_ipv6": definition["ipv6_enabled"],
                "dns": definition["dns_enabled"], "labels": definition.get("labels") or {},
                "created": definition.get("created"), "builtin": definition["name"] == definitions.DEFAULT,
                "containers": containers}

    # ------------------------------------------------------------------ ensure
    def ensure(self, name, state="present", *, force=False, **wanted):
        """``wanted``: subnet, gateway, ip_range, internal, enable_ipv6, ipv6_subnet, ipv6_gateway,
        labels, dns, driver (None: not asked for)."""
        if state not in STATES:
            raise InvalidSpec("state must be present or absent, not %r" % (state,))
        name = definitions.canonical_name(name)
        if self.check_mode:
            return self._ensure(name, state, force, wanted)
        with host.locked():
            return self._ensure(name, state, force, wanted)

    def _ensure(self, name, state, force, wanted):
        existing = definitions.load(name)
        before = self.view(existing) if existing else None
        if state == "absent":
            return self._remove(name, existing, before, force)
        if name == definitions.DEFAULT:
            asked = {k: v for k, v in wanted.items() if v is not None and k != "driver"}
            if asked:
                raise InvalidSpec("the default network is built in (bridge strata0, %s) and cannot be changed: "
                                  "give %s to a network of your own" % (definitions.DEFAULT_SUBNET, ", ".join(sorted(asked))))
            return _result(False, [], before, before)
        changes = _changes(existing, wanted) if existing else None
        if existing and not changes:
            return _result(False, [], before, before)
        definition = self._wanted(name, existing, wanted)
        if existing and set(changes) - {"labels"}:
            users = self._users(name)
            if users and not force:
                raise InUse("network %s is in use by %s: %s cannot change while containers use it (remove them first, "
                            "or force: true)" % (name, _names(users), ", ".join(sorted(changes))), network=name)
        definition["created"] = (existing or {}).get("created") or timestamps.now()
        after = self.view(definition)
        if not self.check_mode:
            definitions.save(definition)
        action = ("update network %s" if existing else "create network %s") % name
        return _result(True, [action], before, after)

    @staticmethod
    def _wanted(name, existing, wanted):
        """The full definition: the options asked for over the existing network's."""
        merged = {"subnet": None, "gateway": None, "ip_range": None, "internal": False, "enable_ipv6": False,
                  "ipv6_subnet": None, "ipv6_gateway": None, "labels": {}, "dns": True, "driver": "bridge"}
        if existing:
            merged.update(_options_of(existing))
            if wanted.get("subnet") and wanted["subnet"] != merged["subnet"]:
                merged.update(gateway=None, ip_range=None)  # they belonged to the old subnet
        merged.update({k: v for k, v in wanted.items() if v is not None})
        return definitions.build(name, taken=definitions.all_networks(), **merged)

    def _remove(self, name, existing, before, force):
        if existing is None:
            return _result(False, [], None, None)
        if name == definitions.DEFAULT:
            raise InvalidSpec("the default network is built in and cannot be removed")
        users = self._users(name)
        if users and not force:
            raise InUse("network %s is in use by %s: remove them first, or force: true (their wiring on it is "
                        "torn down)" % (name, _names(users)), network=name,
                        containers=[entry["name"] for dummy, entry in users])
        if not self.check_mode:
            if users:
                endpoints.drop_network(name)
            definitions.delete(name)
            endpoints.forget_pointers(name)
        return _result(True, ["remove network %s" % name], before, None)

    def _users(self, name):
        if self.check_mode:
            state = host.read_state()
            return [(cid, e) for cid, e in state["members"].items() if any(n["name"] == name for n in e["networks"])]
        return _members_locked(name)


def _members_locked(name):
    """Members of the network (the caller holds the lock; stale entries reaped)."""
    state = host.read_state()
    endpoints.reap(state)
    host.write_state(state)
    return [(cid, e) for cid, e in state["members"].items() if any(n["name"] == name for n in e["networks"])]


def _names(users):
    return ", ".join("%s (%s, store %s)" % (e["name"], cid[:12], e["root"]) for cid, e in users)


def _options_of(definition):
    out = {"internal": definition["internal"], "enable_ipv6": definition["ipv6_enabled"],
           "dns": definition["dns_enabled"], "labels": definition.get("labels") or {}, "driver": definition["driver"]}
    for entry in definition["subnets"]:
        v6 = ipaddress.ip_network(entry["subnet"]).version == 6
        out["ipv6_subnet" if v6 else "subnet"] = entry["subnet"]
        out["ipv6_gateway" if v6 else "gateway"] = entry["gateway"]
        if not v6 and entry.get("ip_range"):
            out["ip_range"] = entry["ip_range"]
    return out


def _changes(existing, wanted):
    """The options asked for that differ from the existing network."""
    have = _options_of(existing)
    found = {}
    for key, value in wanted.items():
        if value is None:
            continue
        if key in ("subnet", "ipv6_subnet", "ip_range"):
            value = str(ipaddress.ip_network(str(value), strict=False))
        elif key in ("gateway", "ipv6_gateway"):
            value = str(ipaddress.ip_address(str(value)))
        elif key == "labels":
            value = {str(k): str(v) for k, v in value.items()}
        if have.get(key) != value and not (key in ("labels",) and not value and not have.get(key)):
            found[key] = (have.get(key), value)
    return found


def _subnet_view(entry):
    out = {"subnet": entry["subnet"], "gateway": entry["gateway"]}
    if entry.get("ip_range"):
        out["ip_range"] = entry["ip_range"]
    return out


def _result(changed, actions, before, after):
    return {"changed": changed, "actions": actions, "network": after or {},
            "diff": {"before": _diffable(before), "after": _diffable(after)}}


def _diffable(view):
    if not view:
        return {"state": "absent"}
    out = {k: view[k] for k in ("driver", "subnets", "internal", "enable_ipv6", "dns", "labels")}
    out["state"] = "present"
    return out
