# -*- coding: utf-8 -*-
"""Fixtures shared by every test.

The rig is the package ``tests/rig`` (this file puts ``tests/`` on ``sys.path``): import its
helpers as ``from rig.registry import Registry`` and ``from rig import oci_writer``.

``registry`` (session): runs tests/rig/build_images.sh unless its cache stamp is current (the
first build takes a few minutes and needs root; then the images are cached under
$STRATA_TEST_CACHE, default /var/tmp/strata-test-cache), then starts Debian's docker-registry on
127.0.0.1 and a free port over a fresh plain copy of the cached registry storage, so tests may
tamper with blobs. It is a ``rig.registry.Registry`` (addr, data_dir, push, copy, blob_path,
manifest, manifest_digest, delete_manifest, catalog, tags) plus:

    layout    the OCI layout the images were built into; tags: busybox multi multi-zstd
              platform-amd64 platform-arm64 platforms
    images    {"busybox":    ADDR/test/busybox:latest,   one layer
               "multi":      ADDR/test/multi:latest,     debian minbase + small files + special
               "multi_zstd": ADDR/test/multi:zstd,       the same, layers tar+zstd
               "multi_v2s2": ADDR/test/multi-v2s2:latest, docker schema2 manifest
               "platforms":  ADDR/test/platforms:latest} OCI index, linux/amd64 + linux/arm64

It is stopped (by PID) and its storage copy removed at the end of the session.

``vm`` (session): the test VM (rig/vm): Debian 12 with systemd as PID 1 and only cgroup v2,
booted under QEMU once per session, only when a selected test asks for it, then stopped.
A ``rig.vm.VM``: ssh("cmd"), reboot(), inventory(path) for ansible-playbook over SSH,
boot_seconds; the guest reaches the host's 127.0.0.1 (the ``registry``) as 10.0.2.2.

``tmp_root`` (function): an empty directory under /var/tmp for a store root; whatever a test
left mounted below it is unmounted, then it is removed.

``tls_ca`` (session): a CA and a server certificate for 127.0.0.1/localhost made with openssl
(rig/tls.py) in a temporary directory: the named tuple (ca_cert, server_cert, server_key); the
directory also holds ``certs.d/ca.crt`` (``rig.tls.cert_dir(ca_cert)``), a skopeo --cert-dir.

``secure_registry`` (function): a fresh EMPTY registry over HTTPS (tls_ca's server certificate)
with htpasswd basic auth, one user: ``.user`` "tester", ``.password`` "s3cret". Besides the
Registry API (addr, url "https://ADDR", push/copy/manifest/catalog/... which log in and verify
with the CA, urlopen(), ssl_context) it has ``.ca_cert`` (the CA file), ``.cert_dir`` (a
directory with only ca.crt, for skopeo's --dest-cert-dir/--src-cert-dir) and ``.htpasswd``.

``mirror_of`` (function): a factory. ``mirror_of(origin)`` starts a fresh registry that is a
pull-through cache of ``origin`` (a started Registry, e.g. ``registry``; for an HTTPS origin
the mirror trusts origin.ca_cert) and returns it, started (``.stop()`` it to play a dead
mirror; ``.start()`` again revives it on the same storage, maybe on another port). Keyword
arguments go to Registry (tls=, htpasswd=, credentials=, ...). A mirror refuses pushes, and
distribution 2.8 cannot log in to an origin that asks for basic auth (it only answers
bearer-token realms), so mirror a registry without auth. Every mirror is stopped and its
storage removed at teardown.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

import rig  # noqa: E402  pylint: disable=wrong-import-position
from rig.push_all import IMAGES  # noqa: E402  pylint: disable=wrong-import-position
from rig.host import unmount_under  # noqa: E402  pylint: disable=wrong-import-position
from rig.htpasswd import write_htpasswd  # noqa: E402  pylint: disable=wrong-import-position
from rig.registry import Registry  # noqa: E402  pylint: disable=wrong-import-position
from rig.tls import cert_dir, make_ca  # noqa: E402  pylint: disable=wrong-import-position
from rig import vm as rig_vm  # noqa: E402  pylint: disable=wrong-import-position

SECURE_USER = "tester"
SECURE_PASSWORD = "s3cret"


class TestRegistry(Registry):
    """The session's registry: a Registry that also knows the rig's layout and image names."""

    __test__ = False

    def __init__(self, data_dir, workdir, layout):
        super().__init__(data_dir, workdir)
        self.layout = layout
        self.images = {}

    def start(self, timeout=20):
        super().start(timeout)
        self.images = {key: "%s/%s" % (self.addr, name) for key, name in IMAGES.items()}
        return self


# The longest test files, started first: with two workers (tests/run.sh) a long file started
# last would run alone at the end. The VM's boots are mostly waiting on QEMU.
LONGEST_FIRST = ("integration/test_vm.py", "integration/test_check_mode.py", "integration/test_fleet.py",
                 "integration/test_crash.py", "integration/test_volumes.py", "integration/test_container_module.py")


def _rank(item):
    path = str(item.fspath)
    return next((n for n, name in enumerate(LONGEST_FIRST) if path.endswith(name)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(session, config, items):  # pylint: disable=unused-argument
    items.sort(key=_rank)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def registry():
    built = rig.ensure_built()
    scratch = tempfile.mkdtemp(prefix="strata-registry-", dir="/var/tmp")
    try:
        data = os.path.join(scratch, "data")
        # A plain copy (never hard links): tests overwrite blob files in it.
        shutil.copytree(os.path.join(built, "registry"), data, symlinks=True)
        with TestRegistry(data, os.path.join(scratch, "run"), os.path.join(built, "oci")) as reg:
            yield reg
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class SecureRegistry(Registry):
    """A Registry with TLS and basic auth that also knows its htpasswd file and a cert dir."""

    @property
    def cert_dir(self):
        """A directory holding only ca.crt: skopeo's --cert-dir/--dest-cert-dir/--src-cert-dir."""
        return cert_dir(self.ca_cert)


