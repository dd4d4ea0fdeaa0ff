#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: container_copy
short_description: Copy a file into a container, as docker cp does
version_added: 0.3.0
description:
  - Writes one file into a container's filesystem, from a file on the target host (I(path)) or
    from I(content), as C(docker cp) and community.docker's C(docker_container_copy_into) do.
  - Works on running and stopped containers - the file goes into the container's root filesystem
    (its writable layer), seen at once by a running container.
  - Idempotent - the file is written only when its content, owner or mode differ.
  - Confined to the container - symbolic links in the container are resolved inside it (an
    absolute link starts at the container's C(/)), each directory is opened without following a
    link, and the file is written through those open directories, so a running container that
    swaps a directory for a link meanwhile cannot make the write land on the host. A C(..) or a
    link that climbs above the container's C(/) is refused.
  - The file is written beside its destination and renamed over it (readers see the old file or
    the new one).
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
author:
  - strata.containers developers (@strata)
options:
  container:
    description: The container's name or ID.
    type: str
    required: true
  path:
    description:
      - A regular file on the target host to copy. Exactly one of I(path) and I(content).
    type: path
  content:
    description:
      - The file's content. Exactly one of I(path) and I(content).
    type: str
  content_is_b64:
    description: I(content) is base64, for binary files.
    type: bool
    default: false
  container_path:
    description:
      - The file's absolute path in the container. Its directory must exist.
      - A path on a mount of the container (a volume, a bind mount, C(/etc/hosts), C(/dev)) is
        refused - write to what is mounted there instead.
    type: str
    required: true
  owner_id:
    description: The file's owner, a number. Default C(0) (or the user of I(owner)).
    type: int
  group_id:
    description: The file's group, a number. Default C(0) (or the primary group of I(owner)).
    type: int
  owner:
    description: The file's owner, a name from the container's C(/etc/passwd) or a number.
    type: str
  group:
    description: The file's group, a name from the container's C(/etc/group) or a number.
    type: str
  mode:
    description:
      - The file's mode, a number or an octal string such as C('0640'). Default the mode of the
        I(path) file, C(0644) for I(content).
    type: raw
  follow:
    description:
      - When I(container_path) is a symbolic link in the container, write the file it points to
        (resolved inside the container) instead of replacing the link.
    type: bool
    default: false
  force:
    description:
      - C(true) writes the file always; C(false) only when nothing is at I(container_path).
        Unset, it is written when its content, owner or mode differ.
    type: bool
notes:
  - Copying out of a container is C(strata cp CONTAINER:PATH DEST).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The SHA-256 of the content, the mode, the owner and the group before and after.
  idempotent:
    support: full
seealso:
  - module: strata.containers.container
  - module: strata.containers.container_exec
'''

EXAMPLES = r'''
- name: docker cp app.conf web:/etc/app/app.conf
  strata.containers.container_copy:
    container: web
    path: /srv/app/app.conf
    container_path: /etc/app/app.conf
    owner: app
    mode: '0640'

- name: A small file from a template
  strata.containers.container_copy:
    container: web
    content: "{{ lookup('template', 'motd.j2') }}"
    container_path: /etc/motd
'''

RETURN = r'''
container:
  description: The container's name.
  returned: always
  type: str
container_path:
  description: The path as given.
  returned: always
  type: str
path_in_container:
  description: Where the file is, once the container's symbolic links are resolved.
  returned: always
  type: str
actions:
  description: What was done (or, in check mode, would be done).
  returned: always
  type: list
  elements: str
diff:
  description: C(sha256), C(mode), C(uid) and C(gid) of the file before (null when there was none) and after.
  returned: when diff mode is on
  type: dict
'''

import base64
import binascii

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({
        "container": {"type": "str", "required": True},
        "path": {"type": "path"},
        "content": {"type": "str", "no_log": False},
        "content_is_b64": {"type": "bool", "default": False},
        "container_path": {"type": "str", "required": True},
        "owner_id": {"type": "int"},
        "group_id": {"type": "int"},
        "owner": {"type": "str"},
        "group": {"type": "str"},
        "mode": {"type": "raw"},
        "follow": {"type": "bool", "default": False},
        "force": {"type": "bool"},
    }, mutually_exclusive=[("path", "content"), ("owner", "owner_id"), ("group", "group_id")],
        required_one_of=[("path", "content")])

    def action():
        params = module.params
        content = params["content"]
        if content is not None:
            content = _decode(content) if params["content_is_b64"] else content.encode("utf-8")
        owner = params["owner"] if params["owner_id"] is None else str(params["owner_id"])
        group = params["group"] if params["group_id"] is None else str(params["group_id"])
        result = engine_for(module).containers.copy_into(
            params["container"], params["container_path"], content=content, path=params["path"],
            mode=_mode(params["mode"]), owner=owner, group=group, follow=params["follow"], force=params["force"])
        return result

    def _decode(text):
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            module.fail_json(msg="content is not valid base64 (content_is_b64 is true)")

    def _mode(value):
        if value is None:
            return None
        try:
            mode = value if isinstance(value, int) else int(str(value), 8)
        except ValueError:
            module.fail_json(msg="mode %r is not an octal number such as '0644'" % (value,))
        if not 0 <= mode <= 0o7777:
            module.fail_json(msg="mode %r is out of range (0 to 07777)" % (value,))
        return mode

    run(module, action)


if __name__ == "__main__":
    main()
