# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata inspect``: containers and images as a JSON array in ``docker inspect``'s shape
(``Id``, ``RepoTags``, ``State.Status``...), so ``-f '{{.State.Status}}'`` works as there."""

from __future__ import annotations

import json

from .._errors import ContainerNotFound, EngineError, ImageNotFound
from .template import Template

ZERO_TIME = "0001-01-01T00:00:00Z"


def register(add):
    cmd = add("inspect", "Return low-level information on containers or images", inspect)
    cmd.add_argument("names", nargs="+", metavar="NAME|ID")
    cmd.add_argument("-f", "--format", help="a Go template, e.g. '{{.State.Status}}'")
    cmd.add_argument("--type", choices=("container", "image"), help="only look for this kind of object")


def image_json(view):
    config = view["config"]
    history = view.get("history") or []
    shaped = {"Id": view["id"], "RepoTags": view["repo_tags"], "RepoDigests": view["repo_digests"], "Parent": "",
              "Comment": history[0]["comment"] if history else "", "Created": view["created"],
              "Author": config.get("author", ""), "Config": config.get("config") or {},
              "Architecture": view["architecture"], "Os": view["os"], "Size": view["size"],
              "RootFS": {"Type": "layers", "Layers": view["diff_ids"]},
              "Metadata": {"LastTagTime": ZERO_TIME}}
    if view.get("variant"):
        shaped["Variant"] = view["variant"]
    return shaped


def _ports(ports):
    return {port: [{"HostIp": b["host_ip"], "HostPort": b["host_port"]} for b in bindings]
            for port, bindings in ports.items()}


def _add_health(shaped, view):
    """State.Health and Config.Healthcheck, as Docker shows them for a container with a check."""
    health, check = view["state"].get("health"), view["config"].get("healthcheck")
    if check:
        shaped["Config"]["Healthcheck"] = {"Test": check["test"], "Interval": check["interval"],
                                           "Timeout": check["timeout"], "StartPeriod": check["start_period"],
                                           "StartInterval": check["start_interval"], "Retries": check["retries"]}
    if health:
        shaped["State"]["Health"] = {"Status": health["status"], "FailingStreak": health["failing_streak"],
                                     "Log": [{"Start": e.get("start"), "End": e.get("end"),
                                              "ExitCode": e.get("exit_code"), "Output": e.get("output")}
                                             for e in health["log"]]}
    return shaped


def container_json(view):
    return _add_health(_container_json(view), view)


def _container_json(view):
    state, config, host = view["state"], view["config"], view["host_config"]
    args = config.get("args") or []
    policy, dummy, retries = (host.get("restart_policy") or "no").partition(":")
    network = view["network"]
    return {
        "Id": view["id"], "Created": view["created"], "Path": args[0] if args else "", "Args": args[1:],
        "State": {"Status": state["status"], "Running": state["running"], "Paused": state["paused"],
                  "Restarting": state["restarting"], "OOMKilled": state.get("oom_killed", False), "Dead": False, "Pid": state["pid"] or 0,
                  "ExitCode": state["exit_code"] or 0, "Error": "", "StartedAt": state["started_at"] or ZERO_TIME,
                  "FinishedAt": state["finished_at"] or ZERO_TIME},
        "Image": view["image_id"], "LogPath": view["log_path"], "Name": "/" + view["name"],
        "RestartCount": state["restart_count"], "Driver": "overlay", "Platform": "linux",
        "HostConfig": {"NetworkMode": host["network_mode"], "PortBindings": _ports(network["ports"]),
                       "Dns": host.get("dns") or [], "DnsSearch": host.get("dns_search") or [],
                       "DnsOptions": host.get("dns_options") or [], "ExtraHosts": host.get("extra_hosts") or [],
                       "RestartPolicy": {"Name": policy, "MaximumRetryCount": int(retries or 0)},
                       "Memory": host["memory"] or 0, "NanoCpus": int((host["cpus"] or 0) * 1e9),
                       "PidsLimit": host["pids_limit"] or 0, "ReadonlyRootfs": bool(host["read_only"]),
                       "LogConfig": {"Type": host["log_config"]["type"], "Config": host["log_config"]["config"]}},
        "Mounts": [{"Type": m["type"], "Source": m["source"], "Destination": m["destination"], "Mode": "",
                    "RW": m["rw"]} for m in view["mounts"]],
        "Config": {"Hostname": config.get("hostname") or "", "Domainname": config.get("domainname") or "",
                   "User": config.get("user") or "",
                   "Env": config.get("env") or [], "Image": view.get("image") or view["image_id"],
                   "WorkingDir": config.get("working_dir") or "", "Labels": config.get("labels") or {},
                   "StopSignal": config.get("stop_signal") or "", "StopTimeout": config.get("stop_timeout")},
        "NetworkSettings": {"IPAddress": network["ip_address"], "Gateway": network["gateway"],
                            "IPPrefixLen": network["prefix_len"] if network["ip_address"] else 0,
                            "MacAddress": network["mac_address"], "Ports": _ports(network["ports"]),
                            "Networks": {name: {"IPAddress": n["ip_address"], "Gateway": n["gateway"],
                                                "IPPrefixLen": n["prefix_len"], "GlobalIPv6Address": n["ipv6_address"],
                                                "MacAddress": n["mac_address"], "Aliases": n["aliases"]}
                                         for name, n in (network.get("networks") or {}).items()}},
    }


def find(service, name, kind=None):
    """The object ``name`` names, container first as Docker looks, in Docker's shape."""
    if kind in (None, "container"):
        try:
            return container_json(service.info(name, resources=False)[0])  # docker inspect shows no usage
        except ContainerNotFound:
            if kind:
                raise
    try:
        return image_json(service.images.inspect_image(name))
    except ImageNotFound as exc:
        if kind:
            raise
        raise EngineError("No such object: %s" % name) from exc


def inspect(ctx, args):
    service = ctx.service(read_only=True)
    template = Template(args.format) if args.format else None
    found = []
    for name in args.names:
        try:
            found.append(find(service, name, args.type))
        except EngineError as exc:
            ctx.error(str(exc))
    if template:
        for item in found:
            ctx.out(template.execute(item))
    else:
        ctx.out(json.dumps(found, indent=4, ensure_ascii=False))
    return ctx.status()
