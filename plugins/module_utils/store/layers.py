# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extracted layers, one directory per chain ID: ``layers/<chain>/{diff/,meta.json,link,tar-split.gz}``.

A layer is built in a work directory, synced to disk and renamed into place whole, so
``layers/`` only ever holds complete layers, even after a power cut. ``l/<short>`` links keep overlay lowerdir strings short.
"""

from __future__ import annotations

import os
import secrets
import string

from . import tempdirs
from .._errors import Corrupt
from ..fs.atomic import atomic_write, fsync_dir, read_json, syncfs
from ..layer import limits as _limits
from ..oci import digest as _digest
from ..oci import timestamps

_SHORT_ALPHABET = string.ascii_uppercase + string.digits


class LayerStore:
    def __init__(self, root, locks, tmp_root, limits=None):
        self.directory = os.path.join(root, "layers")
        self.limits = limits or _limits.DEFAULT  # what each extraction into this store may cost
        self.links = os.path.join(root, "l")
        self.locks = locks
        self.tmp_root = tmp_root

    def path(self, chain_id):
        return os.path.join(self.directory, _digest.hex_of(chain_id))

    def diff_path(self, chain_id):
        return os.path.join(self.path(chain_id), "diff")

    def split_path(self, chain_id):
        return os.path.join(self.path(chain_id), "tar-split.gz")

    def exists(self, chain_id):
        return os.path.exists(os.path.join(self.path(chain_id), "meta.json"))

    def meta(self, chain_id):
        meta = read_json(os.path.join(self.path(chain_id), "meta.json"))
        if meta is None:
            raise Corrupt("layer %s is missing from the store" % chain_id, chain_id=chain_id)
        return meta

    def size(self, chain_id):
        """The layer's tar size in bytes (Corrupt when the layer is not in the store)."""
        return int(self.meta(chain_id).get("size") or 0)

    def all(self):
        return ["sha256:" + n for n in os.listdir(self.directory) if not n.startswith(".")]

    def ensure(self, chain_id, diff_id, parent, produce):
        """Make the layer unless it exists. ``produce(diff_dir, split_path)`` fills it and returns
        its tar size. Returns True when this call extracted it. Extraction happens once even
        when several processes want the same layer."""
        hex_id = _digest.hex_of(chain_id)
        with self.locks.extract(hex_id):
            if self.exists(chain_id):
                self.ensure_link(chain_id)  # an earlier call killed between publishing and linking
                return False
            with tempdirs.work_dir(self.tmp_root, prefix="layer-") as work:
                build = os.path.join(work, hex_id)
                os.mkdir(build, 0o700)
                diff = os.path.join(build, "diff")
                os.mkdir(diff, 0o755)
                size = produce(diff, os.path.join(build, "tar-split.gz"))
                short = "".join(secrets.choice(_SHORT_ALPHABET) for dummy in range(26))
                atomic_write(os.path.join(build, "link"), short.encode())
                atomic_write(os.path.join(build, "meta.json"), _meta_json(chain_id, diff_id, parent, size, short))
                # The files reach the disk before the name does: after a power cut a published
                # layer must never be one of empty files (extraction fsyncs nothing).
                syncfs(build)
                os.rename(build, self.path(chain_id))
                fsync_dir(self.directory)
            self.ensure_link(chain_id)
        return True

    def short_link(self, chain_id):
        """``l/<short>``, recreated if a crash lost it."""
        return os.path.join("l", self.ensure_link(chain_id))

    def ensure_link(self, chain_id):
        short = self.meta(chain_id)["link"]
        link = os.path.join(self.links, short)
        if not os.path.islink(link):
            tmp = link + ".tmp%d" % os.getpid()
            os.symlink(os.path.join("..", "layers", _digest.hex_of(chain_id), "diff"), tmp)
            os.rename(tmp, link)
        return short

    def remove(self, chain_id):
        """Remove an unused layer. Returns False (and keeps it) while another operation uses it."""
        hex_id = _digest.hex_of(chain_id)
        lock = self.locks.use(hex_id, exclusive=True)
        if not lock.acquire():
            return False
        try:
            meta = read_json(os.path.join(self.path(chain_id), "meta.json")) or {}
            if meta.get("link"):
                try:
                    os.unlink(os.path.join(self.links, meta["link"]))
                except FileNotFoundError:
                    pass
            if os.path.isdir(self.path(chain_id)):
                # Rename first: a crash mid-delete then leaves only a sweepable work dir.
                with tempdirs.work_dir(self.tmp_root, prefix="rm-") as work:
                    os.rename(self.path(chain_id), os.path.join(work, hex_id))
            return True
        finally:
            lock.release()


def _meta_json(chain_id, diff_id, parent, size, short):
    import json
    return json.dumps({"chain_id": chain_id, "diff_id": diff_id, "parent": parent, "size": size,
                       "link": short, "created": timestamps.now()},
                      indent=1, sort_keys=True).encode()


__all__ = ["LayerStore"]
