# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker container prune``, ``docker image prune [-a]``, ``docker builder prune`` and what
nothing references any more (layers, blobs), in one pass.

Nothing a container, a name or a running operation needs is removed: images of existing
containers stay, names are only dropped with ``all``, and a layer in use (a pull or a build
holds its use lock) is left for the next prune. The space reported is what the removed
files took on disk, each inode counted once, as ``du`` counts it.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import time

from .._errors import InvalidSpec
from ..build.cache import BuildCache
from ..containers.lifecycle import Containers
from ..fs.atomic import read_json
from ..oci import digest as _digest
from ..oci import timestamps

_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(s|m|h)$")
_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_filters(filters):
    """{"until": [..], "label": [..]} from the module's dict; ``label`` takes ``key``,
    ``key=value``, and ``!key`` / ``!key=value`` for Docker's ``label!=``."""
    out = {"until": None, "label": []}
    for key, value in (filters or {}).items():
        values = value if isinstance(value, list) else [value]
        if key == "until":
            out["until"] = min(_timestamp(str(v)) for v in values)
        elif key == "label":
            out["label"] = [str(v) for v in values]
        else:
            raise InvalidSpec("unknown prune filter %r (known: until, label)" % key)
    return out


def _timestamp(text):
    """A duration before now (``24h``), a time (RFC 3339, its offset honoured; without one, UTC),
    a day (``2026-11-25``) or seconds since 1970."""
    match = _DURATION.match(text)
    if match:
        return time.time() - float(match.group(1)) * _UNITS[match.group(2)]
    if re.match(r"^[0-9]+(\.[0-9]+)?$", text):
        return float(text)
    if timestamps.is_time(text):
        return timestamps.parse_time(text).timestamp()
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%d"))
    except ValueError:
        raise InvalidSpec("until must be a duration such as 24h or a time such as 2026-11-25T10:00:00Z, not %r"
                          % text) from None


def _created(text):
    return timestamps.parse_time(text).timestamp()  # an unreadable time counts as very old


def selected(filters, created, labels):
    if filters["until"] is not None and _created(created) >= filters["until"]:
        return False
    for rule in filters["label"]:
        negate, rule = rule.startswith("!"), rule.lstrip("!")
        key, has_value, value = rule.partition("=")
        hit = key in labels and (not has_value or labels[key] == value)
        if hit == negate:
            return False
    return True


