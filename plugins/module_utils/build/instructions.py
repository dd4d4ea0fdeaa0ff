# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dockerfile instructions: the typed values, and how one instruction line becomes one.

Nothing is expanded: ``$VAR`` and quotes stay as written and the builder expands them with the
environment of the step (``expand.py``). Arguments and flags are checked as BuildKit's
``instructions`` package does.
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Dict, List, Optional

from .._errors import DockerfileSyntaxError
from ..oci import jsondoc
from .words import BLANKS, DEFAULT_ESCAPE, extract_flags, split_key_values, split_words

_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*")
_HEREDOC = re.compile(r"[0-9]*<<-?[^<]+")
_DURATION = re.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_NANOSECONDS = {"ns": 1, "us": 10 ** 3, "\u00b5s": 10 ** 3, "\u03bcs": 10 ** 3, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}
# The flags an instruction takes, and whether each is a boolean. Others are refused, not ignored.
_FLAGS = {
    "FROM": {"platform": False},
    "COPY": {"from": False, "chown": False, "chmod": False, "link": True},
    "ADD": {"chown": False, "chmod": False, "link": True},
    "HEALTHCHECK": {"interval": False, "timeout": False, "start-period": False, "start-interval": False, "retries": False},
}


@dataclass(frozen=True)
class Instruction:
    """One instruction, continuation lines joined and comments dropped.

    ``args`` is the JSON list for the exec form (``json_form``), else ``[text]``: the raw argument
    text after the flags. HEALTHCHECK is stored as Docker's ``Healthcheck.Test``: ``["NONE"]``,
    ``["CMD", arg, ...]`` (exec form) or ``["CMD-SHELL", text]``. ONBUILD keeps the trigger's text
    in ``args`` (what goes into the image's ``OnBuild`` list) and the parsed trigger in ``inner``.
    """

    line: int
    keyword: str
    original: str
    args: List[str]
    json_form: bool = False
    flags: Dict[str, str] = field(default_factory=dict)
    inner: Optional["Instruction"] = None

    def flag(self, name, default=None):
        return self.flags.get(name, default)


@dataclass(frozen=True)
class Stage:
    """``FROM base [AS name]`` and what follows it; the FROM itself is not in ``instructions``."""

    name: Optional[str]
    index: int
    base: str
    platform: Optional[str]
    instructions: List[Instruction]
    line: int

    def matches(self, ref):
        """True if ``ref`` names this stage: its name, or its index as ``COPY --from=0`` allows."""
        ref = str(ref).lower()
        return ref == self.name or ref == str(self.index)


@dataclass(frozen=True)
class Dockerfile:
    directives: Dict[str, str]
    args_before_from: List[Instruction]
    stages: List[Stage]

    @property
    def escape(self):
        return self.directives.get("escape", DEFAULT_ESCAPE)

    def stage(self, ref):
        """The stage named ``ref`` (or numbered, counting from 0), or None: then it is an image."""
        for stage in self.stages:
            if stage.matches(ref):
                return stage
        return None


def parse_duration(text):
    """Go's ``time.ParseDuration`` (HEALTHCHECK's flags), in nanoseconds; None if malformed."""
    sign, rest = (-1, text[1:]) if text[:1] == "-" else (1, text[1:] if text[:1] == "+" else text)
    if rest == "0":
        return 0
    total, pos = Fraction(0), 0
    while pos < len(rest):
        match = _DURATION.match(rest, pos)
        if not match or match.group(1) in ("", "."):
            return None
        total += Fraction(match.group(1)) * _NANOSECONDS[match.group(2)]
        pos = match.end()
    return sign * int(total) if rest else None


_Request = namedtuple("_Request", "number keyword rest escape flags")


class _Invalid(Exception):
    pass


def from_line(number, line, escape=DEFAULT_ESCAPE):
    """The :class:`Instruction` of one logical line (continuations joined) starting at line ``number``."""
    line = line.strip()
    parts = BLANKS.split(line, 1)
    keyword = parts[0].upper()
    rest, flag_words = extract_flags(parts[1]) if len(parts) > 1 else ("", [])
    try:
        if keyword not in _HANDLERS:
            raise _Invalid("unknown instruction: %s" % keyword)
        request = _Request(number, keyword, rest.strip(), escape, _flags(keyword, flag_words))
        if not request.rest:
            raise _Invalid("%s requires at least one argument" % keyword)
    except _Invalid as exc:
        raise DockerfileSyntaxError(str(exc), line=number) from None
    if keyword == "ONBUILD":
        return Instruction(number, keyword, line, [request.rest], False, {}, _onbuild(request))
    try:
        args, json_form = _HANDLERS[keyword](request)
    except _Invalid as exc:
        raise DockerfileSyntaxError(str(exc), line=number) from None
    return Instruction(number, keyword, line, args, json_form, request.flags)


