# -*- coding: utf-8 -*-
"""An htpasswd file for docker-registry's ``auth: htpasswd`` (bcrypt entries only: distribution
accepts no other hash), written with ``htpasswd -B`` from Debian's apache2-utils (tests/setup.sh
installs it). Python's ``crypt`` module is not used: it is deprecated and gone in Python 3.13.

    write_htpasswd("/tmp/x/htpasswd", {"tester": "s3cret"})
"""

from __future__ import annotations

import os
import subprocess

BINARY = "htpasswd"
COST = 5  # bcrypt cost: the lowest htpasswd takes (4) is enough for tests, 5 keeps logins quick


def write_htpasswd(path, users):
    """(Re)write ``path`` with one bcrypt line per user of ``users`` ({name: password}); returns
    the absolute path. The password goes to htpasswd on its standard input, not on its command line."""
    path = os.path.abspath(path)
    if not users:
        raise ValueError("write_htpasswd needs at least one user")
    lines = []
    for name, password in users.items():
        if ":" in name or "\n" in name or "\n" in password:
            raise ValueError("htpasswd user names may not hold ':' or newlines: %r" % name)
        proc = subprocess.run([BINARY, "-n", "-i", "-B", "-C", str(COST), name], input=password, capture_output=True,
                              text=True, check=False, timeout=60)
        line = proc.stdout.strip()
        if proc.returncode or not line.startswith(name + ":$2"):
            raise RuntimeError("htpasswd -B for %r: %s" % (name, (proc.stderr or proc.stdout).strip()))
        lines.append(line + "\n")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.writelines(lines)
    os.replace(path + ".tmp", path)
    return path
