#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: network
short_description: Create and remove container networks, as docker network create and rm do
version_added: 0.2.0
description:
  - Makes sure a bridge network exists with the given settings, or does not exist, the way
    C(docker network create) and C(docker network rm) do. Containers join it with the
    I(networks) option of M(strata.containers.container).
  - Networks belong to the host, not to a store root; every root on the host sees the same
    networks, addresses and published ports. Definitions are kept in C(/etc/strata/networks).
    I(root) is accepted (so that C(module_defaults) can set it for the whole collection) and not used.
  - The network stack is podman's C(netavark) (bridge, addresses, outbound masquerade, port
    forwarding by DNAT) with C(aardvark-dns) for names between containers; the bridge and its
    firewall rules appear when the first container starts and go with the last.
  - A network C(default) (Docker's C(bridge)) always exists, on the bridge C(strata0) with the
    subnet 172.30.0.0/16 and no names between containers; it cannot be changed or removed.
  - A network in use by a container of any root cannot be removed, and its addresses cannot
    change, unless I(force=true). Labels change in place.
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
author:
  - strata.containers developers (@strata)
options:
  name:
    description:
      - The network's name, C([a-zA-Z0-9][a-zA-Z0-9_.-]*).
    type: str
    required: true
  state:
    description:
      - C(present) makes sure it exists with these settings; C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description:
      - The network driver; only C(bridge).
    type: str
    choices: [bridge]
    default: bridge
  subnet:
    description:
      - The IPv4 subnet, as C(10.90.5.0/24). Without it the first free C(/24) of 10.90.0.0/16 is
        chosen. A subnet that overlaps another network's or a route of the host is refused.
    type: str
  gateway:
    description:
      - The bridge's address in I(subnet); by default its first host address.
    type: str
  ip_range:
    description:
      - The part of I(subnet) from which containers get addresses, as C(10.90.5.128/25).
    type: str
  internal:
    description:
      - No traffic out of the network (no masquerade, no route beyond the bridge).
    type: bool
  enable_ipv6:
    description:
      - Give containers IPv6 addresses from I(ipv6_subnet) too.
    type: bool
  ipv6_subnet:
    description:
      - The IPv6 subnet, as C(fd00:90:5::/64). Needs I(enable_ipv6).
    type: str
  ipv6_gateway:
    description:
      - The bridge's IPv6 address in I(ipv6_subnet); by default its first address.
    type: str
  dns:
    description:
      - Containers of this network resolve each other by name and by alias (C(aardvark-dns)
        on the gateway address). Default C(true) for a new network.
    type: bool
  labels:
    description:
      - Labels of the network; they change in place.
    type: dict
  force:
    description:
      - Remove (or change the addresses of) a network even while containers use it. Their
        wiring on it is torn down; they keep running without it, and fail to start until the
        network exists again.
    type: bool
    default: false
requirements:
  - Python 3.9 or newer on the target host, with pyroute2.
  - C(netavark), C(aardvark-dns) and C(iptables) on the target host (the C(strata.containers.host) role installs them).
  - Linux, run as root.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: strata.containers.network_info
  - module: strata.containers.container
'''

EXAMPLES = r'''
- name: A network for an app, with names between its containers
  strata.containers.network:
    name: app
    subnet: 10.90.5.0/24

- name: A back-end network that cannot reach the outside
  strata.containers.network:
    name: backend
    internal: true

- name: The web front end on it, reaching the API as http://api/
  strata.containers.container:
    name: web
    image: registry.internal:5000/web:1.0
    networks:
      - name: app
    published_ports:
      - "127.0.0.1:8080:80"

- name: Remove it
  strata.containers.network:
    name: app
    state: absent
'''

RETURN = r'''
network:
  description: The network as M(strata.containers.network_info) shows it. Empty when absent.
  returned: always
  type: dict
  sample:
    name: app
    id: 3f7bde29ab491...
    driver: bridge
    bridge: strata1
    subnets: [{subnet: 10.90.5.0/24, gateway: 10.90.5.1}]
    internal: false
    enable_ipv6: false
    dns: true
    labels: {}
    containers: {}
actions:
  description: What was done (or, in check mode, would be done), such as C(create network app).
  returned: always
  type: list
  elements: str
diff:
  description: The network's settings before and after.
  returned: when diff mode is on
  type: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._module import make_module, run

SETTINGS = ("subnet", "gateway", "ip_range", "internal", "enable_ipv6", "ipv6_subnet", "ipv6_gateway", "dns", "labels")


def main():
    module = make_module({
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "driver": {"type": "str", "choices": ["bridge"], "default": "bridge"},
        "subnet": {"type": "str"},
        "gateway": {"type": "str"},
        "ip_range": {"type": "str"},
        "internal": {"type": "bool"},
        "enable_ipv6": {"type": "bool"},
        "ipv6_subnet": {"type": "str"},
        "ipv6_gateway": {"type": "str"},
        "dns": {"type": "bool"},
        "labels": {"type": "dict"},
        "force": {"type": "bool", "default": False},
    })

    def action():
        from ansible_collections.strata.containers.plugins.module_utils.networks.service import NetworkService
        params = module.params
        service = NetworkService(check_mode=module.check_mode)
        result = service.ensure(params["name"], state=params["state"], force=params["force"],
                                **{k: params[k] for k in SETTINGS})
        return result

    run(module, action)


if __name__ == "__main__":
    main()
