# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guarded imports of the target host's libraries: a missing one fails only when used,
with a message that names what to install."""

from __future__ import annotations

import traceback

from ._errors import MissingDependency

try:
    import requests
    REQUESTS_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the host
    requests = None
    REQUESTS_ERROR = (exc, traceback.format_exc())

try:
    import zstandard
    ZSTANDARD_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the host
    zstandard = None
    ZSTANDARD_ERROR = (exc, traceback.format_exc())


def need_requests():
    if requests is None:
        raise MissingDependency("requests", "to talk to registries", exception=_trace(REQUESTS_ERROR))
    return requests


def need_zstandard():
    if zstandard is None:
        raise MissingDependency("zstandard", "to read zstd-compressed layers", exception=_trace(ZSTANDARD_ERROR))
    return zstandard


def _trace(error):
    return error[1] if error else None
