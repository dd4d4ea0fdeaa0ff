# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata compose [-p NAME] [-f FILE] up -d | down | ps | logs``: a Compose project through
the stack service (stack/), as ``docker compose`` does. As in Docker's, variables come from the
shell's environment over the project's ``.env``, and the project's name by default is its
directory's."""

from __future__ import annotations

import os
import re
import time

from . import format as fmt
from .common import CliError
from .containers import ports_text, status_text
from ..containers import logs as container_logs
from ..stack import load as stack_load

PS_TABLE = "table {{.Name}}\t{{.Image}}\t{{.Service}}\t{{.Status}}\t{{.Ports}}"
PS_HEADERS = {"Name": "NAME", "Image": "IMAGE", "Service": "SERVICE", "Status": "STATUS", "Ports": "PORTS"}
_PAST = {"create": "Started", "recreate": "Recreated", "start": "Started", "restart": "Restarted",
         "remove": "Removed", "stop": "Stopped"}


def register(add):
    parent = add("compose", "Define and run multi-container applications (Compose files)", None)
    parent.add_argument("-p", "--project-name", help="the project's name (default: its directory's name)")
    parent.add_argument("-f", "--file", help="the Compose file (default: compose.yaml, ... in the current directory)")
    parent.add_argument("--profile", action="append", default=[], help="a profile to activate (repeatable)")
    sub = parent.add_subparsers(dest="compose_command", metavar="COMMAND", parser_class=type(parent))
    sub.required = True

    cmd = add("up", "Create and start the project's containers (always detached)", up, under=sub)
    cmd.add_argument("-d", "--detach", action="store_true", help="run in the background (what up always does here)")
    cmd.add_argument("--build", action="store_true", help="build images before starting containers")
    cmd.add_argument("--pull", choices=("missing", "always", "never"), default="missing", help="pull images")
    cmd.add_argument("--remove-orphans", action="store_true", help="remove containers of services not in the file")
    cmd.add_argument("--wait", action="store_true", help="wait for the services to be running and healthy")
    cmd.add_argument("--wait-timeout", type=int, default=300, help="seconds to wait for one container")

    cmd = add("down", "Stop and remove the project's containers and networks", down, under=sub)
    cmd.add_argument("-v", "--volumes", action="store_true", help="also remove the named volumes")

    cmd = add("ps", "List the project's containers", ps, under=sub)
    cmd.add_argument("-a", "--all", action="store_true", help="also stopped containers")
    cmd.add_argument("-q", "--quiet", action="store_true", help="only display IDs")
    cmd.add_argument("--format", help="a Go template, e.g. 'table {{.Name}}\\t{{.Status}}'")

    cmd = add("logs", "Show the logs of the project's containers", logs, under=sub)
    cmd.add_argument("-n", "--tail", default="all", help="only the last N lines of each container")
    cmd.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    cmd.add_argument("services", nargs="*", metavar="SERVICE")


def _project(args):
    """(name, directory, definition or None)."""
    path = os.path.abspath(args.file) if args.file else None
    directory = os.path.dirname(path) if path else os.getcwd()
    name = args.project_name or _directory_name(directory)
    definition = None
    if path:
        try:
            with open(path, "rb") as handle:
                text = handle.read(stack_load.MAX_FILE + 1).decode("utf-8", "replace")
        except OSError as exc:
            raise CliError("cannot read %s: %s" % (path, exc.strerror)) from exc
        definition = stack_load.parse_yaml(text, path)
    return name, directory, definition


def _directory_name(directory):
    """Compose's default project name: the directory's, lower-cased, other characters dropped."""
    name = re.sub(r"[^a-z0-9_-]", "", os.path.basename(directory.rstrip("/")).lower()).lstrip("_-")
    if not name:
        raise CliError("cannot make a project name from %s: give one with -p" % directory, 125)
    return name


def _load(ctx, args):
    name, directory, definition = _project(args)
    env = dict(os.environ)  # the shell's variables over .env's, as docker compose takes them
    stacks = ctx.engine(read_only=True).stacks
    stack, missing = stacks.load(name, definition=definition, project_src=directory, env=env, profiles=args.profile)
    for variable in missing:
        ctx.err('WARN[0000] The "%s" variable is not set. Defaulting to a blank string.' % variable)
    return stack


def _report(ctx, result):
    for action in result["actions"]:
        verb, dummy, rest = action.partition(" ")
        kind, dummy, name = rest.partition(" ")
        if kind in ("container", "network", "volume"):
            ctx.err(" %s %s  %s" % (kind.capitalize(), name, _PAST.get(verb, verb.capitalize() + "d")))
        else:
            ctx.err(" " + action)
    for warning in result.get("warnings") or ():
        ctx.err("WARN[0000] " + warning)


def up(ctx, args):
    stack = _load(ctx, args)
    result = ctx.engine().stacks.up(stack, pull=args.pull, build="always" if args.build else "missing",
                                    remove_orphans=args.remove_orphans, wait=args.wait, wait_timeout=args.wait_timeout)
    _report(ctx, result)
    return 0


def down(ctx, args):
    name, dummy, definition = _project(args)
    stack = _load(ctx, args) if definition is not None or _has_file(os.getcwd()) else None
    result = ctx.engine().stacks.down(stack.project if stack else name, stack, remove_volumes=args.volumes)
    _report(ctx, result)
    return 0


def _has_file(directory):
    return any(os.path.isfile(os.path.join(directory, f)) for f in stack_load.FILE_NAMES)


def ps(ctx, args):
    name = _project(args)[0]
    now = time.time()
    rows = []
    for view in ctx.engine(read_only=True).stacks.ps(name):
        if not args.all and not view["state"].get("running"):
            continue
        rows.append({"ID": view["id"][:12], "Name": view["name"], "Image": view["image"], "Service": view["service"],
                     "Status": status_text(view["state"], now), "Ports": ports_text(view)})
    ctx.write(fmt.render(args.format, rows, PS_HEADERS, "{{.ID}}" if args.quiet else PS_TABLE))
    return 0


def logs(ctx, args):
    name = _project(args)[0]
    engine = ctx.engine(read_only=True)
    containers = engine.containers.containers
    tail = container_logs.parse_tail(args.tail)
    views = [v for v in engine.stacks.ps(name) if not args.services or v["service"] in args.services]
    if not views:
        raise CliError("no containers of project %s%s" % (name, " for " + ", ".join(args.services) if args.services else ""))
    width = max(len(v["name"]) for v in views)
    for view in views:
        record = containers.records.find(view["id"])
        for entry in containers.logs(record, tail=tail):
            stream = ctx.stderr if entry.get("stream") == "stderr" else ctx.stdout
            stamp = "%s " % entry.get("time", "") if args.timestamps else ""
            stream.write("%s | %s%s" % (view["name"].ljust(width), stamp, entry["log"]))
    return 0
