# -*- coding: utf-8 -*-
"""The container, container_info and container_exec modules as a playbook uses them: a web
server published on 127.0.0.1 that outlives ansible-playbook, idempotency, recreate versus
update in place, copy-on-write, pause, stop escalation, isolation, and bad input."""

from __future__ import annotations

import os
import socket
import time
import urllib.request

import pytest
import treecompare
from ansible_runner import run_module
from rig import oci_writer

from ansible_collections.strata.containers.plugins.module_utils.runtime import oci

HTTPD = "mkdir -p /www && echo hello from strata > /www/index.html && exec httpd -f -p 80 -h /www"
# Docker's default capability set, as /proc/<pid>/status prints it (CapEff).
DOCKER_CAPS = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
CAP_NUMBERS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_FSETID": 4, "CAP_KILL": 5,
               "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
               "CAP_SYS_CHROOT": 18, "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29, "CAP_SETFCAP": 31}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port, timeout=10):
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/index.html" % port, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def _ok(result):
    assert not result["failed"], result
    return result


def _container(root, name, **args):
    return run_module("container", dict({"name": name, "root": root}, **args))


def _exec(root, name, *argv, **args):
    return run_module("container_exec", dict({"container": name, "argv": list(argv), "root": root}, **args))


def _wait_status(root, name, wanted, timeout=15):
    deadline = time.time() + timeout
    while True:
        info = _ok(run_module("container_info", {"name": name, "root": root}))
        if info["container"]["state"]["status"] == wanted or time.time() > deadline:
            return info["container"]
        time.sleep(0.2)


def test_web_server_outlives_the_playbook_and_is_idempotent(registry, container_root):
    port = _free_port()
    web = {"image": registry.images["busybox"], "command": ["sh", "-c", HTTPD], "env": {"GREETING": "hi"},
           "published_ports": ["127.0.0.1:%d:80" % port]}
    first = _ok(_container(container_root, "web", **web))
    started = time.time()
    assert first["changed"] is True
    container = first["container"]
    assert container["state"]["status"] == "running" and container["state"]["pid"] > 0
    assert container["network"]["ports"] == {"80/tcp": [{"host_ip": "127.0.0.1", "host_port": str(port)}]}
    assert container["network"]["ip_address"].startswith("172.30.")
    # ansible-playbook has exited: the monitor serves the port.
    assert _get(port) == "hello from strata\n"

    again = _ok(_container(container_root, "web", **web))
    assert again["changed"] is False and again["container"]["id"] == container["id"]
    changed_env = dict(web)
    changed_env.update(name="web", root=container_root, env={"GREETING": "bye"})
    checked = _ok(run_module("container", changed_env, check=True, diff=True))
    assert checked["changed"] is True and checked["diff"]["before"]["env"] == {"GREETING": "hi"}
    assert _ok(run_module("container_info", {"name": "web", "root": container_root}))["container"]["id"] == \
        container["id"]  # check mode changed nothing

    # memory changes in place: same container, same process, the new limit in its cgroup.
    updated = _ok(_container(container_root, "web", memory="64m", **web))
    assert updated["changed"] is True and updated["actions"] == ["update web"]
    assert updated["container"]["id"] == container["id"]
    assert updated["container"]["state"]["pid"] == container["state"]["pid"]
    assert updated["container"]["resources"]["memory"] == 64 * 1024 ** 2
    # env cannot change in place: recreated, and the new value is seen inside.
    bye = dict(web)
    bye.update(memory="64m", env={"GREETING": "bye"})
    recreated = _ok(_container(container_root, "web", **bye))
    assert recreated["changed"] is True and recreated["container"]["id"] != container["id"]
    assert _ok(_exec(container_root, "web", "sh", "-c", "echo $GREETING"))["stdout"] == "bye\n"
    assert _get(port) == "hello from strata\n"

    listed = _ok(run_module("container_info", {"root": container_root}))["containers"]
    assert [c["name"] for c in listed] == ["web"]
    # Still serving a minute after the first playbook ended.
    time.sleep(max(0.0, 60 - (time.time() - started)))
    assert _get(port) == "hello from strata\n"
    assert _wait_status(container_root, "web", "running")["state"]["status"] == "running"

    gone = _ok(_container(container_root, "web", state="absent"))
    assert gone["changed"] is True
    assert _ok(_container(container_root, "web", state="absent"))["changed"] is False
    with pytest.raises(OSError):
        _get(port, timeout=0)


