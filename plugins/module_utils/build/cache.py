# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build cache: a step is reused when its parent state, its instruction (after
expansion) and the content of its inputs are unchanged.

``<root>/build-cache/<key>.json`` holds what the step made: the time it was made (so that a
rebuild gives the same config, hence the same image ID) and, for a filesystem step, its
layer. A hit whose layer has since been pruned is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os

from ..fs.atomic import atomic_write_json, read_json


def step_key(parent_key, text, inputs=""):
    return hashlib.sha256(json.dumps([parent_key, text, inputs]).encode()).hexdigest()


class BuildCache:
    def __init__(self, store):
        self.store = store
        self.directory = os.path.join(store.root, "build-cache")

    def get(self, key):
        entry = read_json(os.path.join(self.directory, key + ".json"))
        if not entry:
            return None
        layer = entry.get("layer")
        if layer and not self.store.layers.exists(layer["chain_id"]):
            return None
        return entry

    def put(self, key, entry):
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        atomic_write_json(os.path.join(self.directory, key + ".json"), entry)

    def entries(self):
        if not os.path.isdir(self.directory):
            return []
        return sorted(n[:-5] for n in os.listdir(self.directory) if n.endswith(".json"))
