# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guarded imports of the target host's libraries: a missing one fails only when used,
with a message that names what to install.

Imported on first use, not at import time: requests and pyroute2 together cost about
0.15 s to import, which a container start or a local image query should not pay."""

from __future__ import annotations

import importlib
import traceback

from ._errors import MissingDependency

# name -> (module or None, traceback of the failed import or None)
_LOADED = {}


def _load(name, purpose):
    if name not in _LOADED:
        try:
            _LOADED[name] = (importlib.import_module(name), None)
        except ImportError:  # pragma: no cover - depends on the host
            _LOADED[name] = (None, traceback.format_exc())
    module, trace = _LOADED[name]
    if module is None:
        raise MissingDependency(name, purpose, exception=trace)
    return module


def need_requests():
    return _load("requests", "to talk to registries")


def need_zstandard():
    return _load("zstandard", "to read zstd-compressed layers")


def need_pyroute2():
    """pyroute2 (IPRoute, NetNS), its netns module and its NetlinkError, for the bridge network."""
    return (_load("pyroute2", "to set up container networks"),
            _load("pyroute2.netns", "to set up container networks"),
            _load("pyroute2.netlink.exceptions", "to set up container networks"))


def need_yaml():
    return _load("yaml", "to read Compose files (PyYAML)")


def need_jsonschema():
    return _load("jsonschema", "to check Compose files against the Compose Specification's schema")
