# -*- coding: utf-8 -*-
"""What tests and benchmarks leave on the host and must undo, and the podman configuration
they share (standard library only; independent of the engine under test).

    unmount_under(path)            every mount below ``path``, deepest first, lazily detached
    remove_empty_cgroups(parents)  empty cgroup directories the engines made, bottom up
    write_podman_conf(path)        containers.conf for a private podman on these VMs
"""

from __future__ import annotations

import os
import resource
import subprocess

# podman's default rlimits exceed what some hosts grant root (no CAP_SYS_RESOURCE); no systemd.
PODMAN_CONF = """[containers]
default_ulimits = ["nofile=%(nofile)d:%(nofile)d", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""
# Our cgroup parent and podman's (its cgroupfs manager), in each hierarchy.
CGROUP_PARENTS = ("strata", "libpod_parent")


def _unescape(field):
    """A mountinfo path: spaces, tabs, newlines and backslashes come octal-escaped."""
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def unmount_under(path):
    """Detach every mount below ``path`` (not ``path`` itself), deepest first."""
    prefix = path.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        points = [_unescape(line.split()[4]) for line in f]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL, check=False)


def remove_empty_cgroups(parents=CGROUP_PARENTS):
    """The ``parents`` cgroup directories (in every v1 hierarchy and on a cgroup2 mount) where
    nothing runs any more, children first; rmdir refuses busy ones, so a container still
    running elsewhere keeps its cgroup."""
    top = "/sys/fs/cgroup"
    for mount in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        for parent in parents:
            tree = [d for d, dummy, dummy2 in os.walk(os.path.join(top, mount, parent))]
            for directory in sorted(tree, key=len, reverse=True):
                try:
                    os.rmdir(directory)
                except OSError:
                    pass


def write_podman_conf(path):
    """PODMAN_CONF at ``path``, with our own hard RLIMIT_NOFILE as podman's."""
    with open(path, "w") as f:
        f.write(PODMAN_CONF % {"nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[1]})
    return path
