# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three ways ``docker exec`` runs the runtime's exec command: attached with pipes,
attached on a terminal (``-t``), or detached (``-d``)."""

from __future__ import annotations

import os
import subprocess

from ..runtime import terminal

DETACH_TIMEOUT = 60  # the runtime returns once the process has started
MAX_LOG_BYTES = 64 << 10


def run(command, stdin, timeout, tty, detach_log=None):
    """``command`` (the runtime's exec argv) -> (exit status, stdout, stderr) as text.
    ``detach_log``: the command is a detached one and the runtime logs to this path."""
    if detach_log:
        return _detached(command, detach_log)
    if tty:
        rc, output = terminal.run_on_pty(command, (stdin or "").encode(), timeout)
        return rc, _text(output), ""
    proc = subprocess.run(command, input=(stdin or "").encode(), capture_output=True, timeout=timeout, check=False)
    return proc.returncode, _text(proc.stdout), _text(proc.stderr)


def _detached(command, log):
    """The process inherits the runtime's stdio: /dev/null, never a pipe of ours (reading it would
    wait for the process). The runtime's own error, if it cannot start it, is in its log."""
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=DETACH_TIMEOUT, check=False)
        try:
            with open(log, "rb") as f:
                err = f.read(MAX_LOG_BYTES)
        except FileNotFoundError:
            err = b""
    finally:
        if os.path.exists(log):
            os.unlink(log)
    return proc.returncode, "", _text(err)


def _text(data):
    return data.decode("utf-8", "replace")
