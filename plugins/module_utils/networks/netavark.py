# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netavark (podman's network stack) on a container's named network namespace.

``setup`` makes the bridge, the veth, the addresses, the masquerade and the port DNAT rules
and starts or updates aardvark-dns; ``teardown`` (same input) removes what setup added and
removes the bridge when its last container goes. netavark does no IPAM: the caller gives
every address (``static_ips``). The namespace itself is ours (pyroute2), made before setup
and removed after teardown, at ``/var/run/netns/strata-<id12>``.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess

from . import host
from .._errors import ContainerError

NETNS_DIR = "/var/run/netns"
_SEARCH = ("/usr/libexec/podman", "/usr/lib/podman", "/usr/local/libexec/podman", "/usr/local/lib/podman")
TIMEOUT = 60
ISOLATION_CHAIN = "NETAVARK_ISOLATION_1"


def _binary(name):
    for directory in _SEARCH:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if not found:
        raise ContainerError("%s is not installed; container networks need it (Debian: apt-get install "
                             "netavark aardvark-dns)" % name, tool=name)
    return found


def netns_path(netns_name):
    if not isinstance(netns_name, str) or not netns_name or "/" in netns_name or netns_name in (".", ".."):
        raise ContainerError("bad network namespace name %r" % (netns_name,))
    return os.path.join(NETNS_DIR, netns_name)


def payload(container_id, container_name, networks, port_mappings):
    """netavark's input. ``networks``: [(definition, {static_ips, aliases}), ...] in order."""
    options, info = {}, {}
    for index, (definition, endpoint) in enumerate(networks):
        options[definition["name"]] = {"static_ips": list(endpoint["static_ips"]),
                                       "aliases": list(endpoint.get("aliases") or []),
                                       "interface_name": "eth%d" % index}
        info[definition["name"]] = {k: definition[k] for k in (
            "name", "id", "driver", "network_interface", "ipv6_enabled", "internal", "dns_enabled", "ipam_options")}
        info[definition["name"]]["subnets"] = [{k: v for k, v in entry.items() if k in ("subnet", "gateway", "lease_range")}
                                               for entry in definition["subnets"]]
        # Docker's networks are apart from each other: traffic between two of them is dropped
        # (netavark's NETAVARK_ISOLATION chains); a container on both reaches each
        info[definition["name"]]["options"] = {"isolate": "true"}
    return {"container_id": container_id, "container_name": container_name,
            "port_mappings": [{"host_ip": p["host_ip"], "container_port": p["container_port"],
                               "host_port": p["host_port"], "range": 1, "protocol": p["proto"]}
                              for p in port_mappings],
            "networks": options, "network_info": info}


