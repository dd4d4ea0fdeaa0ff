# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Compose file checked against the Compose Specification's JSON schema (``compose_schema``)
with ``jsonschema``, before anything is started. An error names the path of the bad value,
``services.web.ports[0]``, as docker compose does."""

from __future__ import annotations

import functools
import json
import re

from .. import _deps
from .._errors import InvalidSpec
from . import compose_schema

MAX_REPORTED = 5


@functools.lru_cache(maxsize=1)
def _validator():
    jsonschema = _deps.need_jsonschema()
    # draft 7: what every jsonschema from 3.2 (Debian 11) on knows; the file's $refs are local
    return jsonschema.Draft7Validator(json.loads(compose_schema.SCHEMA_TEXT))


def path_text(parts):
    """["services", "web", "ports", 0] -> services.web.ports[0]"""
    out = ""
    for part in parts:
        out += "[%d]" % part if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def _coerce(model):
    for dummy in range(1000):  # one conversion per round; a file has far fewer typed values
        errors = sorted(_validator().iter_errors(model), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            converted = _converted(error)
            if converted is not None:
                _set(model, list(error.absolute_path), converted[0])
                break
        else:
            return errors
    return errors


def _converted(error):
    """(the typed value,) for a "type" error on a string that reads as the wanted type."""
    if error.validator != "type" or not isinstance(error.instance, str):
        return None
    wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    text = error.instance.strip()
    if "integer" in wanted and re.match(r"^-?[0-9]+$", text):
        return (int(text),)
    if "number" in wanted and re.match(r"^-?[0-9]+(\.[0-9]+)?$", text):
        return (float(text) if "." in text else int(text),)
    if "boolean" in wanted and text.lower() in ("true", "false"):
        return (text.lower() == "true",)
    return None


def _set(model, path, value):
    target = model
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _best(error):
    best = error
    # a oneOf/anyOf error is vague ("is not valid under any of the given schemas"): say what
    # the deepest alternative said when it points further in, or else the alternative that
    # found a key the specification does not have (a mapping where a string would also do)
    while best.context:
        deeper = max(best.context, key=lambda e: len(e.absolute_path))
        if len(deeper.absolute_path) <= len(best.absolute_path) and best.validator in ("oneOf", "anyOf"):
            unknown = [e for e in best.context if _unknown_keys(e)]
            if unknown:
                return unknown[0]
            break
        best = deeper
    return best


def _message(best):
    return "%s: %s" % (path_text(best.absolute_path), _unknown_keys(best) or best.message)


def _unknown_keys(error):
    """additionalProperties with patternProperties says "'imag' does not match any of the
    regexes: '^x-'"; say which keys are not the Compose Specification's."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    known = set(error.schema.get("properties") or ())
    patterns = [re.compile(p) for p in error.schema.get("patternProperties") or ()]
    extra = sorted(k for k in error.instance if k not in known and not any(p.search(k) for p in patterns))
    if not extra:
        return None
    names = ", ".join(repr(k) for k in extra)
    return "unknown key%s %s (not in the Compose Specification)" % ("s" if len(extra) > 1 else "", names)


def validate(model):
    """Raise InvalidSpec naming each bad path (up to MAX_REPORTED) when ``model`` is not a
    Compose file. Strings where the schema wants a number or a boolean (``replicas:
    ${REPLICAS}`` after interpolation) are converted first, as Compose does."""
    errors = _coerce(model)
    if not errors:
        return
    errors = [_best(e) for e in errors]
    messages = [_message(e) for e in errors[:MAX_REPORTED]]
    more = " (and %d more)" % (len(errors) - MAX_REPORTED) if len(errors) > MAX_REPORTED else ""
    raise InvalidSpec("the Compose file is not valid: %s%s" % ("; ".join(messages), more),
                      path=path_text(errors[0].absolute_path), errors=messages)
