# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``strata cp``: one file into a container (``SRC CONTAINER:PATH``) or out of one
(``CONTAINER:PATH DEST``), with the container's paths resolved inside it (containers/copy.py)."""

from __future__ import annotations

import os
import shutil
import tempfile

from .common import CliError


def register(add):
    cmd = add("cp", "Copy a file between a container and the local filesystem", cp)
    cmd.add_argument("source", metavar="SRC_PATH|CONTAINER:SRC_PATH")
    cmd.add_argument("destination", metavar="CONTAINER:DEST_PATH|DEST_PATH")
    cmd.add_argument("-a", "--archive", action="store_true", help="keep the source file's uid and gid")


def _container_side(text):
    """``name:/path`` -> (name, /path); a local path (absolute, ./x, or without a colon) -> None."""
    if text.startswith(("/", ".")) or ":" not in text:
        return None
    name, path = text.split(":", 1)
    return name, path or "/"


def cp(ctx, args):
    into, out_of = _container_side(args.destination), _container_side(args.source)
    if bool(into) == bool(out_of):
        raise CliError("copying between containers or between local paths is not supported: "
                       "give one CONTAINER:PATH and one local path")
    if into:
        return _copy_into(ctx, args, *into)
    return _copy_out(ctx, args, *out_of)


def _copy_into(ctx, args, container, path):
    if not os.path.isfile(args.source):
        raise CliError("%s is not a regular file: strata cp copies one file" % args.source)
    service = ctx.service()
    if not path.startswith("/"):
        path = "/" + path
    if path.endswith("/") or service.is_directory_in(container, path):
        path = path.rstrip("/") + "/" + os.path.basename(args.source)
    info = os.stat(args.source)
    owner = (str(info.st_uid), str(info.st_gid)) if args.archive else (None, None)
    service.copy_into(container, path, path=args.source, owner=owner[0], group=owner[1], force=True)
    return 0


def _copy_out(ctx, args, container, path):
    handle, mode = ctx.service().copy_out(container, path)
    dest = args.destination
    if os.path.isdir(dest):
        dest = os.path.join(dest, os.path.basename(path.rstrip("/")))
    directory = os.path.dirname(os.path.abspath(dest))
    with handle:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".strata-cp-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(handle, out)
                os.fchmod(out.fileno(), mode)
            os.replace(tmp, dest)
        except BaseException:
            os.unlink(tmp)
            raise
    return 0
