"""HTTP/1.1 on the wire, as much as a loopback proxy needs: read one request (Content-Length or chunked body,
`Expect: 100-continue`), write one complete answer with a Content-Length, which headers are hop-by-hop, and where an
upstream is (loopback http:// only)."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from email.message import Message
from typing import BinaryIO
from urllib.parse import urlsplit

MAX_LINE = 65536
MAX_BODY = 64 * 1024 * 1024
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "content-length"})
NO_BODY_STATUSES = frozenset({204, 304})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Upstream:
    """Where requests are forwarded: a loopback http:// base URL, taken apart."""

    url: str
    host: str
    port: int
    netloc: str
    prefix: str

    @classmethod
    def of(cls, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise ValueError(f"the fault proxy fronts a loopback http:// upstream only, not {url!r}")
        return cls(url.rstrip("/"), parts.hostname, parts.port or 80, parts.netloc, parts.path.rstrip("/"))


class BadRequest(Exception):
    """The client sent something that is not an HTTP/1.x request."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    """The request target as sent: origin form `/path?query` (an absolute URL is reduced to that)."""
    version: str
    headers: Message
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def keep_alive(self) -> bool:
        token = (self.headers.get("Connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in token
        return "close" not in token


def _origin_form(target: str) -> str:
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target


def _read_line(rfile: BinaryIO) -> bytes:
    line = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise BadRequest("line too long")
    return line


def _read_chunked(rfile: BinaryIO) -> bytes:
    out = bytearray()
    while True:
        size_line = _read_line(rfile)
        if not size_line:
            raise BadRequest("connection closed inside a chunked body")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequest("bad chunk size") from None
        if size == 0:
            while _read_line(rfile) not in (b"\r\n", b"\n", b""):
                pass  # trailers: read and dropped
            return bytes(out)
        if len(out) + size > MAX_BODY:
            raise BadRequest("body too large")
        chunk = rfile.read(size)
        if len(chunk) < size:
            raise BadRequest("connection closed inside a chunk")
        out += chunk
        _read_line(rfile)  # the CRLF after the chunk


def read_request(rfile: BinaryIO, wfile: BinaryIO) -> Request | None:
    """The next request of the connection, or None when the client closed it between requests."""
    line = _read_line(rfile)
    while line in (b"\r\n", b"\n"):
        line = _read_line(rfile)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest("not an HTTP/1.x request line")
    method, target, version = parts
    try:
        headers = http.client.parse_headers(rfile)
    except http.client.HTTPException as exc:
        raise BadRequest(f"bad headers: {type(exc).__name__}") from None
    if (headers.get("Expect") or "").lower() == "100-continue":
        wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        wfile.flush()
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        body = _read_chunked(rfile)
    else:
        try:
            length = int(headers.get("Content-Length") or 0)
        except ValueError:
            raise BadRequest("bad Content-Length") from None
        if not 0 <= length <= MAX_BODY:
            raise BadRequest("bad Content-Length")
        body = rfile.read(length) if length else b""
        if len(body) < length:
            return None  # the client went away mid-body
    return Request(method.upper(), _origin_form(target), version, headers, body)


def end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]


def write_response(wfile: BinaryIO, status: int, reason: str, headers: list[tuple[str, str]], body: bytes, *,
                   keep_alive: bool, head: bool = False, head_length: str | None = None) -> None:
    """One complete answer: end-to-end headers, a Content-Length (the upstream's, for HEAD) and the connection's
    fate. A HEAD answer carries no body."""
    lines = [f"HTTP/1.1 {status} {reason or http.client.responses.get(status, '')}".rstrip()]
    lines += [f"{k}: {v}" for k, v in end_to_end(headers)]
    if status not in NO_BODY_STATUSES and status >= 200:
        length = head_length if head and head_length is not None else str(len(body))
        lines.append(f"Content-Length: {length}")
    lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
    wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if body and not head and status not in NO_BODY_STATUSES:
        wfile.write(body)
    wfile.flush()
