# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The healthcheck option: Docker's durations and test forms, bad input refused with a message
that names it, and the check a container runs (the option over the image's HEALTHCHECK)."""

from __future__ import annotations

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.containers import healthcheck, options

S = 10 ** 9


@pytest.mark.parametrize("text, nanoseconds", [
    ("30s", 30 * S), ("1m30s", 90 * S), ("500ms", S // 2), ("1.5s", 3 * S // 2), ("1h", 3600 * S),
    ("2us", None), ("0", 0), ("0s", 0), ("1ms", 10 ** 6),
])
def test_durations_are_dockers(text, nanoseconds):
    if nanoseconds is None:  # below 1ms: Docker refuses it
        with pytest.raises(InvalidSpec, match="at least 1ms"):
            healthcheck.duration(text, "healthcheck interval")
    else:
        assert healthcheck.duration(text, "healthcheck interval") == nanoseconds


@pytest.mark.parametrize("value, message", [
    ("30", "not a duration such as 30s"), ("10 seconds", "not a duration"), ("-5s", "cannot be negative"),
    ("", "not a duration"), (30, "must be a duration"), ("s", "not a duration"),
])
def test_bad_durations_are_named(value, message):
    with pytest.raises(InvalidSpec, match=message) as caught:
        healthcheck.normalize({"interval": value})
    assert "healthcheck interval" in str(caught.value)


@pytest.mark.parametrize("test, argv", [
    ("curl -f http://localhost/", ["CMD-SHELL", "curl -f http://localhost/"]),
    (["CMD", "true"], ["CMD", "true"]),
    (["CMD-SHELL", "exit 0"], ["CMD-SHELL", "exit 0"]),
    (["NONE"], ["NONE"]),
])
def test_test_forms(test, argv):
    assert healthcheck.normalize({"test": test}) == {"test": argv}


@pytest.mark.parametrize("value, message", [
    ({"test": ["true"]}, "must start with CMD, CMD-SHELL or NONE"),
    ({"test": ["CMD"]}, "needs a command"),
    ({"test": ["NONE", "x"]}, "NONE takes nothing"),
    ({"test": "  "}, "must not be empty"),
    ({"test": 5}, "string or a list"),
    ({"retries": -1}, "retries must be a whole number"),
    ({"retries": True}, "retries must be a whole number"),
    ({"disable": True, "interval": "5s"}, "disable cannot be combined"),
    ({"tests": "true"}, "unknown healthcheck field"),
    ("true", "must be a dict"),
])
def test_bad_options_are_refused(value, message):
    with pytest.raises(InvalidSpec, match=message):
        options.normalize({"healthcheck": value})


def test_disable_is_none_and_unset_fields_are_dropped():
    assert healthcheck.normalize({"disable": True, "test": None, "interval": None}) == {"test": ["NONE"]}
    assert healthcheck.normalize({"disable": False, "interval": "5s", "retries": None}) == {"interval": 5 * S}


IMAGE = {"config": {"Cmd": ["sleep", "1d"],
                    "Healthcheck": {"Test": ["CMD-SHELL", "check"], "Interval": 10 * S, "Retries": 2}}}


def test_the_image_check_with_dockers_defaults():
    check = healthcheck.effective(IMAGE, None)
    assert check == {"test": ["CMD-SHELL", "check"], "argv": ["/bin/sh", "-c", "check"], "interval": 10 * S,
                     "timeout": 30 * S, "start_period": 0, "start_interval": 5 * S, "retries": 2}


def test_the_option_overrides_field_by_field():
    check = healthcheck.effective(IMAGE, healthcheck.normalize({"timeout": "2s", "retries": 0}))
    assert check["test"] == ["CMD-SHELL", "check"] and check["timeout"] == 2 * S and check["retries"] == 2
    mine = healthcheck.effective(IMAGE, healthcheck.normalize({"test": ["CMD", "/bin/ok", "-q"]}))
    assert mine["argv"] == ["/bin/ok", "-q"] and mine["interval"] == 10 * S


def test_none_or_no_test_means_no_check():
    assert healthcheck.effective(IMAGE, {"test": ["NONE"]}) is None
    assert healthcheck.effective({"config": {}}, {"interval": 5 * S}) is None
    assert healthcheck.effective({"config": {"Healthcheck": {"Test": ["NONE"]}}}, None) is None


def test_the_image_shell_runs_a_shell_test():
    image = {"config": {"Shell": ["/bin/bash", "-ec"], "Healthcheck": {"Test": ["CMD-SHELL", "check"]}}}
    assert healthcheck.effective(image, None)["argv"] == ["/bin/bash", "-ec", "check"]


def test_a_change_compares_the_check_that_runs():
    existing = {"healthcheck": healthcheck.normalize({"interval": "10s"})}
    # the same check, written differently: no change
    same = options.normalize({"healthcheck": {"interval": "0m10s", "test": ["CMD-SHELL", "check"]}})
    assert options.differences(IMAGE, existing, same) == {}
    other = options.normalize({"healthcheck": {"interval": "11s"}})
    changes = options.differences(IMAGE, existing, other)
    assert list(changes) == ["healthcheck"] and options.needs_recreate(changes)
    # NONE on a container whose image has no check changes nothing either
    assert options.differences({"config": {"Cmd": ["sh"]}}, {},
                               options.normalize({"healthcheck": {"disable": True}})) == {}
