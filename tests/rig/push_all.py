# -*- coding: utf-8 -*-
"""Push the rig's images with skopeo into a registry storage directory kept in the cache.

    python3 -m rig.push_all OUT OCI
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from rig.registry import Registry, run_skopeo

# Names in the registry: the port is not part of the storage, so any later port serves them.
IMAGES = {
    "busybox": "test/busybox:latest",
    "multi": "test/multi:latest",
    "multi_zstd": "test/multi:zstd",
    "multi_v2s2": "test/multi-v2s2:latest",
    "platforms": "test/platforms:latest",
}


def push_zstd(reg, oci, out):
    """skopeo 1.9 reuses gzip blobs it already knows from its blob-info cache, even when asked
    for zstd; a private, empty cache (tmpfs in a private mount namespace) avoids that."""
    zstd_layout = os.path.join(out, "oci-zstd")
    script = ("set -e; mkdir -p /var/lib/containers/cache; mount -t tmpfs none /var/lib/containers/cache; "
              "skopeo copy -q --dest-compress --dest-compress-format zstd oci:{oci}:multi oci:{z}:multi; "
              "skopeo copy -q --dest-compress-format zstd --dest-tls-verify=false oci:{z}:multi "
              "docker://{addr}/{name}").format(oci=oci, z=zstd_layout, addr=reg.addr, name=IMAGES["multi_zstd"])
    subprocess.run(["unshare", "-m", "sh", "-c", script], check=True)
    raw = json.loads(run_skopeo("inspect", "--raw", "--tls-verify=false",
                                "docker://%s/%s" % (reg.addr, IMAGES["multi_zstd"])))
    if not all(layer["mediaType"].endswith("+zstd") for layer in raw["layers"]):
        raise RuntimeError("the zstd push kept gzip layers: %s" % [la["mediaType"] for la in raw["layers"]])


def main(out, oci):
    data = os.path.join(out, "registry")
    with Registry(data, workdir=os.path.join(out, "registry-run")) as reg:
        reg.push(oci + ":busybox", IMAGES["busybox"])
        reg.push(oci + ":multi", IMAGES["multi"])
        reg.push(oci + ":multi", IMAGES["multi_v2s2"], "--format", "v2s2")
        reg.push(oci + ":platforms", IMAGES["platforms"], "--all")
        push_zstd(reg, oci, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
