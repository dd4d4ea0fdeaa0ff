# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build steps that make a layer: RUN (a command in a throwaway container on the stage's
layers; its overlay upper dir becomes the layer) and COPY/ADD (files staged in a directory
laid out as the image's root; the directory becomes the layer)."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import subprocess
import tarfile
import time

from .. import _linux
from .._errors import BuildError, InvalidSpec, StepFailed
from ..fs import inroot
from ..runtime import overlay
from ..runtime import bundle
from ..store import tempdirs
from .state import join_path

RUN_TIMEOUT = 3600
OUTPUT_TAIL = 2000
TAIL_BYTES = 64 * 1024


@contextlib.contextmanager
def mounted(store, chains, target, upper=None, work=None):
    """The stage's layers on ``target`` (writable with ``upper``); an empty dir for no layers."""
    os.makedirs(target, exist_ok=True)
    if not chains:
        yield target
        return
    overlay.mount(store, chains, target, upper=upper, work=work)
    try:
        yield target
    finally:
        _linux.umount(target, _linux.MNT_DETACH)


def run(store, runtime, state, argv, env, work, step_id, line):
    """RUN: ``argv`` in a container on the stage's layers, host network (there is no NAT for
    the bridge), the stage's user and working directory. Returns the overlay upper dir."""
    if not state.chains:
        raise StepFailed("line %d: RUN needs a base image with files in it (FROM scratch has none yet)" % line)
    upper, scratch, rootfs = (os.path.join(work, n) for n in ("upper", "ovl-work", "rootfs"))
    for path in (upper, scratch):
        os.makedirs(path, mode=0o755)
    with mounted(store, state.chains, rootfs, upper=upper, work=scratch):
        options = {"entrypoint": [], "command": argv, "env": env, "network_namespace": "host"}
        try:
            merged = bundle.merged_config(state.config, options)
            inroot.make_dir(rootfs, merged["working_dir"], "WORKDIR")
            spec = bundle.make_spec(state.config, options, rootfs)
        except InvalidSpec as exc:
            raise StepFailed("line %d: %s" % (line, exc)) from exc
        spec["root"]["path"] = "rootfs"
        with open(os.path.join(work, "config.json"), "w") as handle:
            json.dump(spec, handle)
        tempdirs.leave_cleanup(work, runtime.command("delete", "--force", step_id))  # should we be killed
        try:
            code, tail = run_keeping_tail(runtime.command("run", "--bundle", work, step_id), RUN_TIMEOUT)
        finally:
            runtime.delete(step_id)
    if code != 0:
        output = tail.decode("utf-8", "replace")[-OUTPUT_TAIL:]
        raise StepFailed("line %d: RUN %s returned a non-zero code: %d\n%s"
                         % (line, json.dumps(argv), code, output), exit_code=code, output=output)
    return upper


def run_keeping_tail(argv, timeout, limit=TAIL_BYTES):
    """Run ``argv`` -> (exit code, the last ``limit`` bytes of its stdout and stderr as they
    came): a RUN step may print gigabytes, and only the end is shown when it fails."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    tail = b""
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(argv, timeout)
                if not sel.select(left):
                    continue
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    break
                tail = (tail + data)[-limit:]
        return proc.wait(max(deadline - time.monotonic(), 1)), tail
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def stage_copy(sources, dest, view, stage_dir, workdir, unpack=False, exclude=None):
    """Lay ``sources`` (host paths, already checked to be inside their root) out under
    ``stage_dir`` as ``dest`` in the image, as COPY does; ``view`` is the stage's current root
    (to tell whether ``dest`` is a directory there and to copy its parents' metadata)."""
    target = join_path(workdir, dest)
    into_dir = dest.endswith("/") or len(sources) > 1 or _is_dir_in(view, target)
    if len(sources) > 1 and not dest.endswith("/"):
        raise BuildError("When using COPY with more than one source file, the destination must be a directory "
                         "and end with a /")
    _make_parents(view, stage_dir, target if into_dir else os.path.dirname(target))
    for source in sources:
        if os.path.isdir(source) and not os.path.islink(source):
            _copy_tree(source, _host(stage_dir, target), exclude or (lambda path: False))
        elif unpack and _is_archive(source):
            _unpack(source, _host(stage_dir, target))
        else:
            name = _host(stage_dir, join_path(target, os.path.basename(source)) if into_dir else target)
            _copy_one(source, name)


def _host(stage_dir, image_path):
    return os.path.join(stage_dir, image_path.lstrip("/"))


def _is_dir_in(view, path):
    try:
        return os.path.isdir(os.path.join(view, inroot.resolve(view, path, "destination")))
    except InvalidSpec:
        return False


def _make_parents(view, stage_dir, target):
    """Each parent of the destination, with the mode, owner and times it has in the image."""
    parts = [p for p in target.split("/") if p]
    for i in range(len(parts)):
        rel = "/".join(parts[:i + 1])
        staged = os.path.join(stage_dir, rel)
        if os.path.isdir(staged):
            continue
        os.mkdir(staged, 0o755)
        existing = os.path.join(view, rel)
        if os.path.isdir(existing) and not os.path.islink(existing):
            info = os.lstat(existing)
            os.chmod(staged, info.st_mode & 0o7777)
            os.chown(staged, info.st_uid, info.st_gid)
            os.utime(staged, ns=(info.st_atime_ns, info.st_mtime_ns))


def _copy_one(source, name):
    if os.path.isdir(name) and not os.path.islink(name):
        name = os.path.join(name, os.path.basename(source))
    if os.path.lexists(name):
        os.unlink(name)
    if os.path.islink(source):
        os.symlink(os.readlink(source), name)
    else:
        shutil.copy2(source, name)
    os.lchown(name, 0, 0)  # COPY makes files root's unless --chown says otherwise


def _copy_tree(source, target, exclude):
    """The directory's contents (not the directory itself) into ``target``."""
    os.makedirs(target, exist_ok=True)
    for entry in sorted(os.listdir(source)):
        path = os.path.join(source, entry)
        if exclude(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            sub = os.path.join(target, entry)
            os.makedirs(sub, exist_ok=True)
            shutil.copystat(path, sub)
            os.lchown(sub, 0, 0)
            _copy_tree(path, sub, exclude)
        else:
            _copy_one(path, os.path.join(target, entry))


def _is_archive(path):
    return not os.path.islink(path) and os.path.isfile(path) and tarfile.is_tarfile(path)


def _unpack(path, target):
    """ADD of a local tar (plain, gzip, bzip2 or xz) unpacks it; every entry stays inside."""
    os.makedirs(target, exist_ok=True)
    root = os.path.realpath(target)
    with tarfile.open(path) as archive:
        for member in archive:
            name = os.path.normpath(member.name.lstrip("/"))
            if name.startswith("..") or (member.islnk() and os.path.normpath(member.linkname).startswith("..")):
                raise BuildError("ADD %s: the archive entry %r leads outside the destination" % (path, member.name))
            if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                continue  # no device nodes from a user's archive
            dest = os.path.join(root, name)
            if not os.path.realpath(os.path.dirname(dest)).startswith(root):
                raise BuildError("ADD %s: the archive entry %r goes through a symbolic link" % (path, member.name))
            member.name = name
            archive.extract(member, root, set_attrs=True)  # nosec - checked above
