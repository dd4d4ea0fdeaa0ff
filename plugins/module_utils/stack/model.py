# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A loaded project as the reconciler needs it: per service its image (or build), replica
count, dependencies with their conditions, and its container options checked as the container
module checks them; the start order; the project's networks and volumes. Everything that can be
wrong with the file is found here, before anything is pulled, built or started."""

from __future__ import annotations

from .._errors import EngineError, InvalidSpec
from ..containers import options as container_options
from . import naming, order, resources, service_options
from .load import depends_on


class ServiceSpec:
    def __init__(self, name, image, build, pull_policy, replicas, depends, container_name, params, options):
        self.name = name
        self.image = image
        self.build = build
        self.pull_policy = pull_policy
        self.replicas = replicas
        self.depends = depends
        self.container_name = container_name
        self.raw = params  # the container module's params; ``options``: the same, normalised
        self.options = options
        self.config_hash = naming.config_hash({"image": image, "build": build, "options": options})

    def container(self, project, number):
        return self.container_name or naming.container_name(project, self.name, number)

    def params(self, project, number):
        """The container module's params for replica ``number`` (the Compose labels added)."""
        params = dict(self.raw)
        params["labels"] = dict(self.raw.get("labels") or {},
                                **naming.container_labels(project, self.name, number, self.config_hash, self.depends))
        return params


class StackModel:
    def __init__(self, project, services, networks, volumes, external=None):
        self.project = project
        self.services = services  # {name: ServiceSpec}
        self.networks = networks  # {host name: (compose name, spec)} the project makes
        self.volumes = volumes
        self.external = external or {"networks": [], "volumes": []}  # host names that must exist
        self.order = order.start_order({n: set(s.depends) for n, s in services.items()})


def build_model(project, variables=None):
    variables = project.variables if variables is None else variables
    ctx = service_options.Context(project.name, project.directory, variables, project.model)
    for name, spec in project.services.items():  # the keys first: "extends not supported", not what it left out
        service_options.check_keys(name, spec)
    services = {name: _service(name, spec, ctx, project.name) for name, spec in project.services.items()}
    used_networks = {n["name"] for s in services.values() for n in s.options.get("networks") or ()}
    used_volumes = {m["source"] for s in services.values() for m in s.options.get("mounts") or ()
                    if m["type"] == "volume"}
    networks, external = {}, {"networks": [], "volumes": []}
    for name, spec in dict(project.model.get("networks") or {}, default=None).items():
        host_name = ctx.network(name)
        if host_name not in used_networks:
            continue
        if (spec or {}).get("external"):
            external["networks"].append(host_name)
        else:
            resources.check_network(project.name, name, spec or {}, host_name)  # what it cannot make: refused now
            networks[host_name] = (name, spec or {})
    volumes = {}
    for name, spec in (project.model.get("volumes") or {}).items():
        if (spec or {}).get("external"):
            if ctx.volume(name) in used_volumes:
                external["volumes"].append(ctx.volume(name))
            continue
        resources.check_volume(name, spec or {})
        volumes[ctx.volume(name)] = (name, spec or {})
    return StackModel(project.name, services, networks, volumes, external)


def _service(name, spec, ctx, project):
    where = "services.%s" % name
    if not spec.get("image") and not spec.get("build"):
        raise InvalidSpec("%s needs an image or a build" % where, path=where)
    build = spec.get("build")
    if build is not None:
        build = {"context": build} if isinstance(build, str) else dict(build)
        build["context"] = ctx.path(build.get("context") or ".", "%s.build.context" % where)
    image = spec.get("image") or "%s-%s" % (project, name)
    replicas = (spec.get("deploy") or {}).get("replicas")
    replicas = spec.get("scale", 1) if replicas is None else replicas
    if spec.get("container_name") and replicas != 1:
        raise InvalidSpec("%s: container_name allows one replica, not %d" % (where, replicas), path=where)
    try:
        params = service_options.container_options(name, spec, ctx)
        options = container_options.normalize(params)
    except EngineError as exc:
        if str(exc).startswith("services."):
            raise
        raise InvalidSpec("%s: %s" % (where, exc), path=exc.details.get("path") or where) from exc
    depends = depends_on(spec)
    mode = spec.get("network_mode") or ""
    if mode.startswith("service:"):  # it joins that service's namespace: it must run first
        depends.setdefault(mode.split(":", 1)[1], "service_started")
    return ServiceSpec(name, image, build, spec.get("pull_policy"), replicas, depends,
                       spec.get("container_name"), params, options)
