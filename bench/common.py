# -*- coding: utf-8 -*-
"""What the benchmarks share: the rig's registry, a scratch area (ext4 or tmpfs), a private
podman configuration, a private dockerd (when docker.io is installed), interleaved timing and
the markdown table."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))

import rig  # noqa: E402  pylint: disable=wrong-import-position
from rig.host import remove_empty_cgroups, unmount_under, write_podman_conf  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
from rig.push_all import IMAGES  # noqa: E402  pylint: disable=wrong-import-position
from rig.registry import Registry  # noqa: E402  pylint: disable=wrong-import-position


def python():
    venv = os.path.join(REPO, ".venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def collections_path(scratch):
    """A collections dir whose strata/containers is this checkout, for PYTHONPATH."""
    base = os.path.join(scratch, "collections")
    link = os.path.join(base, "ansible_collections", "strata", "containers")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return base


def podman(scratch):
    """podman with a private store and config (rig.host.PODMAN_CONF)."""
    conf = write_podman_conf(os.path.join(scratch, "containers.conf"))
    argv = ["podman", "--root", os.path.join(scratch, "podman"), "--runroot", os.path.join(scratch, "podman-run"),
            "--tmpdir", os.path.join(scratch, "podman-tmp"), "--network-config-dir",
            os.path.join(scratch, "podman-net"), "--storage-driver", "overlay"]
    return argv, {"CONTAINERS_CONF": conf}


def stores_with(ref, scratch):
    """A strata store and a podman store under ``scratch``, each holding the image ``ref``.
    Returns (strata root, its env, podman argv, podman env)."""
    root = os.path.join(scratch, "strata")
    env = {"PYTHONPATH": collections_path(scratch)}
    argv, penv = podman(scratch)
    subprocess.run([python(), "-c", "from ansible_collections.strata.containers.plugins.module_utils.engine "
                    "import Engine; Engine(%r).images.pull(%r)" % (root, ref)], check=True, env=dict(os.environ, **env))
    subprocess.run(argv + ["pull", "-q", "--tls-verify=false", ref], check=True, env=dict(os.environ, **penv),
                   stdout=subprocess.DEVNULL)
    return root, env, argv, penv


def script(scratch, name, text):
    path = os.path.join(scratch, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def podman_reset(argv, env):
    for args in (["rm", "-a", "-f"], ["system", "reset", "-f"]):
        subprocess.run(argv + args, env=dict(os.environ, **env), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


def wipe(paths):
    """Remove store roots and scratch dirs, with what an engine left for them outside: the OCI
    runtime's state dir under /run/strata, and the bridge once no container uses it."""
    for path in paths:
        if os.path.isdir(path):
            unmount_under(path)  # never delete through a mount
            shutil.rmtree(path, ignore_errors=True)
        state = os.path.join("/run/strata", "runtime-" + hashlib.sha256(path.encode()).hexdigest()[:16])
        if os.path.isdir(state) and not os.listdir(state):
            os.rmdir(state)
    if os.path.isdir("/run/strata") and not os.listdir("/run/strata"):
        os.rmdir("/run/strata")
    netns = os.listdir("/var/run/netns") if os.path.isdir("/var/run/netns") else []
    if os.path.exists("/sys/class/net/strata0") and not [n for n in netns if n.startswith("strata-")]:
        subprocess.run(["ip", "link", "del", "strata0"], stderr=subprocess.DEVNULL, check=False)


def _iptables(table, *args):
    proc = subprocess.run(["iptables", "-t", table] + list(args), capture_output=True, text=True, check=False)
    return proc.stdout if proc.returncode == 0 else ""


def netavark_chains():
    """{table: the chains podman's netavark has made}: it keeps them after its last container."""
    return {table: {line.split()[1] for line in _iptables(table, "-S").splitlines() if line.startswith("-N NETAVARK")}
            for table in ("filter", "nat")}


def remove_netavark_chains(before):
    """The netavark chains made since ``before`` (a netavark_chains()), and the jumps into them."""
    for table, chains in netavark_chains().items():
        made = chains - before.get(table, set())
        for line in _iptables(table, "-S").splitlines():
            words = shlex.split(line)
            if words[:1] == ["-A"] and words[1] not in made and words[-1] in made:
                _iptables(table, "-D", *words[1:])
        for verb in ("-F", "-X"):
            for chain in made:
                _iptables(table, verb, chain)


