# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker build``: a Dockerfile and its context into an image of the store, idempotently."""

from __future__ import annotations

from ..oci import reference


class BuildService:
    """Builds over the images of one store (base images are pulled through ``images``)."""

    def __init__(self, images):
        self.images = images
        self.store = images.store

    def build(self, name, path, *, dockerfile=None, build_args=None, target=None, labels=None, nocache=False,
              pull="missing", runtime=None, network="default"):
        """``docker build -t NAME PATH``: every step through the build cache; ``changed`` is
        false when the result is the image ``name`` already points at. ``network`` is RUN's
        (``default``: a namespace of its own with loopback only; ``host``; ``none``)."""
        from .builder import Builder, WouldBuild  # pylint: disable=import-outside-toplevel
        tag = reference.parse(name).tagged_name
        before = self.store.load_refs()["tags"].get(tag) if self.store.exists else None
        check_mode = self.images.check_mode
        builder = Builder(self.images, runtime, dry_run=check_mode, network=network)
        try:
            image_id, dummy = builder.build(path, dockerfile, [tag], build_args, target, labels, nocache, pull)
        except WouldBuild:
            return {"changed": True, "actions": ["Built image %s" % name], "steps": builder.counts()}
        changed = image_id != before
        result = self.images.result(changed, ["Built image %s" % name] if changed else [], image_id, check=check_mode)
        result["steps"] = builder.counts()
        return result
