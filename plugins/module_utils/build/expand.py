# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Variable expansion in Dockerfile words, as BuildKit's shell lexer (``frontend/dockerfile/shell``).

``$var``, ``${var}``, ``${var:-word}``, ``${var-word}``, ``${var:+word}``, ``${var+word}``,
``${var:?msg}``, ``${var#pat}``, ``${var##pat}``, ``${var%pat}``, ``${var%%pat}``,
``${var/pat/repl}`` and ``${var//pat/repl}``. Single quotes stop expansion, double quotes do not, the
escape character makes the next character literal. Unset variables are empty. Nothing is run.
"""

from __future__ import annotations

import re

from .._errors import DockerfileSyntaxError
from .words import DEFAULT_ESCAPE, split_key_values

_SPECIAL = "@*#?-$!0"


class _Invalid(Exception):
    pass


def expand(text, env, escape=DEFAULT_ESCAPE, line=None, keep_quotes=True):
    """``text`` with its variables replaced from ``env`` (a mapping).

    ``keep_quotes`` keeps quotes and escapes in the output, written so that removing them later
    (``words.split_key_values``, ``words.split_words``) gives what ``keep_quotes=False`` gives now.
    """
    return _run(text, env, escape, line, keep_quotes)[0]


def expand_words(text, env, escape=DEFAULT_ESCAPE, line=None):
    """The words of ``text`` after expansion and quote removal: unquoted expansions are split at
    blanks, quoted ones are not (COPY's sources and destination, EXPOSE, VOLUME...)."""
    return _run(text, env, escape, line, False)[1]


def expand_key_values(text, env, escape=DEFAULT_ESCAPE, keyword="ENV", line=None):
    """ENV, LABEL or ARG pairs as BuildKit makes them: split the raw text first, then expand each
    key and value on its own (a value with blanks or quotes stays one value), all from ``env``."""
    pairs = split_key_values(text, escape, keep_quotes=True, keyword=keyword, line=line)
    return [(expand(key, env, escape, line, False), None if value is None else expand(value, env, escape, line, False))
            for key, value in pairs]


def _run(text, env, escape, line, keep_quotes):
    lexer = _Lexer(text, env, escape, keep_quotes)
    try:
        return lexer.until("", keep_quotes)
    except _Invalid as exc:
        raise DockerfileSyntaxError("failed to process %r: %s" % (text, exc), line=line) from None


class _Words:
    """Field splitting: unquoted blanks (also from expansions) separate words, quoted ones do not."""

    def __init__(self):
        self.words, self.word, self.started = [], "", False

    def add_char(self, char):
        if not char.isspace():
            self.add_raw(char)
        elif self.started and self.word:
            self.words.append(self.word)
            self.word, self.started = "", False

    def add_string(self, text):
        for char in text:
            self.add_char(char)

    def add_raw(self, text):
        self.word += text
        self.started = True

    def done(self):
        if self.word:
            self.words.append(self.word)
            self.word, self.started = "", False
        return self.words


class _Lexer:
    def __init__(self, text, env, escape, raw_quotes):
        self.text, self.pos, self.env, self.escape = text, 0, env, escape
        self.raw_quotes, self.raw_escapes = raw_quotes, raw_quotes

    def peek(self):
        return self.text[self.pos:self.pos + 1]

    def next(self):
        char = self.peek()
        self.pos += len(char)
        return char

    def until(self, stop, raw_escapes):
        """Process up to ``stop`` (consumed) or the end if ``stop`` is empty: ``(text, words)``."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._until(stop)
        finally:
            self.raw_escapes = saved

    def _until(self, stop):
        out, words = [], _Words()
        while self.peek():
            char = self.peek()
            if stop and char == stop:
                self.next()
                return "".join(out), words.done()
            if char in "$'\"":
                value = self.dollar() if char == "$" else self.single() if char == "'" else self.double()
                out.append(value)
                if char == "$":
                    words.add_string(value)
                else:
                    words.add_raw(value)
                continue
            char = self.next()
            if char == self.escape:
                if self.raw_escapes:
                    words.add_raw(char)
                    out.append(char)
                char = self.next()
                if not char:
                    break
                words.add_raw(char)
            else:
                words.add_char(char)
            out.append(char)
        if stop:
            raise _Invalid("unexpected end of statement while looking for matching %s" % stop)
        return "".join(out), words.done()

    def single(self):
        quote = self.next()
        end = self.text.find("'", self.pos)
        if end < 0:
            raise _Invalid("unexpected end of statement while looking for matching single-quote")
        value, self.pos = self.text[self.pos:end], end + 1
        return quote + value + quote if self.raw_quotes else value

    def double(self):
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while True:
            char = self.peek()
            if not char:
                raise _Invalid("unexpected end of statement while looking for matching double-quote")
            if char == '"':
                self.next()
                return "".join(out + [quote] if self.raw_quotes else out)
            if char == "$":
                out.append(self.dollar())
                continue
            char = self.next()
            if char == self.escape:
                if self.raw_escapes:
                    out.append(char)
                # Only ", $ and the escape itself can be escaped here; other escapes stay.
                if self.peek() in ('"', "$", self.escape):
                    char = self.next()
            out.append(char)

    def name(self):
        """A variable name; a run of digits or one special parameter also counts, as in sh."""
        start = self.pos
        char = self.peek()
        if char.isdigit():
            while self.peek().isdigit():
                self.next()
        elif char and char in _SPECIAL:
            self.next()
        else:
            while self.peek() and (self.peek().isalnum() or self.peek() == "_"):
                self.next()
        return self.text[start:self.pos]

    def dollar(self):
        self.next()
        if self.peek() != "{":
            name = self.name()
            return self.env.get(name, "") if name else "$"
        self.next()
        if not self.peek():
            raise _Invalid("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise _Invalid("syntax error: bad substitution")
        name = self.name()
        operator = self.next()
        if operator == "}":
            return self.env.get(name, "")
        if not operator:
            raise _Invalid("syntax error: missing '}'")
        if operator == "/":
            return self.replace(name)
        colon = operator == ":"
        if colon:
            operator = self.next()
        if not colon and operator not in ("+", "-", "?", "#", "%"):
            raise _Invalid("unsupported modifier (%s) in substitution" % operator)
        word = self.word("}", operator in ("#", "%"), "syntax error: missing '}'")
        return _modify(name, self.env.get(name), colon, operator, word)

    def word(self, stop, raw_escapes, missing):
        try:
            return self.until(stop, raw_escapes)[0]
        except _Invalid:
            if not self.peek():
                raise _Invalid(missing) from None
            raise

    def replace(self, name):
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        pattern = self.word("/", True, "syntax error: missing '/' in ${}")
        replacement = self.word("}", True, "syntax error: missing '}'")
        regex = _pattern(pattern, greedy=True)
        return regex.sub(lambda match: replacement, self.env.get(name, ""), count=0 if replace_all else 1)


def _modify(name, value, colon, operator, word):
    """``${name<operator>word}``, ``value`` None if unset; ``colon`` makes empty count as unset."""
    is_set, value = value is not None, value or ""
    empty = not is_set or (colon and value == "")
    if operator == "-":
        return word if empty else value
    if operator == "+":
        return "" if empty else word
    if operator == "?":
        if empty:
            raise _Invalid("%s: %s" % (name, word or ("is not allowed to be unset" if not is_set else "is not allowed to be empty")))
        return value
    if operator in ("#", "%"):
        greedy = word.startswith(operator)
        word = word[1:] if greedy else word
        if operator == "#":
            match = _pattern(word, greedy, anchored=True).match(value)
            return value[match.end():] if match else value
        # The shortest or longest suffix: match the reversed pattern at the start of the reversed value.
        match = _pattern(_reverse_pattern(word), greedy, anchored=True).match(value[::-1])
        return value[:len(value) - match.end()] if match else value
    raise _Invalid("unsupported modifier (%s%s) in substitution" % (":" if colon else "", operator))


def _pattern(pattern, greedy, anchored=False):
    """A shell pattern (``*``, ``?``, ``\\`` escapes; no brackets) as a regular expression."""
    out, pos = ["^"] if anchored else [], 0
    while pos < len(pattern):
        char, pos = pattern[pos], pos + 1
        if char == "*":
            out.append(".*" if greedy else ".*?")
        elif char == "?":
            out.append(".")
        elif char == "\\":
            if pattern[pos:pos + 1] in ("}", "/"):
                continue  # escaped only to get past ${...}
            char, pos = pattern[pos:pos + 1], pos + 1
            if char not in ("*", "?", "\\"):
                raise _Invalid("invalid pattern (%s) in substitution: invalid escape '\\%s'" % (pattern, char))
            out.append(re.escape(char))
        else:
            out.append(re.escape(char))
    return re.compile("".join(out))


def _reverse_pattern(pattern):
    """Reverse a pattern, keeping each escape before the character it escapes."""
    tokens, pos = [], 0
    while pos < len(pattern):
        size = 2 if pattern[pos] == "\\" and pos + 1 < len(pattern) else 1
        tokens.append(pattern[pos:pos + size])
        pos += size
    return "".join(reversed(tokens))
