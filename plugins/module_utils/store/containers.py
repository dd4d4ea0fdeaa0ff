# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container records: ``containers/<id>/`` holds container.json (what the user asked for),
config.json (the OCI bundle), state.json (written by the monitor), log.json, and the
overlay directories upper/, work/ and rootfs/ (the mount point)."""

from __future__ import annotations

import os
import re

from .._errors import ContainerNotFound, InvalidSpec
from ..fs.atomic import atomic_write_json, read_json

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")


def check_name(name):
    """Docker's container name rule."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidSpec("invalid container name %r: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed" % (name,))
    return name


class ContainerStore:
    def __init__(self, directory):
        self.directory = directory

    def path(self, container_id, *parts):
        return os.path.join(self.directory, container_id, *parts)

    def get(self, container_id):
        return read_json(self.path(container_id, "container.json"))

    def put(self, record):
        atomic_write_json(self.path(record["id"], "container.json"), record)

    def state(self, container_id):
        return read_json(self.path(container_id, "state.json"), default={}) or {}

    def all(self):
        if not os.path.isdir(self.directory):
            return []
        records = (self.get(name) for name in sorted(os.listdir(self.directory)) if not name.startswith("."))
        return [r for r in records if r]

    def find(self, name_or_id):
        """By name, full ID or unique ID prefix, as ``docker inspect`` finds containers."""
        records = self.all()
        for record in records:
            if record["name"] == name_or_id or record["id"] == name_or_id:
                return record
        matches = [r for r in records if name_or_id and r["id"].startswith(name_or_id)]
        if len(matches) == 1:
            return matches[0]
        raise ContainerNotFound("No such container: %s" % name_or_id, name=name_or_id)

    def users_of_image(self, image_id):
        return [r for r in self.all() if r.get("image_id") == image_id]
