# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The volume modules' logic: ``docker volume create/inspect/ls/rm/prune``, idempotent; and what
containers ask of volumes (a named one made on first use, anonymous ones for an image's
``VOLUME`` paths, the copy-up of the image's content into an empty volume).

Volumes belong to a store root: ``<root>/volumes/<name>``.
"""

from __future__ import annotations

import secrets

from . import copyup, definitions, usage
from .. import _linux
from .records import VolumeRecords
from .._errors import InUse, InvalidSpec, VolumeNotFound

STATES = ("present", "absent")
RECREATE = ("never", "options-changed", "always")


class VolumeService:
    def __init__(self, store, *, check_mode=False):
        self.store = store
        self.check_mode = check_mode
        self.records = VolumeRecords(store.root)

    # ------------------------------------------------------------------ read
    def view(self, record):
        """``docker volume inspect``'s shape."""
        return {"Name": record["name"], "Driver": record["driver"], "Mountpoint": self.records.data_dir(record["name"]),
                "Labels": dict(record.get("labels") or {}), "Options": dict(record.get("options") or {}),
                "CreatedAt": record.get("created"), "Scope": "local"}

    def get(self, name):
        record = self.records.load(definitions.check_name(name))
        if record is None:
            raise VolumeNotFound("no such volume: %s" % name, volume=name)
        return record

    def info(self, name=None):
        """[view] of one volume (``name``) or of all."""
        if name:
            return [self.view(self.get(name))]
        return [self.view(r) for r in (self.records.load(n) for n in self.records.names()) if r]

    def users(self, name):
        """Names of the store's containers that use the volume."""
        return sorted(usage.users(self.store.root).get(name, []))

    # ------------------------------------------------------------------ ensure
    def ensure(self, name, state="present", *, driver="local", driver_options=None, labels=None,
               recreate="never", force=False):
        """``docker volume create`` (state present) or ``docker volume rm [-f]`` (absent)."""
        definitions.check_name(name)
        if state not in STATES:
            raise InvalidSpec("state must be present or absent, not %r" % (state,))
        if recreate not in RECREATE:
            raise InvalidSpec("recreate must be one of %s, not %r" % (", ".join(RECREATE), recreate))
        wanted = None
        if state == "present":  # checked before anything happens, also when the volume exists
            wanted = {"driver": definitions.check_driver(driver or "local"),
                      "options": definitions.driver_options(driver_options), "labels": definitions.labels(labels)}
        with self._locked():
            return self._ensure(name, wanted, recreate, force)

    def _ensure(self, name, wanted, recreate, force):
        existing = self.records.load(name)
        before = _diffable(existing)
        if wanted is None:
            if existing is None:
                return _result(False, [], None, before, before)
            self._remove(name, force)
            return _result(True, ["remove volume %s" % name], None, before, _diffable(None))
        differs = existing is not None and _differences(existing, wanted)
        if existing is not None and not (recreate == "always" or (recreate == "options-changed" and differs)):
            return _result(False, [], self.view(existing), before, before)
        actions = []
        if existing is not None:
            self._remove(name, force, what="recreate")
            actions.append("remove volume %s" % name)
        actions.append("create volume %s" % name)
        record = dict(wanted, name=name, created=None)
        if not self.check_mode:
            record = self.records.create(name, **{k: wanted[k] for k in ("driver", "options", "labels")})
        return _result(True, actions, self.view(record), before, _diffable(record))

    def _remove(self, name, force, what="remove"):
        users = self.users(name)
        if users and not force:
            raise InUse("volume %s is in use by container %s: cannot %s it (remove the containers first, or "
                        "force: true)" % (name, ", ".join(users), what), volume=name, containers=users)
        if not self.check_mode:
            self.records.delete(name)

    def _locked(self):
        if self.check_mode or not self.store.exists:
            return _NoLock()
        return self.store.locks.store()

    # ------------------------------------------------------------------ prune
    def mounted(self, name):
        """Whether the volume's options mounted something on its directory (not the store's space)."""
        return _linux.is_mountpoint(self.records.data_dir(name))

    def prune(self, select=None, ignoring=()):
        """What ``docker volume prune`` removes: the names of the volumes no container of the store
        uses (as podman, and Docker before 23.0, choose them), of those ``select(record)`` keeps.
        The caller measures them, then removes each with ``delete_unused``."""
        removed = []
        with self._locked():
            used = usage.users(self.store.root, ignoring)
            for name in self.records.names():
                record = self.records.load(name)
                if name in used or record is None or (select and not select(record)):
                    continue
                removed.append(name)
        return removed

    def delete_unused(self, name):
        """Remove a volume prune selected (the store lock is taken again: a container made since
        then may use it now)."""
        with self._locked():
            if name in usage.users(self.store.root):
                return False
            if not self.check_mode:
                self.records.delete(name)
        return True

    # ------------------------------------------------------------------ for containers
    def provide(self, name, *, anonymous=False):
        """The volume ``name``, made now (a plain local one) when it does not exist, and mounted
        when its options say so: what a container's mount of it needs. Returns its record."""
        with self._locked():
            record = self.records.load(name)
            if record is None:
                labels = {definitions.ANONYMOUS_LABEL: ""} if anonymous else {}
                record = self.records.create(name, labels=labels)
        self.records.ensure_mounted(record)
        return record

    def source_for(self, name, rootfs=None, target=None, *, anonymous=False):
        """The host directory a container binds for its mount of ``name`` on ``target``; an empty
        volume first gets the image's content at ``target`` (copy-up)."""
        record = self.provide(name, anonymous=anonymous)
        data = self.records.data_dir(record["name"])
        if rootfs and target:
            copyup.copy_up(rootfs, target, data)
        return data

    @staticmethod
    def anonymous_name():
        return secrets.token_hex(32)

    def discard(self, names):
        """Remove the given (anonymous) volumes, unless another container uses them too."""
        with self._locked():
            used = usage.users(self.store.root)
            for name in names:
                if name not in used and self.records.load(name) is not None:
                    self.records.delete(name)


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _differences(existing, wanted):
    have = {"driver": existing.get("driver"), "options": existing.get("options") or {},
            "labels": existing.get("labels") or {}}
    return sorted(k for k in wanted if have[k] != wanted[k])


def _diffable(record):
    if not record:
        return {"state": "absent"}
    return {"state": "present", "driver": record.get("driver"), "driver_options": record.get("options") or {},
            "labels": record.get("labels") or {}}


def _result(changed, actions, view, before, after):
    return {"changed": changed, "actions": actions, "volume": view or {}, "diff": {"before": before, "after": after}}
