# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capabilities, devices, limits, security, init and spec_options: the options of docker run
that adjust Docker's default spec, as make_spec writes them."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.runtime import (
    bundle, capabilities, devices, init, limits, security, spec_options)

IMAGE = {"config": {"Cmd": ["sh"]}}


def _spec(**options):
    return bundle.make_spec(IMAGE, options, "/rootfs")


def test_capabilities_names_all_and_precedence():
    assert capabilities.canonical_list(["net_admin", "CAP_NET_ADMIN", "all"], "cap_add") == ["ALL", "CAP_NET_ADMIN"]
    with pytest.raises(InvalidSpec, match="unknown capability 'FLY' in cap_add"):
        capabilities.canonical("FLY", "cap_add")
    caps = capabilities.resolve(False, ["CAP_NET_BIND_SERVICE"], ["ALL"])
    assert caps["effective"] == caps["bounding"] == ["CAP_NET_BIND_SERVICE"] and caps["inheritable"] == []
    assert "CAP_CHOWN" not in capabilities.resolve(False, [], ["CAP_CHOWN"])["bounding"]
    assert "CAP_SYS_ADMIN" in capabilities.resolve(False, ["CAP_SYS_ADMIN"], [])["bounding"]


def test_seccomp_follows_added_capabilities():
    names = [n for rule in _spec(cap_add=["CAP_SYS_ADMIN"])["linux"]["seccomp"]["syscalls"] for n in rule["names"]]
    assert "mount" in names
    names = [n for rule in _spec()["linux"]["seccomp"]["syscalls"] for n in rule["names"]]
    assert "mount" not in names


def test_devices_node_and_rules(tmp_path):
    assert devices.parse_device("/dev/null:/dev/mynull:wr") == ("/dev/null", "/dev/mynull", "rw")
    assert devices.parse_device("/dev/null:r") == ("/dev/null", "/dev/null", "r")
    for bad, message in (("/dev/nope", "No such file"), ("/dev/null:/etc/x", "under /dev"),
                         ("/dev/null:/dev/x:rwx", "bad permissions"), (str(tmp_path) + ":/dev/x", "not a character")):
        with pytest.raises(InvalidSpec, match=message):
            devices.parse_device(bad)
    assert devices.parse_rule("c 42:* rw") == "c 42:* rw"
    assert devices.rule_entry("a *:* r") == {"allow": True, "access": "r"}
    with pytest.raises(InvalidSpec, match="expected 'TYPE MAJOR:MINOR ACCESS'"):
        devices.parse_rule("x 1:3 rwm")
    spec = _spec(devices=["/dev/null:/dev/mynull:r"], device_cgroup_rules=["c 42:* r"])
    assert spec["linux"]["devices"] == [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
                                         "fileMode": 0o666, "uid": 0, "gid": 0}]
    assert spec["linux"]["resources"]["devices"][-2:] == [
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "r"},
        {"allow": True, "type": "c", "major": 42, "access": "r"}]


