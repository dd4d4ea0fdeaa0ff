# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compose's variable interpolation, in every string value of the file (never in keys):
``$VAR``, ``${VAR}``, ``${VAR:-default}`` (unset or empty), ``${VAR-default}`` (unset),
``${VAR:?error}`` / ``${VAR?error}`` (refused, naming the variable), ``${VAR:+other}`` /
``${VAR+other}`` and ``$$`` for a literal ``$``. An unset variable with no default is "",
as Compose does (it warns; here the caller gets the names in ``missing``)."""

from __future__ import annotations

import re

from .._errors import InvalidSpec

_NAME = r"[_a-zA-Z][_a-zA-Z0-9]*"
_TOKEN = re.compile(r"\$(?:(\$)|(%s)|\{(%s)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\})|(\$)(?!\{)" % (_NAME, _NAME))
MAX_DEPTH = 32  # nesting of ${A:-${B:-...}}
# A YAML file's aliases share one value however often they are used ("billion laughs"); walked
# here they would be copied each time: a file of more values than this is refused instead.
MAX_VALUES = 200000
MAX_NESTING = 64


class Interpolator:
    def __init__(self, variables):
        self.variables = dict(variables or {})
        self.missing = set()
        self.values = 0

    def value(self, data, path="", nesting=0):
        """``data`` (dicts, lists, scalars) with every string interpolated; ``path`` names the
        place in errors (``services.web.environment.A``)."""
        self.values += 1
        if self.values > MAX_VALUES or nesting > MAX_NESTING:
            raise InvalidSpec("the Compose file has more than %d values or is nested more than %d deep (at %s)"
                              % (MAX_VALUES, MAX_NESTING, path or "the top"), path=path)
        if isinstance(data, dict):
            return {k: self.value(v, _join(path, k), nesting + 1) for k, v in data.items()}
        if isinstance(data, list):
            return [self.value(v, "%s[%d]" % (path, i), nesting + 1) for i, v in enumerate(data)]
        if isinstance(data, str):
            return self.text(data, path)
        return data

    def text(self, text, path="", depth=0):
        if depth > MAX_DEPTH:
            raise InvalidSpec("%s: variables nested more than %d deep" % (path or "value", MAX_DEPTH), path=path)
        out, pos = [], 0
        for match in _TOKEN.finditer(text):
            out.append(_plain(text[pos:match.start()], text, path))
            out.append(self._token(match, text, path, depth))
            pos = match.end()
        out.append(_plain(text[pos:], text, path))
        return "".join(out)

    def _token(self, match, text, path, depth):
        escaped, bare, name, operator, argument, lone = match.groups()
        if escaped:
            return "$"
        if lone is not None:  # a $ before no name ("costs $ 5"): itself, as Compose keeps it
            return "$"
        name = bare or name
        value = self.variables.get(name)
        if not operator:
            if value is None:
                self.missing.add(name)
            return "" if value is None else str(value)
        empty_counts = operator.startswith(":")  # ":-" treats "" as unset, "-" does not
        unset = value is None or (empty_counts and value == "")
        kind = operator[-1]
        if kind == "-":
            return self.text(argument, path, depth + 1) if unset else str(value)
        if kind == "+":
            return "" if unset else self.text(argument, path, depth + 1)
        if unset:  # "?"
            message = self.text(argument, path, depth + 1) or ("is not set" if value is None else "is empty")
            raise InvalidSpec("%s: required variable %s is missing a value: %s" % (path or "value", name, message),
                              path=path, variable=name)
        return str(value)


def _plain(segment, text, path):
    """Text between variables; a ``${`` left there is a variable that did not parse."""
    if "${" in segment:
        raise InvalidSpec("%s: bad variable syntax in %r (expected ${NAME}, ${NAME:-default}, "
                          "${NAME:?message}; $$ for a $)" % (path or "value", text), path=path)
    return segment


def _join(path, key):
    return "%s.%s" % (path, key) if path else str(key)


def interpolate(data, variables):
    """(interpolated data, names of unset variables that became "")."""
    interpolator = Interpolator(variables)
    return interpolator.value(data), sorted(interpolator.missing)
