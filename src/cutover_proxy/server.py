"""`FaultProxy`: a loopback HTTP proxy in front of one upstream, or several (a round-robin load balancer), injecting
faults below the application.

One thread accepts, one thread serves each client connection (keep-alive honoured). A request is read whole, the
rules decide its fate, and unless a rule answers instead it is forwarded with `http.client` on a fresh upstream
connection; the upstream's answer (chunked or not) is read whole and written back with a Content-Length. Given
several upstreams (replicas of one platform), each forwarded request goes to the next one in turn, whatever the
connection it came on (`Exchange.upstream` says which answered); there are no health checks: a request sent to an
upstream that is down is a 502, as a load balancer without them answers.

    with FaultProxy("http://127.0.0.1:8000") as proxy:
        proxy.latency(200, path=r"/api/health")
        proxy.status(503, count=3, method="POST", path=r"/api/v1/finance/withdrawals/.*/review")
        proxy.die_after(1, path=r"/api/v1/player/wallet/withdraw")
        ... point the client at proxy.url ...
        proxy.log  # [Exchange(...), ...]

    with FaultProxy(["http://127.0.0.1:8001", "http://127.0.0.1:8002"]) as balancer:
        ... requests alternate between the two ...

`die()` closes the listening socket (later connections are refused) and every open connection, and ends every
hang; `stop()` does the same and then joins every thread it started and closes the recording.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import selectors
import socket
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cutover_proxy.recording import Exchange, Recorder, body_summary, masked_target, utc_now
from cutover_proxy.rules import Plan, Rule, RuleSet, status_body
from cutover_proxy.wire import BadRequest, Request, Upstream, end_to_end, read_request, write_response

THREAD_PREFIX = "cutover-proxy"
JOIN_TIMEOUT_S = 5.0
Answer = tuple[int, str, list[tuple[str, str]], bytes, str | None]
"""status, reason, headers, body, the Content-Length of a HEAD answer."""


def _quietly(action: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(OSError):
        action(*args, **kwargs)


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    thread: threading.Thread | None = None
    upstream: http.client.HTTPConnection | None = None

    def cut(self) -> None:
        """Wake whatever this connection's thread is blocked on (reading the client, waiting for the upstream)."""
        upstream = self.upstream
        for sock in (self.sock, upstream.sock if upstream is not None else None):
            if sock is not None:
                _quietly(sock.shutdown, socket.SHUT_RDWR)


