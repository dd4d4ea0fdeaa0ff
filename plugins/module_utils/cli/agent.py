# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent the controller runs over SSH on a container host (plugins/plugin_utils/
container_host.py ships it there as a zip): what the inventory plugin and the connection
plugin need from a host's store, with the collection's own engine, no daemon.

    python3 agent.pyz --root R [--runtime runc] list            # JSON: docker inspect of every container
    python3 agent.pyz --root R [--runtime runc] exec NAME USER -- ARGV...

``exec`` runs ARGV in the running container on the agent's own stdin, stdout and stderr (the
SSH channel, byte for byte) and exits with its status. The agent's own failures (no such
container, not running, a bad store) exit with 255 after one ``strata-agent:`` line on stderr,
the status SSH itself uses when it cannot reach the host: the controller treats both as an
unreachable host."""

from __future__ import annotations

import argparse
import json
import sys

from .._errors import EngineError
from ..containers import attach
from ..engine import Engine
from ..store.store import DEFAULT_ROOT
from .inspect import container_json

AGENT_FAILED = 255


def _parser():
    parser = argparse.ArgumentParser(prog="strata-agent")
    parser.add_argument("--root", default=DEFAULT_ROOT)
    parser.add_argument("--runtime")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list")
    run = verbs.add_parser("exec")
    run.add_argument("container")
    run.add_argument("user", help="user[:group] in the container, or '' for the container's own")
    run.add_argument("argv", nargs=argparse.REMAINDER)
    return parser


def list_containers(engine):
    return [container_json(view) for view in engine.containers.info(all_containers=True)]


def exec_in(engine, name, user, argv):
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise EngineError("exec needs a command")
    service = engine.containers
    record = service.containers.records.find(name)
    status = service.containers.status(record)
    if status != "running":
        raise EngineError("container %s is %s, not running" % (name, status))
    return attach.run_attached(service.containers, record, argv, user or None)


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        engine = Engine(args.root, read_only=True, runtime=args.runtime)
        if args.verb == "list":
            sys.stdout.write(json.dumps(list_containers(engine)) + "\n")
            return 0
        sys.stdout.flush()
        return exec_in(engine, args.container, args.user, args.argv)
    except EngineError as exc:
        sys.stderr.write("strata-agent: %s\n" % exc)
        return AGENT_FAILED
