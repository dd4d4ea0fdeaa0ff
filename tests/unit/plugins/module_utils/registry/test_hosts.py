# -*- coding: utf-8 -*-
"""certs.d as Docker reads it: one CA file is used where it is; several become one bundle,
written outside certs.d (never into a directory that is not ours), and never into a shared one
where another user could put their CA under its name."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.registry import hosts


def test_one_ca_and_a_client_certificate(tmp_path):
    host = tmp_path / "registry.test:5000"
    host.mkdir()
    (host / "ca.crt").write_bytes(b"CA\n")
    (host / "client.cert").write_bytes(b"CERT\n")
    (host / "client.key").write_bytes(b"KEY\n")
    assert hosts.certificates("registry.test:5000", str(tmp_path)) == (
        str(host / "ca.crt"), (str(host / "client.cert"), str(host / "client.key")))


def test_several_cas_become_one_bundle_outside_certs_d(tmp_path):
    host = tmp_path / "registry.test:5000"
    host.mkdir()
    (host / "a.crt").write_bytes(b"-----A-----\n\n")
    (host / "b.crt").write_bytes(b"-----B-----")
    bundle, client = hosts.certificates("registry.test:5000", str(tmp_path))
    try:
        assert client is None
        assert not bundle.startswith(str(tmp_path))
        assert sorted(os.listdir(host)) == ["a.crt", "b.crt"]  # certs.d untouched
        with open(bundle, "rb") as f:
            assert f.read() == b"-----A-----\n-----B-----\n"
        assert hosts.certificates("registry.test:5000", str(tmp_path))[0] == bundle  # the same content, the same file
    finally:
        os.unlink(bundle)


def _two_cas(certs_dir):
    """certs.d/<host> with two CA files of content unique to this test run; their bundle's bytes."""
    host = certs_dir / "registry.test:5000"
    host.mkdir(parents=True)
    unique = os.urandom(8).hex().encode()
    (host / "a.crt").write_bytes(b"-----A " + unique + b"-----\n")
    (host / "b.crt").write_bytes(b"-----B-----\n")
    return b"-----A " + unique + b"-----\n-----B-----\n"


def test_a_bundle_planted_in_the_shared_temp_dir_is_not_trusted(tmp_path):
    """Another user can compute the name a bundle of public CA files would get in /tmp and put
    their own CA there first: it must not be what we trust."""
    data = _two_cas(tmp_path)
    planted = os.path.join(tempfile.gettempdir(), "strata-ca-%s.pem" % hashlib.sha256(data).hexdigest()[:32])
    with open(planted, "wb") as f:
        f.write(b"-----THE ATTACKER'S CA-----\n")
    try:
        bundle = hosts.certificates("registry.test:5000", str(tmp_path))[0]
        with open(bundle, "rb") as f:
            assert f.read() == data
        assert bundle != planted and stat.S_IMODE(os.stat(os.path.dirname(bundle)).st_mode) == 0o700
    finally:
        os.unlink(planted)


def test_the_bundle_lives_in_the_stores_private_dir_and_is_checked_before_use(tmp_path):
    data = _two_cas(tmp_path / "certs.d")
    own = tmp_path / "store" / "ca-bundles"
    bundle = hosts.certificates("registry.test:5000", str(tmp_path / "certs.d"), str(own))[0]
    assert os.path.dirname(bundle) == str(own) and stat.S_IMODE(os.stat(own).st_mode) == 0o700
    with open(bundle, "wb") as f:  # changed behind our back: written again, not trusted as it is
        f.write(b"-----SOMETHING ELSE-----\n")
    assert hosts.certificates("registry.test:5000", str(tmp_path / "certs.d"), str(own))[0] == bundle
    with open(bundle, "rb") as f:
        assert f.read() == data


def test_a_bundle_dir_that_is_a_link_is_refused(tmp_path):
    _two_cas(tmp_path / "certs.d")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "ca-bundles")
    with pytest.raises(InvalidSpec, match="not a directory of this user"):
        hosts.certificates("registry.test:5000", str(tmp_path / "certs.d"), str(tmp_path / "ca-bundles"))
    assert os.listdir(tmp_path / "elsewhere") == []
