# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OCI runtime-spec ``config.json`` for running an image with runc or crun.

The image's config and the user's options merge as Docker merges them; the confinement
is Docker's default (``hardening``, ``seccomp``).
"""

from __future__ import annotations

import errno
import os
import socket
import stat

from . import capabilities, hardening, seccomp, spec_options
from .._errors import InvalidSpec
from ..fs.inroot import check_working_dir

OCI_VERSION = "1.0.2"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MAX_ID = 2 ** 31 - 1
MAX_SYMLINKS = 40
MOUNT_TYPES = ("bind", "tmpfs", "volume")


def _inner(image_config):
    """The ``config`` part of an image config; a bare one is accepted as well."""
    image_config = image_config or {}
    if "config" in image_config:
        return image_config.get("config") or {}
    return image_config


def _strings(value, what):
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InvalidSpec("%s must be a list of strings, not %r" % (what, value))
    return list(value)


def _args(config, options):
    """Docker: entrypoint + cmd; a new entrypoint drops the image's Cmd."""
    entrypoint = _strings(options.get("entrypoint"), "entrypoint")
    command = _strings(options.get("command"), "command")
    if entrypoint is None:
        entrypoint = _strings(config.get("Entrypoint"), "the image's Entrypoint") or []
        if command is None:
            command = _strings(config.get("Cmd"), "the image's Cmd")
    args = entrypoint + (command or [])
    if not args:
        raise InvalidSpec("no command: the image has no Entrypoint or Cmd and none was given")
    return args


def _env_value(key, value):
    if not isinstance(key, str) or not key or "=" in key:
        raise InvalidSpec("bad environment variable name %r" % (key,))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise InvalidSpec("environment variable %s has no value" % key)
    return str(value)


def _env(config, options, hostname):
    """Daemon defaults first, then the image's, then the user's: later ones win by key."""
    merged = {"PATH": DEFAULT_PATH, "HOSTNAME": hostname}
    if options.get("terminal"):
        merged["TERM"] = "xterm"
    for item in _strings(config.get("Env"), "the image's Env") or []:
        key, dummy, value = item.partition("=")
        merged[key] = value
    for key, value in (options.get("env") or {}).items():
        merged[key] = _env_value(key, value)
    return ["%s=%s" % kv for kv in merged.items()]


def _hostname(options):
    hostname = options.get("hostname")
    if hostname is None:
        # Docker names a host-network container after the host.
        return socket.gethostname() if options.get("network_namespace") == "host" else "localhost"
    if not isinstance(hostname, str) or not hostname or len(hostname) > 64 or "/" in hostname:
        raise InvalidSpec("bad hostname %r" % (hostname,))
    return hostname


def _working_dir(config, options):
    cwd = options.get("working_dir")
    if cwd is None:
        cwd = config.get("WorkingDir") or "/"
        if not isinstance(cwd, str):
            raise InvalidSpec("the image's WorkingDir must be a string, not %r" % (cwd,))
        return check_working_dir(cwd if cwd.startswith("/") else "/" + cwd, "the image's WorkingDir")
    if not isinstance(cwd, str) or not cwd.startswith("/"):
        raise InvalidSpec("working_dir must be an absolute path, not %r" % (cwd,))
    return check_working_dir(cwd, "working_dir")


def merged_config(image_config, options):
    """What the container runs with, for comparing a wanted container with a running one."""
    options = options or {}
    config = _inner(image_config)
    hostname = _hostname(options)
    user = options.get("user")
    if user is None:
        user = config.get("User") or ""
    return {"args": _args(config, options), "env": _env(config, options, hostname),
            "user": str(user), "working_dir": _working_dir(config, options), "hostname": hostname,
            "stop_signal": options.get("stop_signal") or config.get("StopSignal") or "SIGTERM"}


