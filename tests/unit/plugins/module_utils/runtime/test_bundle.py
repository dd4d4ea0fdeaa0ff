# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os
import resource

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.runtime import bundle, hardening

IMAGE = {"architecture": "amd64", "config": {
    "Entrypoint": ["/entry"], "Cmd": ["--serve"], "Env": ["PATH=/opt/bin", "LANG=C", "MODE=img"],
    "WorkingDir": "/srv", "User": "", "StopSignal": "SIGQUIT"}}
NO_ENTRY = {"config": {"Cmd": ["/bin/sh"]}}


def _merged(image, **options):
    return bundle.merged_config(image, options)


@pytest.mark.parametrize("options, args", [
    ({}, ["/entry", "--serve"]),
    ({"command": ["--debug"]}, ["/entry", "--debug"]),
    ({"entrypoint": ["/other"]}, ["/other"]),  # a new entrypoint drops the image's Cmd
    ({"entrypoint": ["/other"], "command": ["x"]}, ["/other", "x"]),
    ({"entrypoint": [], "command": ["/bin/true"]}, ["/bin/true"]),
])
def test_entrypoint_and_cmd_as_docker(options, args):
    assert _merged(IMAGE, **options)["args"] == args


def test_cmd_alone_and_no_command():
    assert _merged(NO_ENTRY)["args"] == ["/bin/sh"]
    assert _merged(NO_ENTRY, command=["ls", "-l"])["args"] == ["ls", "-l"]
    with pytest.raises(InvalidSpec, match="no command"):
        _merged({"config": {}})
    with pytest.raises(InvalidSpec, match="command"):
        _merged(NO_ENTRY, command="ls -l")


def test_env_overrides_by_key_and_defaults():
    env = _merged(IMAGE, env={"MODE": "user", "NEW": 3, "FLAG": True}, hostname="h1")["env"]
    assert env == ["PATH=/opt/bin", "HOSTNAME=h1", "LANG=C", "MODE=user", "NEW=3", "FLAG=true"]
    env = _merged(NO_ENTRY, hostname="h2", terminal=True)["env"]
    assert env == ["PATH=" + bundle.DEFAULT_PATH, "HOSTNAME=h2", "TERM=xterm"]
    with pytest.raises(InvalidSpec, match="A=B"):
        _merged(NO_ENTRY, env={"A=B": "x"})


def test_merged_values():
    merged = _merged(IMAGE)
    assert (merged["working_dir"], merged["user"], merged["stop_signal"]) == ("/srv", "", "SIGQUIT")
    assert merged["hostname"] == "localhost"
    merged = _merged(NO_ENTRY, working_dir="/w", user="1000:1000")
    assert (merged["working_dir"], merged["user"], merged["stop_signal"]) == ("/w", "1000:1000", "SIGTERM")
    with pytest.raises(InvalidSpec, match="relative"):
        _merged(NO_ENTRY, working_dir="relative")


def _fake_rootfs(tmp_path):
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\napp:x:1001:\nwheel:x:10:app,bob\naudio:x:29:app\n")
    return str(root)


def test_parse_user_names_and_numbers(tmp_path):
    root = _fake_rootfs(tmp_path)
    assert bundle.parse_user("app", root) == (1000, 1001, [10, 29])
    assert bundle.parse_user("1000", root) == (1000, 1001, [10, 29])
    assert bundle.parse_user("app:wheel", root) == (1000, 10, [])
    assert bundle.parse_user("0:audio", root) == (0, 29, [])
    assert bundle.parse_user("", root) == (0, 0, [])
    assert bundle.parse_user("4242:77") == (4242, 77, [])  # numbers need no files
    assert bundle.parse_user("4242", root) == (4242, 0, [])
    for bad in ("nobody", "app:nogroup", "-1", "1:2:3", "99999999999", ":5"):
        with pytest.raises(InvalidSpec, match="user|group"):
            bundle.parse_user(bad, root)