def test_writable_layer_copy_on_write_and_shared_lowers(registry, container_root):
    image = registry.images["busybox"]
    keep = {"image": image, "command": ["sleep", "1000"], "network_mode": "none", "stop_timeout": 1}
    first = _ok(_container(container_root, "one", **keep))["container"]
    second = _ok(_container(container_root, "two", **keep))["container"]
    layer_dirs = os.path.join(container_root, "layers")
    before = treecompare.describe(layer_dirs)

    _ok(_exec(container_root, "one", "sh", "-c", "echo kept > /note; rm /bin/true; echo changed > /etc/hostname.new"))
    assert _ok(_container(container_root, "one", state="stopped", **keep))["container"]["state"]["status"] == "exited"
    _ok(_container(container_root, "one", **keep))
    assert _ok(_exec(container_root, "one", "cat", "/note"))["stdout"] == "kept\n"
    assert _exec(container_root, "one", "ls", "/bin/true")["rc"] != 0
    assert _ok(_exec(container_root, "two", "ls", "/bin/true"))["rc"] == 0  # the other container's view
    assert treecompare.describe(layer_dirs) == before  # the image's layers never changed

    lowers = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            for name, info in (("one", first), ("two", second)):
                if fields[4] == info["rootfs"]:
                    lowers[name] = [o for o in fields[-1].split(",") if o.startswith("lowerdir=")]
    assert lowers["one"] == lowers["two"] and lowers["one"]


def test_pause_stop_escalation_and_exit_codes(registry, container_root):
    image = registry.images["busybox"]
    ticker = {"image": image, "network_mode": "none",
              "command": ["sh", "-c", "trap '' TERM; while true; do date +%s%N > /tick; usleep 20000; done"],
              "stop_timeout": 2}
    running = _ok(_container(container_root, "ticker", **ticker))["container"]
    tick = os.path.join(running["rootfs"], "tick")
    paused = _ok(_container(container_root, "ticker", state="paused", **ticker))
    assert paused["changed"] is True and paused["container"]["state"]["status"] == "paused"
    frozen = open(tick).read()
    time.sleep(0.5)
    assert open(tick).read() == frozen
    assert _ok(_container(container_root, "ticker", state="paused", **ticker))["changed"] is False
    resumed = _ok(_container(container_root, "ticker", **ticker))
    assert resumed["container"]["state"]["status"] == "running"
    time.sleep(0.3)
    assert open(tick).read() != frozen

    # It ignores SIGTERM: stop waits stop_timeout, then SIGKILL.
    began = time.time()
    stopped = _ok(_container(container_root, "ticker", state="stopped", **ticker))["container"]
    assert time.time() - began >= 2
    assert stopped["state"]["status"] == "exited" and stopped["state"]["exit_code"] == 137
    assert stopped["state"]["finished_at"] >= stopped["state"]["started_at"]

    job = {"image": image, "network_mode": "none", "command": ["sh", "-c", "exit 7"]}
    _ok(_container(container_root, "job", **job))
    assert _wait_status(container_root, "job", "exited")["state"]["exit_code"] == 7

    refused = _exec(container_root, "job", "true")
    assert refused["failed"] and "is not running" in refused["msg"]