def _flags(keyword, words):
    allowed, flags = _FLAGS.get(keyword, {}), {}
    for word in words:
        name, has_value, value = word[2:].partition("=")
        if name not in allowed:
            raise _Invalid("unknown flag for %s: --%s" % (keyword, name))
        if name in flags:
            raise _Invalid("duplicate flag specified: --%s" % name)
        if allowed[name]:
            value = value.lower() if has_value else "true"
            if value not in ("true", "false"):
                raise _Invalid("expecting boolean value for flag --%s, not: %s" % (name, value))
        elif not has_value:
            raise _Invalid("missing a value on flag: --%s" % name)
        flags[name] = value
    return flags


def _maybe_json(rest):
    """Docker's rule: a JSON array of strings is the exec form, anything else the shell form."""
    if rest.startswith("["):
        try:
            value = jsondoc.loads(rest, "JSON array", parse_constant=_not_json)
        except ValueError:  # InvalidSpec too: Docker reads what is not a JSON array as shell form
            value = None
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise _Invalid("when using JSON array syntax, arrays must be comprised of strings only")
            return value, True
    return [rest], False


def _not_json(name):
    raise ValueError(name)  # Python reads NaN and Infinity, Go does not


def _text(request):
    return [request.rest], False


def _command(request):
    args, json_form = _maybe_json(request.rest)
    if request.keyword == "RUN":
        if json_form and not args:
            raise _Invalid("RUN requires at least one argument")
        _no_heredoc(request, json_form)
    return args, json_form


def _shell(request):
    args, json_form = _maybe_json(request.rest)
    if not json_form:
        raise _Invalid("SHELL requires the arguments to be in JSON form")
    if not args:
        raise _Invalid("SHELL requires at least one argument")
    return args, json_form


def _copy(request):
    args, json_form = _maybe_json(request.rest)
    if len(args if json_form else split_words(request.rest, request.escape, True)) < 2:
        raise _Invalid("%s requires at least two arguments, but only one was provided. Destination could not be determined" % request.keyword)
    _no_heredoc(request, json_form)
    return args, json_form


def _no_heredoc(request, json_form):
    if not json_form and any(_HEREDOC.fullmatch(word) for word in split_words(request.rest, request.escape, True)):
        raise _Invalid("%s: heredocs (<<EOF) are not supported" % request.keyword)


def _volume(request):
    args, json_form = _maybe_json(request.rest)
    if json_form and not args:
        raise _Invalid("VOLUME requires at least one argument")
    if json_form and not all(arg.strip() for arg in args):
        raise _Invalid("VOLUME specified can not be an empty string")
    return args, json_form


def _pairs(request):
    split_key_values(request.rest, request.escape, keyword=request.keyword, line=request.number)  # checks the syntax
    return [request.rest], False


def _from(request):
    words = BLANKS.split(request.rest)
    if not (len(words) == 1 or (len(words) == 3 and words[1].lower() == "as")):
        raise _Invalid("FROM requires either one or three arguments")
    if len(words) == 3 and not _STAGE_NAME.fullmatch(words[2].lower()):
        raise _Invalid("invalid name for build stage: %r, name can't start with a number or contain symbols" % words[2])
    return [request.rest], False


def _healthcheck(request):
    kind, command = (request.rest.split(None, 1) + [""])[:2]
    kind = kind.upper()
    if kind == "NONE":
        if command or request.flags:
            raise _Invalid("HEALTHCHECK NONE takes no arguments")
        return ["NONE"], False
    if kind != "CMD":
        raise _Invalid("Unknown type %r in HEALTHCHECK (try CMD)" % kind)
    args, json_form = _maybe_json(command) if command else ([], True)
    if not args:
        raise _Invalid("Missing command after HEALTHCHECK CMD")
    for name in ("interval", "timeout", "start-period", "start-interval"):
        value = request.flags.get(name, "")
        duration = parse_duration(value) if value else 10 ** 6
        if duration is None or duration < 10 ** 6:
            raise _Invalid("HEALTHCHECK --%s=%s: not a duration of at least 1ms" % (name, value))
    retries = request.flags.get("retries", "")
    if retries and not (re.fullmatch(r"[+-]?[0-9]{1,10}", retries) and 1 <= int(retries) < 2 ** 31):
        raise _Invalid("HEALTHCHECK --retries must be at least 1 (not %s)" % retries)
    return (["CMD"] + args if json_form else ["CMD-SHELL", command]), json_form


def _onbuild(request):
    trigger = BLANKS.split(request.rest, 1)[0].upper()
    if trigger == "ONBUILD":
        raise DockerfileSyntaxError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", line=request.number)
    if trigger in ("FROM", "MAINTAINER"):
        raise DockerfileSyntaxError("%s isn't allowed as an ONBUILD trigger" % trigger, line=request.number)
    return from_line(request.number, request.rest, request.escape)


_HANDLERS = {
    "ADD": _copy, "ARG": _pairs, "CMD": _command, "COPY": _copy, "ENTRYPOINT": _command, "ENV": _pairs,
    "EXPOSE": _text, "FROM": _from, "HEALTHCHECK": _healthcheck, "LABEL": _pairs, "MAINTAINER": _text,
    "ONBUILD": _onbuild, "RUN": _command, "SHELL": _shell, "STOPSIGNAL": _text, "USER": _text, "VOLUME": _volume,
    "WORKDIR": _text,
}
