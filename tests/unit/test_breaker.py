"""The circuit breaker and rate limiting, against real loopback servers: a dead target opens the breaker after one
failed call and its probe; a route that hangs while the target lives blocks writers only; a 429 is waited out within
its Retry-After, or reported as rate limiting, never as a defect."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cutover_gate.config.target_profile import load_profile
from cutover_gate.target.breaker import Breaker
from cutover_gate.target.client import RateLimited, TargetClient, TargetUnreachable

PROFILE = load_profile(None)


class Target:
    """Health answers 200; /hang never answers; /limited answers 429 (Retry-After) `limited` times, then 200."""

    def __init__(self, limited: int = 0, retry_after: str = "0.2") -> None:
        outer = self
        self.limited, self.seen = limited, 0
        self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.seen += 1
                if self.path.startswith("/hang"):
                    outer.release.wait(10)
                    return
                if self.path.startswith("/limited") and outer.limited > 0:
                    outer.limited -= 1
                    self.send_response(429)
                    self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def target() -> Iterator[Target]:
    t = Target()
    yield t
    t.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_dead_target_opens_the_breaker_and_later_calls_fail_at_once() -> None:
    breaker = Breaker()
    client = TargetClient(closed_port_url(), PROFILE, breaker=breaker)
    with pytest.raises(TargetUnreachable, match="connection refused"):
        client.post("/api/v1/player/wallet/withdraw", json={})
    assert breaker.down_since is not None and "connection refused" in breaker.describe().text()
    assert breaker.writes_blocked and "whether it took effect is unknown" in breaker.writes_blocked.text()
    started = time.monotonic()
    with pytest.raises(TargetUnreachable, match=r"not sent, target unreachable since \d{4}-"):
        client.get("/api/health")
    assert time.monotonic() - started < 1  # no network, no retry


def test_a_hung_route_on_a_live_target_blocks_writers_but_not_the_run(target: Target) -> None:
    breaker = Breaker()
    client = TargetClient(target.url, PROFILE, breaker=breaker, timeout=0.3)
    with pytest.raises(TargetUnreachable):
        client.post("/hang", json={})
    assert breaker.down_since is None  # the health probe answered: the target lives
    assert breaker.writes_blocked and "POST" in breaker.writes_blocked.text()
    assert client.get("/api/health").status == 200


def test_a_failed_read_on_a_live_target_blocks_nothing(target: Target) -> None:
    breaker = Breaker()
    client = TargetClient(target.url, PROFILE, breaker=breaker, timeout=0.3)
    with pytest.raises(TargetUnreachable):
        client.get("/hang", retries=1)
    assert breaker.down_since is None and breaker.writes_blocked is None


def test_a_429_is_waited_out_within_its_retry_after() -> None:
    target = Target(limited=2, retry_after="0.1")
    try:
        client = TargetClient(target.url, PROFILE, rate_limit_wait_s=5)
        assert client.post("/limited", json={}).status == 200
        assert target.seen == 3
    finally:
        target.close()


@pytest.mark.parametrize("retry_after", ["60", ""])
def test_a_429_longer_than_a_call_may_wait_is_rate_limiting(retry_after: str) -> None:
    target = Target(limited=5, retry_after=retry_after)
    try:
        client = TargetClient(target.url, PROFILE, rate_limit_wait_s=2)
        with pytest.raises(RateLimited, match=r"rate limited by the target \(HTTP 429, Retry-After"):
            client.post("/limited", json={})
        assert target.seen == 1  # nothing was sent again without a Retry-After to honour
    finally:
        target.close()
