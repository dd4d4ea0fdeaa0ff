# -*- coding: utf-8 -*-
"""RETURN says what a module returns (issue 19, item 5): the keys of a task's result, less
Ansible's own, against the keys its RETURN documents, at the top and one level into a
documented dict or list of dicts (``contains``). Used by the tests that already run every
module's main cases in check and real mode, so that it costs no run of its own."""

from __future__ import annotations

import ast
import os

import yaml

MODULES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "plugins", "modules")
# Ansible's own keys (and the ones every failure carries), never in a RETURN
ANSIBLE_KEYS = {"changed", "failed", "invocation", "diff", "msg", "warnings", "deprecations", "skipped",
                "skip_reason", "exception", "ansible_facts", "failed_when_result", "changed_when_result"}
_RETURNS = {}


def documented(module):
    """The module's RETURN as a dict."""
    if module not in _RETURNS:
        with open(os.path.join(MODULES, module + ".py"), encoding="utf-8") as f:
            tree = ast.parse(f.read())
        text = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", None) == "RETURN")
        _RETURNS[module] = yaml.safe_load(text) or {}
    return _RETURNS[module]


def mismatches(module, mode, result):
    """What differs between ``result`` (a task's, in ``mode``: "check" or "real") and RETURN,
    each said with the module, the mode and the key; nothing for a failed task."""
    if result.get("failed"):
        return []
    doc = documented(module)
    keys = {k for k in result if k not in ANSIBLE_KEYS and not k.startswith("_ansible")}
    found = ["%s (%s mode) returns %r, which RETURN does not document" % (module, mode, key)
             for key in sorted(keys - set(doc))]
    found += ["%s (%s mode) does not return %r, which RETURN says is returned always" % (module, mode, key)
              for key, spec in sorted(doc.items()) if spec.get("returned") == "always" and key not in result]
    for key in sorted(keys & set(doc)):
        found += _inner(module, mode, key, doc[key], result[key])
    return found


def _inner(module, mode, key, spec, value):
    """One level in: the keys of a dict, or of each dict of a list, against ``contains``."""
    contains = spec.get("contains")
    if not contains:
        return []
    items = [value] if isinstance(value, dict) else [v for v in value if isinstance(v, dict)] \
        if isinstance(value, list) else []
    found = set()
    for item in items:
        for inner in set(item) - set(contains):
            found.add("%s (%s mode) returns %s.%s, which RETURN does not document" % (module, mode, key, inner))
    return sorted(found)


def check(module, mode, result, problems):
    """Add the mismatches of ``result`` to ``problems`` (a list: the test reports them all at once)."""
    problems.extend(mismatches(module, mode, result))
