# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidReference
from ansible_collections.strata.containers.plugins.module_utils.oci import reference

D = "sha256:" + "ab" * 32


def test_docker_hub_forms_are_one_image():
    forms = ["ubuntu", "docker.io/ubuntu", "index.docker.io/library/ubuntu:latest", "library/ubuntu",
             "docker.io/library/ubuntu:latest", "index.docker.io/ubuntu"]
    refs = {reference.parse(f) for f in forms}
    assert refs == {reference.Reference("docker.io", "library/ubuntu", "latest", None)}
    ref = refs.pop()
    assert str(ref) == "docker.io/library/ubuntu:latest"
    assert (ref.repository, ref.familiar_name, ref.api_host, ref.tagged_name) == (
        "docker.io/library/ubuntu", "ubuntu", "registry-1.docker.io", "docker.io/library/ubuntu:latest")


@pytest.mark.parametrize("text,domain,path,tag,digest,familiar", [
    ("user/repo", "docker.io", "user/repo", "latest", None, "user/repo"),
    ("docker.io/library/a/b", "docker.io", "library/a/b", "latest", None, "library/a/b"),
    ("localhost/x:1", "localhost", "x", "1", None, "localhost/x"),
    ("localhost:5000/x", "localhost:5000", "x", "latest", None, "localhost:5000/x"),
    ("localhost:5000", "docker.io", "library/localhost", "5000", None, "localhost"),
    ("127.0.0.1:5000/a/b:tag", "127.0.0.1:5000", "a/b", "tag", None, "127.0.0.1:5000/a/b"),
    ("[::1]:5000/x", "[::1]:5000", "x", "latest", None, "[::1]:5000/x"),
    ("[fe80::1]/x:v", "[fe80::1]", "x", "v", None, "[fe80::1]/x"),
    ("Registry.Example.COM/x", "Registry.Example.COM", "x", "latest", None, "Registry.Example.COM/x"),
    ("Foo/bar", "Foo", "bar", "latest", None, "Foo/bar"),  # Docker: an uppercase first part is a host
    ("busybox@" + D, "docker.io", "library/busybox", None, D, "busybox"),
    ("quay.io/a/b:v1@" + D, "quay.io", "a/b", "v1", D, "quay.io/a/b"),
    ("a__b/c-d.e_f---g", "docker.io", "a__b/c-d.e_f---g", "latest", None, "a__b/c-d.e_f---g"),
    ("x:V1.0_rc-1", "docker.io", "library/x", "V1.0_rc-1", None, "x"),
    ("x@sha512:" + "0" * 128, "docker.io", "library/x", None, "sha512:" + "0" * 128, "x"),
    ("x@multihash+base58:" + "A" * 32, "docker.io", "library/x", None, "multihash+base58:" + "A" * 32, "x"),
])
def test_parse(text, domain, path, tag, digest, familiar):
    ref = reference.parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest, ref.familiar_name) == (domain, path, tag, digest, familiar)


def test_string_forms():
    ref = reference.parse("quay.io/a/b:v1@" + D)
    assert str(ref) == "quay.io/a/b:v1@" + D
    assert ref.tagged_name == "quay.io/a/b:v1"
    assert ref.digest_name == "quay.io/a/b@" + D
    assert str(reference.parse("busybox@" + D)) == "docker.io/library/busybox@" + D
    assert str(reference.parse("busybox", default_tag=None)) == "docker.io/library/busybox"
    assert reference.parse("busybox", default_tag="edge").tag == "edge"
    assert reference.parse("busybox:1", default_tag=None).tag == "1"


def test_api_host():
    assert reference.parse("user/repo").api_host == "registry-1.docker.io"
    assert reference.parse("index.docker.io/user/repo").api_host == "registry-1.docker.io"
    assert reference.parse("ghcr.io/o/r").api_host == "ghcr.io"
    assert reference.parse("[::1]:5000/x").api_host == "[::1]:5000"


def test_reference_is_frozen_and_hashable():
    ref = reference.parse("busybox")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.tag = "x"
    assert len({ref, reference.parse("docker.io/busybox:latest")}) == 1


