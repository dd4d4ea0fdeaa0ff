# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker compose up / down / stop / restart / ps`` over the engine's services: a plan from
what exists (plan.py), then carried out in dependency order, waiting for the ``depends_on``
conditions; check mode returns the plan and does nothing."""

from __future__ import annotations

from .._errors import ImageNotFound, InvalidSpec
from ..networks import definitions as network_definitions
from . import naming, resources, waits
from .load import load
from .model import build_model
from .plan import Existing, Step, plan_up

STATES = ("present", "absent", "stopped", "restarted")
POLICIES = ("missing", "always", "never")


class StackService:
    def __init__(self, engine):
        self.engine = engine
        self.check_mode = engine.check_mode

    # ------------------------------------------------------------------ reading
    def load(self, name, *, definition=None, project_src=None, env=None, profiles=()):
        """The project checked and normalised (nothing touched on the host)."""
        project = load(name, definition=definition, project_src=project_src, env=env, profiles=profiles)
        return build_model(project), project.missing

    def existing(self, project):
        """[(record, Existing)] of the project's containers in this store."""
        containers = self.engine.containers
        if not self.engine.store.exists:
            return []
        found = []
        for record in containers.containers.records.all():
            labels = (record.get("options") or {}).get("labels") or {}
            if labels.get(naming.PROJECT) == project:
                found.append((record, Existing.from_record(record, containers.containers.status(record))))
        return found

    def ps(self, project):
        """The project's containers, as container_info shows them, by service and number."""
        from ..containers import view  # pylint: disable=import-outside-toplevel
        items = sorted(self.existing(project), key=lambda pair: (str(pair[1].service), pair[1].number))
        return [dict(view.summary(self.engine.containers.containers, record), service=item.service, number=item.number)
                for record, item in items]

    # ------------------------------------------------------------------ up
    def up(self, stack, *, pull="missing", build="missing", remove_orphans=False, wait=False, wait_timeout=300,
           restart=False):
        _check_policy("pull", pull)
        _check_policy("build", build)
        result = _Result()
        self._check_external(stack)
        self._networks_and_volumes(stack, result)
        image_ids = {name: self._image(spec, pull, build, result) for name, spec in stack.services.items()}
        pairs = self.existing(stack.project)
        steps, orphans = plan_up(stack, [item for dummy, item in pairs], image_ids, remove_orphans)
        if restart:
            touched = {s.container for s in steps}
            steps += [Step(i.service, i.name, i.number, "restart", "restarted") for dummy, i in pairs
                      if i.service in stack.services and i.name not in touched and i.number <= stack.services[i.service].replicas]
        result.steps(steps)
        if orphans:
            result.warnings.append("orphan containers of project %s (their services are not in the file): %s; "
                                   "remove_orphans removes them" % (stack.project, ", ".join(orphans)))
        if not self.check_mode:
            self._carry_out(stack, steps, wait_timeout)
            if wait:
                waits.wait_all(self.engine.containers, stack, self.existing(stack.project), wait_timeout)
        return result.finish(self, stack.project)

    def _check_external(self, stack):
        """``external: true`` networks and volumes are the platform's: missing, the file is refused
        before anything is made (the specification: Compose returns an error)."""
        for name in stack.external["networks"]:
            if network_definitions.load(name) is None:
                raise InvalidSpec("network %s is external (external: true) but does not exist: create it first"
                                  % name, path="networks")
        for name in stack.external["volumes"]:
            if not self.engine.store.exists or self.engine.volumes.records.load(name) is None:
                raise InvalidSpec("volume %s is external (external: true) but does not exist: create it first"
                                  % name, path="volumes")

    def _networks_and_volumes(self, stack, result):
        for host_name, (name, spec) in sorted(stack.networks.items()):
            done = self.engine.networks.ensure(host_name, **resources.network_options(stack.project, name, spec))
            result.actions += done["actions"]
        for host_name, (name, spec) in sorted(stack.volumes.items()):
            done = self.engine.volumes.ensure(host_name, **resources.volume_options(stack.project, name, spec))
            result.actions += done["actions"]

    def _image(self, spec, pull, build, result):
        """The ID of the service's image, built or pulled as the policies say (None: a check run
        that would build it)."""
        images = self.engine.images
        try:
            current = images.find_image(spec.image).image_id if images.store.exists else None
        except ImageNotFound:
            current = None
        if spec.build is not None and (build == "always" or (build == "missing" and current is None)):
            built = self.engine.builds.build(spec.image, spec.build["context"], dockerfile=spec.build.get("dockerfile"),
                                             build_args=_build_args(spec.build.get("args")),
                                             target=spec.build.get("target"), labels=_str_dict(spec.build.get("labels")))
            result.actions += built["actions"]
            return (built.get("image") or {}).get("id")
        policy = _pull_policy(pull, spec.pull_policy)
        if current is not None and policy != "always":
            return current
        if spec.build is not None and current is None and build == "never":
            raise ImageNotFound("service %s: image %s is not built (build: never)" % (spec.name, spec.image),
                                image=spec.image)
        if policy == "never":
            raise ImageNotFound("service %s: image %s is not in the store (pull: never)" % (spec.name, spec.image),
                                image=spec.image)
        pulled = images.pull(spec.image, policy="always" if policy == "always" else "missing")
        result.actions += pulled["actions"]
        return pulled["image"]["id"]

    def _carry_out(self, stack, steps, timeout):
        containers = self.engine.containers
        for step in [s for s in steps if s.service not in stack.services]:  # orphans first
            containers.ensure(step.container, state="absent")
        for service in stack.order:
            spec = stack.services[service]
            mine = [s for s in steps if s.service == service]
            if any(s.action != "remove" for s in mine):  # a service left as it is waits for nothing
                waits.wait_dependencies(containers, spec, self.existing(stack.project), timeout)
            for step in mine:
                self._step(stack, spec, step)

    def _step(self, stack, spec, step):
        containers = self.engine.containers
        if step.action == "remove":
            containers.ensure(step.container, state="absent")
            return
        if step.action == "restart":
            containers.ensure(step.container, state="started", restart=True)
            return
        # by name: it points at image_id now (pulled or built above), and the container keeps the name
        containers.ensure(step.container, state="started", image=spec.image, pull="never",
                          params=spec.params(stack.project, step.number), recreate=step.action == "recreate")

    # ------------------------------------------------------------------ stop, down
    def stop(self, project):
        result = _Result()
        steps = [Step(i.service, i.name, i.number, "stop", "stopped")
                 for dummy, i in reversed(sorted(self.existing(project), key=lambda p: p[1].name))
                 if i.status in ("running", "paused", "restarting")]
        result.steps(steps)
        if not self.check_mode:
            for step in steps:
                self.engine.containers.ensure(step.container, state="stopped")
        return result.finish(self, project)

    def down(self, project, stack=None, *, remove_volumes=False):
        """Remove the project's containers (dependants first), then its networks, and its named
        volumes only when asked: ``docker compose down [-v]``."""
        result = _Result()
        pairs = self.existing(project)
        rank = {name: i for i, name in enumerate(stack.order)} if stack else {}
        pairs.sort(key=lambda p: (-rank.get(p[1].service, len(rank)), p[1].name))
        result.steps([Step(i.service, i.name, i.number, "remove", "down") for dummy, i in pairs])
        networks = resources.project_networks(self.engine.networks, project)
        volumes = resources.project_volumes(self.engine.volumes, project) if remove_volumes and self.engine.store.exists else []
        if not self.check_mode:
            for dummy, item in pairs:
                self.engine.containers.ensure(item.name, state="absent")
        for name in networks:
            result.actions += self.engine.networks.ensure(name, state="absent")["actions"]
        for name in volumes:
            result.actions += self.engine.volumes.ensure(name, state="absent")["actions"]
        return result.finish(self, project)


