# -*- coding: utf-8 -*-
"""A fleet of "hosts" on this machine, each reached by Ansible over SSH, for tests that drive
several hosts at once.

Each host is a network namespace ``strata-fleet-N`` joined by a veth pair to the bridge
``stfleet0`` (10.231.0.1/24 on this side), with the address 10.231.0.(10+N), its own ``sshd``
(root login with a key made here; it joins the namespace with ``nsenter --net``, see _sshd)
and its own store root, and its own network state (STRATA_NETWORKS_CONFIG and _RUN, set by its
sshd: definitions, addresses and aardvark-dns are per host). All hosts share this machine's
filesystem, so the target Python is this one (``sys.executable``). A registry serving a copy
of another registry's storage runs in the namespace ``strata-fleet-reg`` (10.231.0.250:5000),
the only registry the hosts can reach. A host made with ``isolated=True`` has an
``unreachable`` route to the registry: SSH works, pulls fail.

    with Fleet(workdir, hosts=5, isolated=1) as fleet:   # start(registry_data) brings it up
        fleet.start("/var/tmp/.../registry/data")
        run = fleet.playbook("site.yml", limit="fleet", forks=5)
        run.recap["fleet1"]["changed"]

stop() (also on __exit__) always tears everything down in reverse order, each step on its own:
containers on every store root (by the engine, then anything left by PID), the SSH control
masters, sshd and the registry by PID, then every process left in the namespaces (by PID), the
veths, the namespaces and the bridge, the store roots and the work directory. Only 127.0.0.1
and addresses in these namespaces are ever contacted.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from unittest import mock

from ansible_runner import _env
from rig.host import unmount_under
from rig.registry import BINARY as REGISTRY_BINARY
from rig.registry import CONFIG as REGISTRY_CONFIG

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.runtime import oci

BRIDGE = "stfleet0"
NETNS_PREFIX = "strata-fleet-"
REGISTRY_NETNS = NETNS_PREFIX + "reg"
NET = "10.231.0."
BRIDGE_ADDR = NET + "1"
REGISTRY_IP = NET + "250"
REGISTRY_PORT = 5000
REGISTRY_ADDR = "%s:%d" % (REGISTRY_IP, REGISTRY_PORT)
NETNS_DIR = "/run/netns"
# The bridge, namespaces and addresses above are fixed: one fleet on the machine at a time.
FLEET_LOCK = "/run/lock/strata-test-fleet.lock"
SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = "/run/sshd"
SSHD_CONFIG = """ListenAddress {addr}:22
HostKey {host_key}
PidFile none
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
Subsystem sftp internal-sftp
SetEnv STRATA_NETWORKS_CONFIG={networks}/etc STRATA_NETWORKS_RUN={networks}/run
"""
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                   r"(?:\s+skipped=(\d+))?(?:\s+rescued=(\d+))?(?:\s+ignored=(\d+))?", re.M)
RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


@contextlib.contextmanager
def exclusive():
    """Hold the machine's one fleet (two test workers, or two runs of the suite, wait here for
    each other): around a fleet's whole life, and the checks of what it leaves."""
    os.makedirs(os.path.dirname(FLEET_LOCK), exist_ok=True)
    with open(FLEET_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def running(registry_data, hosts=5, isolated=1):
    """A started Fleet, alone on the machine, over a copy of ``registry_data``; at the end
    everything goes, and the namespaces and links are as they were before."""
    with exclusive():
        before = our_network_objects()
        workdir = tempfile.mkdtemp(prefix="strata-fleet-", dir="/var/tmp")
        made = Fleet(workdir, hosts=hosts, isolated=isolated)
        try:
            made.start(registry_data)
            yield made
        finally:
            made.stop()
            after = our_network_objects()
            assert after == before, "the fleet left namespaces or links: %s (before: %s)" % (after, before)
            assert not os.path.exists(workdir)


def ip(*args, netns=None, check=True):
    """``ip ARGS`` (in ``netns`` when given); its stdout, or RuntimeError with its stderr."""
    cmd = (["ip", "netns", "exec", netns, "ip"] if netns else ["ip"]) + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    if check and proc.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), proc.stderr.strip()))
    return proc.stdout


