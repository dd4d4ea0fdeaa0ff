# -*- coding: utf-8 -*-
"""Driver for run-demo.sh: a registry with a demo image, then the demo playbook."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))

from rig import oci_writer  # noqa: E402
from rig.registry import Registry  # noqa: E402

WORK = "/var/tmp/strata-demo"


def busybox_layer():
    """A root filesystem tar: /bin/busybox from busybox-static, its applets as symlinks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "tmp", "var", "var/www"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        tar.add("/bin/busybox", arcname="bin/busybox")
        applets = subprocess.run(["/bin/busybox", "--list-full"], capture_output=True, text=True, check=True)
        for path in applets.stdout.split():
            if path != "bin/busybox":
                info = tarfile.TarInfo(path)
                info.type, info.linkname = tarfile.SYMTYPE, "/bin/busybox"
                tar.addfile(info)
        for name, text in (("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"), ("etc/group", "root:x:0:\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main():
    os.makedirs(WORK, exist_ok=True)
    layout = os.path.join(WORK, "oci")
    oci_writer.write_image(layout, "busybox", [busybox_layer()],
                           config={"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
                           history=["busybox-static, its applets as symlinks"])
    collections = tempfile.mkdtemp(prefix="strata-demo-collections-")
    link = os.path.join(collections, "ansible_collections", "strata", "containers")
    os.makedirs(os.path.dirname(link))
    os.symlink(REPO, link)
    try:
        with Registry(os.path.join(WORK, "registry"), workdir=os.path.join(WORK, "registry-run")) as reg:
            reg.push(layout + ":busybox", "demo/busybox:latest")
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_LOCALHOST_WARNING="False",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
            cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local",
                   "-e", "ansible_python_interpreter=%s" % sys.executable,
                   "-e", "registry=%s" % reg.addr,
                   "-e", "root=%s" % os.environ.get("STRATA_ROOT", "/var/lib/strata"),
                   os.path.join(REPO, "playbooks", "demo.yml")]
            return subprocess.run(cmd, env=env, check=False).returncode
    finally:
        os.unlink(link)
        subprocess.run(["rm", "-rf", collections], check=False)


if __name__ == "__main__":
    sys.exit(main())
