# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata ps``, ``start``, ``stop``, ``restart``, ``kill``, ``pause``, ``unpause``, ``rm``,
``wait``, ``logs`` and ``exec``: one container at a time through the engine, as Docker does."""

from __future__ import annotations

import os
import time

from . import format as fmt
from .._errors import ContainerError, ContainerNotFound, EngineError, InvalidState
from ..containers import run_defaults
from ..containers.reader import wait_for_exit
from .common import CliError, key_values

LIVE = ("running", "paused", "restarting")
PS_TABLE = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
PS_HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
              "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Names": "NAMES",
              "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS"}


def register(add):
    cmd = add("ps", "List containers", ps)
    cmd.add_argument("-a", "--all", action="store_true", help="show all containers (default shows just running)")
    cmd.add_argument("-q", "--quiet", action="store_true", help="only display container IDs")
    cmd.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    cmd.add_argument("--format", help="a Go template, e.g. 'table {{.Names}}\\t{{.Status}}'")
    for name, text, func in (("start", "Start one or more stopped containers", start),
                             ("stop", "Stop one or more running containers", stop),
                             ("restart", "Restart one or more containers", restart),
                             ("kill", "Kill one or more running containers", kill),
                             ("pause", "Pause all processes within one or more containers", pause),
                             ("unpause", "Unpause all processes within one or more containers", unpause),
                             ("rm", "Remove one or more containers", rm),
                             ("wait", "Block until containers stop, then print their exit codes", wait)):
        cmd = add(name, text, func)
        cmd.add_argument("containers", nargs="+", metavar="CONTAINER")
        if name in ("stop", "restart"):
            cmd.add_argument("-t", "--time", type=int, help="seconds to wait before killing it (default: its stop timeout)")
            cmd.add_argument("-s", "--signal", help="the signal that stops it (default: its stop signal)")
        if name == "kill":
            cmd.add_argument("-s", "--signal", default="KILL", help="the signal to send (default KILL)")
        if name == "rm":
            cmd.add_argument("-f", "--force", action="store_true", help="kill and remove a running container")
        if name == "start":
            cmd.add_argument("-a", "--attach", action="store_true", help="print its output until it exits")

    cmd = add("logs", "Fetch the logs of a container", logs)
    cmd.add_argument("container", metavar="CONTAINER")
    cmd.add_argument("-f", "--follow", action="store_true", help="follow the output until the container stops")
    cmd.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    cmd.add_argument("-n", "--tail", default="all", help="only the last N lines (default all)")
    cmd.add_argument("--since", help="lines since a time (2026-12-03T16:00:00Z, Unix seconds) or a duration ago (10m)")
    cmd.add_argument("--until", help="lines before a time (2026-12-03T16:00:00Z, Unix seconds) or a duration ago (10m)")

    cmd = add("exec", "Execute a command in a running container", exec_)
    cmd.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE", help="set environment variables")
    cmd.add_argument("-u", "--user", help="user[:group], name or number")
    cmd.add_argument("-w", "--workdir", help="working directory inside the container")
    cmd.add_argument("-i", "--interactive", action="store_true", help="pass stdin to the command")
    cmd.add_argument("-t", "--tty", action="store_true", help="run it on a pseudo-terminal")
    cmd.add_argument("-d", "--detach", action="store_true", help="start it in the background and return at once")
    cmd.add_argument("container", metavar="CONTAINER")
    cmd.add_argument("command", nargs="...", metavar="COMMAND [ARG...]")


def status_text(state, now):
    """Docker's State.String(): Up 2 minutes, Exited (0) 5 seconds ago, Created..."""
    status = state["status"]
    started = fmt.timestamp(state.get("started_at")) or now
    finished = fmt.timestamp(state.get("finished_at")) or now
    if status == "running":
        return "Up %s%s" % (fmt.human_duration(now - started), _health_text(state))
    if status == "paused":
        return "Up %s (Paused)" % fmt.human_duration(now - started)
    if status == "restarting":
        return "Restarting (%d) %s ago" % (state.get("exit_code") or 0, fmt.human_duration(now - finished))
    if status == "exited":
        return "Exited (%d) %s ago" % (state.get("exit_code") or 0, fmt.human_duration(now - finished))
    return status.capitalize()


def _health_text(state):
    """Docker's suffix: " (health: starting)", " (healthy)", " (unhealthy)"."""
    status = (state.get("health") or {}).get("status")
    if not status:
        return ""
    return " (health: starting)" if status == "starting" else " (%s)" % status


def ports_text(view):
    if not view["state"]["running"]:
        return ""
    shown = []
    for port, bindings in sorted(view["network"]["ports"].items()):
        shown.extend("%s:%s->%s" % (b["host_ip"], b["host_port"], port) for b in bindings)
    return ", ".join(shown)


def ps_row(view, no_trunc, now):
    image = view.get("image") or view["image_id"]
    command = " ".join(view["config"].get("args") or [])
    labels = view["config"].get("labels") or {}
    return {"ID": view["id"] if no_trunc else view["id"][:12],
            "Image": image if no_trunc or not image.startswith("sha256:") else fmt.short_id(image),
            "Command": fmt.go_quote(command if no_trunc else fmt.ellipsis(command, 20)),
            "CreatedAt": fmt.local_time(view["created"]), "RunningFor": fmt.ago(view["created"], now),
            "Ports": ports_text(view), "State": view["state"]["status"], "Status": status_text(view["state"], now),
            "Names": view["name"], "Labels": ",".join("%s=%s" % kv for kv in sorted(labels.items())),
            "Mounts": ",".join(m["source"] or m["destination"] for m in view["mounts"]),
            "Networks": ",".join(view["network"].get("networks") or {}) or view["network"]["mode"]}


