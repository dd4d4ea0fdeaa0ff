# -*- coding: utf-8 -*-
"""A fleet: five hosts (network namespaces with their own sshd and store root, see fleet.py)
driven over SSH by one ansible-playbook with five forks, plus a sixth host that cannot reach the
registry.

- One playbook pulls busybox from the fleet's registry and runs a container on every host: the
  first run changes every host, the second none; with the sixth host in the play it alone fails
  and the others finish. The times of the first and second runs are printed and written to
  /var/tmp/strata-fleet-times.json.
- The roles strata.containers.host (without package installs) and strata.containers.app
  (an image pulled and one built, a config file, limits, a volume) are applied to the five
  hosts (with SSH pipelining): idempotent, a changed config file restarts the container (its handler), and after a
  simulated reboot the restart script the host role installed starts again the container whose
  restart policy asks for it, and only that one.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess

import pytest
import fleet as fleet_lib
from fleet import NETNS_DIR

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.runtime import oci

pytestmark = [pytest.mark.skipif(not os.path.exists("/usr/sbin/sshd"), reason="needs openssh-server (tests/setup.sh)")]

HOSTS = 5
FORKS = 5
TIMES_FILE = "/var/tmp/strata-fleet-times.json"

PULL_AND_RUN = """
- name: Pull busybox and run a container on every host
  hosts: all
  gather_facts: false
  tasks:
    - name: Pull the image
      strata.containers.image:
        name: "{{ fleet_registry }}/test/busybox:latest"
        insecure_registries: ["{{ fleet_registry }}"]
        root: "{{ strata_root }}"

    - name: Run a container
      strata.containers.container:
        name: sleeper
        image: "{{ fleet_registry }}/test/busybox:latest"
        command: [sleep, "3600"]
        network_mode: none
        stop_timeout: 1
        root: "{{ strata_root }}"
"""

SITE = """
- name: Prepare the hosts and deploy a service from a pulled image
  hosts: fleet
  gather_facts: false
  vars:
    strata_install_packages: false
    strata_restart_unit: true
    strata_systemd_unit_dir: "{{ fleet_dir }}"
  roles:
    - role: strata.containers.host
    - role: strata.containers.app
      vars:
        app_name: web
        app_image: "{{ fleet_registry }}/test/busybox:latest"
        app_insecure_registries: ["{{ fleet_registry }}"]
        app_command: sleep 3600
        app_network_mode: none
        app_env:
          GREETING: hello
        app_memory: 64m
        app_cpus: 0.5
        app_restart_policy: always
        app_stop_timeout: 1
        app_mounts:
          - type: volume
            source: web-data
            target: /data
        app_config_dir: "{{ fleet_dir }}/apps/web"
        app_config_files:
          - dest: app.conf
            content: "{{ web_config | default('version 1') }}\\n"
            target: /etc/app/app.conf

- name: Deploy a service from an image built on the host
  hosts: fleet
  gather_facts: false
  roles:
    - role: strata.containers.app
      vars:
        app_name: built
        app_build_context: "{{ build_context }}"
        app_build_dir: "{{ fleet_dir }}/apps/built/build"
        app_build_args:
          BASE: "{{ fleet_registry }}/test/busybox:latest"
        app_insecure_registries: ["{{ fleet_registry }}"]
        app_network_mode: none
        app_restart_policy: unless-stopped
        app_stop_timeout: 1
"""

PARK = """
- name: A container with restart policy always, stopped on purpose, and one with no policy
  hosts: fleet1
  gather_facts: false
  tasks:
    - name: Run one with no restart policy
      strata.containers.container:
        name: plain
        image: "{{ fleet_registry }}/test/busybox:latest"
        command: [sleep, "3600"]
        network_mode: none
        stop_timeout: 1
        root: "{{ strata_root }}"
    - name: Create it stopped
      strata.containers.container:
        name: parked
        image: "{{ fleet_registry }}/test/busybox:latest"
        command: [sleep, "3600"]
        network_mode: none
        restart_policy: always
        stop_timeout: 1
        root: "{{ strata_root }}"
    - name: Stop it
      strata.containers.container:
        name: parked
        state: stopped
        root: "{{ strata_root }}"
"""

DOCKERFILE = """ARG BASE
FROM $BASE
COPY hello.txt /srv/hello.txt
CMD ["sleep", "3600"]
"""


@pytest.fixture(scope="module")
def fleet(registry):
    """Five hosts and an isolated sixth (fleet.running)."""
    with fleet_lib.running(registry.data_dir, hosts=HOSTS, isolated=1) as made:
        yield made


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def service_of(host):
    return Engine(host.root, read_only=True).containers


def status(host, name):
    service = service_of(host)
    return service.containers.status(service.containers.records.find(name))


def handler_output(run):
    """What the app role's restart handler printed in a run ("" when it was not notified)."""
    marker = "RUNNING HANDLER [strata.containers.app : Restart the strata app container]"
    return "".join(part.split("\n\n", 1)[0] for part in run.output.split(marker)[1:])


def good(fleet):
    return [h for h in fleet.hosts if not h.isolated]


