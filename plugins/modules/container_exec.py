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
  - A command that exits with a non-zero status does not fail the task (its status is in I(rc)),
    as with C(community.docker.docker_container_exec) and C(containers.podman.podman_container_exec),
    unless I(fail_on_error=true).
  - Always reports C(changed=true). The command may change anything, and in check mode, where it
    does not run, nothing can tell what it would have done.
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
  fail_on_error:
    description:
      - Fail the task when the command exits with a non-zero status (its I(rc), I(stdout) and
        I(stderr) are still returned). By default the status is only returned.
    type: bool
    default: false
  tty:
    description:
      - Run the command on a pseudo-terminal, as C(docker exec -t) does (C(TERM=xterm) unless I(env)
        sets it). Its standard output and error then come together in I(stdout), with the terminal's
        C(\r\n) line ends, and I(stderr) is empty. I(stdin) is typed on the terminal (and echoed),
        then ended with Ctrl-D.
    type: bool
    default: false
  detach:
    description:
      - Start the command and return at once, as C(docker exec -d) does; nothing waits for it, its
        output is discarded, and I(rc), I(stdout) and I(stderr) are not returned. The task fails
        only when the command cannot be started (for example when it does not exist).
      - Cannot be used with I(tty) or I(stdin).
    type: bool
    default: false
attributes:
  check_mode:
    support: partial
    details:
      - Nothing runs in check mode and no result of the command is returned. The module checks that
        the container exists and is running (and I(user) and I(chdir)), and reports
        C(changed=true), since it cannot know what the command would do.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - The command runs on every call.
notes:
  - A non-zero exit status of the command is returned in I(rc); it fails the task only with
    I(fail_on_error=true). Use C(failed_when) for finer conditions.
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

- name: Fail the task if the check fails
  strata.containers.container_exec:
    container: web
    argv: [nginx, -t]
    fail_on_error: true

- name: Start a background job and go on at once
  strata.containers.container_exec:
    container: web
    argv: [sh, -c, "sleep 30; nginx -s reload"]
    detach: true
'''

RETURN = r'''
rc:
  description: The command's exit status.
  returned: when the command ran to its end (not in check mode, not with I(detach))
  type: int
  sample: 0
stdout:
  description: Its standard output (with I(tty), its standard error too).
  returned: when the command ran to its end (not in check mode, not with I(detach))
  type: str
stderr:
  description: Its standard error (empty with I(tty)).
  returned: when the command ran to its end (not in check mode, not with I(detach))
  type: str
stdout_lines:
  description: Its standard output, line by line.
  returned: when the command ran to its end (not in check mode, not with I(detach))
  type: list
  elements: str
stderr_lines:
  description: Its standard error, line by line.
  returned: when the command ran to its end (not in check mode, not with I(detach))
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
        "fail_on_error": {"type": "bool", "default": False},
        "tty": {"type": "bool", "default": False},
        "detach": {"type": "bool", "default": False},
    }, mutually_exclusive=[("argv", "command"), ("detach", "tty"), ("detach", "stdin")],
        required_one_of=[("argv", "command")])

    def action():
        params = module.params
        argv = params["argv"] or shlex.split(params["command"])
        containers = engine_for(module, read_only=True).containers.containers
        record = containers.records.find(params["container"])
        if module.check_mode:
            containers.check_exec(record, user=params["user"], chdir=params["chdir"])
            return {"changed": True}
        rc, out, err = containers.exec(record, argv, env=params["env"], user=params["user"], chdir=params["chdir"],
                                       stdin=params["stdin"], timeout=params["timeout"], tty=params["tty"],
                                       detach=params["detach"])
        if params["detach"]:
            return {"changed": True}
        result = {"changed": True, "rc": rc, "stdout": out, "stderr": err, "stdout_lines": out.splitlines(),
                  "stderr_lines": err.splitlines()}
        if rc != 0 and params["fail_on_error"]:
            module.fail_json(msg="the command exited with status %d (fail_on_error is true)" % rc, **result)
        result["failed"] = False  # said outright: Ansible takes a non-zero rc without it for a failure
        return result

    run(module, action)


if __name__ == "__main__":
    main()
