"""pytest-html integration: the GO / NO-GO banner and the checklist on top of report.html; evidence per test.

The gate registers `HtmlReport` only when pytest-html is present (on the controller and on xdist workers alike: the
extras are attached where the test runs and travel with its report). Hook signatures are pytest-html 4.x's
(`pytest_html/hooks.py`). pytest-html calls `pytest_html_results_summary` from its own `pytest_sessionfinish`
(trylast), after the gate's `tryfirst` sessionfinish has computed the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from html import escape
from typing import Any

import pytest
from pytest_html import extras

from .model import Decision
from .recorder import RECORD
from .secrets import REDACTOR

VERDICT_COLOURS: dict[str, str] = {"GO": "#1e7e34", "NO-GO": "#b52a1c", "PENDING": "#a86b00"}
RESULT_COLOURS: dict[str, str] = {"PASS": "#1e7e34", "FAIL": "#b52a1c", "WAIVED": "#1f5fa8", "NOT_RUN": "#6c757d"}


def _text(value: Any) -> str:
    return escape(REDACTOR.scrub(str(value)))


def banner_html(decision: Decision | None) -> str:
    if decision is None:
        return ('<div class="cutover-decision" style="border:3px solid #6c757d;padding:12px;margin:8px 0">'
                "<h2 style=\"margin:0\">Cutover decision: not computed</h2>"
                "<p>The gate did not reach a decision; see decision.json.</p></div>")
    verdict = decision.decision.value
    colour = VERDICT_COLOURS[verdict]
    facts = " · ".join(f"{label}: <code>{_text(value)}</code>" for label, value in (
        ("release", decision.release_sha or "not pinned"), ("target", decision.target), ("env", decision.env_name),
        ("decided by", decision.decider), ("generated", decision.generated_at)))
    reasons = "".join(f"<li>{_text(r)}</li>" for r in decision.reasons)
    return (f'<div class="cutover-decision" style="border:3px solid {colour};padding:12px;margin:8px 0">'
            f'<h2 style="margin:0;color:{colour};font-size:2em">Cutover decision: {verdict}</h2>'
            f"<p>{facts}</p>" + (f"<ul>{reasons}</ul>" if reasons else "") + "</div>")


def checklist_html(decision: Decision | None) -> str:
    if decision is None or not decision.checklist:
        return ""
    rows = []
    for row in decision.checklist:
        result = str(row.get("result", "NOT_RUN"))
        colour = RESULT_COLOURS.get(result, "inherit")
        rows.append(f"<tr><td><code>{_text(row.get('id', ''))}</code></td><td>{_text(row.get('title', ''))}</td>"
                    f'<td style="color:{colour};font-weight:bold">{_text(result.replace("_", " "))}</td></tr>')
    return ('<table class="cutover-checklist" style="margin:8px 0"><thead><tr><th>Line</th><th>Title</th>'
            f"<th>Result</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def step_outcomes(steps: list[Mapping[str, Any]]) -> str:
    return "\n".join(f"{s.get('at', '')}  {s.get('status', ''):4}  [{s.get('line') or '-'}]  {s.get('step', '')}"
                     + (f"\n    {s['message']}" if s.get("message") else "") for s in steps)


def evidence_extras(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """pytest-html extras for one test's record: step outcomes, HTTP exchanges, evidence, triggers (redacted)."""
    out: list[dict[str, Any]] = []
    if record.get("steps"):
        out.append(extras.text(REDACTOR.scrub(step_outcomes(record["steps"])), name="Steps"))
    for key, name in (("http", "HTTP exchanges"), ("evidence", "Evidence"), ("triggers", "Rollback triggers")):
        if record.get(key):
            out.append(extras.json(REDACTOR.scrub_obj(record[key]), name=name))
    return out


class HtmlReport:
    """pytest-html hooks of the gate; `decision` answers the run's Decision once the gate has computed it."""

    def __init__(self, decision: Callable[[], Decision | None], title: str = "Cutover gate report") -> None:
        self._decision = decision
        self._title = title

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = self._title

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        decision = self._decision()
        prefix.insert(0, banner_html(decision))
        table = checklist_html(decision)
        if table:
            summary.append(table)

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, "<th>Checklist lines</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        record = getattr(report, "cutover_record", None) or {}
        cells.insert(2, f'<td class="col-lines">{_text(", ".join(record.get("lines") or []))}</td>')

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        # tryfirst makes this wrapper outermost: its code after `yield` runs after the wrapper that attaches
        # `report.cutover_record`; the item's stash holds the same record should that wrapper run outside this one.
        report = yield
        if report.when == "call" or (report.when == "setup" and report.failed):
            record = getattr(report, "cutover_record", None) or item.stash.get(RECORD, None)
            if record:
                report.extras = [*getattr(report, "extras", []), *evidence_extras(record)]  # type: ignore[attr-defined]
        return report
