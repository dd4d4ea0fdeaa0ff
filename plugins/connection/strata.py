# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run Ansible tasks inside a running container of the store, through the OCI runtime's exec,
from the controller (which must be the container host)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: strata
short_description: Run tasks inside a running strata container
version_added: 0.1.0
description:
  - Runs Ansible tasks inside a running container of a strata store on the controller, as
    C(community.docker.docker) does for Docker containers, without any daemon.
  - Each command runs as C(/bin/sh -c <command>) in the container's namespaces, cgroup and
    confinement, through the OCI runtime's C(exec) with the process of the container's own
    bundle (its environment, working directory and user, unless I(remote_user) is set).
  - Files are copied in and out by a C(cat) that runs inside the container, so they go through
    its mounts (bind mounts and volumes included), are owned by the user the commands run as,
    and a read-only root filesystem stays read-only. Nothing is written through the container's
    root directory on the host.
  - Either the controller is the container host (the engine runs in-process on the controller),
    or I(container_host) names the host over SSH, as the P(strata.containers.strata#inventory)
    inventory plugin sets it. Then the collection's engine is copied there once as a zip (under the SSH user's
    C(~/.ansible/strata/), named by its content hash) and each command runs through it, with
    the host's Python (which needs the engine's packages, as M(strata.containers.container) does).
  - The target needs C(/bin/sh) and C(cat) (busybox will do) and, for modules, Python.
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - connection_pipelining
options:
  container:
    description:
      - The container's name or ID (or a unique prefix of its ID).
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_strata_container
  root:
    description:
      - The store's root directory on the controller, where the container lives.
    type: path
    default: /var/lib/strata
    env:
      - name: ANSIBLE_STRATA_ROOT
    vars:
      - name: ansible_strata_root
  runtime:
    description:
      - The OCI runtime, C(runc) or C(crun), the one the container was started with (the
        I(runtime) of M(strata.containers.container)).
      - By default C(runc) if installed, else C(crun), as M(strata.containers.container) chooses.
    type: str
    choices: [runc, crun]
    env:
      - name: ANSIBLE_STRATA_RUNTIME
    vars:
      - name: ansible_strata_runtime
  container_host:
    description:
      - The container host, when it is not the controller, reached over SSH (one shared master
        connection). A dict with C(address) (required) and optionally C(port), C(user),
        C(private_key_file), C(ssh_args) (extra C(ssh) arguments, one string), C(python) (on the
        host; default C(python3)), C(become) (run the engine with C(sudo -n)), C(agent_dir) (where
        the engine's zip goes, relative to the SSH user's home; default C(.ansible/strata)),
        C(control_path_dir) (default C(~/.ansible/cp)).
      - I(root) and I(runtime) apply on that host.
      - An exit status of 255 is taken as an unreachable host, as Ansible's C(ssh) connection does.
    type: dict
    vars:
      - name: ansible_strata_container_host
    version_added: 0.3.0
  remote_user:
    description:
      - C(user[:group]) to run commands as inside the container, by name (looked up in the
        container's C(/etc/passwd) and C(/etc/group)) or number.
      - By default the container's own user (its image's C(USER) or the I(user) it was created with).
    type: str
    vars:
      - name: ansible_user
      - name: ansible_strata_user
    keyword:
      - name: remote_user
notes:
  - Without I(container_host), the controller must run as root on the container host; with it,
    the SSH user must be root there or I(container_host.become) set. The container must be running (a stopped or missing container makes the host unreachable).
  - Privilege escalation that asks for a password is not supported (no terminal is allocated);
    the commands run as root by default anyway.
seealso:
  - module: strata.containers.container
  - module: strata.containers.container_exec
'''

EXAMPLES = r'''
# In the inventory, each container is a host:
#
#   all:
#     hosts:
#       web:
#         ansible_connection: strata.containers.strata
#         ansible_strata_root: /var/lib/strata
#         ansible_python_interpreter: /usr/bin/python3
#
# or ad hoc: ansible -i web, -c strata.containers.strata -m ansible.builtin.setup all
#
# A container on another host, over SSH (the strata.containers.strata inventory plugin
# writes these for every container it finds):
#
#       web@node1:
#         ansible_connection: strata.containers.strata
#         ansible_strata_container: web
#         ansible_strata_container_host: {address: node1.example.com, user: root}

- name: Configure the container web
  hosts: web
  tasks:
    - name: Write the message of the day
      ansible.builtin.copy:
        content: "hello\n"
        dest: /etc/motd
        mode: "0644"
