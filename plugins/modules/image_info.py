#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: image_info
short_description: List and inspect images in the store
version_added: 0.1.0
description:
  - Lists the images in the store, as C(docker images) does, with its filters; or inspects
    named images, as C(docker image inspect) does, including their history (C(docker history)).
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.attributes.info_module
  - strata.containers.common
  - strata.containers.common.registry
options:
  name:
    description:
      - Images to inspect, each a name, a full or short image ID, or C(name@digest).
      - When omitted, every image that passes I(filters) is listed.
      - A name that is not in the store is left out of the result; it is not an error.
    type: list
    elements: str
  filters:
    description:
      - Filters as C(docker images -f), applied when I(name) is omitted.
      - C(dangling) (V(true) or V(false)) keeps images with no tag, or with one.
      - C(before) and C(since) (an image name or ID) keep images created before or after that one.
      - C(reference) keeps images with a name that matches a pattern, where C(*) matches
        within one path component, for example C(busy*) or C(*/app:v*).
      - C(label) (C(key) or C(key=value)) keeps images with that label.
      - A value may be a list; each of its items must match.
    type: dict
    default: {}
  search:
    description:
      - Search a registry for repositories, as C(docker search) does, instead of listing the store.
        C(term) searches Docker Hub; C(host:port/term) searches that registry's catalog for
        repository names containing I(term).
    type: str
  limit:
    description:
      - With I(search), at most this many results.
    type: int
    default: 25
  stars:
    description:
      - With I(search), only repositories with at least this many stars (Docker Hub).
    type: int
    default: 0
  disk_usage:
    description:
      - Also return I(disk_usage), as C(docker system df -v) shows it for images.
    type: bool
    default: false
  verify:
    description:
      - Also re-verify the store and return the I(problems) found. Every layer's files are read
        back and checked against its diff ID, so this takes as long as reading the whole store.
      - Nothing is repaired here; M(strata.containers.layer_prune) with I(repair=true) repairs what it can.
    type: bool
    default: false
seealso:
  - module: strata.containers.image
'''

EXAMPLES = r'''
- name: List every image (docker images)
  strata.containers.image_info:
  register: all_images

- name: Dangling images (docker images -f dangling=true)
  strata.containers.image_info:
    filters:
      dangling: true

- name: Images whose name starts with busy
  strata.containers.image_info:
    filters:
      reference: "busy*"

- name: Inspect one image and show its history
  strata.containers.image_info:
    name: busybox:latest
  register: bb

- ansible.builtin.debug:
    msg: "{{ bb.images[0].history | map(attribute='created_by') | list }}"

- name: Repositories of a private registry whose name contains "web" (docker search)
  strata.containers.image_info:
    search: registry.internal:5000/web
  register: found

- name: How much space images take, shared layers counted once (docker system df -v)
  strata.containers.image_info:
    disk_usage: true
  register: df

- name: Check every layer and record in the store
  strata.containers.image_info:
    verify: true
  register: checked
  failed_when: checked.problems | length > 0
'''

RETURN = r'''
results:
  description: With I(search), the repositories found, each with C(name), C(description), C(stars),
    C(official) and C(automated), most stars first.
  returned: when search is given
  type: list
  elements: dict
disk_usage:
  description: With I(disk_usage), per image its C(size), C(shared_size) (in layers other images use too),
    C(unique_size) and C(containers) (how many use it); and for the store C(total_size) (every layer once),
    C(layers) and C(reclaimable) (layers no container's image needs).
  returned: when disk_usage is true
  type: dict
problems:
  description: With I(verify), what is wrong, each with C(kind) (layer, image, name, link, container,
    leftover), C(what), C(detail) and C(repaired). Empty when the store is sound.
  returned: when verify is true
  type: list
  elements: dict
images:
  description: The images, oldest record first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The image ID, the digest of its config.
      type: str
      sample: sha256:9211bbaa0dbd68fed073065eb9f0a6ed00a75090a9235eca2554c62d1e75c58f
    short_id:
      description: The first 12 hex digits of the ID.
      type: str
    repo_tags:
      description: Its tags, in Docker's short form (C(busybox:latest)).
      type: list
      elements: str
    repo_digests:
      description: The C(name@digest) references it was pulled as.
      type: list
      elements: str
    dangling:
      description: Whether the image has no tag (and no digest pin).
      type: bool
    created:
      description: When the image was created, from its config.
      type: str
    size:
      description: Bytes of its layers, uncompressed.
      type: int
    architecture:
      description: CPU architecture from its config.
      type: str
    os:
      description: Operating system from its config.
      type: str
    variant:
      description: CPU variant from its config, or empty.
      type: str
    config_digest:
      description: The digest of its config (equal to I(id)).
      type: str
    manifest_digest:
      description: The digest of its platform manifest.
      type: str
    manifest_media_type:
      description: The media type of its manifest (OCI or Docker schema 2).
      type: str
    index_digest:
      description: The digest of the multi-platform index it was pulled from, or null.
      type: str
    layers:
      description: The digests of its layer blobs as the registry serves them (compressed).
      type: list
      elements: str
    diff_ids:
      description: The digests of its uncompressed layer tars.
      type: list
      elements: str
    chain_ids:
      description: The chain IDs that name its extracted layers in the store.
      type: list
      elements: str
    labels:
      description: Its labels.
      type: dict
    config:
      description: The whole image config (OCI image-spec).
      type: dict
    history:
      description: One row per build step, newest first, as C(docker history).
      type: list
      elements: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._errors import ImageNotFound
from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run
from ansible_collections.strata.containers.plugins.module_utils.store import integrity


def main():
    module = make_module(registry=True, argument_spec={
        "name": {"type": "list", "elements": "str"},
        "filters": {"type": "dict", "default": {}},
        "search": {"type": "str"},
        "limit": {"type": "int", "default": 25},
        "stars": {"type": "int", "default": 0},
        "disk_usage": {"type": "bool", "default": False},
        "verify": {"type": "bool", "default": False},
    })

    def action():
        engine = engine_for(module, registry=True, read_only=True)
        if module.params["search"]:
            return {"changed": False, "images": [],
                    "results": engine.images.search(module.params["search"], module.params["limit"], module.params["stars"])}
        if module.params["name"]:
            images = []
            for name in module.params["name"]:
                try:
                    images.append(engine.images.inspect_image(name))
                except ImageNotFound:
                    pass
        else:
            images = engine.images.list_images(module.params["filters"])
        result = {"changed": False, "images": images}
        if module.params["disk_usage"]:
            result["disk_usage"] = engine.disk_usage()
        if module.params["verify"]:
            result["problems"] = integrity.check(engine.store)
        return result

    run(module, action)


if __name__ == "__main__":
    main()
