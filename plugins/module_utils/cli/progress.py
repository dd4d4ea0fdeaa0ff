# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A one-line progress note on stderr (``Pulling busybox... done``) for long operations,
only when stderr is a terminal: nothing when it is piped or redirected."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def step(stream, text):
    """Writes ``text...`` before the block and ``done`` (or ``failed``) after it."""
    shown = _is_terminal(stream)
    if shown:
        stream.write("%s... " % text)
        stream.flush()
    try:
        yield
    except BaseException:
        if shown:
            stream.write("failed\n")
            stream.flush()
        raise
    if shown:
        stream.write("done\n")
        stream.flush()


def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
