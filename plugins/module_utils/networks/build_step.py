# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build's RUN step on the network ``default``, as ``docker build`` runs it on ``bridge``:
a namespace of its own wired by netavark to the default network (an address of it, outbound
NAT; no published port, no name), for the step only.

The wiring is an endpoint of the host state like a container's, so its address is never
handed out twice; it is marked with the building process, and reaped (torn down) by the
next network change once that process is gone (a build killed mid-step); a namespace made
but never recorded (killed mid-setup) is removed by the next change too.
"""

from __future__ import annotations

import contextlib
import secrets

from . import endpoints, host, netavark


def namespace_name():
    """A fresh step ID, also the name of its namespace (reaped by its prefix when orphaned)."""
    return host.build_namespace_prefix() + secrets.token_hex(8)


@contextlib.contextmanager
def wired(store_root, step_id):
    """The path of the step's wired network namespace (named after ``step_id``), removed after."""
    wanted = [{"name": "default", "aliases": [], "ipv4_address": None, "ipv6_address": None}]
    endpoints.connect(store_root, step_id, step_id, step_id, wanted, [], process=endpoints.process_identity())
    try:
        yield netavark.netns_path(step_id)
    finally:
        endpoints.disconnect(step_id)
