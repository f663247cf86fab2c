"""The target client: amounts as Decimal, polling that stops on failure states, clear errors, redacted evidence."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import MASK, Secret
from cutover_gate.target.client import Exchange, TargetClient, TargetUnreachable, beside, poll, to_decimal

PROFILE = load_profile(None)


@pytest.mark.parametrize(("raw", "expected"), [("10", Decimal("10")), ("12.50", Decimal("12.50")), (5, Decimal(5)),
                                                (0.1, Decimal("0.1")), (Decimal("3.3"), Decimal("3.3"))])
def test_to_decimal_parses_the_text_form(raw: Any, expected: Decimal) -> None:
    assert to_decimal(raw, "amount") == expected


@pytest.mark.parametrize("raw", [True, False, None, "ten", "", [1]])
def test_to_decimal_rejects_what_is_not_an_amount(raw: Any) -> None:
    with pytest.raises(CheckFailed, match=r"available_real is .*, not an amount"):
        to_decimal(raw, "available_real")


def reader(states: list[str]) -> tuple[list[str], Any]:
    seen: list[str] = []
    source = iter(states)

    def read() -> str:
        state = next(source, states[-1])
        seen.append(state)
        return state

    return seen, read


def test_poll_returns_once_a_done_state_is_read() -> None:
    seen, read = reader(["created", "pending_provider", "completed", "never read"])
    state = poll(read, done=["completed"], failed=["failed"], deadline_s=30, interval_s=0, what="deposit")
    assert state == "completed"
    assert seen == ["created", "pending_provider", "completed"]


def test_poll_stops_at_once_on_a_failure_state() -> None:
    seen, read = reader(["payout_pending", "payout_failed", "paid"])
    with pytest.raises(CheckFailed, match="payout: reached terminal failure state 'payout_failed'"):
        poll(read, done=["paid"], failed=["payout_failed", "rejected"], deadline_s=30, interval_s=0, what="payout")
    assert seen == ["payout_pending", "payout_failed"]


def test_poll_gives_up_at_the_deadline_naming_the_last_state() -> None:
    _, read = reader(["created", "pending_provider"])
    with pytest.raises(CheckFailed, match=r"deposit: still 'pending_provider' after 0.05 s \(waiting for "
                                          r"\['completed'\]\)"):
        poll(read, done=["completed"], failed=["failed"], deadline_s=0.05, interval_s=0.01, what="deposit")


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port bound but not listening: a connection is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_a_closed_port_raises_target_unreachable_naming_url_and_cause(refused_url: str) -> None:
    exchanges: list[Exchange] = []
    client = TargetClient(refused_url, PROFILE, on_exchange=exchanges.append)
    with pytest.raises(TargetUnreachable) as info:
        client.post("/api/v1/auth/login", json={"email": "a@b.c", "password": "pw-in-body-123"})
    assert str(info.value) == f"POST {refused_url}/api/v1/auth/login: target unreachable (connection refused)"
    assert isinstance(info.value, CheckFailed)
    [ex] = exchanges
    assert ex.status is None
    assert ex.error == "connection refused"
    assert ex.request_body == {"email": "a@b.c", "password": MASK}
    client.close()


class Recorded:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.body: Any = None


@pytest.fixture
def target() -> Iterator[tuple[str, Recorded]]:
    """A tiny HTTP target on 127.0.0.1 answering like the platform's admin login; it remembers the last request."""
    seen = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            seen.headers = dict(self.headers)
            seen.body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self._answer(200, json.dumps({"access_token": "issued-token-4711", "token_type": "bearer",
                                          "error_code": None, "user": {"id": "u-1"}}).encode())

        def do_GET(self) -> None:
            if self.path == "/html":
                self._answer(200, b"<html>catch-all</html>", "text/html")
            else:
                self._answer(401, json.dumps({"error_code": "INVALID_CREDENTIALS", "message": "no"}).encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_recorded_exchange_is_redacted_while_the_target_gets_the_real_values(
        target: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = target
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")  # never routed through a proxy from the environment
    exchanges: list[Exchange] = []
    client = TargetClient(url + "/", PROFILE, on_exchange=exchanges.append)
    token = Secret("admin-bearer-token-5150", "admin token")

    resp = client.post("/api/v1/auth/login", token=token, headers={"Idempotency-Key": "idem-key-8080"},
                       json={"email": "ops@x.io", "password": "real-password-6060"})

    assert resp.status == 200
    assert resp.field("user.id") == "u-1"
    assert seen.headers["Authorization"] == "Bearer admin-bearer-token-5150"
    assert seen.headers["Idempotency-Key"] == "idem-key-8080"
    assert seen.body == {"email": "ops@x.io", "password": "real-password-6060"}

    [ex] = exchanges
    record = json.dumps(ex.to_json())
    for value in ("admin-bearer-token-5150", "idem-key-8080", "real-password-6060", "issued-token-4711"):
        assert value not in record
    assert ex.request_headers["Authorization"] == MASK
    assert ex.request_headers["Idempotency-Key"] == MASK
    assert ex.request_headers["Content-Type"] == "application/json"
    assert ex.request_body == {"email": "ops@x.io", "password": MASK}
    assert ex.response_body["access_token"] == MASK
    assert ex.response_body["user"] == {"id": "u-1"}
    assert ex.url == f"{url}/api/v1/auth/login"
    assert ex.status == 200
    client.close()


def test_expect_names_what_was_expected_and_keeps_error_code(target: tuple[str, Recorded]) -> None:
    url, _ = target
    client = TargetClient(url, PROFILE)
    resp = client.get("/api/v1/auth/me")
    with pytest.raises(CheckFailed, match=r'admin profile: expected HTTP 200, got GET .*/api/v1/auth/me -> 401 '
                                          r'\{"error_code": "INVALID_CREDENTIALS"'):
        resp.expect(200, what="admin profile")
    assert resp.expect(401, 403, what="anonymous call") is resp
    client.close()


def test_a_non_json_answer_is_a_check_failure_naming_the_content_type(target: tuple[str, Recorded]) -> None:
    url, _ = target
    client = TargetClient(url, PROFILE)
    with pytest.raises(CheckFailed, match=r"GET .*/html answered 200 with a non-JSON body \(content-type text/html\)"):
        client.get("/html").json()
    client.close()


def test_a_missing_field_names_the_call_and_the_field(target: tuple[str, Recorded]) -> None:
    url, _ = target
    client = TargetClient(url, PROFILE)
    resp = client.post("/login", json={})
    with pytest.raises(CheckFailed, match=r"POST .*/login: field 'user.name' not found \(missing 'name'\) in the "
                                          "answer"):
        resp.field("user.name")
    client.close()


@pytest.fixture
def trickler() -> Iterator[str]:
    """A target whose answers come a few bytes at a time: fast enough for every socket read, never done in time.
    `/trickle` sends 1 byte per 0.1 s of a 200-byte body; `/chunked` answers whole, gzip-free and chunked, at once;
    `/twice` is keep-alive and fast, to prove whole bodies are still read and the connection reused."""
    import time as _time

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/trickle":
                body = b"x" * 200
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        _time.sleep(0.1)
                except OSError:
                    return  # the client gave up: as it must
            elif self.path == "/chunked":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in (b'{"status":', b'"healthy"}'):
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                body = json.dumps({"status": "healthy", "port": self.client_address[1]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_body_trickled_past_the_deadline_is_a_timeout_not_a_wait(trickler: str) -> None:
    import time as _time

    exchanges: list[Exchange] = []
    client = TargetClient(trickler, PROFILE, timeout=1.0, on_exchange=exchanges.append)
    started = _time.monotonic()
    with pytest.raises(TargetUnreachable, match="timed out"):
        client.request("GET", "/trickle")  # each byte is 0.1 s apart: no socket read ever times out
    assert _time.monotonic() - started < 3  # the 200-byte body alone would take 20 s
    assert exchanges[0].status is None and exchanges[0].error == "timed out"
    client.close()


def test_whole_bodies_plain_and_chunked_are_read_and_the_connection_reused(trickler: str) -> None:
    client = TargetClient(trickler, PROFILE, timeout=2.0)
    first, second = client.request("GET", "/twice"), client.request("GET", "/twice")
    assert first.status == second.status == 200
    assert first.json()["port"] == second.json()["port"]  # one keep-alive connection served both
    assert client.request("GET", "/chunked").json() == {"status": "healthy"}
    client.close()


def test_a_read_started_ahead_is_taken_while_nothing_was_written_and_asked_again_after_a_write() -> None:
    target = TargetClient("http://127.0.0.1:9", PROFILE)  # nothing is sent: the reads are plain functions
    asked: list[str] = []
    lock = threading.Lock()

    def read(name: str, value: str) -> Any:
        def once() -> str:
            with lock:
                asked.append(name)
            return value
        return once

    try:
        target.ahead("status", read("status", "paid"))
        target.ahead("balance", read("balance", "old"))
        assert target.fresh("status", read("status", "never")) == "paid"
        assert target.fresh("balance", read("balance", "never")) == "old"
        assert sorted(asked) == ["balance", "status"]  # both asked ahead, at once, and neither again
        target.ahead("balance", read("balance", "before the write"))
        target.writes += 1  # the gate wrote after the read started: what it saw may be stale
        assert target.fresh("balance", read("balance", "after the write")) == "after the write"
        assert target.fresh("balance", read("balance", "never")) == "after the write"  # nothing written since
        assert target.fresh("balance", read("balance", "asked again"), max_age_s=0) == "asked again"  # too old
    finally:
        target.close()


def test_a_read_ahead_that_failed_is_asked_again_by_the_step_that_needs_it() -> None:
    target = TargetClient("http://127.0.0.1:9", PROFILE)
    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TargetUnreachable("the first attempt got no answer")
        return "answered"

    try:
        target.ahead("status", flaky)
        assert target.fresh("status", flaky) == "answered"
        assert calls == 2
    finally:
        target.close()


def test_a_read_beside_a_state_read_is_taken_only_when_it_shows_the_effect() -> None:
    """`showing`: the balances asked beside the poll's last state read may predate the write's effect. Taken when they
    show it, kept for the next `fresh`; otherwise the step reads again, after."""
    target = TargetClient("http://127.0.0.1:9", PROFILE)
    asked: list[str] = []

    def read(value: str) -> Any:
        def once() -> str:
            asked.append(value)
            return value
        return once

    try:
        target.ahead(beside("balance"), read("credited"))
        assert target.fresh("balance", read("a plain read")) == "a plain read"  # fresh never takes a read beside
        assert target.showing("balance", read("never"), lambda seen: seen == "credited") == "credited"
        assert target.fresh("balance", read("never")) == "credited"  # kept: the next step reads nothing
        target.ahead(beside("balance"), read("before the effect"))
        assert target.showing("balance", read("after the effect"),
                              lambda seen: seen == "after the effect") == "after the effect"  # read again, after
        target.ahead(beside("balance"), read("credited"))
        target.writes += 1  # the gate wrote since: even a value that shows the effect is not taken
        assert target.showing("balance", read("read now"), lambda seen: True) == "read now"
        assert asked.count("never") == 0
    finally:
        target.close()


def test_poll_starts_a_read_every_interval_counted_from_the_start_of_the_one_before() -> None:
    """Fixed rate: a slow answer (a remote platform's round trip) is part of the interval, not added to it."""
    starts: list[float] = []
    states = iter(["pending", "pending", "completed"])

    def slow_read() -> str:
        starts.append(time.monotonic())
        time.sleep(0.3)  # the read's own round trip, as long as the interval
        return next(states)

    poll(slow_read, done=["completed"], failed=[], deadline_s=30, interval_s=0.3, what="deposit")
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 2 and all(gap < 0.5 for gap in gaps), gaps  # a fixed delay would make each gap 0.6 s
