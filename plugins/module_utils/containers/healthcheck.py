# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``healthcheck`` container option (community.docker's shape) and the check a container
runs: the option over the image's ``HEALTHCHECK``, with Docker's defaults.

Durations are Docker's (Go's ``30s``, ``1m30s``, ``500ms``) and kept in nanoseconds, as in an
image config; 0 means "the image's value, else Docker's default". Fields the option leaves
out keep the image's values, as ``docker run --health-*`` does."""

from __future__ import annotations

import json
import time

from .._errors import ContainerError, InvalidSpec
from ..fs.atomic import read_json

DURATIONS = ("interval", "timeout", "start_period", "start_interval")
FIELDS = DURATIONS + ("test", "retries", "disable")
# Docker's defaults (daemon/health.go).
DEFAULTS = {"interval": 30 * 10 ** 9, "timeout": 30 * 10 ** 9, "start_period": 0, "start_interval": 5 * 10 ** 9,
            "retries": 3}
_IMAGE_KEYS = {"interval": "Interval", "timeout": "Timeout", "start_period": "StartPeriod",
               "start_interval": "StartInterval", "retries": "Retries"}
_MILLISECOND = 10 ** 6


def duration(value, what):
    """Nanoseconds from Docker's duration text; 0, or at least 1ms."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise InvalidSpec("%s must be a duration such as 30s or 1m30s, not %r" % (what, value))
    # imported here: the Dockerfile parser (dataclasses, fractions) is not needed by `ps` or `inspect`
    from ..build.instructions import parse_duration  # pylint: disable=import-outside-toplevel
    nanoseconds = parse_duration(value.strip())
    if nanoseconds is None:
        raise InvalidSpec("%s: %r is not a duration such as 30s, 1m30s or 500ms (units: ns, us, ms, s, m, h)"
                          % (what, value))
    if nanoseconds < 0:
        raise InvalidSpec("%s cannot be negative (%s)" % (what, value))
    if 0 < nanoseconds < _MILLISECOND:
        raise InvalidSpec("%s must be 0 (the default) or at least 1ms, not %s" % (what, value))
    return nanoseconds


def test_argv(value):
    """Docker's forms: ["CMD", argv...], ["CMD-SHELL", command], ["NONE"], or a string (a
    shell command); [] leaves the image's test."""
    if isinstance(value, str):
        if not value.strip():
            raise InvalidSpec("healthcheck test must not be empty")
        return ["CMD-SHELL", value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InvalidSpec("healthcheck test must be a string or a list of strings, not %r" % (value,))
    value = list(value)
    if not value:
        return []
    kind = value[0]
    if kind == "NONE":
        if len(value) > 1:
            raise InvalidSpec("healthcheck test NONE takes nothing after it, not %r" % (value[1:],))
        return value
    if kind not in ("CMD", "CMD-SHELL"):
        raise InvalidSpec("healthcheck test must start with CMD, CMD-SHELL or NONE, not %r" % (kind,))
    if len(value) < 2 or not value[1]:
        raise InvalidSpec("healthcheck test %s needs a command after it" % kind)
    return value


def normalize(value):
    """The option as the user set it, checked: {test, interval, ..., retries} in canonical form."""
    if not isinstance(value, dict):
        raise InvalidSpec("healthcheck must be a dict with test, interval, timeout, retries, start_period, "
                          "start_interval or disable, not %r" % (value,))
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise InvalidSpec("unknown healthcheck field(s) %s; expected %s" % (", ".join(unknown), ", ".join(FIELDS)))
    given = {k: v for k, v in value.items() if v is not None}
    if given.pop("disable", False):
        if set(given) - {"test"} or given.get("test") not in (None, ["NONE"], ("NONE",)):
            raise InvalidSpec("healthcheck disable cannot be combined with test, interval, timeout, retries or "
                              "start_period")
        return {"test": ["NONE"]}
    out = {}
    if "test" in given:
        test = test_argv(given["test"])
        if test:
            out["test"] = test
    for key in DURATIONS:
        if key in given:
            out[key] = duration(given[key], "healthcheck " + key)
    if "retries" in given:
        retries = given["retries"]
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidSpec("healthcheck retries must be a whole number, 0 (the default, 3) or more, not %r"
                              % (retries,))
        out["retries"] = retries
    return out


def effective(image_config, option, shell=None):
    """The check a container of this image runs with this option (None when it has none):
    {test, argv, interval, timeout, start_period, start_interval, retries}, defaults filled in."""
    inner = (image_config or {}).get("config") or {}
    image = inner.get("Healthcheck") or {}
    check = {"test": list(image.get("Test") or [])}
    for key, image_key in _IMAGE_KEYS.items():
        check[key] = image.get(image_key) or 0
    for key, value in (option or {}).items():
        if key == "test" or value:
            check[key] = value
    test = check["test"]
    if not test or test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2:
        return None  # none, NONE, or a form Docker ignores too
    for key, default in DEFAULTS.items():
        check[key] = check[key] or default
    shell = shell or inner.get("Shell") or ["/bin/sh", "-c"]
    check["argv"] = (list(shell) if test[0] == "CMD-SHELL" else []) + test[1:]
    return check


def wait_healthy(containers, record, timeout=None, poll=0.1):
    """``state: healthy``: wait until the container's check passes. Raises ContainerError, with
    the last checks' outputs, when it turns unhealthy, stops running, or ``timeout`` seconds
    (None or <= 0: no limit) pass first. A container without a check counts as healthy, as in
    community.docker."""
    if not record.get("healthcheck"):
        return
    # imported here: the checker's own module is large, and only a wait reads its file
    from ..runtime.health import HEALTH as HEALTH_FILE  # pylint: disable=import-outside-toplevel
    deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
    while True:
        health = read_json(containers.records.path(record["id"], HEALTH_FILE), None) or {}
        status = containers.status(record)
        if status not in ("running", "paused", "restarting"):
            raise ContainerError("container %s is %s, not running, so it cannot become healthy%s"
                                 % (record["name"], status, last_checks(health)), name=record["name"])
        if health.get("status") == "healthy":
            return
        if health.get("status") == "unhealthy":
            raise ContainerError("container %s is unhealthy: %d checks failed in a row%s"
                                 % (record["name"], health.get("failing_streak", 0), last_checks(health)),
                                 name=record["name"])
        if deadline is not None and time.monotonic() > deadline:
            raise ContainerError("container %s did not become healthy within %gs (status %s)%s"
                                 % (record["name"], timeout, health.get("status", "starting"), last_checks(health)),
                                 name=record["name"])
        time.sleep(poll)


def last_checks(health, count=3, width=300):
    """The end of the health log, for a message: '; last checks: exit 1: "..."'."""
    log = (health.get("log") or [])[-count:]
    if not log:
        return "; no check has finished yet"
    shown = []
    for entry in log:
        output = (entry.get("output") or "").strip()
        if len(output) > width:
            output = output[:width] + "..."
        shown.append("exit %s: %s" % (entry.get("exit_code"), json.dumps(output)))
    return "; last checks: " + ", ".join(shown)
