# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP session per registry host: scheme choice, TLS, timeouts and retries.

Plain HTTP is used only for loopback hosts or hosts the user listed as insecure, as Docker
does: HTTPS is tried first and HTTP is the fallback. ``requests`` drops the Authorization
header itself when a redirect leaves the host (blob downloads often go to a CDN); a URL the
registry names (an upload ``Location``, a ``Link`` to the next page) gets credentials only when
it has the registry's own scheme, host and port (``owns``), as distribution's client keys them.
A request body is sent again (a retry) only when it can be put back where it started.
"""

from __future__ import annotations

import ipaddress
import time
from urllib.parse import urlsplit

from .._deps import need_requests
from .._errors import InvalidSpec, RateLimited, RegistryError
from ..oci import jsondoc
from ..oci.digest import CHUNK

TIMEOUT = (10, 60)  # connect, read
RETRIES = 3
USER_AGENT = "strata.containers/0.1"
DEFAULT_PORTS = {"https": 443, "http": 80}


def is_loopback(host):
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_insecure(host, insecure_registries=()):
    return is_loopback(host) or host in set(insecure_registries or ())


def body_errors():
    """What reading a response body can raise (a connection cut mid-blob): temporary errors."""
    requests = need_requests()
    return (requests.exceptions.RequestException, requests.packages.urllib3.exceptions.HTTPError)


def temporary_status(code):
    return code in (408, 425, 429, 500, 502, 503, 504)


def origin(url):
    """``https://Reg.example/v2/`` -> ``("https", "reg.example:443")``: scheme, host and port
    (the default port made explicit), the key credentials are kept under; None if unparsable."""
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or scheme not in DEFAULT_PORTS:
        return None
    return scheme, "%s:%d" % ("[%s]" % host if ":" in host else host, port or DEFAULT_PORTS[scheme])


def rewinder(data):
    """A callable that puts a request body back where it started, so that it can be sent again;
    None for a body that cannot be (a stream: once read, it is gone)."""
    if data is None or isinstance(data, (bytes, str, dict, list, tuple)):
        return lambda: None
    try:
        start = data.tell()
        data.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return lambda: data.seek(start)


def read_bounded(resp, limit, what):
    """The whole body of a streamed response, refused past ``limit`` bytes; the response is closed."""
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


def read_json(resp, limit, what):
    """A streamed response's JSON object, read within ``limit`` bytes."""
    data = read_bounded(resp, limit, what)
    doc = jsondoc.loads(data, what)  # InvalidSpec when not JSON or nested too deep (never a RecursionError)
    if not isinstance(doc, dict):
        raise RegistryError("%s is not a JSON object" % what)
    return doc


class Transport:
    """Sends requests to one registry host and retries what is temporary."""

    def __init__(self, host, insecure_registries=(), ca_cert=None, client_cert=None):
        self.requests = need_requests()
        self.host = host
        self.insecure = is_insecure(host, insecure_registries)
        # a CA given (option or certs.d) is always used; an insecure host without one is not verified
        self.verify = ca_cert or (False if self.insecure else True)
        self.client_cert = client_cert
        self.new_session()
        self.scheme = "https"
        self._scheme_known = not self.insecure

    def new_session(self):
        """A fresh connection pool (a forked child must not use its parent's sockets)."""
        self.session = self.requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.verify = self.verify
        if self.client_cert:
            self.session.cert = self.client_cert

    def url(self, path):
        return "%s://%s%s" % (self.scheme, self.host, path)

    def owns(self, path_or_url):
        """True for a path on this registry or a URL with its scheme, host and port: only those
        get its credentials (not an upload or a next page the registry points elsewhere)."""
        if not path_or_url.startswith(("http://", "https://")):
            return True
        return origin(path_or_url) == origin(self.url("/"))

    def request(self, method, path_or_url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        # per request: a session's verify loses to REQUESTS_CA_BUNDLE in the environment (requests #3829)
        kwargs.setdefault("verify", self.verify)
        rewind = rewinder(kwargs.get("data"))
        retries = RETRIES if rewind else 0  # a consumed stream cannot be sent again
        for attempt in range(retries + 1):
            if attempt:
                rewind()
            try:
                resp = self._send(method, path_or_url, rewind, **kwargs)
            except RegistryError as exc:
                if not exc.temporary or attempt == retries:
                    raise
                time.sleep(0.3 * 2 ** attempt)
                continue
            if temporary_status(resp.status_code) and attempt < retries:
                resp.close()
                time.sleep(self._retry_after(resp, attempt))
                continue
            if resp.status_code == 429:
                raise RateLimited("registry %s: too many requests (HTTP 429)" % self.host, url=resp.url)
            return resp
        raise AssertionError("unreachable")

    @staticmethod
    def _retry_after(resp, attempt):
        try:
            return min(float(resp.headers.get("Retry-After", "")), 10.0)
        except ValueError:
            return 0.3 * 2 ** attempt

    def _send(self, method, path_or_url, rewind, **kwargs):
        exc_types = self.requests.exceptions
        absolute = path_or_url.startswith(("http://", "https://"))
        try:
            resp = self.session.request(method, path_or_url if absolute else self.url(path_or_url), **kwargs)
            self._scheme_known = True
            return resp
        except (exc_types.SSLError, exc_types.ConnectionError) as exc:
            if not absolute and not self._scheme_known and rewind:
                # Insecure registry: HTTPS failed, fall back to plain HTTP once and remember it.
                self.scheme, self._scheme_known = "http", True
                rewind()
                return self._send(method, path_or_url, rewind, **kwargs)
            raise RegistryError("cannot reach registry %s: %s" % (self.host, exc), temporary=True,
                                host=self.host) from exc
        except exc_types.Timeout as exc:
            raise RegistryError("registry %s timed out: %s" % (self.host, exc), temporary=True,
                                host=self.host) from exc
        except exc_types.RequestException as exc:
            raise RegistryError("request to registry %s failed: %s" % (self.host, exc), host=self.host) from exc
