# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI distribution API client: manifests and blobs, read with limits and verified."""

from __future__ import annotations

from .._errors import AuthenticationError, InvalidSpec, NotFound, RegistryError
from ..oci import digest as _digest
from ..oci import spec
from .auth import Authenticator
from .transport import Transport, body_errors, temporary_status

MANIFEST_ACCEPT = ", ".join(spec.MANIFEST_TYPES + spec.INDEX_TYPES)
CHUNK = 1 << 20


class RegistryClient:
    """Talks to one registry host; one instance per pull."""

    def __init__(self, host, insecure_registries=(), username=None, password=None, ca_cert=None):
        self.host = host
        self.transport = Transport(host, insecure_registries, ca_cert=ca_cert)
        self.auth = Authenticator(self.transport, username, password)

    def _request(self, method, path, repo, what, stream=False, headers=None, ok=(200,)):
        scope = "repository:%s:pull" % repo
        headers = dict(headers or {})
        for attempt in range(2):
            token = self.auth.header_for(scope)
            if token:
                headers["Authorization"] = token
            resp = self.transport.request(method, path, headers=headers, stream=stream)
            if resp.status_code == 401 and attempt == 0 and "WWW-Authenticate" in resp.headers:
                challenge = resp.headers["WWW-Authenticate"]
                resp.close()
                self.auth.answer(challenge, scope)
                continue
            break
        if resp.status_code in ok:
            return resp
        resp.close()
        self._raise_for(resp, what)

    def _raise_for(self, resp, what):
        code = resp.status_code
        where = "%s on %s" % (what, self.host)
        if code == 404:
            raise NotFound("%s: not found (HTTP 404)" % where, url=resp.url, status=code)
        if code in (401, 403):
            raise AuthenticationError("%s: access denied (HTTP %d); log in or check the name" % (where, code),
                                      url=resp.url, status=code)
        raise RegistryError("%s: registry answered HTTP %d" % (where, code), temporary=temporary_status(code),
                            url=resp.url, status=code)

    def ping(self):
        resp = self.transport.request("GET", "/v2/")
        resp.close()
        if resp.status_code not in (200, 401):
            raise RegistryError("%s does not look like a registry (GET /v2/ answered HTTP %d)"
                                % (self.host, resp.status_code), status=resp.status_code)
        return resp.status_code == 200

    def get_manifest(self, repo, ref, expected_digest=None, limit=spec.MAX_MANIFEST_BYTES):
        """Fetch a manifest or index by tag or digest -> (bytes, media_type, digest)."""
        resp = self._request("GET", "/v2/%s/manifests/%s" % (repo, ref), repo, "manifest %s:%s" % (repo, ref),
                             stream=True, headers={"Accept": MANIFEST_ACCEPT})
        data = self._read_bounded(resp, limit, "manifest %s:%s" % (repo, ref))
        digest = _digest.of_bytes(data)
        want = expected_digest or (ref if ref.startswith("sha256:") else None)
        if want and digest != want:
            _digest.verify_bytes(data, want, what="manifest")
        header_digest = resp.headers.get("Docker-Content-Digest")
        if not want and header_digest and header_digest.startswith("sha256:") and header_digest != digest:
            raise RegistryError("manifest %s:%s: registry says digest %s but the content hashes to %s"
                                % (repo, ref, header_digest, digest))
        return data, resp.headers.get("Content-Type", ""), digest

    def get_blob_bytes(self, repo, desc, limit):
        """A small blob (a config) read whole, bounded, and verified."""
        if desc.size > limit:
            raise InvalidSpec("blob %s is %d bytes, over the limit of %d" % (desc.digest, desc.size, limit))
        resp = self.open_blob(repo, desc.digest)
        data = self._read_bounded(resp, limit, "blob %s" % desc.digest)
        return _digest.verify_bytes(data, desc.digest, desc.size, what="blob")

    def open_blob(self, repo, digest):
        """A streaming response for a blob; the caller verifies while reading and closes it."""
        return self._request("GET", "/v2/%s/blobs/%s" % (repo, digest), repo, "blob %s" % digest, stream=True)

    @staticmethod
    def _read_bounded(resp, limit, what):
        try:
            chunks, total = [], 0
            for chunk in resp.iter_content(CHUNK):
                total += len(chunk)
                if total > limit:
                    raise InvalidSpec("%s is larger than the limit of %d bytes" % (what, limit))
                chunks.append(chunk)
            return b"".join(chunks)
        except body_errors() as exc:
            raise RegistryError("reading %s failed: %s" % (what, exc), temporary=True) from exc
        finally:
            resp.close()
