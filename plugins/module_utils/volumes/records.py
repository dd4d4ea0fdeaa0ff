# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Volumes on disk, as Docker lays them out: ``<root>/volumes/<name>/_data`` is the content,
``volume.json`` beside it what the volume was made with (driver, options, labels, creation
time). A directory without ``volume.json`` (made by a container before volumes had records)
is a plain local volume."""

from __future__ import annotations

import os
import time

from . import definitions, mounting
from .. import _linux
from .._errors import MountError
from ..fs.atomic import atomic_write_json, read_json
from ..fs.tree import remove_tree
from ..oci import timestamps

RECORD = "volume.json"
DATA = "_data"


class VolumeRecords:
    def __init__(self, root):
        self.directory = os.path.join(root, "volumes")

    def path(self, name, *parts):
        return os.path.join(self.directory, definitions.check_name(name), *parts)

    def data_dir(self, name):
        return self.path(name, DATA)

    def load(self, name):
        """The record of ``name``, or None when there is no such volume."""
        if not os.path.isdir(self.data_dir(name)):
            return None
        record = read_json(self.path(name, RECORD))
        if record:
            return record
        return {"name": name, "driver": "local", "options": {}, "labels": {}, "created": _mtime(self.path(name))}

    def names(self):
        if not os.path.isdir(self.directory):
            return []
        return sorted(n for n in os.listdir(self.directory)
                      if not n.startswith(".") and os.path.isdir(os.path.join(self.directory, n, DATA)))

    def create(self, name, *, driver="local", options=None, labels=None):
        """Make the volume: its directory, then its record (a crash between leaves a plain volume)."""
        record = {"name": name, "driver": driver, "options": dict(options or {}), "labels": dict(labels or {}),
                  "created": timestamps.now()}
        os.makedirs(self.path(name), mode=0o700, exist_ok=True)
        try:
            os.mkdir(self.data_dir(name), mode=0o755)
        except FileExistsError:
            pass
        atomic_write_json(self.path(name, RECORD), record)
        return record

    def ensure_mounted(self, record):
        return mounting.ensure_mounted(record.get("options") or {}, self.data_dir(record["name"]))

    def delete(self, name):
        """Unmount what the volume's options mounted, then remove it. A mount that stays is never
        removed through (a bind volume's device is the user's own directory)."""
        data = self.data_dir(name)
        mounting.unmount(data)
        if os.path.isdir(data) and _linux.is_mountpoint(data):
            raise MountError("the volume %s is still mounted at %s: not removed" % (name, data), path=data)
        remove_tree(self.path(name))


def _mtime(path):
    try:
        return time.strftime(timestamps.FORMAT, time.gmtime(os.stat(path).st_mtime))
    except OSError:
        return timestamps.now()