def time_once(cmd, env=None, prepare=None):
    if prepare:
        prepare()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=dict(os.environ, **(env or {})), stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def interleaved(table, runs, warmup=1):
    """``table``: name -> (cmd, env, prepare). Runs A B C A B C ... after ``warmup`` rounds."""
    times = {name: [] for name in table}
    for dummy in range(warmup):
        for cmd, env, prepare in table.values():
            time_once(cmd, env, prepare)
    for dummy in range(runs):
        for name, (cmd, env, prepare) in table.items():
            times[name].append(time_once(cmd, env, prepare))
    return times


def table(title, times, ours_for, unit="s"):
    """A markdown table; ``ours_for(name)`` names the strata row each row is compared with;
    ``unit``: what the values are (seconds, or MB for a store's size)."""
    number = "%.3f" if unit == "s" else "%.1f"
    lines = ["### %s" % title, "", "| tool | median %s | min–max %s | strata / tool |" % (unit, unit), "|---|---|---|---|"]
    for name, values in times.items():
        med = statistics.median(values)
        ratio = statistics.median(times[ours_for(name)]) / med
        mark = " ✓" if ratio <= 1.0 else ""
        lines.append(("| %s | " + number + " | " + number + "–" + number + " | %.2f%s |")
                     % (name, med, min(values), max(values), ratio, mark))
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def scratch_area(path, tmpfs):
    os.makedirs(path, exist_ok=True)
    if tmpfs:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8g", "strata-bench", path], check=True)
    try:
        yield path
    finally:
        if tmpfs:
            subprocess.run(["umount", "-l", path], check=False)
        shutil.rmtree(path, ignore_errors=True)


def registry_data():
    """The rig's registry storage (built first if needed), for a registry started elsewhere."""
    rig.ensure_built()
    return os.path.join(rig.build_dir(), "registry")


@contextlib.contextmanager
def registry():
    """The rig's registry with its test images, on 127.0.0.1; yields (address, IMAGES)."""
    rig.ensure_built()
    run_dir = tempfile.mkdtemp(prefix="registry-run-", dir="/var/tmp")
    try:
        with Registry(os.path.join(rig.build_dir(), "registry"), workdir=run_dir) as reg:
            yield reg.addr, IMAGES
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def write(text, path):
    print(text)
    if path:
        with open(path, "a") as f:
            f.write("\n" + text)


def write_all(results, path):
    """Print (and append to ``path``) one table per (title, times, ours_for[, unit])."""
    write("\n".join(table(*result) for result in results), path)


def ratios(results):
    """[(title, tool, strata / tool)] for every peer row of ``results``."""
    out = []
    for result in results:
        title, times, ours_for = result[:3]
        for name, values in times.items():
            if not name.startswith("strata"):
                out.append((title, name, statistics.median(times[ours_for(name)]) / statistics.median(values)))
    return out


# Debian's docker.io 20.10: its daemon and the client of the same package (/usr/local/bin/docker,
# earlier on PATH, is another client).
DOCKERD, DOCKER = "/usr/sbin/dockerd", "/usr/bin/docker"
DOCKER_CGROUP = "strata-bench-docker"  # absolute below, as docker's own /docker: not below our cgroups
# Made by dockerd 20.10 and its containerd's shims whatever roots they are given.
DOCKER_OUTSIDE = ("/run/containerd/s", "/run/containerd", "/run/docker/plugins", "/run/docker")
Docker = collections.namedtuple("Docker", "argv env data")


