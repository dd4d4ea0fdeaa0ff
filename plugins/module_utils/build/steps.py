# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build step that runs a command: RUN, in a throwaway container on the stage's layers;
its overlay upper dir becomes the layer (COPY and ADD are in staging.py)."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import time

from .. import _linux
from .._errors import BuildError, InvalidSpec, StepFailed
from ..fs import inroot
from ..networks import build_step
from ..runtime import overlay
from ..runtime import bundle
from ..store import tempdirs

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


NETWORKS = ("default", "host", "none")


def run(store, runtime, state, argv, env, work, step_id, line, network="default"):
    """RUN: ``argv`` in a container on the stage's layers, the stage's user and working
    directory. Returns the overlay upper dir. ``network`` is ``docker build --network``:
    ``host`` shares the host's; ``default`` gets a namespace of its own on the network
    ``default`` (outbound NAT, as docker build's ``bridge``), ``none`` one with only a
    loopback; in both the build host's 127.0.0.1 is the step's own."""
    if not state.chains:
        raise StepFailed("line %d: RUN needs a base image with files in it (FROM scratch has none yet)" % line)
    upper, scratch, rootfs = (os.path.join(work, n) for n in ("upper", "ovl-work", "rootfs"))
    for path in (upper, scratch):
        os.makedirs(path, mode=0o755)
    with mounted(store, state.chains, rootfs, upper=upper, work=scratch), \
            _network(store, network, step_id) as namespace:
        options = {"entrypoint": [], "command": argv, "env": env, "network_namespace": namespace}
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


@contextlib.contextmanager
def _network(store, network, step_id):
    """The step's network namespace: "host", a wired one's path, or None (a new one with only
    the loopback, which runc brings up)."""
    if network not in NETWORKS:
        raise BuildError("network %r is not one of %s" % (network, ", ".join(NETWORKS)))
    if network != "default":
        yield "host" if network == "host" else None
        return
    with build_step.wired(store.root, step_id) as path:
        yield path
