# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user asks of a container, in one canonical form, and how it compares with an
existing container (the community.docker model: only what the user set is compared, after
merging the image's defaults)."""

from __future__ import annotations

import ipaddress
import re
import shlex

from . import healthcheck
from . import logconfig
from . import run_options
from .._errors import InvalidSpec
from ..networks.ports import parse_ports
from ..networks import definitions, etcfiles
from ..runtime import bundle

NETWORK_MODES = ("bridge", "host", "none")
MOUNT_TYPES = ("bind", "volume", "tmpfs")
# Changed in place (runc update, or the monitor's next decision); everything else recreates.
UPDATABLE = ("memory", "cpus", "pids_limit", "restart_policy") + run_options.UPDATABLE
_RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$")
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([bkmgt]?)b?$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


def parse_size(value, what="memory"):
    """Docker's sizes: 536870912, "512m", "1g", "1.5G" (binary units)."""
    if isinstance(value, bool):
        raise InvalidSpec("%s must be a size such as 512m, not %r" % (what, value))
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value).strip())
    if not match:
        raise InvalidSpec("%s must be a size such as 512m or 1g, not %r" % (what, value))
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _argv(value, what):
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise InvalidSpec("cannot split %s %r: %s" % (what, value, exc)) from exc
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidSpec("%s must be a string or a list of strings, not %r" % (what, value))


def _env(value):
    if not isinstance(value, dict):
        raise InvalidSpec("env must be a dict of names to values, not %r" % (value,))
    return {k: bundle._env_value(k, v) for k, v in value.items()}  # pylint: disable=protected-access


def _labels(value):
    if not isinstance(value, dict):
        raise InvalidSpec("labels must be a dict of strings, not %r" % (value,))
    return {str(k): str(v) for k, v in value.items()}


def _mount(spec):
    if not isinstance(spec, dict):
        raise InvalidSpec("a mount must be a dict with type, source and target, not %r" % (spec,))
    kind = spec.get("type") or "volume"
    if kind not in MOUNT_TYPES:
        raise InvalidSpec("mount type %r is not one of %s" % (kind, ", ".join(MOUNT_TYPES)))
    target, source = spec.get("target"), spec.get("source")
    if not isinstance(target, str) or not target.startswith("/"):
        raise InvalidSpec("mount target %r must be an absolute path" % (target,))
    if kind == "bind" and (not isinstance(source, str) or not source.startswith("/")):
        raise InvalidSpec("the bind mount on %s needs an absolute source path, not %r" % (target, source))
    if kind == "volume" and (not isinstance(source, str) or not _VOLUME_NAME.match(source)):
        raise InvalidSpec("the volume mount on %s needs a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), not %r"
                          % (target, source))
    if kind == "tmpfs" and source:
        raise InvalidSpec("the tmpfs mount on %s takes no source" % target)
    return {"type": kind, "source": source or "", "target": target, "read_only": bool(spec.get("read_only"))}


def _ports(value):
    if not isinstance(value, (list, tuple)):
        raise InvalidSpec("published_ports must be a list of strings, not %r" % (value,))
    out = []
    for item in value:
        for mapping in parse_ports(str(item) if isinstance(item, int) else item):
            out.append({"host_ip": mapping.host_ip, "host_port": mapping.host_port,
                        "container_port": mapping.container_port, "proto": mapping.proto})
    seen = set()
    for entry in out:
        key = (entry["host_ip"], entry["host_port"], entry["proto"])
        if entry["host_port"] and key in seen:
            raise InvalidSpec("host port %s/%s is published twice" % (entry["host_port"], entry["proto"]))
        seen.add(key)
    return sorted(out, key=lambda e: (e["container_port"], e["proto"], e["host_ip"], e["host_port"]))


