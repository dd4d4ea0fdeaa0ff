# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata pull``, ``push`` and ``search``: the registry commands, with Docker's messages."""

from __future__ import annotations

from . import format as fmt
from . import progress
from ..oci import reference
from .common import CliError, filters

SEARCH_TABLE = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}"
SEARCH_HEADERS = {"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL",
                  "IsAutomated": "AUTOMATED"}


def register(add):
    cmd = add("pull", "Download an image from a registry", pull)
    cmd.add_argument("name", metavar="NAME[:TAG|@DIGEST]")
    cmd.add_argument("-a", "--all-tags", action="store_true", help="download all tagged images in the repository")
    cmd.add_argument("--platform", help="os/arch[/variant] of a multi-platform image")
    cmd.add_argument("-q", "--quiet", action="store_true", help="only print the image's name")

    cmd = add("push", "Upload an image to a registry", push)
    cmd.add_argument("name", metavar="NAME[:TAG]")
    cmd.add_argument("--compression", choices=("gzip", "zstd"), help="how new layers are compressed")
    cmd.add_argument("-q", "--quiet", action="store_true", help="only print the digest")

    cmd = add("search", "Search a registry for images", search)
    cmd.add_argument("term", metavar="TERM", help="a term, or REGISTRY/TERM for another registry than Docker Hub")
    cmd.add_argument("--limit", type=int, default=25, help="at most this many results (default 25)")
    cmd.add_argument("-f", "--filter", action="append", default=[], metavar="KEY=VALUE",
                     help="stars=N, is-official=true|false")
    cmd.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    cmd.add_argument("--format", help="a Go template")


def _has_tag(name):
    return "@" in name or ":" in name.rsplit("/", 1)[-1]


def pull(ctx, args):
    ref = reference.parse(args.name)
    engine = ctx.engine()
    if args.all_tags:
        if _has_tag(args.name):
            raise CliError("tag can't be used with --all-tags/-a")
        with progress.step(ctx.stderr, "Pulling all tags of %s" % ref.familiar_name):
            result = engine.images.pull_all_tags(args.name, policy="always", platform=args.platform)
        if not args.quiet:
            for name in result["pulled"]:
                ctx.out("%s: Pulling from %s" % (name.rsplit(":", 1)[-1], ref.path))
            ctx.out("Status: %s for %s" % ("Downloaded newer image" if result["changed"] else "Image is up to date",
                                           ref.familiar_name))
        ctx.out(ref.repository)
        return 0
    if not args.quiet:
        if not _has_tag(args.name):
            ctx.out("Using default tag: latest")
        ctx.out("%s: Pulling from %s" % (ref.digest or ref.tag, ref.path))
    with progress.step(ctx.stderr, "Pulling %s" % ref.familiar):
        result = engine.images.pull(args.name, policy="always", platform=args.platform)
    if not args.quiet:
        image = result.get("image") or {}
        digest = ref.digest or image.get("index_digest") or image.get("manifest_digest")
        if digest:
            ctx.out("Digest: %s" % digest)
        ctx.out("Status: %s for %s" % ("Downloaded newer image" if result["changed"] else "Image is up to date",
                                       ref.familiar))
    ctx.out(str(ref))
    return 0


def push(ctx, args):
    ref = reference.parse(args.name)
    with progress.step(ctx.stderr, "Pushing %s" % ref.familiar):
        result = ctx.engine().images.push(args.name, compression=args.compression)
    pushed = result["pushed"]
    if args.quiet:
        ctx.out(pushed.get("manifest_digest", ""))
        return 0
    ctx.out("The push refers to repository [%s]" % ref.repository)
    for key, word in (("existing", "Layer already exists"), ("mounted", "Mounted"), ("uploaded", "Pushed")):
        for digest in pushed.get(key) or []:
            if digest == result["image"]["id"]:
                continue  # the config blob: Docker lists layers only
            ctx.out("%s: %s" % (fmt.short_id(digest), word))
    ctx.out("%s: digest: %s" % (ref.tag, pushed.get("manifest_digest", "")))
    return 0


def search(ctx, args):
    wanted = filters(args.filter)
    unknown = set(wanted) - {"stars", "is-official"}
    if unknown:
        raise CliError("invalid filter '%s'" % sorted(unknown)[0])
    try:
        stars = int(wanted.get("stars", ["0"])[-1])
    except ValueError as exc:
        raise CliError("invalid filter 'stars=%s'" % wanted["stars"][-1]) from exc
    official = None
    if "is-official" in wanted:
        official = wanted["is-official"][-1].lower() in ("true", "1")
    results = ctx.engine(read_only=True).images.search(args.term, args.limit, stars, official)
    rows = []
    for found in results:
        description = found["description"].replace("\n", " ")
        rows.append({"Name": found["name"], "Description": description if args.no_trunc else fmt.ellipsis(description, 45),
                     "StarCount": str(found["stars"]), "IsOfficial": "[OK]" if found["official"] else "",
                     "IsAutomated": "[OK]" if found["automated"] else ""})
    ctx.write(fmt.render(args.format, rows, SEARCH_HEADERS, SEARCH_TABLE))
    return 0
