# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""community.docker's ``comparisons``: per option ``strict`` (equal or changed), ``ignore``
(never a change) or ``allow_more_present`` (a list or dict may hold more than asked, such as a
label or a mount someone else added); ``'*'`` sets the default for the options not named."""

from __future__ import annotations

import json

from .._errors import InvalidSpec

MODES = ("strict", "ignore", "allow_more_present")


def check(comparisons, known):
    """The user's comparisons, refused when an option or a mode is unknown."""
    comparisons = comparisons or {}
    if not isinstance(comparisons, dict):
        raise InvalidSpec("comparisons must map option names to strict, ignore or allow_more_present")
    for key, mode in comparisons.items():
        if key not in known and key not in ("*", "image"):
            raise InvalidSpec("comparisons: unknown option %r" % (key,))
        if mode not in MODES:
            raise InvalidSpec("comparisons: %s must be strict, ignore or allow_more_present, not %r" % (key, mode))
        if key == "*" and mode == "allow_more_present":
            raise InvalidSpec("comparisons: '*' may be strict or ignore only")
    return comparisons


def _contains(have, want):
    """Whether ``have`` holds everything of ``want`` (dict keys with equal values, list items)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and have[k] == v for k, v in want.items())
    if isinstance(want, list):
        held = set(json.dumps(item, sort_keys=True) for item in have or [])
        return all(json.dumps(item, sort_keys=True) in held for item in want)
    return have == want


def apply(changes, comparisons):
    """``changes`` ({option: (have, want)}) less those the comparisons accept."""
    default = (comparisons or {}).get("*", "strict")
    kept = {}
    for key, (have, want) in changes.items():
        mode = (comparisons or {}).get(key, default)
        if mode == "ignore":
            continue
        if mode == "allow_more_present" and isinstance(want, (dict, list)) and _contains(have, want):
            continue
        kept[key] = (have, want)
    return kept
