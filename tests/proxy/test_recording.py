"""The recording: every request with its time, method, path, body and fate; header names only; secrets masked."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import requests

from cutover_proxy import Exchange, FaultProxy
from cutover_proxy.recording import body_summary, mask, masked_target
from tests.proxy.conftest import Upstream, get_in_background

TOKEN = "eyJ-very-secret-bearer-token-0042"
SIGNATURE = "t=1700000000,v1=deadbeefcafe5e11"
PASSWORD = "Zq8-unique-admin-passphrase-4417"


def test_every_request_is_recorded_with_its_fate(upstream: Upstream, client: requests.Session,
                                                 tmp_path: Path) -> None:
    record = tmp_path / "rec" / "proxy.jsonl"
    with FaultProxy(upstream.url, record=record) as proxy:
        proxy.hang(path="/hang")
        proxy.reset(path="/reset")
        proxy.status(503, path="/burst")
        client.post(f"{proxy.url}/api/v1/auth/login?lang=tr", json={"email": "a@b.c", "password": PASSWORD},
                    timeout=5)
        client.post(f"{proxy.url}/raw", data=b"\x00\x01binary", headers={"Content-Type": "application/octet-stream"},
                    timeout=5)
        client.get(f"{proxy.url}/burst", timeout=5)
        with pytest.raises(requests.Timeout):
            client.get(f"{proxy.url}/hang", timeout=0.3)
        with pytest.raises(requests.ConnectionError):
            client.get(f"{proxy.url}/reset", timeout=5)
        log = proxy.log
    login, raw, burst, hang, reset = sorted(log, key=lambda e: e.seq)
    assert isinstance(login, Exchange)
    assert (login.method, login.path, login.outcome, login.status) == ("POST", "/api/v1/auth/login?lang=tr", 200, 200)
    assert login.body == {"email": "a@b.c", "password": "***"}
    assert login.body_length == len(json.dumps({"email": "a@b.c", "password": PASSWORD}))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", login.at)
    assert (raw.body, raw.body_length) == (None, 8)
    assert (burst.outcome, burst.rules) == (503, ("status(503) /burst #1..",))
    assert (hang.outcome, hang.status, reset.outcome) == ("hang", None, "reset")
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 5
    assert {line["outcome"] for line in lines} == {200, 503, "hang", "reset"}
    assert lines[0].keys() >= {"seq", "at", "method", "path", "headers", "body", "body_length", "outcome"}


def test_header_values_and_secrets_never_recorded(upstream: Upstream, client: requests.Session,
                                                  tmp_path: Path) -> None:
    record = tmp_path / "proxy.jsonl"
    with FaultProxy(upstream.url, record=record) as proxy:
        client.post(f"{proxy.url}/api/v1/payments/webhook/stripe?token={TOKEN}",
                    json={"type": "checkout.session.completed",
                          "additionalData": {"hmacSignature": SIGNATURE}, "nested": [{"api_key": TOKEN}]},
                    headers={"Authorization": f"Bearer {TOKEN}", "Stripe-Signature": SIGNATURE,
                             "Cookie": f"session={TOKEN}"}, timeout=5)
        entry = proxy.log[0]
    assert {"Authorization", "Stripe-Signature", "Cookie", "Content-Type"} <= set(entry.headers)
    assert entry.body == {"type": "checkout.session.completed", "additionalData": {"hmacSignature": "***"},
                          "nested": [{"api_key": "***"}]}
    assert entry.path == "/api/v1/payments/webhook/stripe?token=%2A%2A%2A"
    for text in (record.read_text(encoding="utf-8"), repr(proxy.log)):
        for secret in (TOKEN, SIGNATURE, "deadbeef", "Bearer"):
            assert secret not in text


def test_a_request_cut_off_by_death_is_recorded_as_reset(upstream: Upstream) -> None:
    """The target dies while a request is in flight (here: held by a latency rule): no answer, recorded as reset,
    never forwarded."""
    with FaultProxy(upstream.url) as proxy:
        rule = proxy.latency(10_000, path="/slow")
        caller, errors = get_in_background(f"{proxy.url}/slow")
        deadline = time.monotonic() + 5
        while rule.applied == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the request is read and held
        proxy.die()
        caller.join(timeout=5)
        while not proxy.log and time.monotonic() < deadline + 5:
            time.sleep(0.01)  # the caller may see the cut before the connection's thread records it
        assert [e.outcome for e in proxy.log] == ["reset"]
        assert isinstance(errors[0], requests.ConnectionError)
        assert upstream.hits == []


def test_masking_helpers() -> None:
    assert mask({"Password": 1, "otp": "1", "code": "123456", "error_code": "X", "items": [{"secret": 2}]}) == \
        {"Password": "***", "otp": "***", "code": "***", "error_code": "X", "items": [{"secret": "***"}]}
    assert masked_target("/x?a=1&b=2") == "/x?a=1&b=2"
    assert masked_target("/x?a=1&access_token=z") == "/x?a=1&access_token=%2A%2A%2A"
    assert body_summary(b"", "application/json") is None
    assert body_summary(b"{broken", "application/json") is None
    assert body_summary(b'[{"token": "t"}]', None) == [{"token": "***"}]
