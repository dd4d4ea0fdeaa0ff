# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker run --security-opt``: no-new-privileges, seccomp (a profile file or unconfined),
and the SELinux/AppArmor options a playbook written for Docker carries, where they mean
nothing here (label=disable, apparmor=unconfined: the engine applies no such profile)."""

from __future__ import annotations

import json
import os

from . import seccomp
from .._errors import InvalidSpec

MAX_PROFILE = 4 * 1024 * 1024
_NO_LSM = ("label=disable", "label:disable", "apparmor=unconfined", "apparmor:unconfined")


def parse(text):
    """One option -> its canonical text; unknown ones are refused."""
    if not isinstance(text, str):
        raise InvalidSpec("a security option must be a string, not %r" % (text,))
    if text in _NO_LSM:
        return text.replace(":", "=", 1)
    key, sep, value = text.replace("=", ":", 1).partition(":") if text.startswith("no-new-privileges") \
        else text.partition("=")
    if key == "no-new-privileges":
        if sep and value not in ("true", "false"):
            raise InvalidSpec("security option %r: no-new-privileges takes true or false" % text)
        return "no-new-privileges:%s" % (value or "true")
    if key == "seccomp" and value:
        if value != "unconfined":
            load_profile(value, [])  # a bad file is refused before anything is made
        return "seccomp=" + value
    if key == "label":
        raise InvalidSpec("security option %r: this host runs containers without SELinux labels; only "
                          "label=disable is accepted" % text)
    raise InvalidSpec("unknown security option %r: expected no-new-privileges[:true|false], "
                      "seccomp=<profile file>|unconfined or label=disable" % text)


def load_profile(path, capabilities):
    """A seccomp profile in Docker's JSON format (as --security-opt seccomp=FILE takes) ->
    the spec's ``linux.seccomp``, its conditional rules chosen as moby chooses them."""
    if not os.path.isabs(path):
        raise InvalidSpec("seccomp profile %r: an absolute path is needed" % path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PROFILE + 1)
        profile = json.loads(data)
    except OSError as exc:
        raise InvalidSpec("seccomp profile %s: %s" % (path, exc.strerror), path=path) from exc
    except ValueError as exc:
        raise InvalidSpec("seccomp profile %s is not JSON: %s" % (path, exc), path=path) from exc
    if len(data) > MAX_PROFILE or not isinstance(profile, dict) or not isinstance(profile.get("defaultAction"), str):
        raise InvalidSpec("seccomp profile %s: expected a JSON object with defaultAction (Docker's format)" % path)
    return _convert(profile, capabilities, path)


def _convert(profile, capabilities, path):
    caps, arch, kernel = set(capabilities), seccomp.host_arch(), seccomp.kernel_version()
    out = {"defaultAction": profile["defaultAction"]}
    for key in ("defaultErrnoRet", "flags", "listenerPath", "listenerMetadata"):
        if key in profile:
            out[key] = profile[key]
    arches = list(profile.get("architectures") or [])
    for entry in profile.get("archMap") or []:
        if seccomp.ARCH_MAP.get(arch, [None])[0] == entry.get("architecture"):
            arches += [entry["architecture"]] + list(entry.get("subArchitectures") or [])
    out["architectures"] = arches
    syscalls = []
    for rule in profile.get("syscalls") or []:
        if not isinstance(rule, dict) or not isinstance(rule.get("action"), str):
            raise InvalidSpec("seccomp profile %s: each syscall rule needs an action" % path)
        if not _selected(rule, caps, arch, kernel):
            continue
        names = rule.get("names") or ([rule["name"]] if rule.get("name") else [])
        entry = {"names": list(names), "action": rule["action"]}
        for key in ("args", "errnoRet"):
            if rule.get(key) is not None:
                entry[key] = rule[key]
        syscalls.append(entry)
    out["syscalls"] = syscalls
    return out


def _selected(rule, caps, arch, kernel):
    """moby's includes/excludes: caps, arches and minKernel."""
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    min_kernel = None
    if inc.get("minKernel"):
        try:
            min_kernel = tuple(int(x) for x in str(inc["minKernel"]).split(".")[:2])
        except ValueError:
            min_kernel = None
    condition = {"caps": inc.get("caps") or [], "arches": inc.get("arches") or [], "min_kernel": min_kernel,
                 "not_caps": exc.get("caps") or [], "not_arches": exc.get("arches") or []}
    return seccomp._selected(condition, caps, arch, kernel)  # pylint: disable=protected-access


def apply(spec, security_opts, capabilities):
    """The options' effect on a spec made with the default confinement."""
    for opt in security_opts or ():
        if opt.startswith("no-new-privileges:"):
            spec["process"]["noNewPrivileges"] = opt.endswith(":true")
        elif opt == "seccomp=unconfined":
            spec["linux"].pop("seccomp", None)
        elif opt.startswith("seccomp="):
            spec["linux"]["seccomp"] = load_profile(opt[len("seccomp="):], capabilities)
