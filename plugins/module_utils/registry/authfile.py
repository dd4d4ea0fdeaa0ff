# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's auth file, ``config.json``: read by pulls and pushes, written by ``login``.

Where the credentials of a registry are, as the docker CLI decides: ``credHelpers[host]``
names a helper for that host alone; else ``credsStore`` names one for all; else (and when the
store has nothing for the host) ``auths[host].auth``, base64 of ``user:password``. Entries are
keyed by ``host[:port]``, Docker Hub's by ``https://index.docker.io/v1/``.
The file is replaced atomically, mode 0600, keeping every key this code does not know."""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile

from .._errors import InvalidSpec
from . import credhelper

HUB_KEY = "https://index.docker.io/v1/"
HUB_NAMES = (HUB_KEY, "index.docker.io", "docker.io", "registry-1.docker.io", "https://index.docker.io/v1")
MAX_CONFIG = 1 << 20


def default_path():
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def server_key(registry):
    """What a registry is filed under: ``https://reg:5000/v2/`` -> ``reg:5000``; Hub -> HUB_KEY."""
    text = (registry or "").strip()
    if text in HUB_NAMES or text.rstrip("/") in HUB_NAMES:
        return HUB_KEY
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    host = text.split("/", 1)[0].lower()
    if not host or any(c.isspace() for c in host):
        raise InvalidSpec("registry %r is not a registry host name" % (registry,))
    return HUB_KEY if host in HUB_NAMES else host


def _keys(key):
    """Every spelling an entry of ``key`` may have been written under (by docker, podman or hand)."""
    if key == HUB_KEY:
        return HUB_NAMES
    return (key, "https://" + key, "http://" + key, "https://" + key + "/", "http://" + key + "/")


def load(path):
    """The parsed file ({} if there is none), refused when it is not a JSON object or too big."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidSpec("cannot read the registry auth file %s: %s" % (path, exc.strerror), path=path) from exc
    if len(data) > MAX_CONFIG:
        raise InvalidSpec("%s is larger than 1 MiB" % path, path=path)
    try:
        config = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSpec("the registry auth file %s is not valid JSON: %s" % (path, exc), path=path) from exc
    if not isinstance(config, dict) or not isinstance(config.get("auths", {}), dict):
        raise InvalidSpec("the registry auth file %s is not a Docker config (an object with 'auths')" % path,
                          path=path)
    return config


def helper_for(config, key):
    """The credential helper that keeps ``key``'s credentials, or None (the file keeps them)."""
    helpers = config.get("credHelpers") or {}
    if not isinstance(helpers, dict):
        raise InvalidSpec("credHelpers in the Docker config is not an object")
    for name in _keys(key):
        if helpers.get(name):
            return helpers[name]
    return config.get("credsStore") or None


def inline(config, key):
    """(username, password) of ``auths`` for ``key``, or (None, None)."""
    auths = config.get("auths") or {}
    for name in _keys(key):
        entry = auths.get(name)
        if isinstance(entry, dict) and (entry.get("auth") or entry.get("username")):
            return _decode(entry, name)
    return None, None


def _decode(entry, key):
    if entry.get("username"):
        return entry["username"], entry.get("password", "")
    try:
        user, dummy, password = base64.b64decode(entry.get("auth") or "").decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, TypeError) as exc:
        raise InvalidSpec("the auth of %s in the Docker config is not base64 of user:password" % key) from exc
    return (user, password) if user else (None, None)


def credentials(registry, path=None):
    """(username, password) for ``registry`` (a host), or (None, None): asks its helper about this
    host only, then the file's own entry."""
    path = path or default_path()
    config = load(path)
    key = server_key(registry)
    helper = helper_for(config, key)
    if helper:
        found = credhelper.get(helper, key)
        if found[0] is not None:
            return found
    return inline(config, key)


def set_inline(config, key, username, password):
    """``config`` with ``key``'s entry (all its spellings replaced by one)."""
    auths = _without(config, key)
    token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode()
    auths[key] = {"auth": token}
    return dict(config, auths=auths)


def set_placeholder(config, key):
    """A helper keeps the secret; ``auths`` lists the host with an empty entry, as docker writes it."""
    auths = _without(config, key)
    auths[key] = {}
    return dict(config, auths=auths)


def remove(config, key):
    return dict(config, auths=_without(config, key))


def has_entry(config, key):
    auths = config.get("auths") or {}
    return any(name in auths for name in _keys(key))


def _without(config, key):
    names = set(_keys(key))
    return {k: v for k, v in (config.get("auths") or {}).items() if k not in names}


def save(path, config):
    """Replace the file: temp file beside it (0600 from the start), fsync, rename. A symlinked
    config.json is written where it points, as docker does; an existing file keeps its owner."""
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        owner = os.stat(path)
    except FileNotFoundError:
        owner = None
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".config.json.")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write((json.dumps(config, indent="\t", sort_keys=True) + "\n").encode("utf-8"))
            out.flush()
            os.fchmod(out.fileno(), 0o600)
            if owner is not None and (owner.st_uid, owner.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(out.fileno(), owner.st_uid, owner.st_gid)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
