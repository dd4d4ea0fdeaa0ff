# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker system df -v`` for images: each image's size, the part it shares with other
images and the part only it has; the store's total counts every shared layer once."""

from __future__ import annotations

import os

from ..images import view as image_view
from ..store.containers import ContainerStore


def report(store):
    refs = store.load_refs()
    records = store.image_records()
    users = {}
    for record in records:
        for layer in record["layers"]:
            users.setdefault(layer["chain_id"], set()).add(record["id"])
    sizes = {chain: image_view.layer_size(store, chain) for chain in users}
    containers = ContainerStore(os.path.join(store.root, "containers")).all()
    images = []
    for record in records:
        chains = list(dict.fromkeys(layer["chain_id"] for layer in record["layers"]))
        size = sum(sizes[c] for c in chains)
        shared = sum(sizes[c] for c in chains if len(users[c]) > 1)
        images.append({"id": record["id"], "repo_tags": image_view.view(store, refs, record)["repo_tags"],
                       "size": size, "shared_size": shared, "unique_size": size - shared,
                       "containers": sum(1 for c in containers if c.get("image_id") == record["id"])})
    in_use = {i["id"] for i in images if i["containers"]}
    needed = {c for c, ids in users.items() if ids & in_use}
    return {"images": images, "total_size": sum(sizes.values()), "layers": len(sizes),
            "reclaimable": sum(s for c, s in sizes.items() if c not in needed)}
