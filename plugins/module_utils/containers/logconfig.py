# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``log_driver`` and ``log_options`` as Docker takes them, checked, and the settings the
monitor's log driver (runtime/logdrivers.py) reads from the container's record."""

from __future__ import annotations

import re

from .._errors import InvalidSpec
from ..runtime import logdrivers

DRIVERS = ("json-file", "journald", "none")
# Docker's names; the ones Docker has but strata does not (labels, env...) are refused by name.
OPTIONS = {"json-file": ("max-size", "max-file", "compress"), "journald": ("tag",), "none": ()}
_HUMAN_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?) ?([kmgtp]?)i?b?$", re.IGNORECASE)
_DECIMAL = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9, "t": 10 ** 12, "p": 10 ** 15}
_TAG_FIELDS = ("ID", "FullID", "Name", "ImageName", "ImageID", "ImageFullID", "DaemonName")
_TAG_TEMPLATE = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


def driver(value):
    if value not in DRIVERS:
        raise InvalidSpec("log_driver %r is not one of %s" % (value, ", ".join(DRIVERS)))
    return value


def options(value):
    """A dict of option names to strings, as Docker stores them (``max-file: 3`` -> ``"3"``)."""
    if not isinstance(value, dict):
        raise InvalidSpec("log_options must be a dict such as {max-size: 10m, max-file: 3}, not %r" % (value,))
    out = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)) or item is None:
            raise InvalidSpec("log option %s must be a string, not %r" % (key, item))
        out[str(key)] = str(item).lower() if isinstance(item, bool) else str(item)
    return out


def check(wanted):
    """Every log option known to the driver, each value valid (the driver defaults to json-file)."""
    name = wanted.get("log_driver", "json-file")
    for key in wanted.get("log_options") or {}:
        if key not in OPTIONS[name]:
            known = ", ".join(OPTIONS[name]) or "none"
            raise InvalidSpec("unknown log opt '%s' for %s log driver (known: %s)" % (key, name, known))
    settings(wanted, {"id": "0" * 64, "name": "check"})  # the values, before anything is made


def settings(wanted, record):
    """The record's ``log_config``: the driver and its numbers, defaults filled in."""
    name = wanted.get("log_driver", "json-file")
    given = wanted.get("log_options") or {}
    config = {"driver": name, "tag": _tag(given.get("tag"), record) if "tag" in given else None}
    if name != "json-file":
        return config
    max_size = _size(given["max-size"]) if "max-size" in given else None
    max_file = _count(given["max-file"]) if "max-file" in given else None
    if max_size is None:  # strata's bound rather than Docker's none (logdrivers.DEFAULT_MAX_SIZE)
        max_size = logdrivers.DEFAULT_MAX_SIZE
        max_file = max_file or logdrivers.DEFAULT_MAX_FILE
    compress = _bool(given.get("compress", "false"))
    max_file = max_file or 1  # Docker's default once max-size is set
    if compress and max_file < 2:
        raise InvalidSpec("log opt compress needs max-file of 2 or more (only rotated files are compressed)")
    config.update(max_size=max_size, max_file=max_file, compress=compress)
    return config


def _size(text):
    """Docker's max-size (go-units FromHumanSize): 10k, 10m, 1.5g, decimal units."""
    match = _HUMAN_SIZE.match(text.strip())
    if not match:
        raise InvalidSpec("log opt max-size must be a size such as 10m or 512k, not %r" % (text,))
    size = int(float(match.group(1)) * _DECIMAL[match.group(2).lower()])
    if size < 1024:
        raise InvalidSpec("log opt max-size must be at least 1k (a log line alone takes more), not %r" % (text,))
    return size


def _count(text):
    if not re.match(r"^[0-9]+$", text.strip()) or int(text) < 1:
        raise InvalidSpec("log opt max-file must be a whole number, 1 or more, not %r" % (text,))
    return int(text)


def _bool(text):
    if text.lower() in ("1", "t", "true"):
        return True
    if text.lower() in ("0", "f", "false"):
        return False
    raise InvalidSpec("log opt compress must be true or false, not %r" % (text,))


def _tag(template, record):
    """Docker's tag templates, such as ``{{.Name}}/{{.ID}}``, for the journal's CONTAINER_TAG."""
    image_id = (record.get("image_id") or "").split(":")[-1]
    values = {"ID": record["id"][:12], "FullID": record["id"], "Name": record.get("name", ""),
              "ImageName": record.get("image") or "", "ImageID": image_id[:12], "ImageFullID": image_id,
              "DaemonName": "strata"}

    def field(match):
        if match.group(1) not in _TAG_FIELDS:
            raise InvalidSpec("log opt tag: unknown field {{.%s}} (known: %s)"
                              % (match.group(1), ", ".join(_TAG_FIELDS)))
        return values[match.group(1)]
    tag = _TAG_TEMPLATE.sub(field, template)
    if "{{" in tag or "\n" in tag:
        raise InvalidSpec("log opt tag %r: only {{.Field}} templates, on one line" % (template,))
    return tag
