# -*- coding: utf-8 -*-
"""A fleet playbook, strata.containers vs containers.podman on the same hosts: five network
namespaces with their own sshd (tests/integration/fleet.py), one playbook with five forks that
pulls busybox from a registry in its own namespace and runs a container with no network on
every host; the first run from empty stores, then the second (nothing to change). Interleaved
(strata, podman, strata, podman ...), medians.

    python3 bench/fleet.py [--runs 3] [--write docs/performance.md]

Run as root after tests/setup.sh. containers.podman comes from PyPI's ``ansible`` package (the
collection is not on PyPI alone, and Ansible Galaxy may be out of reach): its wheel is
downloaded once into the bench cache and only that collection is taken from it.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import common

TESTS = os.path.join(common.REPO, "tests", "integration")
sys.path.insert(0, TESTS)

CACHE = "/var/tmp/strata-bench-cache"
ANSIBLE_WHEEL = "ansible>=11,<12"  # the last major whose containers.podman runs on ansible-core 2.17+
HOSTS = 5
IMAGE = "test/busybox:latest"

STRATA_PLAYBOOK = """
- name: Pull busybox and run a container on every host (strata.containers)
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Pull the image
      strata.containers.image:
        name: "{{ fleet_registry }}/%(image)s"
        insecure_registries: ["{{ fleet_registry }}"]
        root: "{{ strata_root }}"
    - name: Run a container
      strata.containers.container:
        name: sleeper
        image: "{{ fleet_registry }}/%(image)s"
        command: [sleep, "3600"]
        network_mode: none
        stop_timeout: 1
        root: "{{ strata_root }}"
""" % {"image": IMAGE}

PODMAN_PLAYBOOK = """
- name: Pull busybox and run a container on every host (containers.podman)
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Pull the image
      containers.podman.podman_image:
        name: "{{ fleet_registry }}/%(image)s"
        validate_certs: false
        executable: "{{ fleet_dir }}/podman"
    - name: Run a container
      containers.podman.podman_container:
        name: sleeper
        image: "{{ fleet_registry }}/%(image)s"
        command: [sleep, "3600"]
        network: none
        stop_timeout: 1
        executable: "{{ fleet_dir }}/podman"
        state: started
""" % {"image": IMAGE}

# Each host's podman: its own store, run and tmp dirs, and the config this VM needs. The run
# dir is short: podman refuses a runroot of more than 50 characters.
PODMAN_RUN = "/run/strata-bench-fleet"
PODMAN_WRAPPER = """#!/bin/sh
export CONTAINERS_CONF=%(dir)s/containers.conf
exec podman --root %(dir)s/podman-store --runroot %(run)s --tmpdir %(dir)s/podman-tmp \\
  --storage-driver overlay --runtime runc "$@"
