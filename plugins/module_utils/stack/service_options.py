# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Compose service's keys -> the container options of ``containers/options.py`` (which then
checks them as for the container module). Paths are made absolute against the project's
directory; networks and named volumes get the project's prefix; a key the engine cannot honour
is refused by name rather than ignored."""

from __future__ import annotations

import os
import re

from .._errors import InvalidSpec
from ..build.instructions import parse_duration
from . import naming
from .load import read_env_file

# Compose key -> container option, where only the name differs (or not even that).
RENAMED = {"cap_add": "cap_add", "cap_drop": "cap_drop", "user": "user", "working_dir": "working_dir",
           "hostname": "hostname", "domainname": "domainname", "init": "init", "devices": "devices",
           "privileged": "privileged", "read_only": "read_only", "security_opt": "security_opts",
           "shm_size": "shm_size", "stop_signal": "stop_signal", "group_add": "group_add",
           "oom_score_adj": "oom_score_adj", "cpu_shares": "cpu_shares", "cpuset": "cpuset_cpus",
           "mem_limit": "memory", "mem_reservation": "memory_reservation", "memswap_limit": "memory_swap",
           "cpus": "cpus", "pids_limit": "pids_limit", "dns_search": "dns_search", "dns_opt": "dns_options",
           "device_cgroup_rules": "device_cgroup_rules", "command": "command", "entrypoint": "entrypoint"}
# Keys read elsewhere (service.py, or below).
HANDLED = {"image", "build", "pull_policy", "depends_on", "deploy", "scale", "profiles", "container_name",
           "environment", "env_file", "ports", "expose", "volumes", "tmpfs", "networks", "network_mode",
           "healthcheck", "restart", "labels", "logging", "extra_hosts", "dns", "ulimits", "sysctls",
           "secrets", "configs", "stop_grace_period"}
NETWORK_KEYS = {"aliases", "ipv4_address", "ipv6_address", "priority"}
_RESTART = {"no": "no", "always": "always", "on-failure": "on-failure", "unless-stopped": "unless-stopped"}


class Context:
    """What a service's options need to know of the project."""

    def __init__(self, project, directory, variables, model):
        self.project = project
        self.directory = directory
        self.variables = variables
        self.model = model

    def path(self, value, where):
        if os.path.isabs(value):
            return os.path.normpath(value)
        if value.startswith("~"):
            return os.path.normpath(os.path.expanduser(value))
        if self.directory is None:
            raise InvalidSpec("%s: the relative path %r needs project_src (the directory it is relative to)"
                              % (where, value), path=where)
        return os.path.normpath(os.path.join(self.directory, value))

    def network(self, name):
        networks = self.model.get("networks") or {}
        if name not in networks and name != "default":  # `front-tier:` with no value defines it too
            raise InvalidSpec("network %s is not defined in the top-level networks" % name, path="networks")
        return _external_name(networks.get(name), name) or naming.object_name(self.project, name)

    def volume(self, name):
        spec = (self.model.get("volumes") or {}).get(name)
        return _external_name(spec, name) or naming.object_name(self.project, name)


def _external_name(spec, name):
    spec = spec or {}
    external = spec.get("external")
    if isinstance(external, dict):
        return external.get("name") or spec.get("name") or name
    if external:
        return spec.get("name") or name
    return spec.get("name")


def check_keys(name, spec):
    """Refuse, by name, the service keys the engine cannot honour."""
    _refuse_unknown("services.%s" % name, spec, set(RENAMED) | HANDLED)


def _refuse_unknown(at, spec, known):
    """Refuse the keys of ``spec`` at ``at`` not in ``known``, by name; ``x-`` extension fields
    are for other tools (the specification has Compose ignore them)."""
    unsupported = sorted(k for k in set(spec) - known if not str(k).startswith("x-"))
    if unsupported:
        raise InvalidSpec("%s: %s not supported by strata.containers" % (at, ", ".join(unsupported)),
                          path="%s.%s" % (at, unsupported[0]))


