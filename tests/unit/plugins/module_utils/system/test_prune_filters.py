# -*- coding: utf-8 -*-
"""The prune filters as Docker reads them: ``until`` (a duration, an RFC 3339 time with its
offset, a day, seconds) against an image's ``created``, and ``label``/``label!=``."""

from __future__ import annotations

import calendar
import time

import pytest

from ansible_collections.strata.containers.plugins.module_utils.system import prune
from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec

TEN_UTC = calendar.timegm((2026, 11, 25, 10, 0, 0))


@pytest.mark.parametrize("text", ["2026-11-25T10:00:00Z", "2026-11-25T10:00:00", "2026-11-25T12:00:00+02:00",
                                  "2026-11-25T05:30:00-04:30", "2026-11-25T10:00:00.000000001Z", str(TEN_UTC)])
def test_until_is_one_instant_whatever_its_offset(text):
    assert prune.parse_filters({"until": text})["until"] == TEN_UTC


def test_until_as_a_day_or_a_duration():
    assert prune.parse_filters({"until": "2026-11-25"})["until"] == calendar.timegm((2026, 11, 25, 0, 0, 0))
    assert abs(prune.parse_filters({"until": "2h"})["until"] - (time.time() - 7200)) < 5


def test_until_bad_text_is_refused():
    with pytest.raises(InvalidSpec, match="until must be"):
        prune.parse_filters({"until": "yesterday"})


def test_created_with_an_offset_is_compared_as_an_instant():
    until = prune.parse_filters({"until": "2026-11-25T10:00:00Z"})
    # 11:30 at +02:00 is 09:30 UTC: before the cut, so selected; 10:30 UTC is after it
    assert prune.selected(until, "2026-11-25T11:30:00+02:00", {})
    assert not prune.selected(until, "2026-11-25T10:30:00Z", {})
    assert prune.selected(until, "not a time", {})  # unreadable: counts as old, as before


def test_label_filters():
    rules = prune.parse_filters({"label": ["keep", "!tier=db"]})
    assert prune.selected(rules, None, {"keep": "", "tier": "web"})
    assert not prune.selected(rules, None, {"keep": "", "tier": "db"})
    assert not prune.selected(rules, None, {"tier": "web"})
