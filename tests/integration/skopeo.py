# -*- coding: utf-8 -*-
"""skopeo, the independent client our pulls are checked against."""

from __future__ import annotations

import json
import subprocess


def run(*args):
    proc = subprocess.run(["skopeo"] + list(args), capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode:
        raise AssertionError("skopeo %s failed: %s" % (" ".join(args), proc.stderr))
    return proc.stdout


def inspect(ref, raw=False, config=False):
    args = ["inspect", "--tls-verify=false"]
    if raw:
        args.append("--raw")
    if config:
        args.append("--config")
    return json.loads(run(*(args + ["docker://" + ref])))


def copy_to_oci(ref, layout, tag):
    run("copy", "-q", "--src-tls-verify=false", "docker://" + ref, "oci:%s:%s" % (layout, tag))
