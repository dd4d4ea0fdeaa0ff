# -*- coding: utf-8 -*-
"""A real host: the test VM (tests/rig/vm: Debian 12, systemd as PID 1, cgroup v2 only),
driven as a user drives one, ansible-playbook over SSH with the guest's /usr/bin/python3.

Code in the guest is emulated (QEMU/TCG), so the whole file shares one booted VM and a few
runs, in this order:

1. ``molecule test -s vm``: the scenario host's converge (roles/host: packages, kernel settings,
   strata-restart.service) and verify, over SSH, on the fresh guest;
2. ``site.yml`` (the containers that must survive a reboot) and
   ``probes.yml`` (one-shot: an OOM, journald, crun, a ticking counter left paused, a fork
   bomb), which ends by copying container_info's answers back here;
3. ``unpause.yml`` (resumes the counter);
4. after ``systemctl reboot``: ``info.yml`` (the state the boot left) then ``site.yml`` again,
   which must change nothing;
5. one playbook that deploys the Compose app of stack-app/ to two fleet hosts (fleet.py) and
   the guest (its down is test_stack.py's: the guest is thrown away, the fleet's teardown
   removes its containers).

Between them the tests read the guest's files over SSH (cgroup v2 files, the journal, systemd's
units). Images come from the session's registry, which the guest reaches as 10.0.2.2 (QEMU's
name for the host's loopback). The tests run in file order: each reads what the ones before left."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time

import fleet as fleet_lib
import pytest
from ansible_runner import _env  # pylint: disable=protected-access
from rig.vm import HOST_FROM_GUEST

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack-app")
COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1024 * 1024
PORT = 18080  # published by "web" on the guest's 127.0.0.1
TALKER = "echo first; echo second >&2; echo third"
LIMITED = {"memory": "64m", "cpus": 0.5, "pids_limit": 32}


def _container(name, **options):
    task = {"name": name, "image": "{{ image }}", "insecure_registries": ["{{ registry_host }}"],
            "command": ["sleep", "1000000"], "network_mode": "host"}
    task.update(options)
    return {"name": "Container " + name, "strata.containers.container": task}


def _play(tasks):
    return [{"hosts": "vm", "gather_facts": False, "tasks": tasks}]  # image, registry_host: the inventory's


def _save(out, *names):
    """A task that copies the registered results ``names`` to ``out`` on the controller."""
    content = "{{ {%s} | to_json }}" % ", ".join("'%s': %s" % (n, n) for n in names)
    return {"name": "Keep the answers", "ansible.builtin.copy": {"content": content, "dest": out, "mode": "0600"},
            "delegate_to": "localhost", "changed_when": False}


def _info_all(register):
    return {"name": "Every container", "strata.containers.container_info": {"all": True}, "register": register}


# What must be there after every boot: the second run after the reboot must change nothing.
SITE_TASKS = [
    _container("limits", restart_policy="unless-stopped", **LIMITED),
    _container("web", command=["httpd", "-f", "-p", "80", "-h", "/var/www"], network_mode="bridge",
               published_ports=["127.0.0.1:%d:80" % PORT], restart_policy="always"),
    _container("keeper", restart_policy="unless-stopped"),
    _container("idle", restart_policy="always", state="stopped"),
]


def _probe_tasks(out):
    hog_status = "(info.containers | selectattr('name', 'equalto', 'hog') | first).state.status"
    return [
        # the sleep: the container is up (and its monitor watching) before the allocation
        _container("hog", command=["sh", "-c", "sleep 3; exec dd if=/dev/zero of=/dev/null bs=100M count=1"],
                   memory="64m"),
        _container("journaled", command=["sh", "-c", TALKER], log_driver="journald",
                   log_options={"tag": "{{ '{{.Name}}' }}"}),
        _container("crun-limits", runtime="crun", memory="32m", cpus=0.25, pids_limit=16),
        _container("counter", command=["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /count.new; mv /count.new /count; sleep 1; done"]),
        {"name": "A fork bomb in the limited container",
         "strata.containers.container_exec": {
             "container": "limits",
             "argv": ["sh", "-c", "for i in $(seq 60); do sleep 100000 </dev/null >/dev/null 2>&1 & done 2>/dev/null"]},
         # once the limit is reached the shell cannot fork either: its own status is not the point
         "failed_when": False},
        {"name": "journaled's lines, read back from the journal",
         "strata.containers.container_info": {"name": "journaled", "logs": True},
         "register": "logs", "until": "logs.logs | length >= 3", "retries": 30, "delay": 2},
        {"name": "Pause the counter", "strata.containers.container": {"name": "counter", "state": "paused"}},
        dict(_info_all("info"), until=hog_status + " == 'exited'", retries=60, delay=5),
        _save(out, "info", "logs"),
    ]


def _stack_play(out):
    """The Compose app of stack-app/ on every host of the inventory (two fleet hosts and the VM)."""
    deploy = {"name": "shop", "project_src": "{{ app_dir }}", "wait": True, "wait_timeout": 300,
              "env": {"BUSYBOX": "{{ busybox }}", "WEB_PORT": "{{ web_port }}",
                      # networks are host-wide: apart from test_stack.py's, which may run meanwhile
                      "FRONT_SUBNET": "10.222.1.0/24", "BACK_SUBNET": "10.222.2.0/24"}}
    tasks = [{"name": "Copy the application", "ansible.builtin.copy": {"src": APP + "/", "dest": "{{ app_dir }}/",
                                                                       "mode": "preserve"}},
             {"name": "Compose up", "strata.containers.stack": deploy, "register": "deployed"},
             {"name": "Fetch web's page, from the host", "register": "page", "until": "'says' in page.content",
              "retries": 30, "delay": 2,
              "ansible.builtin.uri": {"url": "http://127.0.0.1:{{ web_port }}/cgi-bin/index.cgi", "return_content": True}},
             {"name": "Keep the answers", "delegate_to": "localhost", "changed_when": False,
              "ansible.builtin.copy": {"content": "{{ {'deployed': deployed, 'page': page} | to_json }}",
                                       "dest": out + "-{{ inventory_hostname }}.json", "mode": "0600"}}]
    return [{"hosts": "all", "gather_facts": False, "tasks": tasks,
             "vars": {
                 # the fleet's hosts share this machine's files and loopback ports: their own of each
                 "app_dir": "{{ fleet_dir ~ '/stack-app' if 'fleet' in group_names else '/srv/stack-app' }}",
                 "web_port": "{{ 18480 + groups['all'].index(inventory_hostname) }}",
                 "busybox": "{{ fleet_registry ~ '/test/busybox:latest' if 'fleet' in group_names else image }}"},
             "module_defaults": {"group/strata.containers.strata": {
                 "root": "{{ strata_root | default('/var/lib/strata') }}",
                 "insecure_registries": ["{{ busybox.split('/')[0] }}"]}}}]


class Guest:
    """The deployed VM: its playbooks, ansible-playbook runs, their answers and reads of its files."""

    def __init__(self, vm, work, registry):
        self.vm = vm
        self.work = work
        self.times = {"boot": vm.boot_seconds}
        self.molecule_run = None  # (exit code, output) of molecule test -s vm
        image = registry.images["busybox"].replace("127.0.0.1:", HOST_FROM_GUEST + ":", 1)
        self.extra_vars = {"image": image, "registry_host": image.split("/", 1)[0]}
        playbooks = {
            "site": _play(SITE_TASKS),
            "probes": _play(_probe_tasks(self.path("probes.json"))),
            "unpause": _play([{"name": "Resume the counter", "register": "counter",
                               "strata.containers.container": {"name": "counter", "state": "started"}},
                              _save(self.path("unpause.json"), "counter")]),
            "info": _play([_info_all("info"), _save(self.path("info.json"), "info")]),
        }
        for name, play in playbooks.items():
            with open(self.path(name + ".yml"), "w") as handle:
                json.dump(play, handle)  # JSON is YAML
        self.inventory = vm.inventory(self.path("inventory.json"), extra_vars=self.extra_vars)

    def path(self, name):
        return os.path.join(self.work, name)

    def play(self, *names, timeout=1800):
        """ansible-playbook NAME.yml... against the VM in one run -> its recap. Fails on a failed task."""
        env = dict(_env(), ANSIBLE_PIPELINING="True", ANSIBLE_TIMEOUT="120")
        started = time.monotonic()
        proc = subprocess.run(["ansible-playbook", "-i", self.inventory] + [self.path(n + ".yml") for n in names],
                              env=env, capture_output=True, text=True, timeout=timeout, check=False)
        self.times["+".join(names)] = time.monotonic() - started
        output = proc.stdout + proc.stderr
        match = re.search(r"^vm\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout, re.M)
        assert proc.returncode == 0 and match, output
        return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()))), output

    def molecule(self):
        """``molecule test -s vm`` (extensions/molecule/vm): the scenario host's converge
        (roles/host) and verify, over SSH to the guest -> (exit code, output)."""
        env = dict(_env(), STRATA_VM_PORT=str(self.vm.ssh_port), STRATA_VM_KEY=self.vm.key,
                   STRATA_VM_SSH_ARGS=" ".join(self.vm.ssh_options()[4:]),
                   MOLECULE_EPHEMERAL_DIRECTORY=self.path("molecule"), XDG_CACHE_HOME=self.path("cache"))
        started = time.monotonic()
        proc = subprocess.run(["molecule", "test", "-s", "vm"], cwd=COLLECTION, env=env, capture_output=True,
                              text=True, timeout=1800, check=False)
        self.times["molecule"] = time.monotonic() - started
        return proc.returncode, re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)

    def answers(self, name):
        with open(self.path(name + ".json")) as handle:
            return json.load(handle)

    def containers(self, name):
        """container_info's list from the answers ``name``, by container name."""
        return {c["name"]: c for c in self.answers(name)["info"]["containers"]}

    def cgroup(self, container):
        """The cgroup of the container's first process; in its scope (cgroup_manager systemd, the
        default under systemd), or in the scope's ``container`` child (crun's systemd driver)."""
        path = self.read("/proc/%d/cgroup" % container["state"]["pid"])
        scope = "0::/strata.slice/strata-%s.scope" % container["id"]
        assert path in (scope, scope + "/container"), path
        return "/sys/fs/cgroup" + path[3:]

    def read(self, path):
        return self.vm.ssh("cat %s" % path).stdout.strip()

    def assert_monitor_in_own_scope(self, container):
        """The container's monitor runs in a scope of its own (strata-monitor-<id>-*.scope) in
        strata.slice, not in the unit or SSH session that started it."""
        units = self.vm.ssh("systemctl list-units --plain --no-legend --state=running 'strata-monitor-%s-*'"
                            % container["id"]).stdout.split()
        scopes = [unit for unit in units if unit.endswith(".scope")]
        assert len(scopes) == 1, units
        group = self.vm.ssh("systemctl show -P ControlGroup %s" % scopes[0]).stdout.strip()
        assert group.startswith("/strata.slice/strata-monitor-"), group
        args = self.vm.ssh("for p in $(cat /sys/fs/cgroup%s/cgroup.procs); do tr '\\0' ' ' < /proc/$p/cmdline; echo; done"
                           % group).stdout
        assert "/bin/monitor " in args and container["id"] in args, args


