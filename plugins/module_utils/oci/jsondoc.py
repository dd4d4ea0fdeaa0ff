# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON from untrusted sources (registries, archives, Dockerfiles), parsed with limits.

``json.loads`` recurses once per nesting level: a document nested 100,000 deep ends in a
RecursionError, and one just under the interpreter's limit breaks whatever walks it later.
Nesting is therefore counted before parsing, by a scan that skips strings; real manifests,
indexes, configs and token answers are under 10 levels deep.
"""

from __future__ import annotations

import json
import re

from .._errors import InvalidSpec

MAX_DEPTH = 100
# A JSON string (escapes included) or one bracket; everything else is skipped by finditer.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def nesting_depth(text):
    """The deepest nesting of the str ``text``; any input is accepted, invalid JSON too."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char != '"':  # a closing bracket; strings do not count
            depth -= 1
    return deepest


def loads(data, what, limit=None, max_depth=MAX_DEPTH, **kwargs):
    """Bytes or str -> the JSON value, or InvalidSpec naming ``what`` when it is too large, too
    deep or not JSON. ``kwargs`` go to ``json.loads``."""
    if limit is not None and len(data) > limit:
        raise InvalidSpec("%s is %d bytes, over the limit of %d" % (what, len(data), limit))
    try:
        # Scan what json.loads reads: UTF-16 or -32 bytes would hide brackets from a bytes scan.
        text = data if isinstance(data, str) else data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise InvalidSpec("%s is not valid JSON: %s" % (what, exc)) from exc
    if text.count("[") + text.count("{") > max_depth:  # else it cannot be too deep: no scan
        depth = nesting_depth(text)
        if depth > max_depth:
            raise InvalidSpec("%s is nested %d levels deep, over the limit of %d: refusing to parse it"
                              % (what, depth, max_depth), depth=depth)
    try:
        return json.loads(text, **kwargs)
    except RecursionError as exc:  # a backstop; the scan above makes it unreachable
        raise InvalidSpec("%s is nested too deeply to parse" % what) from exc
    except ValueError as exc:
        raise InvalidSpec("%s is not valid JSON: %s" % (what, exc)) from exc
