# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A command in a running container with the caller's own standard streams, as the
``strata`` connection plugin runs its tasks: the container's process spec (environment,
working directory, user, confinement) with other arguments, exec'd by the OCI runtime. Used
by the connection on the container host and by the agent it runs over SSH (cli/agent.py)."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import tempfile


# The last line runc prints when it, rather than the command, failed (the command's stderr is
# the same stream, so only runc's own log format counts).
RUNTIME_FAILURE = re.compile(br'^time="[^"]*" level=(?:error|fatal) msg=')


@contextlib.contextmanager
def exec_argv(containers, record, argv, user=None):
    """The runtime's ``exec`` command line for ``argv`` in ``record``; its process file lives
    in the container's directory until the block ends."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="exec-",
                                     dir=containers.records.path(record["id"])) as handle:
        json.dump(containers.exec_process(record, argv, user=user), handle)
        handle.flush()
        yield containers.runtime_for(record).exec_argv(record["id"], handle.name)


def runtime_failed(stderr):
    """Whether ``stderr`` ends with the runtime's own error (not the command's)."""
    lines = stderr.strip().splitlines()
    return bool(lines) and bool(RUNTIME_FAILURE.match(lines[-1]))


def run_attached(containers, record, argv, user=None):
    """Run ``argv`` in the container on this process's own stdin, stdout and stderr; its exit
    status."""
    with exec_argv(containers, record, argv, user) as command:
        return subprocess.call(command)
