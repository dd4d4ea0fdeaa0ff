# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container host reached over SSH from the controller, for the inventory and connection
plugins: the collection's engine goes there once as a zip (the agent, module_utils/cli/agent.py,
cached under the SSH user's home by its content hash, as Ansible caches nothing but we can), and
every call is ``ssh HOST python3 AGENT --root R VERB ...`` over one shared SSH master."""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import subprocess
import zipfile

from ansible.errors import AnsibleConnectionFailure

from ansible_collections.strata.containers.plugins.module_utils import cli as _cli_package

AGENT_FAILED = 255  # the agent's own failures, and ssh's
PACKAGE = "ansible_collections/strata/containers/plugins/module_utils"
MAIN = (b"import sys\n"
        b"from ansible_collections.strata.containers.plugins.module_utils.cli.agent import main\n"
        b"sys.exit(main())\n")
# Keys of the container_host dict (the connection's ansible_strata_container_host).
KEYS = ("address", "port", "user", "private_key_file", "ssh_args", "python", "become", "agent_dir",
        "control_path_dir", "root", "runtime")
_AGENT = {}
_SENT = set()


def agent_zip():
    """The agent: module_utils as a zip Python runs (same bytes for the same code, so its hash
    names it). Made once per controller process."""
    if "zip" not in _AGENT:
        base = os.path.dirname(os.path.dirname(os.path.abspath(_cli_package.__file__)))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            def add(name, data):
                archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
            add("__main__.py", MAIN)
            parts = PACKAGE.split("/")
            for depth in range(1, len(parts)):
                add("/".join(parts[:depth]) + "/__init__.py", b"")
            for folder, dirs, files in os.walk(base):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(f for f in files if f.endswith(".py")):
                    path = os.path.join(folder, name)
                    with open(path, "rb") as handle:
                        add(PACKAGE + "/" + os.path.relpath(path, base).replace(os.sep, "/"), handle.read())
        data = buf.getvalue()
        _AGENT["zip"] = data
        _AGENT["name"] = "agent-%s.pyz" % hashlib.sha256(data).hexdigest()[:16]
    return _AGENT["zip"], _AGENT["name"]


class ContainerHost:
    """``settings``: the KEYS above; ``address`` is required, the others have SSH's defaults."""

    def __init__(self, settings):
        unknown = sorted(set(settings) - set(KEYS))
        if unknown:
            raise AnsibleConnectionFailure("unknown container host settings: %s (known: %s)"
                                           % (", ".join(unknown), ", ".join(KEYS)))
        if not settings.get("address"):
            raise AnsibleConnectionFailure("a container host needs an address")
        self.settings = dict(settings)
        self.address = settings["address"]

    def _ssh(self, command):
        s = self.settings
        control = os.path.expanduser(s.get("control_path_dir") or "~/.ansible/cp")
        os.makedirs(control, mode=0o700, exist_ok=True)
        argv = ["ssh", "-o", "BatchMode=yes", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s",
                "-o", "ControlPath=%s" % os.path.join(control, "strata-%C")]
        if s.get("port"):
            argv += ["-p", str(s["port"])]
        if s.get("user"):
            argv += ["-l", str(s["user"])]
        if s.get("private_key_file"):
            argv += ["-i", os.path.expanduser(str(s["private_key_file"]))]
        argv += shlex.split(s.get("ssh_args") or "")
        return argv + ["--", self.address, command]

    def _agent_path(self):
        dummy, name = agent_zip()
        return "%s/%s" % ((self.settings.get("agent_dir") or ".ansible/strata").rstrip("/"), name)

    def _call(self, command, in_data=None, stdin=None, stdout=None):
        try:
            proc = subprocess.Popen(self._ssh(command), stdin=subprocess.PIPE if in_data is not None else
                                    (stdin if stdin is not None else subprocess.DEVNULL),
                                    stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise AnsibleConnectionFailure("cannot run ssh: %s" % exc) from exc
        out, err = proc.communicate(in_data)
        return proc.returncode, out or b"", err or b""

    def ensure_agent(self):
        """The agent on the host, sent only when the host does not have this version yet."""
        path = self._agent_path()
        key = (self.address, self.settings.get("port"), self.settings.get("user"), path)
        if key in _SENT:
            return path
        quoted = shlex.quote(path)
        rc, dummy, err = self._call("test -s %s" % quoted)
        if rc == AGENT_FAILED:
            raise AnsibleConnectionFailure("cannot reach %s over SSH: %s" % (self.address, _text(err)))
        if rc != 0:
            data, dummy = agent_zip()
            script = ('umask 077 && mkdir -p "$(dirname "$1")" && cat > "$1.$$" && mv -f "$1.$$" "$1"')
            rc, dummy, err = self._call("sh -c %s sh %s" % (shlex.quote(script), quoted), in_data=data)
            if rc != 0:
                raise AnsibleConnectionFailure("cannot copy the strata agent to %s:%s: %s" % (self.address, path, _text(err)))
        _SENT.add(key)
        return path

    def agent(self, args, in_data=None, stdin=None, stdout=None):
        """``python3 AGENT --root R [--runtime X] ARGS...`` on the host: (rc, stdout, stderr)."""
        s = self.settings
        argv = [s.get("python") or "python3", self.ensure_agent(), "--root", s.get("root") or "/var/lib/strata"]
        if s.get("runtime"):
            argv += ["--runtime", s["runtime"]]
        command = " ".join(shlex.quote(str(a)) for a in argv + list(args))
        if s.get("become"):
            command = "sudo -n " + command
        rc, out, err = self._call(command, in_data=in_data, stdin=stdin, stdout=stdout)
        if rc == AGENT_FAILED:
            raise AnsibleConnectionFailure("%s: %s" % (self.address, _text(err) or "ssh failed"))
        return rc, out, err


def _text(data):
    return data.decode("utf-8", "replace").strip()
