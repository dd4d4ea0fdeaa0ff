# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker search``: Docker Hub's search API for docker.io; for any other registry its
``_catalog``, matched by substring (a registry has no search of its own)."""

from __future__ import annotations

from .._errors import InvalidSpec, RegistryError
from ..oci import jsondoc, reference
from .transport import body_errors

HUB_SEARCH = "https://index.docker.io/v1/search"
MAX_LIMIT = 100
MAX_ANSWER_BYTES = 4 << 20


def split_term(term):
    """``registry:5000/term`` -> (``registry:5000``, ``term``); a bare term searches docker.io
    (Docker's rule for the first component of a name: reference.split_domain)."""
    if not isinstance(term, str) or not term.strip():
        raise InvalidSpec("search needs a term, not %r" % (term,))
    return reference.split_domain(term)


def search(term, client_for_registry, limit=25, stars=0, official=None):
    """Rows ``{name, description, stars, official, automated}``, most stars first, at most ``limit``."""
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise InvalidSpec("limit must be between 1 and %d, not %r" % (MAX_LIMIT, limit))
    registry, query = split_term(term)
    client = client_for_registry(registry)
    rows = _hub(client, query, limit) if registry == "docker.io" else _catalog(client, registry, query)
    rows = [r for r in rows if r["stars"] >= (stars or 0) and (official is None or r["official"] == official)]
    return sorted(rows, key=lambda r: (-r["stars"], r["name"]))[:int(limit)]


def _hub(client, query, limit):
    resp = client.transport.request("GET", HUB_SEARCH, params={"q": query, "n": limit}, stream=True)
    try:
        if resp.status_code != 200:
            raise RegistryError("Docker Hub search answered HTTP %d" % resp.status_code, status=resp.status_code)
        body = jsondoc.loads_body(resp, "Docker Hub's search answer", MAX_ANSWER_BYTES)
    except body_errors() as exc:
        raise RegistryError("reading Docker Hub's search answer failed: %s" % exc, temporary=True) from exc
    finally:
        resp.close()
    results = (body.get("results") if isinstance(body, dict) else None) or []
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise RegistryError("Docker Hub's search answer has no list of results")
    return [{"name": r.get("name", ""), "description": r.get("description") or "", "stars": int(r.get("star_count") or 0),
             "official": bool(r.get("is_official")), "automated": bool(r.get("is_automated"))} for r in results]


def _catalog(client, registry, query):
    needle = query.lower()
    return [{"name": reference.parse("%s/%s" % (registry, name)).repository, "description": "", "stars": 0,
             "official": False, "automated": False}
            for name in client.catalog() if needle in name.lower()]
