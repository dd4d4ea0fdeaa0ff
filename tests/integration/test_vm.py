# -*- coding: utf-8 -*-
"""A real host: the test VM (tests/rig/vm: Debian 12, systemd as PID 1, cgroup v2 only),
driven as a user drives one, ansible-playbook over SSH with the guest's /usr/bin/python3.

One deployment for the module (the VM is slow: software emulation): roles/host, then the
containers; the tests read the guest's cgroup files and container_info, reboot the guest and
run the playbook again. Images come from the session's registry, which the guest reaches as
10.0.2.2 (QEMU's name for the host's loopback)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time

import pytest
from ansible_runner import _env
from rig.vm import HOST_FROM_GUEST

MIB = 1024 * 1024
PORT = 18080  # published by "web" on the guest's 127.0.0.1
SITE = """
- hosts: vm
  gather_facts: false
  vars:
    image: "{reg}/test/busybox:latest"
    insecure: ["{reg}"]
  roles:
    - role: strata.containers.host
      vars:
        strata_apt_update_cache: false   # everything is preinstalled; the guest has no mirror
  tasks:
    - name: A container with limits
      strata.containers.container:
        name: limits
        image: "{{{{ image }}}}"
        insecure_registries: "{{{{ insecure }}}}"
        command: [sleep, "1000000"]
        network_mode: host
        memory: 64m
        cpus: 0.5
        pids_limit: 32
        restart_policy: unless-stopped
    - name: A web server that comes back after a reboot
      strata.containers.container:
        name: web
        image: "{{{{ image }}}}"
        insecure_registries: "{{{{ insecure }}}}"
        command: [httpd, -f, -p, "80", -h, /var/www]
        published_ports: ["127.0.0.1:{port}:80"]
        restart_policy: always
    - name: One that comes back unless stopped
      strata.containers.container:
        name: keeper
        image: "{{{{ image }}}}"
        insecure_registries: "{{{{ insecure }}}}"
        command: [sleep, "1000000"]
        network_mode: host
        restart_policy: unless-stopped
    - name: One that stays stopped
      strata.containers.container:
        name: idle
        image: "{{{{ image }}}}"
        insecure_registries: "{{{{ insecure }}}}"
        command: [sleep, "1000000"]
        network_mode: host
        restart_policy: always
        state: stopped
"""
PROBES = """
- hosts: vm
  gather_facts: false
  vars:
    image: "{reg}/test/busybox:latest"
    insecure: ["{reg}"]
  tasks:
    - name: Limits under crun
      strata.containers.container:
        name: crun-limits
        image: "{{{{ image }}}}"
        insecure_registries: "{{{{ insecure }}}}"
        runtime: crun
        command: [sleep, "1000000"]
        network_mode: host
        memory: 32m
        cpus: 0.25
        pids_limit: 16
    - name: A ticking counter
      strata.containers.container:
        name: counter
        image: "{{{{ image }}}}"
        insecure_registries: "{{{{ insecure }}}}"
        command: [sh, -c, "i=0; while true; do i=$((i+1)); echo $i > /count; sleep 1; done"]
        network_mode: host
    - name: One that allocates past its memory
      strata.containers.container:
        name: hog
        image: "{{{{ image }}}}"
        insecure_registries: "{{{{ insecure }}}}"
        command: [sh, -c, "sleep 5; exec dd if=/dev/zero of=/dev/null bs=100M count=1"]
        network_mode: host
        memory: 64m
    - name: A fork bomb in the limited container
      strata.containers.container_exec:
        container: limits
        argv: [sh, -c, 'for i in $(seq 60); do sleep 600 </dev/null >/dev/null 2>&1 & done 2>/dev/null']
      # once the limit is reached the shell cannot fork either: its own status is not the point
      failed_when: false
"""
INFO = """
- hosts: vm
  gather_facts: false
  tasks:
    - name: Every container
      strata.containers.container_info:
        all: true
      register: info
    - name: Keep them
      ansible.builtin.copy:
        content: "{{{{ info.containers | to_json }}}}"
        dest: "{out}/info.json"
        mode: "0600"
      delegate_to: localhost
