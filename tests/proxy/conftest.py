"""A tiny loopback upstream (http.server in a thread) and a started FaultProxy in front of it, per test."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from cutover_proxy import FaultProxy
from cutover_proxy.server import THREAD_PREFIX


@dataclass
class Upstream:
    url: str
    hits: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [f"{m} {p}" for m, p, _b, _h in self.hits]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.upstream.lock:
            self.server.upstream.hits.append((self.command, self.path, body, dict(self.headers.items())))
        if self.path.startswith("/chunked"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        status = 404 if self.path.startswith("/missing") else 200
        answer = json.dumps({"method": self.command, "path": self.path, "body": body.decode("latin-1")}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "yes")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: Upstream


@contextlib.contextmanager
def serve_upstream(name: str = "test-upstream") -> Iterator[Upstream]:
    """A loopback upstream that records what reached it, stopped on leaving."""
    server = _Server(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    server.upstream = Upstream(f"http://{host!s}:{port}")
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server.upstream
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[Upstream]:
    with serve_upstream() as upstream:
        yield upstream


@pytest.fixture
def upstream(upstream_server: Upstream) -> Upstream:
    with upstream_server.lock:
        upstream_server.hits.clear()
    return upstream_server


def get_in_background(url: str) -> tuple[threading.Thread, list[BaseException]]:
    """`GET url` in a thread of its own, started (the proxy may hold or cut it): the thread and the errors it met."""
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(url, timeout=30)
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    return caller, errors


def proxy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.url) as p:
        yield p
    assert not proxy_threads(), "the proxy left threads behind"


@pytest.fixture
def client() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # never an environment proxy: loopback only
    try:
        yield session
    finally:
        session.close()