def _run(action, netns_name, data):
    config = os.path.join(host.run_dir(), "netavark")
    os.makedirs(config, mode=0o755, exist_ok=True)  # netavark makes only the last level
    argv = [_binary("netavark"), "--config", config]
    if any(n.get("dns_enabled") for n in data["network_info"].values()):
        argv += ["--aardvark-binary", _binary("aardvark-dns")]
    argv += [action, netns_path(netns_name)]
    try:
        proc = subprocess.run(argv, input=json.dumps(data).encode(), capture_output=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise ContainerError("netavark %s timed out after %ss" % (action, TIMEOUT)) from exc
    if proc.returncode != 0:
        raise ContainerError("netavark %s for %s failed: %s" % (action, data["container_name"], _why(proc)),
                             netns=netns_name)
    if action == "teardown":
        _keep_isolation()
    return proc.stdout


def _keep_isolation():
    """netavark 1.4 (Debian 12's) removes FORWARD's jump to its isolation chain when the last
    container of ANY isolated network goes, and every other network stops being isolated from
    the rest (ours are all isolated). Put the jump back while the chain holds other networks'
    rules (as netavark's setup places it: first)."""
    for tool in ("iptables", "ip6tables"):
        binary = shutil.which(tool)
        if not binary:
            continue
        rules = subprocess.run([binary, "-w", "-S", ISOLATION_CHAIN], capture_output=True, check=False)
        if rules.returncode != 0 or len(rules.stdout.splitlines()) < 2:
            continue  # no such chain (another firewall driver), or only its own -N line
        jump = ["FORWARD", "-j", ISOLATION_CHAIN]
        if subprocess.run([binary, "-w", "-C"] + jump, capture_output=True, check=False).returncode != 0:
            subprocess.run([binary, "-w", "-I", jump[0], "1"] + jump[1:], capture_output=True, check=False)


def _why(proc):
    lines = [line for line in (proc.stderr + proc.stdout).decode("utf-8", "replace").splitlines()
             if line.strip() and "failed to connect to syslog" not in line]  # noise of netavark 1.4
    text = " ".join(lines)[-2000:]
    try:
        return json.loads(proc.stdout).get("error") or text
    except (ValueError, AttributeError):
        return text or "exit code %d" % proc.returncode


def setup(netns_name, data):
    """Create the namespace (lo up) and let netavark wire it; returns netavark's status."""
    create_netns(netns_name)
    try:
        out = _run("setup", netns_name, data)
        return json.loads(out.decode("utf-8", "replace") or "{}")
    except BaseException:
        try:
            _run("teardown", netns_name, data)  # what a half-done setup made (a bridge, rules)
        except ContainerError:
            pass
        finally:
            remove_netns(netns_name)
        raise


def teardown(netns_name, data):
    """Undo setup; a namespace already gone still has its host side (rules, DNS) removed."""
    if os.path.exists(netns_path(netns_name)):
        try:
            _run("teardown", netns_name, data)
        finally:
            remove_netns(netns_name)
        return
    # netavark needs a namespace to tear down: a fresh empty one serves for the host's side
    create_netns(netns_name)
    try:
        _run("teardown", netns_name, data)
    except ContainerError:
        pass  # nothing of it was left on the host
    finally:
        remove_netns(netns_name)


def run_teardown(netns_name, data):
    """netavark teardown of a part of a wiring, the namespace kept."""
    if os.path.exists(netns_path(netns_name)):
        _run("teardown", netns_name, data)


def _pyroute2():
    from .._deps import need_pyroute2  # pylint: disable=import-outside-toplevel
    return need_pyroute2()


def create_netns(netns_name):
    pyroute2, netns, exceptions = _pyroute2()
    path = netns_path(netns_name)
    if os.path.exists(path):
        remove_netns(netns_name)
    try:
        netns.create(netns_name)
        with pyroute2.NetNS(netns_name, flags=0) as ns:
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
    except (OSError, exceptions.NetlinkError) as exc:
        raise ContainerError("cannot create network namespace %s: %s" % (netns_name, exc), netns=netns_name) from exc


def remove_netns(netns_name):
    if not os.path.exists(netns_path(netns_name)):
        return  # before pyroute2's import (0.1 s): a stop of a stopped container pays nothing
    netns = _pyroute2()[1]
    try:
        netns.remove(netns_name)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise ContainerError("cannot remove network namespace %s: %s" % (netns_name, exc),
                                 netns=netns_name) from exc


def remove_orphan_build_namespaces(recorded, prefix):
    """Remove build-step namespaces (named ``prefix``...) that no endpoint records (their
    builder was killed between making the namespace and recording it). Called under the host
    lock, where every live step's namespace is recorded."""
    try:
        names = os.listdir(NETNS_DIR)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(prefix) and name not in recorded:
            remove_netns(name)


def mac_addresses(netns_name):
    """{interface: MAC} inside the namespace; {} when it is gone."""
    if not os.path.exists(netns_path(netns_name)):
        return {}
    pyroute2 = _pyroute2()[0]
    with pyroute2.NetNS(netns_name, flags=0) as ns:
        return {link.get_attr("IFLA_IFNAME"): link.get_attr("IFLA_ADDRESS") for link in ns.get_links()}
