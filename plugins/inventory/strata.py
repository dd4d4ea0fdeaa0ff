# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The containers of strata stores on some hosts, as Ansible hosts."""

from __future__ import annotations

DOCUMENTATION = r'''
name: strata
short_description: The containers of strata stores on container hosts, as inventory hosts
version_added: 0.3.0
description:
  - Lists the containers of the strata store on each container host given, over SSH (or on the
    controller itself), and adds each as an inventory host reached with the
    C(strata.containers.strata) connection through that host's SSH connection, so a play can
    target containers running on remote hosts, as C(community.docker.docker_containers) does
    for Docker.
  - The collection's engine goes to each host once as a zip (see the connection plugin's
    I(container_host)); the host needs Python 3.9+ with the engine's packages, as the
    C(strata.containers.host) role installs them.
  - "Each container is named by I(name_format) and put in groups: C(strata_host_<host>),
    C(strata_state_<state>), C(strata_image_<image>) and C(strata_label_<key>_<value>) for each
    label (names made safe for Ansible); I(keyed_groups), I(groups) and I(compose) add more."
  - "Host variables: C(strata_container) (C(id), C(name), C(image), C(state), C(labels), C(ip_address),
    C(ports)), C(strata_container_host), and the connection's own
    (C(ansible_connection), C(ansible_strata_container), C(ansible_strata_root),
    C(ansible_strata_container_host))."
  - The file's name must end with C(strata.yml) or C(strata.yaml).
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [strata.containers.strata]
  hosts:
    description:
      - "The container hosts. Each is a dict with C(name) (used in host and group names) and
        optionally C(address) (default the name), C(local) (true for the controller itself, with
        no SSH), C(root), and any of the SSH keys below to override them for that host."
    type: list
    elements: dict
    required: true
  root:
    description: The store's root directory on the hosts.
    type: path
    default: /var/lib/strata
  port:
    description: SSH port.
    type: int
  user:
    description: SSH user (root, or one with C(sudo) and I(become)).
    type: str
  private_key_file:
    description: SSH private key.
    type: path
  ssh_args:
    description: Extra C(ssh) arguments, one string.
    type: str
  python:
    description: The Python that runs the engine on the hosts.
    type: str
    default: python3
  become:
    description: Run the engine on the hosts with C(sudo -n).
    type: bool
    default: false
  agent_dir:
    description: Where the engine's zip goes on the hosts, relative to the SSH user's home.
    type: str
    default: .ansible/strata
  control_path_dir:
    description: The directory of the SSH control sockets on the controller.
    type: path
    default: ~/.ansible/cp
  all:
    description: Also the containers that are not running (by default, as C(docker ps), only the running ones).
    type: bool
    default: false
  name_format:
    description:
      - The inventory name of a container, a Python format string with C({host}), C({name}) and
        C({id}) (its short ID).
      - Names must be unique across hosts; the same container name on two hosts needs C({host}).
    type: str
    default: "{host}-{name}"
'''

EXAMPLES = r'''
# fleet.strata.yml
plugin: strata.containers.strata
hosts:
  - name: node1
    address: 192.0.2.10
  - name: node2
    address: 192.0.2.11
user: root
keyed_groups:
  - key: strata_container.labels.app | default('none')
    prefix: app

# then: ansible -i fleet.strata.yml strata_state_running -m ansible.builtin.command -a uptime
'''

import json

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.strata.containers.plugins.module_utils._errors import EngineError
from ansible_collections.strata.containers.plugins.module_utils.cli.agent import list_containers
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.plugin_utils.container_host import ContainerHost

CONNECTION = "strata.containers.strata"
SSH_KEYS = ("port", "user", "private_key_file", "ssh_args", "python", "become", "agent_dir", "control_path_dir")
HOST_KEYS = ("name", "address", "local", "root") + SSH_KEYS


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "strata.containers.strata"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("strata.yml", "strata.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        for spec in self.get_option("hosts"):
            host = self._host_settings(spec)
            for container in self._containers(host):
                if self.get_option("all") or container["State"]["Status"] == "running":
                    self._add(host, container)

    def _host_settings(self, spec):
        if not isinstance(spec, dict) or not spec.get("name"):
            raise AnsibleParserError("each entry of hosts needs a name, not %r" % (spec,))
        unknown = sorted(set(spec) - set(HOST_KEYS))
        if unknown:
            raise AnsibleParserError("host %s: unknown keys %s (known: %s)" % (spec["name"], ", ".join(unknown), ", ".join(HOST_KEYS)))
        settings = {"name": spec["name"], "local": bool(spec.get("local")), "root": spec.get("root") or self.get_option("root")}
        if not settings["local"]:
            ssh = {key: spec.get(key, self.get_option(key)) for key in SSH_KEYS}
            settings["ssh"] = dict({k: v for k, v in ssh.items() if v not in (None, "")}, address=spec.get("address") or spec["name"])
        return settings

    def _containers(self, host):
        if host["local"]:
            try:
                return list_containers(Engine(host["root"], read_only=True))
            except EngineError as exc:
                raise AnsibleError("host %s: %s" % (host["name"], exc)) from exc
        try:
            rc, out, err = ContainerHost(dict(host["ssh"], root=host["root"])).agent(["list"])
        except AnsibleConnectionFailure as exc:
            raise AnsibleError("host %s: %s" % (host["name"], exc)) from exc
        if rc != 0:
            raise AnsibleError("host %s: listing its containers failed: %s" % (host["name"], err.decode("utf-8", "replace").strip()))
        return json.loads(out)

    def _add(self, host, container):
        name = container["Name"].lstrip("/")
        inventory_name = self.get_option("name_format").format(host=host["name"], name=name, id=container["Id"][:12])
        if inventory_name in self.inventory.hosts:
            raise AnsibleParserError("two containers are named %s in the inventory: set name_format (e.g. '{host}-{name}')" % inventory_name)
        self.inventory.add_host(inventory_name)
        state = container["State"]["Status"]
        labels = container["Config"].get("Labels") or {}
        facts = {"id": container["Id"], "name": name, "image": container["Config"].get("Image") or container["Image"],
                 "state": state, "labels": labels, "ip_address": container["NetworkSettings"].get("IPAddress") or "",
                 "ports": container["NetworkSettings"].get("Ports") or {}}
        # What the hosts report (names, labels) is never templated: a label is not code.
        variables = {"strata_container": wrap_var(facts), "strata_container_host": host["name"],
                     "ansible_connection": CONNECTION, "ansible_strata_container": name,
                     "ansible_strata_root": host["root"]}
        if not host["local"]:
            variables["ansible_strata_container_host"] = host["ssh"]
        for key, value in variables.items():
            self.inventory.set_variable(inventory_name, key, value)
        groups = ["strata_host_%s" % host["name"], "strata_state_%s" % state, "strata_image_%s" % facts["image"]]
        groups += ["strata_label_%s_%s" % (k, v) for k, v in sorted(labels.items())]
        for group in groups:
            safe = to_safe_group_name(group, force=True, silent=True)
            self.inventory.add_group(safe)
            self.inventory.add_child(safe, inventory_name)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), variables, inventory_name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, inventory_name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, inventory_name, strict=strict)