def our_network_objects():
    """The namespaces and links a fleet makes that exist now (to prove stop() removed them)."""
    netns = sorted(line.split()[0] for line in ip("netns", "list").splitlines()
                   if line.startswith(NETNS_PREFIX))
    links = sorted(link["ifname"] for link in json.loads(ip("-j", "link", "show") or "[]")
                   if link["ifname"] == BRIDGE or link["ifname"].startswith("stfl"))
    return {"netns": netns, "links": links}


def die_with_parent():
    """preexec_fn: SIGTERM this child when the test process dies (PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def stop_process(proc, timeout=10):
    """SIGTERM a child we started (by its PID), then SIGKILL; safe on one already gone."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def kill_pid(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for_port(addr, port, timeout=20, proc=None):
    """True once something accepts TCP connections on addr:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((addr, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def network_state(directory):
    """The engine in this process uses the network state in ``directory`` (a fleet host's)."""
    return mock.patch.dict(os.environ, {"STRATA_NETWORKS_CONFIG": os.path.join(directory, "etc"),
                                        "STRATA_NETWORKS_RUN": os.path.join(directory, "run")})


def remove_all_containers(root, networks=None):
    """Every container in the store at ``root`` killed and removed (monitor and main process by
    PID if the engine could not), with the host's network state ``networks`` (its containers'
    namespaces go too); then whatever is still mounted below the root is unmounted."""
    with network_state(networks) if networks else contextlib.nullcontext():
        _remove_containers(root)
    unmount_under(root)


def _remove_containers(root):
    if os.path.isdir(os.path.join(root, "containers")):
        service = Engine(root).containers
        for record in service.containers.records.all():
            state = service.containers.records.state(record["id"])
            try:
                service.containers.remove(record, force=True)
            except Exception:  # pylint: disable=broad-except
                pass
            for key in ("monitor_pid", "pid"):
                if state.get(key):
                    kill_pid(state[key])
        shutil.rmtree(oci.state_dir(root), ignore_errors=True)


class FleetHost:
    """One host: its namespace, veth, address, store root and sshd."""

    def __init__(self, fleet, index, isolated=False):
        self.index = index
        self.name = "fleet%d" % index
        self.netns = "%s%d" % (NETNS_PREFIX, index)
        self.veth = "stfl%d" % index          # this side, on the bridge
        self.peer = "stfl%dp" % index         # the namespace's side, renamed eth0 there
        self.addr = NET + str(10 + index)
        self.isolated = isolated
        self.dir = os.path.join(fleet.workdir, self.name)
        self.root = os.path.join(self.dir, "root")
        self.networks = os.path.join(self.dir, "networks")  # its network state (network_state)
        self.sshd = None

    def hostvars(self):
        """Host variables of its own: where its files go, so hosts never share one."""
        return {"ansible_host": self.addr, "strata_root": self.root,
                "strata_lib_dir": os.path.join(self.dir, "lib"),
                "strata_sysctl_file": os.path.join(self.dir, "sysctl.d", "90-strata.conf"),
                "strata_modules_load_file": os.path.join(self.dir, "modules-load.d", "strata.conf"),
                "fleet_dir": self.dir}


class FleetRun:
    """An ansible-playbook run: rc, output, seconds and the PLAY RECAP as {host: {ok: n, ...}}."""

    def __init__(self, proc, seconds):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.seconds = seconds
        self.recap = {}
        for match in RECAP.finditer(proc.stdout.split("PLAY RECAP", 1)[-1]):
            self.recap[match.group(1)] = {key: int(value or 0) for key, value in zip(RECAP_KEYS, match.groups()[1:])}
        if not self.recap:
            raise AssertionError("no PLAY RECAP in ansible-playbook output:\n" + self.output)

    def __str__(self):
        return "rc=%d in %.1fs\n%s" % (self.rc, self.seconds, self.output[-6000:])


class Fleet:  # pylint: disable=too-many-instance-attributes
    """``hosts`` hosts that reach the registry and ``isolated`` more that cannot (see the module doc)."""

    def __init__(self, workdir, hosts=5, isolated=1, python=None):
        self.workdir = workdir
        self.python = python or sys.executable
        self.hosts = [FleetHost(self, n, isolated=n > hosts) for n in range(1, hosts + isolated + 1)]
        self.client_key = os.path.join(workdir, "ssh", "client_key")
        self.control_dir = os.path.join(workdir, "cp")
        self.inventory = os.path.join(workdir, "inventory.json")
        self.registry = None
        self.made_privsep_dir = False
        self.made = {"bridge": False, "netns": [], "veths": []}

    # ------------------------------------------------------------------ bring up
    def start(self, registry_data):
        """The network, the registry over a copy of ``registry_data``, sshd on every host, the inventory."""
        leftovers = our_network_objects()
        if leftovers["netns"] or leftovers["links"]:
            raise RuntimeError("a fleet's namespaces or links already exist (an earlier run crashed?): %s" % leftovers)
        os.makedirs(self.control_dir, mode=0o700)
        self._network()
        self._registry(registry_data)
        self._ssh_keys()
        for host in self.hosts:
            self._sshd(host)
        self._write_inventory()
        return self

    def _network(self):
        ip("link", "add", BRIDGE, "type", "bridge")
        self.made["bridge"] = True
        ip("addr", "add", BRIDGE_ADDR + "/24", "dev", BRIDGE)
        ip("link", "set", BRIDGE, "up")
        for name, veth, addr in [(h.netns, h.veth, h.addr) for h in self.hosts] + [(REGISTRY_NETNS, "stflreg", REGISTRY_IP)]:
            ip("netns", "add", name)
            self.made["netns"].append(name)
            ip("link", "add", veth, "type", "veth", "peer", "name", veth + "p")
            self.made["veths"].append(veth)
            ip("link", "set", veth + "p", "netns", name)
            ip("link", "set", veth, "master", BRIDGE, "up")
            ip("link", "set", "lo", "up", netns=name)
            ip("link", "set", veth + "p", "name", "eth0", netns=name)
            ip("addr", "add", addr + "/24", "dev", "eth0", netns=name)
            ip("link", "set", "eth0", "up", netns=name)
        for host in self.hosts:
            if host.isolated:
                ip("route", "add", "unreachable", REGISTRY_IP + "/32", netns=host.netns)

    def _registry(self, registry_data):
        data = os.path.join(self.workdir, "registry", "data")
        shutil.copytree(registry_data, data, symlinks=True)
        config = os.path.join(self.workdir, "registry", "config.yml")
        with open(config, "w") as handle:
            handle.write(REGISTRY_CONFIG.format(data=data, addr=REGISTRY_ADDR))
        with open(os.path.join(self.workdir, "registry", "log"), "ab") as log:
            self.registry = subprocess.Popen(["ip", "netns", "exec", REGISTRY_NETNS, REGISTRY_BINARY, "serve", config],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                             preexec_fn=die_with_parent)
        if not wait_for_port(REGISTRY_IP, REGISTRY_PORT, proc=self.registry):
            raise RuntimeError("the fleet's registry did not start; see %s/registry/log" % self.workdir)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open("http://%s/v2/" % REGISTRY_ADDR, timeout=10) as resp:
            if resp.status != 200:
                raise RuntimeError("the fleet's registry answers %d" % resp.status)

    def _ssh_keys(self):
        os.makedirs(os.path.dirname(self.client_key), mode=0o700)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "strata-fleet", "-f", self.client_key],
                       check=True, capture_output=True)
        shutil.copyfile(self.client_key + ".pub", os.path.join(self.workdir, "ssh", "authorized_keys"))
        if not os.path.isdir(PRIVSEP_DIR):  # sshd refuses to start without it
            os.makedirs(PRIVSEP_DIR, mode=0o755)
            self.made_privsep_dir = True

    def _sshd(self, host):
        """sshd joins only the namespace's network (nsenter): ``ip netns exec`` would also give it a
        private /sys without /sys/fs/cgroup, where no container could start."""
        os.makedirs(host.dir, mode=0o700)
        host_key = os.path.join(host.dir, "ssh_host_ed25519_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name, "-f", host_key],
                       check=True, capture_output=True)
        config = os.path.join(host.dir, "sshd_config")
        with open(config, "w") as handle:
            # its own network state (definitions, addresses, aardvark-dns), as a separate host has
            handle.write(SSHD_CONFIG.format(addr=host.addr, host_key=host_key, networks=host.networks,
                                            authorized_keys=os.path.join(self.workdir, "ssh", "authorized_keys")))
        with open(os.path.join(host.dir, "sshd.log"), "ab") as log:
            host.sshd = subprocess.Popen(["nsenter", "--net=" + os.path.join(NETNS_DIR, host.netns), SSHD, "-D", "-e", "-f", config],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                         preexec_fn=die_with_parent)
        if not wait_for_port(host.addr, 22, proc=host.sshd):
            raise RuntimeError("sshd of %s did not start; see %s/sshd.log" % (host.name, host.dir))

    def _write_inventory(self):
        common = {"ansible_connection": "ssh", "ansible_user": "root", "ansible_ssh_private_key_file": self.client_key,
                  "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                             "-o IdentitiesOnly=yes -o LogLevel=ERROR",
                  "ansible_python_interpreter": self.python, "fleet_registry": REGISTRY_ADDR}
        groups = {"fleet": {"hosts": {h.name: h.hostvars() for h in self.hosts if not h.isolated}},
                  "isolated": {"hosts": {h.name: h.hostvars() for h in self.hosts if h.isolated}}}
        with open(self.inventory, "w") as handle:
            json.dump({"all": {"vars": common, "children": groups}}, handle, indent=1)  # JSON is YAML

    # ------------------------------------------------------------------ use
    def env(self, pipelining=False):
        env = _env()
        env.update({"ANSIBLE_SSH_CONTROL_PATH_DIR": self.control_dir, "ANSIBLE_HOST_KEY_CHECKING": "False",
                    "ANSIBLE_SSH_RETRIES": "0", "ANSIBLE_TIMEOUT": "20",
                    "ANSIBLE_PIPELINING": "True" if pipelining else "False"})
        return env

    def playbook(self, path, limit=None, forks=5, extra_vars=None, pipelining=False, timeout=900):  # pylint: disable=too-many-arguments
        """ansible-playbook with the fleet's inventory; a FleetRun (its wall-clock seconds too).
        ``pipelining``: Ansible's SSH pipelining (one SSH command per task instead of four)."""
        cmd = ["ansible-playbook", "-i", self.inventory, "-f", str(forks), path]
        if limit:
            cmd += ["--limit", limit]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        started = time.monotonic()
        proc = subprocess.run(cmd, env=self.env(pipelining), capture_output=True, text=True, timeout=timeout, check=False)
        return FleetRun(proc, time.monotonic() - started)

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)

    # ------------------------------------------------------------------ tear down
    def stop(self):
        """Everything made, torn down; each step runs even when an earlier one failed. Returns the
        errors met (also raised at the end as one RuntimeError)."""
        errors = []

        def step(what, func, *args):
            try:
                func(*args)
            except Exception as exc:  # pylint: disable=broad-except
                errors.append("%s: %s" % (what, exc))

        for host in self.hosts:
            step("containers of " + host.name, remove_all_containers, host.root, host.networks)
        step("ssh control masters", self._close_control_masters)
        step("registry", stop_process, self.registry)
        for host in self.hosts:
            step("sshd of " + host.name, stop_process, host.sshd)
        for name in self.made["netns"]:
            step("processes in " + name, self._kill_netns_processes, name)
        for veth in self.made["veths"]:
            step("veth " + veth, ip, "link", "del", veth)
        for name in self.made["netns"]:
            step("netns " + name, ip, "netns", "del", name)
        if self.made["bridge"]:
            step("bridge", ip, "link", "del", BRIDGE)
        self.made = {"bridge": False, "netns": [], "veths": []}
        if self.made_privsep_dir:
            step("sshd privsep dir", os.rmdir, PRIVSEP_DIR)
            self.made_privsep_dir = False
        step("work directory", shutil.rmtree, self.workdir)
        if errors:
            raise RuntimeError("fleet teardown: " + "; ".join(errors))

    def _close_control_masters(self):
        """The SSH connections Ansible keeps open (ControlPersist), closed by their sockets."""
        if not os.path.isdir(self.control_dir):
            return
        for name in os.listdir(self.control_dir):
            subprocess.run(["ssh", "-o", "ControlPath=" + os.path.join(self.control_dir, name), "-O", "exit", "fleet"],
                           capture_output=True, check=False, timeout=30)

    @staticmethod
    def _kill_netns_processes(name):
        """Whatever still runs in a namespace of ours (SSH sessions, a monitor) killed by PID."""
        for attempt in range(50):
            pids = [int(p) for p in ip("netns", "pids", name, check=False).split()]
            if not pids:
                return
            for pid in pids:
                kill_pid(pid)
            time.sleep(0.1 if attempt else 0.05)
        raise RuntimeError("processes %s survive in %s" % (pids, name))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
