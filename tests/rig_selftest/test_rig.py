# -*- coding: utf-8 -*-
"""The test rig proves itself: registry up, every image present with the shape tests rely on."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import subprocess
import ssl
import tarfile
import urllib.error
import urllib.request
import uuid

import pytest

from rig import oci_writer, tls
from rig.htpasswd import write_htpasswd
from rig.registry import MANIFEST_TYPES, Registry, run_skopeo

ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
V2S2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _raw(ref):
    return json.loads(run_skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + ref))


def _layer_tar(registry, digest):
    with open(registry.blob_path(digest), "rb") as f:
        data = f.read()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == digest
    return tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)))


def test_registry_answers_on_loopback(registry):
    assert registry.addr.startswith("127.0.0.1:")
    with urllib.request.urlopen("http://%s/v2/" % registry.addr, timeout=5) as resp:
        assert resp.status == 200
        assert resp.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert os.path.isdir(os.path.join(registry.data_dir, "docker", "registry", "v2"))
    assert {"test/busybox", "test/multi", "test/multi-v2s2", "test/platforms", "test/python"} <= set(registry.catalog())
    assert sorted(registry.tags("test/multi")) == ["latest", "zstd"]


def test_storage_is_a_private_copy(registry):
    import rig  # pylint: disable=import-outside-toplevel
    assert not registry.data_dir.startswith(rig.cache_root())
    blob = registry.blob_path(_raw(registry.images["busybox"])["layers"][0]["digest"])
    assert os.stat(blob).st_nlink == 1


@pytest.mark.parametrize("key", ["busybox", "multi", "multi_zstd", "multi_v2s2", "platforms", "python"])
def test_skopeo_inspects_every_image(registry, key):
    ref = registry.images[key]
    info = json.loads(run_skopeo("inspect", "--tls-verify=false", "docker://" + ref))
    assert info["Os"] == "linux" and info["Architecture"] == "amd64"
    assert info["Layers"]
    assert registry.manifest_digest(ref) == info["Digest"]


def test_image_references(registry):
    addr = registry.addr
    assert registry.images == {
        "busybox": addr + "/test/busybox:latest",
        "multi": addr + "/test/multi:latest",
        "multi_zstd": addr + "/test/multi:zstd",
        "multi_v2s2": addr + "/test/multi-v2s2:latest",
        "platforms": addr + "/test/platforms:latest",
        "python": addr + "/test/python:latest",
        "strata_host": addr + "/test/strata-host:latest",
    }


def test_busybox_is_one_layer_with_sh(registry):
    manifest = _raw(registry.images["busybox"])
    assert len(manifest["layers"]) == 1
    names = {m.name: m for m in _layer_tar(registry, manifest["layers"][0]["digest"])}
    assert names["bin/busybox"].isfile() and names["bin/busybox"].mode & 0o111
    assert names["bin/sh"].issym() and names["bin/sh"].linkname == "/bin/busybox"
    assert "etc/passwd" in names and "etc/group" in names
    config = json.loads(run_skopeo("inspect", "--config", "--tls-verify=false",
                                   "docker://" + registry.images["busybox"]))
    assert config["config"]["Cmd"] == ["sh"]
    assert any(e.startswith("PATH=") for e in config["config"]["Env"])


def test_multi_layers_and_config(registry):
    manifest = _raw(registry.images["multi"])
    assert registry.manifest_type(registry.images["multi"]) == OCI_MANIFEST
    assert len(manifest["layers"]) >= 3
    assert {layer["mediaType"] for layer in manifest["layers"]} == {GZIP}
    assert sum(layer["size"] for layer in manifest["layers"]) < 40 * 1024 * 1024
    config = json.loads(run_skopeo("inspect", "--config", "--tls-verify=false", "docker://" + registry.images["multi"]))
    assert config["config"]["Cmd"] and config["config"]["WorkingDir"] == "/opt"
    assert "APP_ENV=test" in config["config"]["Env"]
    assert config["config"]["Labels"]["org.strata.test"] == "multi"
    assert len(config["rootfs"]["diff_ids"]) == len(manifest["layers"])

    base = {m.name for m in _layer_tar(registry, manifest["layers"][0]["digest"])}
    assert {"etc/issue.net", "usr/lib/x86_64-linux-gnu/gconv", "etc/cron.daily", "etc/apt/apt.conf.d",
            "usr/bin/bash"} <= base
    small = [m for m in _layer_tar(registry, manifest["layers"][1]["digest"]) if m.isfile()]
    assert 3000 <= len(small) <= 5000


def test_multi_special_layer(registry):
    manifest = _raw(registry.images["multi"])
    members = {m.name: m for m in _layer_tar(registry, manifest["layers"][-1]["digest"])}
    assert "etc/.wh.issue.net" in members                               # a deleted base file
    assert "usr/lib/x86_64-linux-gnu/.wh.gconv" in members              # a deleted base dir
    assert "etc/apt/apt.conf.d/.wh..wh..opq" in members                 # an opaque dir ...
    assert "etc/apt/apt.conf.d/00strata" in members                     # ... with new content
    hard = members["opt/links/hardlink"]
    assert hard.islnk() and hard.linkname == "opt/links/original" and members["opt/links/original"].isfile()
    assert members["opt/links/absolute"].issym() and members["opt/links/absolute"].linkname.startswith("/")
    relative = members["opt/links/relative"]
    assert relative.issym() and not relative.linkname.startswith("/")
    suid = members["opt/bin/suid-tool"]
    assert suid.isfile() and suid.mode == 0o4755
    assert members["opt/xattr/file"].pax_headers.get("SCHILY.xattr.user.strata.test") == "hello"


def test_multi_zstd_has_zstd_layers(registry):
    manifest = _raw(registry.images["multi_zstd"])
    assert registry.manifest_type(registry.images["multi_zstd"]) == OCI_MANIFEST
    assert len(manifest["layers"]) >= 3
    assert {layer["mediaType"] for layer in manifest["layers"]} == {ZSTD}
    with open(registry.blob_path(manifest["layers"][-1]["digest"]), "rb") as f:
        assert f.read(4) == b"\x28\xb5\x2f\xfd"  # the zstd frame magic
    gz = _raw(registry.images["multi"])
    assert manifest["config"]["digest"] == gz["config"]["digest"]  # same image, other compression


def test_multi_v2s2_is_docker_schema2(registry):
    manifest = _raw(registry.images["multi_v2s2"])
    assert manifest["schemaVersion"] == 2 and manifest["mediaType"] == V2S2
    assert registry.manifest_type(registry.images["multi_v2s2"]) == V2S2
    assert manifest["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    assert {layer["mediaType"] for layer in manifest["layers"]} == \
        {"application/vnd.docker.image.rootfs.diff.tar.gzip"}


def test_platforms_is_an_index(registry):
    index = registry.manifest(registry.images["platforms"])
    assert registry.manifest_type(registry.images["platforms"]) == OCI_INDEX
    by_arch = {m["platform"]["architecture"]: m for m in index["manifests"]}
    assert sorted(by_arch) == ["amd64", "arm64"]
    name = registry.images["platforms"].rsplit(":", 1)[0]
    for arch, desc in by_arch.items():
        assert desc["platform"]["os"] == "linux"
        manifest = _raw("%s@%s" % (name, desc["digest"]))
        config = json.loads(run_skopeo("inspect", "--config", "--tls-verify=false",
                                       "docker://%s@%s" % (name, desc["digest"])))
        assert config["architecture"] == arch
        top = {m.name: m for m in _layer_tar(registry, manifest["layers"][-1]["digest"])}
        assert top["etc/platform"].isfile()
        tar = _layer_tar(registry, manifest["layers"][-1]["digest"])
        assert tar.extractfile("etc/platform").read() == arch.encode() + b"\n"


def test_python_is_debian_with_python3(registry):
    """An Ansible target: the Debian base layer (shared with multi) plus python3."""
    manifest = _raw(registry.images["python"])
    assert len(manifest["layers"]) == 2
    assert manifest["layers"][0]["digest"] == _raw(registry.images["multi"])["layers"][0]["digest"]
    names = {m.name: m for m in _layer_tar(registry, manifest["layers"][1]["digest"])}
    assert names["usr/bin/python3"].issym() and names["usr/bin/python3.11"].isfile()
    assert "usr/lib/python3.11/json/__init__.py" in names
    assert not any(name.startswith(("var/lib/apt/lists/", "usr/share/man/")) for name in names)
    assert "etc/resolv.conf" not in names
    config = json.loads(run_skopeo("inspect", "--config", "--tls-verify=false", "docker://" + registry.images["python"]))
    assert config["config"]["Cmd"] == ["/bin/bash"]
    assert config["config"]["Labels"]["org.strata.test"] == "python"


def test_strata_host_is_python_with_runc_and_the_engines_libraries(registry):
    """Molecule's host and app instances: the python image's layers plus one of Debian packages."""
    manifest = _raw(registry.images["strata_host"])
    python_layers = [layer["digest"] for layer in _raw(registry.images["python"])["layers"]]
    assert [layer["digest"] for layer in manifest["layers"]][:2] == python_layers and len(manifest["layers"]) == 3
    names = {m.name: m for m in _layer_tar(registry, manifest["layers"][2]["digest"])}
    for path in ("usr/sbin/runc", "usr/lib/python3/dist-packages/requests/__init__.py",
                 "usr/lib/python3/dist-packages/zstandard/__init__.py",
                 "usr/lib/python3/dist-packages/pyroute2/__init__.py", "usr/lib/python3/dist-packages/apt/__init__.py"):
        assert path in names, path
    assert not any(name.startswith("var/lib/apt/lists/") and names[name].isfile() for name in names)
    assert "etc/resolv.conf" not in names


def test_layout_has_every_tag(registry):
    with open(os.path.join(registry.layout, "index.json")) as f:
        tags = {m["annotations"]["org.opencontainers.image.ref.name"] for m in json.load(f)["manifests"]}
    assert {"busybox", "multi", "multi-zstd", "platforms", "platform-amd64", "platform-arm64", "python",
            "strata-host"} <= tags


def test_oci_writer_crafted_image_round_trips(registry, tmp_path):
    layout = str(tmp_path / "layout")
    layer = oci_writer.tar_bytes([
        ("dir", "etc"),
        ("file", "etc/hello", b"hi\n"),
        ("file", "bin/tool", b"#!/bin/sh\n", 0o4755),
        ("symlink", "escape", "/"),
        ("hardlink", "etc/twin", "etc/hello"),
        ("file", "../outside", b"x"),
        ("char", "dev/null", (1, 3)),
        ("file", "etc/.wh.passwd"),
        {"name": "etc/x", "data": "text", "uid": 1000, "xattrs": {"user.k": "v"}},
    ])
    members = {m.name: m for m in tarfile.open(fileobj=io.BytesIO(layer))}
    assert members["../outside"].isfile() and members["escape"].linkname == "/"
    assert members["dev/null"].ischr() and (members["dev/null"].devmajor, members["dev/null"].devminor) == (1, 3)
    assert members["bin/tool"].mode == 0o4755 and members["etc/x"].uid == 1000
    assert members["etc/x"].pax_headers["SCHILY.xattr.user.k"] == "v"
    for compression, media_type in (("gzip", GZIP), ("zstd", ZSTD), ("none", "application/vnd.oci.image.layer.v1.tar")):
        info = oci_writer.write_image(layout, compression, [layer], config={"Cmd": ["/bin/true"]},
                                      compression=compression, labels={"k": "v"})
        name = "crafted/%s:%s" % (uuid.uuid4().hex[:12], compression)
        if compression == "none":  # skopeo would gzip the layer: push it over the API
            ref = registry.push_raw(info["ref"], name)
        else:
            ref = registry.push(info["ref"], name)
        manifest = _raw(ref)
        assert registry.manifest_digest(ref) == info["manifest_digest"]  # pushed byte for byte
        assert [layer["mediaType"] for layer in manifest["layers"]] == [media_type]
        assert manifest["layers"][0]["digest"] == info["layer_digests"][0]
        assert os.path.exists(registry.blob_path(info["layer_digests"][0]))
        config = json.loads(run_skopeo("inspect", "--config", "--tls-verify=false", "docker://" + ref))
        assert config["rootfs"]["diff_ids"] == info["diff_ids"]
        assert config["config"]["Labels"] == {"k": "v"}


def test_skopeo_gzips_uncompressed_layers(registry, tmp_path):
    """Why push_raw exists: skopeo 1.9 compresses a plain tar layer on its way to a registry."""
    info = oci_writer.write_image(str(tmp_path / "l"), "t", [oci_writer.tar_bytes([("file", uuid.uuid4().hex, b"x")])],
                                  compression="none")
    manifest = _raw(registry.push(info["ref"], "crafted/plain:skopeo"))
    assert manifest["layers"][0]["mediaType"] == GZIP


def test_push_raw_index(registry, tmp_path):
    layout = str(tmp_path / "l")
    infos = {arch: oci_writer.write_image(layout, arch, [oci_writer.tar_bytes([("file", "etc/platform", arch)])],
                                          architecture=arch) for arch in ("amd64", "arm64")}
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": info["manifest_digest"], "size": len(info["manifest"]),
         "platform": {"os": "linux", "architecture": arch}} for arch, info in infos.items()]}).encode()
    digest = oci_writer.put_blob(layout, index)
    with open(os.path.join(layout, "index.json")) as f:
        top = json.load(f)
    top["manifests"].append({"mediaType": OCI_INDEX, "digest": digest, "size": len(index),
                             "annotations": {"org.opencontainers.image.ref.name": "both"}})
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(top, f)
    ref = registry.push_raw(layout + ":both", "crafted/index:both")
    assert registry.manifest_digest(ref) == digest
    assert registry.manifest_type(ref) == OCI_INDEX


def test_tampering_is_seen_and_stays_in_this_session(registry, tmp_path):
    layout = str(tmp_path / "layout")
    info = oci_writer.write_image(layout, "t", [oci_writer.tar_bytes([("file", uuid.uuid4().hex, b"x")])])
    ref = registry.push(info["ref"], "crafted/tamper:latest")
    blob = registry.blob_path(info["layer_digests"][0])
    with open(blob, "r+b") as f:
        f.seek(20)
        f.write(b"\0\0\0\0")
    out = subprocess.run(["skopeo", "copy", "--src-tls-verify=false", "docker://" + ref,
                          "oci:%s:copy" % (tmp_path / "copy")], capture_output=True, text=True, check=False)
    assert out.returncode != 0 and "digest" in out.stderr.lower()
    registry.delete_manifest("crafted/tamper:latest")
    assert "latest" not in registry.tags("crafted/tamper")


def test_tmp_root_is_fresh(tmp_root):
    assert tmp_root.startswith("/var/tmp/") and os.listdir(tmp_root) == []


# ---------------------------------------------------------------- TLS, basic auth, pull-through cache
def _status(url, context, user=None, password=None, accept=None):
    """(status, headers) of a GET; an HTTP error status is returned, not raised."""
    headers = {"Accept": accept} if accept else {}
    if user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10, context=context) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as err:
        err.close()
        return err.code, err.headers


def test_tls_ca_signs_a_loopback_server_cert(tls_ca):
    ca_cert, server_cert, server_key = tls_ca
    assert (ca_cert, server_cert, server_key) == (tls_ca.ca_cert, tls_ca.server_cert, tls_ca.server_key)
    assert all(os.path.isfile(path) for path in tls_ca)
    out = subprocess.run(["openssl", "verify", "-CAfile", ca_cert, server_cert], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    text = subprocess.run(["openssl", "x509", "-in", server_cert, "-noout", "-text"], capture_output=True, text=True,
                          check=True).stdout
    assert "IP Address:127.0.0.1" in text and "DNS:localhost" in text
    assert tls.make_ca(os.path.dirname(ca_cert)) == tls_ca  # idempotent: the same files, not new ones
    assert os.listdir(tls.cert_dir(ca_cert)) == ["ca.crt"]


def test_htpasswd_is_bcrypt(tmp_path):
    path = write_htpasswd(str(tmp_path / "htpasswd"), {"a": "pw one", "b": "two"})
    with open(path) as f:
        lines = f.read().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["a", "b"]
    assert all(line.split(":", 1)[1][:4] in ("$2y$", "$2b$") for line in lines)
    assert subprocess.run(["htpasswd", "-vb", path, "a", "pw one"], capture_output=True, check=False).returncode == 0
    assert subprocess.run(["htpasswd", "-vb", path, "a", "wrong"], capture_output=True, check=False).returncode != 0


def test_secure_registry_wants_tls_and_credentials(secure_registry):
    reg = secure_registry
    assert reg.url == "https://" + reg.addr and reg.addr.startswith("127.0.0.1:")
    assert (reg.user, reg.password) == ("tester", "s3cret")
    context = ssl.create_default_context(cafile=reg.ca_cert)
    status, headers = _status(reg.url + "/v2/", context)
    assert status == 401 and headers["WWW-Authenticate"] == 'Basic realm="strata-test"'
    assert _status(reg.url + "/v2/", context, "tester", "wrong")[0] == 401
    status, headers = _status(reg.url + "/v2/", context, reg.user, reg.password)
    assert status == 200 and headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    with pytest.raises(urllib.error.URLError) as err:  # not trusted without the test's CA
        _status(reg.url + "/v2/", ssl.create_default_context())
    assert isinstance(err.value.reason, ssl.SSLCertVerificationError)
    assert reg.catalog() == []  # empty, and the helpers log in


def test_skopeo_pushes_to_the_secure_registry(registry, secure_registry):
    reg = secure_registry
    src = "oci:%s:busybox" % registry.layout
    dest = "docker://%s/test/busybox:latest" % reg.addr
    refused = subprocess.run(["skopeo", "copy", "-q", "--dest-cert-dir", reg.cert_dir, src, dest],
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "unauthorized" in refused.stderr.lower()
    run_skopeo("copy", "-q", "--dest-creds", "%s:%s" % (reg.user, reg.password), "--dest-cert-dir", reg.cert_dir,
               src, dest)
    assert reg.catalog() == ["test/busybox"] and reg.tags("test/busybox") == ["latest"]
    info = json.loads(run_skopeo("inspect", "--creds", "tester:s3cret", "--cert-dir", reg.cert_dir, dest))
    assert info["Digest"] == reg.manifest_digest("test/busybox:latest")
    assert len(info["Layers"]) == 1
    ref = reg.push(src, "test/again:latest")  # the rig's own push logs in too
    assert ref == reg.addr + "/test/again:latest" and reg.tags("test/again") == ["latest"]


def test_mirror_serves_the_origins_manifest(registry, mirror_of):
    mirror = mirror_of(registry)
    assert mirror.running and mirror.addr != registry.addr and mirror.proxy_remote == registry.url
    path = "/v2/test/busybox/manifests/latest"
    origin_status, origin_headers = _status(registry.url + path, None, accept=MANIFEST_TYPES)
    status, headers = _status(mirror.url + path, None, accept=MANIFEST_TYPES)
    assert origin_status == status == 200
    assert headers["Docker-Content-Digest"] == origin_headers["Docker-Content-Digest"]
    assert headers["Docker-Content-Digest"] == registry.manifest_digest(registry.images["busybox"])
    layer = mirror.manifest("test/busybox:latest")["layers"][0]["digest"]
    with mirror.urlopen("%s/v2/test/busybox/blobs/%s" % (mirror.url, layer)) as resp:
        assert "sha256:" + hashlib.sha256(resp.read()).hexdigest() == layer
    assert _status(mirror.url + "/v2/test/none/manifests/latest", None, accept=MANIFEST_TYPES)[0] == 404
    mirror.stop()  # a dead mirror: nothing answers on its port any more
    assert not mirror.running
    with pytest.raises(urllib.error.URLError):
        _status(mirror.url + "/v2/", None)


def test_mirror_of_an_https_origin(registry, tls_ca, mirror_of, tmp_path):
    with Registry(str(tmp_path / "origin"), tls=(tls_ca.server_cert, tls_ca.server_key), ca_cert=tls_ca.ca_cert) as origin:
        origin.push("%s:busybox" % registry.layout, "test/busybox:latest")
        mirror = mirror_of(origin)  # trusts the test CA (SSL_CERT_FILE) for its https:// remote
        assert mirror.proxy_remote == origin.url and mirror.url.startswith("http://")
        assert mirror.manifest_digest("test/busybox:latest") == origin.manifest_digest("test/busybox:latest")
