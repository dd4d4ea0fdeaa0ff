# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata info``: docker info's facts (system/host_info.py) as text, JSON or a Go template."""

from __future__ import annotations

import json

from .template import Template


def register(add):
    cmd = add("info", "Display system-wide information", info)
    cmd.add_argument("-f", "--format", help="a Go template, e.g. '{{.cgroup.version}}', or 'json'")


def info(ctx, args):
    from ..system import host_info  # pylint: disable=import-outside-toplevel
    facts = host_info.report(ctx.engine(read_only=True))
    if args.format == "json":
        ctx.out(json.dumps(facts, indent=2, sort_keys=True))
    elif args.format:
        ctx.out(Template(args.format).execute(facts))
    else:
        for line in _lines(facts):
            ctx.out(line)
    return 0


def _lines(facts):
    runtime, kernel, cgroup, storage = facts["runtime"], facts["kernel"], facts["cgroup"], facts["storage"]
    return [
        "Engine: %s %s (Python %s)" % (facts["engine"]["name"], facts["engine"]["version"], facts["engine"]["python"]),
        "Containers: %d" % facts["containers"],
        " Running: %d" % facts["containers_running"],
        " Paused: %d" % facts["containers_paused"],
        " Stopped: %d" % facts["containers_stopped"],
        "Images: %d" % facts["images"],
        "Volumes: %d" % facts["volumes"],
        "Networks: %d" % facts["networks"],
        "Storage Driver: %s (overlayfs %s)" % (storage["driver"],
                                               "supported" if storage["overlay_supported"] else "missing"),
        "Root Dir: %s" % storage["root"],
        "Cgroup Driver: %s" % cgroup["driver"],
        "Cgroup Version: %s (%s)" % (cgroup["version"][1:], cgroup["layout"]),
        "Cgroup Controllers: %s" % " ".join(cgroup["controllers"]),
        "Default Runtime: %s" % (runtime["name"] or "none"),
        "Runtime Version: %s" % (runtime["version"] or runtime.get("error") or "unknown"),
        "Kernel Version: %s" % kernel["release"],
        "Operating System: %s" % kernel["operating_system"],
        "Architecture: %s" % kernel["architecture"],
        "CPUs: %s" % kernel["cpus"],
    ]
