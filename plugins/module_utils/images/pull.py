# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pull an image: manifest (index -> platform) -> config -> layers, each verified, then record it.

Order matters for crash safety: layers are renamed into place whole, blobs are written, the
filesystem is synced once, and only then the image record and its names are written.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from .. import _linux
from .._errors import InvalidSpec, RegistryError
from ..fs.atomic import syncfs
from ..layer import apply as _apply
from ..layer import compression
from ..oci import timestamps
from ..oci import digest as _digest
from ..oci import spec
from ..registry import hosts
from ..registry.client import RegistryClient
from ..registry.transport import body_errors

MAX_PARALLEL_LAYERS = 3  # processes
LAYER_ATTEMPTS = 3


class Resolved:
    """What the registry says a reference is: the chosen manifest and its config."""

    def __init__(self, repo_digest, manifest_digest, manifest_bytes, manifest, config_bytes, config, index_bytes):
        self.repo_digest = repo_digest  # what a user pulls by: the index digest for multi-platform images
        self.manifest_digest = manifest_digest
        self.manifest_bytes = manifest_bytes
        self.manifest = manifest
        self.config_bytes = config_bytes
        self.config = config
        self.index_bytes = index_bytes

    @property
    def image_id(self):
        return self.manifest.config.digest


def resolve(client, ref, platform=None):
    """Fetch and check manifest and config for ``ref`` without touching the store."""
    data, media_type, top_digest = client.get_manifest(ref.path, ref.digest or ref.tag)
    parsed = spec.parse_manifest(data, media_type)
    index_bytes, manifest_digest = None, top_digest
    if isinstance(parsed, spec.Index):
        chosen = spec.select_platform(parsed, platform or spec.host_platform())
        index_bytes = data
        data, media_type, manifest_digest = client.get_manifest(ref.path, chosen.digest, expected_digest=chosen.digest)
        parsed = spec.parse_manifest(data, media_type, chosen.media_type)
        if isinstance(parsed, spec.Index):
            raise InvalidSpec("nested image indexes are not supported (%s)" % chosen.digest)
    config_bytes = client.get_blob_bytes(ref.path, parsed.config, spec.MAX_CONFIG_BYTES)
    config = spec.parse_config(config_bytes)
    if len(config["rootfs"]["diff_ids"]) != len(parsed.layers):
        raise InvalidSpec("image %s: the manifest has %d layers but the config lists %d diff_ids"
                          % (ref, len(parsed.layers), len(config["rootfs"]["diff_ids"])))
    if platform is not None and index_bytes is None:
        _check_platform(ref, config, platform)
    return Resolved(top_digest, manifest_digest, data, parsed, config_bytes, config, index_bytes)


def _check_platform(ref, config, wanted):
    have = spec.config_platform(config)
    if (have.os, have.architecture) != (wanted.os, wanted.architecture):
        raise InvalidSpec("image %s is for %s, not for the requested platform %s" % (ref, have, wanted))


def fetch_layers(store, client, repo, resolved, made):
    """Make sure every layer of ``resolved`` is in the store. Appends to ``made`` the chain IDs
    extracted by this call as they land, so that a caller whose pull fails can remove them.
    The caller holds the layers' use locks."""
    diff_ids = resolved.config["rootfs"]["diff_ids"]
    chains = _digest.chain_ids(diff_ids)
    jobs = []
    for i, desc in enumerate(resolved.manifest.layers):
        if not store.layers.exists(chains[i]):
            parent = chains[i - 1] if i else None
            jobs.append((desc, diff_ids[i], chains[i], parent))
        else:
            store.layers.ensure_link(chains[i])  # an earlier pull killed between publishing and linking
    if len(jobs) < 2:
        for job in jobs:
            if _fetch_one(store, client, repo, *job):
                made.append(job[2])
        return
    _fetch_in_processes(store, client, repo, sorted(jobs, key=lambda job: -job[0].size), made)


# Extraction is Python code under one GIL: layers go to forked processes to use every core.
# The children find the store and client here (fork copies memory; only jobs are pickled).
_FORKED = {}


def _fetch_in_processes(store, client, repo, jobs, made):
    _FORKED.update(store=store, client=client, repo=repo, pid=os.getpid())
    errors = []
    workers = min(MAX_PARALLEL_LAYERS, len(jobs), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_linux.die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(_fetch_in_child, job): job for job in jobs}
        for future in as_completed(futures):
            try:
                if future.result():
                    made.append(futures[future][2])
            except Exception as exc:  # keep going: every layer that landed must be known
                errors.append(exc)
    if errors:
        raise errors[0]


