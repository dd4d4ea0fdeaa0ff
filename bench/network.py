# -*- coding: utf-8 -*-
"""Networks: a container's start on a user-defined network, and a published port's round trip
and throughput, strata.containers against `podman run --network` (both on netavark), runc.

    python3 bench/network.py [--runs 10] [--tmpfs] [--write docs/performance.md]

Start: `run --rm busybox true` on a network of its own, "just created" (no container on it: this
start makes its bridge, its firewall rules and starts aardvark-dns, and the removal undoes them)
and "in use" (a sleeping container keeps all that up). Port: a busybox container on a user
network publishes an echo server (`nc -ll -e cat`) and a source of zeros (`nc -ll -e dd`) on
127.0.0.1; the bench process is the client. It reaches them through strata's kernel DNAT,
through the userspace proxy strata used before (runtime/portproxy.py as it was at commit
74f2653^, taken from git and run as its own process: the docker-proxy-like relay DNAT
replaced), through podman's `-p` (netavark's DNAT), and straight at the container's address
(no forwarding: the lower bound). Run as root after tests/setup.sh; traffic stays on this host.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time

import common

NETS = {"strata cold": "10.214.1.0/24", "strata warm": "10.214.2.0/24", "strata port": "10.214.3.0/24",
        "podman cold": "10.214.4.0/24", "podman warm": "10.214.5.0/24", "podman port": "10.214.6.0/24"}
ECHOES = 2000                     # one-byte round trips per measurement, on one connection
DOWNLOAD = 256 * 1024 * 1024      # bytes per throughput measurement
OLD_PROXY = ("74f2653^", "plugins/module_utils/runtime/portproxy.py")
PORTS = {"strata": 18711, "proxy": 18721, "podman": 18731}  # echo; the zero source is +1

STRATA_RUN = """
import sys
from ansible_collections.strata.containers.plugins.module_utils.containers.lifecycle import Containers
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
root, image, network, name = sys.argv[1:5]
engine = Engine(root)
containers = Containers(engine.store, "runc")
record = containers.create(name, engine.images.find_image(image).image_id,
                           {"command": ["true"], "network_mode": "bridge", "networks": [
                               {"name": network, "aliases": [], "ipv4_address": None, "ipv6_address": None}]})
containers.start(record)
code = containers.wait(record, timeout=30)
containers.remove(record)
sys.exit(code)
"""

PROXY_RUN = """
import signal, sys, time
sys.path.insert(0, sys.argv[1])
from portproxy import Proxy
target, port = sys.argv[2], int(sys.argv[3])
proxy = Proxy([{"host_ip": "127.0.0.1", "host_port": port + i, "container_ip": target, "container_port": p,
                "proto": "tcp"} for i, p in enumerate((7, 9))])