def test_fleet_pull_and_run(fleet):
    playbook = write(fleet.workdir, "pull-and-run.yml", PULL_AND_RUN)
    first = fleet.playbook(playbook, limit="fleet", forks=FORKS)
    assert first.rc == 0, str(first)
    for host in good(fleet):
        assert first.recap[host.name] == dict(first.recap[host.name], changed=2, failed=0, unreachable=0), str(first)
        assert status(host, "sleeper") == "running"
    second = fleet.playbook(playbook, limit="fleet", forks=FORKS)
    assert second.rc == 0, str(second)
    for host in good(fleet):
        assert second.recap[host.name] == dict(second.recap[host.name], ok=2, changed=0, failed=0), str(second)

    times = {"hosts": HOSTS, "forks": FORKS, "tasks": 2, "first_run_s": round(first.seconds, 2),
             "second_run_s": round(second.seconds, 2), "connection": "ssh (ControlPersist), no pipelining",
             "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
             "measured": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}

    # The sixth host has no route to the registry: it fails alone, the others finish.
    everyone = fleet.playbook(playbook, forks=FORKS)
    assert everyone.rc != 0, str(everyone)
    isolated = [h for h in fleet.hosts if h.isolated]
    for host in isolated:
        assert everyone.recap[host.name]["failed"] == 1 and everyone.recap[host.name]["unreachable"] == 0, str(everyone)
        assert not os.path.isdir(os.path.join(host.root, "containers")) or not os.listdir(os.path.join(host.root, "containers"))
    for host in good(fleet):
        assert everyone.recap[host.name] == dict(everyone.recap[host.name], ok=2, changed=0, failed=0, unreachable=0), \
            str(everyone)
    assert "10.231.0.250" in everyone.output
    times["with_isolated_host_s"] = round(everyone.seconds, 2)

    with open(TIMES_FILE, "w") as handle:
        json.dump(times, handle, indent=1)
    print("fleet timings (%s): %s" % (TIMES_FILE, json.dumps(times)))


def simulate_reboot(host):
    """What a reboot does to a store's containers: every monitor and container process gone,
    the runtime's state too; the records still say running."""
    service = service_of(host)
    runtime = oci.Runtime(host.root)
    for record in service.containers.records.all():
        state = service.containers.records.state(record["id"])
        if state.get("monitor_pid"):
            try:
                os.kill(state["monitor_pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
        runtime.delete(record["id"])


def test_fleet_roles(fleet):
    context = os.path.join(fleet.workdir, "context")
    os.mkdir(context)
    write(context, "Dockerfile", DOCKERFILE)
    write(context, "hello.txt", "hello from the build context\n")
    site = write(fleet.workdir, "site.yml", SITE)
    extra = {"build_context": context}

    first = fleet.playbook(site, forks=FORKS, limit="fleet", pipelining=True, extra_vars=extra)
    assert first.rc == 0, str(first)
    for host in good(fleet):
        assert first.recap[host.name]["changed"] > 0 and first.recap[host.name]["failed"] == 0, str(first)
        assert status(host, "web") == "running" and status(host, "built") == "running"
        assert os.path.isfile(os.path.join(host.dir, "lib", "strata-engine.zip"))
        with open(os.path.join(host.dir, "strata-restart.service")) as handle:
            unit = handle.read()
        assert "strata-restart.py --runtime runc %s\n" % host.root in unit
    assert "changed:" not in handler_output(first), str(first)  # new containers already read the new file

    again = fleet.playbook(site, forks=FORKS, limit="fleet", pipelining=True, extra_vars=extra)
    assert again.rc == 0, str(again)
    for host in good(fleet):
        assert again.recap[host.name] == dict(again.recap[host.name], changed=0, failed=0), str(again)

    service = service_of(fleet.hosts[0])
    web = service.containers.records.find("web")
    assert service.exec("web", ["cat", "/etc/app/app.conf"])[1] == "version 1\n"
    assert service.exec("web", ["sh", "-c", "echo $GREETING"])[1] == "hello\n"
    assert service.exec("built", ["cat", "/srv/hello.txt"])[1] == "hello from the build context\n"
    pid = service.containers.records.state(web["id"])["pid"]

    # A changed config file: written, and the handler restarts the container, which sees it.
    changed = fleet.playbook(site, forks=FORKS, limit="fleet", pipelining=True, extra_vars=dict(extra, web_config="version 2"))
    assert changed.rc == 0, str(changed)
    assert handler_output(changed).count("changed: [fleet") == HOSTS, str(changed)
    for host in good(fleet):
        assert changed.recap[host.name] == dict(changed.recap[host.name], changed=2, failed=0), str(changed)
    assert service.containers.records.state(web["id"])["pid"] != pid
    assert service.exec("web", ["cat", "/etc/app/app.conf"])[1] == "version 2\n"

    # After a reboot the script the host role installed starts web and built (always,
    # unless-stopped) again, not plain (no policy) nor parked (stopped on purpose).
    host = fleet.hosts[0]
    parked = fleet.playbook(write(fleet.workdir, "park.yml", PARK), limit=host.name)
    assert parked.rc == 0, str(parked)
    simulate_reboot(host)
    for name in ("web", "built", "plain", "parked"):
        assert status(host, name) == "exited", name
    proc = subprocess.run(["nsenter", "--net=" + os.path.join(NETNS_DIR, host.netns), fleet.python, "-B",
                           os.path.join(host.dir, "lib", "strata-restart.py"), host.root],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(line.split()[2] for line in proc.stdout.splitlines()) == ["built", "web"], proc.stdout
    assert [status(host, n) for n in ("web", "built", "plain", "parked")] == ["running", "running", "exited", "exited"]
    assert service.exec("web", ["cat", "/etc/app/app.conf"])[1] == "version 2\n"
    shutil.rmtree(context)