def ps(ctx, args):
    views = ctx.service(read_only=True).info(all_containers=args.all, resources=False)  # not shown: not read
    now = time.time()
    views.sort(key=lambda v: (fmt.timestamp(v["created"]) or 0, v["state"].get("started_at") or ""), reverse=True)
    rows = [ps_row(v, args.no_trunc, now) for v in views]
    ctx.write(fmt.render(args.format, rows, PS_HEADERS, "{{.ID}}" if args.quiet else PS_TABLE))
    return 0


def each(ctx, names, action):
    """``action(containers, record, name)`` for each named container; a failure is reported and
    the others still go; the name is printed on success, as Docker prints it."""
    containers = ctx.service(read_only=True).containers
    for name in names:
        try:
            record = containers.records.find(name)
            shown = action(containers, record, name)
        except EngineError as exc:
            ctx.error(str(exc))
            continue
        ctx.out(name if shown is None else str(shown))
    return ctx.status()


def _stop(containers, record, args):
    timeout = args.time if args.time is not None else run_defaults.stop_timeout(record.get("options"))
    containers.stop(record, timeout=timeout, stop_signal=args.signal)
    return None


def _start(containers, record):
    if containers.status(record) not in LIVE:  # Docker starts a running container without a word
        containers.start(record)


def start(ctx, args):
    if args.attach:
        if len(args.containers) != 1:
            raise CliError("you cannot start and attach multiple containers at once")
        containers = ctx.service(read_only=True).containers
        record = containers.records.find(args.containers[0])
        if containers.status(record) not in LIVE:
            containers.start(record)
        follow_logs(ctx, containers, record, follow=True)
        return containers.wait(record) or 0
    return each(ctx, args.containers, lambda c, r, n: _start(c, r))


def stop(ctx, args):
    return each(ctx, args.containers, lambda c, r, n: _stop(c, r, args))


def restart(ctx, args):
    return each(ctx, args.containers, lambda c, r, n: _stop(c, r, args) or _start(c, r))


def kill(ctx, args):
    return each(ctx, args.containers, lambda c, r, n: c.kill(r, signal=args.signal))


def pause(ctx, args):
    return each(ctx, args.containers, lambda c, r, n: c.pause(r))


def _unpause(containers, record):
    if containers.status(record) != "paused":
        raise InvalidState("Container %s is not paused" % record["id"])
    containers.resume(record)


def unpause(ctx, args):
    return each(ctx, args.containers, lambda c, r, n: _unpause(c, r))


def rm(ctx, args):
    return each(ctx, args.containers, lambda c, r, n: c.remove(r, force=args.force))


def wait(ctx, args):
    return each(ctx, args.containers, lambda c, r, n: c.wait(r) or 0)


def follow_logs(ctx, containers, record, follow=False, timestamps=False, tail=None, cursor=None, since=None,
                until=None):
    """Write its log (stdout lines to stdout, stderr lines to stderr); with ``follow`` keep
    writing new lines until the container no longer runs. ``cursor`` (a dict) keeps the time of
    the last line written (and how many at that time), for a caller that follows again after an
    interruption, and so that a rotation of the log between two reads loses nothing."""
    cursor = {} if cursor is None else cursor
    while True:
        done = not follow or containers.status(record) not in LIVE
        if "after" in cursor:
            entries = containers.logs(record, since=cursor["after"], until=until)
        else:
            entries = containers.logs(record, since=since, until=until, tail=tail)
            cursor.update(after=since or 0, same=0)
        for entry in _unseen(entries, cursor):
            stream = ctx.stderr if entry.get("stream") == "stderr" else ctx.stdout
            stream.write(("%s %s" % (entry.get("time", ""), entry["log"])) if timestamps else entry["log"])
        ctx.stdout.flush()
        ctx.stderr.flush()
        if done:
            return
        wait_for_exit(containers.records.state(record["id"]).get("monitor_pid"), 0.05)


def _unseen(entries, cursor):
    """The entries after the cursor (those at its very time beyond the ones already written)."""
    from ..containers import logs as container_logs  # pylint: disable=import-outside-toplevel
    skip = cursor["same"]
    for entry in entries:
        ns = container_logs.time_ns(entry.get("time")) or 0
        if ns == cursor["after"] and skip:
            skip -= 1
            continue
        if ns != cursor["after"]:
            cursor.update(after=ns, same=0)
        cursor["same"] += 1
        yield entry


def logs(ctx, args):
    from ..containers import logs as container_logs  # pylint: disable=import-outside-toplevel
    containers = ctx.service(read_only=True).containers
    record = containers.records.find(args.container)
    since = container_logs.parse_since(args.since, "--since") if args.since else None
    until = container_logs.parse_since(args.until, "--until") if args.until else None
    follow_logs(ctx, containers, record, args.follow, args.timestamps, container_logs.parse_tail(args.tail),
                since=since, until=until)
    return 0


def exec_(ctx, args):
    if not args.command:
        raise CliError('"strata exec" requires at least 2 arguments')
    env = {k: os.environ.get(k) if v is None else v for k, v in key_values(args.env, "environment variable", True).items()}
    env = {k: v for k, v in env.items() if v is not None}
    stdin = ctx.stdin.read() if args.interactive else None
    try:
        code, out, err = ctx.service(read_only=True).exec(args.container, args.command, env=env or None, user=args.user,
                                                          chdir=args.workdir, stdin=stdin, tty=args.tty,
                                                          detach=args.detach)
    except (ContainerNotFound, InvalidState):
        raise
    except ContainerError as exc:
        raise CliError(str(exc), 127 if "not found" in str(exc) or "no such file" in str(exc) else 126) from exc
    ctx.write(out)
    ctx.stderr.write(err)
    return code or 0  # None: detached
