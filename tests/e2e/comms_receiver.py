"""A war-room channel for the tests: a tiny HTTP server on 127.0.0.1 that Apprise's `json://` posts to.

It records every POST (path and JSON body) in order. The path chooses the answer: `/ok...` answers 200, `/fail...`
answers 500, `/hang...` answers only after `hang_s` (or when the receiver stops).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Post:
    path: str
    body: dict[str, Any]
    at: float

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))

    @property
    def first_line(self) -> str:
        return self.message.splitlines()[0] if self.message else ""


@dataclass
class Receiver:
    port: int
    hang_s: float
    posts: list[Post] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def to(self, path: str) -> list[Post]:
        return [p for p in self.posts if p.path.split("?")[0] == "/" + path.lstrip("/")]


@contextmanager
def receiver(hang_s: float = 30.0) -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode("utf-8", "replace")}
            rec = state["r"]
            rec.posts.append(Post(self.path, body, time.monotonic()))
            if self.path.startswith("/hang"):
                rec.stopping.wait(rec.hang_s)
            code = 500 if self.path.startswith("/fail") else 200
            try:
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    state["r"] = Receiver(port=server.server_address[1], hang_s=hang_s)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        state["r"].stopping.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
