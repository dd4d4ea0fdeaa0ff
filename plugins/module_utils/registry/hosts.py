# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host knows about registries, as Docker and Podman users keep it: credentials in
Docker's ``config.json``, certificates in ``certs.d/<host>/``, and mirrors (Podman's
``registries.conf`` semantics: any registry may have mirrors, tried in order, then the
registry itself).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import stat
import tempfile

from .._errors import InvalidSpec
from . import authfile

DEFAULT_CERTS_DIR = "/etc/docker/certs.d"
MIRRORS_FILE = "registries.json"
MAX_CONFIG = 1 << 20


def default_auth_config():
    return authfile.default_path()


def credentials(domain, path=None):
    """(username, password) for ``domain`` from Docker's ``config.json`` (its credential helper
    for that host, or its ``auths``), or (None, None): authfile.credentials."""
    return authfile.credentials(domain, path)


def certificates(host, certs_dir=None, bundle_dir=None):
    """(CA bundle or None, (client cert, client key) or None) from ``certs.d/<host>/``, as Docker
    reads them: ``*.crt`` are CAs, ``*.cert`` with the matching ``*.key`` a client certificate.
    Several CAs are merged into one file in ``bundle_dir`` (see ``_bundle``)."""
    directory = os.path.join(certs_dir or DEFAULT_CERTS_DIR, host)
    if not os.path.isdir(directory):
        return None, None
    names = sorted(os.listdir(directory))
    cas = [os.path.join(directory, n) for n in names if n.endswith(".crt")]
    client = None
    for name in names:
        if name.endswith(".cert"):
            key = os.path.join(directory, name[:-5] + ".key")
            if not os.path.isfile(key):
                raise InvalidSpec("%s has no matching key %s" % (os.path.join(directory, name), key))
            client = (os.path.join(directory, name), key)
    if len(cas) > 1:  # requests takes one bundle: several CA files become one
        return _bundle(cas, bundle_dir), client
    return (cas[0] if cas else None), client


def _bundle(cas, bundle_dir=None):
    """The CA files as one, named by its content, in ``bundle_dir`` (the store's, 0700) or else
    in a directory of this process's own: never in a shared place such as /tmp, where another
    user could put a CA of theirs under the name first. What is there is used only if it is
    this very content; otherwise it is written again (temp file, then rename)."""
    data = b""
    for ca in cas:
        with open(ca, "rb") as handle:
            data += handle.read().rstrip(b"\n") + b"\n"
    directory = _private_dir(bundle_dir)
    path = os.path.join(directory, "ca-%s.pem" % hashlib.sha256(data).hexdigest()[:32])
    if _content(path) != data:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".ca-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    return path


def _content(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read(MAX_CONFIG + 1)


_OWN_DIR = []


def _private_dir(bundle_dir):
    """``bundle_dir``, made 0700 and checked to be a directory of ours (not a link), or a
    temporary directory this process made (removed when it exits)."""
    if not bundle_dir:
        if not _OWN_DIR:
            _OWN_DIR.append(tempfile.mkdtemp(prefix="strata-ca-"))
            atexit.register(shutil.rmtree, _OWN_DIR[0], True)
        return _OWN_DIR[0]
    try:
        os.makedirs(bundle_dir, mode=0o700, exist_ok=True)
        info = os.lstat(bundle_dir)
    except OSError as exc:
        raise InvalidSpec("cannot make %s for the CA bundle: %s" % (bundle_dir, exc.strerror),
                          path=bundle_dir) from exc
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise InvalidSpec("%s is not a directory of this user: it cannot hold a CA bundle" % bundle_dir,
                          path=bundle_dir)
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(bundle_dir, 0o700)
    return bundle_dir


def mirrors(domain, option=None, store_root=None):
    """Mirror hosts for ``domain``, in order: from the module option (a dict of registry to
    mirrors, or a list, which as Docker's ``registry-mirrors`` applies to docker.io), else from
    ``<store root>/registries.json`` (``{"docker.io": {"mirrors": ["host:port", ...]}}``)."""
    if option:
        if isinstance(option, (list, tuple)):
            return [_host(m) for m in option] if domain == "docker.io" else []
        if isinstance(option, dict):
            return [_host(m) for m in option.get(domain) or []]
        raise InvalidSpec("registry_mirrors must be a list (for docker.io) or a dict of registry to mirrors")
    path = os.path.join(store_root, MIRRORS_FILE) if store_root else None
    if not path or not os.path.isfile(path):
        return []
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle) or {}
    except (OSError, ValueError) as exc:
        raise InvalidSpec("cannot read %s: %s" % (path, exc), path=path) from exc
    return [_host(m) for m in ((config.get(domain) or {}).get("mirrors") or [])]


def _host(mirror):
    """``https://mirror.example:5000/`` or ``mirror.example:5000`` -> ``mirror.example:5000``."""
    text = str(mirror).strip()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.rstrip("/")
