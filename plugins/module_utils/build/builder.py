# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker build``: run a parsed Dockerfile stage by stage, each step through the build
cache, and record the final stage as an image.

Metadata instructions change the config and add a history entry marked ``empty_layer``;
RUN, COPY and ADD add one layer each. Every step, metadata ones included, is cached with
the time it was made, so a rebuild with nothing changed gives the same image ID.
"""

from __future__ import annotations

import contextlib
import json
import os

from . import dockerignore, parser
from . import expand as _expand
from . import staging, steps
from .._errors import BuildError, DockerfileSyntaxError
from ..images import writer as image_writer
from ..networks import build_step
from ..oci import timestamps
from ..runtime import bundle
from ..runtime.oci import Runtime, choose
from .cache import BuildCache, step_key
from .sources import Sources, within
from .state import BuildState, apply_metadata

DOCKERFILES = ("Dockerfile", "Containerfile")
METADATA = ("ENV", "LABEL", "CMD", "ENTRYPOINT", "SHELL", "WORKDIR", "USER", "EXPOSE", "VOLUME", "STOPSIGNAL",
            "HEALTHCHECK", "ONBUILD", "MAINTAINER")
MAX_DOCKERFILE = 1 << 20


class WouldBuild(Exception):
    """Check mode: a step misses the cache, so a real run would build."""


class Builder:
    def __init__(self, images, runtime_name=None, dry_run=False, network="default"):
        if network not in steps.NETWORKS:
            raise BuildError("network %r is not one of %s" % (network, ", ".join(steps.NETWORKS)))
        self.images = images
        self.dry_run = dry_run
        self.network = network  # RUN's: docker build --network
        self.store = images.store
        self.cache = BuildCache(images.store)
        self.runtime_name = runtime_name
        self._runtime = None
        self.reused = self.made = 0

    def counts(self):
        return {"reused": self.reused, "made": self.made}

    @property
    def runtime(self):
        if self._runtime is None:
            self._runtime = Runtime(self.store.root, choose(self.runtime_name))
        return self._runtime

    def plan(self, context, dockerfile=None, build_args=None, target=None):
        """Parse and check everything a build needs before it runs: (Dockerfile, stages to build)."""
        if not os.path.isdir(context):
            raise BuildError("the build context %s is not a directory" % context, path=context)
        path, data = _read_dockerfile(context, dockerfile)
        with _naming(path):
            parsed = parser.parse(data)
        end = len(parsed.stages) - 1
        if target:
            stage = parsed.stage(target.lower())
            if stage is None:
                raise BuildError("target stage %r could not be found" % target, target=target)
            end = stage.index
        unknown = sorted(set(build_args or {}) - _declared_args(parsed))
        return parsed, parsed.stages[:end + 1], unknown

    def build(self, context, dockerfile=None, tags=(), build_args=None, target=None, labels=None, nocache=False,
              pull="missing"):
        """Returns (image_id, state) of the final stage, recorded in the store under ``tags``."""
        parsed, stages, dummy = self.plan(context, dockerfile, build_args, target)
        with _naming(_read_dockerfile(context, dockerfile)[0]):
            return self._build(context, parsed, stages, tags, build_args, labels, nocache, pull)

    def _build(self, context, parsed, stages, tags, build_args, labels, nocache, pull):
        build_args = {str(k): str(v) for k, v in (build_args or {}).items()}
        if _leaves(context, ".dockerignore"):
            raise BuildError("%s/.dockerignore leads outside the build context through a symbolic link" % context,
                             path=context)
        sources = Sources(context, dockerignore.from_file(os.path.join(context, ".dockerignore")))
        global_args = self._global_args(parsed, build_args)
        results = []
        for stage in stages:
            results.append(self._stage(parsed, stage, results, global_args, build_args, sources, nocache, pull))
        final = results[-1]
        if labels:
            final.inner["Labels"] = dict(final.inner.get("Labels") or {}, **{str(k): str(v) for k, v in labels.items()})
        if self.dry_run:
            image_id = image_writer.image_id_of(final.config)
            if not self.store.images.exists(image_id):
                raise WouldBuild()
            return image_id, final
        image_id = image_writer.record_image(self.store, final.config, final.layers, tags)
        return image_id, final

    # ------------------------------------------------------------------ stages
    def _global_args(self, parsed, build_args):
        scope = {}
        for instruction in parsed.args_before_from:
            for key, value in _expand.expand_key_values(instruction.args[0], scope, parsed.escape, "ARG",
                                                        instruction.line):
                scope[key] = build_args.get(key, value)
        return {k: v for k, v in scope.items() if v is not None}

    def _stage(self, parsed, stage, results, global_args, build_args, sources, nocache, pull):
        base = _expand.expand(stage.base.split()[0], global_args, parsed.escape, stage.line, keep_quotes=False)
        state = self._base(parsed, base, stage, results, pull)
        scope = {"args": {}, "global": global_args, "build_args": build_args, "escape": parsed.escape,
                 "sources": sources, "results": results, "parsed": parsed, "nocache": nocache, "pull": pull,
                 "key": state.key()}
        triggers = [parser.from_line(stage.line, text, parsed.escape) for text in state.inner.pop("OnBuild", None) or []]
        for instruction in triggers + list(stage.instructions):
            self._step(state, instruction, scope)
        return state

    def _base(self, parsed, base, stage, results, pull):
        if base.lower() == "scratch":
            return BuildState()
        earlier = parsed.stage(base.lower())
        if earlier is not None and earlier.index < stage.index:
            source = results[earlier.index]
            return BuildState(source.config, source.layers)
        return self.image_state(base, pull)

    def image_state(self, name, pull="missing"):
        """The state of an image in the store (pulled first when the policy says so)."""
        image_id = self.images.pull(name, policy=pull if pull in ("always", "never") else "missing")["image"]["id"]
        if self.dry_run and not self.store.images.exists(image_id):
            raise WouldBuild()
        record = self.store.images.get(image_id)
        config = json.loads(self.store.blobs.get(image_id))
        layers = [{"diff_id": x["diff_id"], "chain_id": x["chain_id"], "size": x.get("size", 0)} for x in record["layers"]]
        return BuildState(config, layers)

    # ------------------------------------------------------------------ steps
    def _step(self, state, instruction, scope):
        keyword, escape = instruction.keyword, scope["escape"]
        if keyword == "ARG":
            self._arg(instruction, scope)
            return
        env = dict(scope["args"], **state.env())
        inputs, prepared = "", None
        if keyword in ("COPY", "ADD"):
            prepared = scope["sources"].prepare(self, instruction, env, escape, scope["results"], scope["parsed"],
                                                scope["pull"])
            inputs = prepared.digest
        text = json.dumps([instruction.keyword, instruction.flags, instruction.args, sorted(env.items())]
                          + ([self.network] if keyword == "RUN" and self.network != "default" else []))
        key = step_key(scope["key"], text, inputs)
        entry = None if scope["nocache"] else self.cache.get(key)
        if entry is None and self.dry_run:
            raise WouldBuild()
        if entry is None:
            entry = {"created": timestamps.now()}
            if keyword == "RUN":
                entry["layer"] = self._run(state, instruction, env)
            elif prepared is not None:
                entry["layer"] = self._copy(state, instruction, prepared, env)
            self.cache.put(key, entry)
            self.made += 1
        else:
            self.reused += 1
        if keyword in METADATA:
            apply_metadata(state, instruction, env, escape)
        elif "layer" in entry:
            state.add_layer(entry["layer"])
        else:
            raise DockerfileSyntaxError("%s is not supported" % keyword, line=instruction.line)
        state.add_history(entry["created"], _created_by(instruction, state), "layer" not in entry)
        scope["key"] = key

    def _arg(self, instruction, scope):
        for key, value in _expand.expand_key_values(instruction.args[0], dict(scope["args"]), scope["escape"], "ARG",
                                                    instruction.line):
            if key in scope["build_args"]:
                value = scope["build_args"][key]
            elif value is None:
                value = scope["global"].get(key)
            if value is not None:
                scope["args"][key] = value

    def _run(self, state, instruction, env):
        argv = list(instruction.args) if instruction.json_form else state.shell() + [instruction.args[0]]
        with self.store.work_dir("build-") as work:
            upper = steps.run(self.store, self.runtime, state, argv, env, work,
                              build_step.namespace_name(), instruction.line, self.network)
            return image_writer.layer_from_dir(self.store, upper, (state.chains or [None])[-1], work)

    def _copy(self, state, instruction, prepared, env):
        with self.store.work_dir("build-") as work:
            stage_dir = os.path.join(work, "stage")
            os.mkdir(stage_dir, 0o755)
            with steps.mounted(self.store, state.chains, os.path.join(work, "view")) as view:
                chown = None
                if instruction.flag("chown"):
                    user = _expand.expand(instruction.flag("chown"), env, keep_quotes=False, line=instruction.line)
                    uid, gid, dummy = bundle.parse_user(user, view)
                    chown = (uid, gid)
                with prepared.opened(self.store) as paths:
                    staging.stage_copy(paths, prepared.dest, view, stage_dir, state.inner.get("WorkingDir") or "/",
                                       unpack=instruction.keyword == "ADD", exclude=prepared.exclude,
                                       limits=self.store.layers.limits)
            return image_writer.layer_from_dir(self.store, stage_dir, (state.chains or [None])[-1], work,
                                               overlay=False, chown=chown)


def _created_by(instruction, state):
    if instruction.keyword == "RUN" and not instruction.json_form:
        return "RUN %s # buildkit" % " ".join(state.shell() + [instruction.args[0]])
    text = instruction.original.strip()
    return text + " # buildkit" if instruction.keyword in ("RUN", "COPY", "ADD") else text


def _declared_args(parsed):
    names = set()
    for instruction in list(parsed.args_before_from) + [i for s in parsed.stages for i in s.instructions]:
        if instruction.keyword == "ARG":
            names.update(k for k, dummy in parser.split_key_values(instruction.args[0], parsed.escape, keyword="ARG"))
    return names


@contextlib.contextmanager
def _naming(path):
    """Syntax errors name the Dockerfile as well as the line."""
    try:
        yield
    except DockerfileSyntaxError as exc:
        if exc.message.startswith(path):
            raise
        named = DockerfileSyntaxError("%s %s" % (path, exc.message), path=path)
        named.line = named.details["line"] = exc.line
        raise named from exc


def _read_dockerfile(context, dockerfile):
    names = [dockerfile] if dockerfile else list(DOCKERFILES)
    for name in names:
        path = name if os.path.isabs(name) else os.path.join(context, name)
        if _leaves(context, name):
            # a context's symlink must not make the build read (and its errors quote) a host file
            raise BuildError("the Dockerfile %s leads outside the build context through a symbolic link" % path,
                             path=path)
        if os.path.isfile(path):
            if os.path.getsize(path) > MAX_DOCKERFILE:
                raise DockerfileSyntaxError("the Dockerfile %s is larger than 1 MiB" % path)
            with open(path, "rb") as handle:
                return path, handle.read()
    raise BuildError("no %s found in %s" % (" or ".join(names), context), path=context)


def _leaves(context, name):
    """A name inside the context (as written) that a symlink there leads out of."""
    if os.path.isabs(name) or not within(os.path.normpath(os.path.join(context, name)), os.path.normpath(context)):
        return False
    return not within(os.path.realpath(os.path.join(context, name)), os.path.realpath(context))
