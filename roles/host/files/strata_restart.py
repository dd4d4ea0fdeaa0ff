# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Starts again, after a boot, the containers whose restart policy asks for it.

Installed by the role strata.containers.host next to ``strata-engine.zip`` (the collection's
engine) and run once at boot by ``strata-restart.service``::

    python3 strata-restart.py [--runtime runc|crun] [--dry-run] ROOT [ROOT...]

(with the Python that has the engine's libraries: requests, zstandard, pyroute2)

In each store root, every container whose restart policy is ``always`` or ``unless-stopped``,
that is not running and was not stopped on purpose (by the container module, ``docker
stop``-like: the engine then leaves a stop request in the container's directory), is started
under a new monitor, as Docker's daemon does when it starts. Containers never started, and
those with the policy ``no`` or ``on-failure``, are left alone. Prints one line per container
it starts or fails to start; exits 1 when any failed, else 0.
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINE = os.path.join(HERE, "strata-engine.zip")
POLICIES = ("always", "unless-stopped")


def load_engine(path=ENGINE):
    """The engine's Engine class and the monitor's stop-request file name."""
    if path not in sys.path:
        sys.path.insert(0, path)
    from strata_engine.engine import Engine  # pylint: disable=import-error,import-outside-toplevel
    from strata_engine.runtime.monitor import STOP_REQUEST  # pylint: disable=import-error,import-outside-toplevel
    return Engine, STOP_REQUEST


def to_restart(service, record, stop_request):
    """Whether this container should run again now."""
    policy = (record.get("restart_policy") or "no").split(":", 1)[0]
    if policy not in POLICIES:
        return False
    if os.path.exists(service.containers.records.path(record["id"], stop_request)):
        return False  # stopped on purpose: it stays stopped
    return service.containers.status(record) == "exited"


def restart_root(root, runtime=None, dry_run=False, out=sys.stdout):
    """Start what should run in the store at ``root``; returns (started names, failed names)."""
    engine, stop_request = load_engine()
    if not os.path.isdir(os.path.join(root, "containers")):
        return [], []
    service = engine(root, read_only=True, runtime=runtime).containers
    started, failed = [], []
    for record in service.containers.records.all():
        try:
            if not to_restart(service, record, stop_request):
                continue
            if not dry_run:
                service.containers.start(record)
            started.append(record["name"])
            out.write("%s: started %s (restart policy %s)\n" % (root, record["name"], record.get("restart_policy")))
        except Exception as exc:  # pylint: disable=broad-except
            failed.append(record.get("name"))
            out.write("%s: cannot start %s: %s\n" % (root, record.get("name"), exc))
    return started, failed


def main(argv=None):
    parser = argparse.ArgumentParser(description="Start the containers whose restart policy asks for it.")
    parser.add_argument("--runtime", choices=("runc", "crun"), help="the OCI runtime (default: runc, else crun)")
    parser.add_argument("--dry-run", action="store_true", help="only print what would be started")
    parser.add_argument("roots", nargs="+", metavar="ROOT", help="a store root, such as /var/lib/strata")
    args = parser.parse_args(argv)
    any_failed = False
    for root in args.roots:
        dummy, failed = restart_root(os.path.abspath(root), runtime=args.runtime, dry_run=args.dry_run)
        any_failed = any_failed or bool(failed)
    sys.stdout.flush()
    return 1 if any_failed else 0


if __name__ == "__main__":
    sys.exit(main())
