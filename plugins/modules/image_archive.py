#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: image_archive
short_description: Save, load, export and import images as tar files, as docker save/load/export/import do
version_added: 0.1.0
description:
  - C(save) writes one or several images to one tar, as C(docker save) (C(docker-archive), what
    C(docker load) and C(podman load) read) or as an OCI archive (C(oci-archive)).
  - C(load) reads images from an archive written by C(docker save), C(podman save), C(skopeo) or
    this module (docker-archive, OCI archive, or an OCI layout directory), with their tags. The
    archive may be compressed as a whole with gzip, zstd, xz or bzip2 (C(docker save | gzip)),
    as C(docker load) and C(podman load) take it; it is decompressed to a temporary file,
    within the limits a layer has (past 1 GiB, no more than 100 times its compressed size).
  - C(export) writes a container's whole filesystem as one tar, without history or layers.
  - C(import) makes a one-layer image from a tarball (plain, gzip or zstd), with I(changes).
  - Layers are saved byte for byte as they came in, so a save and a load give the same image ID
    and diff IDs. Every layer of a load is checked against its diff ID before anything is
    recorded; a bad archive loads nothing.
  - Saving or exporting to a file that already holds the same bytes, loading images that are
    already there with their tags, and importing the same tarball again report C(changed=false).
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
options:
  action:
    description:
      - What to do.
    type: str
    choices: [save, load, export, import]
    required: true
  path:
    description:
      - The archive. Written by C(save) and C(export) (its directory must exist); read by C(load)
        and C(import).
    type: path
    required: true
  names:
    description:
      - With I(action=save), the images, by name, ID or digest. Names given as C(name:tag) are kept
        as tags in the archive.
    type: list
    elements: str
  format:
    description:
      - With I(action=save), the archive's format.
    type: str
    choices: [docker-archive, oci-archive]
    default: docker-archive
  container:
    description:
      - With I(action=export), the container (name or ID).
    type: str
  name:
    description:
      - With I(action=import), the new image's name, C(name[:tag]).
    type: str
  changes:
    description:
      - With I(action=import), Dockerfile instructions for the new image's config, as
        C(docker import --change) takes them, for example C(CMD ["/bin/sh"]).
    type: list
    elements: str
  commit_message:
    description:
      - With I(action=import), the comment of its history entry (C(docker import -m)).
    type: str
attributes:
  check_mode:
    support: full
    details:
      - An export of a container whose filesystem is not mounted looks at it in a private mount
        namespace that ends with the check, so no mount is left on the host.
  diff_mode:
    support: none
  idempotent:
    support: full
seealso:
  - module: strata.containers.image
  - module: strata.containers.container
'''

EXAMPLES = r'''
- name: Back up an image, as docker save -o /backup/web.tar web:1.0
  strata.containers.image_archive:
    action: save
    names: [web:1.0]
    path: /backup/web.tar

- name: Bring it back on another host
  strata.containers.image_archive:
    action: load
    path: /backup/web.tar

- name: A container's files as one tar
  strata.containers.image_archive:
    action: export
    container: web
    path: /backup/web-rootfs.tar

- name: And a new image from them
  strata.containers.image_archive:
    action: import
    path: /backup/web-rootfs.tar
    name: web:flat
    changes:
      - CMD ["httpd", "-f", "-p", "80"]
'''

RETURN = r'''
actions:
  description: What was done, in Docker's words.
  returned: always
  type: list
  elements: str
images:
  description: The image IDs saved, or found in the archive loaded.
  returned: when action is save or load
  type: list
  elements: str
format:
  description: The format of the archive loaded (C(docker-archive), C(oci-archive) or C(oci-dir)).
  returned: when action is load
  type: str
image:
  description: The imported image as M(strata.containers.image_info) shows it. Empty in check mode.
  returned: when action is import
  type: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({
        "action": {"type": "str", "choices": ["save", "load", "export", "import"], "required": True},
        "path": {"type": "path", "required": True},
        "names": {"type": "list", "elements": "str"},
        "format": {"type": "str", "choices": ["docker-archive", "oci-archive"], "default": "docker-archive"},
        "container": {"type": "str"},
        "name": {"type": "str"},
        "changes": {"type": "list", "elements": "str"},
        "commit_message": {"type": "str"},
    })

    def action():
        params = module.params
        service = engine_for(module).archives
        if params["action"] == "save":
            return service.save(params["names"], params["path"], params["format"])
        if params["action"] == "load":
            return service.load(params["path"])
        if params["action"] == "export":
            if not params["container"]:
                raise InvalidSpec("action=export needs container")
            return service.export(params["container"], params["path"])
        if not params["name"]:
            raise InvalidSpec("action=import needs name, the new image's name")
        return service.import_tarball(params["path"], params["name"], params["changes"], params["commit_message"])

    run(module, action)


if __name__ == "__main__":
    main()
