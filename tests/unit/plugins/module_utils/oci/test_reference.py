# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidReference
from ansible_collections.strata.containers.plugins.module_utils.oci import reference

D = "sha256:" + "ab" * 32


def test_docker_hub_forms_are_one_image():
    forms = ["ubuntu", "docker.io/ubuntu", "index.docker.io/library/ubuntu:latest", "library/ubuntu"]
    assert {str(reference.parse(f)) for f in forms} == {"docker.io/library/ubuntu:latest"}
    ref = reference.parse("ubuntu")
    assert (ref.familiar_name, ref.api_host, ref.tagged_name) == (
        "ubuntu", "registry-1.docker.io", "docker.io/library/ubuntu:latest")


@pytest.mark.parametrize("text,domain,path,tag,digest,familiar", [
    ("user/repo", "docker.io", "user/repo", "latest", None, "user/repo"),
    ("localhost:5000/x", "localhost:5000", "x", "latest", None, "localhost:5000/x"),
    ("localhost/x:1", "localhost", "x", "1", None, "localhost/x"),
    ("127.0.0.1:5000/a/b:tag", "127.0.0.1:5000", "a/b", "tag", None, "127.0.0.1:5000/a/b"),
    ("[::1]:5000/x", "[::1]:5000", "x", "latest", None, "[::1]:5000/x"),
    ("busybox@" + D, "docker.io", "library/busybox", None, D, "busybox"),
    ("quay.io/a/b:v1@" + D, "quay.io", "a/b", "v1", D, "quay.io/a/b"),
    ("a__b/c-d.e_f", "docker.io", "a__b/c-d.e_f", "latest", None, "a__b/c-d.e_f"),
])
def test_parse(text, domain, path, tag, digest, familiar):
    ref = reference.parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest, ref.familiar_name) == (domain, path, tag, digest, familiar)


@pytest.mark.parametrize("text,why", [
    ("", "empty"),
    ("Ubuntu", "lowercase"),
    ("ubuntu:bad tag", "invalid tag"),
    ("ubuntu:.x", "invalid tag"),
    ("ubuntu@sha256:abc", "invalid digest"),
    ("ubuntu@sha256:" + "A" * 64, "64 lowercase"),
    ("a/", "invalid repository name"),
    ("a//b", "invalid repository name"),
    ("-a", "invalid repository name"),
    ("x/" + "a" * 260, "longer than 255"),
    ("ab" * 32, "64-byte hexadecimal"),
    ("bad_host!:5000/x", "invalid"),
])
def test_rejections_name_the_problem(text, why):
    with pytest.raises(InvalidReference, match=why) as err:
        reference.parse(text)
    assert isinstance(err.value, ValueError)


def test_with_tag_and_digest():
    ref = reference.parse("busybox").with_digest(D)
    assert ref.digest_name == "docker.io/library/busybox@" + D
    assert str(reference.parse("busybox").with_tag("1.36")) == "docker.io/library/busybox:1.36"
    with pytest.raises(InvalidReference):
        reference.parse("busybox").with_tag("no tag")


def test_reference_filter_wildcards():
    assert reference.match_pattern("docker.io/library/busybox:latest", "busy*")
    assert reference.match_pattern("docker.io/library/busybox:latest", "busybox:lat*")
    assert not reference.match_pattern("docker.io/library/busybox:latest", "*box:1*")
    assert reference.match_pattern("127.0.0.1:5000/test/multi:latest", "127.0.0.1:5000/test/*")
    assert not reference.match_pattern("127.0.0.1:5000/test/multi:latest", "127.0.0.1:5000/*")
    assert not reference.match_pattern("example.com/a/b:1", "example.com/*:1")


def test_short_ids():
    assert reference.looks_like_short_id("abc123")
    assert reference.looks_like_short_id("sha256:abc")
    assert not reference.looks_like_short_id("busybox")