def _network_mode(value):
    """bridge (or default), host, none, container:<name>, or a network's name (as Docker's)."""
    if not isinstance(value, str) or not value:
        raise InvalidSpec("network_mode must be a string, not %r" % (value,))
    if value in NETWORK_MODES:
        return value
    if value == "default":
        return "bridge"
    if value.startswith("container:"):
        other = value.split(":", 1)[1]
        if not _VOLUME_NAME.match(other) and not re.match(r"^[0-9a-f]{1,64}$", other):
            raise InvalidSpec("network_mode %r: expected container:<name or id>" % (value,))
        return value
    definitions.canonical_name(value)
    return "bridge"  # a network's name: the networks option carries it (normalize)


def _networks(value):
    if not isinstance(value, (list, tuple)):
        raise InvalidSpec("networks must be a list of {name, aliases, ipv4_address, ipv6_address}, not %r" % (value,))
    out, seen = [], set()
    for item in value:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not item.get("name"):
            raise InvalidSpec("a network must be a dict with a name, not %r" % (item,))
        name = definitions.canonical_name(item["name"])
        if name in seen:
            raise InvalidSpec("network %s is listed twice" % name)
        seen.add(name)
        aliases = item.get("aliases") or []
        if not isinstance(aliases, (list, tuple)) or not all(etcfiles.valid_hostname(a) for a in aliases):
            raise InvalidSpec("aliases of network %s must be host names, not %r" % (name, aliases))
        entry = {"name": name, "aliases": sorted(set(aliases)), "ipv4_address": None, "ipv6_address": None}
        for key, version in (("ipv4_address", 4), ("ipv6_address", 6)):
            if item.get(key):
                entry[key] = _address(item[key], version, "%s of network %s" % (key, name))
        out.append(entry)
    return out


def _address(text, version, what):
    try:
        address = ipaddress.ip_address(str(text))
    except ValueError as exc:
        raise InvalidSpec("bad %s %r: %s" % (what, text, exc)) from exc
    if address.version != version:
        raise InvalidSpec("bad %s %r: not an IPv%d address" % (what, text, version))
    return str(address)


