# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a build stage has made so far: the image config and the layers, and the
metadata-only instructions (ENV, CMD, LABEL, ...) that change the config alone."""

from __future__ import annotations

import copy
import hashlib
import json
import platform as _platform

from . import expand as _expand
from .._errors import DockerfileSyntaxError
from .instructions import parse_duration

DEFAULT_SHELL = ["/bin/sh", "-c"]
COMMENT = "buildkit.dockerfile.v0"
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


class BuildState:
    """An image config (``config``, ``history``, ``rootfs``...) and its layers
    (``{"diff_id", "chain_id", "size"}``)."""

    def __init__(self, config=None, layers=()):
        self.config = copy.deepcopy(config) if config else scratch_config()
        self.layers = [dict(layer) for layer in layers]
        self.cmd_set = False  # by this stage

    @property
    def inner(self):
        return self.config.setdefault("config", {})

    @property
    def chains(self):
        return [layer["chain_id"] for layer in self.layers]

    def key(self):
        """Names this state for the build cache: its layers and its config."""
        return hashlib.sha256(json.dumps([self.chains, self.config], sort_keys=True).encode()).hexdigest()

    def env(self):
        return dict(item.split("=", 1) for item in self.inner.get("Env") or [] if "=" in item)

    def set_env(self, key, value):
        env = [item for item in self.inner.get("Env") or [] if item.split("=", 1)[0] != key]
        self.inner["Env"] = env + ["%s=%s" % (key, value)]

    def shell(self):
        return list(self.inner.get("Shell") or DEFAULT_SHELL)

    def add_history(self, created, created_by, empty_layer):
        entry = {"created": created, "created_by": created_by, "comment": COMMENT}
        if empty_layer:
            entry["empty_layer"] = True
        self.config.setdefault("history", []).append(entry)
        self.config["created"] = created

    def add_layer(self, layer):
        self.layers.append(layer)
        self.config["rootfs"] = {"type": "layers", "diff_ids": [x["diff_id"] for x in self.layers]}


def scratch_config():
    arch = _ARCH.get(_platform.machine(), _platform.machine())
    return {"architecture": arch, "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": []},
            "history": []}


def apply_metadata(state, instruction, env, escape):
    """Apply a metadata-only instruction to ``state``; ``env`` expands variables."""
    keyword, line = instruction.keyword, instruction.line
    inner = state.inner
    if keyword == "ENV":
        for key, value in _expand.expand_key_values(instruction.args[0], env, escape, "ENV", line):
            state.set_env(key, value)
            env[key] = value
    elif keyword == "LABEL":
        labels = dict(inner.get("Labels") or {})
        labels.update(_expand.expand_key_values(instruction.args[0], env, escape, "LABEL", line))
        inner["Labels"] = labels
    elif keyword in ("CMD", "ENTRYPOINT"):
        argv = list(instruction.args) if instruction.json_form else state.shell() + [instruction.args[0]]
        inner["Cmd" if keyword == "CMD" else "Entrypoint"] = argv
        if keyword == "CMD":
            state.cmd_set = True
        elif not state.cmd_set:
            inner.pop("Cmd", None)  # a new ENTRYPOINT drops the base image's CMD, as Docker does
    elif keyword == "SHELL":
        inner["Shell"] = list(instruction.args)
    elif keyword == "WORKDIR":
        path = _expand.expand(instruction.args[0], env, escape, line, keep_quotes=False)
        inner["WorkingDir"] = join_path(inner.get("WorkingDir") or "/", path)
    elif keyword == "USER":
        inner["User"] = _expand.expand(instruction.args[0], env, escape, line, keep_quotes=False)
    elif keyword == "EXPOSE":
        ports = dict(inner.get("ExposedPorts") or {})
        for word in _expand.expand_words(instruction.args[0], env, escape, line):
            ports[word if "/" in word else word + "/tcp"] = {}
        inner["ExposedPorts"] = ports
    elif keyword == "VOLUME":
        words = instruction.args if instruction.json_form else _expand.expand_words(instruction.args[0], env, escape, line)
        inner["Volumes"] = dict(inner.get("Volumes") or {}, **{w: {} for w in words})
    elif keyword == "STOPSIGNAL":
        inner["StopSignal"] = _expand.expand(instruction.args[0], env, escape, line, keep_quotes=False)
    elif keyword == "HEALTHCHECK":
        inner["Healthcheck"] = _healthcheck(instruction)
    elif keyword == "ONBUILD":
        inner["OnBuild"] = list(inner.get("OnBuild") or []) + [instruction.args[0]]
    elif keyword == "MAINTAINER":
        state.config["author"] = instruction.args[0]
    else:
        raise DockerfileSyntaxError("%s is not a metadata instruction" % keyword, line=line)


def _healthcheck(instruction):
    check = {"Test": list(instruction.args)}
    for flag, key in (("interval", "Interval"), ("timeout", "Timeout"), ("start-period", "StartPeriod"),
                      ("start-interval", "StartInterval")):
        if instruction.flag(flag):
            check[key] = parse_duration(instruction.flag(flag))
    if instruction.flag("retries"):
        check["Retries"] = int(instruction.flag("retries"))
    return check


def join_path(base, path):
    """WORKDIR and COPY destinations: a relative path continues the working directory."""
    import posixpath  # pylint: disable=import-outside-toplevel
    return posixpath.normpath(posixpath.join(base or "/", path)) if path else (base or "/")
