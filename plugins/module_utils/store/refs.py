# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names of images, in one file replaced atomically: ``refs.json``.

``tags``: ``domain/path:tag`` -> image ID. ``digests``: ``domain/path@sha256:…`` -> image ID,
for images pulled by digest (a digest pin keeps an image from being dangling, as in Podman).
Change it only under the store lock.
"""

from __future__ import annotations

from ..fs.atomic import atomic_write_json, read_json


class Refs:
    def __init__(self, path):
        self.path = path

    def load(self):
        data = read_json(self.path, default={}) or {}
        return {"tags": dict(data.get("tags", {})), "digests": dict(data.get("digests", {}))}

    def save(self, data):
        atomic_write_json(self.path, {"tags": data["tags"], "digests": data["digests"]})

    @staticmethod
    def names_of(data, image_id):
        """(tags, digest refs) that point at ``image_id``, sorted."""
        tags = sorted(n for n, i in data["tags"].items() if i == image_id)
        digests = sorted(n for n, i in data["digests"].items() if i == image_id)
        return tags, digests
