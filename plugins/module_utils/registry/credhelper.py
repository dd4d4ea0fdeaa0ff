# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's credential helpers: ``docker-credential-<name>`` programs on the PATH that keep
passwords out of ``config.json`` (in a keyring, ``pass``, a cloud's token service).

The protocol (github.com/docker/docker-credential-helpers): ``get`` and ``erase`` read the
server's address on stdin; ``get`` answers ``{"ServerURL", "Username", "Secret"}`` on stdout,
or exits non-zero with "credentials not found" on it; ``store`` reads that JSON on stdin.
A helper is asked only about the one host being contacted, and what it answers is used only
if it is for that host."""

from __future__ import annotations

import json
import re
import subprocess

from .._errors import AuthenticationError, InvalidSpec

TIMEOUT = 30  # seconds: a helper may unlock a keyring, but must not hang a playbook
MAX_ANSWER = 1 << 16
NOT_FOUND = "credentials not found"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def program(name):
    """``pass`` -> ``docker-credential-pass``; a name with a slash or a space is refused (it is
    read from a file, and must not pick a program elsewhere than the PATH)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidSpec("credential helper name %r is not valid: expected letters, digits, '.', '_' or '-' "
                          "(the program docker-credential-<name> on the PATH)" % (name,))
    return "docker-credential-" + name


def get(name, server):
    """(username, password) the helper keeps for ``server``, or (None, None)."""
    ok, out = _call(name, "get", server)
    if not ok:
        if NOT_FOUND in out.lower():
            return None, None
        raise AuthenticationError("credential helper %s could not give the credentials of %s: %s"
                                  % (program(name), server, out or "it failed without a message"), host=server)
    try:
        answer = json.loads(out)
        username, secret = answer.get("Username") or "", answer.get("Secret") or ""
        given_for = answer.get("ServerURL") or server
    except (ValueError, AttributeError) as exc:
        raise AuthenticationError("credential helper %s answered something that is not its JSON for %s"
                                  % (program(name), server), host=server) from exc
    if not isinstance(username, str) or not isinstance(secret, str) or not isinstance(given_for, str):
        raise AuthenticationError("credential helper %s answered a malformed entry for %s" % (program(name), server))
    if _host(given_for) != _host(server):
        raise AuthenticationError("credential helper %s answered credentials of %s when asked for %s: not used"
                                  % (program(name), given_for, server), host=server)
    if username == "<token>":
        raise AuthenticationError("credential helper %s keeps an identity token for %s, which strata does not "
                                  "use: log in with a username and password" % (program(name), server), host=server)
    return (username, secret) if username or secret else (None, None)


def store(name, server, username, password):
    entry = json.dumps({"ServerURL": server, "Username": username, "Secret": password})
    ok, out = _call(name, "store", entry)
    if not ok:
        raise AuthenticationError("credential helper %s could not store the credentials of %s: %s"
                                  % (program(name), server, out or "it failed without a message"), host=server)


def erase(name, server):
    ok, out = _call(name, "erase", server)
    if not ok and NOT_FOUND not in out.lower():
        raise AuthenticationError("credential helper %s could not erase the credentials of %s: %s"
                                  % (program(name), server, out or "it failed without a message"), host=server)


def _call(name, verb, stdin):
    """(succeeded, its message or answer). Never the stdin in an error: it may be a password."""
    argv = [program(name), verb]
    try:
        proc = subprocess.run(argv, input=stdin.encode("utf-8"), capture_output=True, timeout=TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise AuthenticationError("the credential helper %s named in the Docker config is not installed (not on "
                                  "the PATH)" % argv[0], helper=argv[0]) from exc
    except subprocess.TimeoutExpired as exc:
        raise AuthenticationError("credential helper %s did not answer '%s' within %d seconds"
                                  % (argv[0], verb, TIMEOUT), helper=argv[0]) from exc
    except OSError as exc:
        raise AuthenticationError("cannot run credential helper %s: %s" % (argv[0], exc.strerror or exc),
                                  helper=argv[0]) from exc
    out = proc.stdout[:MAX_ANSWER].decode("utf-8", "replace").strip()
    if proc.returncode:
        err = proc.stderr[:MAX_ANSWER].decode("utf-8", "replace").strip()
        return False, (out or err)[:500]
    return True, out


def _host(server):
    """``https://reg.example:5000/v1/`` -> ``reg.example:5000``."""
    text = server.strip()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.split("/", 1)[0].lower()
