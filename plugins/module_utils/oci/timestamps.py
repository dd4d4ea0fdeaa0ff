# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Times as images and records write them: RFC 3339 in UTC (``2026-12-03T12:00:00Z``).

(``runtime/monitor.py`` keeps its own: it runs as a standalone script with no imports of ours.)
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now():
    """Now, to the second, as image configs, history entries and store records write it."""
    return time.strftime(FORMAT, time.gmtime())


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def is_time(text):
    """Whether ``text`` is an RFC 3339 time parse_time reads."""
    return bool(_RFC3339.match(text or ""))


def parse_time(text):
    """RFC 3339 with any number of fractional digits (Go writes nanoseconds) -> aware datetime."""
    m = _RFC3339.match(text or "")
    if not m:
        return datetime.min.replace(tzinfo=timezone.utc)
    frac = (m.group(2) or ".0")[1:7].ljust(6, "0")
    zone = m.group(3) or "Z"
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat("%s.%s%s" % (m.group(1), frac, zone))