def container_options(name, spec, ctx):
    """The container module's options for the service (its keys checked first: check_keys)."""
    where = "services.%s" % name
    options = {RENAMED[k]: v for k, v in spec.items() if k in RENAMED}
    options["env"] = _environment(spec, ctx, where)
    options["published_ports"] = [_port(p) for p in spec.get("ports") or ()]
    mounts, tmpfs = _volumes(spec.get("volumes") or (), ctx, where)
    mounts += _files(spec.get("secrets"), "secrets", ctx, where) + _files(spec.get("configs"), "configs", ctx, where)
    tmpfs += _list(spec.get("tmpfs"))
    options.update(mounts=mounts, tmpfs=tmpfs)
    options.update(_network_options(name, spec, ctx))
    options.update(_deploy_resources(spec.get("deploy") or {}))
    options.update(_misc(spec, where))
    return {k: v for k, v in options.items() if v is not None}


def _list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _pairs(value, separator="="):
    """Compose's list-or-mapping: ["A=1", "B"] or {A: 1, B: null} -> {A: "1", B: None}."""
    if isinstance(value, dict):
        return {str(k): None if v is None else _scalar(v) for k, v in value.items()}
    out = {}
    for item in value or ():
        key, sep, val = str(item).partition(separator)
        out[key] = val if sep else None
    return out


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _environment(spec, ctx, where):
    env = {}
    for index, path in enumerate(_list(spec.get("env_file"))):
        if isinstance(path, dict):  # newer files: {path, required}
            path, required = path.get("path"), path.get("required", True)
        else:
            required = True
        env.update(read_env_file(ctx.path(path, "%s.env_file[%d]" % (where, index)), required=required))
    for key, value in _pairs(spec.get("environment")).items():
        if value is None:  # a bare name takes the variable's value, or is left out
            value = ctx.variables.get(key)
            if value is None:
                env.pop(key, None)
                continue
        env[key] = value
    return env or None


def _port(item):
    if not isinstance(item, dict):
        return str(item)
    target = item.get("target")
    published = item.get("published")
    text = "%s:%s" % (published, target) if published not in (None, "") else str(target)
    if item.get("host_ip"):
        text = "%s:%s" % (item["host_ip"], text if published not in (None, "") else ":%s" % target)
    return text + ("/%s" % item["protocol"] if item.get("protocol") else "")


def _volumes(items, ctx, where):
    mounts, tmpfs = [], []
    for index, item in enumerate(items):
        at = "%s.volumes[%d]" % (where, index)
        item = _short_volume(item, at) if isinstance(item, str) else item
        kind, source, target = item.get("type") or "volume", item.get("source"), item.get("target")
        if kind == "tmpfs":
            size = (item.get("tmpfs") or {}).get("size")
            tmpfs.append(target + (":size=%s" % size if size else ""))
            continue
        if kind == "bind":
            source = ctx.path(source, at)
        elif kind == "volume":
            if not source:
                raise InvalidSpec("%s: anonymous volumes are not supported; name the volume (name:%s) and "
                                  "declare it in the top-level volumes" % (at, target), path=at)
            if source not in (ctx.model.get("volumes") or {}):
                raise InvalidSpec("%s: volume %s is not defined in the top-level volumes" % (at, source), path=at)
            source = ctx.volume(source)
        else:
            raise InvalidSpec("%s: volume type %s is not supported (volume, bind, tmpfs)" % (at, kind), path=at)
        mounts.append({"type": kind, "source": source, "target": target, "read_only": bool(item.get("read_only"))})
    return mounts, tmpfs


def _short_volume(text, at):
    """``[SOURCE:]TARGET[:MODE]``: a source with / or . (or ~) is a host path, else a volume name."""
    parts = text.split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    if len(parts) > 3:
        raise InvalidSpec("%s: %r is not SOURCE:TARGET[:MODE]" % (at, text), path=at)
    source, target = parts[0], parts[1]
    modes = set(parts[2].split(",")) if len(parts) == 3 else set()
    if modes - {"ro", "rw", "z", "Z", "nocopy"}:
        raise InvalidSpec("%s: unknown mode in %r (ro, rw)" % (at, text), path=at)
    kind = "bind" if source[:1] in ("/", ".", "~") else "volume"
    return {"type": kind, "source": source, "target": target, "read_only": "ro" in modes}


