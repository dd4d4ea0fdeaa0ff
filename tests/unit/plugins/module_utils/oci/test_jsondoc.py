# -*- coding: utf-8 -*-
"""JSON from untrusted sources: nesting is bounded before json.loads recurses."""
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.oci import jsondoc, spec

D1 = "sha256:" + "1" * 64
DEEP = 100000


def _nested(depth, open_="[", close="]", inner="1"):
    return (open_ * depth + inner + close * depth).encode()


def _manifest_with(extra):
    """A valid manifest with ``extra`` (raw JSON bytes) as the value of an unknown field."""
    return (b'{"schemaVersion": 2, "mediaType": "%s", "x": %s, "config": {"mediaType": "%s", "digest": "%s", '
            b'"size": 2}, "layers": []}' % (spec.OCI_MANIFEST.encode(), extra, spec.OCI_CONFIG.encode(), D1.encode()))


@pytest.mark.parametrize("doc", [_nested(DEEP), _nested(DEEP, '{"a":', "}"), _manifest_with(_nested(DEEP)),
                                 _manifest_with(_nested(jsondoc.MAX_DEPTH + 1))])
def test_deep_manifest_is_refused_not_a_recursion_error(doc):
    with pytest.raises(InvalidSpec, match="manifest is nested .* levels deep, over the limit of 100"):
        spec.parse_manifest(doc)


def test_deep_config_is_refused():
    config = b'{"rootfs": {"type": "layers", "diff_ids": []}, "config": {"Labels": %s}}' % _nested(DEEP)
    with pytest.raises(InvalidSpec, match="image config is nested"):
        spec.parse_config(config)


def test_depth_in_other_encodings_and_strings():
    deep = _nested(DEEP).decode()
    for encoding in ("utf-16", "utf-32-le"):
        with pytest.raises(InvalidSpec, match="nested"):
            jsondoc.loads(deep.encode(encoding), "doc")
    # Brackets inside strings (escaped quotes too) are not nesting.
    text = json.dumps({"a": "[" * DEEP + '\\"' + "{" * DEEP, "b": ["]]]", "\\"]})
    assert jsondoc.loads(text, "doc")["b"] == ["]]]", "\\"]
    # Just at the limit is fine; a str works as bytes do.
    assert jsondoc.loads(_nested(jsondoc.MAX_DEPTH).decode(), "doc")
    with pytest.raises(InvalidSpec, match="not valid JSON"):
        jsondoc.loads(b"\xff\xfe\x00", "doc")
