# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker run --init``: a minimal init as the container's PID 1, which forwards signals to the
command and reaps the zombies it leaves (a shell or a server rarely does).

Docker's own is tini (``docker-init``), so this is tini too: the statically linked build of
Debian's ``tini`` package (``tini-static``), which runs in any image, even one without a libc.
Podman's catatonit is taken when tini is not installed. The binary is bind-mounted read-only
from the host, as Docker and Podman do, so images need nothing of their own.
"""

from __future__ import annotations

import os

from .._errors import InvalidSpec

# Where Docker puts it in the container, so scripts that look for it find it.
TARGET = "/sbin/docker-init"
# Statically linked builds only: a dynamically linked one would need the image's libc.
CANDIDATES = ("/usr/bin/tini-static", "/usr/local/bin/tini-static", "/usr/bin/docker-init",
              "/usr/libexec/podman/catatonit", "/usr/libexec/catatonit/catatonit", "/usr/bin/catatonit")


def find(candidates=CANDIDATES):
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise InvalidSpec("init needs a static init on the host: install Debian's tini package (tini-static) or "
                      "catatonit; looked for %s" % ", ".join(candidates))


def apply(spec, binary=None):
    """The init's bind mount and its place in front of the command (``init -- command``)."""
    binary = binary or find()
    spec["mounts"].append({"destination": TARGET, "type": "bind", "source": binary,
                           "options": ["rbind", "ro", "nosuid", "nodev"]})
    spec["process"]["args"] = [TARGET, "--"] + list(spec["process"]["args"])
