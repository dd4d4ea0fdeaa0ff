# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata run`` and ``strata create``: Docker's flags turned into the container options the
engine takes; run then waits for the container and prints its output, unless detached."""

from __future__ import annotations

import os
import secrets

from . import names, progress, run_flags
from .._errors import ContainerError, EngineError, ImageNotFound
from ..oci import reference
from .common import CliError, key_values
from .containers import follow_logs

SETUP_FAILED = 125


def register(add):
    for name, text in (("run", "Create and run a new container from an image"),
                       ("create", "Create a new container")):
        cmd = add(name, text, run if name == "run" else create, add_help=False)
        cmd.add_argument("--help", action="help", help="show this help message and exit")
        if name == "run":
            cmd.add_argument("-d", "--detach", action="store_true", help="run in the background and print its ID")
            cmd.add_argument("--rm", action="store_true", help="remove the container when it exits")
        cmd.add_argument("--name", help="a name for the container")
        cmd.add_argument("-p", "--publish", action="append", default=[], metavar="[IP:][HOST_PORT:]PORT[/PROTO]")
        cmd.add_argument("-e", "--env", action="append", default=[], metavar="KEY[=VALUE]")
        cmd.add_argument("-v", "--volume", action="append", default=[], metavar="[SOURCE:]TARGET[:ro]",
                         help="a bind mount (absolute SOURCE) or a named volume")
        cmd.add_argument("--tmpfs", action="append", default=[], metavar="TARGET[:OPTIONS]",
                         help="mount a tmpfs, e.g. /cache:size=64m,mode=1700")
        cmd.add_argument("-l", "--label", action="append", default=[], metavar="KEY=VALUE")
        cmd.add_argument("--network", "--net", action="append", default=[], metavar="NETWORK",
                         help="bridge (default), host, none, container:NAME, or a network's name (repeatable)")
        cmd.add_argument("--network-alias", action="append", default=[], metavar="ALIAS",
                         help="another name of the container on its (first) network")
        cmd.add_argument("--ip", help="its IPv4 address on its (first) network")
        cmd.add_argument("--dns", action="append", default=[], metavar="IP", help="a DNS server")
        cmd.add_argument("--dns-search", action="append", default=[], metavar="DOMAIN", help="a DNS search domain")
        cmd.add_argument("--dns-option", action="append", default=[], metavar="OPTION", help="a resolv.conf option")
        cmd.add_argument("--add-host", action="append", default=[], metavar="HOST:IP", help="a line of /etc/hosts")
        cmd.add_argument("--domainname", help="the container's NIS domain name")
        cmd.add_argument("-m", "--memory", help="memory limit, e.g. 512m")
        cmd.add_argument("--cpus", type=float, help="number of CPUs")
        cmd.add_argument("--pids-limit", type=int, help="process limit (-1 for none)")
        cmd.add_argument("--restart", help="no, on-failure[:N], always, unless-stopped")
        cmd.add_argument("-u", "--user", help="user[:group], name or number")
        cmd.add_argument("-w", "--workdir", help="working directory inside the container")
        cmd.add_argument("--entrypoint", help="overwrite the image's ENTRYPOINT")
        cmd.add_argument("-h", "--hostname", help="the container's host name")
        cmd.add_argument("--read-only", action="store_true", help="mount its root filesystem read-only")
        cmd.add_argument("--privileged", action="store_true", help="give it extended privileges (see the container module)")
        cmd.add_argument("--stop-signal", help="signal that stops it")
        cmd.add_argument("--stop-timeout", type=int, help="seconds to wait for it to stop before killing it")
        cmd.add_argument("--health-cmd", metavar="COMMAND", help="a command (run by /bin/sh -c) that checks its health")
        cmd.add_argument("--health-interval", metavar="DURATION", help="time between health checks (30s)")
        cmd.add_argument("--health-timeout", metavar="DURATION", help="time one health check may run (30s)")
        cmd.add_argument("--health-retries", type=int, metavar="N", help="failures in a row that make it unhealthy (3)")
        cmd.add_argument("--health-start-period", metavar="DURATION", help="time to start before failures count (0s)")
        cmd.add_argument("--health-start-interval", metavar="DURATION", help="time between checks while starting (5s)")
        cmd.add_argument("--no-healthcheck", action="store_true", help="no health check, not even the image's")
        cmd.add_argument("--log-driver", help="json-file (default), journald or none")
        cmd.add_argument("--log-opt", action="append", default=[], metavar="KEY=VALUE",
                         help="a log driver option: max-size, max-file, compress (json-file), tag (journald)")
        cmd.add_argument("--pull", choices=("missing", "always", "never"), default="missing")
        cmd.add_argument("--platform", help="os/arch[/variant] to pull")
        run_flags.add_flags(cmd)
        cmd.add_argument("image", metavar="IMAGE")
        cmd.add_argument("command", nargs="...", metavar="COMMAND [ARG...]")


def _mount(spec):
    parts = spec.split(":")
    if len(parts) == 1:  # an anonymous volume gets a random name, as Docker's
        return {"type": "volume", "source": secrets.token_hex(32), "target": parts[0]}
    if len(parts) > 3 or (len(parts) == 3 and not set(parts[2].split(",")) <= {"ro", "rw", "z", "Z"}):
        raise CliError("invalid volume specification: '%s'" % spec, SETUP_FAILED)
    return {"type": "bind" if parts[0].startswith("/") else "volume", "source": parts[0], "target": parts[1],
            "read_only": len(parts) == 3 and "ro" in parts[2].split(",")}


def container_params(args):
    """The engine's container options from Docker's flags (unset ones stay out)."""
    env = {k: os.environ.get(k) if v is None else v for k, v in key_values(args.env, "environment variable", True).items()}
    params = {"command": args.command or None, "user": args.user, "working_dir": args.workdir, "hostname": args.hostname,
              "memory": args.memory, "cpus": args.cpus, "pids_limit": args.pids_limit, "restart_policy": args.restart,
              "stop_signal": args.stop_signal, "stop_timeout": args.stop_timeout,
              "dns": args.dns or None, "dns_search": args.dns_search or None, "dns_options": args.dns_option or None,
              "etc_hosts": args.add_host or None, "domainname": args.domainname,
              "log_driver": args.log_driver, "log_options": key_values(args.log_opt, "log option") or None,
              "read_only": True if args.read_only else None,
              "privileged": True if args.privileged else None,
              "env": {k: v for k, v in env.items() if v is not None} or None,
              "labels": {k: v or "" for k, v in key_values(args.label, "label", True).items()} or None,
              "published_ports": args.publish or None,
              "mounts": [_mount(v) for v in args.volume] or None, "tmpfs": args.tmpfs or None}
    params.update(_network_params(args))
    params["healthcheck"] = _healthcheck(args)
    params.update(run_flags.params(args))
    if args.entrypoint is not None:
        params["entrypoint"] = [args.entrypoint] if args.entrypoint else []
    return params


def _healthcheck(args):
    """--health-* and --no-healthcheck as the healthcheck option (None when none is given)."""
    check = {"test": args.health_cmd, "interval": args.health_interval, "timeout": args.health_timeout,
             "retries": args.health_retries, "start_period": args.health_start_period,
             "start_interval": args.health_start_interval}
    check = {k: v for k, v in check.items() if v is not None}
    if args.no_healthcheck:
        if check:
            raise CliError("--no-healthcheck conflicts with --health-* options", SETUP_FAILED)
        return {"disable": True}
    return check or None


def _network_params(args):
    """--network (a mode, or networks by name), --network-alias and --ip for the first network."""
    modes = [n for n in args.network if n in ("bridge", "default", "host", "none") or n.startswith("container:")]
    named = [n for n in args.network if n not in modes]
    if modes and (named or len(modes) > 1):
        raise CliError("conflicting options: --network %s cannot be combined with other networks"
                       % modes[0], SETUP_FAILED)
    if (args.network_alias or args.ip) and not named:
        raise CliError("--network-alias and --ip need a user-defined network (--network NAME)", SETUP_FAILED)
    if not named:
        return {"network_mode": modes[0] if modes else None}
    networks = [{"name": n} for n in named]
    networks[0].update(aliases=args.network_alias, ipv4_address=args.ip)
    return {"networks": networks}


def _ensure_image(ctx, images, args):
    """Docker's "Unable to find image ... locally", then a pull, when the store lacks it."""
    if args.pull == "always":
        with progress.step(ctx.stderr, "Pulling %s" % args.image):
            images.pull(args.image, policy="always", platform=args.platform)
        return
    try:
        images.find_image(args.image)
        return
    except ImageNotFound:
        if args.pull == "never":
            raise
    ctx.err("Unable to find image '%s' locally" % reference.parse(args.image).familiar)
    with progress.step(ctx.stderr, "Pulling %s" % args.image):
        images.pull(args.image, platform=args.platform)


