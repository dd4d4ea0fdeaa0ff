# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata images``, ``rmi``, ``tag`` and ``history``: the store's images as ``docker
images`` shows them (a row per repository and tag, ``<none>`` for dangling images)."""

from __future__ import annotations

import time

from . import format as fmt
from .._errors import EngineError
from ..oci import reference
from .common import filters

IMAGES_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
IMAGES_DIGESTS_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
IMAGE_HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
                 "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE", "VirtualSize": "VIRTUAL SIZE",
                 "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS"}
HISTORY_TABLE = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
HISTORY_HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
                   "Size": "SIZE", "Comment": "COMMENT"}


def register(add):
    cmd = add("images", "List images", images)
    cmd.add_argument("repository", nargs="?", help="only images matching [REPOSITORY[:TAG]]")
    cmd.add_argument("-a", "--all", action="store_true", help="show all images (there are no intermediate ones)")
    cmd.add_argument("-q", "--quiet", action="store_true", help="only show image IDs")
    cmd.add_argument("--digests", action="store_true", help="show digests")
    cmd.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    cmd.add_argument("-f", "--filter", action="append", default=[], metavar="KEY=VALUE",
                     help="dangling=true|false, before=IMAGE, since=IMAGE, reference=PATTERN, label=KEY[=VALUE]")
    cmd.add_argument("--format", help="a Go template, e.g. 'table {{.Repository}}\\t{{.Tag}}'")

    cmd = add("rmi", "Remove one or more images", rmi)
    cmd.add_argument("images", nargs="+", metavar="IMAGE")
    cmd.add_argument("-f", "--force", action="store_true", help="force removal of the image")

    cmd = add("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", tag)
    cmd.add_argument("source", metavar="SOURCE_IMAGE[:TAG]")
    cmd.add_argument("target", metavar="TARGET_IMAGE[:TAG]")

    cmd = add("history", "Show the history of an image", history)
    cmd.add_argument("image", metavar="IMAGE")
    cmd.add_argument("-q", "--quiet", action="store_true", help="only show image IDs")
    cmd.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    cmd.add_argument("--format", help="a Go template")


def names_of(image):
    """({repository: [tags]}, {repository: [digests]}) from an image's familiar names."""
    tags, digests = {}, {}
    for name in image["repo_tags"]:
        repo, dummy, tag_ = name.rpartition(":")
        tags.setdefault(repo, []).append(tag_)
    for name in image["repo_digests"]:
        repo, dummy, digest = name.partition("@")
        digests.setdefault(repo, []).append(digest)
    return tags, digests


def name_rows(image, show_digests):
    """(repository, tag, digest) rows, as Docker's image formatter makes them."""
    if not image["repo_tags"] and not image["repo_digests"]:
        return [("<none>", "<none>", "<none>")]
    tags, digests = names_of(image)
    rows = []
    for repo in sorted(tags):
        own = digests.pop(repo, [])  # a repository with tags shows its digests on their rows only
        if not show_digests:
            own = []
        for tag_ in tags[repo]:
            rows.extend([(repo, tag_, d) for d in own] or [(repo, tag_, "<none>")])
    for repo in sorted(digests):
        if show_digests:
            rows.extend((repo, "<none>", d) for d in digests[repo])
        else:
            rows.append((repo, "<none>", "<none>"))
    return rows


def image_rows(found, show_digests=False, no_trunc=False):
    now = time.time()
    rows = []
    for image in sorted(found, key=lambda i: (fmt.timestamp(i["created"]) or 0, i["id"]), reverse=True):
        for repo, tag_, digest in name_rows(image, show_digests):
            rows.append({"ID": fmt.short_id(image["id"], no_trunc), "Repository": repo, "Tag": tag_, "Digest": digest,
                         "CreatedSince": fmt.ago(image["created"], now), "CreatedAt": fmt.local_time(image["created"]),
                         "Size": fmt.human_size(image["size"]), "VirtualSize": fmt.human_size(image["size"]),
                         "SharedSize": "N/A", "UniqueSize": "N/A", "Containers": "N/A"})
    return rows


def images(ctx, args):
    wanted = filters(args.filter)
    if args.repository:
        wanted.setdefault("reference", []).append(args.repository)
    found = ctx.engine(read_only=True).images.list_images(wanted)
    if wanted.get("reference"):  # Docker lists only the names that match, not all the image's names
        for image in found:
            for key in ("repo_tags", "repo_digests"):
                image[key] = [n for n in image[key] if any(reference.match_pattern(n, p) for p in wanted["reference"])]
    rows = image_rows(found, args.digests, args.no_trunc)
    default = "{{.ID}}" if args.quiet else IMAGES_DIGESTS_TABLE if args.digests else IMAGES_TABLE
    ctx.write(fmt.render(args.format, rows, IMAGE_HEADERS, default))
    return 0


def rmi(ctx, args):
    engine = ctx.engine()
    for name in args.images:
        try:
            engine.images.find_image(name)  # Docker says "No such image"; the engine's removal is idempotent
            result = engine.images.remove(name, force=args.force)
        except EngineError as exc:
            ctx.error(str(exc))
            continue
        for action in result["actions"]:
            ctx.out(action)
    return ctx.status()


def tag(ctx, args):
    ctx.engine().images.tag(args.source, args.target)
    return 0


def history(ctx, args):
    image = ctx.engine(read_only=True).images.inspect_image(args.image)
    now = time.time()
    rows = []
    for number, entry in enumerate(image["history"]):
        created_by = entry["created_by"].replace("\t", " ")
        rows.append({"ID": fmt.short_id(image["id"], args.no_trunc) if number == 0 else "<missing>",
                     "CreatedSince": fmt.ago(entry["created"], now), "CreatedAt": fmt.local_time(entry["created"]),
                     "CreatedBy": created_by if args.no_trunc else fmt.ellipsis(created_by, 45),
                     "Size": fmt.human_size(entry["size"]), "Comment": entry["comment"]})
    ctx.write(fmt.render(args.format, rows, HISTORY_HEADERS, "{{.ID}}" if args.quiet else HISTORY_TABLE))
    return 0
