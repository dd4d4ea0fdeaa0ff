# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which containers of the store use which volumes: named ones through their ``mounts``, and
the anonymous ones made for their image's ``VOLUME`` paths. A container uses its volumes
whatever its state (Docker refuses to remove a volume of a stopped container too)."""

from __future__ import annotations

import os

from ..store.containers import ContainerStore


def volumes_of(record):
    """The names of the volumes a container record uses."""
    names = [m["source"] for m in (record.get("options") or {}).get("mounts") or [] if m.get("type") == "volume"]
    names += [v["name"] for v in record.get("anonymous_volumes") or []]
    return names


def users(root, ignoring=()):
    """{volume name: [container names]} for every volume some container of the store (but those
    named in ``ignoring``) uses."""
    found = {}
    for record in ContainerStore(os.path.join(root, "containers")).all():
        if record["name"] in ignoring:
            continue
        for name in volumes_of(record):
            found.setdefault(name, []).append(record["name"])
    return found
