# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata network create/ls/inspect/rm``: the host's networks, as ``docker network`` does."""

from __future__ import annotations

import json

from . import format as fmt
from .._errors import ContainerError, EngineError
from .common import CliError, key_values

LS_TABLE = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
LS_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Subnet": "SUBNET",
              "Internal": "INTERNAL", "Labels": "LABELS"}


def register(add):
    parent = add("network", "Manage networks (the host's, shared by every store root)", None)
    sub = parent.add_subparsers(dest="network_command", metavar="COMMAND", parser_class=type(parent))
    sub.required = True

    cmd = add("create", "Create a network", create, under=sub)
    cmd.add_argument("-d", "--driver", default="bridge", choices=("bridge",))
    cmd.add_argument("--subnet", action="append", default=[], metavar="CIDR", help="IPv4 and/or IPv6 subnet")
    cmd.add_argument("--gateway", action="append", default=[], metavar="IP")
    cmd.add_argument("--ip-range", metavar="CIDR", help="the part of the subnet containers get addresses from")
    cmd.add_argument("--internal", action="store_true", help="no traffic out of the network")
    cmd.add_argument("--ipv6", action="store_true", help="IPv6 addresses too (needs an IPv6 --subnet)")
    cmd.add_argument("--disable-dns", action="store_true", help="no names between its containers")
    cmd.add_argument("-l", "--label", action="append", default=[], metavar="KEY=VALUE")
    cmd.add_argument("name", metavar="NETWORK")

    cmd = add("ls", "List networks", ls, under=sub)
    cmd.add_argument("-q", "--quiet", action="store_true", help="only display network IDs")
    cmd.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    cmd.add_argument("--format", help="a Go template, e.g. 'table {{.Name}}\\t{{.Subnet}}'")

    cmd = add("inspect", "Display detailed information on one or more networks", inspect, under=sub)
    cmd.add_argument("names", nargs="+", metavar="NETWORK")

    cmd = add("rm", "Remove one or more networks", rm, under=sub)
    cmd.add_argument("-f", "--force", action="store_true", help="remove it even while containers use it")
    cmd.add_argument("names", nargs="+", metavar="NETWORK")


def _service(ctx):
    return ctx.engine(read_only=True).networks


def create(ctx, args):
    options = {"internal": args.internal or None, "enable_ipv6": args.ipv6 or None, "dns": not args.disable_dns,
               "ip_range": args.ip_range, "labels": key_values(args.label, "label", True) or None}
    for subnet in args.subnet:
        options["ipv6_subnet" if ":" in subnet else "subnet"] = subnet
    for gateway in args.gateway:
        options["ipv6_gateway" if ":" in gateway else "gateway"] = gateway
    service = _service(ctx)
    try:
        service.info(args.name)
        raise CliError("network with name %s already exists" % args.name, 1)
    except ContainerError:
        pass  # not there: make it
    result = service.ensure(args.name, **options)
    ctx.out(result["network"]["id"])
    return 0


def _row(view, no_trunc):
    return {"ID": view["id"] if no_trunc else view["id"][:12], "Name": view["name"], "Driver": view["driver"],
            "Scope": "local", "Subnet": ",".join(s["subnet"] for s in view["subnets"]),
            "Internal": str(view["internal"]).lower(),
            "Labels": ",".join("%s=%s" % kv for kv in sorted(view["labels"].items()))}


def ls(ctx, args):
    views = _service(ctx).info()
    if args.quiet:
        for view in views:
            ctx.out(view["id"] if args.no_trunc else view["id"][:12])
        return 0
    ctx.write(fmt.render(args.format or LS_TABLE, [_row(v, args.no_trunc) for v in views], LS_HEADERS))
    return 0


def network_json(view):
    """``docker network inspect``'s shape."""
    return {"Name": view["name"], "Id": view["id"], "Created": view["created"] or "0001-01-01T00:00:00Z",
            "Scope": "local", "Driver": view["driver"], "EnableIPv6": view["enable_ipv6"],
            "IPAM": {"Driver": "default", "Options": {},
                     "Config": [dict({"Subnet": s["subnet"], "Gateway": s["gateway"]},
                                     **({"IPRange": s["ip_range"]} if s.get("ip_range") else {}))
                                for s in view["subnets"]]},
            "Internal": view["internal"], "Attachable": False, "Ingress": False,
            "Containers": {cid: {"Name": c["name"], "IPv4Address": c["ipv4_address"], "IPv6Address": c["ipv6_address"],
                                 "Root": c["root"]} for cid, c in view["containers"].items()},
            "Options": {"com.docker.network.bridge.name": view["bridge"],
                        "dns_enabled": str(view["dns"]).lower()},
            "Labels": view["labels"]}


def inspect(ctx, args):
    service = _service(ctx)
    found = []
    for name in args.names:
        try:
            found += [network_json(v) for v in service.info(name)]
        except EngineError as exc:
            ctx.error(str(exc))
    ctx.out(json.dumps(found, indent=4))
    return ctx.status()


def rm(ctx, args):
    service = _service(ctx)
    for name in args.names:
        try:
            result = service.ensure(name, state="absent", force=args.force)
            if not result["changed"]:
                ctx.error("network %s not found" % name)
                continue
            ctx.out(name)
        except EngineError as exc:
            ctx.error(str(exc))
    return ctx.status()
