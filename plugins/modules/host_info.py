#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: host_info
short_description: What a host runs containers with and what it holds, as docker info and docker system df show
version_added: 0.3.0
description:
  - Versions (the collection, the OCI runtime, the kernel), the cgroup version, layout and
    controllers, whether the kernel has overlayfs, and counts of the store's images, containers
    and volumes and of the host's networks (C(docker info), community.docker's C(docker_host_info)).
  - On request, the space they take (C(docker system df)) and lists of containers, images,
    networks and volumes.
  - Volumes are counted as the store keeps them, one directory each under C(<root>/volumes).
  - Reads only; a store that does not exist yet counts as empty.
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.attributes.info_module
  - strata.containers.common
author:
  - strata.containers developers (@strata)
options:
  containers:
    description: List the store's containers.
    type: bool
    default: false
  images:
    description: List the store's images.
    type: bool
    default: false
  networks:
    description: List the host's networks.
    type: bool
    default: false
  volumes:
    description: List the store's volumes.
    type: bool
    default: false
  disk_usage:
    description: Measure the space images, containers' writable layers and volumes take (walks them).
    type: bool
    default: false
  verbose_output:
    description: Each listed object in full (as the C(*_info) modules show it) rather than a summary.
    type: bool
    default: false
seealso:
  - module: strata.containers.container_info
  - module: strata.containers.image_info
  - module: strata.containers.network_info
'''

EXAMPLES = r'''
- name: docker info
  strata.containers.host_info:
  register: host

- name: Require cgroup v2 and a recent runtime
  ansible.builtin.assert:
    that:
      - host.host_info.cgroup.version == 'v2'
      - host.host_info.runtime.version is version('1.1.12', '>=')

- name: docker system df, and the running containers
  strata.containers.host_info:
    disk_usage: true
    containers: true
  register: usage
'''

RETURN = r'''
host_info:
  description: What C(docker info) shows.
  returned: always
  type: dict
  contains:
    engine: {description: "C(name), C(version) of the collection, and C(python), the target's Python.", type: dict, returned: always}
    runtime:
      description: C(name), C(path) and C(version) of the OCI runtime (runc, else crun); C(error) when there is none.
      type: dict
      returned: always
    kernel:
      description: C(release), C(version), C(architecture), C(operating_system) and C(cpus).
      type: dict
      returned: always
    cgroup:
      description: C(version) (C(v1) or C(v2)), C(layout) (C(unified), C(hybrid) or C(legacy)),
        C(driver) and the enabled C(controllers).
      type: dict
      returned: always
    storage:
      description: C(driver) (C(overlay)), C(root), C(overlay_supported) and C(store_exists).
      type: dict
      returned: always
    containers: {description: How many containers the store has., type: int, returned: always}
    containers_running: {description: How many run (or restart)., type: int, returned: always}
    containers_paused: {description: How many are paused., type: int, returned: always}
    containers_stopped: {description: How many are created or exited., type: int, returned: always}
    images: {description: How many images the store has., type: int, returned: always}
    volumes: {description: How many volumes the store has., type: int, returned: always}
    networks: {description: How many networks the host has (C(default) included)., type: int, returned: always}
disk_usage:
  description: C(images) (C(count), C(size), C(reclaimable)), C(containers) and C(volumes) (C(count), C(size)), in bytes.
  returned: when I(disk_usage) is true
  type: dict
containers:
  description: The containers, each C(id), C(name), C(image) and C(status) (in full with I(verbose_output)).
  returned: when I(containers) is true
  type: list
  elements: dict
images:
  description: The images, each C(id), C(repo_tags), C(size) and C(created) (in full with I(verbose_output)).
  returned: when I(images) is true
  type: list
  elements: dict
networks:
  description: The networks, each C(name), C(id) and C(driver) (in full with I(verbose_output)).
  returned: when I(networks) is true
  type: list
  elements: dict
volumes:
  description: The volumes, each C(name) and C(mountpoint).
  returned: when I(volumes) is true
  type: list
  elements: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run

SUMMARY = {"containers": ("id", "name", "image", "status"), "images": ("id", "repo_tags", "size", "created"),
           "networks": ("name", "id", "driver")}


def main():
    module = make_module({
        "containers": {"type": "bool", "default": False},
        "images": {"type": "bool", "default": False},
        "networks": {"type": "bool", "default": False},
        "volumes": {"type": "bool", "default": False},
        "disk_usage": {"type": "bool", "default": False},
        "verbose_output": {"type": "bool", "default": False},
    })

    def action():
        from ansible_collections.strata.containers.plugins.module_utils.system import host_info
        params = module.params
        engine = engine_for(module, read_only=True)
        result = {"changed": False, "host_info": host_info.report(engine)}
        if params["disk_usage"]:
            result["disk_usage"] = host_info.disk_usage(engine)
        lists = {"containers": lambda: [dict(c, status=c["state"]["status"]) for c in engine.containers.info()],
                 "images": lambda: engine.images.list_images() if engine.store.exists else [],
                 "networks": engine.networks.info}
        for kind, listing in lists.items():
            if params[kind]:
                items = listing()
                result[kind] = items if params["verbose_output"] else [
                    {k: i.get(k) for k in SUMMARY[kind]} for i in items]
        if params["volumes"]:
            result["volumes"] = [{"name": n, "mountpoint": "%s/volumes/%s/_data" % (engine.store.root, n)}
                                 for n in host_info.volume_names(engine.store.root)]
        return result

    run(module, action)


if __name__ == "__main__":
    main()