@pytest.fixture(scope="session")
def tls_ca():
    directory = tempfile.mkdtemp(prefix="strata-tls-", dir="/var/tmp")
    try:
        yield make_ca(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def secure_registry(tls_ca):
    scratch = tempfile.mkdtemp(prefix="strata-secure-registry-", dir="/var/tmp")
    try:
        htpasswd = write_htpasswd(os.path.join(scratch, "htpasswd"), {SECURE_USER: SECURE_PASSWORD})
        with SecureRegistry(os.path.join(scratch, "data"), os.path.join(scratch, "run"),
                            tls=(tls_ca.server_cert, tls_ca.server_key), ca_cert=tls_ca.ca_cert, htpasswd=htpasswd,
                            credentials=(SECURE_USER, SECURE_PASSWORD)) as reg:
            yield reg
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def mirror_of():
    scratch = tempfile.mkdtemp(prefix="strata-mirror-", dir="/var/tmp")
    mirrors = []

    def start(origin, **kwargs):
        if not origin.running:
            raise RuntimeError("the origin %s must be up when its mirror starts" % origin.url)
        kwargs.setdefault("proxy_remote", origin.url)
        if origin.tls and origin.ca_cert:
            kwargs.setdefault("proxy_ca_cert", origin.ca_cert)
        if origin.credentials:
            kwargs.setdefault("proxy_username", origin.user)
            kwargs.setdefault("proxy_password", origin.password)
        where = os.path.join(scratch, str(len(mirrors)))
        mirror = Registry(os.path.join(where, "data"), os.path.join(where, "run"), **kwargs)
        mirrors.append(mirror)
        return mirror.start()

    try:
        yield start
    finally:
        for mirror in mirrors:
            mirror.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def tmp_root():
    root = tempfile.mkdtemp(prefix="strata-root-", dir="/var/tmp")
    try:
        yield root
    finally:
        unmount_under(root)  # whatever a failed test left mounted
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def vm():
    """The test VM (rig/vm): Debian 12, systemd as PID 1, cgroup v2 only. Booted once per test file
    that asks for it (make_image.sh builds the image first unless its cache is current); stopped
    at the file's end (QEMU ended by its pidfile's PID), not left idle beside the other files."""
    problems = rig_vm.host_problems()
    if problems:
        pytest.fail("the VM tests cannot run on this host:\n  - " + "\n  - ".join(problems))
    rig_vm.ensure_built()
    machine = rig_vm.VM(tempfile.mkdtemp(prefix="strata-test-vm-", dir="/var/tmp"))
    try:
        machine.boot()
        yield machine
    finally:
        machine.stop()