@pytest.fixture(scope="module")
def guest(vm, registry):
    with tempfile.TemporaryDirectory(prefix="strata-vm-test-") as work:
        deployed = Guest(vm, work, registry)
        deployed.molecule_run = deployed.molecule()  # first: roles/host on the fresh guest
        deployed.play("site", "probes")
        yield deployed
        # one line for whoever tunes the rig (shown with -s; the guest's own view: systemd-analyze)
        sys.stderr.write("\nVM times (s): %s\n" % ", ".join("%s %.0f" % kv for kv in deployed.times.items()))


def test_the_molecule_scenario_vm_applies_the_host_role_over_ssh(guest):
    code, output = guest.molecule_run
    assert code == 0, output[-6000:]
    for step in ("converge", "verify"):
        assert re.search(r"vm \S+ %s: Executed: Successful" % step, output), step
    recaps = [int(c) for c in re.findall(r"strata-vm\s+: ok=\d+\s+changed=(\d+)", output)]
    # converge changes the fresh host; verify only reads (the role's idempotence: scenario host)
    assert len(recaps) == 2 and recaps[0] > 0 and recaps[1] == 0, recaps


def test_limits_are_in_the_cgroup_v2_files(guest):
    limits = guest.containers("probes")["limits"]
    scope = guest.cgroup(limits)
    assert guest.read(scope + "/memory.max") == str(64 * MIB)
    assert guest.read(scope + "/cpu.max") == "50000 100000"
    assert guest.read(scope + "/pids.max") == "32"
    # read back by container_info from the same files
    assert limits["resources"]["memory"] == 64 * MIB
    assert limits["resources"]["cpus"] == 0.5
    assert limits["resources"]["pids_limit"] == 32