def _address_ok(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _strings(what, check=None):
    def normal(value):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise InvalidSpec("%s must be a list of strings, not %r" % (what, value))
        for item in value:
            if check and not check(item):
                raise InvalidSpec("bad %s entry %r" % (what, item))
        return list(value)
    return normal


def _etc_hosts(value):
    """{name: address} (community.docker's form) or ["name:address"] (docker run --add-host)."""
    if isinstance(value, (list, tuple)):
        pairs = {}
        for item in value:
            name, sep, address = str(item).partition(":")
            if not sep:
                raise InvalidSpec("etc_hosts entry %r: expected name:address" % (item,))
            pairs[name] = address
        value = pairs
    if not isinstance(value, dict):
        raise InvalidSpec("etc_hosts must map host names to addresses, not %r" % (value,))
    out = {}
    for name, address in value.items():
        if not etcfiles.valid_hostname(str(name)):
            raise InvalidSpec("etc_hosts: bad host name %r" % (name,))
        try:
            out[str(name)] = str(ipaddress.ip_address(str(address)))
        except ValueError as exc:
            raise InvalidSpec("etc_hosts: bad address %r for %s" % (address, name)) from exc
    return out


def _host_name(what):
    def check(value):
        if not etcfiles.valid_hostname(value) or len(value) > 64:
            raise InvalidSpec("bad %s %r: letters, digits, - and dots, up to 64 characters" % (what, value))
        return value
    return check


def _restart(value):
    if not isinstance(value, str) or not _RESTART.match(value):
        raise InvalidSpec("restart_policy must be no, always, unless-stopped or on-failure[:N], not %r" % (value,))
    return value


def _cpus(value):
    try:
        cpus = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidSpec("cpus must be a number such as 0.5, not %r" % (value,)) from exc
    if cpus <= 0:
        raise InvalidSpec("cpus must be more than 0, not %r" % (value,))
    return cpus


def _non_negative(what):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < -1:
            raise InvalidSpec("%s must be a whole number, not %r" % (what, value))
        return value
    return check


def _text(what):
    def check(value):
        if not isinstance(value, str):
            raise InvalidSpec("%s must be a string, not %r" % (what, value))
        return value
    return check


NORMALIZERS = {
    "command": lambda v: _argv(v, "command"),
    "entrypoint": lambda v: _argv(v, "entrypoint"),
    "env": _env,
    "user": _text("user"),
    "working_dir": _text("working_dir"),
    "hostname": _host_name("hostname"),
    "labels": _labels,
    "mounts": lambda v: [_mount(m) for m in v] if isinstance(v, list) else _mount(v),
    "published_ports": _ports,
    "network_mode": _network_mode,
    "networks": _networks,
    "dns": _strings("dns", _address_ok),
    "dns_search": _strings("dns_search", etcfiles.valid_hostname),
    "dns_options": _strings("dns_options"),
    "etc_hosts": _etc_hosts,
    "domainname": _host_name("domainname"),
    "memory": parse_size,
    "cpus": _cpus,
    "pids_limit": _non_negative("pids_limit"),
    "restart_policy": _restart,
    "stop_signal": _text("stop_signal"),
    "stop_timeout": _non_negative("stop_timeout"),
    "read_only": bool,
    "privileged": bool,
    "healthcheck": healthcheck.normalize,
    "log_driver": logconfig.driver,
    "log_options": logconfig.options,
}
NORMALIZERS.update(run_options.NORMALIZERS)
DEFAULTS = {"network_mode": "bridge", "restart_policy": "no", "read_only": False, "privileged": False, "labels": {}, "mounts": [],
            "published_ports": [], "memory": None, "cpus": None, "pids_limit": None, "stop_timeout": None,
            "log_driver": "json-file", "log_options": {}}
DEFAULTS.update(run_options.DEFAULTS)


def normalize(params):
    """The options the user set (None means unset), checked and in canonical form."""
    options = {}
    for key, check in NORMALIZERS.items():
        if params.get(key) is not None:
            options[key] = check(params[key])
    mode = params.get("network_mode")
    if mode and mode not in NETWORK_MODES + ("default",) and not mode.startswith("container:"):
        # Docker's network_mode=<network>: that network first
        named = definitions.canonical_name(mode)
        listed = options.get("networks") or []
        if not any(n["name"] == named for n in listed):
            options["networks"] = _networks([{"name": named}]) + listed
    if options.get("networks") and options.get("network_mode", "bridge") != "bridge":
        raise InvalidSpec("networks need network_mode bridge (or a network's name), not %s" % options["network_mode"])
    if options.get("published_ports") and options.get("network_mode", "bridge") != "bridge":
        raise InvalidSpec("published_ports need network_mode bridge, not %s" % options["network_mode"])
    logconfig.check(options)
    return run_options.finish(options, params)


_MERGED = {"command": "args", "entrypoint": "args", "env": "env", "user": "user", "working_dir": "working_dir",
           "hostname": "hostname", "stop_signal": "stop_signal"}


def differences(image_config, existing, wanted):
    """{option: (existing value, wanted value)} for each option in ``wanted`` that differs.

    Options that shape the process (command, env, ...) compare after merging with the image's
    config, so ``env: {PATH: <the image's PATH>}`` on a container that never set it is no change.
    """
    found = {}
    have = bundle.merged_config(image_config, existing)
    want = bundle.merged_config(image_config, dict(existing, **wanted))
    for key, value in wanted.items():
        if key in _MERGED:
            field = _MERGED[key]
            if have[field] != want[field]:
                found[key] = (existing.get(key), value)
        elif key == "healthcheck":  # the check that runs, the image's HEALTHCHECK under the option
            if healthcheck.effective(image_config, existing.get(key)) != healthcheck.effective(image_config, value):
                found[key] = (existing.get(key), value)
        elif existing.get(key, DEFAULTS.get(key)) != value:
            found[key] = (existing.get(key, DEFAULTS.get(key)), value)
    return found


def needs_recreate(changes):
    return any(key not in UPDATABLE for key in changes)
