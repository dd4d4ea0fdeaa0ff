# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compose's names and labels, so that users and ``docker compose ps``-style tools recognise a
stack's objects: containers ``<project>-<service>-<n>``, networks and volumes
``<project>_<name>``, and the ``com.docker.compose.*`` labels."""

from __future__ import annotations

import hashlib
import json

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"
CONFIG_HASH = "com.docker.compose.config-hash"
ONEOFF = "com.docker.compose.oneoff"
NETWORK = "com.docker.compose.network"
VOLUME = "com.docker.compose.volume"
DEPENDS = "com.docker.compose.depends_on"


def container_name(project, service, number):
    return "%s-%s-%d" % (project, service, number)


def object_name(project, name):
    """A network's or a volume's name on the host: ``<project>_<name>``."""
    return "%s_%s" % (project, name)


def config_hash(config):
    """The hash of a service's configuration (its container options and image reference),
    which says whether an existing container still matches the file."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def container_labels(project, service, number, digest, depends=None):
    """``depends``: {service: condition}, in the label as Compose writes it (``db:service_healthy:false``)."""
    depends = depends or {}
    return {PROJECT: project, SERVICE: service, NUMBER: str(number), CONFIG_HASH: digest, ONEOFF: "False",
            DEPENDS: ",".join("%s:%s:false" % (name, depends[name]) for name in sorted(depends))}


def object_labels(project, kind, name):
    return {PROJECT: project, kind: name}