def test_monitors_have_scopes_and_containers_stop_in_their_stop_timeout_at_shutdown(guest):
    for name in ("limits", "crun-limits"):
        container = guest.containers("probes")[name]
        guest.assert_monitor_in_own_scope(container)
        # systemd's default would wait 90 s at shutdown for a PID 1 that ignores SIGTERM
        assert guest.vm.ssh("systemctl show -P TimeoutStopUSec strata-%s.scope" % container["id"]).stdout.strip() == "10s"


def test_a_fork_bomb_stops_at_the_pids_limit(guest):
    scope = guest.cgroup(guest.containers("probes")["limits"])
    assert 2 < int(guest.read(scope + "/pids.current")) <= 32  # sleeps were made, 60 were not
    assert re.search(r"^max [1-9]", guest.read(scope + "/pids.events"), re.M)  # forks refused


def test_crun_runs_a_container_with_limits(guest):
    container = guest.containers("probes")["crun-limits"]
    assert container["state"]["status"] == "running"
    scope = guest.cgroup(container)
    assert guest.read(scope + "/memory.max") == str(32 * MIB)
    assert guest.read(scope + "/cpu.max") == "25000 100000"
    assert guest.read(scope + "/pids.max") == "16"
    # the container's process is crun's child, crun having been told to use systemd's cgroups
    assert "crun" in guest.vm.ssh("ps -eo args | grep -v grep | grep -- '--systemd-cgroup'").stdout


