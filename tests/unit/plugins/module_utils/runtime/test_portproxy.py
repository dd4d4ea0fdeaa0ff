# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""portproxy.Proxy on loopback: backends on 127.0.0.1, the proxy listening on 127.0.0.2."""

from __future__ import annotations

import errno
import hashlib
import os
import select
import socket
import struct
import threading
import time

import pytest

from ansible_collections.strata.containers.plugins.module_utils.runtime import portproxy

# a socket left to the garbage collector warns: fail on it, and on errors in threads
pytestmark = pytest.mark.filterwarnings("error::ResourceWarning", "error::pytest.PytestUnraisableExceptionWarning",
                                        "error::pytest.PytestUnhandledThreadExceptionWarning")

HOST = "127.0.0.2"
BACKEND = "127.0.0.1"


def _socket_fds():
    fds = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name).startswith("socket:"):
                fds.add(int(name))
        except OSError:
            pass
    return fds


def _read_all(sock):
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def _digest(data):
    return len(data), hashlib.sha256(data).hexdigest()


def _mapping(port, proto="tcp", host_port=0, host_ip=HOST):
    return {"host_ip": host_ip, "host_port": host_port, "container_ip": BACKEND, "container_port": port, "proto": proto}


def _free_port(proto="tcp", host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _can_bind(port, proto, host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


class TcpBackend:
    """A server on 127.0.0.1 that runs handler(conn) in a thread per connection."""

    def __init__(self, handler, listen=True):
        self.handler = handler
        self.sock = socket.socket()
        self.sock.bind((BACKEND, 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.conns, self.threads, self.errors = [], [], []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        if listen:
            self.listen()

    def listen(self):
        self.sock.listen(64)
        self.thread.start()

    def _accept(self):
        while not self.stop.is_set():
            if select.select([self.sock], [], [], 0.05)[0]:
                conn = self.sock.accept()[0]
                conn.settimeout(10)
                self.conns.append(conn)
                thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
                self.threads.append(thread)
                thread.start()

    def _handle(self, conn):
        try:
            self.handler(conn)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self.errors.append(exc)
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(5)
        for conn in self.conns:
            portproxy._shutdown(conn)  # pylint: disable=protected-access
        for thread in self.threads:
            thread.join(5)
        for conn in self.conns:
            conn.close()
        self.sock.close()


class UdpEcho:
    """Answers each datagram with b"echo:" + data and remembers where it came from."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((BACKEND, 0))
        self.port = self.sock.getsockname()[1]
        self.sources = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            if select.select([self.sock], [], [], 0.05)[0]:
                data, source = self.sock.recvfrom(65535)
                self.sources.append(source)
                self.sock.sendto(b"echo:" + data, source)

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


class Env:
    """Everything a test opens, closed at the end whatever happened."""

    def __init__(self):
        self.closers = []
        self.backends = []

    def proxy(self, mappings, **options):
        proxy = portproxy.Proxy(mappings, **options)
        self.closers.append(proxy.close)
        proxy.bind()
        proxy.start()
        return proxy

    def backend(self, handler, listen=True):
        backend = TcpBackend(handler, listen)
        self.closers.append(backend.close)
        self.backends.append(backend)
        return backend

    def udp_echo(self):
        echo = UdpEcho()
        self.closers.append(echo.close)
        return echo

    def socket(self, proto="tcp"):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        sock.settimeout(10)
        self.closers.append(sock.close)
        return sock

    def connect(self, proxy, index=0):
        sock = self.socket()
        sock.connect(proxy.addresses()[index][1:])
        return sock

    def close(self):
        for closer in reversed(self.closers):
            closer()


@pytest.fixture
def env():
    before = _socket_fds()
    environment = Env()
    yield environment
    environment.close()
    deadline = time.monotonic() + 5
    while any(t.name.startswith("portproxy") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("portproxy")]
    assert _socket_fds() <= before
    assert not [b.errors for b in environment.backends if b.errors]


def _respond_after_eof(conn):
    request = _read_all(conn)
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nyou sent " + request)


def _echo(conn):
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)


def test_request_response_with_half_close(env):
    backend = env.backend(_respond_after_eof)
    proxy = env.proxy([_mapping(backend.port)])
    assert proxy.addresses()[0][:2] == ("tcp", HOST)
    for dummy in range(3):
        client = env.connect(proxy)
        client.sendall(b"GET / HTTP/1.0\r\n\r\n")
        client.shutdown(socket.SHUT_WR)  # the backend answers only once it sees the end
        assert _read_all(client) == b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nyou sent GET / HTTP/1.0\r\n\r\n"
        client.close()


def test_large_transfer_both_ways(env):
    up, down = os.urandom(8 << 20), os.urandom(6 << 20)
    received = []

    def backend_side(conn):
        sender = threading.Thread(target=lambda: (conn.sendall(down), conn.shutdown(socket.SHUT_WR)))
        sender.start()
        received.append(_read_all(conn))
        sender.join()

    backend = env.backend(backend_side)
    proxy = env.proxy([_mapping(backend.port)])
    client = env.connect(proxy)
    sender = threading.Thread(target=lambda: (client.sendall(up), client.shutdown(socket.SHUT_WR)), daemon=True)
    sender.start()
    got = _read_all(client)
    sender.join(10)
    assert _digest(got) == _digest(down)
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert received and _digest(received[0]) == _digest(up)


def test_concurrent_clients(env):
    count = 16
    backend = env.backend(_echo)
    proxy = env.proxy([_mapping(backend.port)])
    # every client holds its connection until all have one: the proxy must serve them at once
    barrier = threading.Barrier(count, timeout=10)
    results = {}

    def client(index):
        sock = socket.create_connection(proxy.addresses()[0][1:], timeout=10)
        try:
            payload = (b"%03d-" % index) * 20000
            sock.sendall(payload[:100])
            got = b""
            while len(got) < 100:
                got += sock.recv(100 - len(got))
            barrier.wait()
            sock.sendall(payload[100:])
            sock.shutdown(socket.SHUT_WR)
            results[index] = got + _read_all(sock) == payload
        finally:
            sock.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results == dict((i, True) for i in range(count))


def test_udp_echo(env):
    echo = env.udp_echo()
    proxy = env.proxy([_mapping(echo.port, "udp")])
    address = proxy.addresses()[0][1:]
    clients = [env.socket("udp"), env.socket("udp")]
    for round_ in range(3):
        for index, sock in enumerate(clients):
            sock.sendto(b"%d/%d" % (index, round_), address)
            data, source = sock.recvfrom(65535)
            assert (data, source) == (b"echo:%d/%d" % (index, round_), address)
    # a flow per client, kept across its datagrams
    assert len(set(echo.sources)) == 2
    assert echo.sources[:2] == echo.sources[2:4] == echo.sources[4:]


def test_udp_idle_flow_closed(env):
    echo = env.udp_echo()
    proxy = env.proxy([_mapping(echo.port, "udp")], udp_timeout=0.2)
    client = env.socket("udp")
    client.sendto(b"one", proxy.addresses()[0][1:])
    assert client.recvfrom(65535)[0] == b"echo:one"
    flow_port = echo.sources[0][1]
    assert not _can_bind(flow_port, "udp", BACKEND)  # the proxy's socket for the flow
    deadline = time.monotonic() + 3
    while not _can_bind(flow_port, "udp", BACKEND) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _can_bind(flow_port, "udp", BACKEND)
    client.sendto(b"two", proxy.addresses()[0][1:])  # a new flow
    assert client.recvfrom(65535)[0] == b"echo:two"


@pytest.mark.parametrize("busy_proto", ["tcp", "udp"])
def test_bind_failure_is_all_or_nothing(env, busy_proto):
    busy = env.socket(busy_proto)
    busy.bind((BACKEND, 0))
    if busy_proto == "tcp":
        busy.listen(1)
    busy_port = busy.getsockname()[1]
    tcp_port, udp_port = _free_port("tcp"), _free_port("udp")
    proxy = portproxy.Proxy([_mapping(9, "tcp", tcp_port), _mapping(9, "udp", udp_port),
                             _mapping(9, busy_proto, busy_port, BACKEND)])
    with pytest.raises(OSError) as raised:
        proxy.bind()
    assert str(raised.value) == "cannot publish 127.0.0.1:%d/%s: address already in use" % (busy_port, busy_proto)
    assert raised.value.errno == errno.EADDRINUSE
    assert not proxy.listeners
    assert _can_bind(tcp_port, "tcp") and _can_bind(udp_port, "udp")
    proxy.close()


@pytest.mark.parametrize("changes, message", [
    ({"host_ip": "192.0.2.1"}, "cannot publish 192.0.2.1:0/tcp: cannot assign requested address"),
    ({"host_ip": "localhost"}, "cannot publish localhost:0/tcp: 'localhost' does not appear to be an IPv4 or IPv6 address"),
    ({"proto": "sctp"}, "cannot publish 127.0.0.2:0/sctp: unknown protocol"),
    ({"container_ip": None}, "cannot publish 127.0.0.2:0/tcp: the container has no IP address"),
    ({"host_port": 65536}, "cannot publish 127.0.0.2:65536/tcp: invalid port"),
])
def test_bind_bad_mapping(changes, message):
    mapping = _mapping(80)
    mapping.update(changes)
    proxy = portproxy.Proxy([_mapping(80, "udp"), mapping])
    with pytest.raises(OSError) as raised:
        proxy.bind()
    assert str(raised.value) == message
    assert not proxy.listeners
    proxy.close()


def test_close_releases_ports_and_ends_connections(env):
    backend = env.backend(_echo)
    echo = env.udp_echo()
    proxy = env.proxy([_mapping(backend.port), _mapping(echo.port, "udp")])
    ports = [address[2] for address in proxy.addresses()]
    client = env.connect(proxy)
    client.sendall(b"ping")
    assert client.recv(4) == b"ping"
    udp = env.socket("udp")
    udp.sendto(b"ping", proxy.addresses()[1][1:])
    assert udp.recv(100) == b"echo:ping"

    started = time.monotonic()
    proxy.close()
    assert client.recv(100) == b""  # not left hanging
    assert time.monotonic() - started < 2
    with pytest.raises(ConnectionRefusedError):
        env.socket().connect((HOST, ports[0]))
    assert not proxy.addresses()
    assert _can_bind(ports[1], "udp")
    # a new proxy, as a restarted monitor would, gets the same ports at once
    again = env.proxy([_mapping(backend.port, "tcp", ports[0]), _mapping(echo.port, "udp", ports[1])])
    client = env.socket()
    client.connect((HOST, ports[0]))
    client.sendall(b"pong")
    assert client.recv(4) == b"pong"
    again.close()
    assert _can_bind(ports[1], "udp")
    proxy.close()  # twice is fine


def test_backend_down_closes_client(env):
    down = env.socket()
    down.bind((BACKEND, 0))  # bound, not listening: connections are refused
    proxy = env.proxy([_mapping(down.getsockname()[1])], connect_timeout=0.5)
    client = env.connect(proxy)
    client.sendall(b"hello")
    started = time.monotonic()
    try:
        assert client.recv(100) == b""
    except ConnectionResetError:
        pass
    assert 0.3 < time.monotonic() - started < 3  # retried for about connect_timeout
    # the proxy still serves
    assert env.connect(proxy)


def test_backend_starting_late_is_retried(env):
    backend = env.backend(_respond_after_eof, listen=False)
    proxy = env.proxy([_mapping(backend.port)])
    client = env.connect(proxy)
    client.sendall(b"early")
    client.shutdown(socket.SHUT_WR)
    timer = threading.Timer(0.5, backend.listen)
    timer.start()
    try:
        assert _read_all(client).endswith(b"you sent early")
    finally:
        timer.join()


def _echo_until_reset(conn):
    try:
        _echo(conn)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the proxy ends the backend's side too when the client resets


def test_reset_connection_does_not_harm_others(env):
    backend = env.backend(_echo_until_reset)
    proxy = env.proxy([_mapping(backend.port)])
    steady = env.connect(proxy)
    steady.sendall(b"a")
    assert steady.recv(1) == b"a"
    for dummy in range(5):
        rude = socket.create_connection(proxy.addresses()[0][1:], timeout=10)
        rude.sendall(b"x" * 100000)
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        rude.close()  # a reset, with data in flight
    steady.sendall(b"b")
    assert steady.recv(1) == b"b"
    fresh = env.connect(proxy)
    fresh.sendall(b"c")
    fresh.shutdown(socket.SHUT_WR)
    assert _read_all(fresh) == b"c"
