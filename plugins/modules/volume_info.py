#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: volume_info
short_description: List and inspect volumes, as docker volume ls and inspect do
version_added: 0.3.0
description:
  - Without I(name), lists the store's volumes (C(docker volume ls)), each as C(docker volume inspect) shows it.
  - With I(name), shows that volume, or reports C(exists=false).
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
      - A volume's name.
    type: str
requirements:
  - Python 3.9 or newer on the target host.
seealso:
  - module: strata.containers.volume
'''

EXAMPLES = r'''
- name: docker volume ls
  strata.containers.volume_info:
  register: all_volumes

- name: docker volume inspect pgdata
  strata.containers.volume_info:
    name: pgdata
  register: pgdata

- name: Where its files are on the host
  ansible.builtin.debug:
    msg: "{{ pgdata.volumes[0].Mountpoint }}"
  when: pgdata.exists
'''

RETURN = r'''
exists:
  description: Whether the named volume exists.
  returned: when name is given
  type: bool
volumes:
  description: The volumes (one when I(name) is given and it exists), in C(docker volume inspect)'s shape.
  returned: always
  type: list
  elements: dict
  contains:
    Name: {description: Its name., type: str, returned: always}
    Driver: {description: C(local)., type: str, returned: always}
    Mountpoint: {description: Its directory on the host., type: str, returned: always}
    Labels: {description: "Its labels (C(com.docker.volume.anonymous) on an anonymous one).", type: dict, returned: always}
    Options: {description: "Its driver options (C(type), C(device), C(o)).", type: dict, returned: always}
    CreatedAt: {description: "When it was created (UTC, ISO 8601).", type: str, returned: always}
    Scope: {description: C(local)., type: str, returned: always}
    UsedBy: {description: Names of the store's containers that use it., type: list, elements: str, returned: always}
'''

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({"name": {"type": "str"}})

    def action():
        from ansible_collections.strata.containers.plugins.module_utils._errors import VolumeNotFound
        service = engine_for(module, read_only=True).volumes
        name = module.params["name"]
        if not name:
            return {"changed": False, "volumes": _with_users(service, service.info())}
        try:
            return {"changed": False, "exists": True, "volumes": _with_users(service, service.info(name))}
        except VolumeNotFound:
            return {"changed": False, "exists": False, "volumes": []}

    run(module, action)


def _with_users(service, views):
    return [dict(view, UsedBy=service.users(view["Name"])) for view in views]


if __name__ == "__main__":
    main()
