# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata volume create/ls/inspect/rm/prune``: the store's volumes, as ``docker volume`` does."""

from __future__ import annotations

import json

from . import format as fmt
from .._errors import EngineError, VolumeNotFound
from .common import CliError, key_values
from .system import _prune_filters

LS_TABLE = "table {{.Driver}}\t{{.Name}}"
LS_HEADERS = {"Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE",
              "Labels": "LABELS", "CreatedAt": "CREATED AT"}


def register(add):
    parent = add("volume", "Manage volumes", None)
    sub = parent.add_subparsers(dest="volume_command", metavar="COMMAND", parser_class=type(parent))
    sub.required = True

    cmd = add("create", "Create a volume", create, under=sub)
    cmd.add_argument("-d", "--driver", default="local", help="only local")
    cmd.add_argument("-o", "--opt", action="append", default=[], metavar="KEY=VALUE",
                     help="driver options: type=tmpfs|none|nfs|nfs4, device=..., o=...")
    cmd.add_argument("-l", "--label", action="append", default=[], metavar="KEY=VALUE")
    cmd.add_argument("name", metavar="VOLUME")

    cmd = add("ls", "List volumes", ls, under=sub)
    cmd.add_argument("-q", "--quiet", action="store_true", help="only display volume names")
    cmd.add_argument("--format", help="a Go template, e.g. 'table {{.Name}}\\t{{.Mountpoint}}'")

    cmd = add("inspect", "Display detailed information on one or more volumes", inspect, under=sub)
    cmd.add_argument("names", nargs="+", metavar="VOLUME")

    cmd = add("rm", "Remove one or more volumes", rm, under=sub)
    cmd.add_argument("-f", "--force", action="store_true", help="remove it even while containers use it")
    cmd.add_argument("names", nargs="+", metavar="VOLUME")

    cmd = add("prune", "Remove every volume no container uses", prune, under=sub)
    cmd.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                     help="label=KEY[=VALUE], label!=KEY[=VALUE], until=24h")
    cmd.add_argument("-f", "--force", action="store_true", help="do not prompt for confirmation")


def create(ctx, args):
    if not args.name:
        raise CliError("a volume name is required", 125)
    service = ctx.engine().volumes
    options = key_values(args.opt, "driver option")
    result = service.ensure(args.name, driver=args.driver, driver_options=options or None,
                            labels=key_values(args.label, "label", True) or None)
    ctx.out(result["volume"]["Name"])
    return 0


def _row(view):
    return dict(view, Labels=",".join("%s=%s" % kv for kv in sorted(view["Labels"].items())))


def ls(ctx, args):
    views = ctx.engine(read_only=True).volumes.info()
    if args.quiet:
        for view in views:
            ctx.out(view["Name"])
        return 0
    ctx.write(fmt.render(args.format or LS_TABLE, [_row(v) for v in views], LS_HEADERS))
    return 0


def inspect(ctx, args):
    service = ctx.engine(read_only=True).volumes
    found = []
    for name in args.names:
        try:
            found += service.info(name)
        except EngineError as exc:
            ctx.error(str(exc))
    ctx.out(json.dumps(found, indent=4))
    return ctx.status()


def rm(ctx, args):
    service = ctx.engine().volumes
    for name in args.names:
        try:
            service.get(name)
            service.ensure(name, state="absent", force=args.force)
            ctx.out(name)
        except VolumeNotFound as exc:
            if not args.force:  # docker volume rm -f: no error for a missing volume
                ctx.error(str(exc))
        except EngineError as exc:
            ctx.error(str(exc))
    return ctx.status()


def prune(ctx, args):
    wanted = _prune_filters(args.filter)
    if not args.force:
        ctx.write("WARNING! This will remove all volumes not used by at least one container.\n"
                  "Are you sure you want to continue? [y/N] ")
        ctx.stdout.flush()
        answer = ctx.stdin.readline()
        if not ctx.stdin.isatty():
            ctx.out()
        if answer.strip().lower() not in ("y", "yes"):
            return 0
    result = ctx.engine().pruner.prune_volumes(wanted)
    if result["volumes"]:
        ctx.out("Deleted Volumes:")
        for name in result["volumes"]:
            ctx.out(name)
        ctx.out()
    ctx.out("Total reclaimed space: %s" % fmt.human_size(result["space_reclaimed"], 4))
    return 0
