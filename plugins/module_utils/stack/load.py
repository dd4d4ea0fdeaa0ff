# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Compose project read and made ready: the file (given as data, or found in the project
directory), the ``.env`` file, interpolation, the schema check, profiles.

Variables come from the task's ``env`` over the project's ``.env``; the target's process
environment is not used (a module's environment is Ansible's, not the user's shell)."""

from __future__ import annotations

import os
import re

from .. import _deps
from .._errors import InvalidSpec
from . import interpolate, validate

FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
MAX_FILE = 4 * 1024 * 1024
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ENV_LINE = re.compile(r"^(?:export\s+)?([_a-zA-Z][_a-zA-Z0-9.]*)\s*=\s*(.*)$")


class Project:
    """A checked Compose file: ``model`` (interpolated, only the active profiles' services),
    ``directory`` (relative paths start there, or None), ``missing`` (unset variables),
    ``variables`` (what interpolation used; a bare name in ``environment`` takes its value)."""

    def __init__(self, name, model, directory, missing, variables=None):
        self.name = name
        self.model = model
        self.directory = directory
        self.missing = missing
        self.variables = variables or {}

    @property
    def services(self):
        return self.model.get("services") or {}


def project_name(name):
    if not isinstance(name, str) or not _PROJECT.match(name):
        raise InvalidSpec("project name %r: lower-case letters, digits, - and _, starting with a letter or digit"
                          % (name,), name=name)
    return name


def load(name, *, definition=None, project_src=None, env=None, profiles=()):
    """The project ``name`` from ``definition`` (the file as data) or the Compose file in
    ``project_src``; ``project_src`` is also where relative paths and ``.env`` are."""
    name = project_name(name)
    directory = _directory(project_src)
    if definition is None:
        if directory is None:
            raise InvalidSpec("a stack needs definition (the Compose file as data) or project_src (its directory)")
        definition = _read_file(directory)
    if not isinstance(definition, dict):
        raise InvalidSpec("the Compose file must be a mapping with services, not %s" % type(definition).__name__)
    variables = read_env_file(os.path.join(directory, ".env")) if directory else {}
    variables.update({str(k): "" if v is None else str(v) for k, v in (env or {}).items()})
    variables["COMPOSE_PROJECT_NAME"] = name  # the specification exposes the project's name as this
    model, missing = interpolate.interpolate(dict(definition), variables)
    model.pop("name", None)  # newer files name the project; the task's name decides here
    validate.validate(model)
    if not isinstance(model.get("services"), dict) or not model["services"]:
        raise InvalidSpec("the Compose file has no services", path="services")
    model["services"] = active_services(model["services"], profiles or ())
    return Project(name, model, directory, missing, variables)


def _directory(project_src):
    if project_src is None:
        return None
    if not isinstance(project_src, str) or not os.path.isabs(project_src):
        raise InvalidSpec("project_src must be an absolute path on the host, not %r" % (project_src,))
    if not os.path.isdir(project_src):
        raise InvalidSpec("project_src %s is not a directory" % project_src, path=project_src)
    return os.path.realpath(project_src)


def _read_file(directory):
    for file_name in FILE_NAMES:
        path = os.path.join(directory, file_name)
        if os.path.isfile(path):
            return parse_yaml(_read(path, "Compose file"), path)
    raise InvalidSpec("no Compose file in %s (looked for %s)" % (directory, ", ".join(FILE_NAMES)), path=directory)


def _read(path, what):
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise InvalidSpec("%s %s is larger than 4 MiB" % (what, path), path=path)
    return data.decode("utf-8", "replace")


def parse_yaml(text, where="the Compose file"):
    yaml = _deps.need_yaml()
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidSpec("%s is not YAML: %s" % (where, exc), path=where) from exc


def read_env_file(path, required=False):
    """Compose's ``.env``/``env_file`` lines: ``KEY=VALUE``, ``export KEY=VALUE``, values in
    single (taken as they are) or double quotes, ``#`` comments and blank lines skipped."""
    if not os.path.isfile(path):
        if required:
            raise InvalidSpec("env_file %s does not exist" % path, path=path)
        return {}
    out = {}
    for number, line in enumerate(_read(path, "env file").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise InvalidSpec("%s line %d: expected NAME=VALUE, not %r" % (path, number, line), path=path)
        out[match.group(1)] = _unquote(match.group(2))
    return out


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        return inner if value[0] == "'" else inner.replace("\\n", "\n").replace('\\"', '"')
    return re.sub(r"\s+#.*$", "", value)  # an inline comment after an unquoted value


def active_services(services, profiles):
    """The services of the active profiles (a service with no ``profiles`` is always active,
    ``*`` activates every profile); a dependency on an inactive service is an error."""
    wanted = set(profiles)
    active = {name: spec for name, spec in services.items()
              if not spec.get("profiles") or "*" in wanted or wanted & set(spec["profiles"])}
    for name, spec in active.items():
        for dependency in depends_on(spec):
            if dependency not in services:
                raise InvalidSpec("service %s depends on %s, which is not defined" % (name, dependency),
                                  path="services.%s.depends_on" % name)
            if dependency not in active:
                raise InvalidSpec("service %s depends on %s, which is not in the active profiles (%s)"
                                  % (name, dependency, ", ".join(sorted(wanted)) or "none"),
                                  path="services.%s.depends_on" % name)
    return active


def depends_on(spec):
    """{dependency: condition} from the short (list) or long (mapping) form."""
    value = spec.get("depends_on") or {}
    if isinstance(value, list):
        return {name: "service_started" for name in value}
    return {name: (item or {}).get("condition", "service_started") for name, item in value.items()}
