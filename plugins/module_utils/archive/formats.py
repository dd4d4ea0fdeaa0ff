# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which kind of image archive a path is, from what it contains (not from its name)."""

from __future__ import annotations

import os

from .._errors import InvalidSpec
from .source import TarSource

DOCKER_ARCHIVE = "docker-archive"
OCI_ARCHIVE = "oci-archive"
OCI_DIR = "oci-dir"


def detect(path):
    """"docker-archive", "oci-archive" or "oci-dir". Docker 25+ writes a tar that is both a
    docker-archive and an OCI layout: it is a docker-archive here, since only manifest.json
    has the full image names."""
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "oci-layout")):
            return OCI_DIR
        raise InvalidSpec("%s is a directory without an oci-layout file: not an OCI layout" % path, path=path)
    if not os.path.isfile(path):
        raise InvalidSpec("image archive %s does not exist or is not a file" % path, path=path)
    names = TarSource(path).names
    if "manifest.json" in names:
        return DOCKER_ARCHIVE
    if "oci-layout" in names:
        return OCI_ARCHIVE
    raise InvalidSpec("archive %s has neither manifest.json nor oci-layout: not an image archive" % path, path=path)
