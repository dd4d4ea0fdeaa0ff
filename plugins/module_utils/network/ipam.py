# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container addresses from one IPv4 subnet, kept in ``<directory>/ipam.json``.

Every change happens under an exclusive fcntl lock on ``ipam.lock`` and is written to a
temporary file renamed over the pool, so concurrent module runs never hand out one address
twice and a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os

from .._errors import ContainerError, InvalidSpec

DEFAULT_SUBNET = "172.30.0.0/16"
POOL_FILE = "ipam.json"
LOCK_FILE = "ipam.lock"


def _network(subnet):
    try:
        network = ipaddress.IPv4Network(subnet, strict=True)
    except ValueError as exc:
        raise InvalidSpec("bad subnet %r: %s" % (subnet, exc)) from exc
    if network.prefixlen > 30:
        raise InvalidSpec("subnet %s is too small for a gateway and containers" % network)
    return network


class Pool:
    """``Pool(directory).allocate(container_id)`` -> "172.30.0.2"; gateway is the first host."""

    def __init__(self, directory, subnet=DEFAULT_SUBNET):
        self.directory = directory
        self.network = _network(subnet)
        self.gateway = str(self.network.network_address + 1)
        self.prefixlen = self.network.prefixlen
        self._path = os.path.join(directory, POOL_FILE)

    @property
    def gateway_cidr(self):
        return "%s/%d" % (self.gateway, self.prefixlen)

    def allocate(self, container_id):
        """The container's address: the one it has, else the next free one."""
        _check_id(container_id)
        with self._locked() as state:
            allocations = state["allocations"]
            if container_id not in allocations:
                address = self._next_free(state)
                allocations[container_id] = address
                state["last"] = address
                self._write(state)
            return allocations[container_id]

    def release(self, container_id):
        """Free the container's address; True if it had one."""
        with self._locked() as state:
            if state["allocations"].pop(container_id, None) is None:
                return False
            self._write(state)
            return True

    def lookup(self, container_id):
        with self._locked() as state:
            return state["allocations"].get(container_id)

    def allocations(self):
        with self._locked() as state:
            return dict(state["allocations"])

    @contextlib.contextmanager
    def _locked(self):
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        # a separate lock file: the pool file itself is replaced by rename, which would
        # leave a second process holding a lock on the old inode
        fd = os.open(os.path.join(self.directory, LOCK_FILE), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self._read()
        finally:
            os.close(fd)

    def _read(self):
        try:
            with open(self._path, encoding="utf-8") as handle:
                state = json.load(handle)
        except FileNotFoundError:
            return {"subnet": str(self.network), "last": None, "allocations": {}}
        except (OSError, ValueError) as exc:
            raise ContainerError("cannot read the address pool %s: %s" % (self._path, exc)) from exc
        if state.get("subnet") != str(self.network) and state.get("allocations"):
            raise ContainerError("the address pool %s is for subnet %s, not %s, and still has containers"
                                 % (self._path, state.get("subnet"), self.network))
        state["subnet"] = str(self.network)
        state.setdefault("allocations", {})
        return state

    def _write(self, state):
        tmp = "%s.tmp.%d" % (self._path, os.getpid())
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(state, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise ContainerError("cannot write the address pool %s: %s" % (self._path, exc)) from exc

    def _next_free(self, state):
        """Round robin after the last handed out, so a released address is not reused at once."""
        used = set(state["allocations"].values())
        used.add(self.gateway)
        first = int(self.network.network_address) + 1
        count = self.network.num_addresses - 2
        start = _offset(state.get("last"), self.network, first, count)
        for step in range(count):
            address = str(ipaddress.IPv4Address(first + (start + step) % count))
            if address not in used:
                return address
        raise ContainerError("no free address left in subnet %s" % self.network, subnet=str(self.network))


def _offset(last, network, first, count):
    try:
        address = ipaddress.IPv4Address(last)
    except ValueError:
        return 0
    if address not in network:
        return 0
    return (int(address) - first + 1) % count


def _check_id(container_id):
    if not isinstance(container_id, str) or not container_id:
        raise InvalidSpec("bad container id %r" % (container_id,))
