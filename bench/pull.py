# -*- coding: utf-8 -*-
"""Cold pull of the multi-layer test image: strata.containers vs `podman pull` vs `skopeo copy`
(download only), against one local registry, interleaved (A B C A B C ...), medians and ratios.

    python3 bench/pull.py [--runs 5] [--tmpfs] [--image multi] [--write docs/performance.md]

Run as root after tests/setup.sh. Uses the test rig (tests/rig) for images and registry.
Each run starts from an empty store; stores live under --scratch (ext4 by default; --tmpfs
mounts a tmpfs there, since ext4 timings on these VMs drift between runs).
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


def collections_path(scratch):
    base = os.path.join(scratch, "collections")
    link = os.path.join(base, "ansible_collections", "strata", "containers")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return base


def tools(ref, scratch, python):
    colls = collections_path(scratch)
    strata_root = os.path.join(scratch, "strata")
    podman_root = os.path.join(scratch, "podman")
    skopeo_dir = os.path.join(scratch, "skopeo")
    code = ("from ansible_collections.strata.containers.plugins.module_utils.engine import Engine;"
            "Engine(%r).pull(%r)" % (strata_root, ref))
    return {
        "strata": ([strata_root], [python, "-c", code], {"PYTHONPATH": colls}),
        "podman pull": ([podman_root, podman_root + "-run"],
                        ["podman", "--root", podman_root, "--runroot", podman_root + "-run", "--storage-driver",
                         "overlay", "pull", "-q", "--tls-verify=false", ref], {}),
        "skopeo copy (download only)": ([skopeo_dir], ["skopeo", "copy", "-q", "--src-tls-verify=false",
                                                       "docker://" + ref, "oci:%s:img" % skopeo_dir], {}),
    }


def wipe(paths):
    for path in paths:
        if os.path.isdir(path):
            subprocess.run(["umount", "-R", "-l", path], stderr=subprocess.DEVNULL, check=False)
            shutil.rmtree(path, ignore_errors=True)


def time_once(paths, cmd, env):
    wipe(paths)
    subprocess.run(["sync"], check=True)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=dict(os.environ, **env), stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(ref, scratch, runs, python):
    table = tools(ref, scratch, python)
    times = {name: [] for name in table}
    for name, (paths, cmd, env) in table.items():  # warm-up: page cache, first-run costs
        time_once(paths, cmd, env)
    for dummy in range(runs):
        for name, (paths, cmd, env) in table.items():
            times[name].append(time_once(paths, cmd, env))
    for paths, _cmd, _env in table.values():
        wipe(paths)
    return times


def report(times, mode, image, runs):
    ours = statistics.median(times["strata"])
    lines = ["### Cold pull of `%s` (%s, %d interleaved runs)" % (image, mode, runs), "",
             "| tool | median s | min–max s | strata / tool |", "|---|---|---|---|"]
    for name, values in times.items():
        med = statistics.median(values)
        ratio = ours / med
        mark = " ✓" if ratio <= 1.0 else ""
        lines.append("| %s | %.3f | %.3f–%.3f | %.2f%s |" % (name, med, min(values), max(values), ratio, mark))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default="multi", choices=sorted(IMAGES))
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--scratch", default="/var/tmp/strata-bench")
    parser.add_argument("--write", help="append the table to this markdown file")
    args = parser.parse_args()
    rig.ensure_built()
    os.makedirs(args.scratch, exist_ok=True)
    if args.tmpfs:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8g", "strata-bench", args.scratch], check=True)
    run_dir = tempfile.mkdtemp(prefix="registry-run-", dir="/var/tmp")
    try:
        with Registry(os.path.join(rig.build_dir(), "registry"), workdir=run_dir) as reg:
            ref = "%s/%s" % (reg.addr, IMAGES[args.image])
            python = os.path.join(REPO, ".venv", "bin", "python")
            times = measure(ref, args.scratch, args.runs, python if os.path.exists(python) else sys.executable)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
        if args.tmpfs:
            subprocess.run(["umount", args.scratch], check=False)
    text = report(times, "tmpfs" if args.tmpfs else "ext4", args.image, args.runs)
    print(text)
    if args.write:
        with open(args.write, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
