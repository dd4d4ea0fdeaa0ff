#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: container_info
short_description: List and inspect containers, as docker ps and docker inspect do
version_added: 0.1.0
description:
  - Without I(name), lists the running containers (C(docker ps)), or all of them with I(all=true)
    (C(docker ps -a)).
  - With I(name), shows that container in full (C(docker inspect)), or reports C(exists=false).
  - Reads only; creates nothing, not even the store.
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.attributes.info_module
  - strata.containers.common
options:
  name:
    description:
      - A container's name, full ID or unique ID prefix.
    type: str
  all:
    description:
      - List stopped and created containers too.
    type: bool
    default: false
  logs:
    description:
      - With I(name), also return the container's output, as C(docker logs) does, from its log
        driver (the files of C(json-file), rotated ones included, or the journal through
        C(journalctl) for C(journald)). Each line comes with its time (as C(docker logs --timestamps)).
      - A container with C(log_driver=none) has none to read, so the task fails, as C(docker logs) does.
    type: bool
    default: false
  logs_since:
    description:
      - With I(logs), only lines since this time, as C(docker logs --since) takes it, an RFC 3339
        time (C(2026-12-03T16:00:00Z)), Unix seconds, or a duration before now (C(10m), C(1h30m)).
    type: str
  logs_until:
    description:
      - With I(logs), only lines before this time, in the forms of I(logs_since).
    type: str
  logs_tail:
    description:
      - With I(logs), only the last so many lines (after I(logs_since) and I(logs_until)), as
        C(docker logs --tail).
    type: int
seealso:
  - module: strata.containers.container
'''

EXAMPLES = r'''
- name: docker ps -a
  strata.containers.container_info:
    all: true
  register: all_containers

- name: docker inspect web, with its logs
  strata.containers.container_info:
    name: web
    logs: true
  register: web

- name: Its last 50 lines of the past 10 minutes, as docker logs --since 10m --tail 50
  strata.containers.container_info:
    name: web
    logs: true
    logs_since: 10m
    logs_tail: 50
  register: recent

- name: Show its address and state
  ansible.builtin.debug:
    msg: "{{ web.container.state.status }} at {{ web.container.network.ip_address }}"
'''

RETURN = r'''
exists:
  description: Whether the named container exists.
  returned: when name is given
  type: bool
container:
  description: The named container.
  returned: when name is given and it exists
  type: dict
  contains:
    id: {description: Its full ID., type: str, returned: always}
    name: {description: Its name., type: str, returned: always}
    image: {description: The image name it was created from., type: str, returned: always}
    image_id: {description: The image ID., type: str, returned: always}
    created: {description: "When it was created (UTC, ISO 8601).", type: str, returned: always}
    state:
      description:
      - C(status) (created, running, paused, restarting, exited), C(running), C(paused),
        C(pid), C(exit_code), C(started_at), C(finished_at), C(restart_count), C(oom_killed) (the
        kernel's OOM killer killed a process of its last run, read from cgroup v2's
        C(memory.events); always false on cgroup v1).
      - C(health), once a container with a health check has started (Docker's C(State.Health)),
        with C(status) (C(starting), C(healthy), C(unhealthy)), C(failing_streak) and C(log), the last
        five checks as C({start, end, exit_code, output}) (output capped at 4096 bytes).
      type: dict
      returned: always
    config:
      description:
      - What it runs, C(args), C(env), C(user), C(working_dir), C(hostname), C(labels),
        C(stop_signal), C(stop_timeout).
      - C(healthcheck), for a container with a health check, the check it runs (its I(healthcheck)
        over the image's C(HEALTHCHECK), defaults filled in), with C(test), C(retries), and C(interval),
        C(timeout), C(start_period), C(start_interval) in nanoseconds.
      type: dict
      returned: always
    host_config:
      description: C(network_mode), C(dns), C(dns_search), C(dns_options), C(extra_hosts), C(restart_policy),
        C(memory), C(cpus), C(pids_limit), C(read_only), C(privileged), C(log_config) (C(type), the
        log driver, and C(config), its options, as Docker's C(HostConfig.LogConfig)), and the options of the same names
        of M(strata.containers.container) C(cap_add), C(cap_drop), C(security_opts), C(devices),
        C(device_cgroup_rules), C(ulimits), C(sysctls), C(tmpfs), C(shm_size), C(init), C(group_add),
        C(memory_reservation), C(memory_swap), C(cpu_shares), C(cpuset_cpus), C(oom_score_adj), C(auto_remove).
      type: dict
      returned: always
    network:
      description: C(mode), the first network's C(ip_address), C(ipv6_address), C(gateway), C(prefix_len)
        and C(mac_address) (while it runs), C(networks) (by name, the same facts and C(aliases) for
        each network) and C(ports) (C({"80/tcp" [{host_ip, host_port}]}), as Docker's).
      type: dict
      returned: always
    mounts:
      description: C(type), C(source), C(destination), C(rw) of each mount.
      type: list
      elements: dict
      returned: always
    resources:
      description: The limits read back from its cgroup while it runs.
      type: dict
      returned: always
    log_path: {description: Its log file (JSON lines); empty unless its log driver is json-file., type: str, returned: always}
    rootfs: {description: Where its root filesystem is mounted on the host., type: str, returned: always}
logs:
  description: Its output, one C({time, stream, log}) per line.
  returned: when name and logs are given
  type: list
  elements: dict
containers:
  description: The containers, each as I(container) above.
  returned: when name is not given
  type: list
  elements: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerNotFound, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.containers import logs as container_logs
from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def _logs(containers, name, params):
    since, until, tail = params["logs_since"], params["logs_until"], params["logs_tail"]
    if tail is not None and tail < 0:
        raise InvalidSpec("logs_tail must be 0 or more, not %d" % tail)
    return containers.logs(containers.records.find(name),
                           since=container_logs.parse_since(since, "logs_since") if since else None,
                           until=container_logs.parse_since(until, "logs_until") if until else None, tail=tail)


def main():
    module = make_module({
        "name": {"type": "str"},
        "all": {"type": "bool", "default": False},
        "logs": {"type": "bool", "default": False},
        "logs_since": {"type": "str"},
        "logs_until": {"type": "str"},
        "logs_tail": {"type": "int"},
    })

    def action():
        service = engine_for(module, read_only=True).containers
        name = module.params["name"]
        if not name:
            return {"changed": False, "containers": service.info(all_containers=module.params["all"])}
        try:
            container = service.info(name)[0]
        except ContainerNotFound:
            return {"changed": False, "exists": False}
        result = {"changed": False, "exists": True, "container": container}
        if module.params["logs"]:
            result["logs"] = _logs(service.containers, name, module.params)
        return result

    run(module, action)


if __name__ == "__main__":
    main()
