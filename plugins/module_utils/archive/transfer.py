# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images to and from tar files: save and load (docker-archive, OCI archive), export a
container's filesystem, import a tarball as a one-layer image.

Layer tars are rebuilt byte for byte from the store's tar-split records, so a saved image
has the diff_ids (and so the image ID) it had when it came in. Output files are written to a
temporary file beside the target and renamed; a file that already holds the same bytes is
left alone (``changed: false``). Loads verify every layer against its diff_id before any
image record or name is written.
"""

from __future__ import annotations

import json
import os
import threading

from . import docker_archive, formats, oci_archive
from .. import _linux
from .._errors import InvalidSpec, MountError
from ..images import writer as image_writer
from ..layer import apply as _apply
from ..layer import compression
from ..layer import diff as _diff
from ..layer import limits as _limits
from ..layer import tarsplit
from ..oci import digest as _digest
from ..oci import reference, spec
from ..oci.digest import CHUNK
from ..runtime import overlay as _overlay
from .model import SaveImage

FORMATS = {"docker-archive": docker_archive, "oci-archive": oci_archive}


# ---------------------------------------------------------------- save
def save_images(store, matches, fmt):
    """``matches``: [(image_id, [names])] -> [SaveImage]; layers are read when written."""
    images = []
    for image_id, names in matches:
        record = store.images.get(image_id)
        layers = [(layer["diff_id"], store.layers.size(layer["chain_id"]), _opener(store, layer["chain_id"]))
                  for layer in record["layers"]]
        tags = [reference.parse(name).familiar for name in names] if fmt == "docker-archive" else \
            [reference.parse(name).tagged_name for name in names]
        images.append(SaveImage(store.blobs.get(image_id), image_id, tags, layers))
    return images


def _opener(store, chain_id):
    def open_tar():
        return _Reassembled(store.layers.split_path(chain_id), store.layers.diff_path(chain_id))
    return open_tar


class _Reassembled:
    """The layer's original tar as a readable stream: tar-split replays it into a pipe."""

    def __init__(self, split_path, diff_path):
        read_fd, write_fd = os.pipe()
        self._reader = os.fdopen(read_fd, "rb")
        self._error = None
        self._thread = threading.Thread(target=self._replay, args=(split_path, diff_path, write_fd), daemon=True)
        self._thread.start()

    def _replay(self, split_path, diff_path, write_fd):
        try:
            with os.fdopen(write_fd, "wb") as out:
                tarsplit.reassemble(split_path, diff_path, out)
        except (OSError, ValueError, Exception) as exc:  # handed to the reader  # pylint: disable=broad-except
            self._error = exc

    def read(self, n=-1):
        data = self._reader.read(n)
        if not data and self._error is not None:
            raise self._error
        return data

    def close(self):
        self._reader.close()
        self._thread.join()
        if self._error is not None and not isinstance(self._error, BrokenPipeError):
            raise self._error

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def write_file(path, write, check_mode=False, work=None):
    """Write ``path`` through ``write(fileobj)`` unless it already holds the same bytes.
    Returns True if it changed (or, in check mode, would)."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        raise InvalidSpec("the directory of %s does not exist" % path, path=path)
    if check_mode:
        sink = _digest.HashingWriter()
        write(sink)
        return _digest_of_file(path) != sink.digest()
    tmp = os.path.join(directory, ".%s.tmp%d" % (os.path.basename(path), os.getpid()))
    # hashed only to compare with a file already there: a new file is written straight through
    existing = os.path.isfile(path)
    try:
        with open(tmp, "wb") as handle:
            sink = _digest.HashingWriter(handle) if existing else handle
            write(sink)
            handle.flush()
            os.fsync(handle.fileno())
        if existing and _digest_of_file(path) == sink.digest():
            os.unlink(tmp)
            return False
        os.rename(tmp, path)
        return True
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _digest_of_file(path):
    if not os.path.isfile(path):
        return None
    sink = _digest.HashingWriter()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            sink.write(chunk)
    return sink.digest()


# ---------------------------------------------------------------- load
def read_archive(path):
    """The images in the archive at ``path`` (docker-archive, OCI archive or OCI layout dir)."""
    if not os.path.exists(path):
        raise InvalidSpec("no archive at %s" % path, path=path)
    kind = formats.detect(path)
    return kind, (docker_archive if kind == "docker-archive" else oci_archive).read(path)


def store_image(store, image, made):
    """Put one ArchiveImage's layers and config into the store; returns its image ID.
    Every layer is checked against its diff_id before the image is recorded; the chain IDs
    this call extracted are appended to ``made`` (for the caller to take back on failure)."""
    config_id = _digest.of_bytes(image.config_bytes)
    config = spec.parse_config(image.config_bytes)
    diff_ids = config["rootfs"]["diff_ids"]
    if len(diff_ids) != len(image.layers):
        raise InvalidSpec("the archive's image %s has %d layers but its config lists %d diff_ids"
                          % (config_id, len(image.layers), len(diff_ids)))
    chains = _digest.chain_ids(diff_ids)
    layers = []
    for i, layer in enumerate(image.layers):
        if store.layers.ensure(chains[i], diff_ids[i], chains[i - 1] if i else None,
                               _extractor(layer, diff_ids[i], store.layers.limits)):
            made.append(chains[i])
        layers.append({"diff_id": diff_ids[i], "chain_id": chains[i], "size": store.layers.size(chains[i])})
    return image_writer.record_image(store, json.loads(image.config_bytes), layers, exact_bytes=image.config_bytes)


def _extractor(layer, diff_id, limits):
    def produce(diff_dir, split_path):
        with layer.open() as packed:
            head = packed.peek(4) if hasattr(packed, "peek") else b""
            kind = compression.detect(layer.media_type, head)
            stream = _digest.VerifyingReader(compression.decompressing_reader(packed, kind, limits), diff_id,
                                             what="layer %s" % diff_id)
            _apply.apply_layer(stream, diff_dir, split_out=split_path, limits=limits)
            stream.drain()
            stream.finish()
            if hasattr(packed, "drain"):
                packed.drain()
            if hasattr(packed, "finish"):
                packed.finish()
            return stream.size
    return produce


# ---------------------------------------------------------------- export and import
def export_container(path, rootfs, check_mode=False):
    """``docker export``: the container's merged filesystem as one tar, no history."""
    return write_file(path, lambda out: _diff.write_layer(rootfs, out, overlay=False), check_mode)


