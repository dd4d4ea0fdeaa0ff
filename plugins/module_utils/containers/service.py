# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container module's logic: bring a container to the wanted state, idempotently.

A plan (a list of steps) is made first from what exists and what is wanted; check mode
returns it, a real run carries it out. Recreate when the image or an option that cannot
change in place differs; update limits in place; then start, stop or pause as asked.
"""

from __future__ import annotations

import functools
import json

from . import run_defaults, view as container_view
from .._errors import ContainerNotFound, EngineError, ImageNotFound, InvalidSpec
from .reader import ContainerReader

STATES = ("created", "present", "started", "healthy", "stopped", "paused", "absent")


class ContainerService:
    def __init__(self, images, *, runtime=None, cgroup_parent="/strata", cgroup_manager=None):
        self.images = images
        self.runtime = runtime
        self.cgroup_parent = cgroup_parent
        self.cgroup_manager = cgroup_manager
        # enough for info (ps, inspect): records and statuses, without the engine's imports
        self.reader = ContainerReader(images.store, runtime, cgroup_parent=cgroup_parent)

    @functools.cached_property
    def containers(self):
        """The container engine (lifecycle.py: network plan, bundle, monitor...), made on first use."""
        from .lifecycle import Containers  # pylint: disable=import-outside-toplevel
        return Containers(self.images.store, self.runtime, cgroup_parent=self.cgroup_parent,
                          cgroup_manager_name=self.cgroup_manager)

    def find(self, name):
        if not self.images.store.exists:
            return None
        try:
            record = self.reader.records.find(name)  # the reader: a task with nothing to do imports no engine
        except ContainerNotFound:
            return None
        return self._reap(record)

    def find_named(self, name):
        """The container called ``name`` exactly (a new container's name may be the start of
        another's ID, as in Docker), or None."""
        if not self.images.store.exists:
            return None
        named = [r for r in self.reader.records.all() if r["name"] == name]
        return self._reap(named[0]) if named else None

    def _reap(self, record):
        """An auto_remove container that has exited is gone, as Docker's daemon would have
        removed it; with no daemon here, the next look at it removes it."""
        if not (record.get("options") or {}).get("auto_remove") or self.reader.status(record) != "exited":
            return record
        if not self.images.check_mode:
            self.containers.remove(record, force=True)
        return None

    # ------------------------------------------------------------------ planning
    def ensure(self, name, state="started", image=None, pull="missing", params=None, restart=False,
               recreate=False, force_kill=False, platform=None, comparisons=None, detach=True, healthy_wait_timeout=300,
               exact_name=False):
        """``name`` finds a container by name, full ID or ID prefix, as community.docker's does;
        ``exact_name``: by name only, as ``docker create --name`` (the CLI)."""
        # imported here: only a change needs the options' checks and comparisons (not info)
        from . import comparisons as container_comparisons, foreground, options as container_options  # pylint: disable=import-outside-toplevel
        if state not in STATES:
            raise InvalidSpec("state must be one of %s, not %r" % (", ".join(STATES), state))
        state = "created" if state == "present" else state  # community.docker's name for it
        comparisons = container_comparisons.check(comparisons, container_options.NORMALIZERS)
        record = self.find_named(name) if exact_name else self.find(name)
        if state == "absent":
            return self._finish(name, record, ["remove"] if record else [], {}, force_kill)
        options = container_options.normalize(params or {})
        if record is None and not image:
            raise InvalidSpec("image is required to create container %s" % name)
        steps, changes = [], {}
        image_id = self._image_id(image, pull, platform, steps) if image else record["image_id"]
        if record is not None:
            if image_id != record["image_id"]:
                changes["image"] = (record["image_id"], image_id)
            if image_id and self.images.has_image(image_id):
                changes.update(container_options.differences(self._image_config(image_id), record["options"], options))
            elif image_id is None:
                changes["image"] = (record["image_id"], image)
            changes = container_comparisons.apply(changes, comparisons)
        if record is None or recreate or container_options.needs_recreate(changes):
            if record is not None:
                steps.append("remove")
            steps.append("create")
        elif changes:
            steps.append("update")
        steps += self._state_steps(record if "create" not in steps else None, state, restart)
        result = self._finish(name, record, steps, changes, force_kill, image, image_id, options)
        if not detach and "start" in steps and not self.images.check_mode:
            result = foreground.finish(self.containers, self.containers.records.find(result["container"]["id"]),
                                       result)
        if state == "healthy" and not self.images.check_mode:  # a check run reports without waiting
            self._wait_healthy(name, result, healthy_wait_timeout)
        return result

    def _wait_healthy(self, name, result, timeout):
        from . import healthcheck  # pylint: disable=import-outside-toplevel
        record = self.containers.records.find(name)
        try:
            healthcheck.wait_healthy(self.containers, record, timeout)
        except EngineError as exc:
            exc.details["container"] = container_view.view(self.containers, record)
            raise
        result["container"] = container_view.view(self.containers, record)

    def _image_id(self, image, pull, platform, steps):
        """The image's ID, pulling it when the policy says so (in check mode: the ID it would have)."""
        if pull != "always":
            try:
                return self.images.find_image(image).image_id
            except ImageNotFound:
                if pull == "never":
                    raise
        # In check mode too: the pull then resolves the image's digest on the registry without
        # downloading its layers, so "pull" is a step only when a real run would fetch or retag.
        result = self.images.pull(image, policy="always" if pull == "always" else "missing", platform=platform)
        if result["changed"]:
            steps.append("pull")
        return result["image"]["id"]

    def _state_steps(self, record, state, restart):
        status = self.reader.status(record) if record else "created"
        running = status in ("running", "restarting")
        if state == "created":
            return []
        if state == "stopped":
            return ["stop"] if status in ("running", "paused", "restarting") else []
        if state == "paused":
            return [] if status == "paused" else (["pause"] if running else ["start", "pause"])
        # started, or healthy (started, then a wait)
        if status == "paused":
            return ["stop", "start"] if restart else ["unpause"]
        if running:
            return ["stop", "start"] if restart else []
        return ["start"]

    # ------------------------------------------------------------------ doing
    def _finish(self, name, record, steps, changes, force_kill, image=None, image_id=None, options=None):
        before = container_view.view(self.reader, record) if record else None
        result = {"changed": bool(steps), "actions": ["%s %s" % (step, name) for step in steps],
                  "diff": _diff(before, changes, steps)}
        if self.images.check_mode or not steps:
            result["container"] = before or {}
            return result
        for step in steps:
            try:
                record = self._do(step, name, record, changes, force_kill, image, image_id, options)
            except Exception:
                if step == "start" and "create" in steps:
                    self.containers.remove(record, force=True)  # a failed run leaves nothing behind
                raise
        result["container"] = container_view.view(self.containers, record) if record else {}
        result["diff"]["after"]["state"] = result["container"].get("state", {}).get("status", "absent")
        return result

    def _do(self, step, name, record, changes, force_kill, image, image_id, options):
        timeout = _stop_timeout(record, options)
        if step == "remove":
            self._stop(record, force_kill, timeout)
            self.containers.remove(record, force=True)
            return None
        if step == "create":
            return self.containers.create(name, image_id, options, image_name=image)
        if step == "update":
            self.containers.update(record, {k: v[1] for k, v in changes.items()})
        elif step == "start":
            self.containers.start(record)
        elif step == "stop":
            self._stop(record, force_kill, timeout)
        elif step == "pause":
            self.containers.pause(record)
        elif step == "unpause":
            self.containers.resume(record)
        return record

    def _stop(self, record, force_kill, timeout):
        if force_kill and self.containers.status(record) in ("running", "paused"):
            self.containers.stop(record, timeout=0, stop_signal="KILL")
        else:
            self.containers.stop(record, timeout=timeout, stop_signal=record.get("stop_signal") or "SIGTERM")

    def _image_config(self, image_id):
        return json.loads(self.images.store.blobs.get(image_id))

    # ------------------------------------------------------------------ info and exec
    def info(self, name=None, all_containers=True, resources=True):
        """Views of container ``name`` or of all (view.py; ``resources``: read back from the cgroup)."""
        if not self.images.store.exists:
            if name:
                raise ContainerNotFound("No such container: %s" % name, name=name)
            return []
        if name:
            return [container_view.view(self.reader, self.reader.records.find(name), resources)]
        views = [container_view.view(self.reader, r, resources) for r in self.reader.records.all()]
        return [v for v in views if all_containers or v["state"]["running"]]

    def exec(self, name, argv, **kwargs):
        record = self.containers.records.find(name)
        return self.containers.exec(record, argv, **kwargs)

    def copy_into(self, name, container_path, *, content=None, path=None, **kwargs):
        """``docker cp`` of one file into container ``name`` (keywords: :func:`copy.copy_into`'s)."""
        from .copy import Source, copy_into  # pylint: disable=import-outside-toplevel
        if not self.images.store.exists:
            raise ContainerNotFound("No such container: %s" % name, name=name)
        record = self.containers.records.find(name)
        return copy_into(self.containers, record, container_path, Source(content, path),
                         check_mode=self.images.check_mode, **kwargs)

    def copy_out(self, name, container_path):
        """(binary file object, mode) of a file in container ``name``, opened in-root."""
        from .copy import open_in  # pylint: disable=import-outside-toplevel
        return open_in(self.containers, self.containers.records.find(name), container_path)

    def is_directory_in(self, name, container_path):
        from .copy import is_directory  # pylint: disable=import-outside-toplevel
        return is_directory(self.containers, self.containers.records.find(name), container_path)

    def commit(self, container, name, **kwargs):
        """``docker commit CONTAINER NAME`` (keywords: :func:`commit.commit`'s)."""
        from .commit import commit  # pylint: disable=import-outside-toplevel
        return commit(self.images, self.containers, container, name, **kwargs)


def _stop_timeout(record, options):
    """The task's stop_timeout, else the container's own, else Docker's."""
    if options and options.get("stop_timeout") is not None:
        return options["stop_timeout"]
    return run_defaults.stop_timeout((record or {}).get("options"))


def _diff(before, changes, steps):
    old = {k: v[0] for k, v in changes.items()}
    new = {k: v[1] for k, v in changes.items()}
    old["state"] = before["state"]["status"] if before else "absent"
    new["state"] = "absent" if steps and steps[-1] == "remove" else _final_state(old["state"], steps)
    return {"before": old, "after": new}


def _final_state(current, steps):
    final = {"start": "running", "unpause": "running", "stop": "exited", "pause": "paused", "create": "created"}
    for step in steps:
        current = final.get(step, current)
    return current
