# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host knows about registries, as Docker and Podman users keep it: credentials in
Docker's ``config.json``, certificates in ``certs.d/<host>/``, and mirrors (Podman's
``registries.conf`` semantics: any registry may have mirrors, tried in order, then the
registry itself).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile

from .._errors import InvalidSpec

DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
DEFAULT_CERTS_DIR = "/etc/docker/certs.d"
MIRRORS_FILE = "registries.json"
MAX_CONFIG = 1 << 20


def default_auth_config():
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def credentials(domain, path=None):
    """(username, password) for ``domain`` from a Docker ``config.json``'s ``auths``, or (None, None)."""
    path = path or default_auth_config()
    if not os.path.isfile(path):
        return None, None
    if os.path.getsize(path) > MAX_CONFIG:
        raise InvalidSpec("%s is larger than 1 MiB" % path, path=path)
    try:
        with open(path, encoding="utf-8") as handle:
            auths = (json.load(handle) or {}).get("auths") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise InvalidSpec("cannot read registry credentials from %s: %s" % (path, exc), path=path) from exc
    keys = DOCKER_HUB_KEYS if domain == "docker.io" else (domain, "https://" + domain, "http://" + domain)
    for key in keys:
        entry = auths.get(key) or auths.get(key.rstrip("/"))
        if entry:
            return _decode(entry, key, path)
    return None, None


def _decode(entry, key, path):
    if entry.get("username"):
        return entry["username"], entry.get("password", "")
    try:
        user, dummy, password = base64.b64decode(entry.get("auth") or "").decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidSpec("the auth of %s in %s is not base64 of user:password" % (key, path), path=path) from exc
    return (user, password) if user else (None, None)


def certificates(host, certs_dir=None):
    """(CA bundle or None, (client cert, client key) or None) from ``certs.d/<host>/``, as Docker
    reads them: ``*.crt`` are CAs, ``*.cert`` with the matching ``*.key`` a client certificate."""
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
        return _bundle(cas), client
    return (cas[0] if cas else None), client


def _bundle(cas):
    """The CA files as one, in the temp dir (certs.d is not ours to write, not even a bundle),
    named by its content and renamed into place: concurrent runs share it, never half-written."""
    data = b""
    for ca in cas:
        with open(ca, "rb") as handle:
            data += handle.read().rstrip(b"\n") + b"\n"
    path = os.path.join(tempfile.gettempdir(), "strata-ca-%s.pem" % hashlib.sha256(data).hexdigest()[:32])
    if not os.path.isfile(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".strata-ca-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return path


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
