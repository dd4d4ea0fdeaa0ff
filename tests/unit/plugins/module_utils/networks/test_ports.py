# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import socket

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.networks.ports import (
    PortMapping, check_free, parse_ports)


@pytest.mark.parametrize("spec, expected", [
    ("80", [PortMapping("", 0, 80, "tcp")]),
    ("8080:80", [PortMapping("", 8080, 80, "tcp")]),
    ("8080:80/udp", [PortMapping("", 8080, 80, "udp")]),
    ("8080:80/SCTP", [PortMapping("", 8080, 80, "sctp")]),
    ("127.0.0.1:8080:80", [PortMapping("127.0.0.1", 8080, 80, "tcp")]),
    ("127.0.0.1::80/udp", [PortMapping("127.0.0.1", 0, 80, "udp")]),
    ("[::1]:8080:80", [PortMapping("::1", 8080, 80, "tcp")]),
    ("[::1]::80", [PortMapping("::1", 0, 80, "tcp")]),
    ("[2001:db8::0001]:1:65535/udp", [PortMapping("2001:db8::1", 1, 65535, "udp")]),
    ("8000-8002:80-82", [PortMapping("", 8000, 80, "tcp"), PortMapping("", 8001, 81, "tcp"),
                         PortMapping("", 8002, 82, "tcp")]),
    ("80-81/udp", [PortMapping("", 0, 80, "udp"), PortMapping("", 0, 81, "udp")]),
    ("0.0.0.0:53:53/udp", [PortMapping("0.0.0.0", 53, 53, "udp")]),
])
def test_forms(spec, expected):
    assert parse_ports(spec) == expected


@pytest.mark.parametrize("spec, problem", [
    ("", "expected"),
    ("http", "is not a number"),
    ("8080:http", "is not a number"),
    ("8080:", "is not a number"),
    ("+80", "is not a number"),
    ("８０", "is not a number"),
    ("0", "not in 1..65535"),
    ("65536:80", "not in 1..65535"),
    ("8080:70000", "not in 1..65535"),
    ("8000-8001:80", "differ in length"),
    ("8000-8002:80-81", "differ in length"),
    ("82-80", "ends before it starts"),
    ("8080:80/icmp", "'icmp' is not one of tcp, udp, sctp"),
    ("8080:80/", "'' is not one of"),
    ("300.0.0.1:8080:80", "'300.0.0.1' is not a valid IPv4"),
    ("localhost:8080:80", "'localhost' is not a valid IPv4"),
    ("[127.0.0.1]:8080:80", "is not a valid IPv6"),
    ("[::1:8080:80", "unclosed ["),
    ("[::1]:80", "needs host_port:container_port"),
    ("::1:8080:80", "too many ':'"),
    ("1.2.3.4:5:6:7", "too many ':'"),
    ("127.0.0.1:80", "is not a number"),
])
def test_errors_name_the_string(spec, problem):
    with pytest.raises(InvalidSpec) as info:
        parse_ports(spec)
    assert problem in str(info.value)
    assert repr(spec) in str(info.value)


def test_not_a_string():
    with pytest.raises(InvalidSpec):
        parse_ports(8080)


def test_check_free_random_and_taken():
    port = check_free("127.0.0.1", 0)
    assert 1 <= port <= 65535
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        with pytest.raises(ContainerError) as info:
            check_free("127.0.0.1", taken, "tcp")
    assert str(info.value) == "Bind for 127.0.0.1:%d failed: port is already allocated" % taken
    assert check_free("127.0.0.1", taken) == taken


def test_check_free_udp_and_v6():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        with pytest.raises(ContainerError, match="port is already allocated"):
            check_free("127.0.0.1", taken, "udp")
        assert check_free("127.0.0.1", taken, "tcp") == taken
    if socket.has_ipv6:
        try:
            port = check_free("::1", 0)
        except ContainerError:
            pytest.skip("no IPv6 loopback")
        with socket.socket(socket.AF_INET6) as busy:
            busy.bind(("::1", port))
            busy.listen()
            with pytest.raises(ContainerError, match=r"Bind for \[::1\]:%d failed" % port):
                check_free("::1", port)


def test_check_free_bad_proto_and_address():
    with pytest.raises(InvalidSpec):
        check_free("127.0.0.1", 0, "icmp")
    with pytest.raises(ContainerError, match="Bind for 192.0.2.1:8080 failed"):
        check_free("192.0.2.1", 8080)
