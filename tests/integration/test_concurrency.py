# -*- coding: utf-8 -*-
"""Eight ansible-playbook runs at once on one store root, pulling overlapping images (the
gzip and zstd variants of one image share every layer) and running containers on the bridge
and without a network: all succeed, each layer is extracted once, nothing is corrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_runner import _env

from ansible_collections.strata.containers.plugins.module_utils.store import integrity
from ansible_collections.strata.containers.plugins.module_utils.store.store import Store


RUNS = 8
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - strata.containers.image: {name: "{{ first }}", root: "{{ root }}"}
      register: one
    - strata.containers.image: {name: "{{ second }}", root: "{{ root }}"}
      register: two
    - strata.containers.container:
        name: "worker{{ n }}"
        image: "{{ first }}"
        root: "{{ root }}"
        network_mode: "{{ network }}"
        command: [sleep, "1000"]
        stop_timeout: 0
    - strata.containers.container_exec:
        container: "worker{{ n }}"
        root: "{{ root }}"
        command: ls /etc
      register: listed
    - strata.containers.container: {name: "worker{{ n }}", root: "{{ root }}", state: absent}
    - ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'extracted': (one.extracted | default([])) + (two.extracted | default([])),
                     'listed': listed.stdout} | to_json }}"
"""


def test_eight_playbooks_at_once_on_one_store(registry, container_root, tmp_path):
    playbook = tmp_path / "worker.yml"
    playbook.write_text(PLAYBOOK)
    images = [registry.images["multi"], registry.images["multi_zstd"], registry.images["multi_v2s2"]]
    procs = []
    for n in range(RUNS):
        extra = {"root": container_root, "n": n, "first": images[n % 3], "second": images[(n + 1) % 3],
                 "network": "bridge" if n % 2 else "none", "out": str(tmp_path / ("out%d.json" % n))}
        procs.append(subprocess.Popen(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                                       "ansible_python_interpreter=%s" % sys.executable, "-e", json.dumps(extra),
                                       str(playbook)], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    outputs = [proc.communicate(timeout=900)[0] for proc in procs]
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output
    extracted = []
    for n in range(RUNS):
        with open(tmp_path / ("out%d.json" % n)) as f:
            result = json.load(f)
        assert "passwd" in result["listed"]
        extracted += result["extracted"]
    store = Store(container_root)
    assert sorted(extracted) == sorted(set(extracted))  # no layer twice
    assert set(extracted) == set(store.layers.all())  # and every layer by one of them
    assert integrity.check(store) == []
    assert not os.listdir(os.path.join(container_root, "containers"))
