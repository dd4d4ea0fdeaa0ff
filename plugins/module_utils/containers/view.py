# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container as ``docker inspect`` and ``docker ps`` show it, in snake_case."""

from __future__ import annotations

from ..fs.atomic import read_json
from . import run_defaults


def view(containers, record, resources=True):
    """Everything a user asks about one container; ``resources=False`` leaves out the limits read
    back from a running container's cgroup (``ps`` and ``inspect`` show none)."""
    state = containers.records.state(record["id"])
    status = containers.status(record)
    spec = read_json(containers.records.path(record["id"], "config.json"), {}) or {}
    process = spec.get("process") or {}
    options = record.get("options") or {}
    shown = {
        "id": record["id"],
        "name": record["name"],
        "image": record.get("image"),
        "image_id": record["image_id"],
        "created": record.get("created"),
        "state": {
            "status": status,
            "running": status in ("running", "paused"),
            "paused": status == "paused",
            "restarting": status == "restarting",
            "pid": state.get("pid") if status in ("running", "paused") else 0,
            "exit_code": state.get("exit_code"),
            "started_at": state.get("started_at"),
            "finished_at": state.get("finished_at"),
            "restart_count": state.get("restart_count", 0),
            "oom_killed": bool(state.get("oom_killed")),
        },
        "config": {
            "args": process.get("args"),
            "env": process.get("env"),
            "user": options.get("user", ""),
            "working_dir": process.get("cwd"),
            "hostname": spec.get("hostname"),
            "domainname": spec.get("domainname", ""),
            "labels": record.get("labels", {}),
            "stop_signal": options.get("stop_signal"),
            "stop_timeout": options.get("stop_timeout"),
        },
        "host_config": {
            "network_mode": _mode(record),
            "dns": options.get("dns", []),
            "dns_search": options.get("dns_search", []),
            "dns_options": options.get("dns_options", []),
            "extra_hosts": ["%s:%s" % kv for kv in sorted((options.get("etc_hosts") or {}).items())],
            "restart_policy": record.get("restart_policy", "no"),
            "memory": options.get("memory", 0),
            "cpus": options.get("cpus", 0),
            "pids_limit": options.get("pids_limit", 0),
            "read_only": options.get("read_only", False),
            "privileged": options.get("privileged", False),
            "log_config": {"type": options.get("log_driver", "json-file"), "config": options.get("log_options", {})},
            **run_defaults.view(options),
        },
        "network": _network(record, status),
        "mounts": [{"type": m["type"], "source": m["source"], "destination": m["target"], "rw": not m["read_only"]}
                   for m in options.get("mounts") or []],
        "resources": _resources(containers, record, status) if resources else {},
        "log_path": containers.records.path(record["id"], "log.json")
        if options.get("log_driver", "json-file") == "json-file" else "",
        "rootfs": containers.records.path(record["id"], "rootfs"),
    }
    _add_health(shown, containers, record)
    return shown


def _add_health(shown, containers, record):
    """Docker's State.Health (once started) and Config.Healthcheck, for a container with a check."""
    check = record.get("healthcheck")
    if not check:
        return
    shown["config"]["healthcheck"] = {k: check[k] for k in ("test", "interval", "timeout", "start_period",
                                                            "start_interval", "retries")}
    # imported here: the monitor's health.py loads threading and subprocess, for containers with a check only
    from ..runtime import health as _health  # pylint: disable=import-outside-toplevel
    health = read_json(containers.records.path(record["id"], _health.HEALTH), None)
    if isinstance(health, dict):
        shown["state"]["health"] = {"status": health.get("status"), "failing_streak": health.get("failing_streak", 0),
                                    "log": health.get("log") or []}


def _network(record, status):
    """Docker's NetworkSettings: the first network's address at the top, every network below."""
    network = record.get("network") or {}
    ports = {}
    for entry in record.get("ports") or []:
        ports.setdefault("%d/%s" % (entry["container_port"], entry["proto"]), []).append(
            {"host_ip": entry["host_ip"] or "0.0.0.0", "host_port": str(entry["host_port"])})
    live = _live(record) if status in ("running", "paused") else {}
    names = [n["name"] for n in network.get("networks") or _default_networks(network)]
    first = live.get(names[0]) if names else None
    first = first or {}
    return {"mode": network.get("mode", "bridge"), "ip_address": first.get("ip_address", ""),
            "gateway": first.get("gateway", ""), "prefix_len": first.get("prefix_len", 0),
            "ipv6_address": first.get("ipv6_address", ""), "mac_address": first.get("mac_address", ""),
            "networks": {name: live.get(name) or {"ip_address": "", "ipv6_address": "", "gateway": "",
                                                  "prefix_len": 0, "mac_address": "", "aliases": []}
                         for name in names},
            "ports": ports}


# network_plan is imported by the two below only: it loads the networks' code, which a container
# that does not run (most of a ``ps -a``) does not need.
def _live(record):
    from . import network_plan  # pylint: disable=import-outside-toplevel
    try:
        return network_plan.live(record)
    except Exception:  # pylint: disable=broad-except  # a fact for display only
        return {}


def _default_networks(network):
    """A bridge record without its networks (one made before they were recorded) is on the default one."""
    if network.get("mode", "bridge") != "bridge":
        return []
    from . import network_plan  # pylint: disable=import-outside-toplevel
    return network_plan.default_networks()


def _mode(record):
    network = record.get("network") or {}
    if network.get("mode") == "container":
        return "container:" + network["container"]
    return network.get("mode", "bridge")


def _resources(containers, record, status):
    """The limits as the kernel holds them, read back from the container's cgroup."""
    if status not in ("running", "paused"):
        return {}
    try:
        group = containers.cgroup(record)
        if not group.exists():
            return {}
        limits = group.limits()
        limits["memory_usage"] = group.memory_usage()
        return limits
    except Exception:  # pylint: disable=broad-except  # a fact for display only
        return {}


def summary(containers, record):
    """One ``docker ps -a`` row."""
    full = view(containers, record, resources=False)
    return {key: full[key] for key in ("id", "name", "image", "image_id", "created", "state", "network")}