def _fetch_in_child(job):
    client = _FORKED["client"]
    if _FORKED["pid"] != os.getpid():
        client.transport.new_session()  # never share the parent's sockets
        _FORKED["pid"] = os.getpid()
    return _fetch_one(_FORKED["store"], client, _FORKED["repo"], *job)


def _fetch_one(store, client, repo, desc, diff_id, chain_id, parent):
    for attempt in range(LAYER_ATTEMPTS):
        try:
            return store.layers.ensure(chain_id, diff_id, parent,
                                       lambda diff_dir, split: _download_into(client, repo, desc, diff_id,
                                                                              diff_dir, split, store.layers.limits))
        except RegistryError as exc:
            if not exc.temporary or attempt == LAYER_ATTEMPTS - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    return False


def _download_into(client, repo, desc, diff_id, diff_dir, split_path, limits):
    """Stream one blob: verify its digest and size, decompress, verify the diff_id, extract."""
    resp = client.open_blob(repo, desc.digest)
    try:
        packed = _digest.VerifyingReader(resp.raw, desc.digest, desc.size, what="layer blob")
        kind = compression.detect(desc.media_type, b"")
        tar_stream = _digest.VerifyingReader(compression.decompressing_reader(packed, kind, limits), diff_id,
                                             what="layer %s content (diff_id)" % desc.digest)
        try:
            _apply.apply_layer(tar_stream, diff_dir, split_out=split_path, limits=limits)
            tar_stream.drain()
            packed.drain()
        except Exception as exc:
            # A digest error found by reading on says more than the tar error it caused.
            if not isinstance(exc, body_errors()):
                packed.drain()
                packed.finish()
            raise
        packed.finish()
        tar_stream.finish()
        return tar_stream.size
    except body_errors() as exc:
        raise RegistryError("downloading layer %s failed: %s" % (desc.digest, exc), temporary=True,
                            digest=desc.digest) from exc
    finally:
        resp.close()


def record_for(ref, resolved, existing=None):
    """The image record for a pull; merges what an existing record already knew."""
    diff_ids = resolved.config["rootfs"]["diff_ids"]
    chains = _digest.chain_ids(diff_ids)
    layers = [{"digest": d.digest, "media_type": d.media_type, "size": d.size, "diff_id": diff_ids[i],
               "chain_id": chains[i]} for i, d in enumerate(resolved.manifest.layers)]
    record = dict(existing or {})
    repo_digests = set(record.get("repo_digests", []))
    repo_digests.add("%s@%s" % (ref.repository, resolved.repo_digest))
    record.update({
        "id": resolved.image_id,
        "config_digest": resolved.image_id,
        "manifest_digest": resolved.manifest_digest,
        "manifest_media_type": resolved.manifest.media_type,
        "layers": layers,
        "repo_digests": sorted(repo_digests),
    })
    if resolved.index_bytes is not None:
        record["index_digest"] = resolved.repo_digest
    record.setdefault("added", timestamps.now())
    return record


def store_blobs(store, resolved):
    store.blobs.put(resolved.config_bytes, resolved.image_id)
    store.blobs.put(resolved.manifest_bytes, resolved.manifest_digest)
    if resolved.index_bytes is not None:
        store.blobs.put(resolved.index_bytes, resolved.repo_digest)
    syncfs(store.root)


def client_for(ref, *, insecure_registries=(), username=None, password=None, ca_cert=None, auth_config=None,
               certs_dir=None, host=None, bundle_dir=None):
    """A client for ``ref``'s registry (or for ``host``, one of its mirrors): credentials from
    the options, else from Docker's config.json; certificates from the option, else certs.d.
    A mirror gets only what config.json has for the mirror's own host, never the registry's."""
    mirror = bool(host) and host != ref.api_host
    host = host or ref.api_host
    insecure = list(insecure_registries or ())
    if ref.domain in insecure:
        insecure.append(ref.api_host)
    if mirror or not username:
        username, password = hosts.credentials(host if mirror else ref.domain, auth_config)
    found_ca, client_cert = hosts.certificates(host, certs_dir, bundle_dir)
    return RegistryClient(host, insecure, username=username, password=password, ca_cert=ca_cert or found_ca,
                          client_cert=client_cert)
