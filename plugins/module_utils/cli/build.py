# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata build`` and ``strata commit``: new images from a Dockerfile or a container."""

from __future__ import annotations

import os

from . import progress
from .common import CliError, key_values, scratch_dir


def register(add):
    cmd = add("build", "Build an image from a Dockerfile", build)
    cmd.add_argument("context", metavar="PATH", help="the build context directory")
    cmd.add_argument("-t", "--tag", action="append", default=[], metavar="NAME[:TAG]", help="name (and tag) the image")
    cmd.add_argument("-f", "--file", help="the Dockerfile (default PATH/Dockerfile; - reads it from stdin)")
    cmd.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE", help="set a build-time variable")
    cmd.add_argument("--target", help="the build stage to build")
    cmd.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    cmd.add_argument("--label", action="append", default=[], metavar="KEY=VALUE", help="set metadata for the image")
    cmd.add_argument("--pull", action="store_true", help="always pull newer versions of the base images")
    cmd.add_argument("--network", choices=("default", "host", "none"), default="default",
                     help="the network of RUN steps (default: their own, loopback only)")
    cmd.add_argument("-q", "--quiet", action="store_true", help="only print the image ID")

    cmd = add("commit", "Create a new image from a container's changes", commit)
    cmd.add_argument("container", metavar="CONTAINER")
    cmd.add_argument("name", nargs="?", metavar="REPOSITORY[:TAG]")
    cmd.add_argument("-a", "--author", help='author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    cmd.add_argument("-m", "--message", help="commit message")
    cmd.add_argument("-c", "--change", action="append", default=[], help="apply a Dockerfile instruction to the image")
    cmd.add_argument("--no-pause", dest="pause", action="store_false", help="do not pause the container while committing")


def build(ctx, args):
    if not args.tag:
        raise CliError("strata build needs a name for the image: -t NAME[:TAG]")
    build_args = {k: os.environ.get(k, "") if v is None else v
                  for k, v in key_values(args.build_arg, "build argument", True).items()}
    labels = {k: v or "" for k, v in key_values(args.label, "label", True).items()}
    engine = ctx.engine()
    with scratch_dir() as scratch:
        dockerfile = args.file
        if dockerfile == "-":
            dockerfile = os.path.join(scratch, "Dockerfile")
            with open(dockerfile, "w", encoding="utf-8") as handle:
                handle.write(ctx.stdin.read())
        elif dockerfile:
            dockerfile = os.path.abspath(dockerfile)  # Docker's -f is relative to the working directory
        with progress.step(ctx.stderr, "Building %s" % args.tag[0]):
            result = engine.builds.build(args.tag[0], os.path.abspath(args.context), dockerfile=dockerfile,
                                         build_args=build_args or None, target=args.target, labels=labels or None,
                                         nocache=args.no_cache, pull="always" if args.pull else "missing",
                                         network=args.network)
    image_id = result["image"]["id"]
    for name in args.tag[1:]:
        engine.images.tag(image_id, name)
    if args.quiet:
        ctx.out(image_id)
        return 0
    steps = result.get("steps") or {}
    ctx.out("Steps: %d built, %d from the cache" % (steps.get("made", 0), steps.get("reused", 0)))
    ctx.out("Successfully built %s" % image_id.split(":")[-1][:12])
    for name in args.tag:
        ctx.out("Successfully tagged %s" % name)
    return 0


def commit(ctx, args):
    if not args.name:
        raise CliError("strata commit needs a name for the new image: strata commit CONTAINER REPOSITORY[:TAG]")
    result = ctx.engine().containers.commit(args.container, args.name, author=args.author, message=args.message,
                                            changes=args.change, pause=args.pause)
    ctx.out(result["image"]["id"])
    return 0
