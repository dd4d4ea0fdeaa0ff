# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``cap_add`` and ``cap_drop`` (``docker run --cap-add/--cap-drop``) over Docker's default set."""

from __future__ import annotations

from . import hardening
from .._errors import InvalidSpec

ALL = "ALL"


def canonical(name, what="capability"):
    """``net_admin``, ``NET_ADMIN`` or ``CAP_NET_ADMIN`` -> ``CAP_NET_ADMIN``; ``all`` -> ``ALL``."""
    if not isinstance(name, str) or not name:
        raise InvalidSpec("%s must be a capability name such as NET_ADMIN, not %r" % (what, name))
    upper = name.strip().upper()
    if upper == ALL:
        return ALL
    bare = upper[4:] if upper.startswith("CAP_") else upper
    if bare not in hardening.ALL_CAPABILITY_NAMES:
        raise InvalidSpec("unknown capability %r in %s: expected ALL or a name of capabilities(7) such as "
                          "NET_ADMIN or CAP_NET_ADMIN" % (name, what), capability=name)
    return "CAP_" + bare


def canonical_list(value, what):
    if not isinstance(value, (list, tuple)):
        raise InvalidSpec("%s must be a list of capability names, not %r" % (what, value))
    return sorted(set(canonical(v, what) for v in value))


def resolve(privileged, cap_add=(), cap_drop=()):
    """The process's capabilities: Docker's defaults (every one with cap_add ALL; all when
    privileged), less cap_drop, plus cap_add (a named add wins over a drop, as in Docker)."""
    caps = hardening.capabilities(privileged)
    if privileged or not (cap_add or cap_drop):
        return caps
    granted = hardening.all_capabilities() if ALL in cap_add else list(caps["bounding"])
    if ALL in cap_drop:
        granted = []
    granted = [c for c in granted if c not in cap_drop]
    for cap in cap_add:
        if cap != ALL and cap not in granted:
            granted.append(cap)
    return {"bounding": list(granted), "effective": list(granted), "permitted": list(granted), "inheritable": []}