@contextlib.contextmanager
def docker_daemon(scratch, timeout=60):
    """A private dockerd whose data root, exec root (its own containerd's too), socket, pid file and
    log are under ``scratch``; no bridge, no firewall rules, no sysctl (the benches run docker with
    ``--network none``). Yields a Docker (client argv and env, data root), or None when docker.io
    is not installed; stops it and leaves nothing behind."""
    if not os.path.exists(DOCKERD):
        yield None
        return
    home = os.path.join(scratch, "docker")
    os.makedirs(home)
    made = [path for path in DOCKER_OUTSIDE if not os.path.exists(path)]
    socket = "unix://" + os.path.join(home, "docker.sock")
    docker = Docker([DOCKER, "-H", socket], {"DOCKER_CONFIG": os.path.join(home, "client")}, os.path.join(home, "data"))
    config = os.path.join(home, "daemon.json")
    with open(config, "w") as f:  # its identity key here, not in /etc/docker
        json.dump({"deprecated-key-path": os.path.join(home, "key.json")}, f)
    log = os.path.join(home, "dockerd.log")
    with open(log, "w") as out:
        daemon = subprocess.Popen(
            [DOCKERD, "--config-file", config, "--data-root", docker.data, "--exec-root", os.path.join(home, "exec"),
             "-H", socket, "--pidfile", os.path.join(home, "dockerd.pid"), "--bridge=none", "--iptables=false",
             "--ip6tables=false", "--ip-forward=false", "--storage-driver", "overlay2", "--cgroup-parent",
             "/" + DOCKER_CGROUP], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_docker(docker, daemon, log, timeout)
        yield docker
    finally:
        _stop_docker(docker, daemon, home)
        for path in made:  # children first, as DOCKER_OUTSIDE lists them; only if empty
            with contextlib.suppress(OSError):
                os.rmdir(path)


def _wait_for_docker(docker, daemon, log, timeout):
    deadline = time.monotonic() + timeout
    while subprocess.run(docker.argv + ["info"], env=dict(os.environ, **docker.env), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, check=False).returncode != 0:
        if daemon.poll() is not None or time.monotonic() > deadline:
            kept = tempfile.mkstemp(prefix="strata-bench-dockerd-", suffix=".log", dir="/var/tmp")[1]
            shutil.copy(log, kept)  # the scratch area, and the log with it, is removed on the way out
            raise RuntimeError("dockerd %s; its log: %s" % (
                "exited with %d" % daemon.returncode if daemon.returncode is not None
                else "did not answer `docker info` within %d s" % timeout, kept))
        time.sleep(0.2)


def _stop_docker(docker, daemon, home):
    """Its containers removed, dockerd stopped by its pid (it stops its containerd), then whatever
    is left: that containerd, mounts, cgroups, the directories."""
    env = dict(os.environ, **docker.env)
    if daemon.poll() is None:
        ids = subprocess.run(docker.argv + ["ps", "-aq"], env=env, capture_output=True, text=True, check=False).stdout
        if ids.split():
            subprocess.run(docker.argv + ["rm", "-f"] + ids.split(), env=env, stdout=subprocess.DEVNULL, check=False)
        daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(timeout=60)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
    _kill_own_containerd(os.path.join(home, "exec", "containerd"))
    unmount_under(home)
    remove_empty_cgroups((DOCKER_CGROUP,))
    shutil.rmtree(home, ignore_errors=True)


def _kill_own_containerd(state):
    """The containerd dockerd started under ``state``, if it outlived dockerd (by its pid, checked
    to be that containerd)."""
    try:
        with open(os.path.join(state, "containerd.pid")) as f:
            pid = int(f.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            ours = state.encode() in f.read()
    except (OSError, ValueError):
        return
    if ours:
        os.kill(pid, signal.SIGKILL)


def docker_pull(docker, ref):
    subprocess.run(docker.argv + ["pull", "-q", ref], env=dict(os.environ, **docker.env), check=True,
                   stdout=subprocess.DEVNULL)


def docker_empty(docker, refs):
    """No image and no layer left in docker's store (``refs`` removed, the rest pruned), checked
    on disk: what a cold pull or load starts from."""
    env = dict(os.environ, **docker.env)
    for args in (["rmi", "-f"] + list(refs), ["image", "prune", "-a", "-f"]):
        subprocess.run(docker.argv + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    layers = os.path.join(docker.data, "overlay2")
    left = [name for name in os.listdir(layers) if name != "l"] if os.path.isdir(layers) else []
    if left:
        raise RuntimeError("docker's store still holds %d layers in %s after rmi and prune" % (len(left), layers))
