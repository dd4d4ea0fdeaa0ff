# -*- coding: utf-8 -*-
"""Start latency of a container running `true`, removed afterwards (`docker run --rm`), with
the image already in the store: strata.containers' engine against `podman run --rm`, both on
runc, network `none` and bridge, and `docker run --rm --network none` (a private dockerd, when
docker.io is installed), interleaved (A B C D A B C D ...), medians and ratios.

    python3 bench/start.py [--runs 20] [--tmpfs] [--write docs/performance.md]

Run as root after tests/setup.sh. The image is the test rig's busybox (tests/rig), pulled
once into each tool's private store. Each timed run is a fresh process, from its start to
its exit after the container is gone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess

import common

# One run through the engine, as a short script would do it: create, start, wait, remove.
STRATA_RUN = """
import sys
from ansible_collections.strata.containers.plugins.module_utils.containers.lifecycle import Containers
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
root, image, network, name = sys.argv[1:5]
engine = Engine(root)
containers = Containers(engine.store, "runc")
record = containers.create(name, engine.images.find_image(image).image_id,
                           {"command": ["true"], "network_mode": network})
containers.start(record)
code = containers.wait(record, timeout=30)
containers.remove(record)
sys.exit(code)
"""


def runc_bundle(ref, scratch):
    """The image unpacked by umoci, its config made to run ``true`` without a terminal: the
    runtime's own cost, what any engine adds its work to."""
    layout, bundle = os.path.join(scratch, "runc-layout"), os.path.join(scratch, "runc-bundle")
    subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref, "oci:%s:img" % layout],
                   check=True)
    subprocess.run(["umoci", "unpack", "--image", layout + ":img", bundle], check=True, capture_output=True)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["process"].update(args=["/bin/true"], terminal=False)
    with open(path, "w") as f:
        json.dump(config, f)
    return bundle


def commands(ref, scratch, docker=None):
    root, env, podman, penv = common.stores_with(ref, scratch)
    script = common.script(scratch, "strata_run.py", STRATA_RUN)
    table = {
        "strata --network none": ([common.python(), script, root, ref, "none", "bench"], env, None),
        "runc run of a prepared bundle (no engine)": (["runc", "--root", os.path.join(scratch, "runc-state"), "run",
                                                       "--bundle", runc_bundle(ref, scratch), "bench-runc"], {}, None),
        "podman run --rm --network none": (podman + ["run", "--rm", "--runtime", "runc", "--network", "none",
                                                     ref, "true"], penv, None),
    }
    if docker:  # its daemon has no bridge: no bridge row
        common.docker_pull(docker, ref)
        table["docker run --rm --network none"] = (docker.argv + ["run", "--rm", "--network", "none", ref, "true"],
                                                   docker.env, None)
    table.update({
        "strata (bridge)": ([common.python(), script, root, ref, "bridge", "bench"], env, None),
        "podman run --rm (bridge)": (podman + ["run", "--rm", "--runtime", "runc", ref, "true"], penv, None),
    })
    return table, (root, podman, penv)


def measure(runs, tmpfs, scratch="/var/tmp/strata-bench-start"):
    with common.scratch_area(scratch, tmpfs) as area, common.registry() as (addr, images), \
            common.docker_daemon(area) as docker:
        table, (root, podman, penv) = commands("%s/%s" % (addr, images["busybox"]), area, docker)
        try:
            times = common.interleaved(table, runs, warmup=2)
        finally:
            common.podman_reset(podman, penv)
            common.wipe([root])
    title = "Start latency, `run --rm busybox true` (%s, %d interleaved runs)" % ("tmpfs" if tmpfs else "ext4", runs)
    return [(title, times, lambda name: "strata --network none" if "none" in name or "runc" in name
             else "strata (bridge)")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--write", help="append the table to this markdown file")
    args = parser.parse_args()
    common.write_all(measure(args.runs, args.tmpfs), args.write)


if __name__ == "__main__":
    main()
