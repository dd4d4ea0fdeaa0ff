# -*- coding: utf-8 -*-
"""Every benchmark of the project, each side by side with the peers on this machine, in one
run; rewrites docs/performance.md (tables, ratios, what bounds each figure) and
docs/performance.png (a chart of the ratios).

    python3 bench/run.py [--runs 5] [--ext4] [--only pull,start,cli,build,archive,fleet,scaling,network,vm]   (or: make bench)

Run as root after tests/setup.sh. tmpfs by default: ext4 timings on these VMs drift from run
to run (see the brief), so interleaved runs on tmpfs measure the tools, not the disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import time

import archive
import build
import cli
import common
import fleet
import fleet_scaling
import network
import pull
import start
import vm

BENCHES = {
    "pull": (pull, 5, "Cold pull", """\
The image is the test rig's `multi` (tests/rig): a slimmed Debian bookworm minbase layer, a layer
of 3,000 small files, and a small layer of whiteouts, an opaque directory, links, a setuid file
and an xattr. Each run starts from an empty store; the registry is Debian's `docker-registry` on
127.0.0.1. `skopeo copy … oci:` only downloads and verifies (no extraction): it bounds what any
tool can do over this registry. `docker pull` is the client asking a dockerd already running
(started by the benchmark, not timed) to download and extract with its overlay2 driver; before
each run `docker rmi` and `docker image prune -a` empty its store, its layers checked gone.
The store's size is each engine's store as its last pull left it (`du -s`: disk used, a file
hard-linked twice counted once): strata's root, podman's graph root, docker's data root.

What bounds it: CPU. Tar parsing and per-entry work are Python under one GIL, so layers are
extracted by forked processes, one per layer up to the number of cores (2 here); the largest
layer (the Debian base) bounds the pull. On ext4, file creation drifts from run to run."""),
    "start": (start, 15, "Container start", """\
A container running `true` from the rig's busybox image, removed afterwards (`run --rm`), the
image already in each store; both on runc. `strata` is a fresh Python process driving the engine
(create, start, wait, remove), timed from process start to exit, as `podman run --rm` is.

What bounds it (a traced `strata run --rm`, 2026-12-04): two Python interpreters, the caller
(≈25 ms to start, then ≈90 ms of imports and store lookups before it creates anything; create
≈5 ms) and the container's monitor (≈35 ms from its spawn to its `runc run`: 12 ms of
interpreter, 23 ms of imports), then `runc run` until the container's PID (≈60 ms: Docker's
seccomp profile, capabilities, cgroups; podman's conmon waits on the same), and ≈5 ms to remove
it. podman is one Go binary and conmon in C. The bridge row is a start on the default network,
which netavark wires as a user network, "just created" at each run since `--rm` removes its
only container (the Networks section: the bridge, its firewall chains, aardvark-dns and two
netavark runs), plus pyroute2's import.
`docker run --rm --network none` is a small Go client talking over a unix socket to a dockerd
already running (not timed), which creates the container through its containerd, a shim and
runc; docker has no bridge row (its daemon runs without a bridge, so that it adds no firewall
rules on this shared machine)."""),
    "cli": (cli, 15, "Command line", """\
`strata` as a user runs it (`python bin/strata --root R …`, the installed entry point, timed from
process start to exit) beside the same podman and docker commands, on stores holding the same 20
images (the rig's busybox and 19 one-file `import`s) and 20 created containers: `images`,
`ps -a`, `inspect` of one container, and `run --rm --network none busybox true` (all on runc).
Bytecode is cached as in an installed collection. docker's figures are its client (a small Go
binary) asking a dockerd already running, which holds the store in memory: they include no
daemon start and no reading of the store from disk.

What bounds it: the interpreter's start (≈20 ms idle) and the imports of the one command run
(the CLI registers and imports only that command's module; the engine imports the registry
client, multiprocessing and the extraction code only for a pull); then the store's JSON
records, read one file per image or container. `ps` and `inspect` read containers through
`containers/reader.py` (a container's record, state and OCI config; three small files) and
import none of the container engine (network plan, runtime options, bundle, monitor). These 20
containers are created, not running; a running one costs no process either while its monitor
lives (the monitor's record tells its status; `runc state` is asked only of a container whose
monitor is gone), and, on a network, the networks' code for its addresses. `run` adds the monitor (a second
interpreter) and `runc run`, as the start benchmark above shows."""),
    "build": (build, 5, "Build", """\
