# -*- coding: utf-8 -*-
"""Registries in full: push over TLS with a password (the registry's CA made by the test),
pulled back by skopeo with the same digests; a second repository mounts the blobs; wrong
credentials are a clear error; credentials from Docker's config.json and a CA from certs.d;
a mirror that is used, then dead (the pull falls back); a mirror's credentials are its own;
search and all tags."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import subprocess

from ansible_runner import run_module
from rig.htpasswd import write_htpasswd


def _ok(result):
    assert not result["failed"], result
    return result


def _skopeo_inspect(secure, ref, raw=False):
    argv = ["skopeo", "inspect", "--creds", "%s:%s" % (secure.user, secure.password), "--cert-dir", secure.cert_dir]
    proc = subprocess.run(argv + (["--raw"] if raw else []) + ["docker://" + ref], capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout)


def _oci_layout_image(layout):
    """(config, [uncompressed layer bytes]) of the one image in an OCI layout skopeo wrote."""
    def blob(digest, decode=True):
        with open(os.path.join(layout, "blobs", *digest.split(":", 1)), "rb") as f:
            data = f.read()
        return json.loads(data) if decode else data

    with open(os.path.join(layout, "index.json")) as f:
        manifest = blob(json.load(f)["manifests"][0]["digest"])
    layers = []
    for desc in manifest["layers"]:
        data = blob(desc["digest"], decode=False)
        layers.append(gzip.decompress(data) if desc["mediaType"].endswith("+gzip") else data)
    return blob(manifest["config"]["digest"]), layers


def test_push_over_tls_with_a_password_mounts_and_is_idempotent(
        registry, secure_registry, container_root, another_root, tmp_path):
    secure = secure_registry
    login = {"username": secure.user, "password": secure.password, "ca_cert": secure.ca_cert}
    source = registry.images["multi"]
    _ok(run_module("image", {"name": source, "root": container_root}))
    target = "%s/team/multi:1" % secure.addr
    pushed = _ok(run_module("image", dict(login, name=source, source="local", repository=target, push=True,
                                          root=container_root)))
    assert pushed["changed"] is True and pushed["pushed"]["uploaded"]
    manifest = _skopeo_inspect(secure, target, raw=True)
    assert [layer["digest"] for layer in manifest["layers"]] == [
        d for d in pushed["pushed"]["uploaded"] if d != pushed["image"]["id"]]
    assert manifest["config"]["digest"] == pushed["image"]["id"]
    layout = str(tmp_path / "back")
    subprocess.run(["skopeo", "copy", "-q", "--src-creds", "%s:%s" % (secure.user, secure.password),
                    "--src-cert-dir", secure.cert_dir, "docker://" + target, "oci:%s:x" % layout], check=True)
    # what skopeo fetched unpacks to the origin's layers: the diff_ids the rig registry holds
    origin = json.loads(subprocess.run(["skopeo", "inspect", "--config", "--tls-verify=false", "docker://" + source],
                                       capture_output=True, text=True, check=True).stdout)
    config, layers = _oci_layout_image(layout)
    assert config["rootfs"]["diff_ids"] == origin["rootfs"]["diff_ids"]
    assert [hashlib.sha256(content).hexdigest() for content in layers] == [
        d.split(":", 1)[1] for d in origin["rootfs"]["diff_ids"]]

    again = _ok(run_module("image", dict(login, name=source, source="local", repository=target, push=True,
                                         root=container_root)))
    assert again["changed"] is False and not again["pushed"]["uploaded"]

    other = "%s/other/multi:1" % secure.addr
    mounted = _ok(run_module("image", dict(login, name=target, source="local", repository=other, push=True,
                                           root=container_root)))
    assert mounted["changed"] and not mounted["pushed"]["uploaded"] and len(mounted["pushed"]["mounted"]) == 4
    assert _skopeo_inspect(secure, other)["Digest"] == pushed["pushed"]["manifest_digest"]

    back = another_root()
    pulled = _ok(run_module("image", dict(login, name=other, root=back)))
    assert pulled["image"]["diff_ids"] == pushed["image"]["diff_ids"] and pulled["image"]["id"] == pushed["image"]["id"]

    zstd = _ok(run_module("image", dict(login, name=source, source="local", repository="%s/team/multi:zstd" % secure.addr,
                                        push=True, compression="zstd", root=container_root)))
    types = {layer["mediaType"] for layer in _skopeo_inspect(secure, "%s/team/multi:zstd" % secure.addr, raw=True)["layers"]}
    assert zstd["changed"] and types == {"application/vnd.oci.image.layer.v1.tar+zstd"}

    wrong = run_module("image", dict(login, password="wrong", name=source, source="local", push=True,
                                     repository="%s/team/denied:1" % secure.addr, root=container_root))
    assert wrong["failed"] and wrong["error"] == "AuthenticationError" and "check the username and password" in wrong["msg"]
    anonymous = run_module("image", {"name": other, "ca_cert": secure.ca_cert, "root": another_root()})
    assert anonymous["failed"] and anonymous["error"] == "AuthenticationError"


def test_credentials_from_docker_config_and_ca_from_certs_d(registry, secure_registry, container_root, tmp_path):
    secure = secure_registry
    config = tmp_path / "config.json"
    token = base64.b64encode(("%s:%s" % (secure.user, secure.password)).encode()).decode()
    config.write_text(json.dumps({"auths": {secure.addr: {"auth": token}}}))
    certs = tmp_path / "certs.d" / secure.addr
    certs.mkdir(parents=True)
    with open(secure.ca_cert) as src:
        (certs / "ca.crt").write_text(src.read())
    _ok(run_module("image", {"name": registry.images["busybox"], "root": container_root}))
    target = "%s/team/busybox:1" % secure.addr
    pushed = _ok(run_module("image", {"name": registry.images["busybox"], "source": "local", "repository": target,
                                      "push": True, "auth_config": str(config), "certs_dir": str(tmp_path / "certs.d"),
                                      "root": container_root}))
    assert pushed["changed"] is True
    assert _skopeo_inspect(secure, target)["Digest"] == pushed["pushed"]["manifest_digest"]


def test_pull_through_a_mirror_then_fall_back_when_it_is_gone(registry, mirror_of, container_root, another_root):
    mirror = mirror_of(registry)
    mirrors = {registry.addr: [mirror.addr]}
    via_mirror = _ok(run_module("image", {"name": registry.images["busybox"], "registry_mirrors": mirrors,
                                          "root": container_root}))
    assert via_mirror["changed"] is True
    assert "test/busybox" in mirror.catalog()  # the mirror served it, and so cached it
    mirror.stop()
    root = another_root()
    with open(os.path.join(root, "registries.json"), "w") as f:  # the store's own mirror config this time
        json.dump({registry.addr: {"mirrors": [mirror.addr]}}, f)
    fallback = _ok(run_module("image", {"name": registry.images["multi"], "root": root}))
    assert fallback["changed"] is True and len(fallback["image"]["layers"]) >= 3


def test_a_mirror_gets_its_own_credentials_from_the_auth_file_never_the_registrys(
        registry, mirror_of, container_root, another_root, tmp_path):
    """A pull-through mirror with a password of its own: the username/password given for the
    registry are not sent to it (it refuses, the pull falls back to the registry); the auth
    file's entry for the mirror's host is (the mirror serves, and caches)."""
    htpasswd = write_htpasswd(str(tmp_path / "htpasswd"), {"mirror-bot": "mirror-secret"})
    mirror = mirror_of(registry, htpasswd=htpasswd, credentials=("mirror-bot", "mirror-secret"))
    options = {"name": registry.images["busybox"], "registry_mirrors": {registry.addr: [mirror.addr]},
               "username": "mirror-bot", "password": "mirror-secret", "auth_config": str(tmp_path / "none.json")}
    fallback = _ok(run_module("image", dict(options, root=container_root)))
    assert fallback["changed"] is True
    assert "test/busybox" not in mirror.catalog()  # the registry served it: the mirror never let us in
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {mirror.addr: {
        "auth": base64.b64encode(b"mirror-bot:mirror-secret").decode()}}}))
    via_mirror = _ok(run_module("image", dict(options, username=None, password=None, auth_config=str(config),
                                              root=another_root())))
    assert via_mirror["changed"] is True
    assert "test/busybox" in mirror.catalog()


def test_search_and_all_tags(registry, container_root, another_root):
    _ok(run_module("image", {"name": registry.images["busybox"], "root": container_root}))
    for name in ("search/alpha:1", "search/alpha:2", "search/beta:1"):
        _ok(run_module("image", {"name": registry.images["busybox"], "source": "local", "push": True,
                                 "repository": "%s/%s" % (registry.addr, name), "root": container_root}))
    found = _ok(run_module("image_info", {"search": "%s/alph" % registry.addr, "root": container_root}))["results"]
    assert [r["name"] for r in found] == ["%s/search/alpha" % registry.addr]
    everything = _ok(run_module("image_info", {"search": "%s/search" % registry.addr}))["results"]
    assert {"%s/search/alpha" % registry.addr, "%s/search/beta" % registry.addr} <= {r["name"] for r in everything}
    root = another_root()
    pulled = _ok(run_module("image", {"name": "%s/search/alpha" % registry.addr, "all_tags": True, "root": root}))
    assert pulled["pulled"] == ["%s/search/alpha:1" % registry.addr, "%s/search/alpha:2" % registry.addr]
    tags = _ok(run_module("image_info", {"root": root}))["images"][0]["repo_tags"]
    assert sorted(tags) == ["%s/search/alpha:1" % registry.addr, "%s/search/alpha:2" % registry.addr]
