# -*- coding: utf-8 -*-
"""Debian's docker-registry (distribution v2) on 127.0.0.1 and a free port, over storage the caller
chooses. Standard library and subprocess only.

    with Registry("/var/tmp/x/data") as reg:          # or reg = Registry(...).start(); reg.stop()
        reg.push("/path/to/layout:tag", "test/thing:latest")   # skopeo copy oci: -> docker://
        reg.addr                                       # "127.0.0.1:PORT"
        reg.blob_path("sha256:...")                    # the blob's data file in the storage
        reg.manifest_digest("test/thing:latest")

The registry runs in its own session and is stopped by its PID (SIGTERM, then SIGKILL); it is
also asked to die with the process that started it (PR_SET_PDEATHSIG).

Optional, all off by default (then it is plain HTTP, no auth, a normal registry):

    Registry(data, tls=(server_cert, server_key), ca_cert=ca)   # https://; helpers verify with ca
    Registry(data, htpasswd=path, credentials=("tester", "s3cret"))
                                  # basic auth (realm strata-test); the helpers and push/copy log
                                  # in with ``credentials``; readiness takes /v2/'s 401 as up
    Registry(data, proxy_remote="http://127.0.0.1:PORT")        # a pull-through cache (mirror)
                                  # of that registry: it must be up when the mirror starts (the
                                  # mirror asks its /v2/ for auth challenges then); a mirror
                                  # refuses pushes. proxy_username/proxy_password go into the
                                  # config, but distribution 2.8 sends them only to a bearer-token
                                  # realm, never as basic auth. proxy_ca_cert: the CA file the
                                  # mirror trusts for an https:// remote (SSL_CERT_FILE).

rig/tls.py makes the certificates (make_ca), rig/htpasswd.py the password file (write_htpasswd).
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

BINARY = "/usr/bin/docker-registry"
MANIFEST_TYPES = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
CONFIG = """version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {addr}
"""
REALM = "strata-test"


def _q(value):
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(str(value))


def free_port():
    """A port on 127.0.0.1 that was free a moment ago (bind to port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Registry:
    """A registry serving ``data_dir``; its config and log live in ``workdir`` (default data_dir + ".run").

    ``tls``: (certificate, key) files: serve HTTPS. ``ca_cert``: the CA file the rig's own
    requests verify that certificate with (without it they do not verify, like skopeo's
    --tls-verify=false). ``htpasswd``: an htpasswd file (bcrypt): basic auth, realm strata-test.
    ``credentials``: (user, password) the helpers here (push, copy, manifest, catalog, ...) log in
    with. ``proxy_remote``: the URL of another registry: be its pull-through cache, with
    ``proxy_username``/``proxy_password`` and ``proxy_ca_cert`` (see the module doc)."""

    def __init__(self, data_dir, workdir=None, port=None, tls=None, ca_cert=None, htpasswd=None,  # pylint: disable=too-many-arguments
                 credentials=None, proxy_remote=None, proxy_username=None, proxy_password=None, proxy_ca_cert=None):
        self.data_dir = os.path.abspath(data_dir)
        self.workdir = os.path.abspath(workdir or self.data_dir + ".run")
        self._fixed_port = port
        self.port = port or free_port()
        self.proc = None
        self.tls = tuple(os.path.abspath(p) for p in tls) if tls else None
        if self.tls and len(self.tls) != 2:
            raise ValueError("tls=(certificate, key)")
        self.ca_cert = os.path.abspath(ca_cert) if ca_cert else None
        self.htpasswd = os.path.abspath(htpasswd) if htpasswd else None
        self.credentials = tuple(credentials) if credentials else None
        self.proxy_remote = proxy_remote.rstrip("/") if proxy_remote else None
        self.proxy_username = proxy_username
        self.proxy_password = proxy_password
        self.proxy_ca_cert = os.path.abspath(proxy_ca_cert) if proxy_ca_cert else None
        self._ssl_context = None

    @property
    def user(self):
        """The user of ``credentials`` (None without)."""
        return self.credentials[0] if self.credentials else None

    @property
    def password(self):
        """The password of ``credentials`` (None without)."""
        return self.credentials[1] if self.credentials else None

    @property
    def ssl_context(self):
        """For HTTPS to this registry: verifies with ``ca_cert``, or not at all without it; None over HTTP."""
        if not self.tls:
            return None
        if self._ssl_context is None:
            if self.ca_cert:
                self._ssl_context = ssl.create_default_context(cafile=self.ca_cert)
            else:
                self._ssl_context = ssl.create_default_context()
                self._ssl_context.check_hostname = False
                self._ssl_context.verify_mode = ssl.CERT_NONE
        return self._ssl_context

    def urlopen(self, request, timeout=30, auth=True):
        """urllib's urlopen for a URL or Request on this registry: with the CA context over HTTPS and
        (``auth``, the default) basic auth with ``credentials`` when there are any."""
        if not isinstance(request, urllib.request.Request):
            request = urllib.request.Request(request)
        if auth and self.credentials and not request.has_header("Authorization"):
            token = base64.b64encode(("%s:%s" % self.credentials).encode()).decode()
            request.add_header("Authorization", "Basic " + token)
        return urllib.request.urlopen(request, timeout=timeout, context=self.ssl_context)

    def config_text(self):
        """The config.yml the registry is started with."""
        text = CONFIG.format(data=self.data_dir, addr=self.addr)
        if self.tls:
            text += "  tls:\n    certificate: %s\n    key: %s\n" % (_q(self.tls[0]), _q(self.tls[1]))
        if self.htpasswd:
            text += "auth:\n  htpasswd:\n    realm: %s\n    path: %s\n" % (REALM, _q(self.htpasswd))
        if self.proxy_remote:
            text += "proxy:\n  remoteurl: %s\n" % _q(self.proxy_remote)
            if self.proxy_username is not None:
                text += "  username: %s\n" % _q(self.proxy_username)
            if self.proxy_password is not None:
                text += "  password: %s\n" % _q(self.proxy_password)
        return text

    @property
    def addr(self):
        """host:port, as image references use it."""
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "%s://%s" % ("https" if self.tls else "http", self.addr)

    @property
    def log_path(self):
        return os.path.join(self.workdir, "registry.log")

    # ------------------------------------------------------------------ life cycle
    def start(self, timeout=20):
        os.makedirs(self.data_dir, exist_ok=True)
        os.makedirs(self.workdir, exist_ok=True)
        for attempt in range(3):  # the free port may be taken between bind(0) and the registry's bind
            if attempt:
                self.port = free_port()
            if self._start_once(timeout):
                return self
            if self._fixed_port:
                break
        raise RuntimeError("docker-registry did not start on %s; log: %s\n%s"
                           % (self.addr, self.log_path, self._log_tail()))

    def _start_once(self, timeout):
        config = os.path.join(self.workdir, "config.yml")
        with open(config, "w") as f:
            f.write(self.config_text())
        env = None
        if self.proxy_ca_cert:
            env = dict(os.environ, SSL_CERT_FILE=self.proxy_ca_cert)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([BINARY, "serve", config], stdout=log, stderr=log, env=env,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with self.urlopen(self.url + "/v2/", timeout=1, auth=False) as resp:
                    if resp.status == 200:
                        return True
            except urllib.error.HTTPError as err:
                err.close()
                if err.code == 401 and self.htpasswd and REALM in (err.headers.get("WWW-Authenticate") or ""):
                    return True
                time.sleep(0.05)
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self):
        """Kill the registry by its PID and wait for it. Safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    # ------------------------------------------------------------------ helpers
    def ref(self, name):
        """'test/x:tag' -> '127.0.0.1:PORT/test/x:tag' (a full reference is returned as is)."""
        return name if name.startswith(self.addr + "/") else "%s/%s" % (self.addr, name)

    def _name(self, name):
        return name[len(self.addr) + 1:] if name.startswith(self.addr + "/") else name

    def push(self, oci_ref, dest_name, *extra_skopeo_args):
        """skopeo copy oci:<layout>:<tag> -> docker://ADDR/<dest_name>.

        ``oci_ref`` is "<layout>:<tag>" (an "oci:" prefix is accepted); ``dest_name`` is
        "repo/name:tag" (or a full reference on this registry). Returns the full reference."""
        src = oci_ref if oci_ref.startswith("oci:") else "oci:" + oci_ref
        dest = self.ref(dest_name)
        run_skopeo("copy", "-q", "--dest-tls-verify=false", *self._creds("dest"), *extra_skopeo_args, src,
                   "docker://" + dest)
        return dest

    def copy(self, src_name, dest_name, *extra_skopeo_args):
        """skopeo copy within this registry (e.g. to move a tag). Returns the full reference."""
        dest = self.ref(dest_name)
        run_skopeo("copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", *self._creds("src"),
                   *self._creds("dest"), *extra_skopeo_args, "docker://" + self.ref(src_name), "docker://" + dest)
        return dest

    def _creds(self, side):
        """skopeo's --src-creds/--dest-creds for ``credentials`` (nothing without them)."""
        return ["--%s-creds=%s:%s" % ((side,) + self.credentials)] if self.credentials else []

    def push_raw(self, oci_ref, dest_name):
        """Push a layout's image byte for byte over the registry API (no skopeo): every blob and
        the manifest (or index, and its manifests) exactly as the layout holds them. Use it where
        skopeo would change the image: skopeo 1.9 gzips uncompressed (``tar``) layers when it
        pushes to a registry, and it refuses manifests it cannot parse. Returns the full reference."""
        oci_ref = oci_ref[4:] if oci_ref.startswith("oci:") else oci_ref
        layout, tag = oci_ref.rsplit(":", 1)
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        for desc in index["manifests"]:
            if desc.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
                break
        else:
            raise KeyError("no tag %r in %s" % (tag, layout))
        repo, ref = _split(self._name(dest_name))

        def read(digest):
            with open(os.path.join(layout, "blobs", *digest.split(":", 1)), "rb") as f:
                return f.read()

        def push_manifest(descriptor, reference):
            raw = read(descriptor["digest"])
            doc = json.loads(raw)
            for child in doc.get("manifests", []):
                push_manifest(child, child["digest"])
            for blob in ([doc["config"]] if "config" in doc else []) + doc.get("layers", []):
                self.upload_blob(repo, read(blob["digest"]))
            media_type = descriptor.get("mediaType") or doc.get("mediaType") or (
                "application/vnd.oci.image.index.v1+json" if "manifests" in doc
                else "application/vnd.oci.image.manifest.v1+json")
            self.put_manifest("%s@%s" % (repo, reference) if reference.startswith("sha256:")
                              else "%s:%s" % (repo, reference), raw, media_type)

        push_manifest(desc, ref)
        return self.ref("%s@%s" % (repo, ref) if ref.startswith("sha256:") else "%s:%s" % (repo, ref))

    def upload_blob(self, repo, data):
        """Upload ``data`` as a blob of ``repo`` (unless the repo has it); returns its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        try:
            self.urlopen(urllib.request.Request("%s/v2/%s/blobs/%s" % (self.url, repo, digest),
                                                method="HEAD"), timeout=30).close()
            return digest
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise
        with self.urlopen(urllib.request.Request("%s/v2/%s/blobs/uploads/" % (self.url, repo),
                                                 data=b"", method="POST"), timeout=30) as resp:
            location = resp.headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        location += ("&" if "?" in location else "?") + "digest=" + digest
        req = urllib.request.Request(location, data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        with self.urlopen(req, timeout=120) as resp:
            if resp.status != 201:
                raise RuntimeError("blob upload of %s answered %d" % (digest, resp.status))
        return digest

    def put_manifest(self, name, raw, media_type):
        """PUT ``raw`` (bytes) as the manifest ``repo:tag`` or ``repo@digest``; returns its digest.
        The registry checks that the blobs it names exist in the repository."""
        repo, ref = _split(self._name(name))
        req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url, repo, ref), data=raw, method="PUT",
                                     headers={"Content-Type": media_type})
        try:
            with self.urlopen(req, timeout=30) as resp:
                return resp.headers.get("Docker-Content-Digest")
        except urllib.error.HTTPError as err:
            raise RuntimeError("PUT manifest %s: %d %s" % (name, err.code, err.read()[:2000])) from None

    def manifest_type(self, name):
        """The Content-Type the registry serves the manifest with."""
        repo, ref = _split(self._name(name))
        req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url, repo, ref), method="HEAD",
                                     headers={"Accept": MANIFEST_TYPES})
        with self.urlopen(req, timeout=30) as resp:
            return resp.headers["Content-Type"]

    def blob_path(self, digest):
        """The data file of blob ``sha256:<hex>`` in the registry storage (tamper with it freely
        in a test session's copy)."""
        algo, hexpart = digest.split(":", 1)
        return os.path.join(self.data_dir, "docker", "registry", "v2", "blobs", algo, hexpart[:2], hexpart, "data")

    def raw_manifest(self, name):
        """The manifest bytes exactly as the registry serves them (any manifest or index type)."""
        repo, ref = _split(self._name(name))
        req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url, repo, ref),
                                     headers={"Accept": MANIFEST_TYPES})
        with self.urlopen(req, timeout=30) as resp:
            return resp.read()

    def manifest(self, name):
        return json.loads(self.raw_manifest(name))

    def manifest_digest(self, name):
        """sha256 of the raw top-level manifest (for an index: the index's digest)."""
        return "sha256:" + hashlib.sha256(self.raw_manifest(name)).hexdigest()

    def delete_manifest(self, name):
        """DELETE the manifest a tag (or digest) names; the registry then answers 404 for it."""
        repo, dummy = _split(self._name(name))
        req = urllib.request.Request("%s/v2/%s/manifests/%s" % (self.url, repo, self.manifest_digest(name)),
                                     method="DELETE")
        with self.urlopen(req, timeout=30) as resp:
            return resp.status

    def catalog(self):
        with self.urlopen(self.url + "/v2/_catalog?n=1000", timeout=30) as resp:
            return json.load(resp)["repositories"]

    def tags(self, repo):
        with self.urlopen("%s/v2/%s/tags/list" % (self.url, repo), timeout=30) as resp:
            return json.load(resp)["tags"] or []


def _split(name):
    """'repo/x:tag' -> ('repo/x', 'tag'); 'repo/x@sha256:..' -> ('repo/x', 'sha256:..')."""
    if "@" in name:
        return tuple(name.split("@", 1))
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1:]
    return name, "latest"


def run_skopeo(*args, env=None, timeout=600):
    """skopeo with these arguments; its stdout, or RuntimeError with its stderr."""
    proc = subprocess.run(["skopeo"] + list(args), capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)
    if proc.returncode:
        raise RuntimeError("skopeo %s: %s" % (" ".join(args), proc.stderr.strip()))
    return proc.stdout