class _Result:
    def __init__(self):
        self.actions, self.services, self.warnings = [], [], []

    def steps(self, steps):
        for step in steps:
            self.actions.append("%s container %s" % (step.action, step.container))
            self.services.append(step.as_dict())

    def finish(self, service, project):
        containers = [] if service.check_mode and not service.engine.store.exists else service.ps(project)
        return {"changed": bool(self.actions), "actions": self.actions, "services": self.services,
                "containers": containers, "warnings": self.warnings, "diff": _diff(self.services)}


def _diff(services):
    before, after = {}, {}
    for item in services:
        name = "%s (%s)" % (item["container"], item["service"])
        before[name] = "absent" if item["action"] == "create" else "present"
        after[name] = "absent" if item["action"] == "remove" else "%s: %s" % (item["action"], item["reason"])
    return {"before": before, "after": after}


def _check_policy(what, value):
    if value not in POLICIES:
        raise InvalidSpec("%s must be one of %s, not %r" % (what, ", ".join(POLICIES), value))


def _pull_policy(pull, service_policy):
    """The task's pull, unless it is the default (missing) and the service says otherwise."""
    if pull != "missing" or not service_policy:
        return pull
    return {"if_not_present": "missing", "build": "missing"}.get(service_policy, service_policy)


def _build_args(value):
    if isinstance(value, list):
        return dict(item.partition("=")[::2] for item in value)
    return _str_dict(value)


def _str_dict(value):
    return {str(k): "" if v is None else str(v) for k, v in (value or {}).items()} or None
