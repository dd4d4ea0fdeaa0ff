# -*- coding: utf-8 -*-
"""The reconciler's plan, from the containers that exist (as their Compose labels describe
them) and the image IDs of now: nothing when all matches, create in dependency order, recreate
only the service whose configuration or image changed (never its dependants), scale up and down
by number, orphans removed only when asked, stopped containers started."""

from __future__ import annotations

from ansible_collections.strata.containers.plugins.module_utils.stack import load, model
from ansible_collections.strata.containers.plugins.module_utils.stack.plan import Existing, changed_keys, plan_up

FILE = {"services": {
    "web": {"image": "web:1", "depends_on": ["api"]},
    "api": {"image": "api:1", "depends_on": {"db": {"condition": "service_healthy"}}, "environment": {"A": "1"}},
    "db": {"image": "db:1"},
}}
IMAGES = {"web": "sha256:w", "api": "sha256:a", "db": "sha256:d"}


def _stack(**changes):
    services = {name: dict(spec, **changes.get(name, {})) for name, spec in FILE["services"].items()}
    return model.build_model(load.load("p", definition={"services": services}))


def _existing(stack, status="running", **numbers):
    out = []
    for name, spec in stack.services.items():
        for number in range(1, numbers.get(name, 1) + 1):
            out.append(Existing(spec.container("p", number), name, number, spec.config_hash, IMAGES[name], status,
                                spec.options))
    return out


def _did(steps):
    return [(s.action, s.container, s.reason) for s in steps]


def test_fresh_project_is_created_in_dependency_order():
    steps, orphans = plan_up(_stack(), [], IMAGES)
    assert _did(steps) == [("create", "p-db-1", "new service"), ("create", "p-api-1", "new service"),
                           ("create", "p-web-1", "new service")] and orphans == []


def test_nothing_to_do_when_everything_matches():
    stack = _stack()
    assert plan_up(stack, _existing(stack), IMAGES) == ([], [])


def test_only_the_changed_service_is_recreated_not_its_dependants():
    old = _stack()
    new = _stack(db={"environment": {"B": "2"}})
    assert _did(plan_up(new, _existing(old), IMAGES)[0]) == [("recreate", "p-db-1", "configuration changed (env)")]
    assert _did(plan_up(old, _existing(old), dict(IMAGES, api="sha256:new"))[0]) == [
        ("recreate", "p-api-1", "image api:1 changed")]
    assert changed_keys({"env": {"A": "1"}, "labels": {"com.docker.compose.config-hash": "x"}},
                        {"env": {"A": "2"}, "labels": {}}) == ["env"]


def test_scale_up_and_down_by_number():
    one = _stack()
    three = _stack(api={"deploy": {"replicas": 3}})
    assert _did(plan_up(three, _existing(three, api=1), IMAGES)[0]) == [
        ("create", "p-api-2", "scale up to 3"), ("create", "p-api-3", "scale up to 3")]
    assert _did(plan_up(one, _existing(one, api=3), IMAGES)[0]) == [
        ("remove", "p-api-2", "scale down to 1"), ("remove", "p-api-3", "scale down to 1")]


def test_orphans_kept_unless_asked_and_stopped_containers_started():
    stack = _stack()
    orphan = Existing("p-old-1", "old", 1, "h", "sha256:o", "running")
    steps, orphans = plan_up(stack, _existing(stack) + [orphan], IMAGES)
    assert steps == [] and orphans == ["p-old-1"]
    steps, orphans = plan_up(stack, _existing(stack) + [orphan], IMAGES, remove_orphans=True)
    assert [(s.action, s.container) for s in steps] == [("remove", "p-old-1")] and orphans == []
    assert _did(plan_up(stack, _existing(stack, status="exited"), IMAGES)[0])[0] == ("start", "p-db-1", "was exited")


def test_check_run_that_would_build_reports_a_recreate():
    stack = _stack()
    steps = plan_up(stack, _existing(stack), dict(IMAGES, api=None))[0]
    assert _did(steps) == [("recreate", "p-api-1", "image api:1 would be pulled or built")]


def test_existing_from_record_reads_the_labels():
    record = {"name": "p-api-2", "image_id": "sha256:a", "options": {"labels": {
        "com.docker.compose.service": "api", "com.docker.compose.container-number": "2",
        "com.docker.compose.config-hash": "h"}}}
    item = Existing.from_record(record, "running")
    assert (item.service, item.number, item.config_hash, item.image_id) == ("api", 2, "h", "sha256:a")
