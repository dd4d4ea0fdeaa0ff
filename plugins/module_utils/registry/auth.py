# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry authentication: parse WWW-Authenticate challenges, fetch bearer tokens
(anonymous or with credentials), or send basic auth where it is safe."""

from __future__ import annotations

import base64
import re

from .._errors import AuthenticationError, RegistryError
from ..oci import jsondoc
from .transport import body_errors

MAX_TOKEN_BYTES = 1 << 20
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
        auth = (self.username, self.password or "") if self.username else None
        resp = self.transport.request("GET", realm, params=query, auth=auth, stream=True)
        try:
            return self._token_of(resp, realm)
        finally:
            resp.close()

    def _token_of(self, resp, realm):
        if resp.status_code in (401, 403):
            raise AuthenticationError("authentication to %s failed (HTTP %d): check the username and password"
                                      % (self.transport.host, resp.status_code), host=self.transport.host)
        if resp.status_code != 200:
            raise RegistryError("token service %s answered HTTP %d" % (realm, resp.status_code),
                                temporary=resp.status_code >= 500)
        try:
            body = jsondoc.loads_body(resp, "the answer of token service %s" % realm, MAX_TOKEN_BYTES)
        except body_errors() as exc:
            raise RegistryError("reading the answer of token service %s failed: %s" % (realm, exc),
                                temporary=True) from exc
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not token:
            raise AuthenticationError("token service %s sent no token" % realm)
        return token
