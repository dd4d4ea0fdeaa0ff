# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Push an image: its blobs (each only when the registry lacks it, mounted from another
repository of the same registry when one has it), then its manifest.

A pulled image going back to the registry it came from is pushed with its original manifest
(its blobs are there, or can be mounted from where they were pulled), so its digest stays.
Otherwise each layer tar (rebuilt byte for byte from tar-split) is compressed the way it was
pulled (gzip for layers made here), deterministically, so the same image always gets the same
manifest digest and a second push changes nothing. What was pushed where is remembered in the
layer's ``pushed.json``, for the next mount and to skip compressing again.
"""

from __future__ import annotations

import gzip
import json
import os

from .._deps import need_zstandard
from .._errors import InvalidSpec, NotFound, RegistryError
from ..fs.atomic import atomic_write_json, read_json
from ..layer import tarsplit
from ..oci import digest as _digest
from ..oci import reference, spec

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
               "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}
UPLOAD_CHUNK = 8 << 20  # uploads larger than this go in PATCH chunks


class Pusher:
    def __init__(self, store, client, target, check_mode=False):
        self.store, self.client, self.target, self.check_mode = store, client, target, check_mode
        self.repo = target.path
        self.report = {"uploaded": [], "mounted": [], "existing": []}

    def push(self, record, compression=None, work=None):
        if compression is None and self._original_fits(record):
            digest = self._push_original(record)
            if digest:
                return digest
        manifest = self._fresh_manifest(record, compression, work)
        return self._put_manifest(manifest, OCI_MANIFEST)

    # ------------------------------------------------------------------ the original manifest
    def _original_fits(self, record):
        return bool(record.get("manifest_digest") and self.store.blobs.exists(record["manifest_digest"])
                    and self._sources(record))

    def _sources(self, record):
        """Repositories of the target's registry that this image was pulled from."""
        out = []
        for name in record.get("repo_digests") or []:
            ref = reference.parse(name)
            if ref.domain == self.target.domain:
                out.append(ref.path)
        return out

    def _push_original(self, record):
        data = self.store.blobs.get(record["manifest_digest"])
        manifest = spec.parse_manifest(data, record.get("manifest_media_type"))
        sources = self._sources(record)
        descriptors = [manifest.config] + list(manifest.layers)
        for desc in descriptors:
            if not self._present(desc.digest, sources):
                return None  # the registry lost a blob: push compressed anew
        return self._put_manifest(data, record.get("manifest_media_type") or manifest.media_type)

    def _present(self, digest, sources):
        if self.client.blob_exists(self.repo, digest, scope="repository:%s:pull,push" % self.repo):
            self.report["existing"].append(digest)
            return True
        for source in sources:
            if source != self.repo and (self.check_mode or self.client.mount_blob(self.repo, digest, source)):
                self.report["mounted"].append(digest)
                return True
        return False

    # ------------------------------------------------------------------ a manifest made here
    def _fresh_manifest(self, record, compression, work):
        layers = []
        for layer in record["layers"]:
            kind = compression or _pulled_compression(layer)
            layers.append(self._push_layer(layer, kind, work))
        config = self.store.blobs.get(record["config_digest"])
        if not self._present(record["config_digest"], self._sources(record)):
            if not self.check_mode:
                self.client.upload_blob(self.repo, config, len(config), record["config_digest"])
            self.report["uploaded"].append(record["config_digest"])
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": OCI_CONFIG, "digest": record["config_digest"], "size": len(config)},
                    "layers": layers}
        return json.dumps(manifest, separators=(",", ":")).encode()

    def _push_layer(self, layer, kind, work):
        memo_path = os.path.join(self.store.layers.path(layer["chain_id"]), "pushed.json")
        memo = read_json(memo_path) or {}
        known = memo.get(kind)
        packed = None
        if not known:
            packed, known = self._compress(layer["chain_id"], kind, work)
        sources = (known.get("repositories") or {}).get(self.target.domain, [])
        if not self._present(known["digest"], sources):
            if packed is None:
                packed, known = self._compress(layer["chain_id"], kind, work)
            if not self.check_mode:
                with open(packed, "rb") as handle:
                    self.client.upload_blob(self.repo, handle, known["size"], known["digest"],
                                            chunk_size=UPLOAD_CHUNK if known["size"] > UPLOAD_CHUNK else None)
            self.report["uploaded"].append(known["digest"])
        if not self.check_mode:
            repos = known.setdefault("repositories", {}).setdefault(self.target.domain, [])
            if self.repo not in repos:
                repos.append(self.repo)
            memo[kind] = known
            atomic_write_json(memo_path, memo)
        return {"mediaType": LAYER_TYPES[kind], "digest": known["digest"], "size": known["size"]}

    def _compress(self, chain_id, kind, work):
        """The layer's tar, compressed deterministically into ``work``: (path, {digest, size})."""
        path = os.path.join(work, "%s.%s" % (_digest.hex_of(chain_id), kind))
        with open(path, "wb") as raw:
            sink = _digest.HashingWriter(raw)
            if kind == "gzip":
                with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=6) as packed:
                    tarsplit.reassemble(self.store.layers.split_path(chain_id), self.store.layers.diff_path(chain_id),
                                        packed)
            else:
                writer = need_zstandard().ZstdCompressor(level=3).stream_writer(sink, closefd=False)
                tarsplit.reassemble(self.store.layers.split_path(chain_id), self.store.layers.diff_path(chain_id),
                                    writer)
                writer.close()
        return path, {"digest": sink.digest(), "size": sink.size}

    # ------------------------------------------------------------------ the manifest
    def _put_manifest(self, data, media_type):
        digest = _digest.of_bytes(data)
        ref = self.target.tag or self.target.digest
        try:
            current = self.client.manifest_digest(self.repo, ref)
        except NotFound:
            current = None
        self.report["manifest_digest"] = digest
        self.report["changed"] = current != digest or bool(self.report["uploaded"] or self.report["mounted"])
        if self.report["changed"] and not self.check_mode:
            pushed = self.client.put_manifest(self.repo, ref, data, media_type)
            if pushed != digest:
                raise RegistryError("the registry stored manifest %s as %s" % (digest, pushed))
        return digest


def _pulled_compression(layer):
    media_type = layer.get("media_type") or ""
    return "zstd" if media_type.endswith("zstd") else "gzip"


def check_compression(value):
    if value not in (None, "gzip", "zstd"):
        raise InvalidSpec("compression must be gzip or zstd, not %r" % (value,))
    return value
