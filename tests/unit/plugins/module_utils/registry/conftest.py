# -*- coding: utf-8 -*-
"""A fake registry for the client tests: a plain HTTP server on 127.0.0.1 (a port of its own,
so two of them are two hosts, as credentials are keyed) that records every request it gets
(method, path, headers, body) and answers with a function the test gives."""

from __future__ import annotations

import collections
import http.server
import socket
import threading

import pytest

Seen = collections.namedtuple("Seen", "method path headers body")
BODY_TIMEOUT = 2  # a client that announces a body and sends none must not hang the test


class FakeServer:
    """``answer(server, seen) -> (status, headers, body)``; ``server.seen`` lists the requests."""

    def __init__(self, answer):
        self.answer = answer
        self.seen = []
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.port = self.httpd.server_address[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path, host="127.0.0.1"):
        return "http://%s:%d%s" % (host, self.port, path)

    def authorizations(self):
        return [s.headers.get("authorization") for s in self.seen if s.headers.get("authorization")]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self):
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self._body())
            server.seen.append(seen)
            status, headers, body = server.answer(server, seen)
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body or b"")

        def _body(self):
            self.connection.settimeout(BODY_TIMEOUT)
            try:
                if self.headers.get("Content-Length") is not None:
                    return self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    return self._chunked()
            except (socket.timeout, OSError, ValueError):
                self.close_connection = True
            return b""

        def _chunked(self):
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                data = self.rfile.read(size + 2)[:size]
                if not size:
                    return out
                out += data

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, *args):  # stderr is not ours
            pass

    return Handler


@pytest.fixture
def fake_server():
    """``fake_server(answer)`` starts a FakeServer; all are stopped after the test."""
    servers = []

    def start(answer):
        servers.append(FakeServer(answer))
        return servers[-1]
    yield start
    for server in servers:
        server.stop()
