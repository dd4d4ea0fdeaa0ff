# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry authentication: parse WWW-Authenticate challenges, fetch bearer tokens
(anonymous or with credentials), or send basic auth where it is safe.

The registry names the token service (the challenge's ``realm``): a username and password go
there only over HTTPS, or over plain HTTP when the realm is the registry's own scheme, host and
port and the registry is allowed plain HTTP (loopback or ``insecure_registries``)."""

from __future__ import annotations

import base64
import re

from .._errors import AuthenticationError, RegistryError
from .transport import origin, read_json

MAX_TOKEN_BYTES = 1 << 20  # a token answer is a few KiB of JSON
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_challenge(header):
    """``Bearer realm="…",service="…",scope="…"`` -> ("bearer", {params})."""
    scheme, rest = ((header or "").strip().split(" ", 1) + [""])[:2]
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _PARAM.finditer(rest)}
    return scheme.lower(), params


def basic_header(username, password):
    token = base64.b64encode(("%s:%s" % (username, password)).encode()).decode()
    return "Basic " + token


class Authenticator:
    """Answers a 401 challenge with an Authorization header value, caching tokens per scope."""

    def __init__(self, transport, username=None, password=None):
        self.transport = transport
        self.username = username
        self.password = password
        self._tokens = {}

    def header_for(self, scope):
        return self._tokens.get(scope)

    def answer(self, challenge_header, scope):
        scheme, params = parse_challenge(challenge_header)
        if scheme == "basic":
            if not self.username:
                raise AuthenticationError("registry %s requires a username and password" % self.transport.host,
                                          host=self.transport.host)
            if self.transport.scheme != "https" and not self.transport.insecure:
                raise AuthenticationError("refusing to send a password to %s over plain HTTP" % self.transport.host)
            value = basic_header(self.username, self.password or "")
        elif scheme == "bearer":
            value = "Bearer " + self._fetch_token(params, scope)
        else:
            raise AuthenticationError("registry %s asks for unsupported auth scheme %r"
                                      % (self.transport.host, scheme), host=self.transport.host)
        self._tokens[scope] = value
        return value

    def _fetch_token(self, params, scope):
        realm = params.get("realm")
        if not realm:
            raise AuthenticationError("registry %s sent a bearer challenge without a realm" % self.transport.host)
        query = {"service": params.get("service", "")}
        if scope:
            query["scope"] = scope.split(" ")  # several scopes: one parameter each
        auth = None
        if self.username:
            self._check_realm(realm)
            auth = (self.username, self.password or "")
        resp = self.transport.request("GET", realm, params=query, auth=auth, stream=True)
        if resp.status_code != 200:
            resp.close()
        if resp.status_code in (401, 403):
            raise AuthenticationError("authentication to %s failed (HTTP %d): check the username and password"
                                      % (self.transport.host, resp.status_code), host=self.transport.host)
        if resp.status_code != 200:
            raise RegistryError("token service %s answered HTTP %d" % (realm, resp.status_code),
                                temporary=resp.status_code >= 500)
        token = read_json(resp, MAX_TOKEN_BYTES, "the answer of token service %s" % realm)
        token = token.get("token") or token.get("access_token")
        if not token or not isinstance(token, str):
            raise AuthenticationError("token service %s sent no token" % realm)
        return token

    def _check_realm(self, realm):
        """Credentials leave for the realm only over TLS, or in the clear to the registry itself
        when it is allowed plain HTTP: a challenge must not send them anywhere it likes."""
        where = origin(realm)
        if where and where[0] == "https":
            return
        if where and self.transport.insecure and where == origin(self.transport.url("/")):
            return
        raise AuthenticationError(
            "registry %s asks for its password to be sent to the token service %s; refused: a password goes "
            "only to an https realm, or over plain HTTP to the registry itself when it is insecure"
            % (self.transport.host, realm), host=self.transport.host, realm=realm)
