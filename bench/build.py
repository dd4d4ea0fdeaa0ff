# -*- coding: utf-8 -*-
"""Cold build and no-change rebuild of a sample multi-step Dockerfile: strata.containers'
engine against `podman build` (runc, host network, layer cache on) and docker's legacy builder
(`DOCKER_BUILDKIT=0 docker build --network none`, a private dockerd, when docker.io is
installed), same context, interleaved, medians and ratios.

    python3 bench/build.py [--runs 5] [--tmpfs] [--write docs/performance.md]

Run as root after tests/setup.sh. The base image is the test rig's busybox, pulled once into
each tool's private store. "cold" empties each tool's build cache and built images before
every run (the base image stays); "rebuild" builds again with nothing changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess

import common

DOCKERFILE = """\
ARG BASE
FROM ${BASE}
ENV APP=/app
WORKDIR /app
COPY files/ ./files/
RUN for i in 1 2 3 4 5; do echo $i >> /app/log; done && cat /app/files/* > /app/all
RUN ls /app/files | wc -l > /app/count
LABEL bench=yes
EXPOSE 8080
CMD ["cat", "/app/count"]
"""

STRATA_BUILD = """
import sys
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
root, context, base = sys.argv[1:4]
Engine(root).builds.build("bench/app:1", context, build_args={"BASE": base}, runtime="runc")
"""


def make_context(scratch):
    context = os.path.join(scratch, "context")
    files = os.path.join(context, "files")
    os.makedirs(files)
    for i in range(200):
        with open(os.path.join(files, "f%03d.txt" % i), "w") as f:
            f.write("line %d\n" % i * 20)
    with open(os.path.join(context, "Dockerfile"), "w") as f:
        f.write(DOCKERFILE)
    return context


def commands(ref, scratch, docker=None):
    context = make_context(scratch)
    root, env, podman, penv = common.stores_with(ref, scratch)
    script = common.script(scratch, "strata_build.py", STRATA_BUILD)
    strata = [common.python(), script, root, context, ref]
    podman_build = podman + ["build", "-q", "--layers", "--runtime", "runc", "--network", "host", "--tls-verify=false",
                             "--build-arg", "BASE=" + ref, "-t", "bench/app:1", context]

    def strata_cold():
        """Drop the built image, its build cache and the layers only it had."""
        code = ("from ansible_collections.strata.containers.plugins.module_utils.engine import Engine;"
                "e = Engine(%r);\ntry: e.images.remove('bench/app:1')\nexcept Exception: pass" % root)
        subprocess.run([common.python(), "-c", code], check=True, env=dict(os.environ, **env))
        shutil.rmtree(os.path.join(root, "build-cache"), ignore_errors=True)

    def podman_cold():
        for args in (["rmi", "-f", "bench/app:1"], ["image", "prune", "-f"]):
            subprocess.run(podman + args, env=dict(os.environ, **penv), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)

    cold = {"strata build (cold)": (strata, env, strata_cold), "podman build (cold)": (podman_build, penv, podman_cold)}
    warm = {"strata build (no change)": (strata, env, None), "podman build (no change)": (podman_build, penv, None)}
    if docker:  # the Dockerfile's RUNs need no network
        common.docker_pull(docker, ref)
        docker_build = (docker.argv + ["build", "-q", "--network", "none", "--build-arg", "BASE=" + ref, "-t",
                                       "bench/app:1", context], dict(docker.env, DOCKER_BUILDKIT="0"))

        def docker_cold():
            """The built image and its parents, the legacy builder's cache (the base image stays)."""
            for args in (["rmi", "-f", "bench/app:1"], ["image", "prune", "-f"]):
                subprocess.run(docker.argv + args, env=dict(os.environ, **docker.env), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
        cold["docker build (cold)"] = docker_build + (docker_cold,)
        warm["docker build (no change)"] = docker_build + (None,)
    return cold, warm, (root, podman, penv)


def measure(runs, tmpfs, scratch="/var/tmp/strata-bench-build"):
    mode = "tmpfs" if tmpfs else "ext4"
    with common.scratch_area(scratch, tmpfs) as area, common.registry() as (addr, images), \
            common.docker_daemon(area) as docker:
        cold, warm, (root, podman, penv) = commands("%s/%s" % (addr, images["busybox"]), area, docker)
        try:
            cold_times = common.interleaved(cold, runs)
            warm_times = common.interleaved(warm, runs)
        finally:
            common.podman_reset(podman, penv)
            common.wipe([root])
    return [("Build of a 9-step Dockerfile, cold (%s, %d interleaved runs)" % (mode, runs), cold_times,
             lambda name: "strata build (cold)"),
            ("Rebuild with nothing changed (%s, %d interleaved runs)" % (mode, runs), warm_times,
             lambda name: "strata build (no change)")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--write", help="append the tables to this markdown file")
    args = parser.parse_args()
    common.write_all(measure(args.runs, args.tmpfs), args.write)


if __name__ == "__main__":
    main()
