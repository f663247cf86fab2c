"""report.html's decision panel and per-test evidence, rendered from hand-built decisions (both languages).

The panel comes first on the page, says the decision in the run's language, gives each IMMEDIATE_ROLLBACK trigger
its decide-by time, each failing line a one-line cause with the raw message behind a toggle, and every line's
evidence inline; the page carries no `data:` link and no secret.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cutover_gate.core.catalogue import LINES
from cutover_gate.core.reasons import Kind, Reason
from cutover_gate.core.redact import MASK
from cutover_gate.decide.rules import Decision
from cutover_gate.evidence.model import Result
from cutover_gate.evidence.recording import ScenarioRecord
from cutover_gate.finish import INTERNAL_ERROR
from cutover_gate.plugin import HtmlHooks
from cutover_gate.reports import html_report as html
from tests.unit.test_render import SEED, at, go_context, nogo_context, pending_context


def panel(decision: Decision | None, lang: str = "en", load: html.EvidenceLoader | None = None) -> str:
    return html.banner_html(decision, lang, load)


def nogo(lang: str = "en") -> Decision:
    """The half-done canary's NO-GO, decided nine minutes after its trigger, the withdraw line's evidence filed."""
    decision = nogo_context(lang).decision
    decision.generated_at = at(70)
    for row in decision.checklist:
        if row.id == "t0_withdraw_request":
            row.ref = "evidence/t0_withdraw_request.json"
    return decision


def text_of(markup: str) -> str:
    """What a reader sees, roughly: the markup without tags and styles, whitespace collapsed."""
    markup = re.sub(r"<style>.*?</style>", " ", markup, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).replace("&#34;", '"').replace("&#39;", "'")


@pytest.fixture
def evidence_dir(tmp_path: Path) -> Path:
    """An evidence file for the failing withdraw line, as writer.evidence_files writes it."""
    (tmp_path / "evidence").mkdir()
    data = {"line": "t0_withdraw_request", "result": {"evidence": {"withdraw_amount": "7.25"}},
            "steps": [{"at": at(60), "status": "PASS", "step": "Given a verified canary player", "message": ""},
                      {"at": at(61), "status": "FAIL", "step": "When the canary requests a withdrawal",
                       "message": f"HTTP 500 token={SEED}"}],
            "http": [{"method": "POST", "url": "http://127.0.0.1:9/api/v1/player/wallet/withdraw", "status": 500,
                      "elapsed_ms": 12.5, "request_headers": {"Authorization": MASK},
                      "request_body": {"amount": "7.25"}, "response_body": {"error_code": "INTERNAL_ERROR"},
                      "error": ""}]}
    (tmp_path / "evidence" / "t0_withdraw_request.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


# --- the panel ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "kicker", "go_statement"), [
    ("en", "Cutover decision", "GO-LIVE confirmed."), ("tr", "Cutover kararı", "GO-LIVE teyit edildi.")])
def test_go_panel_in_the_run_language(lang: str, kicker: str, go_statement: str) -> None:
    out = panel(go_context(lang).decision, lang)
    seen = text_of(out)
    assert f'lang="{lang}"' in out and kicker in seen
    assert re.search(r'id="cg-verdict">GO<', out)
    assert html.VERDICT_COLOURS["GO"] in out and html.VERDICT_COLOURS["NO-GO"] not in out.split("</style>")[1]
    assert go_statement in seen
    assert 'id="cg-triggers"' not in out and 'id="cg-failing"' not in out
    assert out.count('<tr id="cg-row-') == len(LINES)


def test_nogo_panel_names_the_trigger_with_its_decide_by_time(evidence_dir: Path) -> None:
    decision = nogo()
    [trigger] = decision.triggers
    out = panel(decision, "en", html.evidence_loader(evidence_dir))
    seen = text_of(out)
    assert html.VERDICT_COLOURS["NO-GO"] in out and re.search(r'id="cg-verdict">NO-GO<', out)
    assert trigger.observed_at.endswith("T10:01:00Z") and trigger.decide_by.endswith("T10:06:00Z")
    assert "observed 10:01:00 UTC" in seen
    assert "decide by 10:06:00 UTC (5 min after 10:01:00)" in seen
    assert "the deadline had passed when this report was written" in seen  # decided at 10:10:00
    assert seen.index("decide by") < seen.index("Failing lines")  # the trigger heads the page, above the lines


def test_turkish_trigger_wording() -> None:
    seen = text_of(panel(nogo("tr"), "tr"))
    assert "Hemen Rollback" in seen and "IC 5 dakika içinde karar verir" in seen
    assert "karar son anı 10:06:00 UTC (gözlenme 10:01:00 + 5 dakika)" in seen
    assert "Payout/Withdraw 404/5xx" in seen and "FAIL olan satırlar" in seen
    for english in ("Cutover decision", "decide by", "Failing lines", "Full message", "NOT RUN"):
        assert english not in seen, english


def test_a_failing_line_has_a_one_line_cause_the_raw_message_behind_a_toggle_and_its_evidence(
        evidence_dir: Path) -> None:
    out = panel(nogo(), "en", html.evidence_loader(evidence_dir))
    block = out[out.index('id="cg-line-t0_withdraw_request"'):]
    block = block[:block.index("</article>")]
    seen = text_of(block)
    assert "Cause: HTTP 500 from /withdraw token=*** (at step When the canary requests a withdrawal )" in seen
    assert re.search(r'<details class="cg-raw"><summary>Full message</summary><pre>step ', block)
    assert re.search(r'<details class="cg-ev-steps" open>', block)  # a failing line's steps are open
    assert "Given a verified canary player" in seen and "cg-step cg-fail" in block
    assert "withdraw_amount" in seen and "7.25" in seen
    assert "POST /api/v1/player/wallet/withdraw" in seen and "INTERNAL_ERROR" in seen
    assert "Evidence file: evidence/t0_withdraw_request.json" in seen
    blocked = out[out.index('id="cg-line-t0_admin_approve"'):]
    assert "not reached: an earlier step of its scenario failed" in text_of(blocked[:blocked.index("</article>")])
    assert out.index('id="cg-line-t0_withdraw_request"') < out.index('id="cg-line-t0_admin_approve"')


def test_the_one_line_cause() -> None:
    long = "step 'When x': canary withdraw: expected HTTP 200, got POST http://h/api/w -> 500 {\"error\": \"a\"}"
    assert html.cause(long) == {"kind": "failed", "step": "When x",
                                "text": "canary withdraw: expected HTTP 200, got POST http://h/api/w -> 500"}
    assert html.cause("blocked: step 'When y' failed: z") == {"kind": "blocked", "step": "When y", "text": ""}
    cut = html.cause("word " * 100)["text"]
    assert len(cut) <= html.CAUSE_MAX + 2 and cut.endswith(" …") and "\n" not in cut


def test_pending_panel_lists_the_lines_not_yet_pass_and_other_reasons() -> None:
    ctx = pending_context()
    seen = text_of(panel(ctx.decision, "en"))
    assert "PENDING" in seen and "Not yet PASS" in seen and "t60_release_pinned" in seen
    tr = text_of(panel(pending_context("tr").decision, "tr"))
    assert "BEKLEMEDE (PENDING)" in tr and "ÇALIŞTIRILMADI" in tr


@pytest.mark.parametrize(("lang", "said"), [("en", "gate internal error: RuntimeError: template store unavailable"),
                                            ("tr", "gate iç hatası: RuntimeError: template store unavailable")])
def test_an_error_of_the_gate_itself_is_named_under_the_banner(lang: str, said: str) -> None:
    decision = nogo_context(lang).decision
    assert 'id="cg-reasons"' not in panel(decision, lang)  # failing lines and triggers show in their own sections
    decision.checklist, decision.triggers = [], []
    decision.reasons = [Reason(INTERNAL_ERROR, {"error": "RuntimeError: template store unavailable"}, Kind.ERROR)]
    seen = text_of(panel(decision, lang))
    assert "NO-GO" in seen and said in seen


def test_markup_in_evidence_is_escaped_and_secrets_are_masked(evidence_dir: Path) -> None:
    decision = nogo_context().decision
    decision.checklist[0].message = "<script>alert(1)</script>"
    decision.checklist[0].result = Result.FAIL
    out = panel(decision, "en", html.evidence_loader(evidence_dir))
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert SEED not in out and MASK in out


def test_no_decision_and_a_broken_panel_still_say_the_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "not computed" in panel(None) and "hesaplanmadı" in panel(None, "tr")

    def broken(*args: Any) -> dict[str, Any]:
        raise RuntimeError("view broke")

    monkeypatch.setattr(html, "panel_view", broken)
    out = panel(nogo_context().decision)
    assert re.search(r'id="cg-verdict"[^>]*>NO-GO<', out) and "view broke" in out


# --- first on the page ----------------------------------------------------------------------------------------


PAGE = """<!DOCTYPE html><html><head><title>t</title></head>
  <body>
    <h1 id="title">report.html</h1><div id="environment-header"><h2>Environment</h2></div>
    <table id="environment"></table>
    <div class="summary"><div class="additional-summary prefix">{prefix}</div></div>
    <div id="data-container" data-jsonblob="{{&#34;x&#34;: &#34;{seed}&#34;}}"></div>
  </body></html>"""


def test_the_panel_moves_above_everything_pytest_html_adds(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(PAGE.format(prefix=panel(nogo_context().decision), seed=SEED), encoding="utf-8")
    assert html.move_panel_first(page)
    text = page.read_text(encoding="utf-8")
    assert text.index('id="cutover-gate"') < text.index('<h1 id="title">') < text.index('id="environment"')
    assert text.count('id="cutover-gate"') == 1
    assert SEED not in text  # the page is scrubbed once more, pytest-html's own data included


def test_the_panel_stays_where_it_is_when_the_page_is_not_as_expected(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    twice = panel(go_context().decision) * 2
    page.write_text(PAGE.format(prefix=twice, seed="x"), encoding="utf-8")
    assert not html.move_panel_first(page)
    assert page.read_text(encoding="utf-8").index('<h1 id="title">') < page.read_text(encoding="utf-8").index(
        'id="cutover-gate"')
    assert not html.move_panel_first(tmp_path / "absent.html")


def test_the_hooks_put_the_panel_first_in_the_prefix(evidence_dir: Path) -> None:
    ctx = nogo_context("tr")
    plugin = HtmlHooks(lambda: ctx.decision, "tr", reports_dir=evidence_dir)
    prefix, summary, postfix = ["pytest-html's own"], [], []
    plugin.pytest_html_results_summary(prefix, summary, postfix, session=None)  # type: ignore[arg-type]
    assert prefix[0].startswith(html.PANEL_START) and prefix[1] == "pytest-html's own"
    assert "Cutover kararı" in prefix[0] and "POST /api/v1/player/wallet/withdraw" in prefix[0]
    assert summary == [] and postfix == []


def test_html_table_column_and_title() -> None:
    plugin = HtmlHooks(lambda: None, title="Cutover 0123")
    header = ["<th>Result</th>", "<th>Test</th>", "<th>Duration</th>", "<th>Links</th>"]
    plugin.pytest_html_results_table_header(header)
    assert header[2] == "<th>Checklist lines</th>"

    cells = ["<td>Passed</td>", "<td>id</td>", "<td>1 s</td>", "<td></td>"]
    report = SimpleNamespace(user_properties=[("checklist_id", "t0_deposit,t0_withdraw_request")])
    plugin.pytest_html_results_table_row(report, cells)  # type: ignore[arg-type]
    assert cells[2] == '<td class="col-lines">t0_deposit, t0_withdraw_request</td>'

    data = SimpleNamespace(title="report.html")
    plugin.pytest_html_report_title(data)
    assert data.title == "Cutover 0123"


# --- each test's evidence in its row --------------------------------------------------------------------------


RECORD = {
    "nodeid": "n", "lines": ["t0_deposit"], "evidence": {"t0_deposit": {"deposit_tx_id": "dep-1"},
                                                         "t0_webhook_signature": {"payout_missing_answer": 400}},
    "triggers": [{"row": "payout_withdraw_http_error", "action": "IMMEDIATE_ROLLBACK", "observed_at": at(1),
                  "decide_by": at(6), "evidence": "deposit answered 500", "line": "t0_deposit"}],
    "steps": [{"nodeid": "n", "at": at(1), "status": "FAIL", "line": "t0_deposit",
               "step": "When the canary deposits", "message": f"HTTP 500 Bearer {SEED}"}],
    "http": [{"method": "POST", "url": "http://127.0.0.1:9/api/v1/player/wallet/deposit", "status": 500,
              "elapsed_ms": 3.0, "request_headers": {"Authorization": f"Bearer {SEED}"}, "request_body": None,
              "response_body": {"access_token": SEED, "token_type": "bearer"}, "error": ""}]}


@pytest.mark.parametrize(("lang", "words"), [("en", ("Steps", "Recorded values of", "HTTP exchanges")),
                                             ("tr", ("Adımlar", "için kaydedilen değerler", "HTTP alışverişleri"))])
def test_a_tests_evidence_is_html_in_its_row_never_a_data_link(lang: str, words: tuple[str, ...]) -> None:
    record = ScenarioRecord.from_json(json.loads(json.dumps(RECORD)))
    call = SimpleNamespace(when="call", failed=True, extras=[{"name": "earlier"}])
    html.attach_extras(call, record, lang)  # type: ignore[arg-type]
    assert [e["format_type"] for e in call.extras[1:]] == ["html"]
    content = call.extras[1]["content"]
    assert "data:" not in content
    seen = text_of(content)
    for w in words:
        assert w in seen
    assert "When the canary deposits" in seen and "dep-1" in seen and "payout_missing_answer" in seen
    assert "POST /api/v1/player/wallet/deposit" in seen and '"token_type": "bearer"' in seen
    assert "payout_withdraw_http_error" in seen
    assert SEED not in content and MASK in content


def test_evidence_rides_on_the_call_or_a_failed_setup_only() -> None:
    record = ScenarioRecord.from_json(json.loads(json.dumps(RECORD)))
    steps_only = ScenarioRecord("n", lines=["t15_api_health"], steps=record.steps)
    passed_setup = SimpleNamespace(when="setup", failed=False)
    html.attach_extras(passed_setup, steps_only)  # type: ignore[arg-type]
    assert not hasattr(passed_setup, "extras")  # a passing setup carries no evidence
    failed_setup = SimpleNamespace(when="setup", failed=True)
    html.attach_extras(failed_setup, steps_only)  # type: ignore[arg-type]
    assert "When the canary deposits" in failed_setup.extras[0]["content"]  # the steps recorded so far
    empty = SimpleNamespace(when="call", failed=False)
    html.attach_extras(empty, ScenarioRecord("n"))  # type: ignore[arg-type]
    assert not hasattr(empty, "extras")


def test_a_rendering_error_in_a_row_does_not_break_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> str:
        raise RuntimeError("row broke")

    monkeypatch.setattr(html, "record_html", broken)
    call = SimpleNamespace(when="call", failed=True)
    html.attach_extras(call, ScenarioRecord.from_json(json.loads(json.dumps(RECORD))))  # type: ignore[arg-type]
    assert "row broke" in call.extras[0]["content"]