def test_an_oom_kill_is_reported_as_docker_does(guest):
    hog = guest.containers("probes")["hog"]
    assert hog["state"]["status"] == "exited"
    assert hog["state"]["exit_code"] == 137
    assert hog["state"]["oom_killed"] is True


def test_journald_lines_are_in_the_journal_and_read_back(guest):
    journaled = guest.containers("probes")["journaled"]
    full_id = journaled["id"]
    guest.vm.ssh("journalctl --sync")  # what journald received is written before it is read
    lines = guest.vm.ssh("journalctl --no-pager -o json CONTAINER_NAME=journaled").stdout.splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    assert [(e["MESSAGE"], e["PRIORITY"]) for e in entries] in (
        [("first", "6"), ("second", "3"), ("third", "6")],  # stdout and stderr are two pipes:
        [("first", "6"), ("third", "6"), ("second", "3")],  # they may interleave either way
        [("second", "3"), ("first", "6"), ("third", "6")])
    for entry in entries:
        assert (entry["CONTAINER_ID"], entry["CONTAINER_ID_FULL"]) == (full_id[:12], full_id)
        assert (entry["CONTAINER_TAG"], entry["SYSLOG_IDENTIFIER"]) == ("journaled", "journaled")
    assert journaled["log_path"] == ""
    # container_info read them back from the journal (tail, since: tests/integration/test_logs.py)
    logs = guest.answers("probes")["logs"]["logs"]
    assert sorted((e["stream"], e["log"]) for e in logs) == [
        ("stderr", "second\n"), ("stdout", "first\n"), ("stdout", "third\n")]


def test_pause_stops_the_counter_and_unpause_resumes_it(guest):
    counter = guest.containers("probes")["counter"]
    assert counter["state"]["status"] == "paused"
    count_file = "/var/lib/strata/containers/%s/upper/count" % counter["id"]
    scope = guest.cgroup(counter)
    assert guest.read(scope + "/cgroup.freeze") == "1"
    assert re.search(r"^frozen 1$", guest.read(scope + "/cgroup.events"), re.M)
    first = guest.read(count_file)
    assert first.isdigit(), "the counter has not ticked: %r" % first
    guest.vm.ssh("sleep 3")
    assert guest.read(count_file) == first
    guest.play("unpause")
    assert guest.answers("unpause")["counter"]["container"]["state"]["status"] == "running"
    assert guest.read(scope + "/cgroup.freeze") == "0"
    # it ticks again (polled: the time is no assertion)
    assert guest.vm.ssh("for i in $(seq 60); do [ \"$(cat %s)\" != \"%s\" ] && exit 0; sleep 1; done; exit 1"
                        % (count_file, first), check=False).returncode == 0


