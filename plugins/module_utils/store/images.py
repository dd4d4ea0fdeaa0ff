# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image records, ``images/<id>.json``: what an image is made of, written after its data."""

from __future__ import annotations

import os

from ..fs.atomic import atomic_write_json, read_json
from ..oci import digest as _digest


class ImageStore:
    """Each record: id, config_digest, manifest_digest, manifest_media_type, layers
    ([{digest, media_type, size, diff_id, chain_id}]), repo_digests, added."""

    def __init__(self, directory):
        self.directory = directory

    def _path(self, image_id):
        return os.path.join(self.directory, _digest.hex_of(image_id) + ".json")

    def get(self, image_id):
        return read_json(self._path(image_id))

    def exists(self, image_id):
        return os.path.exists(self._path(image_id))

    def put(self, record):
        atomic_write_json(self._path(record["id"]), record)

    def delete(self, image_id):
        try:
            os.unlink(self._path(image_id))
        except FileNotFoundError:
            pass

    def all(self):
        out = []
        for name in sorted(os.listdir(self.directory)):
            if name.endswith(".json") and not name.startswith("."):
                record = read_json(os.path.join(self.directory, name))
                if record:
                    out.append(record)
        return out
