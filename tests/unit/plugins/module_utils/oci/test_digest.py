# -*- coding: utf-8 -*-
from __future__ import annotations

import hashlib
import io

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import (
    DigestMismatch, InvalidSpec, SizeMismatch)
from ansible_collections.strata.containers.plugins.module_utils.oci import digest


def test_chain_ids_follow_the_image_spec():
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    expected = "sha256:" + hashlib.sha256(("%s %s" % (a, b)).encode()).hexdigest()
    assert digest.chain_ids([a, b]) == [a, expected]


def test_verifying_reader_checks_digest_and_size():
    data = b"x" * 5000
    good = digest.of_bytes(data)
    reader = digest.VerifyingReader(io.BytesIO(data), good, len(data))
    reader.drain(7)
    assert reader.finish() == good
    with pytest.raises(SizeMismatch):
        digest.VerifyingReader(io.BytesIO(data), good, 10).drain()
    short = digest.VerifyingReader(io.BytesIO(data), good, len(data) + 1)
    short.drain()
    with pytest.raises(SizeMismatch):
        short.finish()
    bad = digest.VerifyingReader(io.BytesIO(data), "sha256:" + "0" * 64, len(data))
    bad.drain()
    with pytest.raises(DigestMismatch):
        bad.finish()


def test_only_sha256_is_accepted():
    with pytest.raises(InvalidSpec, match="unsupported digest algorithm"):
        digest.validate("sha512:" + "a" * 128)
    with pytest.raises(InvalidSpec, match="invalid digest"):
        digest.validate("sha256:XYZ")
