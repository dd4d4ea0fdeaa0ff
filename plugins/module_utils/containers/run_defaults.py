# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's defaults for the run options of run_options.py, as container_info and ``inspect``
show them. Apart from run_options.py so that showing a container (view.py) imports none of the
tables those options are checked against (capabilities, seccomp, devices, limits)."""

from __future__ import annotations

DEFAULTS = {"cap_add": [], "cap_drop": [], "security_opts": [], "devices": [], "device_cgroup_rules": [],
            "ulimits": [], "sysctls": {}, "tmpfs": [], "shm_size": 64 * 1024 * 1024, "init": False,
            "group_add": [], "memory_reservation": None, "memory_swap": None, "cpu_shares": None,
            "cpuset_cpus": None, "oom_score_adj": 0, "auto_remove": False}


STOP_TIMEOUT = 10  # docker stop's wait before SIGKILL


def stop_timeout(options):
    """The container's own stop timeout, else Docker's 10 s."""
    value = (options or {}).get("stop_timeout")
    return STOP_TIMEOUT if value is None else value


def view(options):
    """These options as container_info shows them (in host_config), Docker's defaults for unset ones."""
    return {key: options.get(key, default) for key, default in DEFAULTS.items()}
