# -*- coding: utf-8 -*-
"""On a real host, the test VM (tests/rig/vm: Debian 12, systemd as PID 1, cgroup v2 only,
QEMU/TCG): strata.containers beside Debian's podman on the same guest, interleaved, medians.

- Container start: in the guest, ``strata run --rm --network none busybox true`` (the CLI of a
  checkout of this collection copied to the guest) and ``podman run --rm --network none
  busybox true``, both on runc, timed in the guest from process start to exit.
- A no-change playbook run: ansible-playbook over SSH with one task that wants a running
  container which already runs as wanted; strata.containers.container vs
  containers.podman.podman_container.

The guest's CPU is emulated (about 7x slower than the host's), which slows both tools alike:
read the ratios, not the seconds.

    python3 bench/vm.py [--runs 5] [--write docs/performance.md]

Run as root after tests/setup.sh; the VM image is built (tests/rig/vm/make_image.sh) when its
cache is not current. containers.podman comes from the ``ansible`` wheel as in bench/fleet.py.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import tarfile
import time

import common
import fleet

from rig import vm as rig_vm  # tests/ is on sys.path (common)

GUEST_COLLECTION = "/opt/strata-bench/ansible_collections/strata/containers"
IMAGE = "test/busybox:latest"

SETUP = """
- name: The host role, and busybox in both stores
  hosts: vm
  gather_facts: false
  roles:
    - role: strata.containers.host
      vars:
        strata_apt_update_cache: false
  tasks:
    - name: podman on runc, as strata (Debian's podman prefers crun when both are there)
      ansible.builtin.copy:
        content: |
          [engine]
          runtime = "runc"
        dest: /etc/containers/containers.conf
        mode: "0644"
    - name: Pull busybox (strata)
      strata.containers.image:
        name: "{{ image }}"
        insecure_registries: ["{{ registry }}"]
    - name: Pull busybox (podman)
      containers.podman.podman_image:
        name: "{{ image }}"
        validate_certs: false
"""

STRATA_PLAY = """
- name: A running container (strata.containers)
  hosts: vm
  gather_facts: false
  tasks:
    - name: Run it
      strata.containers.container:
        name: bench-sleeper
        image: "{{ image }}"
        command: [sleep, "3600"]
        network_mode: none
        stop_timeout: 1
"""

PODMAN_PLAY = """
- name: A running container (containers.podman)
  hosts: vm
  gather_facts: false
  tasks:
    - name: Run it
      containers.podman.podman_container:
        name: bench-sleeper
        image: "{{ image }}"
        command: [sleep, "3600"]
        network: none
        stop_timeout: 1
        state: started
"""

# One run of argv in the guest, timed there (the SSH round trip is not the tools' time).
TIMED = "python3 -c 'import subprocess, sys, time; t = time.perf_counter(); " \
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(time.perf_counter() - t)' "


def copy_collection(machine):
    """This checkout's tracked files into the guest, where the CLI runs from them."""
    files = subprocess.run(["git", "-C", common.REPO, "ls-files", "-z"], check=True, capture_output=True).stdout
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for name in filter(None, files.decode().split("\0")):
            if os.path.isfile(os.path.join(common.REPO, name)):
                archive.add(os.path.join(common.REPO, name), arcname=name)
    subprocess.run(["ssh"] + machine.ssh_options() + ["root@127.0.0.1", "rm -rf %s && mkdir -p %s && tar -x -C %s"
                                                      % (GUEST_COLLECTION, GUEST_COLLECTION, GUEST_COLLECTION)],
                   input=data.getvalue(), check=True)


def in_guest(machine, argv):
    """Seconds one run of ``argv`` took in the guest."""
    out = machine.ssh(TIMED + " ".join(argv)).stdout
    return float(out.strip().splitlines()[-1])


def playbook(inventory, path, env, want_changed=None):
    """Seconds of one ansible-playbook run, which must succeed (with ``want_changed`` changes)."""
    started = time.perf_counter()
    proc = subprocess.run(["ansible-playbook", "-i", inventory, path], env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0 or (want_changed is not None and ("changed=%d " % want_changed) not in proc.stdout):
        raise RuntimeError("%s: expected %d changed:\n%s%s" % (path, want_changed, proc.stdout[-4000:], proc.stderr[-2000:]))
    return seconds


def measure(runs, tmpfs=None, scratch="/var/tmp/strata-bench-vm"):  # pylint: disable=unused-argument
    """[(title, times, ours_for)]: start in the guest, and the no-change playbook run. The
    guest has its own disk: ``tmpfs`` does not apply."""
    podman_collections = fleet.podman_collection()
    podman_name = "podman %s"
    rig_vm.ensure_built()
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    machine = rig_vm.VM(os.path.join(scratch, "vm"))
    try:
        with common.registry() as (addr, dummy):
            machine.boot()
            image = "%s:%s/%s" % (rig_vm.HOST_FROM_GUEST, addr.rsplit(":", 1)[1], IMAGE)
            inventory = machine.inventory(os.path.join(scratch, "inventory.json"),
                                          extra_vars={"image": image, "registry": image.split("/", 1)[0]})
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (common.collections_path(scratch), podman_collections),
                       ANSIBLE_PIPELINING="True", ANSIBLE_TIMEOUT="120", ANSIBLE_HOST_KEY_CHECKING="False",
                       PATH="%s:%s" % (os.path.dirname(common.python()), os.environ["PATH"]))
            playbook(inventory, common.script(scratch, "setup.yml", SETUP), env)
            copy_collection(machine)
            podman_name = podman_name % machine.ssh("podman --version").stdout.split()[-1]
            strata = ["python3", GUEST_COLLECTION + "/bin/strata", "--root", "/var/lib/strata"]
            start = {"strata": strata + ["run", "--rm", "--network", "none", image, "true"],
                     podman_name: ["podman", "run", "--rm", "--runtime", "runc", "--network", "none", image, "true"]}
            starts = {name: [] for name in start}
            plays = {"strata": common.script(scratch, "strata.yml", STRATA_PLAY),
                     "containers.podman %s" % fleet.podman_version(podman_collections):
                         common.script(scratch, "podman.yml", PODMAN_PLAY)}
            for path in plays.values():
                playbook(inventory, path, env, 1)  # the first run makes the container
            again = {name: [] for name in plays}
            for round_ in range(runs + 1):  # round 0 warms up (page cache, SSH master, bytecode)
                for name, argv in start.items():
                    seconds = in_guest(machine, argv)
                    if round_:
                        starts[name].append(seconds)
                for name, path in plays.items():
                    seconds = playbook(inventory, path, env, 0)
                    if round_:
                        again[name].append(seconds)
    finally:
        machine.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    where = "in the test VM (QEMU/TCG, 2 vCPUs), %d interleaved runs" % runs
    return [("Container start, `run --rm --network none busybox true`, %s" % where, starts, lambda name: "strata"),
            ("A no-change playbook run (one container task, over SSH), %s" % where, again, lambda name: "strata")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", help="append the tables to this markdown file")
    args = parser.parse_args()
    common.write_all(measure(args.runs), args.write)


if __name__ == "__main__":
    main()