def test_parse_user_does_not_follow_symlinks_out_of_the_rootfs(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("evil:x:4444:4444::/:/bin/sh\n")
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").symlink_to(str(outside / "passwd"))
    with pytest.raises(InvalidSpec, match="evil"):
        bundle.parse_user("evil", str(root))
    (root / "etc" / "passwd").unlink()
    (root / "etc" / "passwd").symlink_to("../../../../../../../../" + str(outside / "passwd"))
    with pytest.raises(InvalidSpec, match="evil"):
        bundle.parse_user("evil", str(root))
    # The same absolute target inside the rootfs is what a chroot would read.
    inner = root / str(outside / "passwd").lstrip("/")
    inner.parent.mkdir(parents=True)
    inner.write_text("good:x:5555:5556::/:/bin/sh\n")
    (root / "etc" / "passwd").unlink()
    (root / "etc" / "passwd").symlink_to(str(outside / "passwd"))
    assert bundle.parse_user("good", str(root)) == (5555, 5556, [])
    (root / "etc").rename(root / "etc.real")
    (root / "etc").symlink_to(str(tmp_path / "outside"))  # a symlinked /etc as well
    with pytest.raises(InvalidSpec, match="evil"):
        bundle.parse_user("evil", str(root))


def _spec(tmp_path, **options):
    return bundle.make_spec(NO_ENTRY, options, _fake_rootfs(tmp_path))


def test_spec_hardening_defaults(tmp_path):
    spec = _spec(tmp_path, hostname="box", user="app")
    assert spec["ociVersion"] == "1.0.2" and spec["hostname"] == "box"
    process = spec["process"]
    assert process["user"] == {"uid": 1000, "gid": 1001, "additionalGids": [10, 29]}
    assert process["noNewPrivileges"] is True and process["oomScoreAdj"] == 0 and process["terminal"] is False
    caps = process["capabilities"]
    assert caps["bounding"] == caps["effective"] == caps["permitted"] == hardening.DEFAULT_CAPABILITIES
    assert len(hardening.DEFAULT_CAPABILITIES) == 14 and caps["inheritable"] == [] and "ambient" not in caps
    (nofile,) = process["rlimits"]
    assert nofile["soft"] == nofile["hard"] <= resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    linux = spec["linux"]
    assert {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi", "/proc/acpi", "/proc/latency_stats", "/proc/timer_stats",
            "/sys/devices/virtual/powercap", "/proc/asound"} == set(linux["maskedPaths"])
    assert linux["readonlyPaths"] == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
    kinds = [n["type"] for n in linux["namespaces"]]
    assert {"pid", "ipc", "uts", "mount", "network"} <= set(kinds)
    assert ("cgroup" in kinds) == os.path.exists("/proc/self/ns/cgroup")
    rules = linux["resources"]["devices"]
    assert rules[0] == {"allow": False, "access": "rwm"}
    allowed = set((r["type"], r["major"], r.get("minor")) for r in rules if r["allow"] and r["access"] == "rwm")
    assert {("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8), ("c", 1, 9), ("c", 5, 0), ("c", 5, 1),
            ("c", 5, 2), ("c", 136, None)} <= allowed
    assert linux["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    assert spec["root"]["readonly"] is False and "cgroupsPath" not in linux


def test_spec_privileged(tmp_path):
    """docker run --privileged: our own capabilities, no seccomp, nothing masked, /sys and its
    cgroups writable, every device allowed, no_new_privs unset."""
    default = _spec(tmp_path)
    spec = bundle.make_spec(NO_ENTRY, {"privileged": True}, default["root"]["path"])
    process, linux = spec["process"], spec["linux"]
    with open("/proc/self/status") as f:
        bounding = int(next(line.split()[1] for line in f if line.startswith("CapBnd:")), 16)
    caps = process["capabilities"]
    assert caps["bounding"] == caps["effective"] == caps["permitted"]
    assert len(caps["bounding"]) == bin(bounding).count("1") > len(hardening.DEFAULT_CAPABILITIES)
    assert "CAP_SYS_ADMIN" in caps["bounding"] and caps["inheritable"] == []
    assert process["noNewPrivileges"] is False
    assert "seccomp" not in linux and linux["maskedPaths"] == [] and linux["readonlyPaths"] == []
    assert linux["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    assert linux["namespaces"] == default["linux"]["namespaces"]  # still its own namespaces
    mounts = {m["destination"]: m["options"] for m in spec["mounts"]}
    assert "rw" in mounts["/sys"] and "rw" in mounts["/sys/fs/cgroup"] and "ro" not in mounts["/sys"]
    default_mounts = {m["destination"]: m["options"] for m in default["mounts"]}
    assert "ro" in default_mounts["/sys"] and "ro" in default_mounts["/sys/fs/cgroup"]


def test_spec_mounts(tmp_path):
    spec = _spec(tmp_path, read_only=True, mounts=[
        {"type": "bind", "source": "/data", "target": "/srv/data/", "read_only": True},
        {"type": "tmpfs", "target": "/run", "options": ["size=1m"]},
        {"type": "volume", "source": "/store/volumes/v1", "target": "/srv"},
        {"type": "tmpfs", "target": "/dev/shm"}])
    assert spec["root"]["readonly"] is True
    mounts = {m["destination"]: m for m in spec["mounts"]}
    assert mounts["/dev"]["options"] == ["nosuid", "strictatime", "mode=755", "size=65536k"]
    assert {"newinstance", "ptmxmode=0666", "gid=5"} <= set(mounts["/dev/pts"]["options"])
    assert mounts["/sys"]["type"] == "sysfs" and "ro" in mounts["/sys"]["options"]
    assert mounts["/sys/fs/cgroup"]["type"] == "cgroup" and "ro" in mounts["/sys/fs/cgroup"]["options"]
    assert mounts["/proc"]["type"] == "proc" and mounts["/dev/mqueue"]["type"] == "mqueue"
    assert mounts["/srv/data"] == {"destination": "/srv/data", "type": "bind", "source": "/data",
                                   "options": ["rbind", "rprivate", "ro"]}
    assert mounts["/run"]["options"][-1] == "size=1m" and mounts["/srv"]["source"] == "/store/volumes/v1"
    assert mounts["/dev/shm"]["source"] == "tmpfs"  # the user's replaces Docker's 64m one
    order = [m["destination"] for m in spec["mounts"]]
    assert order.index("/srv") < order.index("/srv/data")
    for bad in ({"type": "nfs", "target": "/x"}, {"type": "bind", "target": "/x"},
                {"type": "tmpfs", "target": "x"}, {"type": "tmpfs", "target": "/"}):
        with pytest.raises(InvalidSpec, match="mount"):
            bundle.make_spec(NO_ENTRY, {"mounts": [bad]}, "/r")
    with pytest.raises(InvalidSpec, match="two mounts on /x"):
        bundle.make_spec(NO_ENTRY, {"mounts": [{"type": "tmpfs", "target": "/x"},
                                               {"type": "tmpfs", "target": "/x/"}]}, "/r")


def test_spec_resources_and_network(tmp_path):
    spec = _spec(tmp_path, memory=256 * 1024 * 1024, cpus=0.5, pids_limit=50, cgroups_path="/strata/c1",
                 network_namespace="/var/run/netns/x", annotations={"a": "b"}, terminal=True)
    res = spec["linux"]["resources"]
    assert res["memory"] == {"limit": 256 * 1024 * 1024}
    assert res["cpu"] == {"quota": 50000, "period": 100000} and res["pids"] == {"limit": 50}
    assert spec["linux"]["cgroupsPath"] == "/strata/c1" and spec["annotations"] == {"a": "b"}
    assert {"type": "network", "path": "/var/run/netns/x"} in spec["linux"]["namespaces"]
    assert spec["process"]["terminal"] is True
    host = bundle.make_spec(NO_ENTRY, {"network_namespace": "host", "pids_limit": -1}, "/r")
    assert "network" not in [n["type"] for n in host["linux"]["namespaces"]]
    assert host["linux"]["sysctl"] == {} and "pids" not in host["linux"]["resources"]
    assert [m["type"] for m in host["mounts"] if m["destination"] == "/sys"] == ["bind"]


@pytest.mark.parametrize("options, message", [
    ({"memory": 1024}, "memory 1024"), ({"memory": "1g"}, "memory"), ({"memory": True}, "memory"),
    ({"cpus": 0}, "cpus 0"), ({"cpus": 100000.0}, "cpus"), ({"cpus": "1"}, "cpus"),
    ({"pids_limit": -5}, "pids_limit -5"), ({"user": "ghost"}, "ghost"), ({"user": "1:2:3"}, "1:2:3"),
    ({"network_namespace": "netns-x"}, "netns-x"), ({"cgroups_path": ""}, "cgroups_path"),
    ({"annotations": {"a": 1}}, "annotations"), ({"hostname": "a/b"}, "a/b"),
])
def test_bad_options_raise_invalid_spec(options, message):
    with pytest.raises(InvalidSpec, match=message):
        bundle.make_spec(NO_ENTRY, options, "/nonexistent-rootfs")


@pytest.mark.parametrize("passwd, group, user, field", [
    ("big:x:4294967296:0::/:/bin/sh\n", "", "big", "uid"),           # 2^32: wraps to root in a 32-bit uid
    ("big:x:2147483648:0::/:/bin/sh\n", "", "big", "uid"),           # 2^31: past what runc takes
    ("big:x:1000:99999999999::/:/bin/sh\n", "", "big", "gid"),
    ("app:x:1000:1000::/:/bin/sh\n", "huge:x:4294967296:\n", "app:huge", "gid"),
    ("app:x:1000:1000::/:/bin/sh\n", "extra:x:4294967296:app\n", "app", "gid"),  # a supplementary group
])
def test_ids_from_the_images_files_are_range_checked(tmp_path, passwd, group, user, field):
    """The image's /etc/passwd and /etc/group are as untrusted as a numeric User: both in 0..2^31-1."""
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text(passwd)
    (root / "etc" / "group").write_text(group)
    with pytest.raises(InvalidSpec, match="%s of .* is .*outside 0..2147483647" % field):
        bundle.parse_user(user, str(root))
    with pytest.raises(InvalidSpec, match="outside"):
        bundle.make_spec({"config": {"Cmd": ["/bin/sh"], "User": user}}, {}, str(root))


def test_non_ascii_digits_in_the_images_files_are_no_ids(tmp_path):
    """'²' is a digit to str.isdigit() but no number to int(): neither a crash nor an ID."""
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("odd:x:\u00b2:0::/:/bin/sh\n")
    (root / "etc" / "group").write_text("")
    with pytest.raises(InvalidSpec, match="no such user"):
        bundle.parse_user("odd", str(root))


@pytest.mark.parametrize("source, path", [
    ("image", "/proc/self/fd/7"), ("image", "proc/self/cwd"), ("image", "/./proc/self/fd/.."),
    ("image", "//proc/1/root"), ("image", "/srv/../proc"), ("option", "/proc/self/fd/8"),
    ("option", "/proc"), ("option", "/tmp/../../proc/self/fd/9/x"),
])
def test_working_dir_under_proc_is_refused(source, path):
    """CVE-2024-21626: runc < 1.1.12 chdir'ed into /proc/self/fd/N, a host directory."""
    image = {"config": {"Cmd": ["/bin/sh"], "WorkingDir": path if source == "image" else "/"}}
    options = {"working_dir": path} if source == "option" else {}
    with pytest.raises(InvalidSpec, match="under /proc.*CVE-2024-21626"):
        bundle.merged_config(image, options)
    with pytest.raises(InvalidSpec, match="under /proc"):
        bundle.make_spec(image, options, "/nonexistent-rootfs")


def test_working_dirs_near_proc_are_fine():
    for path in ("/procedures", "/srv/proc", "/proc2/x", "/"):
        assert bundle.merged_config({"config": {"Cmd": ["/bin/sh"], "WorkingDir": path}}, {})["working_dir"] == path
