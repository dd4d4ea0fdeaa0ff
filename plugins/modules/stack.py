#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: stack
short_description: Deploy a Compose application as one idempotent task, as docker compose up and down do
version_added: 0.3.0
description:
  - Brings the services of a Compose file (the Compose Specification, U(https://compose-spec.io))
    to the host, with no Docker daemon and no compose binary, the way C(docker compose up -d),
    C(stop), C(restart) and C(down) do.
  - The file is interpolated (C(${VAR}), C(${VAR:-default}), C(${VAR-default}), C(${VAR:?message}),
    C(${VAR?message}), C(${VAR:+other}), C($$)), checked against the Compose Specification's JSON
    schema (an error names the path, C(services.web.ports[0])), and every service is checked
    as M(strata.containers.container) checks its options, all before anything is pulled, built
    or started.
  - Containers are named C(<project>-<service>-<n>) and labelled C(com.docker.compose.project),
    C(.service), C(.container-number) and C(.config-hash); networks and named volumes are
    C(<project>_<name>). A service with no C(networks) joins C(<project>_default), with its
    service name as an alias on every network.
  - Reconciles rather than redeploys. A container is recreated only when its service's
    configuration (its config hash) or its image changed; a dependant is not recreated because
    its dependency was. Replicas (C(deploy.replicas) or C(scale)) are added and removed by
    number. Services start in C(depends_on) order, each after its dependencies' conditions
    (C(service_started), C(service_healthy), C(service_completed_successfully)) are met.
  - Supported service keys are image, build, command, entrypoint, environment, env_file, ports,
    expose (recorded only), volumes (named, bind, tmpfs), tmpfs, networks (aliases, addresses),
    network_mode, depends_on, healthcheck, restart, deploy (replicas, resources limits of cpus
    and memory, reservations of memory), scale, cap_add, cap_drop, user, working_dir, labels,
    logging, hostname, domainname, extra_hosts, dns, dns_search, dns_opt, init, ulimits,
    sysctls, devices, privileged, read_only, security_opt, shm_size, stop_signal,
    stop_grace_period, group_add, oom_score_adj, cpu_shares, cpuset, cpus, mem_limit,
    mem_reservation, memswap_limit, pids_limit, pull_policy, profiles, container_name, secrets
    and configs (from files, bind-mounted read-only). Any other key is refused by name.
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
  - strata.containers.common.registry
author:
  - strata.containers developers (@strata)
options:
  name:
    description:
      - The project's name, C([a-z0-9][a-z0-9_-]*); it prefixes every object of the stack.
    type: str
    required: true
  definition:
    description:
      - The Compose file as data, such as C("{{ lookup('file', 'compose.yaml') | from_yaml }}").
      - Relative paths in it (bind mounts, C(env_file), build contexts, secrets) start in
        I(project_src), which is then needed.
    type: dict
  project_src:
    description:
      - A directory on the host with the Compose file (C(compose.yaml), C(compose.yml),
        C(docker-compose.yaml) or C(docker-compose.yml)), its C(.env) and build contexts.
      - With I(definition), only the directory relative paths and C(.env) are read from.
    type: path
  profiles:
    description:
      - The active profiles; a service with C(profiles) runs only when one of its is active
        (C(*) activates every profile).
    type: list
    elements: str
    default: []
  env:
    description:
      - Variables for interpolation, over those of the project's C(.env). The target's process
        environment is not used.
    type: dict
    default: {}
  state:
    description:
      - C(present) is C(docker compose up -d); C(stopped) stops the project's containers;
        C(restarted) is C(up) and then restarts the containers it did not just start;
        C(absent) is C(docker compose down) (with I(remove_volumes), C(down -v)).
      - C(absent) needs only I(name); the project's containers and networks are found by their labels.
    type: str
    choices: [present, absent, stopped, restarted]
    default: present
  pull:
    description:
      - C(missing) pulls images not in the store (a service's C(pull_policy) then decides);
        C(always) pulls every image that is not built; C(never) fails when one is missing.
    type: str
    choices: [missing, always, never]
    default: missing
  build:
    description:
      - For services with C(build), C(missing) builds the image when it is not in the store,
        C(always) builds it at every run (a rebuild from the cache changes nothing), C(never)
        fails when it is missing.
    type: str
    choices: [missing, always, never]
    default: missing
  remove_orphans:
    description:
      - Remove the project's containers whose service is no longer in the file (or whose profile
        is not active); without it they are left running and named in a warning.
    type: bool
    default: false
  wait:
    description:
      - After C(up), wait until every container is running and healthy (or, for a one-shot
        service, has exited with code 0), as C(docker compose up --wait). The C(depends_on)
        conditions are always waited for.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for one container's condition (C(service_healthy),
        C(service_completed_successfully), I(wait)); 0 waits without limit.
    type: int
    default: 300
  remove_volumes:
    description:
      - With C(state=absent), also remove the project's named volumes (C(down -v)).
    type: bool
    default: false
  runtime:
    description:
      - The OCI runtime of the containers this task creates, C(runc) or C(crun).
    type: str
    choices: [runc, crun]
  cgroup_manager:
    description:
      - Who makes the cgroups of the containers this task creates (see M(strata.containers.container)).
    type: str
    choices: [systemd, cgroupfs]
requirements:
  - Python 3.9 or newer on the target host, with requests, zstandard, pyroute2, PyYAML and
    jsonschema (the C(strata.containers.host) role installs the last two with
    C(strata_install_stack_packages=true)).
  - C(netavark), C(aardvark-dns) and C(iptables) on the target host for networks.
  - Linux, run as root.
attributes:
  check_mode:
    support: full
    details: A check run validates the file and reports the plan; a pull asks the registry for
      digests, a build that would run steps reports a change.
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: strata.containers.container
  - module: strata.containers.network
  - module: strata.containers.volume
'''

EXAMPLES = r'''
- name: The application of compose.yaml, next to the playbook
  strata.containers.stack:
    name: shop
    definition: "{{ lookup('file', 'compose.yaml') | from_yaml }}"
    env:
      TAG: "1.4"

- name: The same from a directory on the host (compose.yaml, .env, build contexts)
  strata.containers.stack:
    name: shop
    project_src: /srv/shop
    wait: true

- name: Three replicas of the api
  strata.containers.stack:
    name: shop
    project_src: /srv/shop
    env:
      API_REPLICAS: "3"

- name: docker compose down, keeping the named volumes
  strata.containers.stack:
    name: shop
    state: absent
'''

RETURN = r'''
services:
  description: What was done (or, in check mode, would be done) to each container, and why.
  returned: always
  type: list
  elements: dict
  contains:
    service:
      description: The service.
      type: str
    container:
      description: The container's name.
      type: str
    action:
      description: C(create), C(recreate), C(start), C(restart), C(stop) or C(remove).
      type: str
    reason:
      description: Why, such as C(configuration changed (env)), C(image app:1 changed), C(scale down to 1).
      type: str
  sample:
    - {service: api, container: shop-api-1, action: recreate, reason: configuration changed (env)}
containers:
  description: The project's containers after the task, as M(strata.containers.container_info) lists them, with their service and number.
  returned: always
  type: list
  elements: dict
actions:
  description: Every change made (or, in check mode, that would be made), such as C(create container shop-db-1).
  returned: always
  type: list
  elements: str
missing_variables:
  description: Variables the file uses that are set nowhere (they became empty strings, as in Compose).
  returned: when I(state) is not C(absent)
  type: list
  elements: str
diff:
  description: The containers changed, before (present or absent) and after (the action and its reason).
  returned: when diff mode is on
  type: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({
        "name": {"type": "str", "required": True},
        "definition": {"type": "dict"},
        "project_src": {"type": "path"},
        "profiles": {"type": "list", "elements": "str", "default": []},
        "env": {"type": "dict", "default": {}},
        "state": {"type": "str", "choices": ["present", "absent", "stopped", "restarted"], "default": "present"},
        "pull": {"type": "str", "choices": ["missing", "always", "never"], "default": "missing"},
        "build": {"type": "str", "choices": ["missing", "always", "never"], "default": "missing"},
        "remove_orphans": {"type": "bool", "default": False},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 300},
        "remove_volumes": {"type": "bool", "default": False},
        "runtime": {"type": "str", "choices": ["runc", "crun"]},
        "cgroup_manager": {"type": "str", "choices": ["systemd", "cgroupfs"]},
    }, registry=True, required_if=[("state", "present", ("definition", "project_src"), True),
                                   ("state", "restarted", ("definition", "project_src"), True)])

    def action():
        params = module.params
        engine = engine_for(module, registry=True, runtime=params["runtime"], cgroup_manager=params["cgroup_manager"])
        result = _apply(engine.stacks, params)
        for warning in result.pop("warnings", []):
            module.warn(warning)
        return result

    run(module, action)


def _apply(stacks, params):
    name, state = params["name"], params["state"]
    stack, missing = None, []
    if params["definition"] is not None or params["project_src"] is not None:
        stack, missing = stacks.load(name, definition=params["definition"], project_src=params["project_src"],
                                     env=params["env"], profiles=params["profiles"])
        name = stack.project
    if state == "absent":
        return stacks.down(name, stack, remove_volumes=params["remove_volumes"])
    if state == "stopped":
        result = stacks.stop(name)
    else:
        result = stacks.up(stack, pull=params["pull"], build=params["build"], remove_orphans=params["remove_orphans"],
                           wait=params["wait"], wait_timeout=params["wait_timeout"], restart=state == "restarted")
    result["missing_variables"] = missing
    return result


if __name__ == "__main__":
    main()
