# -*- coding: utf-8 -*-
"""Content for the test images, made with the standard library only.

    make_layers.py smallfiles DIR          3000 small text files (fixed seed)
    make_layers.py special OUT.tar [BASE_ROOTFS]   the layer of whiteouts, links, setuid and xattr
                                                   (checks that what it deletes is in the base)
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
    info.mode = mode if mode is not None else {"dir": 0o755, "sym": 0o777}.get(kind, 0o644)
    info.linkname = link
    if xattrs:
        info.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
    info.size = len(data) if kind == "file" else 0
    tar.addfile(info, io.BytesIO(data) if kind == "file" else None)


# What the special layer takes away from the Debian base: (kind, path in the base).
DELETED_FILE = "etc/issue.net"
DELETED_DIRS = ("usr/lib/x86_64-linux-gnu/gconv", "etc/cron.daily")
OPAQUE_DIR = "etc/apt/apt.conf.d"


def check_base(rootfs):
    """The paths the special layer deletes or replaces must be in the base, or it tests nothing."""
    wanted = [(DELETED_FILE, os.path.isfile)] + [(d, os.path.isdir) for d in DELETED_DIRS + (OPAQUE_DIR,)]
    for path, test in wanted:
        full = os.path.join(rootfs, path)
        if not test(full) or os.path.islink(full):
            sys.exit("make_layers.py: the base has no %s, so the special layer would not test its removal" % path)
    if not os.listdir(os.path.join(rootfs, OPAQUE_DIR)):
        sys.exit("make_layers.py: %s is empty in the base" % OPAQUE_DIR)


def special(out_path):
    """Whiteouts of a base file and two base dirs, an opaque dir, a hard link, symlinks (absolute
    and relative), a setuid file and a file with the xattr user.strata.test=hello."""
    with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "etc/", "dir")
        _add(tar, _whiteout(DELETED_FILE))                               # delete a file
        _add(tar, "etc/debian_version", data=b"12.99-strata\n")          # modify a base file
        for directory in DELETED_DIRS:                                   # delete directories
            _add(tar, _whiteout(directory))
        _add(tar, OPAQUE_DIR + "/", "dir")
        _add(tar, OPAQUE_DIR + "/.wh..wh..opq")                          # replace a directory
        _add(tar, OPAQUE_DIR + "/00strata", data=b'APT::Install-Recommends "false";\n')
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


def _whiteout(path):
    head, tail = os.path.split(path)
    return os.path.join(head, ".wh." + tail)


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
        if len(args) > 1:
            check_base(args[1])
        special(args[0])
    elif command == "index":
        index(args[0], args[1], args[2:])
    else:
        sys.exit("unknown command " + command)
