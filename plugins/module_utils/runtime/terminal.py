# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an OCI runtime command that gives its process a terminal (``docker exec -t``), with the
output collected.

runc and crun, attached and asked for ``process.terminal``, make the pseudo-terminal inside the
container (its own devpts) and copy between it and their own standard streams, which must be a
terminal. Those streams are the slave of a pty made here, in raw mode so that nothing is echoed
or translated twice; the process's output (stdout and stderr together, as Docker gives them
with a tty) is read from its master until every holder of the slave has gone.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import struct
import subprocess
import termios
import time
import tty

from .._errors import ContainerError

_CHUNK = 65536
_ROWS, _COLUMNS = 24, 80  # a terminal of 0x0 confuses full-screen programs
_EOF = b"\x04"  # end of input for a terminal in canonical mode: the command's stdin ends there


def run_on_pty(argv, stdin=None, timeout=None):
    """Run ``argv`` with a pty as its stdin, stdout and stderr: ``(exit status, output bytes)``.
    ``stdin`` (bytes) is typed on the terminal and ended with Ctrl-D."""
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", _ROWS, _COLUMNS, 0, 0))  # the runtime copies it
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True,  # pylint: disable=consider-using-with
                                start_new_session=True)
        os.close(slave)
        slave = None
        if stdin:
            _write_all(master, stdin + _EOF)
        output = _read_until_hangup(master, proc, timeout)
        return proc.wait(), output
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


def _write_all(fd, data):
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError as exc:
        if exc.errno != errno.EIO:  # EIO: the runtime already went (its error is in the output)
            raise


def _read_until_hangup(master, proc, timeout):
    """Everything written to the terminal; EIO from the master means the slave's last holder
    (the runtime, which outlives the process) has closed it."""
    chunks = []
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            proc.kill()
            proc.wait()
            raise ContainerError("the command timed out after %ss" % timeout)
        ready, dummy, dummy = select.select([master], [], [], wait)
        if not ready:
            continue
        try:
            data = os.read(master, _CHUNK)
        except OSError as exc:
            if exc.errno == errno.EIO:
                return b"".join(chunks)
            raise
        if not data:
            return b"".join(chunks)
        chunks.append(data)
