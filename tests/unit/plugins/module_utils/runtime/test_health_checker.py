# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's health status machine, the interval between checks, and a check's output kept
bounded and cut at its timeout."""

from __future__ import annotations

import subprocess
import sys
import time

from ansible_collections.strata.containers.plugins.module_utils.runtime import health

S = 10 ** 9
CHECK = {"interval": 30 * S, "timeout": 30 * S, "start_period": 60 * S, "start_interval": 5 * S, "retries": 3}


def _record(state, code, since_start=100.0):
    state.record(code, "out %d" % code, "start", "end", since_start)
    return state.status, state.failing_streak


def test_unhealthy_after_retries_failures_in_a_row():
    state = health.Health(retries=3, start_period=0)
    assert state.status == "starting"
    assert _record(state, 1) == ("starting", 1)
    assert _record(state, 1) == ("starting", 2)
    assert _record(state, 2) == ("unhealthy", 3)
    assert _record(state, 0) == ("healthy", 0)
    assert _record(state, 1) == ("healthy", 1)  # one failure does not make it unhealthy
    assert _record(state, -1) == ("healthy", 2)
    assert _record(state, 1) == ("unhealthy", 3)


def test_failures_in_the_start_period_do_not_count_until_a_check_passed():
    state = health.Health(retries=1, start_period=10)
    assert _record(state, 1, since_start=5) == ("starting", 0)
    assert _record(state, 1, since_start=11) == ("unhealthy", 1)
    state = health.Health(retries=1, start_period=10)
    assert _record(state, 0, since_start=1) == ("healthy", 0)
    assert _record(state, 1, since_start=2) == ("unhealthy", 1)  # healthy once: the period is over


def test_only_the_last_five_checks_are_kept():
    state = health.Health(retries=3, start_period=0, log=[{"exit_code": 9}] * 7)
    assert len(state.log) == 5
    for code in range(7):
        state.record(code, "o", "s", "e", 100)
    assert [entry["exit_code"] for entry in state.as_dict()["log"]] == [2, 3, 4, 5, 6]
    assert set(state.as_dict()) == {"status", "failing_streak", "log"}


def test_interval_start_interval_and_the_end_of_the_start_period():
    assert health.next_wait(CHECK, 0, "starting") == 5
    assert health.next_wait(CHECK, 0, "healthy") == 30
    assert health.next_wait(CHECK, 45, "starting") == 5
    assert health.next_wait(CHECK, 58, "starting") == 2  # the start period ends first
    assert health.next_wait(CHECK, 45, "healthy") == 15
    assert health.next_wait(dict(CHECK, interval=60 * S), 0.001, "starting") == 5
    assert health.next_wait(CHECK, 60, "starting") == 30
    assert health.next_wait(dict(CHECK, start_period=0), 0, "starting") == 30


def _probe(script, timeout):
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        return health.read_capped(proc.stdout, proc, time.monotonic() + timeout)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_output_is_capped_and_marked():
    output, timed_out = _probe("import sys; sys.stdout.write('x' * 100000); print('tail')", 30)
    assert not timed_out and output == "x" * health.OUTPUT_MAX + "..."
    assert _probe("print('fine')", 30) == ("fine\n", False)


def test_a_check_past_its_timeout_is_cut():
    started = time.monotonic()
    output, timed_out = _probe("import time; print('begun', flush=True); time.sleep(60)", 0.5)
    assert timed_out and output == "begun\n" and time.monotonic() - started < 10


def test_a_background_child_holding_the_pipe_does_not_hold_the_check():
    script = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
              "print('done')")
    started = time.monotonic()
    output, timed_out = _probe(script, 20)
    assert not timed_out and output == "done\n" and time.monotonic() - started < 10


def test_durations_print_as_go_does():
    assert health.seconds_text(S) == "1s" and health.seconds_text(S // 2) == "500ms"
    assert health.seconds_text(3 * S // 2) == "1.5s"