def test_ulimits_forms_and_rlimits():
    assert limits.parse_ulimit("nofile:1024:2048") == limits.parse_ulimit("nofile=1024:2048") == \
        limits.parse_ulimit({"name": "nofile", "soft": 1024, "hard": 2048}) == "nofile:1024:2048"
    assert limits.parse_ulimit("core:-1") == "core:-1:-1"
    for bad, message in (("nofile:2:1", "above the hard"), ("files:1", "unknown ulimit"), ("nofile:x", "not a number"),
                         (5, "NAME:SOFT")):
        with pytest.raises(InvalidSpec, match=message):
            limits.parse_ulimit(bad)
    rlimits = _spec(ulimits=["nofile:10:20", "core:-1:-1"])["process"]["rlimits"]
    assert {"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20} in rlimits
    assert {"type": "RLIMIT_CORE", "soft": limits.UNLIMITED, "hard": limits.UNLIMITED} in rlimits


@pytest.mark.parametrize("name, mode, message", [
    ("vm.swappiness", "bridge", "not namespaced"), ("kernel.panic", "bridge", "not namespaced"),
    ("net.ipv4.ip_forward", "host", "network_mode host shares"),
    ("net.ipv4.ip_forward", "container:db", "another container"), ("kernel.hostname", "bridge", "hostname"),
    ("../x", "bridge", "bad sysctl name")])
def test_sysctls_refused(name, mode, message):
    with pytest.raises(InvalidSpec, match=message):
        limits.check_sysctl(name, mode)


@pytest.mark.parametrize("name", ["net.ipv4.ip_forward", "kernel.shmmax", "kernel.sem", "fs.mqueue.msg_max"])
def test_sysctls_namespaced(name):
    assert limits.check_sysctl(name, "bridge") == name


def test_resources_merge_with_memory_and_cpus():
    res = _spec(memory=64 << 20, memory_reservation=32 << 20, memory_swap=128 << 20, cpus=0.5, cpu_shares=512,
                cpuset_cpus="0")["linux"]["resources"]
    assert res["memory"] == {"limit": 64 << 20, "reservation": 32 << 20, "swap": 128 << 20}
    assert res["cpu"] == {"quota": 50000, "period": 100000, "shares": 512, "cpus": "0"}
    with pytest.raises(InvalidSpec, match="at least memory"):
        limits.resources({"memory": 64 << 20, "memory_swap": 32 << 20})
    with pytest.raises(InvalidSpec, match="cpuset_cpus"):
        limits.check_cpuset("0-a")


def test_security_options(tmp_path):
    assert security.parse("no-new-privileges") == security.parse("no-new-privileges=true") == "no-new-privileges:true"
    assert security.parse("label:disable") == "label=disable"
    for bad, message in (("label=type:svirt_t", "without SELinux"), ("apparmor=x", "unknown security option"),
                         ("no-new-privileges:maybe", "true or false"), ("seccomp=/nonexistent.json", "No such file")):
        with pytest.raises(InvalidSpec, match=message):
            security.parse(bad)
    assert _spec(security_opts=["no-new-privileges:false"])["process"]["noNewPrivileges"] is False
    assert "seccomp" not in _spec(security_opts=["seccomp=unconfined"])["linux"]
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}], "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}))
    seccomp = _spec(security_opts=["seccomp=%s" % profile])["linux"]["seccomp"]
    assert seccomp["syscalls"] == [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]
    profile.write_text("{")
    with pytest.raises(InvalidSpec, match="not JSON"):
        security.parse("seccomp=%s" % profile)


def test_tmpfs_shm_groups_oom_and_init(tmp_path):
    assert spec_options.parse_tmpfs("/cache/:size=8m,mode=1700") == "/cache:size=8m,mode=1700"
    with pytest.raises(InvalidSpec, match="unknown or bad mount option"):
        spec_options.parse_tmpfs("/cache:bind")
    spec = _spec(tmpfs=["/cache:size=8m,exec"], shm_size=16 << 20, oom_score_adj=-10, group_add=["1234"], init=True)
    mounts = {m["destination"]: m for m in spec["mounts"]}
    assert mounts["/cache"]["options"] == ["nosuid", "nodev", "noexec", "size=8m", "exec", "mode=1777"]
    assert mounts["/dev/shm"]["options"][-1] == "size=%d" % (16 << 20)
    assert spec["process"]["user"]["additionalGids"] == [1234] and spec["process"]["oomScoreAdj"] == -10
    assert spec["process"]["args"] == [init.TARGET, "--", "sh"] and mounts[init.TARGET]["options"][1] == "ro"
    with pytest.raises(InvalidSpec, match="tmpfs twice"):
        _spec(tmpfs=["/a", "/a"])
    binary = tmp_path / "tini-static"
    binary.write_bytes(b"")
    os.chmod(str(binary), 0o755)
    assert init.find([str(tmp_path / "none"), str(binary)]) == str(binary)
    with pytest.raises(InvalidSpec, match="install Debian's tini"):
        init.find([str(tmp_path / "none")])
