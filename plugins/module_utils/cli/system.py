# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata prune`` (``docker image prune``, with stopped containers and the build cache on
request) and ``strata system df``: what the store holds and what could go."""

from __future__ import annotations

import os
import time

from . import format as fmt
from ..build.cache import BuildCache
from ..fs.tree import allocated_bytes
from .common import filters
from .images import name_rows

DF_TABLE = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
DF_HEADERS = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}
DF_IMAGES = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"
DF_IMAGE_HEADERS = {"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED", "Size": "SIZE",
                    "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS"}
WARNINGS = {False: "WARNING! This will remove all dangling images.",
            True: "WARNING! This will remove all images without at least one container associated to them."}


def register(add):
    cmd = add("prune", "Remove unused images (docker image prune), and more on request", prune)
    cmd.add_argument("-a", "--all", action="store_true", help="remove all unused images, not just dangling ones")
    cmd.add_argument("--containers", action="store_true", help="first remove stopped containers")
    cmd.add_argument("--build-cache", action="store_true", help="also remove the build cache")
    cmd.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                     help="until=24h (or a time), label=KEY[=VALUE], label!=KEY[=VALUE]")
    cmd.add_argument("-f", "--force", action="store_true", help="do not prompt for confirmation")

    cmd = add("system", "Manage the store (strata system df)", None)
    sub = cmd.add_subparsers(dest="system_command", metavar="COMMAND", parser_class=type(cmd))
    sub.required = True
    df_cmd = add("df", "Show disk usage", df, under=sub)
    df_cmd.add_argument("-v", "--verbose", action="store_true", help="show detailed information on space usage")


def _prune_filters(items):
    wanted = filters(items)
    if "label!" in wanted:  # "label!=KEY" splits at its "=": Docker's negated label filter
        wanted["label"] = wanted.get("label", []) + ["!" + v for v in wanted.pop("label!")]
    return wanted


def prune(ctx, args):
    wanted = _prune_filters(args.filter)
    if not args.force:
        ctx.write("%s\nAre you sure you want to continue? [y/N] " % WARNINGS[args.all])
        ctx.stdout.flush()
        answer = ctx.stdin.readline()
        if not ctx.stdin.isatty():
            ctx.out()  # the answer was not echoed
        if answer.strip().lower() not in ("y", "yes"):
            return 0
    result = ctx.engine().pruner.prune(args.all, args.containers, args.build_cache, wanted)
    if result["containers"]:
        ctx.out("Deleted Containers:")
        for name in result["containers"]:
            ctx.out(name)
        ctx.out()
    if result["images"] or result["layers"]:
        ctx.out("Deleted Images:")
        for image_id in result["images"] + result["layers"]:
            ctx.out("deleted: %s" % image_id)
        ctx.out()
    if result["build_cache"]:
        ctx.out("Deleted build cache objects: %d" % result["build_cache"])
        ctx.out()
    ctx.out("Total reclaimed space: %s" % fmt.human_size(result["space_reclaimed"], 4))
    return 0


def _reclaimable(size, total):
    text = fmt.human_size(size, 4)
    return "%s (%d%%)" % (text, size * 100 // total) if total > 0 else text


def _row(kind, count, active, size, reclaimable):
    return {"Type": kind, "TotalCount": str(count), "Active": str(active), "Size": fmt.human_size(size, 4),
            "Reclaimable": _reclaimable(reclaimable, size)}


def _volume_links(records):
    links = {}
    for record in records:
        for mount in (record.get("options") or {}).get("mounts") or []:
            if mount["type"] == "volume":
                links[mount["source"]] = links.get(mount["source"], 0) + 1
    return links


def _measure(service):
    """What ``system df`` shows: containers' writable layers, volumes and the build cache."""
    store, containers = service.images.store, service.containers
    records = containers.records.all() if store.exists else []
    seen = set()
    facts = {"records": records, "links": _volume_links(records),
             "sizes": {r["id"]: allocated_bytes(containers.records.path(r["id"], "upper"), seen) for r in records},
             "running": {r["id"] for r in records if containers.status(r) in ("running", "paused", "restarting")}}
    volumes_dir = os.path.join(store.root, "volumes")
    facts["volumes"] = {v: allocated_bytes(os.path.join(volumes_dir, v), seen)
                        for v in (sorted(os.listdir(volumes_dir)) if os.path.isdir(volumes_dir) else [])}
    cache = BuildCache(store)
    image_layers = {layer["chain_id"] for r in store.image_records() for layer in r["layers"]}
    cached = {((cache.get(k) or {}).get("layer") or {}).get("chain_id") for k in cache.entries()} - image_layers - {None}
    facts["cache_entries"] = len(cache.entries())
    facts["cache_size"] = sum(store.layers.size(c) for c in cached if store.layers.exists(c))
    return facts


def df(ctx, args):
    engine = ctx.engine(read_only=True)
    service, store = engine.containers, engine.store
    report = engine.disk_usage()
    facts = _measure(service)
    sizes, running, volumes, links = facts["sizes"], facts["running"], facts["volumes"], facts["links"]
    rows = [_row("Images", len(report["images"]), sum(1 for i in report["images"] if i["containers"]),
                 report["total_size"], report["reclaimable"]),
            _row("Containers", len(sizes), len(running), sum(sizes.values()),
                 sum(s for i, s in sizes.items() if i not in running)),
            _row("Local Volumes", len(volumes), sum(1 for v in volumes if links.get(v)), sum(volumes.values()),
                 sum(s for v, s in volumes.items() if not links.get(v))),
            _row("Build Cache", facts["cache_entries"], 0, facts["cache_size"], facts["cache_size"])]
    if not args.verbose:
        ctx.write(fmt.render(DF_TABLE, rows, DF_HEADERS))
        return 0
    ctx.out("Images space usage:\n")
    ctx.write(fmt.render(DF_IMAGES, _image_rows(service.images, report["images"]), DF_IMAGE_HEADERS))
    ctx.out("\nContainers space usage:\n")
    views = {v["id"]: v for v in service.info()} if store.exists else {}
    ctx.write(fmt.render("table {{.ID}}\t{{.Image}}\t{{.Size}}\t{{.Status}}\t{{.Names}}",
                         [{"ID": i[:12], "Image": views[i]["image"], "Size": fmt.human_size(s, 4),
                           "Status": views[i]["state"]["status"], "Names": views[i]["name"]}
                          for i, s in sizes.items() if i in views],
                         {"ID": "CONTAINER ID", "Image": "IMAGE", "Size": "SIZE", "Status": "STATUS", "Names": "NAMES"}))
    ctx.out("\nLocal Volumes space usage:\n")
    ctx.write(fmt.render("table {{.Name}}\t{{.Links}}\t{{.Size}}",
                         [{"Name": v, "Links": str(links.get(v, 0)), "Size": fmt.human_size(s, 4)} for v, s in volumes.items()],
                         {"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}))
    ctx.out("\nBuild cache usage: %s" % fmt.human_size(facts["cache_size"], 4))
    return 0


def _image_rows(service, images):
    rows, now = [], time.time()
    for usage in images:
        view = service.inspect_image(usage["id"])
        for repo, tag, dummy in name_rows(view, False):
            rows.append({"Repository": repo, "Tag": tag, "ID": fmt.short_id(usage["id"]),
                         "CreatedSince": fmt.ago(view["created"], now), "Size": fmt.human_size(usage["size"], 4),
                         "SharedSize": fmt.human_size(usage["shared_size"], 4),
                         "UniqueSize": fmt.human_size(usage["unique_size"], 4), "Containers": str(usage["containers"])})
    return rows
