# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``up`` has to do, worked out from the containers that exist (found by the Compose
labels) before anything is done: per replica create, recreate, start or nothing, and the
replicas and orphans to remove, each with its reason. Compose's rule: a container is recreated
when its service's configuration hash or its image differs; it is never recreated only because
a dependency was."""

from __future__ import annotations

from . import naming


class Existing:
    """A container of the project as the plan needs it."""

    def __init__(self, name, service, number, config_hash, image_id, status, options=None):
        self.name = name
        self.service = service
        self.number = number
        self.config_hash = config_hash
        self.image_id = image_id
        self.status = status
        self.options = options or {}

    @classmethod
    def from_record(cls, record, status):
        labels = (record.get("options") or {}).get("labels") or {}
        try:
            number = int(labels.get(naming.NUMBER) or 0)
        except ValueError:
            number = 0
        return cls(record["name"], labels.get(naming.SERVICE), number, labels.get(naming.CONFIG_HASH),
                   record.get("image_id"), status, record.get("options"))


class Step:
    def __init__(self, service, container, number, action, reason):
        self.service = service
        self.container = container
        self.number = number
        self.action = action  # create, recreate, start, remove
        self.reason = reason

    def as_dict(self):
        return {"service": self.service, "container": self.container, "action": self.action, "reason": self.reason}

    def __repr__(self):
        return "%s %s (%s)" % (self.action, self.container, self.reason)


def plan_up(stack, existing, image_ids, remove_orphans=False):
    """(steps in the order to carry them out, orphans left in place). ``image_ids``: {service:
    the ID its image has now, or None when not known yet (a check run that would pull or build)}."""
    steps, kept_orphans = [], []
    by_service = {}
    for item in existing:
        by_service.setdefault(item.service, []).append(item)
    for item in by_service_orphans(stack, by_service):
        if remove_orphans:
            steps.append(Step(item.service, item.name, item.number, "remove",
                              "orphan: service %s is not in the file (or its profile is not active)" % item.service))
        else:
            kept_orphans.append(item.name)
    for name in stack.order:
        steps += _service_steps(stack, stack.services[name], by_service.get(name) or [], image_ids.get(name))
    return steps, kept_orphans


def by_service_orphans(stack, by_service):
    return [item for service, items in sorted(by_service.items(), key=lambda kv: str(kv[0]))
            if service not in stack.services for item in sorted(items, key=lambda i: i.name)]


def _service_steps(stack, spec, items, image_id):
    steps = []
    numbered = {}
    for item in sorted(items, key=lambda i: (i.number, i.name)):
        if item.number in numbered or not 1 <= item.number <= spec.replicas:
            steps.append(Step(spec.name, item.name, item.number, "remove",
                              "scale down to %d" % spec.replicas if item.number > spec.replicas
                              else "duplicate or unnumbered replica"))
        else:
            numbered[item.number] = item
    for number in range(1, spec.replicas + 1):
        name = spec.container(stack.project, number)
        item = numbered.get(number)
        if item is None:
            reason = "new service" if not items else "scale up to %d" % spec.replicas
            steps.append(Step(spec.name, name, number, "create", reason))
            continue
        reason = _recreate_reason(spec, item, image_id)
        if item.name != name:
            reason = reason or "container name changed to %s" % name
        if reason:
            steps.append(Step(spec.name, item.name if item.name == name else name, number, "recreate", reason))
            if item.name != name:
                steps.append(Step(spec.name, item.name, number, "remove", "replaced by %s" % name))
        elif item.status not in ("running", "restarting"):
            steps.append(Step(spec.name, name, number, "start", "was %s" % item.status))
    removals = [s for s in steps if s.action == "remove"]
    return removals + [s for s in steps if s.action != "remove"]


def _recreate_reason(spec, item, image_id):
    if item.config_hash != spec.config_hash:
        keys = changed_keys(item.options, spec.options)
        return "configuration changed (%s)" % ", ".join(keys) if keys else "configuration changed"
    if image_id is None:
        return "image %s would be pulled or built" % spec.image if spec.image else None
    if image_id != item.image_id:
        return "image %s changed" % spec.image
    return None


def changed_keys(before, after):
    """The container options that differ (the Compose labels left out)."""
    def plain(options):
        options = dict(options or {})
        options["labels"] = {k: v for k, v in (options.get("labels") or {}).items()
                             if not k.startswith("com.docker.compose.")}
        return options
    before, after = plain(before), plain(after)
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) and (before.get(k) or after.get(k)))
