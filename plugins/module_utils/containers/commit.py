# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker commit``: a container's writable layer becomes one more layer on top of its
image's, with the config it runs with and the ``changes`` asked for.

The overlay upper dir is turned back into an OCI layer: whiteout devices become ``.wh.``
entries and opaque directories ``.wh..wh..opq``. A running container is frozen while its
files are read, as Docker does by default.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os

from .._errors import InvalidSpec
from ..build import parser
from ..build.state import BuildState, apply_metadata
from ..fs.atomic import atomic_write
from ..images import writer as image_writer
from ..layer import diff as _diff
from ..oci import timestamps
from ..oci import digest as _digest
from ..oci import reference

# What ``--change`` may say, as Docker allows it.
CHANGES = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME", "WORKDIR", "STOPSIGNAL",
           "HEALTHCHECK", "SHELL")


def commit(images, containers, container, name, *, author=None, message=None, changes=(), pause=True):
    """``docker commit CONTAINER NAME``; ``changed`` is false when ``name`` already is an
    image with the same layers and config (times aside)."""
    store, check_mode = images.store, images.check_mode
    record = containers.records.find(container)
    tag = reference.parse(name).tagged_name
    layers = [{k: layer[k] for k in ("diff_id", "chain_id", "size")}
              for layer in store.images.get(record["image_id"])["layers"]]
    config = new_config(store, record, author, message, changes)
    with store.work_dir("commit-") as work:
        tar_path = os.path.join(work, "layer.tar")
        with frozen(containers, record, pause and not check_mode):
            written = _diff.tar_directory(containers.records.path(record["id"], "upper"), tar_path, overlay=True)
        parent = layers[-1]["chain_id"] if layers else None
        layers.append({"diff_id": written.diff_id, "chain_id": _digest.chain_id(parent, written.diff_id),
                       "size": written.size})
        config["rootfs"] = {"type": "layers", "diff_ids": [layer["diff_id"] for layer in layers]}
        current = store.load_refs()["tags"].get(tag)
        if same_image(store, current, config, layers):
            return images.result(False, [], current)
        actions = ["Committed container %s as %s" % (record["name"], name)]
        if check_mode:
            return {"changed": True, "actions": actions, "image": {}}
        layers[-1] = image_writer.layer_from_tar(store, tar_path, written.diff_id, parent)
        image_id = image_writer.record_image(store, config, layers, [tag])
    return images.result(True, actions, image_id)


def new_config(store, record, author=None, message=None, changes=(), created=None):
    """The committed image's config, before its new layer is known."""
    base = json.loads(store.blobs.get(record["image_id"]))
    state = BuildState(copy.deepcopy(base))
    _apply_options(state, record.get("options") or {})
    for text in changes or ():
        instruction = parse_change(text)
        apply_metadata(state, instruction, state.env(), "\\")
    if author:
        state.config["author"] = author
    created = created or timestamps.now()
    state.config.setdefault("history", []).append(
        {"created": created, "created_by": " ".join(_argv(state, record)), "comment": message or "",
         "author": author or ""})
    state.config["created"] = created
    return state.config


def _apply_options(state, options):
    inner = state.inner
    for key, value in (options.get("env") or {}).items():
        state.set_env(key, value)
    if options.get("entrypoint") is not None:
        inner["Entrypoint"] = list(options["entrypoint"])
        inner.pop("Cmd", None)
    if options.get("command") is not None:
        inner["Cmd"] = list(options["command"])
    for option, key in (("user", "User"), ("working_dir", "WorkingDir"), ("stop_signal", "StopSignal")):
        if options.get(option):
            inner[key] = options[option]
    if options.get("labels"):
        inner["Labels"] = dict(inner.get("Labels") or {}, **options["labels"])


def _argv(state, record):
    options = record.get("options") or {}
    argv = (options.get("entrypoint") or state.inner.get("Entrypoint") or []) + \
        (options.get("command") or state.inner.get("Cmd") or [])
    return argv or ["/bin/sh"]


def parse_change(text):
    if not isinstance(text, str) or not text.strip():
        raise InvalidSpec("a change must be a Dockerfile instruction such as 'CMD [\"/app\"]', not %r" % (text,))
    instruction = parser.from_line(1, text)
    if instruction.keyword not in CHANGES:
        raise InvalidSpec("%s is not allowed as a commit change (allowed: %s)" % (instruction.keyword, ", ".join(CHANGES)))
    return instruction


PAUSED_BY = "paused-by-commit"


@contextlib.contextmanager
def frozen(containers, record, pause):
    """The container paused while its upper dir is read, if it runs and ``pause`` is set.
    A marker names the pausing process, so that a commit killed mid-way is undone by the next."""
    marker = containers.records.path(record["id"], PAUSED_BY)
    thaw_if_orphaned(containers, record)
    if pause and containers.status(record) == "running":
        atomic_write(marker, str(os.getpid()).encode())
        containers.pause(record)
        try:
            yield
        finally:
            containers.resume(record)
            os.unlink(marker)
    else:
        yield


def thaw_if_orphaned(containers, record):
    """Resume a container that a commit paused and then died without resuming."""
    marker = containers.records.path(record["id"], PAUSED_BY)
    try:
        with open(marker) as handle:
            pid = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return
    if pid and os.path.exists("/proc/%d" % pid):
        return  # that commit is still running
    if containers.status(record) == "paused":
        containers.resume(record)
    os.unlink(marker)


def same_image(store, image_id, config, layers):
    """An existing image equal to what a commit would make, but for the times it was made."""
    if not image_id or not store.images.exists(image_id):
        return False
    record = store.images.get(image_id)
    if [layer["diff_id"] for layer in record["layers"]] != [layer["diff_id"] for layer in layers]:
        return False
    return _timeless(json.loads(store.blobs.get(image_id))) == _timeless(config)


def _timeless(config):
    config = copy.deepcopy(config)
    config.pop("created", None)
    for entry in config.get("history") or []:
        entry.pop("created", None)
    return config