@pytest.mark.parametrize("text,why", [
    ("", "empty"),
    (None, "empty"),
    ("Ubuntu", "must be lowercase"),
    ("user/Repo", "must be lowercase"),
    ("localhost:5000/Foo:v1", "must be lowercase"),
    ("ubuntu:bad tag", "invalid tag"),
    ("ubuntu:.x", "invalid tag"),
    ("ubuntu:-x", "invalid tag"),
    ("ubuntu:", "invalid tag"),
    ("ubuntu:" + "a" * 129, "invalid tag"),
    ("ubuntu:caf\u00e9", "invalid tag"),
    ("ubuntu:v1\n", "invalid tag"),
    ("ubuntu@sha256:abc", "invalid digest"),
    ("ubuntu@", "invalid digest"),
    ("ubuntu@sha256:" + "g" * 64, "invalid digest"),
    ("ubuntu@1sha:" + "a" * 64, "invalid digest"),
    ("ubuntu@sha256:" + "A" * 64, "exactly 64 lowercase hex"),
    ("ubuntu@sha256:" + "a" * 65, "exactly 64 lowercase hex"),
    ("ubuntu@" + D + "@" + D, "invalid digest"),
    ("a/", "invalid repository name"),
    ("/a", "invalid repository name"),
    ("a//b", "invalid repository name"),
    ("-a", "invalid repository name"),
    ("a-", "invalid repository name"),
    ("a___b", "invalid repository name"),
    ("a..b", "invalid repository name"),
    ("a b", "invalid repository name"),
    ("ubuntu\n", "invalid repository name"),
    (":tag", "invalid repository name"),
    ("@" + D, "invalid repository name"),
    ("x/" + "a" * 254, "longer than 255"),
    ("a" * 256, "longer than 255"),  # "library/" counts
    ("ab" * 32, "64-byte hexadecimal"),
    ("bad_host!:5000/x", "invalid registry host"),
    ("host:port/x", "invalid registry host"),
    ("-host.com/x", "invalid registry host"),
    ("[::1/x", "invalid registry host"),
])
def test_rejections_name_the_problem(text, why):
    with pytest.raises(InvalidReference, match=why) as err:
        reference.parse(text)
    assert isinstance(err.value, ValueError)
    assert str(err.value).startswith('invalid reference format "%s": ' % (text,))


def test_length_limit_is_on_the_path():
    assert reference.parse("x/" + "a" * 253).path == "x/" + "a" * 253
    assert reference.parse("a" * 247).path == "library/" + "a" * 247
    assert reference.parse("%s.com/%s" % ("h" * 60, "a" * 255)).path == "a" * 255


def test_with_tag_and_digest():
    ref = reference.parse("busybox").with_digest(D)
    assert str(ref) == "docker.io/library/busybox:latest@" + D
    assert ref.digest_name == "docker.io/library/busybox@" + D
    assert str(reference.parse("busybox").with_tag("1.36")) == "docker.io/library/busybox:1.36"
    assert reference.parse("busybox@" + D).with_tag("1").digest == D
    with pytest.raises(InvalidReference, match="invalid tag"):
        reference.parse("busybox").with_tag("no tag")
    with pytest.raises(InvalidReference, match="invalid digest"):
        reference.parse("busybox").with_digest("sha256:123")


def test_ids():
    hexa = "0123456789abcdef" * 4
    assert reference.is_id_like(hexa) and reference.is_id_like("sha256:" + hexa)
    assert not reference.is_id_like(hexa[:12])
    assert not reference.is_id_like(hexa.upper())
    assert not reference.is_id_like(hexa + "\n")
    assert not reference.is_id_like(None)
    for short in ("a", "abc123", hexa[:12], hexa, "sha256:abc", "sha256:" + hexa):
        assert reference.looks_like_short_id(short), short
    for other in ("", "busybox", "ABC", "sha256:", "sha512:abc", hexa + "0", "abc\n", None):
        assert not reference.looks_like_short_id(other), other


@pytest.mark.parametrize("name,pattern,expected", [
    ("docker.io/library/busybox:latest", "busybox", True),
    ("docker.io/library/busybox:latest", "busy*", True),
    ("docker.io/library/busybox:latest", "busybox:lat*", True),
    ("docker.io/library/busybox:latest", "busybox:latest", True),
    ("busybox:latest", "busybox:1*", False),
    ("busybox:latest", "*box:1*", False),
    ("busybox:latest", "docker.io/library/busybox", False),  # familiar forms only, as Docker
    ("busybox:latest", "library/*", False),
    ("busybox:latest", "b?sybox", True),
    ("busybox:latest", "[a-c]usybox", True),
    ("busybox:latest", "[^b]usybox", False),
    ("busybox:latest", "busybox\\:latest", True),
    ("user/repo:1", "*", False),  # '*' does not cross '/'
    ("user/repo:1", "*/*", True),
    ("user/repo:1", "user?repo", False),
    ("127.0.0.1:5000/test/multi:latest", "127.0.0.1:5000/test/*", True),
    ("127.0.0.1:5000/test/multi:latest", "127.0.0.1:5000/*", False),
    ("example.com/a/b:1", "example.com/*:1", False),
    ("example.com/a/b:1", "example.com/a/*:1", True),
    ("busybox@" + D, "busybox@sha256:*", True),
    ("not a name", "*", False),
])
def test_reference_filter_wildcards(name, pattern, expected):
    assert reference.match_pattern(name, pattern) is expected


def test_reference_filter_accepts_reference_objects():
    assert reference.match_pattern(reference.parse("user/repo:1"), "user/*:1")


@pytest.mark.parametrize("pattern", ["[", "[]", "[a-", "[z-a]", "busy\\", "[a"])
def test_reference_filter_rejects_malformed_patterns(pattern):
    with pytest.raises(InvalidReference, match="invalid reference filter"):
        reference.match_pattern("busybox", pattern)
