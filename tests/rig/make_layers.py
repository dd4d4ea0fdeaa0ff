# -*- coding: utf-8 -*-
"""Content for the test images, made with the standard library only.

    make_layers.py smallfiles DIR          3000 small text files (fixed seed)
    make_layers.py special OUT.tar         the layer of whiteouts, links, setuid and xattr
    make_layers.py index LAYOUT TAG T:ARCH...   an OCI index over tagged manifests
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import sys
import tarfile

WORDS = ("def class import return self if else for while try except with as from yield lambda None "
         "layer image digest manifest blob mount overlay rootfs bundle runtime container registry").split()
MTIME = 1700000000


def smallfiles(root):
    rng = random.Random(42)
    for d in range(30):
        directory = os.path.join(root, "d%02d" % d)
        os.makedirs(directory, exist_ok=True)
        for f in range(100):
            lines = [" ".join(rng.choice(WORDS) for dummy in range(rng.randint(3, 10)))
                     for dummy in range(rng.randint(2, 60))]
            with open(os.path.join(directory, "f%03d.py" % f), "w") as out:
                out.write("\n".join(lines) + "\n")


def _add(tar, name, kind="file", data=b"", mode=None, link="", xattrs=None):
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, "root", "root"
    info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE,
                 "hard": tarfile.LNKTYPE}[kind]
    info.mode = mode if mode is not None else (0o755 if kind == "dir" else 0o644)
    info.linkname = link
    if xattrs:
        info.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
    info.size = len(data) if kind == "file" else 0
    tar.addfile(info, io.BytesIO(data) if kind == "file" else None)


def special(out_path):
    with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "etc/", "dir")
        _add(tar, "etc/.wh.issue.net")                                   # delete a file
        _add(tar, "etc/debian_version", data=b"12.99-strata\n")          # modify a base file
        _add(tar, "usr/lib/x86_64-linux-gnu/.wh.gconv")                 # delete a directory
        _add(tar, "etc/apt/apt.conf.d/", "dir")
        _add(tar, "etc/apt/apt.conf.d/.wh..wh..opq")                     # replace a directory
        _add(tar, "etc/apt/apt.conf.d/00strata", data=b'APT::Install-Recommends "false";\n')
        _add(tar, "opt/", "dir")
        _add(tar, "opt/links/", "dir")
        _add(tar, "opt/links/original", data=b"the same inode\n")
        _add(tar, "opt/links/hardlink", "hard", link="opt/links/original")
        _add(tar, "opt/links/absolute", "sym", link="/etc/os-release")
        _add(tar, "opt/links/relative", "sym", link="../links/original")
        _add(tar, "opt/bin/", "dir")
        _add(tar, "opt/bin/suid-tool", data=b"#!/bin/sh\nid -u\n", mode=0o4755)
        _add(tar, "opt/xattr/", "dir")
        _add(tar, "opt/xattr/file", data=b"has an xattr\n", xattrs={"user.strata.test": "hello"})


def index(layout, tag, pairs):
    with open(os.path.join(layout, "index.json")) as f:
        top = json.load(f)
    by_tag = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m for m in top["manifests"]}
    manifests = []
    for pair in pairs:
        src, arch = pair.split(":")
        desc = dict(by_tag[src])
        desc.pop("annotations", None)
        desc["platform"] = {"os": "linux", "architecture": arch}
        manifests.append(desc)
    blob = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": manifests}).encode()
    digest = hashlib.sha256(blob).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(blob)
    top["manifests"] = [m for m in top["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    top["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + digest,
                             "size": len(blob), "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(top, f)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "smallfiles":
        smallfiles(args[0])
    elif command == "special":
        special(args[0])
    elif command == "index":
        index(args[0], args[1], args[2:])
    else:
        sys.exit("unknown command " + command)
