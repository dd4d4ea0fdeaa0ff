# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A project's networks and named volumes: the top-level ``networks`` and ``volumes`` of the
file as the network and volume services' options, created as ``<project>_<name>`` with the
Compose labels, and found again by those labels on ``down``."""

from __future__ import annotations

import ipaddress

from .._errors import InvalidSpec
from ..networks import definitions as network_definitions
from ..volumes import definitions
from . import naming


def network_options(project, name, spec):
    """The network service's options for the top-level network ``name``."""
    driver = spec.get("driver") or "bridge"
    if driver != "bridge":
        raise InvalidSpec("networks.%s: driver %s is not supported (bridge)" % (name, driver), path="networks.%s" % name)
    labels = dict(_labels(spec.get("labels")), **naming.object_labels(project, naming.NETWORK, name))
    options = {"labels": labels, "internal": spec.get("internal") or None,
               "enable_ipv6": spec.get("enable_ipv6") or None}
    for entry in (spec.get("ipam") or {}).get("config") or ():
        subnet = entry.get("subnet")
        if not subnet:
            continue
        version = ipaddress.ip_network(subnet, strict=False).version
        prefix = "" if version == 4 else "ipv6_"
        options[prefix + "subnet"] = subnet
        if entry.get("gateway"):
            options[prefix + "gateway"] = entry["gateway"]
        if entry.get("ip_range") and version == 4:
            options["ip_range"] = entry["ip_range"]
    return options


def volume_options(project, name, spec):
    driver = spec.get("driver") or "local"
    labels = dict(_labels(spec.get("labels")), **naming.object_labels(project, naming.VOLUME, name))
    return {"driver": driver, "driver_options": dict(spec.get("driver_opts") or {}) or None, "labels": labels}


def check_network(project, name, spec, host_name):
    """A top-level network the project will make, checked as the network service will make it
    (a driver, an IPv6 subnet without enable_ipv6, a subnet overlapping another network...)
    before anything is made. One that exists is the network service's to compare."""
    at = "networks.%s" % name
    options = {k: v for k, v in network_options(project, name, spec).items() if v is not None}
    try:
        if network_definitions.load(host_name) is None:
            network_definitions.build(host_name, taken=network_definitions.all_networks(), **options)
    except InvalidSpec as exc:
        raise InvalidSpec("%s: %s" % (at, exc), path=at) from exc


def check_volume(name, spec):
    """The top-level volume's driver and options, checked before anything is made."""
    at = "volumes.%s" % name
    try:
        definitions.check_driver(spec.get("driver") or "local")
        definitions.driver_options(dict(spec.get("driver_opts") or {}) or None)
    except InvalidSpec as exc:
        raise InvalidSpec("%s: %s" % (at, exc), path=at) from exc


def _labels(value):
    if isinstance(value, list):
        return dict(item.partition("=")[::2] for item in value)
    return {str(k): str(v) for k, v in (value or {}).items()}


def project_networks(networks_service, project):
    """Names of the host's networks labelled as this project's."""
    return sorted(n["name"] for n in networks_service.info()
                  if (n.get("labels") or {}).get(naming.PROJECT) == project)


def project_volumes(volumes_service, project):
    return sorted(v["Name"] for v in volumes_service.info()
                  if (v.get("Labels") or {}).get(naming.PROJECT) == project)
