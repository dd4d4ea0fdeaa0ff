# -*- coding: utf-8 -*-
"""Save and load of the multi-layer test image as a docker-archive: strata.containers' engine
against `podman save` and `podman load`, and `docker save` and `docker load` (a private dockerd,
when docker.io is installed), interleaved, medians and ratios.

    python3 bench/archive.py [--runs 5] [--tmpfs] [--write docs/performance.md]

Run as root after tests/setup.sh. Each tool saves the image from its own store to its own
file (removed before each run); each load goes into an empty store (podman: the image is
removed first, its layers with it; docker: `rmi` and `image prune`, its layers checked gone)
from the file that tool saved.
"""

from __future__ import annotations

import argparse
import os
import subprocess

import common

ENGINE = "from ansible_collections.strata.containers.plugins.module_utils.%s import %s\n"
STRATA = (ENGINE % ("engine", "Engine") + """
import sys
root, action, path, ref = sys.argv[1:5]
service = Engine(root).archives
service.save([ref], path) if action == "save" else service.load(path)
""")


def commands(ref, scratch, docker=None):
    root, env, podman, penv = common.stores_with(ref, scratch)
    script = common.script(scratch, "strata_archive.py", STRATA)
    ours, theirs = os.path.join(scratch, "strata.tar"), os.path.join(scratch, "podman.tar")
    load_root = os.path.join(scratch, "strata-load")

    def gone(path):
        return lambda: os.path.exists(path) and os.unlink(path)

    def podman_empty():
        subprocess.run(podman + ["rmi", "-a", "-f"], env=dict(os.environ, **penv), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)

    save = {
        "strata save": ([common.python(), script, root, "save", ours, ref], env, gone(ours)),
        "podman save": (podman + ["save", "-q", "--format", "docker-archive", "-o", theirs, ref], penv, gone(theirs)),
    }
    load = {
        "strata load": ([common.python(), script, load_root, "load", ours, ref], env, lambda: common.wipe([load_root])),
        "podman load": (podman + ["load", "-q", "-i", theirs], penv, podman_empty),
    }
    if docker:
        common.docker_pull(docker, ref)
        dockers = os.path.join(scratch, "docker.tar")
        save["docker save"] = (docker.argv + ["save", "-o", dockers, ref], docker.env, gone(dockers))
        load["docker load"] = (docker.argv + ["load", "-q", "-i", dockers], docker.env,
                               lambda: common.docker_empty(docker, [ref]))
    return save, load, (root, load_root, podman, penv)


def measure(runs, tmpfs, scratch="/var/tmp/strata-bench-archive"):
    mode = "tmpfs" if tmpfs else "ext4"
    with common.scratch_area(scratch, tmpfs) as area, common.registry() as (addr, images), \
            common.docker_daemon(area) as docker:
        save, load, (root, load_root, podman, penv) = commands("%s/%s" % (addr, images["multi"]), area, docker)
        try:
            save_times = common.interleaved(save, runs)
            load_times = common.interleaved(load, runs)
        finally:
            common.podman_reset(podman, penv)
            common.wipe([root, load_root])
    return [("Save of `multi` as a docker-archive (%s, %d interleaved runs)" % (mode, runs), save_times,
             lambda name: "strata save"),
            ("Load of `multi` into an empty store (%s, %d interleaved runs)" % (mode, runs), load_times,
             lambda name: "strata load")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--write", help="append the tables to this markdown file")
    args = parser.parse_args()
    common.write_all(measure(args.runs, args.tmpfs), args.write)


if __name__ == "__main__":
    main()
