# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A RUN step's output: only its end is kept, however much it prints."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc

import pytest

from ansible_collections.strata.containers.plugins.module_utils.build import steps


def test_a_run_steps_output_is_kept_to_its_tail():
    script = ("import sys\nfor i in range(512): sys.stdout.buffer.write(b'o' * 65535 + b'\\n')\n"
              "sys.stdout.flush()\nsys.stderr.write('the error at the end\\n')\nsys.exit(3)")
    tracemalloc.start()
    try:
        code, tail = steps.run_keeping_tail([sys.executable, "-c", script], 60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 3
    assert tail.endswith(b"o\nthe error at the end\n") and len(tail) == steps.TAIL_BYTES
    assert peak < 4 * 1024 * 1024, "held %d bytes of a 32 MiB output" % peak


def test_a_run_step_past_its_timeout_is_killed():
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        steps.run_keeping_tail([sys.executable, "-c", "import time; print('x', flush=True); time.sleep(60)"], 1)
    assert time.monotonic() - started < 10
