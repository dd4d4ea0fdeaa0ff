# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A deterministic tar writer: the same entries in the same order give the same bytes.

Every entry has mtime 0, owner 0:0 with no names, mode 0644 (files) or 0755 (directories), and
the archive is PAX throughout. It streams (``w|``), so ``out`` may be a pipe.
"""

from __future__ import annotations

import io
import json
import tarfile

from .._errors import InvalidSpec, SizeMismatch
from ..oci import digest as _digest
from ..oci import spec


def dumps(doc):
    """Compact JSON, as Docker and the containers tools write it."""
    return json.dumps(doc, separators=(",", ":")).encode()


def _info(name, kind, mode, size=0):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, size
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info


class DeterministicTar:
    def __init__(self, out):
        self._tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)

    def add_dir(self, name):
        self._tar.addfile(_info(name, tarfile.DIRTYPE, 0o755))

    def add_bytes(self, name, data):
        self._tar.addfile(_info(name, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))

    def add_layer(self, name, layer):
        """Stream one uncompressed layer tar; its size and diff_id are checked as it goes."""
        diff_id, size, open_tar = layer
        stream = open_tar()
        try:
            reader = _digest.VerifyingReader(stream, diff_id, size, what="layer %s" % diff_id)
            try:
                self._tar.addfile(_info(name, tarfile.REGTYPE, 0o644, size), reader)
            except OSError as exc:
                if reader.size >= size:
                    raise
                raise SizeMismatch("layer %s: expected %d bytes, got %d" % (diff_id, size, reader.size),
                                   digest=diff_id) from exc
            reader.read(1)  # more data than announced raises SizeMismatch
            reader.finish()
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def close(self):
        self._tar.close()


def check_image(image):
    """A SaveImage whose config, digest and layers agree with each other."""
    _digest.verify_bytes(image.config_bytes, image.config_digest, what="image config")
    config = spec.parse_config(image.config_bytes)
    listed = [layer[0] for layer in image.layers]
    if config["rootfs"]["diff_ids"] != listed:
        raise InvalidSpec("image %s: its layers do not match the config's rootfs.diff_ids" % image.config_digest)
    for layer in image.layers:
        _digest.validate(layer[0])
        if not isinstance(layer[1], int) or layer[1] < 0:
            raise InvalidSpec("layer %s: invalid size %r" % (layer[0], layer[1]))
    return config


def distinct_layers(images):
    """Every layer once, in the order it first appears; the first (diff_id, size, open_tar) wins."""
    seen = {}
    for image in images:
        for layer in image.layers:
            seen.setdefault(layer[0], layer)
    return list(seen.values())
