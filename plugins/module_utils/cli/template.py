# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The subset of Go's text/template that ``docker ... --format`` is used with:
``{{.Field}}``, ``{{.A.B}}``, ``{{.}}``, string and number arguments, pipelines with ``|``,
and Docker's functions json, upper, lower, title, join, split, index, truncate, pad, len,
println. Values print as Go prints them (``[a b]``, ``map[k:v]``, ``true``)."""

from __future__ import annotations

import json
import re

_ACTION = re.compile(r"{{(-?)\s*(.*?)\s*(-?)}}", re.S)
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(\|)|([^\s|"]+))')


class TemplateError(ValueError):
    pass


def go_text(value):
    """fmt.Sprint of a value as a Go template prints it."""
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, (list, tuple)):
        return "[%s]" % " ".join(go_text(v) for v in value)
    if isinstance(value, dict):
        return "map[%s]" % " ".join("%s:%s" % (k, go_text(value[k])) for k in sorted(value))
    return str(value)


def _json(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _index(value, *keys):
    for key in keys:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError) as exc:
            if isinstance(value, dict):
                return None
            raise TemplateError("error calling index: cannot index %s with %r" % (go_text(value), key)) from exc
    return value


FUNCTIONS = {
    "json": _json,
    "upper": lambda s: go_text(s).upper(),
    "lower": lambda s: go_text(s).lower(),
    "title": lambda s: go_text(s).title(),
    "join": lambda items, sep: sep.join(go_text(i) for i in items or []),
    "split": lambda s, sep: go_text(s).split(sep),
    "index": _index,
    "truncate": lambda s, n: go_text(s)[:int(n)],
    "pad": lambda s, left, right: " " * int(left) + go_text(s) + " " * int(right),
    "len": lambda v: len(v or []),
    "println": lambda *args: " ".join(go_text(a) for a in args) + "\n",
}


def _tokens(text):
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise TemplateError("template parsing error: unexpected %r" % text[pos:])
        pos = match.end()
        if match.group(1):
            tokens.append(("string", json.loads(match.group(1))))
        elif match.group(2):
            tokens.append(("pipe", "|"))
        else:
            tokens.append(_word(match.group(3)))
    return tokens


def _word(word):
    if word.startswith("."):
        return ("field", [p for p in word.split(".") if p])
    if re.match(r"^-?[0-9]+$", word):
        return ("number", int(word))
    if word in FUNCTIONS:
        return ("function", word)
    raise TemplateError('template parsing error: function "%s" not defined' % word)


def _pipeline(text):
    commands, current = [], []
    for token in _tokens(text):
        if token[0] == "pipe":
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    if any(not command for command in commands):
        raise TemplateError("template parsing error: missing value in {{%s}}" % text)
    return commands


class Template:
    def __init__(self, text):
        self.nodes = []
        pos = 0
        for match in _ACTION.finditer(text):
            literal = text[pos:match.start()]
            if match.group(1):
                literal = literal.rstrip()
            self.nodes.append(("text", literal))
            self.nodes.append(("action", _pipeline(match.group(2))))
            pos = match.end()
            if match.group(3):
                while pos < len(text) and text[pos].isspace():
                    pos += 1
        if "{{" in text[pos:]:
            raise TemplateError("template parsing error: unclosed action")
        self.nodes.append(("text", text[pos:]))

    def execute(self, data, header=False):
        """The text for ``data`` (a dict); ``header`` makes every field give its column title."""
        out = []
        for kind, node in self.nodes:
            if kind == "text":
                out.append(node)
                continue
            value, first = None, True
            for command in node:
                args = [] if first else [value]
                value = self._command(command, data, header, args)
                first = False
            out.append(go_text(value) if not isinstance(value, str) else value)
        return "".join(out)

    def _command(self, command, data, header, piped):
        head = command[0]
        if head[0] != "function":
            if len(command) > 1 or piped:
                raise TemplateError("template parsing error: can't give arguments to a non-function")
            return self._value(head, data, header)
        args = [self._value(token, data, header) for token in command[1:]] + piped
        try:
            return FUNCTIONS[head[1]](*args)
        except TypeError as exc:
            raise TemplateError("error calling %s: %s" % (head[1], exc)) from exc

    @staticmethod
    def _value(token, data, header):
        kind, value = token
        if kind == "function":
            return FUNCTIONS[value]()
        if kind != "field":
            return value
        if header:
            return data.get(value[0], "") if value else ""
        for part in value:
            if not isinstance(data, dict):
                raise TemplateError("template: can't evaluate field %s in type %s" % (part, type(data).__name__))
            data = data.get(part)
        return data
