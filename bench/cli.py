# -*- coding: utf-8 -*-
"""The `strata` command line as a user runs it (`python bin/strata --root R ...`, from process
start to exit) beside podman and docker (a private dockerd, when docker.io is installed), on a
store of 20 images and 20 containers: `images`, `ps -a`, `inspect` of a container, and
`run --rm --network none busybox true`; interleaved, medians.

    python3 bench/cli.py [--runs 15] [--tmpfs] [--before DIR] [--write docs/performance.md]

`--before DIR` adds the same commands run by another checkout's bin/strata (e.g. `git archive`
of an earlier commit unpacked in DIR) on the same store, for a before/after comparison.
Run as root after tests/setup.sh.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import tarfile

import common

IMAGES = 20       # busybox, and 19 one-file images made by `import`
CONTAINERS = 20   # created from busybox, never started (as `ps -a` lists them)
WORK = (("images", ["images"]), ("ps -a", ["ps", "-a"]), ("inspect", ["inspect", "c1"]))


def _tarball(path, number):
    with tarfile.open(path, "w") as tar:
        data = b"image %d\n" % number
        info = tarfile.TarInfo("file-%d" % number)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def _fill(strata, peers, ref, scratch):
    """The same 20 images and 20 containers in every store; ``peers``: [(argv, env, import options,
    create options)]."""
    for number in range(1, IMAGES):
        tarball = os.path.join(scratch, "image-%d.tar" % number)
        _tarball(tarball, number)
        subprocess.run(strata + ["import", tarball, "bench/imported:%d" % number], check=True, stdout=subprocess.DEVNULL)
        for argv, env, options, dummy in peers:
            subprocess.run(argv + ["import"] + options + [tarball, "bench/imported:%d" % number], check=True,
                           stdout=subprocess.DEVNULL, env=dict(os.environ, **env))
    for number in range(1, CONTAINERS + 1):
        subprocess.run(strata + ["create", "--name", "c%d" % number, "--network", "none", ref, "true"], check=True,
                       stdout=subprocess.DEVNULL)
        for argv, env, dummy, options in peers:
            subprocess.run(argv + ["create", "--name", "c%d" % number] + options + ["--network", "none", ref, "true"],
                           check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, **env))


def _user_env(scratch):
    """Bytecode cached as an installed collection has it (here in the scratch area, not the repo)."""
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": os.path.join(scratch, "pycache")}


def commands(ref, scratch, before=None, docker=None):
    root, dummy, podman, penv = common.stores_with(ref, scratch)
    checkouts = [("strata", common.REPO)] + ([("strata before", before)] if before else [])
    strata = {label: [common.python(), os.path.join(repo, "bin", "strata"), "--root", root]
              for label, repo in checkouts}
    peers = [(podman, penv, ["-q"], ["--runtime", "runc"])]
    if docker:  # runc is its default runtime
        common.docker_pull(docker, ref)
        peers.append((docker.argv, docker.env, [], []))
    _fill(strata["strata"], peers, ref, scratch)
    env = _user_env(scratch)
    run = ["run", "--rm", "--network", "none", ref, "true"]
    tables = []
    for title, args in WORK + (("run --rm --network none busybox true", run),):
        table = {"%s %s" % (label, title): (argv + args, env, None) for label, argv in strata.items()}
        prun = ["run", "--rm", "--runtime", "runc", "--network", "none", ref, "true"]
        table["podman %s" % title] = (podman + (prun if args is run else args), penv, None)
        if docker:
            table["docker %s" % title] = (docker.argv + args, docker.env, None)
        tables.append((title, table))
    return tables, (root, podman, penv)


def measure(runs, tmpfs, before=None, scratch="/var/tmp/strata-bench-cli"):
    results = []
    with common.scratch_area(scratch, tmpfs) as area, common.registry() as (addr, images), \
            common.docker_daemon(area) as docker:
        tables, (root, podman, penv) = commands("%s/%s" % (addr, images["busybox"]), area, before, docker)
        try:
            for title, table in tables:
                times = common.interleaved(table, runs, warmup=2)
                heading = "CLI `%s`, %d images and %d containers (%s, %d interleaved runs)" % (
                    title, IMAGES, CONTAINERS, "tmpfs" if tmpfs else "ext4", runs)
                ours = "strata %s" % title
                results.append((heading, times, lambda name, ours=ours: ours))
        finally:
            common.podman_reset(podman, penv)
            common.wipe([root])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--before", help="another checkout whose bin/strata is timed beside this one")
    parser.add_argument("--write", help="append the tables to this markdown file")
    args = parser.parse_args()
    common.write_all(measure(args.runs, args.tmpfs, args.before and os.path.abspath(args.before)), args.write)


if __name__ == "__main__":
    main()
