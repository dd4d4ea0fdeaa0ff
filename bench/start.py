# -*- coding: utf-8 -*-
"""Start latency of a container running `true`, removed afterwards (`docker run --rm`), with
the image already in the store: strata.containers' engine against `podman run --rm`, both on
runc, network `none` and bridge, interleaved (A B C D A B C D ...), medians and ratios.

    python3 bench/start.py [--runs 20] [--tmpfs] [--write docs/performance.md]

Run as root after tests/setup.sh. The image is the test rig's busybox (tests/rig), pulled
once into each tool's private store. Each timed run is a fresh process, from its start to
its exit after the container is gone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))

import rig  # noqa: E402
from rig.push_all import IMAGES  # noqa: E402
from rig.registry import Registry  # noqa: E402

# One run through the engine, as a short script would do it: create, start, wait, remove.
STRATA_RUN = """
import sys
from ansible_collections.strata.containers.plugins.module_utils.containers import Containers
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
root, image, network, name = sys.argv[1:5]
engine = Engine(root)
containers = Containers(engine.store, "runc")
record = containers.create(name, engine.find_image(image).image_id,
                           {"command": ["true"], "network_mode": network})
containers.start(record)
code = containers.wait(record, timeout=30)
containers.remove(record)
sys.exit(code)
"""

PODMAN_CONF = """[containers]
default_ulimits = ["nofile=%(nofile)d:%(nofile)d", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def collections_path(scratch):
    base = os.path.join(scratch, "collections")
    link = os.path.join(base, "ansible_collections", "strata", "containers")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return base


def podman_env(scratch):
    """A private containers.conf: podman's default rlimits exceed what this VM grants root."""
    import resource  # pylint: disable=import-outside-toplevel
    conf = os.path.join(scratch, "containers.conf")
    with open(conf, "w") as f:
        f.write(PODMAN_CONF % {"nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[1]})
    return {"CONTAINERS_CONF": conf}


def commands(ref, scratch, python):
    root = os.path.join(scratch, "strata")
    script = os.path.join(scratch, "strata_run.py")
    with open(script, "w") as f:
        f.write(STRATA_RUN)
    strata_env = {"PYTHONPATH": collections_path(scratch)}
    podman = ["podman", "--root", os.path.join(scratch, "podman"), "--runroot", os.path.join(scratch, "podman-run"),
              "--tmpdir", os.path.join(scratch, "podman-tmp"), "--network-config-dir",
              os.path.join(scratch, "podman-net"), "--storage-driver", "overlay"]
    penv = podman_env(scratch)
    return {
        "strata --network none": ([python, script, root, ref, "none", "bench"], strata_env),
        "podman run --rm --network none": (podman + ["run", "--rm", "--runtime", "runc", "--network", "none",
                                                     ref, "true"], penv),
        "strata (bridge)": ([python, script, root, ref, "bridge", "bench"], strata_env),
        "podman run --rm (bridge)": (podman + ["run", "--rm", "--runtime", "runc", ref, "true"], penv),
    }, (root, strata_env, podman, penv)


def prepare(ref, python, stores):
    root, strata_env, podman, penv = stores
    code = ("from ansible_collections.strata.containers.plugins.module_utils.engine import Engine;"
            "Engine(%r).pull(%r)" % (root, ref))
    subprocess.run([python, "-c", code], check=True, env=dict(os.environ, **strata_env))
    subprocess.run(podman + ["pull", "-q", "--tls-verify=false", ref], check=True, env=dict(os.environ, **penv),
                   stdout=subprocess.DEVNULL)


def time_once(cmd, env):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=dict(os.environ, **env), stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(table, runs, warmup=2):
    times = {name: [] for name in table}
    for dummy in range(warmup):
        for cmd, env in table.values():
            time_once(cmd, env)
    for dummy in range(runs):
        for name, (cmd, env) in table.items():
            times[name].append(time_once(cmd, env))
    return times


def report(times, mode, runs):
    lines = ["### Start latency, `run --rm busybox true` (%s, %d interleaved runs)" % (mode, runs), "",
             "| tool | median s | min–max s | strata / tool |", "|---|---|---|---|"]
    for name, values in times.items():
        ours = statistics.median(times["strata --network none" if "none" in name else "strata (bridge)"])
        med = statistics.median(values)
        ratio = ours / med
        mark = " ✓" if ratio <= 1.0 else ""
        lines.append("| %s | %.3f | %.3f–%.3f | %.2f%s |" % (name, med, min(values), max(values), ratio, mark))
    return "\n".join(lines) + "\n"


def cleanup(scratch, stores):
    root, strata_env, podman, penv = stores
    subprocess.run(podman + ["rm", "-a", "-f"], env=dict(os.environ, **penv), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    subprocess.run(podman + ["system", "reset", "-f"], env=dict(os.environ, **penv), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    subprocess.run(["umount", "-R", "-l", os.path.join(scratch, "strata")], stderr=subprocess.DEVNULL, check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--scratch", default="/var/tmp/strata-bench-start")
    parser.add_argument("--write", help="append the table to this markdown file")
    args = parser.parse_args()
    rig.ensure_built()
    os.makedirs(args.scratch, exist_ok=True)
    if args.tmpfs:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2g", "strata-bench", args.scratch], check=True)
    run_dir = tempfile.mkdtemp(prefix="registry-run-", dir="/var/tmp")
    python = os.path.join(REPO, ".venv", "bin", "python")
    python = python if os.path.exists(python) else sys.executable
    stores = None
    try:
        with Registry(os.path.join(rig.build_dir(), "registry"), workdir=run_dir) as reg:
            ref = "%s/%s" % (reg.addr, IMAGES["busybox"])
            table, stores = commands(ref, args.scratch, python)
            prepare(ref, python, stores)
        times = measure(table, args.runs)
    finally:
        if stores:
            cleanup(args.scratch, stores)
        shutil.rmtree(run_dir, ignore_errors=True)
        if args.tmpfs:
            subprocess.run(["umount", "-l", args.scratch], check=False)
        shutil.rmtree(args.scratch, ignore_errors=True)
    text = report(times, "tmpfs" if args.tmpfs else "ext4", args.runs)
    print(text)
    if args.write:
        with open(args.write, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