def test_isolation_seen_from_inside(registry, container_root):
    _ok(_container(container_root, "iso", image=registry.images["busybox"], command=["sleep", "1000"],
                   hostname="isolated", stop_timeout=0))

    def inside(*argv):
        return _ok(_exec(container_root, "iso", *argv))["stdout"]

    assert inside("cat", "/proc/1/cmdline").split("\0")[0] == "sleep"
    assert inside("hostname") == "isolated\n"
    pids = [p for p in inside("ls", "/proc").split() if p.isdigit()]
    assert len(pids) <= 3  # sleep, the exec'd ls, and nothing of the host's
    assert os.readlink("/proc/self/ns/net") != _ok(_exec(container_root, "iso", "readlink", "/proc/self/ns/net"))[
        "stdout"].strip()
    assert os.readlink("/proc/self/ns/mnt") != inside("readlink", "/proc/self/ns/mnt").strip()
    # No host directory is mounted in (the root's overlay options name its layers, as Docker's do).
    points = [line.split()[1] for line in inside("cat", "/proc/mounts").splitlines()]
    assert "/" in points and not [p for p in points if p.startswith(("/var", container_root))]
    status = dict(line.split(":\t", 1) for line in inside("cat", "/proc/1/status").splitlines() if ":\t" in line)
    effective = int(status["CapEff"], 16)
    assert effective == sum(1 << n for n in CAP_NUMBERS.values())
    assert status["NoNewPrivs"].strip() == "1"
    # Masked paths: /dev/null bound over files, an empty tmpfs over directories. This kernel
    # may lack /proc/kcore; /proc/timer_list and /sys/firmware are there on every Linux host.
    for masked in ("/proc/kcore", "/proc/timer_list"):
        if os.path.exists(masked):
            assert inside("cat", masked) == ""
    assert os.listdir("/sys/firmware") and inside("ls", "-A", "/sys/firmware") == ""
    assert _exec(container_root, "iso", "sh", "-c", "echo 1 > /proc/sys/kernel/ns_last_pid")["rc"] != 0  # read-only
    assert "crw" in inside("ls", "-l", "/dev/null") and not _exec(container_root, "iso", "ls", "/dev/sda")["rc"] == 0


def test_privileged_seen_from_inside(registry, container_root):
    """privileged: the engine's own capabilities, no seccomp, no_new_privs unset, nothing of /proc
    or /sys masked or read-only; still its own namespaces (its sysctls are its own)."""
    _ok(_container(container_root, "priv", image=registry.images["busybox"], command=["sleep", "1000"],
                   network_mode="none", privileged=True, stop_timeout=0))

    def inside(*argv):
        return _ok(_exec(container_root, "priv", *argv))["stdout"]

    status = dict(line.split(":\t", 1) for line in inside("cat", "/proc/1/status").splitlines() if ":\t" in line)
    with open("/proc/self/status") as f:
        ours = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
    assert int(status["CapEff"], 16) == int(ours["CapBnd"], 16)
    assert status["Seccomp"].strip() == "0" and status["NoNewPrivs"].strip() == "0"
    assert inside("ls", "-A", "/sys/firmware") != ""  # not masked
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        host_range = f.read()
    inside("sh", "-c", "echo '40000 40100' > /proc/sys/net/ipv4/ip_local_port_range")  # writable, its own netns
    assert inside("cat", "/proc/sys/net/ipv4/ip_local_port_range").split() == ["40000", "40100"]
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        assert f.read() == host_range
    inside("sh", "-c", "mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && touch /mnt/t/x && umount /mnt/t")
    info = _ok(run_module("container_info", {"name": "priv", "root": container_root}))["container"]
    assert info["host_config"]["privileged"] is True
    again = _ok(_container(container_root, "priv", image=registry.images["busybox"], command=["sleep", "1000"],
                           network_mode="none", privileged=True, stop_timeout=0))
    assert again["changed"] is False
    _ok(_container(container_root, "priv", state="absent"))


