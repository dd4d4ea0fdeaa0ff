# -*- coding: utf-8 -*-
"""Debian's docker-registry on 127.0.0.1, on a free port, over storage the caller chooses."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import time
import urllib.request

BINARY = "/usr/bin/docker-registry"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """``with Registry(data_dir) as reg:`` starts the registry and stops it (by PID) afterwards."""

    def __init__(self, data_dir, workdir=None, port=None):
        self.data_dir = data_dir
        self.workdir = workdir or data_dir + ".run"
        self.port = port or free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.proc = None

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        os.makedirs(self.workdir, exist_ok=True)
        config = os.path.join(self.workdir, "config.yml")
        with open(config, "w") as f:
            f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n"
                    "  delete:\n    enabled: true\nhttp:\n  addr: %s\n" % (self.data_dir, self.addr))
        log = open(os.path.join(self.workdir, "registry.log"), "ab")
        self.proc = subprocess.Popen([BINARY, "serve", config], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with urllib.request.urlopen("http://%s/v2/" % self.addr, timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not start on %s; see %s" % (self.addr, self.workdir))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def push(self, oci_ref, dest_name, *extra):
        """skopeo copy oci:<layout>:<tag> -> docker://ADDR/<dest_name>."""
        run_skopeo("copy", "-q", "--dest-tls-verify=false", *extra, "oci:" + oci_ref,
                   "docker://%s/%s" % (self.addr, dest_name))

    def blob_path(self, digest):
        hexpart = digest.split(":", 1)[1]
        return os.path.join(self.data_dir, "docker/registry/v2/blobs/sha256", hexpart[:2], hexpart, "data")

    def manifest_digest(self, name):
        raw = run_skopeo("inspect", "--raw", "--tls-verify=false", "docker://%s/%s" % (self.addr, name))
        return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def run_skopeo(*args, env=None):
    proc = subprocess.run(["skopeo"] + list(args), capture_output=True, text=True, env=env, timeout=600, check=False)
    if proc.returncode:
        raise RuntimeError("skopeo %s: %s" % (" ".join(args), proc.stderr.strip()))
    return proc.stdout
