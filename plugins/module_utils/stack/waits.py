# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting, as ``docker compose up`` does: before a service starts, for its dependencies'
``depends_on`` conditions (``service_started``: nothing more; ``service_healthy``: its health
check passes; ``service_completed_successfully``: it ran and exited 0); with ``wait``, after
``up``, for every service to be running and healthy. A timeout fails with what was awaited."""

from __future__ import annotations

import time

from .._errors import ContainerError
from ..containers import healthcheck

POLL = 0.2


def wait_dependencies(containers, spec, existing, timeout):
    for dependency, condition in sorted(spec.depends.items()):
        for record, item in existing:
            if item.service != dependency:
                continue
            if condition == "service_healthy":
                _healthy(containers, record, spec.name, timeout)
            elif condition == "service_completed_successfully":
                _completed(containers, record, spec.name, timeout)


def wait_all(containers, stack, existing, timeout):
    """``up --wait``: every container of the file running (a one-shot service: exited 0) and
    healthy where it has a check."""
    for record, item in existing:
        if item.service not in stack.services:
            continue
        if containers.containers.status(record) == "exited":
            _exited_zero(containers, record, "wait")
        else:
            _healthy(containers, record, "wait", timeout)


def _healthy(containers, record, waiter, timeout):
    try:
        healthcheck.wait_healthy(containers.containers, record, timeout)
    except ContainerError as exc:
        raise ContainerError("%s: %s" % (_who(waiter), exc), name=record["name"]) from exc


def _completed(containers, record, waiter, timeout):
    deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
    while containers.containers.status(record) != "exited":
        if deadline is not None and time.monotonic() > deadline:
            raise ContainerError("%s: container %s did not complete within %ss"
                                 % (_who(waiter), record["name"], timeout), name=record["name"])
        time.sleep(POLL)
    _exited_zero(containers, record, waiter)


def _exited_zero(containers, record, waiter):
    code = containers.containers.records.state(record["id"]).get("exit_code")
    if code != 0:
        raise ContainerError("%s: container %s exited with code %s" % (_who(waiter), record["name"], code),
                             name=record["name"], exit_code=code)


def _who(waiter):
    return "waiting for the stack" if waiter == "wait" else "service %s waits for its dependency" % waiter