class Pruner:
    def __init__(self, images):
        self.images = images
        self.store = images.store
        self.seen = set()
        self.reclaimed = 0

    def prune(self, all_images=False, containers=False, build_cache=False, filters=None, volumes=False):
        self.seen, self.reclaimed = set(), 0  # each prune reports its own space
        filters = parse_filters(filters)
        result = {"containers": [], "images": [], "layers": [], "blobs": [], "build_cache": 0, "volumes": []}
        if not self.store.exists:
            return dict(result, changed=False, actions=[], space_reclaimed=0)
        if containers:
            result["containers"] = self._containers(filters)
        with self.store.locks.store():
            going = set(result["containers"]) if self.images.check_mode else set()
            result["images"] = self._images(all_images, filters, going)
            if build_cache:
                result["build_cache"] = self._build_cache()
            result["layers"], result["blobs"] = self._unreferenced(result["images"], build_cache)
        if volumes:
            result["volumes"] = self._volumes(filters, set(result["containers"]))
        actions = (["Deleted container: %s" % n for n in result["containers"]] +
                   ["Deleted volume: %s" % n for n in result["volumes"]] +
                   ["Deleted image: %s" % i for i in result["images"]] +
                   ["Deleted layer: %s" % c for c in result["layers"]] +
                   (["Deleted %d build cache entries" % result["build_cache"]] if result["build_cache"] else []))
        changed = bool(actions or result["blobs"])
        return dict(result, changed=changed, actions=actions, space_reclaimed=self.reclaimed)

    def _containers(self, filters):
        service = Containers(self.store)
        removed = []
        for record in service.records.all():
            if service.status(record) not in ("exited", "created"):
                continue
            if not selected(filters, record.get("created"), record.get("labels") or {}):
                continue
            removed.append(record["name"])
            self._measure(service.records.path(record["id"]), skip=("rootfs",))  # its mount point: not ours
            if not self.images.check_mode:
                service.remove(record)
        return removed

    def prune_volumes(self, filters=None):
        """``docker volume prune`` alone."""
        self.seen, self.reclaimed = set(), 0
        removed = self._volumes(parse_filters(filters), set()) if self.store.exists else []
        return {"volumes": removed, "changed": bool(removed), "actions": ["Deleted volume: %s" % n for n in removed],
                "space_reclaimed": self.reclaimed}

    def _volumes(self, filters, going_containers):
        """``docker volume prune``: volumes no container uses (in check mode, the containers this
        prune would remove count as gone)."""
        from ..volumes.service import VolumeService  # pylint: disable=import-outside-toplevel
        service = VolumeService(self.store, check_mode=self.images.check_mode)
        candidates = service.prune(lambda r: selected(filters, r.get("created"), r.get("labels") or {}),
                                   ignoring=going_containers if self.images.check_mode else ())
        removed = []
        for name in candidates:
            usage = self._usage_of(service.records.path(name), skip=("_data",) if service.mounted(name) else ())
            if self.images.check_mode or service.delete_unused(name):
                self.reclaimed += usage
                removed.append(name)
        return removed

    # ------------------------------------------------------------------ images
    def _images(self, all_images, filters, going_containers):
        refs = self.store.load_refs()
        named = set(refs["tags"].values()) | set(refs["digests"].values())
        users = {r["image_id"] for r in Containers(self.store).records.all() if r["name"] not in going_containers}
        doomed = []
        for record in self.store.image_records():
            image_id = record["id"]
            if image_id in users or (image_id in named and not all_images):
                continue
            config = json.loads(self.store.blobs.get(image_id))
            if not selected(filters, config.get("created") or record.get("added"),
                            (config.get("config") or {}).get("Labels") or {}):
                continue
            doomed.append(image_id)
        if doomed and not self.images.check_mode:
            for kind in ("tags", "digests"):
                refs[kind] = {n: i for n, i in refs[kind].items() if i not in doomed}
            self.store.refs.save(refs)
        for image_id in doomed:
            self._measure(os.path.join(self.store.root, "images", _digest.hex_of(image_id) + ".json"))
            if not self.images.check_mode:
                self.store.images.delete(image_id)
        return doomed

    def _build_cache(self):
        cache = BuildCache(self.store)
        entries = cache.entries()
        for key in entries:
            path = os.path.join(cache.directory, key + ".json")
            self._measure(path)
            if not self.images.check_mode:
                os.unlink(path)
        return len(entries)

    # ------------------------------------------------------------------ layers and blobs
    def _unreferenced(self, doomed_images, build_cache_gone):
        keep_layers, keep_blobs = set(), set()
        for record in self.store.image_records():
            if record["id"] in doomed_images:
                continue
            keep_layers.update(layer["chain_id"] for layer in record["layers"])
            keep_blobs.update(b for b in (record.get("config_digest"), record.get("manifest_digest"),
                                          record.get("index_digest")) if b)
        if not build_cache_gone:
            keep_layers.update(_cached_layers(self.store))
        layers = [c for c in self.store.layers.all() if c not in keep_layers]
        removed = []
        for chain_id in sorted(layers, key=lambda c: -_depth(self.store, c)):  # children before parents
            link = (read_json(os.path.join(self.store.layers.path(chain_id), "meta.json")) or {}).get("link")
            # the short link too: its long target takes a block of its own on ext4
            usage = self._usage_of(self.store.layers.path(chain_id)) + (
                self._usage_of(os.path.join(self.store.root, "l", link)) if link else 0)
            if self.images.check_mode or self.store.layers.remove(chain_id):
                self.reclaimed += usage
                removed.append(chain_id)
        blobs = [b for b in self.store.blobs.all() if b not in keep_blobs]
        for blob in blobs:
            self._measure(self.store.blobs.path(blob))
            if not self.images.check_mode:
                self.store.blobs.delete(blob)
        return removed, blobs

    # ------------------------------------------------------------------ measuring
    def _measure(self, path, skip=()):
        self.reclaimed += self._usage_of(path, skip)

    def _usage_of(self, path, skip=()):
        """Bytes allocated to ``path`` (a file or a tree), each inode once, as ``du -x`` counts:
        the directories named in ``skip`` (mount points) are left out."""
        if not os.path.lexists(path):
            return 0
        total = self._once(path)
        if os.path.isdir(path) and not os.path.islink(path):
            for top, dirs, files in os.walk(path):
                if top == path:
                    dirs[:] = [d for d in dirs if d not in skip]
                for name in dirs + files:
                    total += self._once(os.path.join(top, name))
        return total

    def _once(self, path):
        info = os.lstat(path)
        key = (info.st_dev, info.st_ino)
        if key in self.seen:
            return 0
        self.seen.add(key)
        return info.st_blocks * 512


def _cached_layers(store):
    cache = BuildCache(store)
    layers = set()
    for key in cache.entries():
        entry = read_json(os.path.join(cache.directory, key + ".json")) or {}
        if entry.get("layer"):
            layers.add(entry["layer"]["chain_id"])
    return layers


def _depth(store, chain_id):
    depth, seen = 0, set()
    while chain_id and chain_id not in seen:
        seen.add(chain_id)
        chain_id = (read_json(os.path.join(store.layers.path(chain_id), "meta.json")) or {}).get("parent")
        depth += 1
    return depth
