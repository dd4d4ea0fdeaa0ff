# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Splitting instruction text into words, ``key=value`` pairs and ``--flags``, as BuildKit does.

Quotes and escapes are either kept as written (the parser's view: each word is expanded later, as
BuildKit expands ENV values one by one) or removed without expanding anything (for text the
builder has already expanded).
"""

from __future__ import annotations

import re

from .._errors import DockerfileSyntaxError

DEFAULT_ESCAPE = "\\"
BLANKS = re.compile(r"[\t\v\f\r ]+")


class _Invalid(Exception):
    pass


def split_words(text, escape=DEFAULT_ESCAPE, keep_quotes=False, line=None):
    """Split at unquoted blanks. ``keep_quotes`` keeps quotes and escapes; else they are removed."""
    try:
        words = _words(text, escape)
        return words if keep_quotes else [_unquote(word, escape) for word in words]
    except _Invalid as exc:
        raise DockerfileSyntaxError(str(exc), line=line) from None


def split_key_values(text, escape=DEFAULT_ESCAPE, keep_quotes=False, keyword="ENV", line=None):
    """``[(key, value)]`` of ``k=v k2="v 2"``, or of the legacy ``k v w`` (ENV, LABEL).

    With ``keyword="ARG"`` there is no legacy form and a bare name has the value None.
    ``keep_quotes`` as in :func:`split_words`.
    """
    try:
        pairs = _key_values(text, escape, keyword)
        if keep_quotes:
            return pairs
        return [(_unquote(key, escape), None if value is None else _unquote(value, escape)) for key, value in pairs]
    except _Invalid as exc:
        raise DockerfileSyntaxError(str(exc), line=line) from None


def unquote(word, escape=DEFAULT_ESCAPE, line=None):
    """The shell lexer's quote and escape removal, without the expansion."""
    try:
        return _unquote(word, escape)
    except _Invalid as exc:
        raise DockerfileSyntaxError(str(exc), line=line) from None


def extract_flags(text):
    """Split the leading ``--name[=value]`` words (quotes and backslashes removed) off ``text``:
    ``(rest, words)``. A bare ``--`` ends the flags."""
    words, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if not text.startswith("--", pos):
            return text[pos:], words
        out, quote = [], None
        while pos < len(text) and (quote or not text[pos].isspace()):
            char, pos = text[pos], pos + 1
            if char == quote:
                quote = None
            elif quote is None and char in "'\"":
                quote = char
            elif char == "\\":
                # BuildKit's flag reader always escapes with a backslash, whatever the escape directive.
                out.append(text[pos:pos + 1])
                pos += 1
            else:
                out.append(char)
        if out == ["-", "-"]:
            return text[pos:], words
        words.append("".join(out))


def _words(text, escape):
    """BuildKit's parseWords: split at unquoted blanks, keeping quotes and escapes."""
    words, word, quote, quoted, pos = [], [], None, False, 0
    while pos < len(text):
        char, pos = text[pos], pos + 1
        if quote is None and char.isspace():
            if word or quoted:
                words.append("".join(word))
            word, quoted = [], False
            continue
        if char == escape and quote != "'":
            if pos == len(text):
                quote = None  # an escape at the very end is dropped
                continue
            word.append(char)
            char, pos = text[pos], pos + 1
        elif quote is None and char in "'\"":
            quote, quoted = char, True
        elif char == quote:
            quote = None
        word.append(char)
    if word or quoted:
        words.append("".join(word))
    return words


def _unquote(word, escape):
    out, pos = [], 0
    while pos < len(word):
        char, pos = word[pos], pos + 1
        if char == "'":
            end = word.find("'", pos)
            if end < 0:
                raise _Invalid("unexpected end of statement while looking for matching single-quote")
            out.append(word[pos:end])
            pos = end + 1
        elif char == '"':
            while True:
                if pos == len(word):
                    raise _Invalid("unexpected end of statement while looking for matching double-quote")
                char, pos = word[pos], pos + 1
                if char == '"':
                    break
                # Inside double quotes the escape only escapes ", $ and itself.
                if char == escape and pos < len(word) and word[pos] in ('"', "$", escape):
                    char, pos = word[pos], pos + 1
                out.append(char)
        elif char == escape:
            out.append(word[pos:pos + 1])
            pos += 1
        else:
            out.append(char)
    return "".join(out)


def _key_values(text, escape, keyword):
    words = _words(text, escape)
    if not words:
        raise _Invalid("%s requires at least one argument" % keyword)
    if keyword != "ARG" and "=" not in words[0]:
        # The legacy form, "ENV name the value": one pair, the value is the rest of the line.
        parts = BLANKS.split(text.strip(), 1)
        if len(parts) < 2:
            raise _Invalid("%s must have two arguments" % keyword)
        pairs = [(parts[0], parts[1])]
    else:
        pairs = []
        for word in words:
            # Split at the first "=" even if quoted, as BuildKit does: LABEL "a=b"=c is an error.
            key, has_value, value = word.partition("=")
            if not has_value and keyword != "ARG":
                raise _Invalid("Syntax error - can't find = in %r. Must be of the form: name=value" % word)
            pairs.append((key, value if has_value else None))
    if not all(key for key, dummy in pairs):
        raise _Invalid("%s names can not be blank" % keyword)
    return pairs