def export_would_change(store, chain_ids, upper, rootfs, path):
    """Check mode of ``export_container`` for a container whose overlay is not mounted: would
    the export change ``path``? A forked child in its own mount namespace mounts the layers
    read-only (the container's upper dir as the top lower one: no work dir, nothing written)
    and hashes the tar; the mount dies with the child, so the host never sees it."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        raise InvalidSpec("the directory of %s does not exist" % path, path=path)
    options = "lowerdir=%s:%s" % (upper, _overlay.lowerdir(store, chain_ids))
    digest = _in_private_mounts(lambda: _export_digest(store.root, options, rootfs))
    return _digest_of_file(path) != digest


def _export_digest(root, options, rootfs):
    os.chdir(root)  # the short lowerdir links are relative to the store root
    _linux.mount("overlay", rootfs, "overlay", _linux.MS_RDONLY, options)
    sink = _digest.HashingWriter()
    _diff.write_layer(rootfs, sink, overlay=False)
    return sink.digest()


def _in_private_mounts(work):
    """``work()`` (-> str) in a forked child whose mounts are private to it."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read_fd)
            _linux.unshare(_linux.CLONE_NEWNS)
            _linux.mount("none", "/", "", _linux.MS_REC | _linux.MS_PRIVATE)
            answer, code = {"ok": work()}, 0
        except BaseException as exc:  # pylint: disable=broad-except  # reported to the parent
            answer = {"error": "%s: %s" % (type(exc).__name__, exc)}
        finally:
            try:
                os.write(write_fd, json.dumps(answer).encode())
            finally:
                os._exit(code)  # pylint: disable=protected-access
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    answer = json.loads(data.decode() or '{"error": "the helper process died"}')
    if "error" in answer:
        raise MountError("cannot look at the container's files without mounting them: %s" % answer["error"])
    return answer["ok"]


def tar_to_layer(store, tar_path, work):
    """A (maybe compressed) tarball as an uncompressed layer tar in ``work``; returns (path, diff_id)."""
    plain = os.path.join(work, "import.tar")
    with open(plain, "wb") as out:
        return plain, diff_id_of(tar_path, out, store.layers.limits, _limits.SpaceGuard(work, store.layers.limits))


def diff_id_of(tar_path, out=None, limits=_limits.DEFAULT, space=None):
    """The diff ID of a (maybe compressed) tarball, its uncompressed bytes copied to ``out`` if given
    (``space``, a layer.limits.SpaceGuard, is charged for them)."""
    with open(tar_path, "rb") as raw:
        kind = compression.detect("", raw.read(8))
        raw.seek(0)
        reader = compression.decompressing_reader(raw, kind, limits)
        sink = _digest.HashingWriter(out)
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            if space is not None:
                space.charge(len(chunk))
            sink.write(chunk)
    return sink.digest()
