# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's default seccomp profile, as the ``linux.seccomp`` of an OCI runtime spec.

The data follow moby's ``profiles/seccomp/default.json``: an allowlist with EPERM for
everything else, a few argument-conditional rules, and rules that only apply when the
container holds a given capability (or runs on a given architecture or kernel).
Syscall names the host's libseccomp does not know are skipped by runc and crun, so the
list may name syscalls newer than the host kernel.
"""

from __future__ import annotations

import os

EPERM = 1
ENOSYS = 38
AF_VSOCK = 40
# clone(2) flags that create namespaces: CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET.
CLONE_NAMESPACE_FLAGS = 0x7E020000

# uname -m to the Go architecture names the profile's rules are keyed on.
GOARCH = {
    "x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
    "armv7l": "arm", "armv6l": "arm", "i686": "386", "i386": "386",
    "s390x": "s390x", "ppc64le": "ppc64le", "riscv64": "riscv64",
}
# A native architecture and the compat ones a 64-bit kernel also runs.
ARCH_MAP = {
    "amd64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "arm64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
    "arm": ["SCMP_ARCH_ARM"],
    "386": ["SCMP_ARCH_X86"],
    "s390x": ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
    "ppc64le": ["SCMP_ARCH_PPC64LE"],
    "riscv64": ["SCMP_ARCH_RISCV64"],
}

ALLOWED = """
accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat
fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32
geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday
getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel
ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup
io_submit io_uring_enter io_uring_register io_uring_setup ipc kill landlock_add_rule
landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen
listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack
membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall
mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64
mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock
munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause
pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg
recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall
rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr
sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr
sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop
semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid
setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat
shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall
socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range
syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime
timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink
unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
""".split()


def _rule(names, args=None, action="SCMP_ACT_ALLOW", errno_ret=None, caps=None, not_caps=None,
          arches=None, not_arches=None, min_kernel=None):
    """One profile entry: the OCI part plus the conditions that select it."""
    return {"names": names.split() if isinstance(names, str) else names, "action": action,
            "args": args, "errnoRet": errno_ret, "caps": caps or [], "not_caps": not_caps or [],
            "arches": arches or [], "not_arches": not_arches or [], "min_kernel": min_kernel}


def _arg(index, value, op="SCMP_CMP_EQ"):
    return {"index": index, "value": value, "op": op}


RULES = [
    _rule(ALLOWED),
    _rule("process_vm_readv process_vm_writev ptrace", min_kernel=(4, 8)),
    # AF_VSOCK reaches the hypervisor's host: not the container's business.
    _rule("socket", args=[_arg(0, AF_VSOCK, "SCMP_CMP_NE")]),
    # personality(2) only for the harmless personas (PER_LINUX, PER_LINUX32, UNAME26, query).
    _rule("personality", args=[_arg(0, 0)]),
    _rule("personality", args=[_arg(0, 8)]),
    _rule("personality", args=[_arg(0, 131072)]),
    _rule("personality", args=[_arg(0, 131080)]),
    _rule("personality", args=[_arg(0, 4294967295)]),
    _rule("sync_file_range2 swapcontext", arches=["ppc64le"]),
    _rule("arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
          arches=["arm", "arm64"]),
    _rule("arch_prctl", arches=["amd64", "x32"]),
    _rule("modify_ldt", arches=["amd64", "x32", "x86"]),
    _rule("s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr", arches=["s390", "s390x"]),
    _rule("riscv_flush_icache", arches=["riscv64"]),
    _rule("open_by_handle_at", caps=["CAP_DAC_READ_SEARCH"]),
    _rule("bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
          "mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
          "sethostname setns syslog umount umount2 unshare", caps=["CAP_SYS_ADMIN"]),
    # Without CAP_SYS_ADMIN, clone(2) only without namespace flags (s390 swaps the arguments).
    _rule("clone", args=[_arg(0, CLONE_NAMESPACE_FLAGS, "SCMP_CMP_MASKED_EQ")],
          not_caps=["CAP_SYS_ADMIN"], not_arches=["s390", "s390x"]),
    _rule("clone", args=[_arg(1, CLONE_NAMESPACE_FLAGS, "SCMP_CMP_MASKED_EQ")],
          not_caps=["CAP_SYS_ADMIN"], arches=["s390", "s390x"]),
    # clone3's flags live in memory seccomp cannot read: ENOSYS makes libc fall back to clone.
    _rule("clone3", action="SCMP_ACT_ERRNO", errno_ret=ENOSYS, not_caps=["CAP_SYS_ADMIN"]),
    _rule("reboot", caps=["CAP_SYS_BOOT"]),
    _rule("chroot", caps=["CAP_SYS_CHROOT"]),
    _rule("delete_module init_module finit_module", caps=["CAP_SYS_MODULE"]),
    _rule("acct", caps=["CAP_SYS_PACCT"]),
    _rule("kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
          caps=["CAP_SYS_PTRACE"]),
    _rule("iopl ioperm", caps=["CAP_SYS_RAWIO"]),
    _rule("settimeofday stime clock_settime clock_settime64", caps=["CAP_SYS_TIME"]),
    _rule("vhangup", caps=["CAP_SYS_TTY_CONFIG"]),
    _rule("get_mempolicy mbind set_mempolicy set_mempolicy_home_node", caps=["CAP_SYS_NICE"]),
    _rule("syslog", caps=["CAP_SYSLOG"]),
    _rule("bpf", caps=["CAP_BPF"]),
    _rule("perf_event_open", caps=["CAP_PERFMON"]),
]


def host_arch():
    """The Go name of this host's architecture (the profile keys its rules on it)."""
    machine = os.uname().machine  # platform.machine()'s answer, without importing platform
    return GOARCH.get(machine, machine)


def kernel_version():
    """(major, minor) of the running kernel; (0, 0) when unreadable."""
    try:
        major, minor = os.uname().release.split(".")[:2]
        return int(major), int("".join(c for c in minor if c.isdigit()) or 0)
    except ValueError:
        return (0, 0)


def _cap_name(cap):
    cap = str(cap).upper()
    return cap if cap.startswith("CAP_") else "CAP_" + cap


def _selected(rule, caps, arch, kernel):
    """Whether the rule applies, as moby decides it (includes all met, no exclude met)."""
    if rule["caps"] and not all(c in caps for c in rule["caps"]):
        return False
    if rule["arches"] and arch not in rule["arches"]:
        return False
    if rule["min_kernel"] and kernel < rule["min_kernel"]:
        return False
    if any(c in caps for c in rule["not_caps"]):
        return False
    return arch not in rule["not_arches"]


def default_profile(capabilities, arch=None, kernel=None):
    """``linux.seccomp`` for a container holding ``capabilities`` (names, CAP_ optional)."""
    caps = set(_cap_name(c) for c in capabilities or ())
    arch = arch or host_arch()
    kernel = kernel or kernel_version()
    syscalls = []
    for rule in RULES:
        if not _selected(rule, caps, arch, kernel):
            continue
        entry = {"names": list(rule["names"]), "action": rule["action"]}
        if rule["args"]:
            entry["args"] = [dict(a) for a in rule["args"]]
        if rule["errnoRet"] is not None:
            entry["errnoRet"] = rule["errnoRet"]
        syscalls.append(entry)
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": EPERM,
            "architectures": list(ARCH_MAP.get(arch, [])), "syscalls": syscalls}
