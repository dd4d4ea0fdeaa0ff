# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image_archive module's logic: save, load, export and import, each idempotent and
truthful in check mode (``archives.py`` does the work)."""

from __future__ import annotations

import json

from . import compressed
from . import transfer as archives
from .. import _linux
from .._errors import InvalidSpec
from ..build.state import BuildState, apply_metadata
from ..containers import commit
from ..containers.lifecycle import Containers
from ..images import writer as image_writer, names as image_names
from ..oci import timestamps
from ..oci import reference

ACTIONS = ("save", "load", "export", "import")


class ArchiveService:
    def __init__(self, images):
        self.images = images
        self.store = images.store

    def save(self, names, path, fmt="docker-archive"):
        """``docker save -o PATH NAME...``; names by tag keep their tag in the archive."""
        if fmt not in archives.FORMATS:
            raise InvalidSpec("format must be one of %s, not %r" % (", ".join(archives.FORMATS), fmt))
        if not names:
            raise InvalidSpec("save needs at least one image name")
        refs = self.store.load_refs()
        wanted = {}
        for name in names:
            match = image_names.find(self.store, refs, name)
            wanted.setdefault(match.image_id, [])
            if match.kind == "tag":
                wanted[match.image_id].append(match.ref)
        images = archives.save_images(self.store, list(wanted.items()), fmt)
        changed = archives.write_file(path, lambda out: archives.FORMATS[fmt].write(out, images), self.images.check_mode)
        return {"changed": changed, "actions": ["Saved %s to %s" % (", ".join(names), path)] if changed else [],
                "images": list(wanted)}

    def load(self, path):
        """``docker load -i PATH``: every image in it, with its tags. The archive may be
        compressed as a whole (gzip, zstd, xz, bzip2), as ``docker load`` takes it."""
        return self.load_listing(path)[0]

    def load_listing(self, path):
        """:meth:`load`'s result and the archive's images (ArchiveImage, for their names)."""
        with compressed.plain_archive(path, self._work_dir(), self.store.layers.limits) as plain:
            kind, images = archives.read_archive(plain)
            return self._load(kind, images), images

    def _work_dir(self):
        """Where a compressed archive is decompressed: the store's temporary space (same
        filesystem, swept after a crash), or the system's (None) in check mode, which writes
        nothing in the store."""
        return None if self.images.check_mode or not self.store.exists else lambda: self.store.work_dir("load-")

    def _load(self, kind, images):
        plan = []
        refs = self.store.load_refs() if self.store.exists else {"tags": {}, "digests": {}}
        for image in images:
            image_id = image.config_digest
            tags = [reference.parse(tag).tagged_name for tag in image.repo_tags]
            have = self.store.exists and self.store.images.exists(image_id)
            if not have or any(refs["tags"].get(tag) != image_id for tag in tags):
                plan.append((image, tags))
        actions = ["Loaded image %s" % (", ".join(tags) or image.config_digest) for image, tags in plan]
        if self.images.check_mode or not plan:
            return {"changed": bool(plan), "actions": actions, "format": kind,
                    "images": [image.config_digest for image in images]}
        made = []
        try:
            for image, tags in plan:
                image_id = archives.store_image(self.store, image, made)
                self._tag(image_id, tags)
        except BaseException:
            self.images.discard_unrecorded(made)
            raise
        return {"changed": True, "actions": actions, "format": kind, "images": [image.config_digest for image in images]}

    def _tag(self, image_id, tags):
        with self.store.locks.store():
            refs = self.store.load_refs()
            for tag in tags:
                refs["tags"][tag] = image_id
            self.store.refs.save(refs)

    def export(self, container, path):
        """``docker export -o PATH CONTAINER``."""
        containers = Containers(self.store)
        record = containers.records.find(container)
        rootfs = containers.records.path(record["id"], "rootfs")
        if self.images.check_mode and not _linux.is_mountpoint(rootfs):
            # A real export mounts the overlay and leaves it; check mode looks without mounting.
            chains = [layer["chain_id"] for layer in self.store.images.get(record["image_id"])["layers"]]
            changed = archives.export_would_change(self.store, chains, containers.records.path(record["id"], "upper"),
                                                   rootfs, path)
        else:
            containers.ensure_mounted(record)
            changed = archives.export_container(path, rootfs, self.images.check_mode)
        return {"changed": changed, "actions": ["Exported %s to %s" % (record["name"], path)] if changed else []}

    def import_tarball(self, path, name, changes=(), message=None):
        """``docker import PATH NAME``: one layer, a config from ``changes``; changed is false when
        ``name`` already is this tarball with this config."""
        tag = reference.parse(name).tagged_name
        if self.images.check_mode:
            # Hash the tarball without writing it anywhere: the store may not even exist yet.
            diff_id = archives.diff_id_of(path, limits=self.store.layers.limits)
            config = self._import_config(path, changes, message, diff_id)
            current = self.store.load_refs()["tags"].get(tag)
            if commit.same_image(self.store, current, config, [{"diff_id": diff_id}]):
                return {"changed": False, "actions": [], "image": self.images.inspect_image(current)}
            return {"changed": True, "actions": ["Imported %s as %s" % (path, name)], "image": {}}
        with self.store.work_dir("import-") as work:
            plain, diff_id = archives.tar_to_layer(self.store, path, work)
            config = self._import_config(path, changes, message, diff_id)
            layer = {"diff_id": diff_id, "chain_id": diff_id, "size": 0}
            current = self.store.load_refs()["tags"].get(tag)
            if commit.same_image(self.store, current, config, [layer]):
                return {"changed": False, "actions": [], "image": self.images.inspect_image(current)}
            actions = ["Imported %s as %s" % (path, name)]
            layer = image_writer.layer_from_tar(self.store, plain, diff_id, None)
            image_id = image_writer.record_image(self.store, config, [layer], [tag])
        return {"changed": True, "actions": actions, "image": self.images.inspect_image(image_id)}

    @staticmethod
    def _import_config(path, changes, message, diff_id):
        state = BuildState()
        for text in changes or ():
            apply_metadata(state, commit.parse_change(text), state.env(), "\\")
        created = timestamps.now()
        state.config["history"] = [{"created": created, "created_by": "Imported from %s" % path,
                                    "comment": message or ""}]
        state.config["created"] = created
        state.config["rootfs"] = {"type": "layers", "diff_ids": [diff_id]}
        return json.loads(json.dumps(state.config))
