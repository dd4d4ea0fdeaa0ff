#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: layer_prune
short_description: Remove unused images, stopped containers, build cache and unreferenced layers
version_added: 0.1.0
description:
  - Removes dangling images (no tag, no digest name), as C(docker image prune) does; with
    I(all=true) every image no container uses, as C(docker image prune -a).
  - With I(containers=true) also stopped containers (C(docker container prune)), first, so that
    their images can go too; with I(build_cache=true) the build cache (C(docker builder prune)).
  - Then every layer and blob that no remaining image (or build cache entry) references.
  - Never removes an image a container uses, and leaves a layer that a running pull or build
    holds for the next prune.
  - Reports what it removed and the bytes freed on disk (each file counted once, as C(du) counts).
    In check mode it lists what would go and removes nothing.
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
options:
  all:
    description:
      - Remove every image no container uses, tags and all, not only dangling ones.
    type: bool
    default: false
  containers:
    description:
      - Remove stopped (exited or never started) containers first.
    type: bool
    default: false
  build_cache:
    description:
      - Remove the build cache (and with it the layers only the cache kept).
    type: bool
    default: false
  volumes:
    description:
      - Also remove every volume no container of the store uses (C(docker volume prune); as
        podman and Docker before 23.0, named volumes too), after the containers, so that the
        volumes of the containers removed go as well. I(filters) apply to them too.
    type: bool
    default: false
    version_added: 0.3.0
  filters:
    description:
      - C(until) (a duration such as C(24h), or a time such as C(2026-11-25T10:00:00Z)) keeps what
        was created after it.
      - C(label) (C(key) or C(key=value); C(!key) or C(!key=value) for Docker's C(label!=)) removes only
        what has (or has not) that label. A list must all match.
    type: dict
    default: {}
  repair:
    description:
      - Re-verify the store first and repair what can be repaired (short links, names of missing
        images, work directories of dead processes); return the I(problems) found.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
seealso:
  - module: strata.containers.image_info
'''

EXAMPLES = r'''
- name: Remove dangling images and what only they used (docker image prune)
  strata.containers.layer_prune:

- name: Stopped containers, then every unused image older than a week, then the build cache
  strata.containers.layer_prune:
    containers: true
    all: true
    build_cache: true
    filters:
      until: 168h

- name: Stopped containers and the volumes nothing uses any more (docker container prune + volume prune)
  strata.containers.layer_prune:
    containers: true
    volumes: true
'''

RETURN = r'''
containers:
  description: Names of the containers removed.
  returned: always
  type: list
  elements: str
images:
  description: IDs of the images removed.
  returned: always
  type: list
  elements: str
layers:
  description: Chain IDs of the layers removed.
  returned: always
  type: list
  elements: str
blobs:
  description: Digests of the blobs (configs, manifests) removed.
  returned: always
  type: list
  elements: str
volumes:
  description: Names of the volumes removed.
  returned: always
  type: list
  elements: str
  version_added: 0.3.0
build_cache:
  description: How many build cache entries were removed.
  returned: always
  type: int
space_reclaimed:
  description: Bytes freed on disk.
  returned: always
  type: int
actions:
  description: What was done, one line per thing removed.
  returned: always
  type: list
  elements: str
problems:
  description: With I(repair), what the check found (see M(strata.containers.image_info)'s I(verify)).
  returned: when repair is true
  type: list
  elements: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run
from ansible_collections.strata.containers.plugins.module_utils.store import integrity


def main():
    module = make_module({
        "all": {"type": "bool", "default": False},
        "containers": {"type": "bool", "default": False},
        "build_cache": {"type": "bool", "default": False},
        "volumes": {"type": "bool", "default": False},
        "filters": {"type": "dict", "default": {}},
        "repair": {"type": "bool", "default": False},
    })

    def action():
        params = module.params
        engine = engine_for(module)
        problems = None
        if params["repair"]:
            problems = integrity.check(engine.store, repair=not module.check_mode)
        result = engine.pruner.prune(params["all"], params["containers"], params["build_cache"], params["filters"],
                                     volumes=params["volumes"])
        if problems is not None:
            result["problems"] = problems
            result["changed"] = result["changed"] or any(p["repaired"] for p in problems)
        return result

    run(module, action)


if __name__ == "__main__":
    main()
