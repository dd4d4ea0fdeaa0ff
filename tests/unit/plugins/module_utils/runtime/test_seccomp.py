# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.strata.containers.plugins.module_utils.runtime import hardening, seccomp


def _rules(profile, name):
    return [r for r in profile["syscalls"] if name in r["names"]]


def _default(arch="amd64"):
    return seccomp.default_profile(hardening.DEFAULT_CAPABILITIES, arch=arch, kernel=(6, 1))


def test_shape_is_an_oci_seccomp_section():
    profile = _default()
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    assert profile["defaultErrnoRet"] == 1
    assert profile["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert _default("arm64")["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    for rule in profile["syscalls"]:
        assert set(rule) <= {"names", "action", "args", "errnoRet"}
        assert rule["names"] and all(isinstance(n, str) for n in rule["names"])
        assert rule["action"] in ("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO")
        for arg in rule.get("args", []):
            assert set(arg) == {"index", "value", "op"}


def test_allowlist_has_the_everyday_syscalls_and_not_the_dangerous_ones():
    allowed = set(n for r in _default()["syscalls"] if "args" not in r and r["action"] == "SCMP_ACT_ALLOW"
                  for n in r["names"])
    assert {"read", "write", "execve", "openat", "futex", "arch_prctl", "chroot", "ptrace"} <= allowed
    assert not allowed & {"mount", "umount2", "unshare", "setns", "reboot", "kexec_load", "init_module",
                          "bpf", "keyctl", "add_key", "clock_settime", "clone", "clone3", "personality",
                          "socket", "open_by_handle_at", "syslog", "acct", "iopl"}


def test_without_sys_admin_clone_is_conditional_and_clone3_enosys():
    profile = _default()
    clone = _rules(profile, "clone")
    assert clone == [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 0x7E020000, "op": "SCMP_CMP_MASKED_EQ"}]}]
    assert _rules(profile, "clone3") == [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]


def test_socket_and_personality_rules():
    profile = _default()
    assert _rules(profile, "socket")[0]["args"] == [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]
    values = sorted(r["args"][0]["value"] for r in _rules(profile, "personality"))
    assert values == [0, 8, 131072, 131080, 4294967295]


def test_capability_rules_follow_the_capabilities():
    profile = seccomp.default_profile(["SYS_ADMIN", "cap_sys_time"], arch="amd64", kernel=(6, 1))
    names = set(n for r in profile["syscalls"] for n in r["names"])
    assert {"mount", "unshare", "setns", "clone3", "clock_settime"} <= names
    assert [r.get("args") for r in _rules(profile, "clone")] == [None]  # unconditional with SYS_ADMIN
    assert not any(r["action"] == "SCMP_ACT_ERRNO" for r in profile["syscalls"])
    assert "chroot" not in names  # CAP_SYS_CHROOT not held


def test_arch_and_kernel_rules():
    arm = _default("arm64")
    names = set(n for r in arm["syscalls"] for n in r["names"])
    assert "set_tls" in names and "arch_prctl" not in names and "modify_ldt" not in names
    old = seccomp.default_profile(hardening.DEFAULT_CAPABILITIES, arch="amd64", kernel=(4, 4))
    assert "ptrace" not in set(n for r in old["syscalls"] for n in r["names"])


def test_host_defaults_work():
    profile = seccomp.default_profile(hardening.DEFAULT_CAPABILITIES)
    assert profile["syscalls"] and seccomp.kernel_version() > (0, 0)
