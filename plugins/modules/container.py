#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: container
short_description: Run containers without a daemon, as docker run does
version_added: 0.1.0
description:
  - Creates, starts, stops, pauses, restarts and removes a container from an image in the host's
    store, the way C(docker run -d), C(docker stop), C(docker pause) and C(docker rm) do.
  - Each container gets a writable overlayfs layer over its image's layers, an OCI runtime
    bundle with Docker's default confinement (capabilities, seccomp profile, masked C(/proc)
    paths, C(no_new_privs), a private C(/dev)), and a monitor process that outlives the
    playbook. The monitor keeps the logs, records the exit code and applies the restart policy.
  - Idempotent as C(community.docker.docker_container) is. Only the options given are compared
    with the existing container, after merging the image's defaults. A different image or a
    changed option that cannot change in place recreates the container. I(memory), I(cpus),
    I(pids_limit) and I(restart_policy) change in place.
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
  - strata.containers.common.registry
options:
  name:
    description:
      - The container's name, C([a-zA-Z0-9][a-zA-Z0-9_.-]*), or its ID.
    type: str
    required: true
  image:
    description:
      - The image to run, by name, ID or digest. Needed to create the container.
      - When the container exists and I(image) now names another image, the container is recreated.
    type: str
  pull:
    description:
      - When to pull I(image). C(missing) pulls only when the store has no such image; C(always)
        asks the registry every time; C(never) fails when the image is not in the store.
    type: str
    choices: [missing, always, never]
    default: missing
  platform:
    description:
      - The platform to pull, as C(os/arch[/variant]).
    type: str
  state:
    description:
      - C(created) makes sure the container exists, without starting it.
      - C(started) makes sure it runs (a paused container is resumed).
      - C(stopped) makes sure it exists and does not run.
      - C(paused) makes sure it runs with its processes frozen.
      - C(absent) stops and removes it. Named volumes stay.
    type: str
    choices: [created, started, stopped, paused, absent]
    default: started
  restart:
    description:
      - Stop and start the container again when it runs (with I(state=started)).
    type: bool
    default: false
  recreate:
    description:
      - Remove the container and create it anew even when nothing changed.
    type: bool
    default: false
  force_kill:
    description:
      - Stop with SIGKILL at once instead of the stop signal and I(stop_timeout).
    type: bool
    default: false
  runtime:
    description:
      - The OCI runtime, C(runc) or C(crun). By default C(runc) if installed, else C(crun).
      - C(crun) 1.8 refuses a host whose cgroup2 mount holds controllers next to cgroup v1
        ("hybrid"); the module says so and C(runc) is used by default there.
    type: str
    choices: [runc, crun]
  cgroup_manager:
    description:
      - Who makes the cgroup of a container this task creates. C(systemd) makes it a transient
        scope C(strata-<id>.scope) in C(strata.slice) (the runtime's C(--systemd-cgroup)), as
        podman and Docker do on systemd hosts; C(cgroupfs) lets the runtime write
        C(/sys/fs/cgroup/strata/<id>) itself.
      - By default C(systemd) where systemd is the init system, else C(cgroupfs).
      - A container keeps the manager it was created with; changing this option does not
        recreate it.
    type: str
    choices: [systemd, cgroupfs]
  command:
    description:
      - The command, replacing the image's C(CMD). A string is split as a shell would split it.
    type: raw
  entrypoint:
    description:
      - The entrypoint, replacing the image's C(ENTRYPOINT) (and dropping its C(CMD)).
    type: list
    elements: str
  env:
    description:
      - Environment variables, merged over the image's. Values are turned into strings.
    type: dict
  user:
    description:
      - C(user[:group]), by name (looked up in the image's C(/etc/passwd) and C(/etc/group)) or number.
    type: str
  working_dir:
    description:
      - The working directory, created when missing. A path whose symbolic links climb above
        the container's root directory is refused.
    type: str
  hostname:
    description:
      - The container's host name. Defaults to the first 12 characters of its ID.
      - C(/etc/hostname), C(/etc/hosts) and C(/etc/resolv.conf) are files of the container's own,
        written at each start and mounted over the image's, as Docker's (a mount of the user's
        on one of these paths wins).
    type: str
  labels:
    description:
      - Labels, merged over the image's.
    type: dict
  mounts:
    description:
      - Mounts into the container.
    type: list
    elements: dict
    suboptions:
      type:
        description:
          - C(bind) mounts a host path; C(volume) a named volume kept under I(root)C(/volumes),
            made on first use and kept after the container is removed; C(tmpfs) a fresh tmpfs.
        type: str
        choices: [bind, volume, tmpfs]
        default: volume
      source:
        description:
          - The host path (C(bind)) or the volume's name (C(volume)).
        type: str
      target:
        description:
          - The path inside the container.
        type: str
        required: true
      read_only:
        description:
          - Mount it read-only.
        type: bool
        default: false
  published_ports:
    description:
      - Ports to publish, as C(docker run -p) takes them, C([host_ip:][host_port:]container_port[/proto]),
        for example C(127.0.0.1:8080:80) or C(5353:53/udp). Without I(host_port) a free port is chosen.
      - Forwarded by the kernel (netavark's DNAT rules), so the server sees each client's own
        address; C(127.0.0.1) works too. Needs I(network_mode=bridge).
      - A host port published by a running container of any store root on the host is refused,
        naming that container, as Docker refuses a port that is already allocated.
    type: list
    elements: str
  network_mode:
    description:
      - C(bridge) (or C(default)) puts the container on the networks of I(networks), else on the
        network C(default) (the bridge C(strata0), 172.30.0.0/16); C(none) gives it only a loopback
        device; C(host) the host's network; C(container:<name>) the network namespace (and
        C(/etc/hosts), C(/etc/resolv.conf)) of another running container.
      - The name of a network (see M(strata.containers.network)) is taken as C(bridge) with that
        network first in I(networks), as Docker's C(--network NAME).
    type: str
  networks:
    description:
      - The networks to join (see M(strata.containers.network)), the first one's address being
        the container's main address. Each container gets an address of each network, handed out
        at start from the host-wide pool of the network (never one another root's container holds)
        and freed at stop.
      - Changing them recreates the container.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The network's name.
        type: str
        required: true
      aliases:
        description:
          - More names of the container on this network (on a network with C(dns)); its own name
            always resolves.
        type: list
        elements: str
      ipv4_address:
        description:
          - A fixed IPv4 address in the network's subnet, reserved for the container from its
            creation to its removal.
        type: str
      ipv6_address:
        description:
          - A fixed IPv6 address in the network's IPv6 subnet.
        type: str
  dns:
    description:
      - DNS servers for C(/etc/resolv.conf). On a network with C(dns), its name server (the
        gateway) comes first and these after it.
    type: list
    elements: str
  dns_search:
    description:
      - DNS search domains for C(/etc/resolv.conf), after the network's own.
    type: list
    elements: str
  dns_options:
    description:
      - Options for C(/etc/resolv.conf), as C(ndots:2).
    type: list
    elements: str
  etc_hosts:
    description:
      - More lines of C(/etc/hosts), host name to address, as C(docker run --add-host).
    type: dict
  domainname:
    description:
      - The container's NIS domain name; C(/etc/hosts) names the container I(hostname).I(domainname) too.
    type: str
  memory:
    description:
      - Memory limit, as C(512m) or C(1g) (binary units) or a number of bytes. At least C(6m).
    type: str
  cpus:
    description:
      - How many CPUs' worth of time the container may use, for example C(0.5).
    type: float
  pids_limit:
    description:
      - Maximum number of processes. C(0) or C(-1) for no limit.
    type: int
  restart_policy:
    description:
      - C(no), C(on-failure[:max]), C(always) or C(unless-stopped), as Docker's. A container
        stopped by this module stays stopped. Restarts after a reboot need the host role's service.
    type: str
  stop_signal:
    description:
      - The signal that stops the container. Defaults to the image's C(STOPSIGNAL), else C(SIGTERM).
    type: str
  stop_timeout:
    description:
      - Seconds to wait after the stop signal before SIGKILL. Default 10.
    type: int
  read_only:
    description:
      - Mount the container's root filesystem read-only.
    type: bool
  privileged:
    description:
      - As C(docker run --privileged), for containers that manage the kernel's objects
        themselves, such as a container engine inside the container, or a host role
        tested with molecule. Every capability the engine itself holds (its bounding set), no
        seccomp filter, every device allowed by the devices cgroup, nothing of C(/proc) masked or read-only, C(/sys) and its cgroups
        writable, C(no_new_privs) unset.
      - The host's device nodes are not copied into the container's C(/dev), unlike Docker's.
      - Changing it recreates the container.
    type: bool
attributes:
  check_mode:
    support: full
    details:
      - Asks the registry for the image's digest (without downloading its layers) when it would
        pull, so that C(changed) is what a real run reports.
  diff_mode:
    support: full
  idempotent:
    support: partial
    details:
      - Not with I(restart=true) or I(recreate=true), which act on every run.
notes:
  - Networks need C(netavark) and C(aardvark-dns) on the target host (the C(strata.containers.host)
    role installs them). Containers of a network that is not I(internal) reach other hosts
    through the host (masquerade).
seealso:
  - module: strata.containers.container_info
  - module: strata.containers.container_exec
  - module: strata.containers.image
  - module: strata.containers.network
'''

EXAMPLES = r'''
- name: Run a web server published on the host's loopback, as docker run -d -p 127.0.0.1:8080:80
  strata.containers.container:
    name: web
    image: registry.internal:5000/web:1.0
    published_ports:
      - "127.0.0.1:8080:80"
    restart_policy: unless-stopped
    memory: 256m

- name: An API on the network app, reached by the other containers as http://api/ or http://backend/
  strata.containers.container:
    name: api
    image: registry.internal:5000/api:1.0
    networks:
      - name: app
        aliases: [backend]
    hostname: api
    dns_search: [corp.example]
    etc_hosts:
      db.corp.example: 192.0.2.10

- name: A one-shot job with a bind mount and no network
  strata.containers.container:
    name: backup
    image: busybox
    command: tar -C /data -cf /backup/data.tar .
    network_mode: none
    mounts:
      - {type: bind, source: /srv/data, target: /data, read_only: true}
      - {type: bind, source: /srv/backup, target: /backup}

- name: Freeze it
  strata.containers.container:
    name: web
    state: paused

- name: Stop and remove it
  strata.containers.container:
    name: web
    state: absent
'''

RETURN = r'''
container:
  description: The container as M(strata.containers.container_info) shows it. Empty when absent.
  returned: always
  type: dict
  sample:
    id: 4f1c0e...
    name: web
    image: registry.internal:5000/web:1.0
    state: {status: running, pid: 4242, exit_code: null}
    network:
      ip_address: 172.30.0.2
      networks: {default: {ip_address: 172.30.0.2, gateway: 172.30.0.1, aliases: [web]}}
      ports: {"80/tcp": [{host_ip: 127.0.0.1, host_port: "8080"}]}
actions:
  description: The steps taken (or, in check mode, to be taken), such as C(create web), C(start web).
  returned: always
  type: list
  elements: str
diff:
  description: The options that changed and the container's state, before and after.
  returned: when diff mode is on
  type: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run

CONTAINER_OPTIONS = {
    "command": {"type": "raw"},
    "entrypoint": {"type": "list", "elements": "str"},
    "env": {"type": "dict"},
    "user": {"type": "str"},
    "working_dir": {"type": "str"},
    "hostname": {"type": "str"},
    "labels": {"type": "dict"},
    "mounts": {"type": "list", "elements": "dict", "options": {
        "type": {"type": "str", "choices": ["bind", "volume", "tmpfs"], "default": "volume"},
        "source": {"type": "str"},
        "target": {"type": "str", "required": True},
        "read_only": {"type": "bool", "default": False},
    }},
    "published_ports": {"type": "list", "elements": "str"},
    "network_mode": {"type": "str"},
    "networks": {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str", "required": True},
        "aliases": {"type": "list", "elements": "str"},
        "ipv4_address": {"type": "str"},
        "ipv6_address": {"type": "str"},
    }},
    "dns": {"type": "list", "elements": "str"},
    "dns_search": {"type": "list", "elements": "str"},
    "dns_options": {"type": "list", "elements": "str"},
    "etc_hosts": {"type": "dict"},
    "domainname": {"type": "str"},
    "memory": {"type": "str"},
    "cpus": {"type": "float"},
    "pids_limit": {"type": "int"},
    "restart_policy": {"type": "str"},
    "stop_signal": {"type": "str"},
    "stop_timeout": {"type": "int"},
    "read_only": {"type": "bool"},
    "privileged": {"type": "bool"},
}


def main():
    spec = {
        "name": {"type": "str", "required": True},
        "image": {"type": "str"},
        "pull": {"type": "str", "choices": ["missing", "always", "never"], "default": "missing"},
        "platform": {"type": "str"},
        "state": {"type": "str", "choices": ["created", "started", "stopped", "paused", "absent"],
                  "default": "started"},
        "restart": {"type": "bool", "default": False},
        "recreate": {"type": "bool", "default": False},
        "force_kill": {"type": "bool", "default": False},
        "runtime": {"type": "str", "choices": ["runc", "crun"]},
        "cgroup_manager": {"type": "str", "choices": ["systemd", "cgroupfs"]},
    }
    spec.update(CONTAINER_OPTIONS)
    module = make_module(spec, registry=True)

    def action():
        params = module.params
        service = engine_for(module, registry=True, runtime=params["runtime"],
                             cgroup_manager=params["cgroup_manager"]).containers
        result = service.ensure(params["name"], state=params["state"], image=params["image"], pull=params["pull"],
                                params={k: params[k] for k in CONTAINER_OPTIONS}, restart=params["restart"],
                                recreate=params["recreate"], force_kill=params["force_kill"],
                                platform=params["platform"])
        if not module._diff:
            result.pop("diff", None)
        return result

    run(module, action)


if __name__ == "__main__":
    main()
