# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI distribution API client: manifests and blobs, read with limits and verified."""

from __future__ import annotations

from .._errors import AuthenticationError, InvalidSpec, NotFound, RegistryError
from ..oci import digest as _digest
from ..oci import jsondoc, spec
from .auth import Authenticator
from .transport import Transport, body_errors, temporary_status

MANIFEST_ACCEPT = ", ".join(spec.MANIFEST_TYPES + spec.INDEX_TYPES)
CHUNK = 1 << 20
MAX_LIST_BYTES = 8 << 20  # one page of tags or repositories


class RegistryClient:
    """Talks to one registry host; one instance per pull."""

    def __init__(self, host, insecure_registries=(), username=None, password=None, ca_cert=None, client_cert=None):
        self.host = host
        self.transport = Transport(host, insecure_registries, ca_cert=ca_cert, client_cert=client_cert)
        self.auth = Authenticator(self.transport, username, password)

    def _request(self, method, path, repo, what, stream=False, headers=None, ok=(200,), scope=None, **kwargs):
        scope = scope or ("repository:%s:pull" % repo if repo else "")
        headers = dict(headers or {})
        for attempt in range(2):
            token = self.auth.header_for(scope)
            if token:
                headers["Authorization"] = token
            resp = self.transport.request(method, path, headers=headers, stream=stream, **kwargs)
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
        if code == 401 and self.auth.username:
            raise AuthenticationError("%s: authentication failed (HTTP 401): check the username and password"
                                      % where, url=resp.url, status=code)
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

    # ---------------------------------------------------------------- push
    def blob_exists(self, repo, digest, scope=None):
        resp = self._request("HEAD", "/v2/%s/blobs/%s" % (repo, digest), repo, "blob %s" % digest, ok=(200, 404),
                             scope=scope)
        resp.close()
        return resp.status_code == 200

    def mount_blob(self, repo, digest, from_repo):
        """Cross-repository mount within this registry; False when the registry would rather
        have it uploaded (it then opens an upload, which is cancelled)."""
        scope = "repository:%s:pull,push repository:%s:pull" % (repo, from_repo)
        resp = self._request("POST", "/v2/%s/blobs/uploads/?mount=%s&from=%s" % (repo, digest, from_repo), repo,
                             "mounting blob %s" % digest, ok=(201, 202), scope=scope)
        resp.close()
        if resp.status_code == 202 and resp.headers.get("Location"):
            self._request("DELETE", self._location(resp), repo, "cancelling an upload", ok=(204, 404),
                          scope=scope).close()
        return resp.status_code == 201

    def upload_blob(self, repo, fileobj, size, digest, chunk_size=None):
        """Upload ``size`` bytes read from ``fileobj``, whose digest is ``digest``: monolithic
        (one PUT) or, with ``chunk_size``, in PATCH chunks."""
        scope = "repository:%s:pull,push" % repo
        resp = self._request("POST", "/v2/%s/blobs/uploads/" % repo, repo, "starting an upload of %s" % digest,
                             ok=(202,), scope=scope)
        resp.close()
        location = self._location(resp)
        if chunk_size:
            offset = 0
            while offset < size:
                data = fileobj.read(min(chunk_size, size - offset))
                if not data:
                    raise RegistryError("blob %s ended at %d of %d bytes" % (digest, offset, size))
                resp = self._request("PATCH", location, repo, "uploading %s" % digest, ok=(202,), scope=scope,
                                     data=data, headers={"Content-Type": "application/octet-stream",
                                                         "Content-Range": "%d-%d" % (offset, offset + len(data) - 1)})
                resp.close()
                location, offset = self._location(resp), offset + len(data)
            body = b""
        else:
            body = fileobj
        resp = self._request("PUT", _with_query(location, "digest=" + digest), repo, "finishing %s" % digest,
                             ok=(201,), scope=scope, data=body,
                             headers={"Content-Type": "application/octet-stream",
                                      "Content-Length": str(0 if chunk_size else size)})
        resp.close()

    def put_manifest(self, repo, ref, data, media_type):
        resp = self._request("PUT", "/v2/%s/manifests/%s" % (repo, ref), repo, "manifest %s:%s" % (repo, ref),
                             ok=(201,), scope="repository:%s:pull,push" % repo, data=data,
                             headers={"Content-Type": media_type})
        resp.close()
        return resp.headers.get("Docker-Content-Digest") or _digest.of_bytes(data)

    def manifest_digest(self, repo, ref):
        """The digest ``repo:ref`` points to now, or None."""
        resp = self._request("HEAD", "/v2/%s/manifests/%s" % (repo, ref), repo, "manifest %s:%s" % (repo, ref),
                             ok=(200, 404), headers={"Accept": MANIFEST_ACCEPT})
        resp.close()
        return resp.headers.get("Docker-Content-Digest") if resp.status_code == 200 else None

    # ---------------------------------------------------------------- listing
    def tags(self, repo, page=100):
        """Every tag of ``repo``, following the ``Link`` header from page to page."""
        return self._paged("/v2/%s/tags/list?n=%d" % (repo, page), repo, "tags")

    def catalog(self, page=100):
        return self._paged("/v2/_catalog?n=%d" % page, None, "repositories", scope="registry:catalog:*")

    def _paged(self, path, repo, key, scope=None, limit=100000):
        out = []
        while path and len(out) < limit:
            resp = self._request("GET", path, repo, key, scope=scope, stream=True)
            try:
                body = jsondoc.loads_body(resp, "the %s list from %s" % (key, self.host), MAX_LIST_BYTES)
            except body_errors() as exc:
                raise RegistryError("reading %s from %s failed: %s" % (path, self.host, exc), temporary=True) from exc
            finally:
                resp.close()
            if not isinstance(body, dict) or not isinstance(body.get(key) or [], list):
                raise RegistryError("the registry %s sent no %s list for %s" % (self.host, key, path))
            out += body.get(key) or []
            path = _next_link(resp.headers.get("Link"))
        return out

    def _location(self, resp):
        location = resp.headers.get("Location")
        if not location:
            raise RegistryError("the registry %s gave no upload location" % self.host)
        if location.startswith("/"):
            return location
        return location if location.startswith(("http://", "https://")) else "/" + location

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


def _with_query(url, query):
    return url + ("&" if "?" in url else "?") + query


def _next_link(header):
    """``</v2/x/tags/list?n=100&last=b>; rel="next"`` -> the path, or None."""
    if not header or 'rel="next"' not in header:
        return None
    start, end = header.find("<"), header.find(">")
    return header[start + 1:end] if 0 <= start < end else None
