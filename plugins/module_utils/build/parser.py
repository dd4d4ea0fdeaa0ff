# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Dockerfile as BuildKit's ``frontend/dockerfile/parser`` does.

Parser directives first, then lines joined at the escape character, comments dropped, each
instruction checked (``instructions.from_line``) and the whole grouped into stages. Nothing is
expanded; heredocs (``RUN <<EOF``) are refused.
"""

from __future__ import annotations

import re

from .._errors import DockerfileSyntaxError
from .instructions import Dockerfile, Stage, from_line, parse_duration
from .words import BLANKS, DEFAULT_ESCAPE, split_key_values, split_words, unquote

# The word helpers are re-exported: the builder splits expanded text with them.
__all__ = ("MAX_BYTES", "MAX_INSTRUCTIONS", "parse", "parse_duration", "split_key_values", "split_words", "unquote")

MAX_BYTES = 1024 * 1024
MAX_INSTRUCTIONS = 10000

# Go's \s is ASCII: [\t\n\f\r ].
_DIRECTIVE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")
_DIRECTIVES = ("escape", "syntax", "check")


def parse(text):
    """Parse a Dockerfile (str, or UTF-8 bytes) into a :class:`Dockerfile`."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise DockerfileSyntaxError("the Dockerfile is larger than 1 MiB")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DockerfileSyntaxError("the Dockerfile is not valid UTF-8: %s" % exc) from None
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise DockerfileSyntaxError("the Dockerfile is larger than 1 MiB")
    directives = _Directives()
    instructions = []
    for number, line in _logical_lines(_split_lines(text), directives):
        if len(instructions) == MAX_INSTRUCTIONS:
            raise DockerfileSyntaxError("the Dockerfile has more than %d instructions" % MAX_INSTRUCTIONS, line=number)
        instructions.append(from_line(number, line, directives.escape))
    if not instructions:
        raise DockerfileSyntaxError("file with no instructions")
    return _group(instructions, directives.found)


class _Directives:
    """The parser directives: comments like ``# escape=``` before any other line."""

    def __init__(self):
        self.found = {}
        self.done = False
        self.escape = DEFAULT_ESCAPE
        self.continuation = _continuation(DEFAULT_ESCAPE)

    def see(self, text, number):
        if self.done:
            return
        match = _DIRECTIVE.fullmatch(text)
        key = match.group(1).lower() if match else None
        if key not in _DIRECTIVES:
            self.done = True
            return
        if key in self.found:
            raise DockerfileSyntaxError("only one %s parser directive can be used" % key, line=number)
        value = match.group(2)
        if key == "escape":
            if value not in ("`", "\\"):
                raise DockerfileSyntaxError("invalid escape token %r does not match ` or \\" % value, line=number)
            self.escape, self.continuation = value, _continuation(value)
        self.found[key] = value


def _continuation(escape):
    # As BuildKit: an escape at the end of the line (blanks may follow), unless it is itself escaped.
    return re.compile(r"([^{0}]){0}[ \t]*\Z|^{0}[ \t]*\Z".format(re.escape(escape)))


def _split_lines(text):
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return [line.rstrip("\r") for line in lines]


def _trim_continuation(text, regex):
    match = regex.search(text)
    if match:
        return text[:match.start()] + (match.group(1) or ""), True
    return text, False


def _logical_lines(lines, directives):
    """Yield ``(first line number, text)`` per instruction: continuations joined, comments dropped."""
    number = 0
    while number < len(lines):
        text = lines[number].lstrip()
        number += 1
        start = number
        directives.see(text, number)
        if text.startswith("#"):
            continue
        text, more = _trim_continuation(text, directives.continuation)
        while more and number < len(lines):
            part = lines[number]
            number += 1
            # Comments and empty lines inside a continuation are skipped; they do not end it.
            if part.lstrip().startswith("#") or not part.strip():
                continue
            part, more = _trim_continuation(part, directives.continuation)
            text += part
        if text.strip():
            yield start, text


def _group(instructions, directives):
    """Cut the instructions into stages at each FROM; only ARGs may come before the first."""
    meta, stages, names = [], [], {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stage = _stage(instruction, len(stages))
            if stage.name in names:
                raise DockerfileSyntaxError("duplicate stage name %r (first on line %d)" % (stage.name, names[stage.name]), line=stage.line)
            if stage.name:
                names[stage.name] = stage.line
            stages.append(stage)
        elif stages:
            stages[-1].instructions.append(instruction)
        elif instruction.keyword == "ARG":
            meta.append(instruction)
        else:
            raise DockerfileSyntaxError("%s before the first FROM: only ARG may come first" % instruction.keyword, line=instruction.line)
    if not stages:
        raise DockerfileSyntaxError("the Dockerfile has no FROM instruction", line=instructions[-1].line)
    return Dockerfile(dict(directives), meta, stages)


def _stage(instruction, index):
    words = BLANKS.split(instruction.args[0])
    name = words[2].lower() if len(words) == 3 else None
    return Stage(name, index, words[0], instruction.flag("platform"), [], instruction.line)
