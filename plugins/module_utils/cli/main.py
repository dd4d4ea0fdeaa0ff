# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata``: Docker's command line (``strata images``, ``strata ps -a``, ``strata run``...)
on the strata.containers engine, with no daemon. This module parses the arguments, runs the
command and turns failures into Docker's exit codes: 0 done, 1 failed (``Error: ...`` on
stderr), 125 bad usage or a ``run`` that could not set the container up, 126/127 a command
that cannot run, else the exit code of the container or of the ``exec``'d command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .._errors import EngineError, MissingDependency
from .common import CliError, Context
from .template import TemplateError

USAGE_ERROR = 125
# The modules of this package that register commands, in the order of ``strata --help``, and
# the top-level commands each registers (tests/unit/.../cli/test_dispatch.py keeps the two in
# step): ``strata images`` imports and registers cli/images.py alone, not every command's
# dependencies nor some 40 subparsers it would not use.
COMMANDS = (
    ("registry", ("pull", "push", "search")),
    ("images", ("images", "rmi", "tag", "history")),
    ("build", ("build", "commit")),
    ("archives", ("save", "load", "export", "import")),
    ("run", ("run", "create")),
    ("containers", ("ps", "start", "stop", "restart", "kill", "pause", "unpause", "rm", "wait", "logs", "exec")),
    ("copy", ("cp",)),
    ("inspect", ("inspect",)),
    ("networks", ("network",)),
    ("volumes", ("volume",)),
    ("system", ("prune", "system")),
    ("info", ("info",)),
    ("compose", ("compose",)),
)
GLOBAL_OPTIONS = ("--root", "--insecure-registry", "--cgroup-manager")  # each takes a value


class UsageError(Exception):
    def __init__(self, prog, message):
        super().__init__(message)
        self.prog = prog
        self.message = message


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors are raised (and become exit status 125) rather than exiting with 2."""

    def error(self, message):
        raise UsageError(self.prog, message)


def _global_options(parser, default):
    parser.add_argument("--root", default=default, metavar="DIR",
                        help="the store's directory (default $STRATA_ROOT or /var/lib/strata)")
    parser.add_argument("--insecure-registry", action="append", default=default, metavar="HOST[:PORT]",
                        help="a registry to reach over plain HTTP or without verifying its certificate (repeatable)")
    parser.add_argument("--cgroup-manager", default=default, choices=("systemd", "cgroupfs"),
                        help="who makes the cgroups of the containers created (default: systemd where it is "
                             "the init system, else cgroupfs)")


def command_module(name):
    return importlib.import_module("%s.%s" % (__package__, name))


def modules_for(argv):
    """The command modules needed to parse ``argv``: the one of its command when that is plain
    to see (global options spelt out in full, then a known command), else all of them (``--help``,
    an unknown command, an abbreviated option...), so parsing and its messages are unchanged."""
    every = [module for module, dummy in COMMANDS]
    words = iter(argv)
    for word in words:
        if word in GLOBAL_OPTIONS:
            next(words, None)  # its value
        elif not word.startswith(tuple(option + "=" for option in GLOBAL_OPTIONS)):
            return [module for module, names in COMMANDS if word in names] or every
    return every


def build_parser(modules=None):
    """The parser of the commands of ``modules`` (names in COMMANDS; default: every command)."""
    parser = ArgumentParser(prog="strata", description="Docker's commands on the strata store, with no daemon.")
    _global_options(parser, None)
    common = ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)  # also accepted after the command's name
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)

    def add(name, text, func, add_help=True, under=None):
        """A command (``under`` another's subparsers for ``system df``), with the global options."""
        cmd = (under or commands).add_parser(name, help=text, description=text, parents=[common], add_help=add_help)
        cmd.set_defaults(func=func)
        return cmd

    for name in modules or [m for m, dummy in COMMANDS]:
        command_module(name).register(add)
    return parser


def _streams(stdin, stdout, stderr):
    return stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr


def main(argv=None, stdin=None, stdout=None, stderr=None):
    """Run ``strata ARGV...``; returns the exit status."""
    stdin, stdout, stderr = _streams(stdin, stdout, stderr)
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(modules_for(argv))
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            prog = "strata %s" % args.command if getattr(args, "command", None) else "strata"
            raise UsageError(prog, "unknown flag or argument: %s" % " ".join(extra))
    except UsageError as exc:
        stderr.write("strata: %s\nSee '%s --help'.\n" % (exc.message, exc.prog))
        return USAGE_ERROR
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    if not getattr(args, "func", None):
        parser.print_help(stdout)
        return 0
    ctx = Context(args, stdin, stdout, stderr)
    try:
        code = args.func(ctx, args)
        stdout.flush()
    except CliError as exc:
        return _fail(ctx, exc.message, exc.code)
    except MissingDependency as exc:
        return _fail(ctx, "%s (install it for the Python that runs strata: %s)" % (exc, sys.executable), 1)
    except (EngineError, TemplateError) as exc:
        return _fail(ctx, str(exc), 1)
    except BrokenPipeError:
        _silence(stdout)
        return 141  # as if killed by SIGPIPE, like a C program writing to a closed pipe
    except OSError as exc:
        return _fail(ctx, "%s%s" % (exc.strerror or exc, ": %s" % exc.filename if exc.filename else ""), 1)
    except KeyboardInterrupt:
        return 130
    return code if isinstance(code, int) else 0


def _fail(ctx, message, code):
    ctx.stdout.flush()
    ctx.err("Error: %s" % message)
    return code


def _silence(stream):
    """After a broken pipe: nothing more goes to it (not even at interpreter exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
