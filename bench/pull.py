# -*- coding: utf-8 -*-
"""Cold pull of the multi-layer test image: strata.containers vs `podman pull` vs `docker pull`
(a private dockerd, when docker.io is installed) vs `skopeo copy` (download only), against one
local registry, interleaved (A B C A B C ...), medians and ratios.

    python3 bench/pull.py [--runs 5] [--tmpfs] [--image multi] [--write docs/performance.md]

Run as root after tests/setup.sh. Uses the test rig (tests/rig) for images and registry.
Each run starts from an empty store; stores live under --scratch (ext4 by default; --tmpfs
mounts a tmpfs there, since ext4 timings on these VMs drift between runs).
"""

from __future__ import annotations

import argparse
import os
import subprocess

import common


def commands(ref, scratch, docker=None):
    strata_root = os.path.join(scratch, "strata")
    podman_root = os.path.join(scratch, "podman")
    skopeo_dir = os.path.join(scratch, "skopeo")
    code = ("from ansible_collections.strata.containers.plugins.module_utils.engine import Engine;"
            "Engine(%r).images.pull(%r)" % (strata_root, ref))

    def fresh(*paths):
        def prepare():
            common.wipe(paths)
            subprocess.run(["sync"], check=True)
        return prepare

    layout, bundle = os.path.join(scratch, "layout"), os.path.join(scratch, "umoci-bundle")
    subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref, "oci:%s:img" % layout],
                   check=True)
    table = {
        "strata": ([common.python(), "-c", code], {"PYTHONPATH": common.collections_path(scratch)},
                   fresh(strata_root)),
        # umoci: extraction alone, from a local OCI layout (no download): what unpacking costs elsewhere
        "umoci unpack (extraction only)": (["umoci", "unpack", "--image", layout + ":img", bundle], {},
                                           fresh(bundle)),
        "podman pull": (["podman", "--root", podman_root, "--runroot", podman_root + "-run", "--storage-driver",
                         "overlay", "pull", "-q", "--tls-verify=false", ref], {}, fresh(podman_root, podman_root + "-run")),
    }
    if docker:  # 127.0.0.0/8 registries are insecure-allowed by default

        def docker_fresh():
            common.docker_empty(docker, [ref])
            subprocess.run(["sync"], check=True)
        table["docker pull"] = (docker.argv + ["pull", "-q", ref], docker.env, docker_fresh)
    table.update({
        "skopeo copy (download only)": (["skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref,
                                         "oci:%s:img" % skopeo_dir], {}, fresh(skopeo_dir)),
    })
    return table, [strata_root, podman_root, podman_root + "-run", skopeo_dir, layout, bundle]


def measure(runs, tmpfs, image="multi", scratch="/var/tmp/strata-bench"):
    """[(title, times, ours_for)] for bench/run and main()."""
    with common.scratch_area(scratch, tmpfs) as area, common.registry() as (addr, images), \
            common.docker_daemon(area) as docker:
        table, paths = commands("%s/%s" % (addr, images[image]), area, docker)
        try:
            times = common.interleaved(table, runs)
            sizes = store_sizes(paths[0], paths[1], docker)  # each store as its last pull left it
        finally:
            common.wipe(paths)
    title = "Cold pull of `%s` (%s, %d interleaved runs)" % (image, "tmpfs" if tmpfs else "ext4", runs)
    return [(title, times, lambda name: "strata"),
            ("Store after pulling `%s` (disk used, `du -s`)" % image, sizes, lambda name: "strata store", "MB")]


def _used_mb(path):
    """Disk used under ``path`` (each hard-linked file once, as du counts), in MB."""
    out = subprocess.run(["du", "-s", "-B1", path], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) / 1e6


def store_sizes(strata_root, podman_root, docker):
    """{tool: [MB]}: what each engine's store holds after a pull of the image (layers, metadata)."""
    sizes = {"strata store": [_used_mb(strata_root)], "podman store": [_used_mb(podman_root)]}
    if docker:
        sizes["docker store (data root)"] = [_used_mb(docker.data)]
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default="multi")
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--write", help="append the table to this markdown file")
    args = parser.parse_args()
    common.write_all(measure(args.runs, args.tmpfs, args.image), args.write)


if __name__ == "__main__":
    main()