'''

import os
import subprocess
import tempfile

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

from ansible_collections.strata.containers.plugins.module_utils._errors import EngineError
from ansible_collections.strata.containers.plugins.module_utils.containers import attach
from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.plugin_utils.container_host import ContainerHost

display = Display()

SHELL = "/bin/sh"


class Connection(ConnectionBase):
    """Tasks in a running container of a strata store, exec'd by the OCI runtime, on the
    controller or on a container host over SSH."""

    transport = "strata.containers.strata"
    has_pipelining = True
    has_tty = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = None
        self.record = None
        self.container = None
        self.host = None

    # ------------------------------------------------------------------ connect
    def _connect(self):
        if self._connected:
            return self
        self.container = self.get_option("container") or self._play_context.remote_addr
        root = self.get_option("root")
        settings = self.get_option("container_host")
        if settings:
            self.host = ContainerHost(dict(settings, root=root, runtime=self.get_option("runtime")))
            self.host.ensure_agent()
            where = "%s ON %s" % (root, self.host.address)
        else:
            self._connect_local(root)
            where = root
        display.vvv("ESTABLISH STRATA CONNECTION TO CONTAINER %s IN %s" % (self.container, where), host=self.container)
        self._connected = True
        return self

    def _connect_local(self, root):
        try:
            self.service = Engine(root, read_only=True, runtime=self.get_option("runtime")).containers
            self.record = self.service.find(self.container)
            if self.record is None:
                raise AnsibleConnectionFailure("no container %s in the store %s" % (self.container, root))
            status = self.service.containers.status(self.record)
        except EngineError as exc:
            raise AnsibleConnectionFailure("cannot reach container %s in %s: %s" % (self.container, root, exc)) from exc
        if status != "running":
            raise AnsibleConnectionFailure("container %s is %s, not running" % (self.container, status))

    def reset(self):
        self.close()

    def close(self):
        self.service = None
        self.record = None
        self.host = None
        self._connected = False

    # ------------------------------------------------------------------ running
    def _run(self, argv, in_data=None, stdin=None, stdout=None):
        """Run ``argv`` in the container: (rc, stdout bytes, stderr bytes). ``stdin`` and
        ``stdout`` may be open files, handed to the process as they are (the runtime passes its
        own standard streams through when there is no terminal)."""
        user = self.get_option("remote_user") or ""
        if self.host is not None:
            rc, out, err = self.host.agent(["exec", self.container, user, "--"] + list(argv),
                                           in_data=in_data, stdin=stdin, stdout=stdout)
            if rc != 0 and attach.runtime_failed(err):
                raise AnsibleConnectionFailure("cannot exec in container %s on %s: %s"
                                               % (self.container, self.host.address, to_text(err.strip().splitlines()[-1])))
            return rc, out, err
        containers = self.service.containers
        try:
            with attach.exec_argv(containers, self.record, argv, user or None) as command:
                proc = subprocess.Popen(command, stdin=subprocess.PIPE if in_data is not None else
                                        (stdin if stdin is not None else subprocess.DEVNULL),
                                        stdout=stdout if stdout is not None else subprocess.PIPE,
                                        stderr=subprocess.PIPE)
                out, err = proc.communicate(in_data)
        except EngineError as exc:
            raise AnsibleConnectionFailure("container %s: %s" % (self.container, exc)) from exc
        except OSError as exc:
            raise AnsibleConnectionFailure("cannot run the OCI runtime: %s" % to_native(exc)) from exc
        if proc.returncode != 0:
            self._check_failure(err)
        return proc.returncode, out or b"", err

    def _check_failure(self, err):
        """A failed command is the command's business unless the container is gone or the
        runtime itself failed: then the host is unreachable."""
        try:
            status = self.service.containers.status(self.record)
        except EngineError:
            status = "unknown"
        if status != "running":
            self.close()
            raise AnsibleConnectionFailure("container %s is %s, not running" % (self.container, status))
        if attach.runtime_failed(err):
            raise AnsibleConnectionFailure("cannot exec in container %s: %s"
                                           % (self.container, to_text(err.strip().splitlines()[-1], errors="surrogate_or_replace")))

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if sudoable and self.become and self.become.expect_prompt():
            raise AnsibleError("become with a password prompt is not supported by the strata connection")
        display.vvv("EXEC %s" % to_text(cmd), host=self.container)
        return self._run([SHELL, "-c", to_text(cmd, errors="surrogate_or_strict")],
                         in_data=to_bytes(in_data) if in_data is not None else None)

    # ------------------------------------------------------------------ files
    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self.container)
        if not os.path.isfile(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % to_native(in_path))
        with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as source:
            rc, dummy, err = self._run([SHELL, "-c", 'exec cat > "$1"', "sh", to_text(out_path)], stdin=source)
        if rc != 0:
            raise AnsibleError("failed to transfer %s to %s in container %s: %s"
                               % (to_native(in_path), to_native(out_path), self.container, to_native(err.strip())))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self.container)
        target = to_bytes(out_path, errors="surrogate_or_strict")
        fd, partial = tempfile.mkstemp(prefix=b".strata-fetch-", dir=os.path.dirname(target) or b".")
        try:
            with os.fdopen(fd, "wb") as dest:
                rc, dummy, err = self._run([SHELL, "-c", 'exec cat < "$1"', "sh", to_text(in_path)], stdout=dest)
            if rc != 0:
                raise AnsibleError("failed to fetch %s from container %s: %s"
                                   % (to_native(in_path), self.container, to_native(err.strip())))
            os.chmod(partial, 0o666 & ~_umask())
            os.rename(partial, target)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
