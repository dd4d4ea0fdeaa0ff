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
      - C(created) makes sure the container exists, without starting it; C(present) is the same
        (community.docker's name for it).
      - C(started) makes sure it runs (a paused container is resumed).
      - C(healthy) does what C(started) does, then waits until its health check (I(healthcheck),
        else the image's C(HEALTHCHECK)) passes, as community.docker's does. It fails, with the
        outputs of the last checks in its message, when the check reports C(unhealthy) (after
        I(healthcheck.retries) failures in a row), when the container stops, or after
        I(healthy_wait_timeout). A container without a health check counts as healthy. In check
        mode it reports without waiting.
      - C(stopped) makes sure it exists and does not run.
      - C(paused) makes sure it runs with its processes frozen.
      - C(absent) stops and removes it. Named volumes stay.
    type: str
    choices: [created, present, started, healthy, stopped, paused, absent]
    default: started
  healthy_wait_timeout:
    description:
      - With I(state=healthy), how many seconds to wait for the container to become healthy.
        C(0) or less waits without limit.
    type: float
    default: 300
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
  healthcheck:
    description:
      - A check run in the container to tell whether it works, as C(docker run --health-cmd) or the
        image's C(HEALTHCHECK). The container's monitor runs it at each I(healthcheck.interval)
        (with C(runc exec), as the container's user and environment) while the container runs;
        C(container_info) shows its status (C(starting), C(healthy), C(unhealthy)), failing streak
        and last five results under C(state.health).
      - An unhealthy container is reported, not stopped or restarted, as Docker's.
      - Fields left out keep the image's C(HEALTHCHECK) values (as the Docker CLI does), else
        Docker's defaults. Durations are Docker's, as C(30s), C(1m30s) or C(500ms) (units
        C(ns), C(us), C(ms), C(s), C(m), C(h)); C(0) means the default.
      - A change of the check that runs (this option over the image's) recreates the container.
    type: dict
    suboptions:
      test:
        description:
          - The check. A string is run by the image's shell (C(/bin/sh -c)); a list starts with
            C(CMD) (the command and its arguments, run directly), C(CMD-SHELL) (a shell command)
            or C(NONE) (no check, even if the image has one). An exit code of 0 passes.
          - Left out, the image's test is used.
        type: raw
      interval:
        description:
          - Time between two checks. Default C(30s).
        type: str
      timeout:
        description:
          - How long one check may run; a check running longer is killed and fails. Default C(30s).
        type: str
      retries:
        description:
          - How many failures in a row make the container C(unhealthy). Default C(3).
        type: int
      start_period:
        description:
          - Time the container has to start; failures before the first passing check during
            this period do not count. Default C(0s).
        type: str
      start_interval:
        description:
          - Time between two checks during I(healthcheck.start_period). Default C(5s).
        type: str
      disable:
        description:
          - No health check, not even the image's (as I(healthcheck.test=[NONE]) and C(docker run --no-healthcheck)).
        type: bool
  log_driver:
    description:
      - Where the container's output goes, as C(docker run --log-driver). C(json-file) (the
        default) keeps it in the container's C(log.json) in Docker's format; C(journald) sends
        each line to the systemd journal with Docker's fields (C(CONTAINER_NAME), C(CONTAINER_ID),
        C(CONTAINER_ID_FULL), C(CONTAINER_TAG), C(SYSLOG_IDENTIFIER), C(PRIORITY) 6 for stdout and
        3 for stderr), and needs systemd-journald on the host; C(none) keeps nothing.
      - Changing it recreates the container.
    type: str
    choices: [json-file, journald, none]
  log_options:
    description:
      - The log driver's options, with Docker's names, as C(docker run --log-opt).
      - "C(json-file): C(max-size) (C(10m), C(512k): decimal units, as Docker's) rotates the file
        at that size, keeping C(max-file) files (default 1 once C(max-size) is set), gzipped
        when C(compress=true). Without C(max-size) the log is capped at 16 MiB rotated into two
        files (Docker keeps everything: a full disk on a fleet host is worse than a lost old line)."
      - "C(journald): C(tag), a template such as C({{.Name}}) (fields C(ID), C(FullID), C(Name),
        C(ImageName), C(ImageID), C(ImageFullID)) for C(CONTAINER_TAG) and C(SYSLOG_IDENTIFIER)
        (default the short ID)."
      - An option the driver does not know is an error. Changing them recreates the container.
    type: dict
    aliases: [log_opt]
  cap_add:
    description:
      - Capabilities to add to Docker's default set, as C(docker run --cap-add), by name with
        or without C(CAP_) (C(NET_ADMIN), C(net_admin), C(CAP_NET_ADMIN)), or C(ALL). An unknown
        name is an error. The seccomp profile follows them, as Docker's does (C(SYS_ADMIN)
        allows C(mount)).
    type: list
    elements: str
    aliases: [capabilities]
  cap_drop:
    description:
      - Capabilities to drop from the default set, as C(docker run --cap-drop); C(ALL) drops
        every one, and I(cap_add) then gives back those named there.
    type: list
    elements: str
  security_opts:
    description:
      - As C(docker run --security-opt). C(no-new-privileges[:true|false]) (set by default here),
        C(seccomp=unconfined) (no seccomp filter), C(seccomp=/path/profile.json) (a profile in
        Docker's JSON format, read on the target), C(label=disable) and C(apparmor=unconfined)
        (accepted for playbooks written for Docker; this engine applies no SELinux label or
        AppArmor profile). Anything else is an error.
    type: list
    elements: str
  devices:
    description:
      - Host devices in the container, C(/dev/host[:/dev/in-container][:permissions]) with
        permissions of C(r), C(w) and C(m) (default C(rwm)), as C(docker run --device). The node
        is created in the container's C(/dev) and allowed in its devices cgroup. A path that is
        not a device on the target is an error.
    type: list
    elements: str
  device_cgroup_rules:
    description:
      - More rules of the devices cgroup, C(TYPE MAJOR:MINOR ACCESS) such as C(c 1:3 rwm) or
        C(c 42:* r), as C(docker run --device-cgroup-rule). The container may then open nodes it
        makes itself (with C(mknod)) of these numbers.
    type: list
    elements: str
  ulimits:
    description:
      - Resource limits, C(name:soft[:hard]) (community.docker's form) or C(name=soft[:hard])
        (C(docker run --ulimit)), or dicts with I(name), I(soft), I(hard); C(-1) is unlimited.
        Names as Docker's, such as C(nofile), C(nproc), C(core), C(memlock), C(stack).
    type: list
    elements: raw
  sysctls:
    description:
      - Kernel parameters of the container's own namespaces, as C(docker run --sysctl). C(net.*)
        (not with I(network_mode) C(host) or C(container:NAME)), C(fs.mqueue.*) and the IPC ones
        C(kernel.msgmax), C(kernel.msgmnb), C(kernel.msgmni), C(kernel.sem), C(kernel.shmall),
        C(kernel.shmmax), C(kernel.shmmni), C(kernel.shm_rmid_forced) (Docker's list). Others,
        such as C(vm.swappiness) or C(kernel.panic), would change the whole host and are refused.
    type: dict
  tmpfs:
    description:
      - tmpfs mounts, C(/path[:options]) as C(docker run --tmpfs), for example
        C(/cache:size=64m,mode=1700). Mounted C(nosuid), C(nodev), C(noexec) (C(exec) in the
        options lifts it), mode 1777 unless given.
    type: list
    elements: str
  shm_size:
    description:
      - Size of C(/dev/shm), as C(64m) (Docker's default) or C(1g).
    type: str
  init:
    description:
      - Run a minimal init as PID 1 (C(docker run --init)). It passes signals to the command and
        reaps the zombie processes it leaves. The init is the host's C(tini-static) (Debian's
        C(tini) package; the C(strata.containers.host) role installs it) or else C(catatonit),
        mounted read-only at C(/sbin/docker-init).
    type: bool
  env_file:
    description:
      - A file on the target of C(KEY=VALUE) lines, in Docker's C(--env-file) format (C(#) comments,
        no quotes removed, a bare C(KEY) takes the value of the module's environment). I(env)
        wins over it. Its variables are compared as I(env) is, so a change of the file's
        content recreates the container.
    type: path
  group_add:
    description:
      - More groups for the container's process, by name (from the image's C(/etc/group)) or number.
    type: list
    elements: str
    aliases: [groups]
  memory_reservation:
    description:
      - Soft memory limit, as C(256m). Changes in place.
    type: str
  memory_swap:
    description:
      - Memory plus swap, as C(1g), at least I(memory) (needed with it); C(-1) for unlimited
        swap. Changes in place.
    type: str
  cpu_shares:
    description:
      - Relative CPU weight (Docker's default 1024). Changes in place.
    type: int
  cpuset_cpus:
    description:
      - The CPUs the container may run on, as C(0-2,4). Changes in place.
    type: str
  oom_score_adj:
    description:
      - The container's OOM score adjustment, -1000 to 1000.
    type: int
  auto_remove:
    description:
      - Remove the container when it exits, as C(docker run --rm). With I(detach=false) it is
        removed at the end of the task; a detached one, having no daemon to remove it, is removed
        by the next task or C(strata) command that looks it up by name (its state stays C(exited)
        until then).
    type: bool
  detach:
    description:
      - With C(false), a container this task starts runs to completion, as C(docker run) without
        C(-d) does, and the result holds its exit code (I(rc), and community.docker's I(status)),
        I(stdout) and I(stderr) (and their concatenation in I(container.Output)); the task fails
        when the exit code is not 0. Each run starts it again, as C(docker start) would.
    type: bool
    default: true
  comparisons:
    description:
      - How an existing container's options are compared with the task's, as in community.docker.
        Per option C(strict) (any difference recreates or updates), C(ignore) (never), or
        C(allow_more_present) (a list or dict of the container may hold more than the task
        asks, such as a label or a mount someone else added). The key C('*') sets the
        default (C(strict) or C(ignore)) for all options not named; C(image) is an option too.
    type: dict
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

- name: Run a web server and wait until its health check passes (fails with the check's output if not)
  strata.containers.container:
    name: web
    image: registry.internal:5000/web:1.0
    state: healthy
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
      interval: 10s
      timeout: 3s
      retries: 3
      start_period: 30s
      start_interval: 1s
    healthy_wait_timeout: 120
- name: A chatty worker whose log never takes more than 3 x 10 MB, as --log-opt max-size=10m --log-opt max-file=3
  strata.containers.container:
    name: worker
    image: registry.internal:5000/worker:1.0
    log_driver: json-file
    log_options:
      max-size: 10m
      max-file: 3

- name: Its output in the systemd journal (journalctl CONTAINER_NAME=api-journal)
  strata.containers.container:
    name: api-journal
    image: registry.internal:5000/api:1.0
    log_driver: journald
    log_options:
      tag: "{{ '{{.Name}}' }}"

- name: A server with only the capability it needs, a device, limits and an init as PID 1
  strata.containers.container:
    name: edge
    image: registry.internal:5000/edge:1.0
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    security_opts: [no-new-privileges]
    devices: ["/dev/net/tun:/dev/net/tun:rwm"]
    ulimits: ["nofile:4096:8192"]
    sysctls:
      net.ipv4.ip_unprivileged_port_start: 1024
    tmpfs: ["/cache:size=64m"]
    shm_size: 256m
    init: true
    comparisons:
      labels: allow_more_present

- name: A migration run to completion, its output in the result, then removed
  strata.containers.container:
    name: migrate
    image: registry.internal:5000/api:1.0
    command: ["/app/migrate", "--apply"]
    env_file: /etc/api/migrate.env
    detach: false
    auto_remove: true
  register: migration

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
    state:
      status: running
      pid: 4242
      exit_code: null
      health:
        status: healthy
        failing_streak: 0
        log:
          - {start: "2026-12-03T16:00:00.100000Z", end: "2026-12-03T16:00:00.150000Z", exit_code: 0, output: ""}
    network:
      ip_address: 172.30.0.2
      networks: {default: {ip_address: 172.30.0.2, gateway: 172.30.0.1, aliases: [web]}}
      ports: {"80/tcp": [{host_ip: 127.0.0.1, host_port: "8080"}]}
rc:
  description: The container's exit code, with I(detach=false).
  returned: when I(detach=false) and the task started the container
  type: int
  sample: 0
status:
  description: The same exit code, under community.docker's name.
  returned: when I(detach=false) and the task started the container
  type: int
  sample: 0
stdout:
  description: What the container printed on its standard output, with I(detach=false).
  returned: when I(detach=false) and the task started the container
  type: str
stderr:
  description: What the container printed on its standard error, with I(detach=false).
  returned: when I(detach=false) and the task started the container
  type: str
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
    "healthcheck": {"type": "dict", "options": {
        "test": {"type": "raw"},
        "interval": {"type": "str"},
        "timeout": {"type": "str"},
        "retries": {"type": "int"},
        "start_period": {"type": "str"},
        "start_interval": {"type": "str"},
        "disable": {"type": "bool"},
    }},
    "log_driver": {"type": "str", "choices": ["json-file", "journald", "none"]},
    "log_options": {"type": "dict", "aliases": ["log_opt"]},
    "cap_add": {"type": "list", "elements": "str", "aliases": ["capabilities"]},
    "cap_drop": {"type": "list", "elements": "str"},
    "security_opts": {"type": "list", "elements": "str"},
    "devices": {"type": "list", "elements": "str"},
    "device_cgroup_rules": {"type": "list", "elements": "str"},
    "ulimits": {"type": "list", "elements": "raw"},
    "sysctls": {"type": "dict"},
    "tmpfs": {"type": "list", "elements": "str"},
    "shm_size": {"type": "str"},
    "init": {"type": "bool"},
    "env_file": {"type": "path"},
    "group_add": {"type": "list", "elements": "str", "aliases": ["groups"]},
    "memory_reservation": {"type": "str"},
    "memory_swap": {"type": "str"},
    "cpu_shares": {"type": "int"},
    "cpuset_cpus": {"type": "str"},
    "oom_score_adj": {"type": "int"},
    "auto_remove": {"type": "bool"},
}


def main():
    spec = {
        "name": {"type": "str", "required": True},
        "image": {"type": "str"},
        "pull": {"type": "str", "choices": ["missing", "always", "never"], "default": "missing"},
        "platform": {"type": "str"},
        "state": {"type": "str", "choices": ["created", "present", "started", "healthy", "stopped", "paused", "absent"],
                  "default": "started"},
        "healthy_wait_timeout": {"type": "float", "default": 300},
        "restart": {"type": "bool", "default": False},
        "recreate": {"type": "bool", "default": False},
        "force_kill": {"type": "bool", "default": False},
        "runtime": {"type": "str", "choices": ["runc", "crun"]},
        "detach": {"type": "bool", "default": True},
        "comparisons": {"type": "dict"},
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
                                platform=params["platform"], comparisons=params["comparisons"],
                                detach=params["detach"], healthy_wait_timeout=params["healthy_wait_timeout"])
        if not module._diff:
            result.pop("diff", None)
        if result.get("rc"):  # detach=false: the task reflects the container's run, as community.docker's
            module.fail_json(msg="the container exited with %d" % result["rc"], **result)
        return result

    run(module, action)


if __name__ == "__main__":
    main()
