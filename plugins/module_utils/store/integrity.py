# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Re-verify the store: every image's config and layers, every layer's content against its
diff_id (rebuilt from its tar-split record), the names, the short links, the containers'
images. ``repair`` fixes what can be fixed without data (links, names of missing images,
work directories of dead processes); the rest is reported for a person to act on."""

from __future__ import annotations

import os

from . import tempdirs
from .._errors import EngineError
from ..fs.atomic import read_json
from ..layer import tarsplit
from ..oci import digest as _digest


def check(store, repair=False, deep=True):
    """A list of problems, each ``{"kind", "what", "detail", "repaired"}``; empty when all is well."""
    problems = []

    def problem(kind, what, detail, repaired=False):
        problems.append({"kind": kind, "what": what, "detail": detail, "repaired": repaired})

    if not store.exists:
        return problems
    if repair:
        tempdirs.sweep(store.tmp)
    for name in os.listdir(store.tmp):
        if name.startswith("."):
            continue
        problem("leftover", os.path.join(store.tmp, name), "a work directory (of a running operation, or of a "
                "dead one the next call sweeps)")
    layers = set(store.layers.all())
    for chain_id in sorted(layers):
        _check_layer(store, chain_id, deep, repair, problem)
    for record in store.image_records():
        _check_image(store, record, layers, problem)
    _check_refs(store, repair, problem)
    _check_links(store, repair, problem)
    _check_containers(store, problem)
    return problems


def _check_layer(store, chain_id, deep, repair, problem):
    path = store.layers.path(chain_id)
    meta = read_json(os.path.join(path, "meta.json"))
    if not meta:
        problem("layer", chain_id, "meta.json is missing or unreadable")
        return
    if meta.get("chain_id") != chain_id:
        problem("layer", chain_id, "meta.json names another layer (%s)" % meta.get("chain_id"))
    if not os.path.isdir(store.layers.diff_path(chain_id)):
        problem("layer", chain_id, "its files (diff/) are missing")
        return
    if not deep:
        return
    try:
        if not tarsplit.is_reproducible(store.layers.split_path(chain_id)):
            return  # nothing to compare with: its tar was not recorded byte for byte
        sink = _digest.HashingWriter()
        tarsplit.reassemble(store.layers.split_path(chain_id), store.layers.diff_path(chain_id), sink)
    except (EngineError, OSError) as exc:
        problem("layer", chain_id, "its content cannot be read back: %s" % exc)
        return
    actual = sink.digest()
    if actual != meta.get("diff_id"):
        problem("layer", chain_id, "its content changed: diff_id %s, expected %s" % (actual, meta.get("diff_id")))


def _check_image(store, record, layers, problem):
    image_id = record.get("id")
    for blob in (record.get("config_digest"), record.get("manifest_digest"), record.get("index_digest")):
        if not blob:
            continue
        try:
            store.blobs.get(blob)
        except EngineError as exc:
            problem("image", image_id, str(exc))
    chains = [layer["chain_id"] for layer in record.get("layers", [])]
    if chains != _digest.chain_ids([layer["diff_id"] for layer in record.get("layers", [])]):
        problem("image", image_id, "its layers' chain IDs do not follow from their diff_ids")
    for chain in chains:
        if chain not in layers:
            problem("image", image_id, "layer %s is missing" % chain)


def _check_refs(store, repair, problem):
    refs = store.load_refs()
    broken = [(kind, name) for kind in ("tags", "digests") for name, image_id in refs[kind].items()
              if not store.images.exists(image_id)]
    for kind, name in broken:
        problem("name", name, "points to an image that is not in the store", repaired=repair)
        if repair:
            refs[kind].pop(name)
    if repair and broken:
        with store.locks.store():
            store.refs.save(refs)


def _check_links(store, repair, problem):
    links = os.path.join(store.root, "l")
    for name in sorted(os.listdir(links)):
        path = os.path.join(links, name)
        if not os.path.exists(path):
            problem("link", path, "points to a layer that is gone", repaired=repair)
            if repair:
                os.unlink(path)
    for chain_id in store.layers.all():
        meta = read_json(os.path.join(store.layers.path(chain_id), "meta.json")) or {}
        if meta.get("link") and not os.path.islink(os.path.join(links, meta["link"])):
            problem("link", chain_id, "its short link is missing", repaired=repair)
            if repair:
                store.layers.ensure_link(chain_id)


def _check_containers(store, problem):
    directory = os.path.join(store.root, "containers")
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        record = read_json(os.path.join(directory, name, "container.json"))
        if record is None:
            problem("container", name, "container.json is missing (a create that died; remove the directory)")
        elif not store.images.exists(record.get("image_id", "")):
            problem("container", record.get("name", name), "its image %s is missing" % record.get("image_id"))
