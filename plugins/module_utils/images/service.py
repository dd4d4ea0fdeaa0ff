# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image use cases: pull, search, push, tag, remove, inspect and list. Every call is
idempotent and returns what it did: ``{"changed": bool, "actions": [...], ...facts}``;
``check_mode`` computes the same answer and writes nothing."""

from __future__ import annotations

import contextlib
import os

from . import names as image_names
from . import view as image_view
from .._errors import ImageNotFound, InUse, InvalidReference, InvalidSpec, RegistryError
from ..oci import digest as _digest
from ..oci import reference
from ..store.containers import ContainerStore

PULL_POLICIES = ("missing", "always", "never")


def _puller():
    """images/pull.py, imported on first use: it brings the registry client, multiprocessing and
    the layer extraction, which listing, inspecting or running a local image does not need."""
    from . import pull  # pylint: disable=import-outside-toplevel
    return pull


def _platform(text):
    """``os/arch[/variant]`` parsed (oci/spec.py and its dataclasses only when one is asked for)."""
    from ..oci import spec  # pylint: disable=import-outside-toplevel
    return spec.parse_platform(text)


class ImageService:
    """The images of one store; ``registry_options`` are :func:`pull.client_for`'s keywords."""

    def __init__(self, store, *, check_mode=False, registry_options=None, registry_mirrors=None):
        self.store = store
        self.check_mode = check_mode
        self.registry_options = dict(registry_options or {})
        self.registry_mirrors = registry_mirrors

    # ---------------------------------------------------------------- reading
    def has_image(self, image_id):
        return self.store.exists and self.store.images.exists(image_id)

    def find_image(self, name):
        return image_names.find(self.store, self.store.load_refs(), name)

    def inspect_image(self, name):
        refs = self.store.load_refs()
        match = image_names.find(self.store, refs, name)
        return image_view.view(self.store, refs, self.store.images.get(match.image_id))

    def list_images(self, filters=None):
        wanted = image_view.parse_filters(filters)
        refs = self.store.load_refs()
        images = [image_view.view(self.store, refs, r) for r in self.store.image_records()]

        def created_of(name):
            return self.inspect_image(name)["created"]
        return [i for i in images if image_view.matches(i, wanted, created_of)]

    def local_image(self, name):
        """An image the store already has, by name, ID, short ID or digest; never pulls."""
        match = self.find_image(name)
        return self.result(False, [], match.image_id)

    # ---------------------------------------------------------------- pulling
    def pull(self, name, policy="missing", platform=None):
        """``docker pull``: fetch ``name`` unless policy says otherwise; record its names."""
        if policy not in PULL_POLICIES:
            raise InvalidSpec("pull must be one of %s, got %r" % (", ".join(PULL_POLICIES), policy))
        ref = reference.parse(name)
        wanted = _platform(platform) if platform else None
        local = self._local_match(ref, wanted)
        if local and policy != "always":
            if ref.digest and self.store.load_refs()["digests"].get(ref.digest_name) != local:
                return self._pin(ref, local)  # known by this digest already: pin it, no download
            return self.result(False, [], local)
        if policy == "never":
            raise ImageNotFound("image %s is not in the store and pull is 'never'" % ref, name=str(ref))
        clients = self._clients(ref)
        client, resolved = self._resolve(clients, ref, wanted)
        name_key = ref.digest_name if ref.digest else ref.tagged_name
        refs = self.store.load_refs()
        have = self.store.images.exists(resolved.image_id) and all(
            self.store.layers.exists(c) for c in _chains(resolved))
        points_here = refs["digests" if ref.digest else "tags"].get(name_key) == resolved.image_id
        if have and points_here:
            return self.result(False, [], resolved.image_id)
        actions = ["Pulled image %s" % ref] if not have else ["Tagged %s as %s" % (resolved.image_id, ref)]
        if self.check_mode:
            return self.result(True, actions, resolved.image_id, check=True)
        made = []
        try:
            with self._using_layers(_chains(resolved)):
                self._fetch(clients[clients.index(client):], ref, resolved, made)
                _puller().store_blobs(self.store, resolved)
                with self.store.locks.store():
                    refs = self.store.load_refs()
                    record = _puller().record_for(ref, resolved, self.store.images.get(resolved.image_id))
                    self.store.images.put(record)
                    refs["digests" if ref.digest else "tags"][name_key] = resolved.image_id
                    self.store.refs.save(refs)
        except BaseException:
            self.discard_unrecorded(made)
            raise
        result = self.result(True, actions, resolved.image_id)
        result["extracted"] = sorted(made)  # layers this pull extracted (another pull may have had the rest)
        return result

    def search(self, term, limit=25, stars=0, official=None):
        """``docker search TERM``."""
        from ..registry import search as _search  # pylint: disable=import-outside-toplevel

        def client_for_registry(registry):
            return _puller().client_for(reference.parse("%s/probe" % registry), **self.registry_options)
        return _search.search(term, client_for_registry, limit, stars, official)

    def pull_all_tags(self, name, policy="missing", platform=None):
        """``docker pull -a NAME``: every tag the registry lists for the repository."""
        ref = reference.parse(name)
        if ref.digest or ":" in name.rsplit("/", 1)[-1]:
            raise InvalidSpec("all_tags takes a repository without a tag or digest, not %s" % name)
        tags = sorted(_puller().client_for(ref, **self.registry_options).tags(ref.path))
        if not tags:
            raise ImageNotFound("repository %s has no tags" % ref.repository, name=name)
        results = [self.pull("%s:%s" % (ref.repository, tag), policy, platform) for tag in tags]
        out = dict(results[-1], changed=any(r["changed"] for r in results),
                   actions=[a for r in results for a in r["actions"]])
        out["pulled"] = ["%s:%s" % (ref.repository, tag) for tag in tags]
        return out

    def _clients(self, ref):
        """Clients for the registry's mirrors, in order, then for the registry itself."""
        from ..registry import hosts  # pylint: disable=import-outside-toplevel
        mirrors = hosts.mirrors(ref.domain, self.registry_mirrors, self.store.root)
        return [_puller().client_for(ref, host=m, **self.registry_options) for m in mirrors] + \
            [_puller().client_for(ref, **self.registry_options)]

    @staticmethod
    def _resolve(clients, ref, wanted):
        """The first endpoint that can say what ``ref`` is; a failing mirror falls back to the next."""
        for client in clients:
            try:
                return client, _puller().resolve(client, ref, wanted)
            except RegistryError:
                if client is clients[-1]:
                    raise
        raise AssertionError("unreachable")

    def _fetch(self, clients, ref, resolved, made):
        for client in clients:  # digests are verified whichever endpoint serves the bytes
            try:
                _puller().fetch_layers(self.store, client, ref.path, resolved, made)
                return
            except RegistryError:
                if client is clients[-1]:
                    raise

    def discard_unrecorded(self, chains):
        """A failed pull (or load) takes back the layers it extracted that no image records."""
        with self.store.locks.store():
            needed = {layer["chain_id"] for r in self.store.image_records() for layer in r["layers"]}
            for chain in chains:
                if chain not in needed:
                    self.store.layers.remove(chain)

    def _pin(self, ref, image_id):
        if not self.check_mode:
            with self.store.locks.store():
                refs = self.store.load_refs()
                refs["digests"][ref.digest_name] = image_id
                self.store.refs.save(refs)
        return self.result(True, ["Pinned %s to %s" % (ref, image_id)], image_id)

    def _local_match(self, ref, wanted_platform):
        refs = self.store.load_refs()
        image_id = refs["digests"].get(ref.digest_name) if ref.digest else refs["tags"].get(ref.tagged_name)
        if ref.digest and not image_id:
            image_id = next((r["id"] for r in self.store.image_records()
                             if ref.digest_name in r.get("repo_digests", [])), None)
        record = self.store.images.get(image_id) if image_id else None
        if not record or not all(self.store.layers.exists(layer["chain_id"]) for layer in record["layers"]):
            return None
        if wanted_platform is not None:
            view = image_view.view(self.store, refs, record)
            if (view["os"], view["architecture"]) != (wanted_platform.os, wanted_platform.architecture):
                return None
        return image_id

    @contextlib.contextmanager
    def _using_layers(self, chains):
        """Hold shared use locks so no concurrent removal takes a layer this pull relies on."""
        locks = [self.store.locks.use(c.split(":", 1)[1]) for c in dict.fromkeys(chains)]
        try:
            for lock in locks:
                lock.acquire()
            yield
        finally:
            for lock in locks:
                lock.release()

    # ---------------------------------------------------------------- pushing
    def push(self, name, repository=None, compression=None):
        """``docker push``: ``name`` (an image in the store) to its registry, or to ``repository``."""
        from .push import Pusher, check_compression  # pylint: disable=import-outside-toplevel
        match = self.find_image(name)
        target = reference.parse(repository or name)
        if target.digest:
            raise InvalidReference("cannot push to a digest reference: %s" % target)
        pusher = Pusher(self.store, _puller().client_for(target, **self.registry_options), target, self.check_mode)
        with self.store.work_dir("push-") as work:
            digest = pusher.push(self.store.images.get(match.image_id), check_compression(compression), work)
        report = pusher.report
        changed = report.pop("changed")
        if changed and not self.check_mode:
            with self.store.locks.store():
                record = self.store.images.get(match.image_id)
                record["repo_digests"] = sorted(set(record.get("repo_digests", [])) | {
                    "%s@%s" % (target.repository, digest)})
                self.store.images.put(record)
        result = self.result(changed, ["Pushed %s (%s)" % (target, digest)] if changed else [], match.image_id)
        result["pushed"] = dict(report, repository=str(target))
        return result

    # ---------------------------------------------------------------- names
    def tag(self, source, target):
        """``docker tag SOURCE TARGET``."""
        target_ref = reference.parse(target)
        if target_ref.digest:
            raise InvalidReference("cannot tag with a digest reference: %s" % target)
        refs = self.store.load_refs()
        match = image_names.find(self.store, refs, source)
        if refs["tags"].get(target_ref.tagged_name) == match.image_id:
            return self.result(False, [], match.image_id)
        actions = ["Tagged %s as %s" % (match.image_id, target_ref)]
        if not self.check_mode:
            with self.store.locks.store():
                refs = self.store.load_refs()
                refs["tags"][target_ref.tagged_name] = match.image_id
                self.store.refs.save(refs)
        return self.result(True, actions, match.image_id, check=self.check_mode)

    def remove(self, name, force=False):
        """``docker rmi [-f] NAME``: untag, and delete the image once nothing names it."""
        refs = self.store.load_refs()
        try:
            match = image_names.find(self.store, refs, name)
        except ImageNotFound:
            return {"changed": False, "actions": [], "untagged": [], "deleted": []}
        if self.check_mode:
            names, delete = self._untag_plan(refs, match, name, force)
            return self._removal(names, [match.image_id] if delete else [])
        with self.store.locks.store():
            refs = self.store.load_refs()
            match = image_names.find(self.store, refs, name)
            names, delete = self._untag_plan(refs, match, name, force)
            image_names.drop_names(refs, names)
            self.store.refs.save(refs)
            deleted = self._delete_image(match.image_id) if delete else []
        return self._removal(names, deleted)

    def _untag_plan(self, refs, match, name, force):
        """Docker's rule: the last name of an image a container uses goes only with force, and
        the image itself stays (dangling) until no container uses it."""
        names, delete = image_names.untag_plan(refs, match, force)
        users = ContainerStore(os.path.join(self.store.root, "containers")).users_of_image(match.image_id)
        if not delete or not users:
            return names, delete
        if not force:
            short, user = match.image_id.split(":")[-1][:12], users[0]
            container = "%s (%s)" % (user["id"][:12], user["name"])
            if match.kind == "id":
                message = ("conflict: unable to delete %s (must be forced) - image is being used by container %s"
                           % (short, container))
            else:
                message = ("conflict: unable to remove repository reference \"%s\" (must force) - container %s "
                           "is using its referenced image %s" % (name, container, short))
            raise InUse(message, image_id=match.image_id, containers=[u["name"] for u in users])
        return names, False

    def _delete_image(self, image_id):
        record = self.store.images.get(image_id)
        layers = image_names.unreferenced_layers(self.store, record)
        blobs = image_names.unreferenced_blobs(self.store, record)
        self.store.images.delete(image_id)
        removed = [c for c in reversed(layers) if self.store.layers.remove(c)]
        for blob in blobs:
            self.store.blobs.delete(blob)
        return [image_id] + removed

    def _removal(self, names, deleted):
        actions = ["Untagged: %s" % image_view.familiar(n) for n in names] + ["Deleted: %s" % d for d in deleted]
        return {"changed": bool(names or deleted), "actions": actions,
                "untagged": [image_view.familiar(n) for n in names], "deleted": deleted}

    def result(self, changed, actions, image_id, check=False):
        out = {"changed": changed, "actions": actions}
        if image_id and not check:
            out["image"] = self.inspect_image(image_id)
        elif image_id:
            out["image"] = {"id": image_id}
        return out


def _chains(resolved):
    return _digest.chain_ids(resolved.config["rootfs"]["diff_ids"])
