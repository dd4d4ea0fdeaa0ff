# -*- coding: utf-8 -*-
"""The inventory plugin strata.containers.strata on two fleet hosts (network namespaces with
their own sshd and store, see fleet.py): it lists the running containers of both over SSH as
inventory hosts, grouped by host, state, image and label, and a play runs ``command`` and
``copy`` in each of them through the connection plugin over the host's SSH connection."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import fleet as fleet_lib

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine

pytestmark = [pytest.mark.skipif(not os.path.exists("/usr/sbin/sshd"), reason="needs openssh-server (tests/setup.sh)")]

DEPLOY = """
- name: A python container labelled role=web on each host, and a stopped one on fleet1
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Run the web container
      strata.containers.container:
        name: app
        image: "{{ fleet_registry }}/test/python:latest"
        insecure_registries: ["{{ fleet_registry }}"]
        command: [sleep, "3600"]
        network_mode: none
        labels: {role: web}
        stop_timeout: 1
        root: "{{ strata_root }}"
    - name: Create one that is not running
      strata.containers.container:
        name: parked
        image: "{{ fleet_registry }}/test/python:latest"
        command: [sleep, "3600"]
        network_mode: none
        state: created
        root: "{{ strata_root }}"
      when: inventory_hostname == 'fleet1'
"""

IN_CONTAINERS = """
- name: Tasks inside the containers the inventory found
  hosts: role_web
  gather_facts: false
  tasks:
    - name: A command
      ansible.builtin.command: cat /etc/os-release
      register: release
      changed_when: false
    - name: A file, written by a module
      ansible.builtin.copy:
        content: "{{ inventory_hostname }} {{ release.stdout_lines | length }}\\n"
        dest: /tmp/marker
        mode: "0600"
"""


@pytest.fixture(scope="module")
def fleet(registry):
    with fleet_lib.running(registry.data_dir, hosts=2, isolated=0) as made:
        yield made


def _inventory(fleet, **extra):
    config = {"plugin": "strata.containers.strata",
              "hosts": [{"name": h.name, "address": h.addr, "root": h.root} for h in fleet.hosts],
              "user": "root", "private_key_file": fleet.client_key,
              "ssh_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR",
              "python": sys.executable, "agent_dir": os.path.join(fleet.workdir, "agent"),
              "control_path_dir": fleet.control_dir,
              "keyed_groups": [{"key": "strata_container.labels.role | default('none')", "prefix": "role"}],
              "compose": {"ansible_python_interpreter": "'/usr/bin/python3'"}}
    config.update(extra)
    path = os.path.join(fleet.workdir, "containers.strata.yml")
    with open(path, "w") as handle:
        json.dump(config, handle)  # JSON is YAML
    return path


def _plain(value):
    """ansible-inventory's JSON with its untrusted-string markers removed (what the plugin got
    from the hosts is marked unsafe: never templated)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _ansible(fleet, argv):
    return subprocess.run(argv, env=fleet.env(), capture_output=True, text=True, timeout=600, check=False)


def test_inventory_lists_and_reaches_containers_on_two_hosts(fleet, tmp_path):
    deploy = tmp_path / "deploy.yml"
    deploy.write_text(DEPLOY)
    run = fleet.playbook(str(deploy), limit="fleet")
    assert run.rc == 0, run

    inventory = _inventory(fleet)
    listed = _ansible(fleet, ["ansible-inventory", "-i", inventory, "--list"])
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert sorted(data["role_web"]["hosts"]) == ["fleet1-app", "fleet2-app"]
    assert data["strata_host_fleet1"]["hosts"] == ["fleet1-app"]  # parked is not running: left out
    assert sorted(data["strata_state_running"]["hosts"]) == ["fleet1-app", "fleet2-app"]
    assert sorted(data["strata_label_role_web"]["hosts"]) == ["fleet1-app", "fleet2-app"]
    app = data["_meta"]["hostvars"]["fleet2-app"]
    assert app["strata_container"]["labels"]["role"] == {"__ansible_unsafe": "web"}
    app = _plain(app)
    assert app["strata_container"]["name"] == "app" and app["strata_container"]["state"] == "running"
    assert app["ansible_strata_container_host"]["address"] == fleet.host("fleet2").addr
    assert app["ansible_connection"] == "strata.containers.strata"

    everything = json.loads(_ansible(fleet, ["ansible-inventory", "-i", _inventory(fleet, all=True), "--list"]).stdout)
    assert everything["strata_state_created"]["hosts"] == ["fleet1-parked"]

    play = tmp_path / "inside.yml"
    play.write_text(IN_CONTAINERS)
    run = _ansible(fleet, ["ansible-playbook", "-i", _inventory(fleet), str(play)])
    assert run.returncode == 0, run.stdout + run.stderr
    for host in ("fleet1", "fleet2"):
        service = Engine(fleet.host(host).root, read_only=True).containers
        code, out, dummy = service.exec("app", ["cat", "/tmp/marker"])
        assert code == 0
        assert out.split()[0] == "%s-app" % host  # written in this host's container, by its own name
        assert int(out.split()[1]) > 1            # the command's output reached the controller


def test_unreachable_host_and_bad_config_are_named(fleet):
    bad = _inventory(fleet, hosts=[{"name": "nowhere", "address": "127.0.0.1", "port": 1}])
    listed = _ansible(fleet, ["ansible-inventory", "-i", bad, "--list"])
    assert "nowhere" in listed.stderr and "127.0.0.1" in listed.stderr
    unknown = _inventory(fleet, hosts=[{"name": "fleet1", "adress": "x"}])
    listed = _ansible(fleet, ["ansible-inventory", "-i", unknown, "--list"])
    assert "unknown keys adress" in listed.stderr