def _files(items, kind, ctx, where):
    """secrets and configs: the top-level entry's file, bind-mounted read-only (secrets under
    /run/secrets/, configs at /<name>, as Compose does without swarm)."""
    mounts = []
    for index, item in enumerate(items or ()):
        at = "%s.%s[%d]" % (where, kind, index)
        item = {"source": item} if isinstance(item, str) else item
        source = item.get("source")
        top = (ctx.model.get(kind) or {}).get(source)
        if top is None:
            raise InvalidSpec("%s: %s %s is not defined in the top-level %s" % (at, kind[:-1], source, kind), path=at)
        if not top.get("file"):
            raise InvalidSpec("%s: only %s with a file are supported (%s)" % (at, kind, source), path=at)
        target = item.get("target") or source
        if not target.startswith("/"):
            target = ("/run/secrets/" if kind == "secrets" else "/") + target
        mounts.append({"type": "bind", "source": ctx.path(top["file"], "%s.%s.file" % (kind, source)),
                       "target": target, "read_only": True})
    return mounts


def _network_options(service, spec, ctx):
    mode = spec.get("network_mode")
    if mode:
        if mode.startswith("service:"):
            return {"network_mode": "container:%s" % naming.container_name(ctx.project, mode.split(":", 1)[1], 1)}
        return {"network_mode": mode}
    networks = spec.get("networks") or ["default"]
    if isinstance(networks, list):
        networks = {n: None for n in networks}
    out = []
    for name, item in sorted(networks.items()):
        item = item or {}
        _check_network_keys(service, name, item)
        entry = {"name": ctx.network(name), "aliases": sorted({service} | set(item.get("aliases") or ()))}
        for key in ("ipv4_address", "ipv6_address"):
            if item.get(key):
                entry[key] = item[key]
        out.append(entry)
    return {"networks": out}


def _check_network_keys(service, name, item):
    """A service's network entry: aliases and addresses are honoured; ``priority`` only orders
    the connections (the specification: it picks neither the gateway nor the interface names),
    which changes nothing here; anything else (link_local_ips, mac_address, driver_opts) is refused."""
    _refuse_unknown("services.%s.networks.%s" % (service, name), item, NETWORK_KEYS)


def _deploy_resources(deploy):
    resources = deploy.get("resources") or {}
    limits, reservations = resources.get("limits") or {}, resources.get("reservations") or {}
    out = {}
    if limits.get("cpus") is not None:
        out["cpus"] = float(limits["cpus"])
    if limits.get("memory") is not None:
        out["memory"] = limits["memory"]
    if limits.get("pids") is not None:
        out["pids_limit"] = limits["pids"]
    if reservations.get("memory") is not None:
        out["memory_reservation"] = reservations["memory"]
    return out


def _misc(spec, where):
    out = {}
    labels = _pairs(spec.get("labels"))
    out["labels"] = {k: v or "" for k, v in labels.items()}
    if spec.get("restart") is not None:
        policy = str(spec["restart"])
        if policy.split(":", maxsplit=1)[0] not in _RESTART:
            raise InvalidSpec("%s.restart: %r is not no, always, on-failure[:N] or unless-stopped" % (where, policy),
                              path="%s.restart" % where)
        out["restart_policy"] = policy
    if spec.get("healthcheck") is not None:
        out["healthcheck"] = dict(spec["healthcheck"])
    logging = spec.get("logging") or {}
    if logging.get("driver"):
        out["log_driver"] = logging["driver"]
    if logging.get("options"):
        out["log_options"] = {k: str(v) for k, v in logging["options"].items()}
    if spec.get("extra_hosts") is not None:
        out["etc_hosts"] = _pairs(spec["extra_hosts"], ":") if isinstance(spec["extra_hosts"], list) \
            else {k: str(v) for k, v in spec["extra_hosts"].items()}
    if spec.get("dns") is not None:
        out["dns"] = _list(spec["dns"])
    if spec.get("ulimits"):
        out["ulimits"] = [_ulimit(k, v) for k, v in sorted(spec["ulimits"].items())]
    if spec.get("sysctls"):
        out["sysctls"] = _pairs(spec["sysctls"])
    if spec.get("stop_grace_period"):
        out["stop_timeout"] = _seconds(spec["stop_grace_period"], "%s.stop_grace_period" % where)
    return out


def _ulimit(name, value):
    if isinstance(value, dict):
        return {"name": name, "soft": value.get("soft"), "hard": value.get("hard")}
    return {"name": name, "soft": value, "hard": value}


def _seconds(text, where):
    nanoseconds = parse_duration(str(text).strip()) if re.match(r"^[0-9.]+[a-z]+", str(text)) else None
    if nanoseconds is None:
        raise InvalidSpec("%s: %r is not a duration such as 10s or 1m30s" % (where, text), path=where)
    return int(nanoseconds // 10 ** 9)
