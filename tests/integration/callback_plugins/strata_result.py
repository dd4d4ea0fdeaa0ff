# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper (not shipped): writes each task's result, as ``register`` would keep it, to the
JSON file named by $STRATA_TEST_RESULT_FILE, so ansible_runner.run_module reads a result without
a second task that copies it out (that task cost 40% of each playbook run)."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import module_response_deepcopy, strip_internal_keys

DOCUMENTATION = """
name: strata_result
type: aggregate
short_description: the tasks' results as register keeps them, to a file (tests only)
description: [writes a JSON list to $STRATA_TEST_RESULT_FILE]
requirements: [enabled in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "strata_result"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = []

    def _keep(self, result, failed=False):
        kept = strip_internal_keys(module_response_deepcopy(result._result))  # pylint: disable=protected-access
        kept.pop("invocation", None)  # as register does
        if failed:
            kept["failed"] = True
        self.results.append(kept)

    def v2_runner_on_ok(self, result):
        self._keep(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._keep(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._keep(result)

    def v2_runner_on_unreachable(self, result):
        self._keep(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("STRATA_TEST_RESULT_FILE")
        if path:
            with open(path, "w") as handle:
                json.dump(self.results, handle)