A 9-step Dockerfile (`ENV`, `WORKDIR`, `COPY` of 200 small files, two `RUN`s, `LABEL`, `EXPOSE`,
`CMD`) on the rig's busybox image, built by the engine and by `podman build --layers --runtime
runc --network host`, same context. "cold" drops each tool's built image and build cache first.

What bounds it: each `RUN` is one `runc run` on an overlay mount, its upper dir written as a tar
and applied into the store; a no-change rebuild parses, hashes the `COPY` sources and reads one
cache entry per step. docker's rows are its legacy builder (`DOCKER_BUILDKIT=0 docker build
--network none`: the `RUN`s need no network) in a dockerd already running; the client sends the
context over the socket as a tar, and each `RUN` is a container committed as an image layer;
"cold" removes the built image with its intermediate images."""),
    "archive": (archive, 5, "Save and load", """\
The rig's `multi` image saved as a docker-archive from each tool's store, and loaded from that
file into an empty store; podman runs `podman save --format docker-archive` and `podman load`,
docker `docker save -o` and `docker load` (the client streams the archive to or from a dockerd
already running; before each load `docker rmi` and `docker image prune -a`, its layers checked
gone).

What bounds it: save copies each layer once, as tar-split replays it (headers from the record,
bodies from the extracted files), in Python, through a pipe from the replaying thread to the
tar writer; a new file is not hashed (only a file already at the path is compared). Load is
bound by extraction, as a pull is."""),
    "fleet": (fleet, 3, "Fleet playbook", """\
Five hosts, each a network namespace with its own sshd and store root (the fleet of
tests/integration/fleet.py), one `ansible-playbook -f 5` over SSH (ControlPersist, no
pipelining) with two tasks: pull `test/busybox:latest` from a registry in its own namespace and
run a container with no network. strata.containers (`image`, `container`) against
containers.podman (`podman_image`, `podman_container`, each host's podman with its own store)
on the same hosts. "first run" starts from empty stores; "second run" finds everything done.

What bounds it: Ansible — SSH round trips and module transfer, about 1 s per task per host
over 5 forks on these 2 cores; what the engine does (a 1-layer pull, a container start) is a
small part."""),
    "scaling": (fleet_scaling, 3, "Fleet scaling", """\
The fleet playbook above (pull busybox, run a container with no network) with strata.containers
only, on 5, 10 and 20 hosts with as many forks, and on 20 hosts with 5 forks (bench/fleet_scaling.py);
each shape on a fleet of its own, the first run from empty stores, then the second.

What bounds it: this machine's 2 cores. Every host is a network namespace of the same machine,
so 20 forks mean 20 SSH sessions, 20 module interpreters and 20 layer extractions on 2 cores at
once: the cost per host stays, the hosts do not add cores as real ones would. Ansible's own
per-host work (its forks, one process per host and task) grows with the hosts too.

![fleet scaling](fleet-scaling.png)"""),
    "network": (network, 10, "Networks", """\
Start: `run --rm busybox true` on a user-defined network (bench/network.py), "just created"
(no container on it, so this start makes the bridge and the network's firewall chains and starts
aardvark-dns, and the removal undoes them) and "in use" (a sleeping container keeps them up);
both engines wire the namespace with netavark 1.4. Port: a busybox container on a user network
publishes an echo server (`nc -ll -e cat`) and a source of zeros (`nc -ll -e dd`) on 127.0.0.1;
the bench process is the client, through strata's DNAT, through the userspace proxy strata had
before DNAT (runtime/portproxy.py from git, 74f2653^, run as its own process), through podman's
`-p`, and straight at the container's address (no forwarding, the lower bound).

What bounds it: start — what bounds the bridge start above, plus two `netavark` runs (setup,
teardown: iptables calls, aardvark-dns started or reloaded) per container; "just created" adds
the bridge and the network's chains. Port — on 127.0.0.1 the kernel path is DNAT in `OUTPUT`,
masquerade and the veth; the proxy adds two socket copies and two thread wake-ups per
direction, in Python."""),
    "vm": (vm, 5, "On a real host: the test VM", """\
The test VM of tests/rig/vm (Debian 12, systemd as PID 1, cgroup v2 only, QEMU/TCG with 2 vCPUs)
with roles/host applied and Debian's podman 4.3 beside it (bench/vm.py). Start: `run --rm
--network none busybox true` in the guest, strata's CLI from a copy of this checkout, both on
runc, timed in the guest. No-change playbook: ansible-playbook over SSH (pipelining) with one
container task whose container already runs as wanted, strata.containers.container vs
containers.podman.podman_container. The guest's CPU is emulated, about 7x slower than the
host's, so only the ratios carry over to a real machine.

What bounds it: as on this machine, interpreter start-up and imports for strata (two Python
processes per start: the CLI and the monitor, which under systemd also goes through
`systemd-run --scope`); for the playbook, Ansible's per-task cost (SSH, the module's transfer
and its Python start in the guest) is most of both tools' time."""),
}

DOCKER_PEER = {
    True: "docker (Debian's docker.io) beside the pull, the start, the CLI, the build and save/load: the benchmark "
          "starts a private `dockerd` with its data root on the same tmpfs (or ext4) as the other stores, without "
          "a bridge or firewall rules, so its rows are `--network none` only; its figures are the client's, the "
          "daemon already running",
    False: "no docker rows: docker.io (`/usr/sbin/dockerd`) is not installed on this machine",
}


def machine():
    def version(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30).stdout.split("\n")[0]
        except OSError:
            return "not installed"
    return [("kernel", platform.release()), ("cores", str(os.cpu_count())),
            ("podman", version(["podman", "--version"])), ("docker", version([common.DOCKERD, "--version"])),
            ("skopeo", version(["skopeo", "--version"])),
            ("runc", version(["runc", "--version"])), ("python", platform.python_version())]


def chart(ratios, path):
    """A horizontal bar per ratio, with the line at 1.0; False when matplotlib is missing."""
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use("Agg")
        from matplotlib import pyplot  # pylint: disable=import-outside-toplevel
    except ImportError:
        return False
    labels = ["%s — %s" % (title.split(" (")[0], tool) for title, tool, dummy in ratios]
    values = [ratio for dummy, dummy2, ratio in ratios]
    figure, axes = pyplot.subplots(figsize=(14, 0.45 * len(values) + 1.2))  # wide: the labels are long
    axes.barh(range(len(values)), values, color=["#2a9d8f" if v <= 1.0 else "#e76f51" for v in values])
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_yticks(range(len(values)))
    axes.set_yticklabels(labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("strata time / peer time (below 1.0: strata is faster)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return True


def report(sections, ratios, mode, charted, seconds):
    intro = ("Generated by `bench/run.py` (`make bench`) on %s, %s, every tool side by side with its peers, "
             "interleaved (A B A B …) after a warm-up round; medians; ✓ marks a ratio ≤ 1.0 (strata as fast "
             "or faster). The whole run took %.0f s." % (time.strftime("%Y-%m-%d"), mode, seconds))
    lines = ["# Performance", "", intro, "", "| machine | |", "|---|---|"]
    lines += ["| %s | %s |" % row for row in machine()]
    lines += ["", "Peers: podman and skopeo beside every figure; %s; umoci (extraction only) beside the pull and runc "
              "on a prepared bundle beside the start, as lower bounds no engine can beat; crun refuses this host's "
              "hybrid cgroup layout, so all sides use runc." % DOCKER_PEER[os.path.exists(common.DOCKERD)],
              "", "## Ratios", "", "| benchmark | peer | strata / peer |", "|---|---|---|"]
    lines += ["| %s | %s | %.2f%s |" % (title.split(" (")[0], tool, ratio, " ✓" if ratio <= 1.0 else "")
              for title, tool, ratio in ratios]
    if charted:
        lines += ["", "![strata / peer](performance.png)"]
    for heading, prose, tables in sections:
        lines += ["", "## " + heading, "", prose, ""] + tables
    extra = os.path.join(common.REPO, "docs", "performance-notes.md")
    if os.path.exists(extra):  # figures measured elsewhere (the fleet test), kept by hand
        with open(extra) as f:
            lines += ["", f.read().rstrip()]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs per measurement (default: each benchmark's own)")
    parser.add_argument("--ext4", action="store_true", help="scratch on ext4 instead of tmpfs")
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--docs", default=os.path.join(common.REPO, "docs"))
    args = parser.parse_args()
    began = time.time()
    chains = common.netavark_chains()
    sections, everything = [], []
    for key in args.only.split(","):
        module, runs, heading, prose = BENCHES[key]
        results = module.measure(args.runs or runs, not args.ext4)
        everything += [] if hasattr(module, "table") else results  # its rows are not strata / peer
        render = getattr(module, "table", common.table)  # a benchmark may lay out its own rows
        sections.append((heading, prose, [render(*result) for result in results]))
        if hasattr(module, "plot"):
            module.plot(results, os.path.join(args.docs, "fleet-%s.png" % key))
    common.remove_empty_cgroups()
    common.remove_netavark_chains(chains)
    ratios = common.ratios(everything)
    charted = chart(ratios, os.path.join(args.docs, "performance.png"))
    text = report(sections, ratios, "ext4" if args.ext4 else "tmpfs", charted, time.time() - began)
    with open(os.path.join(args.docs, "performance.md.tmp"), "w") as f:
        f.write(text)
    shutil.move(os.path.join(args.docs, "performance.md.tmp"), os.path.join(args.docs, "performance.md"))
    print(text)


if __name__ == "__main__":
    main()
