"""The war room's channels: CUTOVER_COMMS_URLS read and masked, and posting with Apprise bounded by its deadline
(real `json://` posts to a loopback receiver; one that refuses, one that answers 500, one that hangs)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from cutover_gate.core.redact import MASK, REDACTOR
from cutover_gate.reports import comms_channels as ch
from tests.e2e.comms_receiver import closed_port, receiver


def test_the_urls_are_split_as_apprise_reads_them() -> None:
    value = " slack://T1/B2/C3, json://h:8080/p?to=a,b  mattermost://m.example.com/tok\n"
    assert ch.split_urls(value) == ["slack://T1/B2/C3", "json://h:8080/p?to=a,b", "mattermost://m.example.com/tok"]
    assert ch.split_urls("") == [] and ch.split_urls(None) == []


def test_a_channel_is_named_by_its_scheme_only() -> None:
    urls = ["json://10.1.2.3:9/hook-abc123", "slack://xoxb-123/B456/C789", "json://other:1/x", "no-scheme-value"]
    assert ch.labels(urls) == ["json://… #1", "slack://…", "json://… #2", "?://…"]


def test_every_part_of_a_url_is_masked_wherever_it_appears() -> None:
    channel = ch.Channel("json://bot:pw-93hX@chat.corp-example.net:8443/hooks/war-room-5f2a?token=Tk93xQ", "json://…")
    assert repr(channel) == "Channel(json://…)" and "chat" not in str(channel)
    text = ("posted to chat.corp-example.net:8443 at /hooks/war-room-5f2a with Tk93xQ by pw-93hX "
            "(host chat.corp-example.net)")
    scrubbed = REDACTOR.scrub(text)
    for secret in ("corp-example", "8443", "war-room-5f2a", "Tk93xQ", "pw-93hX"):
        assert secret not in scrubbed, scrubbed
    assert scrubbed.count(MASK) >= 5


def test_a_loopback_host_is_masked_with_its_port_and_in_the_channels_own_causes() -> None:
    channel = ch.Channel("json://127.0.0.1:45871/hook-77aa", "json://…")
    assert REDACTOR.scrub("at 127.0.0.1:45871/hook-77aa") == f"at {MASK}"
    assert REDACTOR.scrub("connect 127.0.0.1:45871, then POST /hook-77aa") == f"connect {MASK}, then POST {MASK}"
    assert REDACTOR.scrub("http://127.0.0.1:8000/api/health") == "http://127.0.0.1:8000/api/health"
    assert channel.scrub("error sending to 127.0.0.1.") == f"error sending to {MASK}."
    assert "/api" not in ch.secret_parts("json://chat.example.org/api")  # a short generic path alone names nothing


def fake(result: tuple[bool, list[str]] | None = None, sleep: float = 0.0, error: Exception | None = None
         ) -> tuple[list[tuple[str, str]], ch.Callable[..., tuple[bool, list[str]]]]:
    calls: list[tuple[str, str]] = []

    def notify(url: str, title: str, body: str, level: str, timeout_s: float) -> tuple[bool, list[str]]:
        calls.append((title, body))
        time.sleep(sleep)
        if error is not None:
            raise error
        return result or (True, [])
    return calls, notify


def test_deliver_says_sent_or_why_not() -> None:
    channel = ch.Channel("json://chat.example.org/hook-1a2b3c", "json://…")
    assert ch.deliver(channel, "t", "b", "info", 1, fake()[1]).status == "sent"
    http = ch.deliver(channel, "t", "b", "info", 1, fake((False, ["WARNING Failed: Bad Gateway, error=502."]))[1])
    assert (http.status, http.cause, http.detail) == ("failed", "http", "HTTP 502")
    refused = ch.cause_of(["WARNING A Connection error occurred sending to chat.example.org.",
                           "DEBUG Socket Exception: [Errno 111] Connection refused"])
    assert refused == ("refused", "")
    boom = RuntimeError("boom at chat.example.org/hook-1a2b3c")
    crash = ch.deliver(channel, "t", "b", "info", 1, fake(error=boom)[1])
    assert crash.cause == "error" and "chat.example.org" not in crash.detail and "hook-1a2b3c" not in crash.detail


def test_a_hanging_post_is_bounded_and_blocks_nothing_after_it() -> None:
    channel = ch.Channel("json://chat.example.org/hook-hang-1", "json://…")
    calls, notify = fake(sleep=1.5)
    started = time.monotonic()
    out = ch.deliver(channel, "t", "b", "info", 0.3, notify)
    assert time.monotonic() - started < 0.8
    assert (out.status, out.cause, out.detail) == ("failed", "timeout", "0.3")
    again = ch.deliver(channel, "t", "b", "info", 0.3, notify)
    assert again.cause == "hanging" and len(calls) == 1  # not posted again while the first still hangs


def test_the_poster_keeps_the_order_and_its_deadline() -> None:
    channel = ch.Channel("json://chat.example.org/hook-order-9", "json://…")
    calls, notify = fake(sleep=0.05)
    poster = ch.Poster([channel], 1.0, notify)
    outcomes: list[str] = []
    lock = threading.Lock()

    def done(name: str) -> ch.Callable[[ch.Outcome], None]:
        def record(outcome: ch.Outcome) -> None:
            with lock:
                outcomes.append(f"{name}:{outcome.status}")
        return record

    for i in range(5):
        poster.submit(channel, ch.Job("t", f"m{i}", "info", done(f"m{i}")))
    poster.close()
    assert [body for _, body in calls] == [f"m{i}" for i in range(5)]
    assert outcomes == [f"m{i}:sent" for i in range(5)]

    slow = ch.Channel("json://chat.example.org/hook-slow-9", "json://…")
    poster = ch.Poster([slow], 0.3, fake(sleep=5)[1])
    late: list[ch.Outcome] = []
    for _ in range(3):
        poster.submit(slow, ch.Job("t", "b", "info", late.append))
    started = time.monotonic()
    waited = poster.close()
    assert waited < 0.6 and time.monotonic() - started < 0.6
    poster.submit(slow, ch.Job("t", "b", "info", late.append))
    assert late[-1].cause == "deadline"


def test_apprise_posts_json_to_a_loopback_receiver() -> None:
    with receiver(hang_s=10) as rec:
        ok = ch.Channel(rec.url("ok-unit-4d4d"), "json://… #1")
        assert ch.deliver(ok, "Cutover abc", "Backup PASS\n- detail", "success", 3).status == "sent"
        post = rec.to("ok-unit-4d4d")[0]
        assert post.body["title"] == "Cutover abc" and post.body["message"] == "Backup PASS\n- detail"
        assert post.body["type"] == "success"

        failing = ch.deliver(ch.Channel(rec.url("fail-unit-5e5e"), "json://… #2"), "t", "b", "info", 3)
        assert (failing.status, failing.cause, failing.detail) == ("failed", "http", "HTTP 500")

        refused = ch.deliver(ch.Channel(f"json://127.0.0.1:{closed_port()}/gone-6f6f", "json://… #3"), "t", "b",
                             "info", 3)
        assert (refused.status, refused.cause) == ("failed", "refused")

        started = time.monotonic()
        hung = ch.deliver(ch.Channel(rec.url("hang-unit-7a7a"), "json://… #4"), "t", "b", "info", 1)
        assert time.monotonic() - started < 1.5 and hung.cause == "timeout"

        invalid = ch.deliver(ch.Channel("nosuchservice://abc-123456", "nosuchservice://…"), "t", "b", "info", 3)
        assert (invalid.status, invalid.cause) == ("failed", "invalid")


def test_a_post_logs_nothing_a_capture_could_keep(caplog: pytest.LogCaptureFixture) -> None:
    """pytest captures non-propagating loggers too: Apprise's and urllib3's lines of a post (they name the host and
    the path) are dropped before any handler, and kept only as the post's cause."""
    caplog.set_level(logging.DEBUG)
    with receiver() as rec:
        ch.quiet_apprise()
        caplog.clear()
        assert ch.deliver(ch.Channel(rec.url("ok-log-8c8c8c"), "json://…"), "t", "b", "info", 3).status == "sent"
        gone = closed_port()
        refused = ch.deliver(ch.Channel(f"json://127.0.0.1:{gone}/gone-log-9d9d", "json://…"), "t", "b", "info", 3)
        assert refused.cause == "refused"
    text = caplog.text + "".join(str(r.msg) for r in caplog.records)
    for secret in (str(rec.port), "ok-log-8c8c8c", str(gone), "gone-log-9d9d"):
        assert secret not in text, text
