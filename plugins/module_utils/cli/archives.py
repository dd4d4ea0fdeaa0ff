# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata save``, ``load``, ``export`` and ``import``: tar files in and out of the store;
without ``-o``/``-i`` they stream through stdout/stdin, as Docker's do."""

from __future__ import annotations

from . import progress
from .common import CliError, input_file, output_file


def register(add):
    cmd = add("save", "Save one or more images to a tar archive (streamed to stdout by default)", save)
    cmd.add_argument("images", nargs="+", metavar="IMAGE")
    cmd.add_argument("-o", "--output", help="write to a file, instead of stdout")
    cmd.add_argument("--format", choices=("docker-archive", "oci-archive"), default="docker-archive",
                     help="the archive's format (default docker-archive)")

    cmd = add("load", "Load images from a tar archive or stdin", load)
    cmd.add_argument("-i", "--input", help="read from a tar archive file, instead of stdin")
    cmd.add_argument("-q", "--quiet", action="store_true", help="suppress the load output")

    cmd = add("export", "Export a container's filesystem as a tar archive", export)
    cmd.add_argument("container", metavar="CONTAINER")
    cmd.add_argument("-o", "--output", help="write to a file, instead of stdout")

    cmd = add("import", "Import the contents from a tarball to create a filesystem image", import_)
    cmd.add_argument("file", metavar="file|-")
    cmd.add_argument("name", nargs="?", metavar="REPOSITORY[:TAG]")
    cmd.add_argument("-c", "--change", action="append", default=[], help="apply a Dockerfile instruction to the image")
    cmd.add_argument("-m", "--message", help="set a commit message for the imported image")


def save(ctx, args):
    service = ctx.engine(read_only=True).archives
    with output_file(ctx, args.output, "images.tar") as path:
        with progress.step(ctx.stderr, "Saving %s" % ", ".join(args.images)):
            service.save(args.images, path, args.format)
    return 0


def load(ctx, args):
    from ..images.view import familiar  # pylint: disable=import-outside-toplevel
    engine = ctx.engine()
    with input_file(ctx, args.input, "images.tar") as path:
        with progress.step(ctx.stderr, "Loading %s" % (args.input or "images from stdin")):
            dummy, loaded = engine.archives.load_listing(path)  # its names, as Docker lists them (also when they were there)
        if args.quiet:
            return 0
    for image in loaded:
        for name in image.repo_tags:
            ctx.out("Loaded image: %s" % familiar(name))
        if not image.repo_tags:
            ctx.out("Loaded image ID: %s" % image.config_digest)
    return 0


def export(ctx, args):
    service = ctx.engine(read_only=True).archives
    with output_file(ctx, args.output, "container.tar") as path:
        service.export(args.container, path)
    return 0


def import_(ctx, args):
    if not args.name:
        raise CliError("strata import needs a name for the new image: strata import FILE REPOSITORY[:TAG]")
    if "://" in args.file:
        raise CliError("importing from a URL is not supported; download the file first")
    with input_file(ctx, args.file, "import.tar") as path:
        result = ctx.engine().archives.import_tarball(path, args.name, args.change, args.message)
    ctx.out(result["image"]["id"])
    return 0