"""


class Guest:
    """The deployed VM: its playbooks, ansible-playbook runs and reads of its files."""

    def __init__(self, vm, work, registry_addr):
        self.vm = vm
        self.work = work
        port = registry_addr.rsplit(":", 1)[1]
        values = {"reg": "%s:%s" % (HOST_FROM_GUEST, port), "port": PORT, "out": work}
        for name, text in (("site", SITE), ("probes", PROBES), ("info", INFO)):
            with open(os.path.join(work, name + ".yml"), "w") as handle:
                handle.write(text.format(**values))
        self.inventory = vm.inventory(os.path.join(work, "inventory.json"))

    def play(self, name, timeout=1800):
        """ansible-playbook NAME.yml against the VM; (recap dict, output). Fails on a failed task."""
        env = dict(_env(), ANSIBLE_PIPELINING="True", ANSIBLE_TIMEOUT="120")
        proc = subprocess.run(["ansible-playbook", "-i", self.inventory, os.path.join(self.work, name + ".yml")],
                              env=env, capture_output=True, text=True, timeout=timeout, check=False)
        output = proc.stdout + proc.stderr
        match = re.search(r"^vm\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout, re.M)
        assert proc.returncode == 0 and match, output
        return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()))), output

    def info(self):
        self.play("info")
        with open(os.path.join(self.work, "info.json")) as handle:
            return {c["name"]: c for c in json.load(handle)}

    def cgroup(self, container):
        """The cgroup of the container's first process; in its scope (cgroup_manager systemd, the
        default under systemd), or in the scope's ``container`` child (crun's systemd driver)."""
        path = self.read("/proc/%d/cgroup" % container["state"]["pid"])
        scope = "0::/strata.slice/strata-%s.scope" % container["id"]
        assert path in (scope, scope + "/container"), path
        return "/sys/fs/cgroup" + path[3:]

    def read(self, path):
        return self.vm.ssh("cat %s" % path).stdout.strip()


@pytest.fixture(scope="module")
def guest(vm, registry):
    with tempfile.TemporaryDirectory(prefix="strata-vm-test-") as work:
        deployed = Guest(vm, work, registry.addr)
        started = time.monotonic()
        deployed.first_run = deployed.play("site")
        deployed.probes = deployed.play("probes")
        deployed.deploy_seconds = time.monotonic() - started
        yield deployed  # the VM is discarded after the session: its disk is an overlay


def test_limits_are_in_the_cgroup_v2_files(guest):
    limits = guest.info()["limits"]
    scope = guest.cgroup(limits)
    assert guest.read(scope + "/memory.max") == str(64 * MIB)
    assert guest.read(scope + "/cpu.max") == "50000 100000"
    assert guest.read(scope + "/pids.max") == "32"
    # read back by container_info from the same files
    assert limits["resources"]["memory"] == 64 * MIB
    assert limits["resources"]["cpus"] == 0.5
    assert limits["resources"]["pids_limit"] == 32


def test_a_fork_bomb_stops_at_the_pids_limit(guest):
    scope = guest.cgroup(guest.info()["limits"])
    assert 2 < int(guest.read(scope + "/pids.current")) <= 32  # sleeps were made, 60 were not
    assert re.search(r"^max [1-9]", guest.read(scope + "/pids.events"), re.M)  # forks refused


def test_crun_runs_a_container_with_limits(guest):
    container = guest.info()["crun-limits"]
    assert container["state"]["status"] == "running"
    scope = guest.cgroup(container)
    assert guest.read(scope + "/memory.max") == str(32 * MIB)
    assert guest.read(scope + "/cpu.max") == "25000 100000"
    assert guest.read(scope + "/pids.max") == "16"
    assert "crun" in guest.vm.ssh("ps -eo args | grep -v grep | grep -- '--systemd-cgroup'").stdout


def test_an_oom_kill_is_reported_as_docker_does(guest):
    deadline = time.monotonic() + 600
    while True:
        hog = guest.info()["hog"]
        if hog["state"]["status"] == "exited" or time.monotonic() > deadline:
            break
    assert hog["state"]["exit_code"] == 137
    assert hog["state"]["oom_killed"] is True


def test_pause_stops_the_counter_and_unpause_resumes_it(guest):
    counter = guest.info()["counter"]
    count_file = "/var/lib/strata/containers/%s/upper/count" % counter["id"]
    scope = guest.cgroup(counter)
    playbook = os.path.join(guest.work, "pause.yml")
    for state in ("paused", "started"):
        with open(playbook, "w") as handle:
            handle.write(PAUSE.format(state=state))
        guest.play("pause")
        if state == "paused":
            assert guest.read(scope + "/cgroup.freeze") == "1"
            first = guest.read(count_file)
            guest.vm.ssh("sleep 3")
            assert guest.read(count_file) == first
    assert guest.read(scope + "/cgroup.freeze") == "0"
    deadline = time.monotonic() + 120
    while guest.read(count_file) == first and time.monotonic() < deadline:
        guest.vm.ssh("sleep 1")
    assert guest.read(count_file) != first


PAUSE = """
- hosts: vm
  gather_facts: false
  tasks:
    - name: Pause or unpause the counter
      strata.containers.container:
        name: counter
        state: {state}
"""


def test_after_a_reboot_the_restart_policies_hold_and_a_second_run_changes_nothing(guest):
    before = guest.info()
    assert before["idle"]["state"]["status"] in ("created", "exited")
    guest.vm.reboot()
    after = guest.info()
    for name in ("web", "keeper", "limits"):
        assert after[name]["state"]["status"] == "running", after[name]["state"]
        assert after[name]["state"]["pid"] != before[name]["state"]["pid"]
    assert after["idle"]["state"]["status"] in ("created", "exited")
    page = guest.vm.ssh("python3 -c 'import urllib.request as u; "
                        "print(u.urlopen(\"http://127.0.0.1:%d/\", timeout=30).read().decode())'" % PORT).stdout
    assert "hello from strata" in page
    # the unit ran at boot, and the containers are in their scopes, not in the unit's cgroup
    assert guest.vm.ssh("systemctl is-active strata-restart.service").stdout.strip() == "active"
    assert guest.read(guest.cgroup(after["web"]) + "/cgroup.procs")
    recap, output = guest.play("site")
    assert recap["changed"] == 0, output