proxy.bind()
proxy.start()
print("ready", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
proxy.close()
"""

SERVERS = ("nc -ll -p 7 -e cat & exec nc -ll -p 9 -e dd if=/dev/zero bs=65536 count=%d 2>/dev/null"
           % (DOWNLOAD // 65536))


class Strata:
    def __init__(self, scratch, root, env):
        self.root, self.env = root, dict(os.environ, **env)
        self.script = common.script(scratch, "strata_net_run.py", STRATA_RUN)

    def cli(self, *args):
        argv = [common.python(), os.path.join(common.REPO, "bin", "strata"), "--root", self.root] + list(args)
        return subprocess.run(argv, env=self.env, check=True, capture_output=True, text=True).stdout

    def network(self, key):
        name = "bench-" + key.replace(" ", "-")
        if name in self.cli("network", "ls", "--format", "{{.Name}}").split():
            self.cli("network", "rm", "-f", name)
        self.cli("network", "create", "--subnet", NETS[key], name)
        return name

    def address(self, container, network):
        return json.loads(self.cli("inspect", "-f", "{{json .NetworkSettings.Networks}}", container))[network]["IPAddress"]


class Podman:
    def __init__(self, argv, env):
        self.argv, self.own_env, self.env = argv, env, dict(os.environ, **env)

    def __call__(self, *args):
        return subprocess.run(self.argv + list(args), env=self.env, check=True, capture_output=True, text=True).stdout

    def network(self, key):
        name = "bench-" + key.replace(" ", "-")
        subprocess.run(self.argv + ["network", "rm", "-f", name], env=self.env, capture_output=True, check=False)
        self("network", "create", "--subnet", NETS[key], name)
        return name


# ---------------------------------------------------------------------- start
def start_table(ref, strata, podman, root):
    cold, warm = strata.network("strata cold"), strata.network("strata warm")
    pcold, pwarm = podman.network("podman cold"), podman.network("podman warm")
    strata.cli("run", "-d", "--name", "keeper", "--network", warm, ref, "sleep", "100000")
    podman("run", "-d", "--runtime", "runc", "--name", "keeper", "--network", pwarm, ref, "sleep", "100000")
    penv, senv = podman.own_env, {"PYTHONPATH": strata.env["PYTHONPATH"]}
    podman_run = podman.argv + ["run", "--rm", "--runtime", "runc", "--network"]
    return {
        "strata, network just created": ([common.python(), strata.script, root, ref, cold, "bench"], senv,
                                         lambda: strata.network("strata cold")),
        "podman run --rm --network (just created)": (podman_run + [pcold, ref, "true"], penv,
                                                     lambda: podman.network("podman cold")),
        "strata, network in use": ([common.python(), strata.script, root, ref, warm, "bench"], senv, None),
        "podman run --rm --network (in use)": (podman_run + [pwarm, ref, "true"], penv, None),
    }


# ---------------------------------------------------------------------- published port
def round_trips(address, port, count=ECHOES):
    with socket.create_connection((address, port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"x")  # the first one pays for the connection and cat's start
        sock.recv(1)
        began = time.perf_counter()
        for dummy in range(count):
            sock.sendall(b"x")
            if sock.recv(1) != b"x":
                raise RuntimeError("the echo server at %s:%d stopped answering" % (address, port))
        return time.perf_counter() - began


def download(address, port):
    received, buf = 0, bytearray(1 << 20)
    began = time.perf_counter()
    with socket.create_connection((address, port), timeout=30) as sock:
        while True:
            got = sock.recv_into(buf)
            if not got:
                break
            received += got
    elapsed = time.perf_counter() - began
    if received != DOWNLOAD:
        raise RuntimeError("%s:%d sent %d bytes, not %d" % (address, port, received, DOWNLOAD))
    return elapsed


def old_proxy(scratch):
    """The proxy file as it was before DNAT (from git), or None when the history is not here."""
    proc = subprocess.run(["git", "-C", common.REPO, "show", "%s:%s" % OLD_PROXY], capture_output=True, check=False)
    if proc.returncode != 0:
        return None
    directory = os.path.join(scratch, "old-proxy")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "portproxy.py"), "wb") as f:
        f.write(proc.stdout)
    return directory


def port_targets(ref, scratch, strata, podman, spawned):
    """{row name: (address, echo port, zero port)}, the servers started."""
    net, pnet = strata.network("strata port"), podman.network("podman port")
    strata.cli("run", "-d", "--name", "servers", "--network", net, "-p", "127.0.0.1:%d:7" % PORTS["strata"],
               "-p", "127.0.0.1:%d:9" % (PORTS["strata"] + 1), ref, "sh", "-c", SERVERS)
    podman("run", "-d", "--runtime", "runc", "--name", "servers", "--network", pnet, "-p",
           "127.0.0.1:%d:7" % PORTS["podman"], "-p", "127.0.0.1:%d:9" % (PORTS["podman"] + 1), ref, "sh", "-c", SERVERS)
    address = strata.address("servers", net)
    targets = {"strata -p (netavark DNAT)": ("127.0.0.1", PORTS["strata"], PORTS["strata"] + 1),
               "podman -p (netavark DNAT)": ("127.0.0.1", PORTS["podman"], PORTS["podman"] + 1),
               "no forwarding (the container's address)": (address, 7, 9)}
    proxy_dir = old_proxy(scratch)
    if proxy_dir:
        proc = subprocess.Popen([sys.executable, "-c", PROXY_RUN, proxy_dir, address, str(PORTS["proxy"])],
                                stdout=subprocess.PIPE, text=True)
        spawned.append(proc)
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the old port proxy did not start")
        targets["userspace proxy (strata's before DNAT)"] = ("127.0.0.1", PORTS["proxy"], PORTS["proxy"] + 1)
    for address, echo, zeros in targets.values():
        _until_up(address, echo)
        _until_up(address, zeros, drain=True)
    return targets


def _until_up(address, port, drain=False):
    deadline = time.time() + 30
    while True:
        try:
            with socket.create_connection((address, port), timeout=5) as sock:
                if drain:
                    while sock.recv(1 << 20):
                        pass
                else:
                    sock.sendall(b"x")
                    if sock.recv(1) == b"x":
                        return
                return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def measure_ports(targets, runs):
    rtt = {name: [] for name in targets}
    rate = {name: [] for name in targets}
    for round_ in range(runs + 1):  # round 0 warms up
        for name, (address, echo, zeros) in targets.items():
            spent_rtt, spent_rate = round_trips(address, echo), download(address, zeros)
            if round_:
                rtt[name].append(spent_rtt)
                rate[name].append(spent_rate)
    return rtt, rate


# ---------------------------------------------------------------------- all of it
def measure(runs, tmpfs, scratch="/var/tmp/strata-bench-network"):
    chains = common.netavark_chains()
    spawned = []
    with common.scratch_area(scratch, tmpfs) as area, common.registry() as (addr, images):
        ref = "%s/%s" % (addr, images["busybox"])
        root, env, argv, penv = common.stores_with(ref, area)
        strata, podman = Strata(area, root, env), Podman(argv, penv)
        try:
            start = common.interleaved(start_table(ref, strata, podman, root), runs, warmup=2)
            rtt, rate = measure_ports(port_targets(ref, area, strata, podman, spawned), max(3, runs // 2))
        finally:
            for proc in spawned:
                proc.terminate()
                proc.wait(10)
            common.podman_reset(argv, penv)
            _remove_strata(strata)
            common.wipe([root])
    common.remove_netavark_chains(chains)
    kind = "tmpfs" if tmpfs else "ext4"
    return [
        ("Start on a user network, `run --rm busybox true` (%s, %d interleaved runs)" % (kind, runs), start,
         lambda name: "strata, network in use" if "in use" in name else "strata, network just created"),
        ("Published port round trip, %d one-byte echoes on one connection via 127.0.0.1 (%d rounds)"
         % (ECHOES, max(3, runs // 2)), rtt, lambda name: "strata -p (netavark DNAT)"),
        ("Published port throughput, one %d MiB download via 127.0.0.1 (%d rounds)"
         % (DOWNLOAD >> 20, max(3, runs // 2)), rate, lambda name: "strata -p (netavark DNAT)"),
    ]


def _remove_strata(strata):
    for container in ("keeper", "servers"):
        subprocess.run([common.python(), os.path.join(common.REPO, "bin", "strata"), "--root", strata.root, "rm", "-f",
                        container], env=strata.env, capture_output=True, check=False)
    for key in NETS:
        if key.startswith("strata"):
            name = "bench-" + key.replace(" ", "-")
            subprocess.run([common.python(), os.path.join(common.REPO, "bin", "strata"), "--root", strata.root,
                            "network", "rm", "-f", name], env=strata.env, capture_output=True, check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--write", help="append the tables to this markdown file")
    args = parser.parse_args()
    results = measure(args.runs, args.tmpfs)
    common.write_all(results, args.write)
    for title, times, dummy in results[1:]:
        for name, values in times.items():
            med = sorted(values)[len(values) // 2]
            if "round trip" in title:
                print("%-45s %.1f µs per round trip" % (name, med / ECHOES * 1e6))
            else:
                print("%-45s %.0f MiB/s" % (name, (DOWNLOAD >> 20) / med))


if __name__ == "__main__":
    main()