"""


def load_fleet_rig():
    """tests/integration/fleet.py, under another name than this module's (both are "fleet");
    loaded late, as it imports the collection."""
    spec = importlib.util.spec_from_file_location("fleet_rig", os.path.join(TESTS, "fleet.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def podman_collection():
    """A collections directory holding containers.podman, from the ``ansible`` wheel (cached)."""
    target = os.path.join(CACHE, "collections")
    if os.path.isdir(os.path.join(target, "ansible_collections", "containers", "podman")):
        return target
    download = tempfile.mkdtemp(prefix="ansible-wheel-", dir="/var/tmp")
    try:
        subprocess.run([common.python(), "-m", "pip", "download", "-q", "--no-deps", "-d", download, ANSIBLE_WHEEL],
                       check=True)
        (wheel,) = glob.glob(os.path.join(download, "ansible-*.whl"))
        partial = target + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        prefix = "ansible_collections/containers/podman/"
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if n.startswith(prefix)]
            if not names:
                raise RuntimeError("%s has no containers.podman" % os.path.basename(wheel))
            archive.extractall(partial, names)
        os.replace(partial, target)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return target


def first_and_second(fleet, playbook, forks, name):
    """(seconds, seconds): the playbook on empty stores (2 changes a host), then again (none)."""
    seconds = []
    for want in (len(fleet.hosts) * 2, 0):
        run = fleet.playbook(playbook, limit="fleet", forks=forks)
        changed = sum(r["changed"] for r in run.recap.values())
        if run.rc != 0 or changed != want:
            raise RuntimeError("%s: expected %d changes, got %d:\n%s" % (name, want, changed, run))
        seconds.append(run.seconds)
    return seconds


def podman_version(collections):
    with open(os.path.join(collections, "ansible_collections", "containers", "podman", "MANIFEST.json")) as f:
        return json.load(f)["collection_info"]["version"]


def _podman_on(host):
    wrapper = common.script(host.dir, "podman", PODMAN_WRAPPER % {"dir": host.dir, "run": _podman_run(host)})
    os.chmod(wrapper, 0o755)
    common.write_podman_conf(os.path.join(host.dir, "containers.conf"))
    return wrapper


def _podman_run(host):
    return os.path.join(PODMAN_RUN, host.name)


def _empty_podman(host):
    wrapper = os.path.join(host.dir, "podman")
    for args in (["rm", "-a", "-f", "-t", "0"], ["system", "reset", "-f"]):
        subprocess.run([wrapper] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    common.wipe([os.path.join(host.dir, "podman-store"), _podman_run(host), os.path.join(host.dir, "podman-tmp")])


def empty_strata(fleet_rig, host):
    fleet_rig.remove_all_containers(host.root, host.networks)
    common.wipe([host.root])


def measure(runs, tmpfs, scratch="/var/tmp/strata-bench-fleet"):
    """[(title, times, ours_for)] for bench/run and main(): the first and the second run."""
    podman_collections = podman_collection()
    podman_name = "containers.podman %s" % podman_version(podman_collections)
    registry_data = common.registry_data()
    with common.scratch_area(scratch, tmpfs) as area:
        ours = common.collections_path(area)
        sys.path.insert(0, ours)
        fleet_rig = load_fleet_rig()
        os.environ["ANSIBLE_COLLECTIONS_PATH"] = "%s:%s" % (ours, podman_collections)
        os.environ["PATH"] = "%s:%s" % (os.path.dirname(common.python()), os.environ["PATH"])  # ansible-playbook
        fleet = fleet_rig.Fleet(os.path.join(area, "fleet"), hosts=HOSTS, isolated=0, python=common.python())
        try:
            fleet.start(registry_data)
            for host in fleet.hosts:
                _podman_on(host)
            # name -> (playbook, what empties every host's store)
            tools = {"strata": (common.script(area, "strata.yml", STRATA_PLAYBOOK),
                                lambda host: empty_strata(fleet_rig, host)),
                     podman_name: (common.script(area, "podman.yml", PODMAN_PLAYBOOK), _empty_podman)}
            first = {name: [] for name in tools}
            second = {name: [] for name in tools}
            for round_ in range(runs + 1):  # round 0 warms up (SSH masters, page cache)
                for name, (playbook, empty) in tools.items():
                    for host in fleet.hosts:
                        empty(host)
                    seconds = first_and_second(fleet, playbook, HOSTS, name)
                    if round_:
                        first[name].append(seconds[0])
                        second[name].append(seconds[1])
                    for host in fleet.hosts:
                        empty(host)
        finally:
            for host in fleet.hosts:
                _empty_podman(host)
            shutil.rmtree(PODMAN_RUN, ignore_errors=True)
            fleet.stop()
            common.wipe([h.root for h in fleet.hosts])  # the runtime state dirs in /run/strata
            common.remove_empty_cgroups()
    where = "%d hosts, -f %d, SSH without pipelining, %s" % (HOSTS, HOSTS, "tmpfs" if tmpfs else "ext4")
    return [("Fleet playbook, first run (%s, %d interleaved runs)" % (where, runs), first, lambda name: "strata"),
            ("Fleet playbook, second run: nothing to change (%s, %d interleaved runs)" % (where, runs), second,
             lambda name: "strata")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--write", help="append the tables to this markdown file")
    args = parser.parse_args()
    common.write_all(measure(args.runs, args.tmpfs), args.write)


if __name__ == "__main__":
    main()