class FaultProxy:
    """A fault-injecting HTTP proxy on 127.0.0.1 in front of a loopback upstream, or of several taken in turn
    (round-robin per forwarded request). Rules change at any time, from any thread; each is limited by `method`, a
    `path` regex (full match on the path without the query) and the `first`..`last` matching request (1-based)."""

    def __init__(self, upstream_url: str | Sequence[str], *, port: int = 0, record: str | Path | None = None,
                 upstream_timeout: float = 60.0) -> None:
        urls = [upstream_url] if isinstance(upstream_url, str) else list(upstream_url)
        if not urls:
            raise ValueError("the fault proxy needs at least one upstream")
        self._upstreams = tuple(Upstream.of(url) for url in urls)
        self.upstream_url = self._upstreams[0].url
        """The (first) upstream's base URL."""
        self.upstream_timeout = upstream_timeout
        self._turn = 0
        self._port = port
        self._record_path = record
        self._rules = RuleSet()
        self._recorder = Recorder()
        self._lock = threading.Lock()
        self._conns: set[_Connection] = set()
        self._count = 0
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._cut = threading.Event()
        """Set when the proxy dies or stops: hangs end, connections close, nothing new is served."""
        self._dead = False
        self._stopped = False

    # -- life -----------------------------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        if self._listener is not None or self._dead:
            raise RuntimeError("a FaultProxy starts once")
        self._recorder = Recorder(self._record_path)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self._port))
            listener.listen(128)
            listener.setblocking(False)
        except OSError:
            listener.close()
            self._recorder.close()
            raise
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop, args=(listener,),
                                               name=f"{THREAD_PREFIX}-accept", daemon=True)
        self._accept_thread.start()
        return self

    def die(self) -> None:
        """The target dies: the listening socket closes (later connections are refused), open connections close
        without an answer, hangs end. Idempotent; safe from any thread."""
        self._die()

    def _die(self, spare: _Connection | None = None) -> None:
        """`spare`: the connection whose answer is the last one the dying target gives (`die_after`)."""
        with self._lock:
            if self._dead:
                return
            self._dead = True
            self._cut.set()
            conns, listener = list(self._conns), self._listener
        if listener is not None:
            _quietly(listener.shutdown, socket.SHUT_RDWR)  # wakes the accept loop at once
        accept = self._accept_thread
        if accept is not None and accept is not threading.current_thread():
            accept.join(JOIN_TIMEOUT_S)
        for conn in conns:
            if conn is not spare:
                conn.cut()

    def stop(self) -> None:
        """Close everything (listener, every connection, hung ones included), join every thread, close the
        recording. Idempotent."""
        self.die()
        with self._lock:
            self._stopped = True
            conns = list(self._conns)
        for conn in conns:
            conn.cut()
        me = threading.current_thread()
        if self._accept_thread is not None and self._accept_thread is not me:
            self._accept_thread.join(JOIN_TIMEOUT_S)
        for conn in conns:
            if conn.thread is not None and conn.thread is not me:
                conn.thread.join(JOIN_TIMEOUT_S)
        self._recorder.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what it is -----------------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the proxy is not started")
        return int(self._port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dead(self) -> bool:
        return self._dead

    @property
    def upstream_urls(self) -> tuple[str, ...]:
        """Every upstream's base URL, in the order they take turns."""
        return tuple(up.url for up in self._upstreams)

    @property
    def log(self) -> list[Exchange]:
        """Every request seen so far, in the order each was settled (`seq` is the arrival order)."""
        return self._recorder.entries()

    @property
    def rules(self) -> list[Rule]:
        return self._rules.snapshot()

    @property
    def accepted(self) -> int:
        """How many client connections were accepted so far."""
        with self._lock:
            return self._count

    def open_connections(self) -> int:
        with self._lock:
            return len(self._conns)

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "dead" if self._dead else "up" if self._listener else "new"
        shown = self.upstream_url if len(self._upstreams) == 1 else list(self.upstream_urls)
        return f"FaultProxy({shown!r}, port={self._port}, {state}, rules={len(self.rules)})"

    # -- the rules ------------------------------------------------------------------------------------------------
    def latency(self, ms: float, *, method: str | None = None, path: str | None = None, first: int = 1,
                last: int | None = None) -> Rule:
        """Delay each matching request by `ms` before it goes on."""
        return self._rules.add(Rule("latency", method, path, first, last, ms=ms))

    def jitter(self, max_ms: float, *, seed: int | None = None, method: str | None = None, path: str | None = None,
               first: int = 1, last: int | None = None) -> Rule:
        """Delay each matching request by a random 0..`max_ms`, drawn from `random.Random(seed)`: the same seed and
        the same requests give the same delays (each is in the log's `delay_ms`)."""
        return self._rules.add(Rule("jitter", method, path, first, last, ms=max_ms, seed=seed))

    def hang(self, *, method: str | None = None, path: str | None = None, first: int = 1,
             last: int | None = None) -> Rule:
        """Read the request, never answer: the client's timeout must fire (the hang ends when the proxy dies or
        stops)."""
        return self._rules.add(Rule("hang", method, path, first, last))

    def reset(self, *, method: str | None = None, path: str | None = None, first: int = 1,
              last: int | None = None) -> Rule:
        """Read the request, then close the connection abruptly (SO_LINGER 0: a TCP RST), with no answer."""
        return self._rules.add(Rule("reset", method, path, first, last))

    def status(self, code: int, count: int | None = None, *, body: bytes | str | dict[str, Any] | None = None,
               method: str | None = None, path: str | None = None, first: int = 1, last: int | None = None) -> Rule:
        """Answer `code` (a JSON error body unless `body` is given) instead of forwarding, for `count` matching
        requests from the `first` on (or up to `last`; for ever when neither): a 5xx burst."""
        if count is not None:
            if count < 1:
                raise ValueError("count must be at least 1")
            last = first + count - 1
        raw = (json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(body, str)
               else body if body is not None else status_body(code))
        return self._rules.add(Rule("status", method, path, first, last, code=code, body=raw))

    def die_after(self, n: int, *, method: str | None = None, path: str | None = None) -> Rule:
        """Die once the `n`th matching request has been answered: a target dying mid-run."""
        return self._rules.add(Rule("die", method, path, first=n, last=n))

    def remove(self, rule: Rule) -> None:
        self._rules.remove(rule)

    def clear(self) -> None:
        """Back to pass-through (a dead proxy stays dead)."""
        self._rules.clear()

    # -- serving --------------------------------------------------------------------------------------------------
    def _accept_loop(self, listener: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        try:
            selector.register(listener, selectors.EVENT_READ)
            while not self._cut.is_set():
                if not selector.select(timeout=0.2) or self._cut.is_set():
                    continue
                try:
                    sock, _addr = listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    break
                self._admit(sock)
        finally:
            selector.close()
            listener.close()

    def _admit(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        _quietly(sock.setsockopt, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection(sock)
        with self._lock:
            if self._cut.is_set():
                sock.close()
                return
            self._count += 1
            conn.thread = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                           name=f"{THREAD_PREFIX}-conn-{self._count}")
            self._conns.add(conn)
            conn.thread.start()

    def _serve(self, conn: _Connection) -> None:
        rfile, wfile = conn.sock.makefile("rb"), conn.sock.makefile("wb")
        abrupt = False
        try:
            while not self._cut.is_set():
                try:
                    request = read_request(rfile, wfile)
                except BadRequest:
                    body = json.dumps({"detail": "cutover-proxy: bad request"}).encode()
                    _quietly(write_response, wfile, 400, "", [("Content-Type", "application/json")], body,
                             keep_alive=False)
                    break
                except (OSError, ValueError):
                    break
                if request is None:
                    break
                fate = self._handle(conn, request, wfile)
                if fate != "keep":
                    abrupt = fate == "abort"
                    break
        finally:
            for f in (rfile, wfile):
                _quietly(f.close)
            if abrupt:  # a reset: RST instead of FIN
                _quietly(conn.sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            _quietly(conn.sock.close)
            with self._lock:
                self._conns.discard(conn)

    def _handle(self, conn: _Connection, req: Request, wfile: Any) -> str:
        """Settle one request; "keep" the connection, "close" it, or "abort" it (RST)."""
        start, at, seq = time.monotonic(), utc_now(), self._recorder.next_seq()

        upstream: str | None = None

        def record(outcome: int | str, plan: Plan) -> None:
            self._recorder.add(Exchange(
                seq, at, req.method, masked_target(req.target), tuple(req.headers.keys()),
                body_summary(req.body, req.headers.get("Content-Type")), len(req.body), outcome, plan.delay_ms,
                plan.applied, round((time.monotonic() - start) * 1000, 3), upstream))

        if self._cut.is_set():
            record("refused", Plan())
            return "abort"
        plan = self._rules.decide(req.method, req.path)
        if plan.delay_ms and self._cut.wait(plan.delay_ms / 1000):
            record("reset", plan)  # the proxy died or stopped during the delay
            return "abort"
        if plan.action == "hang":
            record("hang", plan)
            self._cut.wait()
            return "close"
        if plan.action == "reset":
            record("reset", plan)
            return "abort"
        if plan.action == "status":
            answer: Answer = (plan.code, "", [("Content-Type", "application/json")], plan.body, None)
        else:
            chosen = self._next_upstream()
            upstream = chosen.url
            answer = self._forward(conn, req, chosen)
        status, reason, headers, body, head_length = answer
        if plan.die:  # dead before the client has this last answer: what it tries next is refused
            self._die(spare=conn)
        keep = req.keep_alive and not self._cut.is_set()
        record(status, plan)  # before the answer leaves: whoever has the answer finds it in the log
        try:
            write_response(wfile, status, reason, headers, body, keep_alive=keep, head=req.method == "HEAD",
                           head_length=head_length)
        except OSError:
            return "abort"  # the client went away (or the proxy died meanwhile)
        return "keep" if keep else "close"

    def _next_upstream(self) -> Upstream:
        """The upstream whose turn it is (round-robin over the forwarded requests)."""
        with self._lock:
            chosen = self._upstreams[self._turn % len(self._upstreams)]
            self._turn += 1
        return chosen

    def _forward(self, conn: _Connection, req: Request, to: Upstream) -> Answer:
        upstream = http.client.HTTPConnection(to.host, to.port, timeout=self.upstream_timeout)
        conn.upstream = upstream
        try:
            upstream.putrequest(req.method, to.prefix + req.target, skip_host=True, skip_accept_encoding=True)
            for key, value in end_to_end(list(req.headers.items())):
                if key.lower() != "host":
                    upstream.putheader(key, value)
            upstream.putheader("Host", to.netloc)
            if req.body or req.method in ("POST", "PUT", "PATCH"):
                upstream.putheader("Content-Length", str(len(req.body)))
            upstream.endheaders(req.body or None)
            resp = upstream.getresponse()
            payload = resp.read()
            return resp.status, resp.reason, resp.getheaders(), payload, resp.getheader("Content-Length")
        except (OSError, http.client.HTTPException) as exc:
            body = json.dumps({"error_code": "UPSTREAM_UNREACHABLE",
                               "message": f"cutover-proxy: upstream {to.netloc} did not answer "
                                          f"({type(exc).__name__})"}).encode()
            return 502, "Bad Gateway", [("Content-Type", "application/json")], body, None
        finally:
            conn.upstream = None
            upstream.close()
