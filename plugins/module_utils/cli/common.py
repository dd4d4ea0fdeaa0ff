# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ``strata`` command shares: the engine on ``--root``, the output streams, errors
with their exit codes, and ``-f key=value`` options.

Command modules import only what parsing needs at the top; the engine and what one command
alone uses are imported in the handler, so ``strata ps`` does not pay for ``pull``'s imports."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

CERTS_DIR = "/etc/docker/certs.d"


class CliError(Exception):
    """A failure the command reports as ``Error: <message>`` with exit status ``code``."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.message = message
        self.code = code


class Context:
    """The parsed arguments and the streams a command writes to."""

    def __init__(self, args, stdin, stdout, stderr):
        self.args = args
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.failed = False

    @property
    def root(self):
        from ..store.store import DEFAULT_ROOT  # pylint: disable=import-outside-toplevel
        return getattr(self.args, "root", None) or os.environ.get("STRATA_ROOT") or DEFAULT_ROOT

    def engine(self, read_only=False):
        """The engine on the store; ``read_only`` for commands that only look (no store is made)."""
        from ..engine import Engine  # pylint: disable=import-outside-toplevel
        return Engine(os.path.abspath(self.root), read_only=read_only, certs_dir=CERTS_DIR,
                      cgroup_manager=getattr(self.args, "cgroup_manager", None),
                      insecure_registries=getattr(self.args, "insecure_registry", None) or ())

    def service(self, read_only=False):
        return self.engine(read_only=read_only).containers

    def out(self, text=""):
        self.stdout.write(text + "\n")

    def write(self, text):
        self.stdout.write(text)

    def err(self, text):
        self.stderr.write(text + "\n")

    def error(self, text):
        """Report one failure of a command that goes on with its other arguments (``rm a b``)."""
        self.failed = True
        self.err("Error: %s" % text)

    def status(self):
        return 1 if self.failed else 0


def key_values(items, what, allow_bare=False):
    """``["a=b", "c"]`` -> ``{"a": "b", "c": None}`` (bare keys only with ``allow_bare``)."""
    out = {}
    for item in items or ():
        key, has_value, value = item.partition("=")
        if not key or (not has_value and not allow_bare):
            raise CliError("invalid %s %r: expected key=value" % (what, item), 125)
        out[key] = value if has_value else None
    return out


def filters(items):
    """Repeated ``-f key=value`` -> ``{key: [values]}`` as the engine takes filters."""
    out = {}
    for item in items or ():
        key, has_value, value = item.partition("=")
        if not key or not has_value:
            raise CliError('bad format of filter (expected name=value): %s' % item, 125)
        out.setdefault(key.strip(), []).append(value.strip())
    return out


@contextlib.contextmanager
def scratch_dir():
    """A private temporary directory, removed afterwards."""
    directory = tempfile.mkdtemp(prefix="strata-cli-", dir=os.environ.get("TMPDIR") or "/var/tmp")
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def input_file(ctx, path, name):
    """``path``, or stdin copied to a temporary file when there is none (or it is ``-``)."""
    if path and path != "-":
        yield path
        return
    if ctx.stdin.isatty():
        raise CliError("%s: reading it from stdin, but stdin is a terminal; name a file or redirect stdin" % name, 1)
    with scratch_dir() as directory:
        copy = os.path.join(directory, name)
        with open(copy, "wb") as handle:
            shutil.copyfileobj(_binary(ctx.stdin), handle)
        yield copy


@contextlib.contextmanager
def output_file(ctx, path, name):
    """``path``, or a temporary file copied to stdout afterwards (never to a terminal)."""
    if path and path != "-":
        yield os.path.abspath(path)
        return
    if ctx.stdout.isatty():
        raise CliError("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1)
    with scratch_dir() as directory:
        target = os.path.join(directory, name)
        yield target
        ctx.stdout.flush()
        with open(target, "rb") as handle:
            shutil.copyfileobj(handle, _binary(ctx.stdout))
        _binary(ctx.stdout).flush()


def _binary(stream):
    return getattr(stream, "buffer", stream)
