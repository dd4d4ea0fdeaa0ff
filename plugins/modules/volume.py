#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: volume
short_description: Create and remove volumes, as docker volume create and rm do
version_added: 0.3.0
description:
  - Makes sure a named volume exists with the given driver options and labels, or does not
    exist, the way C(docker volume create) and C(docker volume rm) (and C(podman volume)) do.
    Containers mount it with a C(volume) entry of the I(mounts) option of M(strata.containers.container).
  - A volume belongs to a store root, C(<root>/volumes/<name>/_data) (the C(Mountpoint)).
  - A volume's options cannot change in place; see I(recreate).
  - A volume a container of the store uses (whatever its state) is not removed nor recreated
    unless I(force=true); the error names the containers.
  - An empty volume mounted where the container's image has content starts as a copy of that
    content (Docker's copy-up).
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
author:
  - strata.containers developers (@strata)
options:
  name:
    description:
      - The volume's name, C([a-zA-Z0-9][a-zA-Z0-9_.-]*), up to 128 characters.
    type: str
    required: true
  state:
    description:
      - C(present) makes sure it exists; C(absent) removes it and its content.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description:
      - The volume driver; only C(local), Docker's default.
    type: str
    default: local
  driver_options:
    description:
      - The C(local) driver's options, as C(docker volume create --opt); without them the volume is
        a directory in the store.
      - C(type=tmpfs) (with C(o=size=64m), say) keeps the content in memory.
      - C(type=none), C(o=bind) and C(device) (an existing host directory) make the volume that
        directory.
      - C(type=nfs) or C(nfs4), C(device) (C(:/export) or C(server:/export)) and C(o) with
        C(addr=<server>) mount an NFS export (the host needs the NFS client).
      - The volume is mounted at its first use by a container, and again after a reboot when a
        container starts.
    type: dict
    suboptions:
      type:
        description: The filesystem type, C(tmpfs), C(none) (with C(o=bind)), C(nfs) or C(nfs4).
        type: str
      device:
        description: What is mounted (C(tmpfs), a host directory, an NFS export).
        type: str
      o:
        description: Mount options, separated by commas (C(size=64m), C(bind), C(ro), C(addr=10.0.0.5)).
        type: str
  labels:
    description:
      - Labels of the volume.
    type: dict
  recreate:
    description:
      - What to do when the volume exists. C(never) leaves it as it is (even when I(driver_options)
        or I(labels) differ); C(options-changed) removes and creates it again when its driver,
        driver options or labels differ; C(always) removes and creates it again every time.
      - Recreating a volume loses its content.
    type: str
    choices: [never, options-changed, always]
    default: never
  force:
    description:
      - Remove (or recreate) a volume even while containers use it. Running containers keep the
        directory they mounted until they stop; a container's next start makes the volume again, empty.
    type: bool
    default: false
requirements:
  - Python 3.9 or newer on the target host.
  - Linux, run as root.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: partial
    details: With I(recreate=always) every run recreates the volume.
seealso:
  - module: strata.containers.volume_info
  - module: strata.containers.container
  - module: strata.containers.layer_prune
'''

EXAMPLES = r'''
- name: A volume for a database
  strata.containers.volume:
    name: pgdata
    labels:
      app: db

- name: The database keeps its files in it
  strata.containers.container:
    name: db
    image: registry.internal:5000/postgres:16
    mounts:
      - type: volume
        source: pgdata
        target: /var/lib/postgresql/data

- name: A 64 MiB volume in memory
  strata.containers.volume:
    name: scratch
    driver_options:
      type: tmpfs
      device: tmpfs
      o: size=64m

- name: A host directory as a volume
  strata.containers.volume:
    name: shared
    driver_options:
      type: none
      o: bind
      device: /srv/shared

- name: An NFS export
  strata.containers.volume:
    name: media
    driver_options:
      type: nfs
      o: addr=10.0.0.5,rw,nfsvers=4
      device: ":/srv/media"

- name: Remove it even if containers use it
  strata.containers.volume:
    name: scratch
    state: absent
    force: true
'''

RETURN = r'''
volume:
  description: The volume as C(docker volume inspect) shows it (empty when absent).
  returned: always
  type: dict
  sample:
    Name: pgdata
    Driver: local
    Mountpoint: /var/lib/strata/volumes/pgdata/_data
    Labels: {app: db}
    Options: {}
    CreatedAt: "2026-12-03T17:00:00Z"
    Scope: local
actions:
  description: What was done (or, in check mode, would be done), such as C(create volume pgdata).
  returned: always
  type: list
  elements: str
diff:
  description: The volume's C(state), C(driver), C(driver_options) and C(labels) before and after.
  returned: when diff mode is on
  type: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "driver": {"type": "str", "default": "local"},
        "driver_options": {"type": "dict", "options": {"type": {"type": "str"}, "device": {"type": "str"},
                                                       "o": {"type": "str"}}},
        "labels": {"type": "dict"},
        "recreate": {"type": "str", "choices": ["never", "options-changed", "always"], "default": "never"},
        "force": {"type": "bool", "default": False},
    })

    def action():
        params = module.params
        result = engine_for(module).volumes.ensure(
            params["name"], state=params["state"], driver=params["driver"], driver_options=params["driver_options"],
            labels=params["labels"], recreate=params["recreate"], force=params["force"])
        return result

    run(module, action)


if __name__ == "__main__":
    main()