def _open_in_root(rootfs, path):
    """Open ``path`` as if ``rootfs`` were /: symlinks resolve inside it, never out.

    Each step opens one name with O_NOFOLLOW relative to its directory's fd, so no
    symlink (however crafted, or swapped in meanwhile) is followed by the kernel.
    """
    stack = [os.open(rootfs, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
    parts = [p for p in path.split("/") if p not in ("", ".")]
    hops = 0
    try:
        while parts:
            name = parts.pop(0)
            if name == "..":
                if len(stack) > 1:  # .. of the root is the root
                    os.close(stack.pop())
                continue
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            try:
                fd = os.open(name, flags | (os.O_DIRECTORY if parts else 0), dir_fd=stack[-1])
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                target = os.readlink(name, dir_fd=stack[-1])  # EINVAL if not a link: missing
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, "too many symlinks", path) from exc
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            if not parts:
                return fd
            stack.append(fd)
        return os.dup(stack[-1])
    finally:
        for fd in stack:
            os.close(fd)


def _read_db(rootfs, path):
    """The records of /etc/passwd or /etc/group in the rootfs; none if it has no such file."""
    if rootfs is None:
        return []
    try:
        fd = _open_in_root(rootfs, path)
    except OSError:
        return []
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return []
        text = handle.read(16 * 1024 * 1024).decode("utf-8", "replace")
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def _number(text):
    """An ID written in ASCII digits, within 0..2^31-1; None otherwise."""
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else None


def _db_id(text, field, name, path):
    """The uid or gid field of the image's record for ``name``, refused when out of range."""
    number = _number(text)
    if number is None:
        raise InvalidSpec("%s of %r in the image's %s is %s, outside 0..%d" % (field, name, path, text, MAX_ID))
    return number


def _is_id(text):
    return text.isascii() and text.isdigit()


def _find_user(name, rootfs):
    """(uid, gid, name) from passwd, by name or number; a bare number needs no entry."""
    for rec in _read_db(rootfs, "/etc/passwd"):
        if len(rec) >= 4 and (rec[0] == name or rec[2] == name) and _is_id(rec[2]) and _is_id(rec[3]):
            return _db_id(rec[2], "uid", rec[0], "/etc/passwd"), _db_id(rec[3], "gid", rec[0], "/etc/passwd"), rec[0]
    uid = _number(name)
    if uid is None:
        raise InvalidSpec("user %r: no such user in the image's /etc/passwd" % name)
    return uid, 0, None


def _find_group(name, rootfs):
    for rec in _read_db(rootfs, "/etc/group"):
        if len(rec) >= 3 and (rec[0] == name or rec[2] == name) and _is_id(rec[2]):
            return _db_id(rec[2], "gid", rec[0], "/etc/group")
    gid = _number(name)
    if gid is None:
        raise InvalidSpec("group %r: no such group in the image's /etc/group" % name)
    return gid


def _supplementary(username, gid, rootfs):
    """The groups listing the user as a member, as runc adds them."""
    gids = []
    for rec in _read_db(rootfs, "/etc/group"):
        if len(rec) >= 4 and _is_id(rec[2]) and username in rec[3].split(","):
            number = _db_id(rec[2], "gid", rec[0], "/etc/group")
            if number != gid and number not in gids:
                gids.append(number)
    return gids


def parse_user(user, rootfs=None):
    """``uid[:gid]`` or names from the rootfs's passwd and group -> (uid, gid, additional gids)."""
    if user is None or user == "":
        user = "0"
    if isinstance(user, int) and not isinstance(user, bool):
        user = str(user)
    if not isinstance(user, str) or user.count(":") > 1 or user.startswith(":"):
        raise InvalidSpec("bad user %r: expected user[:group]" % (user,))
    name, dummy, group = user.partition(":")
    if name.lstrip("-").isdigit() and _number(name) is None:
        raise InvalidSpec("bad user %r: uid out of range" % user)
    uid, gid, username = _find_user(name, rootfs)
    if group:
        if group.lstrip("-").isdigit() and _number(group) is None:
            raise InvalidSpec("bad user %r: gid out of range" % user)
        return uid, _find_group(group, rootfs), []
    return uid, gid, _supplementary(username, gid, rootfs) if username else []


def _mount(spec):
    """One user mount: bind (or volume, a bind of a store directory) or tmpfs."""
    if not isinstance(spec, dict):
        raise InvalidSpec("a mount must be a dict, not %r" % (spec,))
    kind, target, source = spec.get("type", "bind"), spec.get("target"), spec.get("source")
    if kind not in MOUNT_TYPES:
        raise InvalidSpec("mount type %r is not one of %s" % (kind, ", ".join(MOUNT_TYPES)))
    if not isinstance(target, str) or not target.startswith("/") or os.path.normpath(target) == "/":
        raise InvalidSpec("mount target %r must be an absolute path other than /" % (target,))
    extra = _strings(spec.get("options"), "options of the mount on %s" % target) or []
    ro = ["ro"] if spec.get("read_only") else ["rw"]
    target = os.path.normpath(target)
    if kind == "tmpfs":
        return {"destination": target, "type": "tmpfs", "source": "tmpfs",
                "options": ro + ["nosuid", "nodev", "noexec"] + extra}
    if not isinstance(source, str) or not source.startswith("/"):
        raise InvalidSpec("the %s mount on %s needs an absolute source, not %r" % (kind, target, source))
    return {"destination": target, "type": "bind", "source": source,
            "options": ["rbind", "rprivate"] + ro + extra}


def _mounts(options):
    """Docker's mounts, less those a user mount replaces; user mounts parents first."""
    user = [_mount(m) for m in options.get("mounts") or []]
    targets = [m["destination"] for m in user]
    for target in targets:
        if targets.count(target) > 1:
            raise InvalidSpec("two mounts on %s" % target)
    defaults = hardening.default_mounts(options.get("network_namespace") == "host", bool(options.get("privileged")))
    user.sort(key=lambda m: m["destination"].count("/"))
    return [m for m in defaults if m["destination"] not in targets] + user


def _network(options):
    network = options.get("network_namespace")
    if network is not None and network != "host" and (not isinstance(network, str) or not network.startswith("/")):
        raise InvalidSpec("network_namespace %r must be a path, \"host\" or None" % (network,))
    return network


def _annotations(options):
    annotations = options.get("annotations") or {}
    if not isinstance(annotations, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()):
        raise InvalidSpec("annotations must map strings to strings, not %r" % (annotations,))
    return dict(annotations)


def make_spec(image_config, options, rootfs):
    """The complete ``config.json`` for the image's config merged with ``options``."""
    options = options or {}
    merged = merged_config(image_config, options)
    uid, gid, groups = parse_user(merged["user"], rootfs)
    network = _network(options)
    privileged = bool(options.get("privileged"))
    caps = capabilities.resolve(privileged, options.get("cap_add") or (), options.get("cap_drop") or ())
    linux = {"namespaces": hardening.namespaces(network), "maskedPaths": list(hardening.MASKED_PATHS),
             "readonlyPaths": list(hardening.READONLY_PATHS), "devices": [],
             "resources": hardening.resources(options), "sysctl": hardening.sysctls(network),
             "seccomp": seccomp.default_profile(caps["bounding"])}
    if privileged:
        # docker run --privileged: no seccomp filter, nothing of /proc hidden or read-only
        del linux["seccomp"]
        linux["maskedPaths"], linux["readonlyPaths"] = [], []
    cgroups_path = options.get("cgroups_path")
    if cgroups_path is not None:
        if not isinstance(cgroups_path, str) or not cgroups_path:
            raise InvalidSpec("cgroups_path must be a non-empty string, not %r" % (cgroups_path,))
        linux["cgroupsPath"] = cgroups_path
    process = {"terminal": bool(options.get("terminal", False)),
               "user": {"uid": uid, "gid": gid, "additionalGids": groups},
               "args": merged["args"], "env": merged["env"], "cwd": merged["working_dir"],
               "capabilities": caps, "rlimits": hardening.rlimits(),
               "noNewPrivileges": not privileged, "oomScoreAdj": 0}
    spec = {"ociVersion": OCI_VERSION, "process": process,
            "root": {"path": rootfs, "readonly": bool(options.get("read_only", False))},
            "hostname": merged["hostname"], "mounts": _mounts(options),
            "annotations": _annotations(options), "linux": linux}
    return spec_options.apply(spec, options, lambda group: _find_group(group, rootfs))
