# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serves a container's published ports, as docker-proxy does: listens on host_ip:host_port
and forwards each TCP connection or UDP flow to container_ip:container_port.

The container's monitor imports it from the store (``<root>/bin``, next to ``monitor.py``),
so this file is stdlib-only and self-contained. Usage::

    proxy = Proxy([{"host_ip": "", "host_port": 8080, "container_ip": "10.88.0.2",
                    "container_port": 80, "proto": "tcp"}])
    proxy.bind()    # OSError("cannot publish 0.0.0.0:8080/tcp: address already in use")
    proxy.start()   # serves in daemon threads
    proxy.close()
"""

from __future__ import annotations

import collections
import ipaddress
import os
import selectors
import socket
import threading
import time

BUFFER = 65536  # per direction of a TCP connection; the kernel's buffers give back-pressure
DATAGRAM = 65535

_Listener = collections.namedtuple("_Listener", "sock proto target mapping")


class _Session:
    """A UDP flow: the client's address and our socket connected to the container for it."""

    def __init__(self, sock, listener, client):
        self.sock, self.listener, self.client = sock, listener, client
        self.last = time.monotonic()


def _family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _shutdown(sock):
    """Ends a connection from another thread: unlike close(), it wakes a blocked recv or send."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _describe(mapping, reason):
    host = mapping.get("host_ip") or "0.0.0.0"
    host = "[%s]" % host if ":" in host else host
    reason = str(reason)
    return "cannot publish %s:%s/%s: %s" % (host, mapping.get("host_port"), mapping.get("proto"), reason[:1].lower() + reason[1:])


def _parse(mapping):
    """(host address, container address) of a mapping; ValueError says what is wrong with it."""
    if mapping.get("proto") not in ("tcp", "udp"):
        raise ValueError("unknown protocol")
    if not mapping.get("container_ip"):
        raise ValueError("the container has no IP address")
    host = str(ipaddress.ip_address(mapping.get("host_ip") or "0.0.0.0"))
    container = str(ipaddress.ip_address(mapping["container_ip"]))
    ports = (mapping.get("host_port"), mapping.get("container_port"))
    if not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 65535 for p in ports) or not ports[1]:
        raise ValueError("invalid port")
    return (host, ports[0]), (container, ports[1])


def _listen(mapping):
    """A bound, non-blocking listener for the mapping; OSError names the mapping."""
    sock = None
    try:
        address, target = _parse(mapping)
        tcp = mapping["proto"] == "tcp"
        sock = socket.socket(_family(address[0]), socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        if tcp:
            # rebinding while old connections are in TIME_WAIT (a restarted monitor); not for
            # UDP, where it would let two sockets bind the same port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if tcp:
            sock.listen(128)
        sock.setblocking(False)
        return _Listener(sock, mapping["proto"], target, mapping)
    except (OSError, ValueError) as exc:
        if sock is not None:
            sock.close()
        error = OSError(_describe(mapping, getattr(exc, "strerror", None) or exc))
        error.errno = getattr(exc, "errno", None)
        raise error from exc


class Proxy:
    """Forwards the published ports of one container.

    mappings: dicts with host_ip ("" for all addresses), host_port (0 picks a free one),
    container_ip, container_port and proto ("tcp" or "udp").
    """

    def __init__(self, mappings, connect_timeout=2.0, udp_timeout=60.0, max_connections=1024, max_udp_sessions=1024):
        self.mappings = [dict(m) for m in mappings]
        self.connect_timeout = connect_timeout  # in total, retries included
        self.udp_timeout = udp_timeout
        self.max_connections = max_connections
        self.max_udp_sessions = max_udp_sessions
        self.listeners = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._done = threading.Event()
        self._serving = None  # the thread ident of serve_forever()
        self._wake = None  # a pipe that interrupts serve_forever()'s select
        self._conns = set()  # sockets of TCP connections, for close() to shut down
        self._handlers = set()  # a thread per TCP connection
        self._sessions = {}  # (listener socket, client address) -> _Session; serve_forever()'s thread only

    def bind(self):
        """Listen on every mapping, or on none: the OSError names the one that failed."""
        try:
            for mapping in self.mappings:
                self.listeners.append(_listen(mapping))
        except OSError:
            self._close_listeners()
            raise
        self._wake = os.pipe()
        for fd in self._wake:
            os.set_blocking(fd, False)

    def addresses(self):
        """(proto, host, port) of each listener, with the actual port where host_port was 0."""
        return [(lst.proto,) + tuple(lst.sock.getsockname()[:2]) for lst in self.listeners]

    def start(self):
        """serve_forever() in a daemon thread."""
        thread = threading.Thread(target=self.serve_forever, name="portproxy", daemon=True)
        thread.start()
        return thread

    def serve_forever(self):
        """Accept connections and relay datagrams until close()."""
        with self._lock:
            if self._closed.is_set() or self._serving is not None or self._wake is None:
                return
            self._serving = threading.get_ident()
        sel = selectors.DefaultSelector()
        try:
            sel.register(self._wake[0], selectors.EVENT_READ)
            for listener in self.listeners:
                sel.register(listener.sock, selectors.EVENT_READ, listener)
            sweep = max(self.udp_timeout / 4, 0.01)  # idle flows end within 1.25 * udp_timeout
            next_sweep = time.monotonic() + sweep
            while not self._closed.is_set():
                timeout = max(0, next_sweep - time.monotonic()) if self._sessions else None
                for key, dummy in sel.select(timeout):
                    if key.data is None:
                        self._drain_wake()
                    elif isinstance(key.data, _Session):
                        self._from_container(key.data)
                    elif key.data.proto == "tcp":
                        self._accept(key.data)
                    else:
                        self._from_client(sel, key.data)
                if time.monotonic() >= next_sweep:
                    limit = time.monotonic() - self.udp_timeout
                    for session in [s for s in self._sessions.values() if s.last < limit]:
                        self._end_session(sel, session)
                    next_sweep = time.monotonic() + sweep
        finally:
            for session in list(self._sessions.values()):
                self._end_session(sel, session)
            sel.close()
            self._done.set()

    def close(self):
        """Stop listening and end every connection, waiting a little for their threads."""
        with self._lock:
            self._closed.set()
            serving = self._serving
        if self._wake is not None:
            try:
                os.write(self._wake[1], b"x")
            except OSError:
                pass
        if serving is not None and serving != threading.get_ident():
            self._done.wait(5)
        self._close_listeners()
        with self._lock:
            conns, handlers = list(self._conns), list(self._handlers)
        for sock in conns:
            _shutdown(sock)
        deadline = time.monotonic() + 5
        for thread in handlers:
            thread.join(max(0, deadline - time.monotonic()))
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
            self._wake = None

    def _close_listeners(self):
        for listener in self.listeners:
            listener.sock.close()
        self.listeners = []

    def _drain_wake(self):
        try:
            os.read(self._wake[0], 64)
        except OSError:
            pass

    # TCP: a thread per connection and one more for the other direction; blocking sockets keep
    # the copying simple, and close() wakes them with shutdown().

    def _accept(self, listener):
        try:
            client = listener.sock.accept()[0]
        except BlockingIOError:
            return
        except OSError:
            # e.g. out of file descriptors: the connection stays pending, so pause rather than spin
            self._closed.wait(0.1)
            return
        thread = threading.Thread(target=self._relay, args=(client, listener.target), name="portproxy-tcp", daemon=True)
        with self._lock:
            full = len(self._handlers) >= self.max_connections
            if not full:
                self._handlers.add(thread)
        try:
            if full:
                raise RuntimeError("too many connections")
            thread.start()
        except RuntimeError:
            with self._lock:
                self._handlers.discard(thread)
            client.close()

    def _track(self, sock):
        """Register a connection's socket for close(), unless close() has already begun."""
        with self._lock:
            if self._closed.is_set():
                return False
            self._conns.add(sock)
            return True

    def _relay(self, client, target):
        backend = None
        try:
            client.setblocking(True)
            if self._track(client):
                backend = self._connect(target)
            if backend is not None:
                for sock in (client, backend):
                    # forward small writes at once, as docker-proxy (Go) does
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                other = threading.Thread(target=self._pump, args=(backend, client), name="portproxy-tcp", daemon=True)
                other.start()
                self._pump(client, backend)
                other.join()
        except (OSError, RuntimeError):
            pass
        finally:
            with self._lock:
                self._conns.difference_update((client, backend))
                self._handlers.discard(threading.current_thread())
            client.close()
            if backend is not None:
                backend.close()

    def _connect(self, target):
        """A connection to the container, retried for a while: its server may still be starting."""
        deadline = time.monotonic() + self.connect_timeout
        while True:
            sock = socket.socket(_family(target[0]), socket.SOCK_STREAM)
            if not self._track(sock):
                sock.close()
                return None
            try:
                sock.settimeout(min(max(deadline - time.monotonic(), 0.05), 0.5))
                sock.connect(target)
                sock.settimeout(None)
                return sock
            except OSError:
                with self._lock:
                    self._conns.discard(sock)
                sock.close()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed.wait(min(remaining, 0.1)):
                return None

    @staticmethod
    def _pump(src, dst):
        """Copy src to dst until EOF, then half-close dst so that its peer sees the end too
        (request/response protocols wait for it) while the other direction goes on."""
        try:
            while True:
                data = src.recv(BUFFER)
                if not data:
                    break
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            # a reset or a failed write ends both directions
            _shutdown(src)
            _shutdown(dst)

    # UDP: serve_forever()'s thread relays every datagram, with non-blocking sockets; a datagram
    # that cannot be sent at once is dropped, as the network may drop it anyway.

    def _from_client(self, sel, listener):
        try:
            data, client = listener.sock.recvfrom(DATAGRAM)
        except OSError:
            return
        session = self._sessions.get((listener.sock, client)) or self._open_session(sel, listener, client)
        if session is not None:
            session.last = time.monotonic()
            try:
                session.sock.send(data)
            except OSError:
                pass

    def _open_session(self, sel, listener, client):
        if len(self._sessions) >= self.max_udp_sessions:
            self._end_session(sel, min(self._sessions.values(), key=lambda s: s.last))
        sock = socket.socket(_family(listener.target[0]), socket.SOCK_DGRAM)
        session = _Session(sock, listener, client)
        try:
            sock.setblocking(False)
            sock.connect(listener.target)  # replies come only from the container's address
            sel.register(sock, selectors.EVENT_READ, session)
        except OSError:
            sock.close()
            return None
        self._sessions[(listener.sock, client)] = session
        return session

    def _from_container(self, session):
        try:
            data = session.sock.recv(DATAGRAM)
        except OSError:
            return  # e.g. ECONNREFUSED: nothing listens in the container (yet)
        session.last = time.monotonic()
        try:
            session.listener.sock.sendto(data, session.client)
        except OSError:
            pass

    def _end_session(self, sel, session):
        del self._sessions[(session.listener.sock, session.client)]
        sel.unregister(session.sock)
        session.sock.close()
