# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the ``strata`` command prints things, as the Docker CLI does: tables aligned by Go's
tabwriter with Docker's settings, ``--format`` templates (``table`` prefix, ``\\t``), sizes
("7.8MB"), durations ("2 hours ago") and quoting."""

from __future__ import annotations

import calendar
import time

from ..oci.timestamps import parse_time
from .template import Template

# Docker: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
MIN_WIDTH = 10
PADDING = 3
_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def human_size(size, precision=3):
    """go-units HumanSizeWithPrecision: decimal units, ``%.<precision>g``."""
    size = float(size or 0)
    unit = 0
    while size >= 1000.0 and unit < len(_DECIMAL) - 1:
        size /= 1000.0
        unit += 1
    return "%.*g%s" % (precision, size, _DECIMAL[unit])


def human_duration(seconds):
    """go-units HumanDuration."""
    if seconds < 1:
        return "Less than a second"
    if int(seconds) == 1:
        return "1 second"
    if seconds < 60:
        return "%d seconds" % int(seconds)
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return "%d minutes" % minutes
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return "%d hours" % hours
    if hours < 24 * 7 * 2:
        return "%d days" % (hours // 24)
    if hours < 24 * 30 * 2:
        return "%d weeks" % (hours // 24 // 7)
    if hours < 24 * 365 * 2:
        return "%d months" % (hours // 24 // 30)
    return "%d years" % (int(seconds / 3600) // 24 // 365)


def timestamp(text):
    """Seconds since 1970 of an RFC 3339 time, or None when there is none."""
    if not text:
        return None
    moment = parse_time(text)
    if moment.year <= 1:
        return None
    return calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1e6


def ago(text, now=None):
    """``2 hours ago``, or ``N/A`` for no time (Docker's CreatedSince)."""
    when = timestamp(text)
    if when is None or when <= 0:
        return "N/A"
    return human_duration((now or time.time()) - when) + " ago"


def local_time(text):
    """Go's time.String() in local time: ``2024-01-02 15:04:05 +0100 CET``."""
    when = timestamp(text)
    if when is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(when))


def ellipsis(text, width):
    """Docker's Ellipsis: cut to ``width`` characters, the last one an ellipsis."""
    if len(text) <= width:
        return text
    return text[:width - 1] + "\u2026"


def go_quote(text):
    """strconv.Quote: double quotes, backslash escapes for quotes, backslashes and controls."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7f:
            out.append("\\x%02x" % ord(char))
        else:
            out.append(char)
    return '"%s"' % "".join(out)


def short_id(image_id, no_trunc=False):
    """``sha256:abc...`` -> ``abc...`` cut to 12 (Docker's TruncateID), or whole with no_trunc."""
    if no_trunc:
        return image_id
    return image_id.split(":", 1)[-1][:12]


def tabwrite(text, min_width=MIN_WIDTH, padding=PADDING):
    """Go's text/tabwriter (AlignLeft, padchar ' '): each column block as wide as its widest
    cell plus ``padding``, at least ``min_width``; the text after the last tab is not padded."""
    trailing = text.endswith("\n")
    lines = [line.split("\t") for line in (text[:-1] if trailing else text).split("\n")]
    out = []

    def write(first, last, widths):
        for cells in lines[first:last]:
            parts = [cell.ljust(widths[j]) if j < len(widths) else cell for j, cell in enumerate(cells)]
            out.append("".join(parts))

    def block(first, last, widths):
        column = len(widths)
        this = first
        while this < last:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write(first, this, widths)
            first = this
            width = min_width
            while this < last and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            block(first, this, widths + [width])
            first = this
        write(first, last, widths)

    block(0, len(lines), [])
    return "\n".join(out) + ("\n" if trailing else "")


def render(fmt, rows, headers, default=None):
    """Docker's formatter: ``fmt`` (else ``default``) a Go template; ``table`` prefixed for a
    tabwriter table with a header row (``headers`` maps each field to its column title; a bare
    ``table`` is the ``default`` table); ``json`` for a JSON object per row. Returns the text."""
    fmt = (fmt or default or "").strip()
    if fmt == "json":
        fmt = "{{json .}}"
    table = fmt.startswith("table")
    if table:
        fmt = fmt[len("table"):].strip() or (default or "")[len("table"):].strip()
    fmt = fmt.replace("\\t", "\t").replace("\\n", "\n")
    template = Template(fmt)
    body = "".join(template.execute(row) + "\n" for row in rows)
    if not table:
        return body
    header = template.execute(headers, header=True) + "\n"
    return tabwrite(header + body)
