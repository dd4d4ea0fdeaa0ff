#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: network_info
short_description: List and inspect container networks, as docker network ls and inspect do
version_added: 0.2.0
description:
  - Without I(name), lists the host's networks, C(default) first (C(docker network ls)).
  - With I(name), shows that network (C(docker network inspect)), or reports C(exists=false).
  - Networks are the host's; the containers shown may belong to any store root. I(root) is
    accepted (for C(module_defaults)) and not used.
  - Reads only.
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.attributes.info_module
  - strata.containers.common
author:
  - strata.containers developers (@strata)
options:
  name:
    description:
      - A network's name. C(bridge) is another name of C(default).
    type: str
requirements:
  - Python 3.9 or newer on the target host.
seealso:
  - module: strata.containers.network
'''

EXAMPLES = r'''
- name: docker network ls
  strata.containers.network_info:
  register: all_networks

- name: docker network inspect app
  strata.containers.network_info:
    name: app
  register: app

- name: Who is on it
  ansible.builtin.debug:
    msg: "{{ app.networks[0].containers | dict2items | map(attribute='value.name') | list }}"
'''

RETURN = r'''
exists:
  description: Whether the named network exists.
  returned: when name is given
  type: bool
networks:
  description: The networks (one when I(name) is given and it exists).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Its name., type: str, returned: always}
    id: {description: Its ID (64 hexadecimal digits)., type: str, returned: always}
    driver: {description: C(bridge)., type: str, returned: always}
    bridge: {description: The host's bridge device., type: str, returned: always}
    subnets:
      description: C(subnet), C(gateway) and C(ip_range) (when set) of each address family.
      type: list
      elements: dict
      returned: always
    internal: {description: No traffic out of the network., type: bool, returned: always}
    enable_ipv6: {description: Whether containers get IPv6 addresses., type: bool, returned: always}
    dns: {description: Whether its containers resolve each other by name., type: bool, returned: always}
    labels: {description: Its labels., type: dict, returned: always}
    created: {description: "When it was created (UTC, ISO 8601); null for C(default).", type: str, returned: always}
    builtin: {description: Whether it is the built-in C(default) network., type: bool, returned: always}
    containers:
      description: By container ID, the containers of any store root configured for it, with
        C(name), C(root), C(aliases), C(running), C(ipv4_address) and C(ipv6_address) (while running).
      type: dict
      returned: always
'''

from ansible_collections.strata.containers.plugins.module_utils._module import make_module, run


def main():
    module = make_module({"name": {"type": "str"}})

    def action():
        from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError
        from ansible_collections.strata.containers.plugins.module_utils.networks.service import NetworkService
        service = NetworkService(check_mode=True)
        name = module.params["name"]
        if not name:
            return {"changed": False, "networks": service.info()}
        try:
            return {"changed": False, "exists": True, "networks": service.info(name)}
        except ContainerError:
            return {"changed": False, "exists": False, "networks": []}

    run(module, action)


if __name__ == "__main__":
    main()