def test_after_a_reboot_the_restart_policies_hold_and_a_second_run_changes_nothing(guest):
    before = guest.containers("probes")
    assert before["idle"]["state"]["status"] in ("created", "exited")
    started = time.monotonic()
    guest.vm.reboot()
    # the boot is over (strata-restart.service has run) once systemd says so
    state = guest.vm.ssh("systemctl is-system-running --wait", check=False).stdout.strip()
    guest.times["reboot"] = time.monotonic() - started
    assert state == "running", "%s\n%s\nconsole:\n%s" % (
        state, guest.vm.ssh("systemctl list-jobs --no-pager; systemctl --failed --no-pager", check=False,
                            timeout=60).stdout, guest.vm.console_tail())
    assert guest.vm.ssh("systemctl is-active strata-restart.service").stdout.strip() == "active"
    recap, output = guest.play("info", "site")
    after = guest.containers("info")
    for name in ("web", "keeper", "limits"):
        assert after[name]["state"]["status"] == "running", after[name]["state"]
        assert after[name]["state"]["pid"] != before[name]["state"]["pid"]
    assert after["idle"]["state"]["status"] in ("created", "exited")
    assert after["counter"]["state"]["status"] == "exited"  # no restart policy
    # in their scopes again, with their limits, and serving
    assert guest.read(guest.cgroup(after["limits"]) + "/memory.max") == str(64 * MIB)
    assert guest.read(guest.cgroup(after["web"]) + "/cgroup.procs")
    # their monitors are not in the boot's oneshot unit, which holds no process after its run
    for name in ("web", "keeper", "limits"):
        guest.assert_monitor_in_own_scope(after[name])
    assert guest.vm.ssh("cat /sys/fs/cgroup/system.slice/strata-restart.service/cgroup.procs 2>/dev/null; true"
                        ).stdout.strip() == ""
    page = guest.vm.ssh("python3 -c 'import urllib.request as u; "
                        "print(u.urlopen(\"http://127.0.0.1:%d/\", timeout=30).read().decode())'" % PORT).stdout
    assert "hello from strata" in page
    # the second run of the site playbook found everything as it wanted it
    assert recap["changed"] == 0, output


def test_one_playbook_deploys_a_compose_app_to_two_fleet_hosts_and_the_vm(guest, registry):
    """The same Compose file (stack-app/, with its build context) to two network-namespace
    hosts over SSH and the VM, by one ansible-playbook run."""
    with fleet_lib.running(registry.data_dir, hosts=2, isolated=0) as fleet:
        playbook = guest.path("stack.yml")
        with open(playbook, "w") as handle:
            json.dump(_stack_play(guest.path("stack")), handle)
        started = time.monotonic()
        proc = subprocess.run(["ansible-playbook", "-i", fleet.inventory, "-i", guest.inventory, "-f", "3", playbook],
                              env=dict(fleet.env(pipelining=True), ANSIBLE_TIMEOUT="120"), capture_output=True,
                              text=True, timeout=1200, check=False)
        guest.times["stack"] = time.monotonic() - started
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        for name in ("fleet1", "fleet2", "vm"):
            with open(guest.path("stack-%s.json" % name)) as handle:
                answer = json.load(handle)
            containers = answer["deployed"]["containers"]
            assert answer["deployed"]["changed"] is True, (name, answer["deployed"])
            running = sorted(c["name"] for c in containers if c["state"]["running"])
            assert running == ["shop-api-1", "shop-db-1", "shop-web-1"], (name, containers)
            # web -> api (built on that host from the context) -> db, by service names
            assert "says hello" in answer["page"]["content"] and "db " in answer["page"]["content"], name
