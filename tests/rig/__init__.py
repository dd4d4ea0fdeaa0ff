# -*- coding: utf-8 -*-
"""The test rig: images built offline from Debian packages, a real registry, crafted layouts.

Import it as the package ``rig`` with ``tests/`` on ``sys.path`` (tests/conftest.py puts it
there): ``from rig.registry import Registry``, ``from rig import oci_writer``.

    rig/build_images.sh   builds the images into one OCI layout and pushes them (skopeo) into a
                          registry storage directory; both cached under $STRATA_TEST_CACHE
                          (default /var/tmp/strata-test-cache) in v<RIG_VERSION>/
    rig/registry.py       Registry: Debian's docker-registry on 127.0.0.1 and a free port
    rig/oci_writer.py     write_image()/tar_bytes(): one-image OCI layouts from crafted tars
    rig/push_all.py       IMAGES (logical name -> name in the registry) and the cached push
    rig/make_layers.py    the content of the images (small files, the special layer, the index)
    rig/host.py           undoing what tests leave on the host (mounts, cgroups); podman's config

This module: where the cache is and whether it is current (standard library only).
"""

from __future__ import annotations

import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_SCRIPT = os.path.join(HERE, "build_images.sh")


def cache_root():
    """$STRATA_TEST_CACHE, or /var/tmp/strata-test-cache."""
    return os.environ.get("STRATA_TEST_CACHE") or "/var/tmp/strata-test-cache"


def rig_version():
    """RIG_VERSION as build_images.sh sets it (the one place it is written)."""
    with open(BUILD_SCRIPT) as f:
        match = re.search(r"^RIG_VERSION=(\d+)", f.read(), re.M)
    if not match:
        raise RuntimeError("no RIG_VERSION= line in %s" % BUILD_SCRIPT)
    return int(match.group(1))


def build_dir():
    """$CACHE/v<RIG_VERSION>: oci/ (the layout), registry/ (a filled registry storage)."""
    return os.path.join(cache_root(), "v%d" % rig_version())


def is_current():
    """True when the cache holds a finished build of this RIG_VERSION."""
    try:
        with open(os.path.join(build_dir(), "images.done")) as f:
            return f.read().strip() == str(rig_version())
    except OSError:
        return False


def ensure_built():
    """Runs build_images.sh unless the stamp is current; returns build_dir()."""
    if not is_current():
        if os.geteuid() != 0:
            raise RuntimeError("the test images are not built and building them needs root: "
                               "run `sudo bash %s`" % BUILD_SCRIPT)
        subprocess.run(["bash", BUILD_SCRIPT], check=True)
        if not is_current():
            raise RuntimeError("%s finished without writing %s/images.done" % (BUILD_SCRIPT, build_dir()))
    return build_dir()