def _start_failure(exc):
    """Docker's codes: 127 when the command is not there, 126 when it cannot run, else 125."""
    text = str(exc).lower()
    if "not found" in text or "no such file" in text:
        return 127
    if "permission denied" in text or "not executable" in text:
        return 126
    return SETUP_FAILED


def _make(ctx, args, state):
    """The container, created (and started); its record."""
    if getattr(args, "rm", False) and getattr(args, "detach", False):
        raise CliError("--rm with --detach needs a daemon to remove the container when it exits; strata has none",
                       SETUP_FAILED)
    service = ctx.service()
    try:
        params = container_params(args)
        existing = service.find_named(args.name) if args.name else None
        if existing:
            raise CliError('Conflict. The container name "/%s" is already in use by container "%s". You have to '
                           'remove (or rename) that container to be able to reuse that name.'
                           % (args.name, existing["id"]), SETUP_FAILED)
        name = args.name or names.generate(lambda n: service.find_named(n) is not None)
        _ensure_image(ctx, service.images, args)
        result = service.ensure(name, state=state, image=args.image, pull="missing", params=params,
                                platform=args.platform, exact_name=True)
    except ContainerError as exc:
        raise CliError(str(exc), _start_failure(exc) if state == "started" else SETUP_FAILED) from exc
    except EngineError as exc:
        raise CliError(str(exc), SETUP_FAILED) from exc
    return service.containers, service.containers.records.find(result["container"]["id"])


def create(ctx, args):
    dummy, record = _make(ctx, args, "created")
    ctx.out(record["id"])
    return 0


def run(ctx, args):
    containers, record = _make(ctx, args, "started")
    if args.detach:
        ctx.out(record["id"])
        return 0
    interrupted, cursor = False, {}
    try:
        while True:
            try:
                follow_logs(ctx, containers, record, follow=True, cursor=cursor)
                return containers.wait(record) or 0
            except KeyboardInterrupt:
                if interrupted:  # a second ^C detaches (and --rm removes it)
                    raise
                interrupted = True  # the first is passed on, as Docker's sig-proxy does
                try:
                    containers.kill(record, "SIGINT")
                except EngineError:
                    pass
    finally:
        if args.rm:
            containers.remove(record, force=True)
