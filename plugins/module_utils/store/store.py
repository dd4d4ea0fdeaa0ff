# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store under one root directory (default ``/var/lib/strata``)::

    blobs/sha256/<hex>   manifests, configs, indexes
    layers/<chain-hex>/  extracted layers (see layers.py)
    l/<short>            short links to layers/*/diff for overlay lowerdir strings
    images/<id>.json     image records
    refs.json            tags and digest pins
    tmp/                 work directories, swept when their owner has died
    locks/               fcntl lock files
    ca-bundles/          certs.d CA files merged into one (registry/hosts.py), made when needed
"""

from __future__ import annotations

import os

from . import tempdirs
from .._errors import StoreError
from .blobs import BlobStore
from .images import ImageStore
from .layers import LayerStore
from .locks import Locks
from .refs import Refs

DEFAULT_ROOT = "/var/lib/strata"
_DIRS = ("blobs/sha256", "layers", "l", "images", "tmp", "locks", "containers")


class Store:
    def __init__(self, root=DEFAULT_ROOT, create=True, limits=None):
        """``limits``: a layer.limits.Limits for every layer extracted into this store."""
        if not root or not os.path.isabs(root):
            raise StoreError("the store root must be an absolute path, got %r" % (root,), root=root)
        self.root = root
        self.exists = os.path.isdir(os.path.join(root, "images"))
        if create and not self.exists:
            self._create()
        self.tmp = os.path.join(root, "tmp")
        self.locks = Locks(os.path.join(root, "locks"))
        self.blobs = BlobStore(os.path.join(root, "blobs", "sha256"))
        self.layers = LayerStore(root, self.locks, self.tmp, limits)
        self.images = ImageStore(os.path.join(root, "images"))
        self.refs = Refs(os.path.join(root, "refs.json"))
        if self.exists:
            tempdirs.sweep(self.tmp)

    def _create(self):
        try:
            for d in _DIRS:
                os.makedirs(os.path.join(self.root, d), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError("cannot create the store at %s: %s" % (self.root, exc.strerror), root=self.root) from exc
        self.exists = True

    def work_dir(self, prefix="op-"):
        return tempdirs.work_dir(self.tmp, prefix)

    def image_records(self):
        return self.images.all() if self.exists else []

    def load_refs(self):
        return self.refs.load() if self.exists else {"tags": {}, "digests": {}}
