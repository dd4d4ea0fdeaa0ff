# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's ``-p`` port syntax, and a check that a host port is still free.

    [host_ip:][host_port]:container_port[/proto]    host_ip may be [v6]
    host_port and container_port may be ranges "a-b" of the same length;
    no host_port (bare "80" or "127.0.0.1::80") means a random host port (0).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import List, NamedTuple

from .._errors import ContainerError, InvalidSpec

PROTOCOLS = ("tcp", "udp", "sctp")


class PortMapping(NamedTuple):
    host_ip: str         # "" means every address
    host_port: int       # 0 means a random free port
    container_port: int
    proto: str


def parse_ports(spec) -> List[PortMapping]:
    """One ``-p`` value to its mappings, one per port of a range."""
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidSpec("bad port mapping %r: expected [host_ip:]host_port:container_port[/proto]" % (spec,))
    rest, proto = _split_proto(spec)
    host_ip, host_part, container_part = _split_parts(spec, rest)
    container = _port_range(spec, container_part)
    host = _port_range(spec, host_part) if host_part else None
    if host is not None and len(host) != len(container):
        raise InvalidSpec("bad port mapping %r: host range %s and container range %s differ in length"
                          % (spec, host_part, container_part))
    hosts = host or [0] * len(container)
    return [PortMapping(host_ip, h, c, proto) for h, c in zip(hosts, container)]


def _split_proto(spec):
    rest, sep, proto = spec.rpartition("/")
    if not sep:
        return spec, "tcp"
    proto = proto.lower()
    if proto not in PROTOCOLS:
        raise InvalidSpec("bad port mapping %r: protocol %r is not one of tcp, udp, sctp" % (spec, proto))
    return rest, proto


def _split_parts(spec, rest):
    """host_ip, host_port text (may be ""), container_port text."""
    host_ip = ""
    if rest.startswith("["):
        # brackets are the only way to tell a v6 address's colons from the separators
        end = rest.find("]:")
        if end < 0:
            raise InvalidSpec("bad port mapping %r: unclosed [ in the host IP" % (spec,))
        host_ip, rest = _check_ip(spec, rest[1:end], 6), rest[end + 2:]
        if ":" not in rest:
            raise InvalidSpec("bad port mapping %r: a host IP needs host_port:container_port" % (spec,))
    parts = rest.split(":")
    if len(parts) == 3 and not host_ip:
        host_ip = _check_ip(spec, parts.pop(0), 4)
    if len(parts) == 1:
        return host_ip, "", parts[0]
    if len(parts) == 2:
        return host_ip, parts[0], parts[1]
    raise InvalidSpec("bad port mapping %r: too many ':' (write an IPv6 host IP as [addr])" % (spec,))


def _check_ip(spec, text, version):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is None or address.version != version:
        raise InvalidSpec("bad port mapping %r: %r is not a valid IPv%d address" % (spec, text, version))
    return str(address)


def _port_range(spec, text):
    first, sep, last = text.partition("-")
    start = _port(spec, first)
    end = _port(spec, last) if sep else start
    if end < start:
        raise InvalidSpec("bad port mapping %r: range %s ends before it starts" % (spec, text))
    return list(range(start, end + 1))


def _port(spec, text):
    if not text.isdigit() or not text.isascii():
        raise InvalidSpec("bad port mapping %r: port %r is not a number" % (spec, text))
    value = int(text)
    if not 1 <= value <= 65535:
        raise InvalidSpec("bad port mapping %r: port %d is not in 1..65535" % (spec, value))
    return value


def _socket_for(host_ip, proto):
    family = socket.AF_INET6 if ":" in host_ip else socket.AF_INET
    if proto == "udp":
        return socket.socket(family, socket.SOCK_DGRAM)
    if proto == "sctp":
        return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    sock = socket.socket(family, socket.SOCK_STREAM)
    # only a live listener counts as taken, not a TIME_WAIT leftover (as Docker's proxy binds)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def endpoint(host_ip, host_port):
    """Docker's "127.0.0.1:8080" / "[::1]:8080" spelling."""
    host_ip = host_ip or "0.0.0.0"
    return "[%s]:%d" % (host_ip, host_port) if ":" in host_ip else "%s:%d" % (host_ip, host_port)


def check_free(host_ip, host_port, proto="tcp"):
    """Bind briefly to see that the port is free; returns the port (the kernel's pick for 0).

    A check, not a reservation: the monitor's proxy binds for real later.
    """
    if proto not in PROTOCOLS:
        raise InvalidSpec("protocol %r is not one of tcp, udp, sctp" % (proto,))
    where = endpoint(host_ip, host_port)
    try:
        sock = _socket_for(host_ip or "0.0.0.0", proto)
    except OSError as exc:
        raise ContainerError("cannot open a %s socket for %s: %s" % (proto, where, exc.strerror)) from exc
    try:
        sock.bind((host_ip or "0.0.0.0", host_port))
        return sock.getsockname()[1]
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ContainerError("Bind for %s failed: port is already allocated" % where,
                                 host_ip=host_ip, host_port=host_port, proto=proto) from exc
        raise ContainerError("Bind for %s failed: %s" % (where, exc.strerror),
                             host_ip=host_ip, host_port=host_port, proto=proto) from exc
    finally:
        sock.close()