def test_bad_input_is_refused_and_changes_nothing(registry, container_root):
    image = registry.images["busybox"]

    def refused(expect, **args):
        result = _container(container_root, "bad", **dict({"image": image, "command": ["sleep", "100"]}, **args))
        assert result["failed"] and expect in result["msg"], result
        assert _ok(run_module("container_info", {"name": "bad", "root": container_root}))["exists"] is False

    refused("not found", image=registry.addr + "/test/no-such-image:1")
    refused("bad port mapping", published_ports=["127.0.0.1:80:abc"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        refused("already allocated", published_ports=["127.0.0.1:%d:80" % taken.getsockname()[1]])
    refused("outside the container's root filesystem", working_dir="/bin/../../../etc")
    layout = os.path.join(container_root, "layout")
    layer = oci_writer.tar_bytes([("dir", "srv"), ("symlink", "srv/escape", "../../../../../etc")])
    oci_writer.write_image(layout, "escape", [layer], config={"Cmd": ["/bin/sh"]})
    registry.push("%s:escape" % layout, "test/escape:latest")
    refused("outside the container's root filesystem", image=registry.addr + "/test/escape:latest",
            working_dir="/srv/escape")
    refused("restart_policy", restart_policy="sometimes")
    refused("memory", memory="lots")
    assert not os.listdir(os.path.join(container_root, "containers"))


def test_image_removal_conflicts_with_a_container(registry, container_root):
    image = registry.images["busybox"]
    _ok(_container(container_root, "user", image=image, command=["sleep", "100"], state="created",
                   network_mode="none"))
    refused = run_module("image", {"name": image, "state": "absent", "root": container_root})
    assert refused["failed"]
    assert 'unable to remove repository reference "%s" (must force)' % image in refused["msg"]
    assert "(user)" in refused["msg"]
    forced = _ok(run_module("image", {"name": image, "state": "absent", "force": True, "root": container_root}))
    assert forced["untagged"] and not forced["deleted"]  # the container still needs the image
    assert _ok(_container(container_root, "user", state="started"))["container"]["state"]["status"] == "running"


def test_force_kill_removes_a_running_container_at_once(registry, container_root):
    _ok(_container(container_root, "doomed", image=registry.images["busybox"], command=["sleep", "1000"],
                   network_mode="none"))
    gone = _ok(_container(container_root, "doomed", state="absent", force_kill=True))
    assert gone["changed"] is True and gone["actions"] == ["remove doomed"]
    assert _ok(run_module("container_info", {"name": "doomed", "root": container_root}))["exists"] is False


def test_hostile_user_and_working_dir_are_refused_and_an_old_runtime_is_warned_about(registry, container_root):
    """An image's /etc/passwd uid past 2^31-1, a WorkingDir under /proc (also by the image's
    symlink, or as /./proc/...), an exec chdir there: refused, nothing left. A run that uses
    the runtime warns once about a runc older than its CVE-2024-21626 fix."""
    layout = os.path.join(container_root, "layout")
    layer = oci_writer.tar_bytes([
        ("dir", "etc"), ("file", "etc/passwd", b"root:x:0:0::/root:/bin/sh\nbig:x:4294967296:0::/:/bin/sh\n"),
        ("file", "etc/group", b"root:x:0:\n"), ("dir", "proc"), ("symlink", "work", "/proc/self/fd/7")])
    oci_writer.write_image(layout, "hostile", [layer], config={"Cmd": ["/bin/sh"], "User": "big"})
    registry.push("%s:hostile" % layout, "test/hostile:latest")
    hostile, busybox = registry.addr + "/test/hostile:latest", registry.images["busybox"]

    def refused(expect, **args):
        result = _container(container_root, "bad", **dict({"image": busybox, "command": ["sleep", "100"]}, **args))
        assert result["failed"] and expect in result["msg"], result
        assert _ok(run_module("container_info", {"name": "bad", "root": container_root}))["exists"] is False

    refused("uid of 'big' in the image's /etc/passwd is 4294967296, outside 0..2147483647", image=hostile)
    refused("under /proc", image=hostile, user="0", working_dir="/work")
    refused("under /proc", working_dir="/./proc/self/fd/..")
    assert not os.listdir(os.path.join(container_root, "containers"))

    found = oci.version_of("runc")
    expected = oci.version_warning(*found) if found else None
    started = _ok(_container(container_root, "ok", image=busybox, command=["sleep", "100"], network_mode="none"))
    runtime_warnings = [w for w in started.get("warnings", []) if "is older than" in w]
    assert runtime_warnings == ([expected] if expected else []), started.get("warnings")
    chdir = _exec(container_root, "ok", "pwd", chdir="/proc/self/fd/../fd/7")
    assert chdir["failed"] and "under /proc" in chdir["msg"], chdir
