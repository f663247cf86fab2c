"""The canary report says each step's state as the platform answered it, also when the loop stops part-way.

A loopback proxy in front of the standalone sandbox passes every call through but one: mark-paid answers 500. The
withdrawal was approved (the approve call answered `approved`, the platform then showed `approved`): the report must
say the open withdrawal was last `approved`, not `requested`, and what each admin call answered.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import ROOT, GateRun, Standalone
from .renaming_proxy import QuietHandler

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "server", "date"}


class _FailMarkPaid(QuietHandler):
    """Forwards every call to the sandbox, except `POST .../mark-paid`, answered 500 without reaching it."""

    upstream: tuple[str, int] = ("127.0.0.1", 80)

    def _proxy(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "POST" and urlsplit(self.path).path.endswith("/mark-paid"):
            self._answer(500, b'{"error_code": "INTERNAL_ERROR"}', [("Content-Type", "application/json")])
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Content-Length"] = str(len(raw))
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            conn.request(self.command, self.path, body=raw or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            self._answer(resp.status, payload, kept)
        finally:
            conn.close()

    do_GET = do_POST = do_OPTIONS = do_PUT = do_PATCH = do_DELETE = _proxy


@pytest.fixture
def mark_paid_fails(standalone_sandbox: Standalone) -> Iterator[tuple[str, Standalone]]:
    up = urlsplit(standalone_sandbox.url)
    assert up.hostname == "127.0.0.1" and up.port
    handler = type("Handler", (_FailMarkPaid,), {"upstream": (up.hostname, up.port)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fail-mark-paid", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", standalone_sandbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _run(gate: Callable[..., GateRun], reports: Path, platform: tuple[str, Standalone], *args: str) -> GateRun:
    url, sandbox = platform
    return gate(reports, f"--target-url={url}", "--env-name=staging",
                f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}", *args,
                env={**sandbox.env, "CUTOVER_DB_DSN": sandbox.dsn})


def test_after_a_failed_mark_paid_the_report_says_the_withdrawal_is_approved(
        gate: Callable[..., GateRun], tmp_path: Path, mark_paid_fails: tuple[str, Standalone]) -> None:
    run = _run(gate, tmp_path / "en", mark_paid_fails)

    assert run.decision["decision"] == "NO-GO", run.output[-3000:]
    assert run.line("t0_admin_approve")["result"] == "PASS"
    assert run.line("t0_mark_paid")["result"] == "FAIL"
    assert "payout_withdraw_http_error" in run.trigger_rows()  # mark-paid answered 5xx: the matrix's first row
    report = (run.reports / "canary_report.md").read_text(encoding="utf-8")
    money = report.split("Where the money is")[1]
    withdraw_tx = run.line("t0_withdraw_request")["evidence"]["withdraw_tx_id"]
    assert f"**Open withdrawal:** `{withdraw_tx}`, last state `approved`." in money, money
    assert "`requested`" not in money
    row3 = next(line for line in report.splitlines() if line.startswith("| 3 | Admin approve"))
    assert "answered `approved`" in row3 and "platform shows `approved`" in row3 and row3.endswith("| PASS |")
    row4 = next(line for line in report.splitlines() if line.startswith("| 4 | Admin payout"))
    assert row4.endswith("| FAIL |") and "`paid`" not in row4.split("|")[4]

