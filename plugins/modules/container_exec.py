#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: container_exec
short_description: Run a command in a running container, as docker exec does
version_added: 0.1.0
description:
  - Runs a command inside a running container, in its namespaces and cgroup and with its
    confinement, and returns its exit status and output.
  - Always reports C(changed=true) (the command may change anything), except in check mode,
    where nothing is run.
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
options:
  container:
    description:
      - The container's name or ID.
    type: str
    required: true
  argv:
    description:
      - The command as a list of arguments. Exactly one of I(argv) and I(command) is needed.
    type: list
    elements: str
  command:
    description:
      - The command as a string, split as a shell would split it (no shell runs it).
    type: str
  env:
    description:
      - Environment variables added to the container's.
    type: dict
  user:
    description:
      - C(user[:group]) to run as, by name or number. Defaults to the container's user.
    type: str
  chdir:
    description:
      - The working directory inside the container. Defaults to the container's.
    type: path
  stdin:
    description:
      - Text given to the command on its standard input.
    type: str
  timeout:
    description:
      - Fail when the command runs longer than this many seconds.
    type: int
attributes:
  check_mode:
    support: partial
    details:
      - Nothing runs in check mode; the module reports it would change.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - The command runs on every call.
notes:
  - A non-zero exit status of the command is returned in I(rc) and fails the task, as
    M(ansible.builtin.command) does.
seealso:
  - module: strata.containers.container
'''

EXAMPLES = r'''
- name: Read a file in the container
  strata.containers.container_exec:
    container: web
    argv: [cat, /etc/os-release]
  register: os_release

- name: Feed a script to a shell as another user
  strata.containers.container_exec:
    container: web
    command: sh -s
    user: nobody
    chdir: /tmp
    stdin: |
      id -u
      pwd
'''

RETURN = r'''
rc:
  description: The command's exit status.
  returned: when the command ran
  type: int
stdout:
  description: Its standard output.
  returned: when the command ran
  type: str
stderr:
  description: Its standard error.
  returned: when the command ran
  type: str
stdout_lines:
  description: Its standard output, line by line.
  returned: when the command ran
  type: list
  elements: str
'''

import shlex

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({
        "container": {"type": "str", "required": True},
        "argv": {"type": "list", "elements": "str"},
        "command": {"type": "str"},
        "env": {"type": "dict"},
        "user": {"type": "str"},
        "chdir": {"type": "path"},
        "stdin": {"type": "str"},
        "timeout": {"type": "int"},
    }, mutually_exclusive=[("argv", "command")], required_one_of=[("argv", "command")])

    def action():
        params = module.params
        argv = params["argv"] or shlex.split(params["command"])
        service = engine_for(module, read_only=True).containers
        record = service.containers.records.find(params["container"])
        if module.check_mode:
            return {"changed": True}
        rc, out, err = service.containers.exec(record, argv, env=params["env"], user=params["user"],
                                               chdir=params["chdir"], stdin=params["stdin"], timeout=params["timeout"])
        result = {"changed": True, "rc": rc, "stdout": out, "stderr": err, "stdout_lines": out.splitlines()}
        if rc != 0:
            module.fail_json(msg="the command exited with status %d" % rc, **result)
        return result

    run(module, action)


if __name__ == "__main__":
    main()
