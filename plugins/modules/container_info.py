#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: container_info
short_description: List and inspect containers, as docker ps and docker inspect do
version_added: 0.1.0
description:
  - Without I(name), lists the running containers (C(docker ps)), or all of them with I(all=true)
    (C(docker ps -a)).
  - With I(name), shows that container in full (C(docker inspect)), or reports C(exists=false).
  - Reads only; creates nothing, not even the store.
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.attributes.info_module
  - strata.containers.common
options:
  name:
    description:
      - A container's name, full ID or unique ID prefix.
    type: str
  all:
    description:
      - List stopped and created containers too.
    type: bool
    default: false
  logs:
    description:
      - With I(name), also return the container's output, as C(docker logs) does.
    type: bool
    default: false
seealso:
  - module: strata.containers.container
'''

EXAMPLES = r'''
- name: docker ps -a
  strata.containers.container_info:
    all: true
  register: all_containers

- name: docker inspect web, with its logs
  strata.containers.container_info:
    name: web
    logs: true
  register: web

- name: Show its address and state
  ansible.builtin.debug:
    msg: "{{ web.container.state.status }} at {{ web.container.network.ip_address }}"
'''

RETURN = r'''
exists:
  description: Whether the named container exists.
  returned: when name is given
  type: bool
container:
  description: The named container.
  returned: when name is given and it exists
  type: dict
  contains:
    id: {description: Its full ID., type: str, returned: always}
    name: {description: Its name., type: str, returned: always}
    image: {description: The image name it was created from., type: str, returned: always}
    image_id: {description: The image ID., type: str, returned: always}
    created: {description: "When it was created (UTC, ISO 8601).", type: str, returned: always}
    state:
      description: C(status) (created, running, paused, restarting, exited), C(running), C(paused),
        C(pid), C(exit_code), C(started_at), C(finished_at), C(restart_count), C(oom_killed) (the
        kernel's OOM killer killed a process of its last run, read from cgroup v2's
        C(memory.events); always false on cgroup v1).
      type: dict
      returned: always
    config:
      description: What it runs, C(args), C(env), C(user), C(working_dir), C(hostname), C(labels),
        C(stop_signal), C(stop_timeout).
      type: dict
      returned: always
    host_config:
      description: C(network_mode), C(dns), C(dns_search), C(dns_options), C(extra_hosts), C(restart_policy),
        C(memory), C(cpus), C(pids_limit), C(read_only), C(privileged).
      type: dict
      returned: always
    network:
      description: C(mode), the first network's C(ip_address), C(ipv6_address), C(gateway), C(prefix_len)
        and C(mac_address) (while it runs), C(networks) (by name, the same facts and C(aliases) for
        each network) and C(ports) (C({"80/tcp" [{host_ip, host_port}]}), as Docker's).
      type: dict
      returned: always
    mounts:
      description: C(type), C(source), C(destination), C(rw) of each mount.
      type: list
      elements: dict
      returned: always
    resources:
      description: The limits read back from its cgroup while it runs.
      type: dict
      returned: always
    log_path: {description: Its log file (JSON lines)., type: str, returned: always}
    rootfs: {description: Where its root filesystem is mounted on the host., type: str, returned: always}
logs:
  description: Its output, one C({time, stream, log}) per line.
  returned: when name and logs are given
  type: list
  elements: dict
containers:
  description: The containers, each as I(container) above.
  returned: when name is not given
  type: list
  elements: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerNotFound
from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({
        "name": {"type": "str"},
        "all": {"type": "bool", "default": False},
        "logs": {"type": "bool", "default": False},
    })

    def action():
        service = engine_for(module, read_only=True).containers
        name = module.params["name"]
        if not name:
            return {"changed": False, "containers": service.info(all_containers=module.params["all"])}
        try:
            container = service.info(name)[0]
        except ContainerNotFound:
            return {"changed": False, "exists": False}
        result = {"changed": False, "exists": True, "container": container}
        if module.params["logs"]:
            result["logs"] = service.containers.logs(service.containers.records.find(name))
        return result

    run(module, action)


if __name__ == "__main__":
    main()
