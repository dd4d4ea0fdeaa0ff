# -*- coding: utf-8 -*-
"""certs.d as Docker reads it: one CA file is used where it is; several become one bundle,
written outside certs.d (never into a directory that is not ours)."""

from __future__ import annotations

import os

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
