"""pytest-html integration, as plain functions: the decision panel on top of report.html, the "Checklist lines"
column, and the evidence of each test inline in its row.

The panel (`templates/banner.html.j2`) says GO / NO-GO / PENDING in the run's language, each
IMMEDIATE_ROLLBACK trigger with its decide-by time, each failing line with a one-line cause (the raw message behind a
toggle) and the evidence of every line (steps, recorded values, redacted HTTP exchanges) on the page itself.
pytest-html renders its summary prefix below its environment table, so `move_panel_first` moves the panel to the top
of the written file; the evidence is HTML on the page, never a `data:` link (those open blank tabs, pytest-html #273).

The hooks that call these are in plugin.py; they are registered only when pytest-html is present.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import pytest
from pytest_html import extras

from cutover_gate.core.catalogue import LANGS, PHASES, TRIGGERS_BY_ID, Action
from cutover_gate.core.clock import parse_time
from cutover_gate.core.reasons import Kind, Reason, read
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import ChecklistRow, Decision, Verdict
from cutover_gate.evidence.model import Result, said
from cutover_gate.evidence.recording import ScenarioRecord
from cutover_gate.evidence.results import BLOCKED_BY_STEP, STEP_FAILED
from cutover_gate.reports.render import TEMPLATES_DIR, i18n_environment, one_line, word

VERDICT_COLOURS: dict[str, str] = {"GO": "#1e7e34", "NO-GO": "#b52a1c", "PENDING": "#a86b00"}
NO_DECISION_COLOUR = "#6c757d"
PANEL_START = "<!-- cutover-gate:decision-panel -->"
PANEL_END = "<!-- /cutover-gate:decision-panel -->"
CAUSE_MAX = 200
"""A failing line's one-line cause is cut at about this many characters; the full message is behind a toggle."""

EvidenceLoader = Callable[[str], Mapping[str, Any]]
"""Reads a line's evidence file (its `ref`, relative to the reports dir)."""


# --- the jinja environment ------------------------------------------------------------------------------------


def clock(value: Any) -> str:
    """`2025-03-01T16:20:00Z` as a time of day on the page: `16:20:00` (UTC, as every time the gate writes)."""
    ts = parse_time(value)
    return "" if ts is None else ts.strftime("%H:%M:%S")


def pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def url_path(url: Any) -> str:
    parts = urlsplit(str(url or ""))
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "") if parts.scheme else str(url or "")


@cache
def environment(lang: str) -> jinja2.Environment:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; expected one of {', '.join(LANGS)}")
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES_DIR),
                                  jinja2.FileSystemLoader(TEMPLATES_DIR / "common")])
    env = i18n_environment(lang, loader=loader, autoescape=True)
    env.filters["scrub"] = lambda value: REDACTOR.scrub(str(value))
    env.filters["status"] = lambda value: word(str(value), lang)
    env.filters["clock"] = clock
    env.filters["pretty"] = pretty
    env.filters["path"] = url_path
    env.filters["one_line"] = one_line
    return env


# --- the panel's view data ------------------------------------------------------------------------------------


SHOWN_BY_LINE_OR_TRIGGER = frozenset({Kind.LINE, Kind.TRIGGER, Kind.NOT_YET_PASS})
"""Reasons the panel shows by their line or trigger; any other reason (an error of the gate itself, an unpinned
release) is listed under the banner."""
_BLOCKED = re.compile(r"^blocked: step '(?P<step>.+?)' failed(?::|$)")
_AT_STEP = re.compile(r"^step '(?P<step>.+?)': ")


def short(text: str | None) -> str:
    """One line a person reads first: no JSON body after an HTTP status, no line breaks, at most ~CAUSE_MAX chars."""
    line = re.sub(r"(-> \d{3}) [\[{].*$", r"\1", one_line(text))
    return line if len(line) <= CAUSE_MAX else line[:CAUSE_MAX].rsplit(" ", 1)[0] + " …"


def cause_of(row: ChecklistRow, lang: str) -> dict[str, str]:
    """`cause` of a row, in `lang`: from its reason's record when it has one, else from its (English) message."""
    reason = row.reason
    if reason is not None and reason.msgid in (STEP_FAILED, BLOCKED_BY_STEP):
        step = str(reason.params.get("step", ""))
        if reason.msgid == BLOCKED_BY_STEP:
            return {"kind": "blocked", "step": step, "text": ""}
        found = reason.params.get("cause")
        text = found.text(lang) if isinstance(found, Reason) else str(found or "")
        return {"kind": "failed", "step": step, "text": short(one_line(text))}
    return cause(row.said(lang))


def cause(message: str | None) -> dict[str, str]:
    """A failing line's cause: `kind` "blocked" (an earlier step of the scenario failed: `step` names it) or
    "failed" (`step` is the line's own failing step, when known), and `text`, the cause in one line."""
    text = one_line(message)
    blocked = _BLOCKED.match(text)
    if blocked:
        return {"kind": "blocked", "step": blocked["step"], "text": ""}
    at = _AT_STEP.match(text)
    if at:
        return {"kind": "failed", "step": at["step"], "text": short(text[at.end():])}
    return {"kind": "failed", "step": "", "text": short(text)}


def trigger_view(t: Any, lang: str, generated_at: str) -> dict[str, Any]:
    observed, by, now = parse_time(t.observed_at), parse_time(t.decide_by), parse_time(generated_at)
    minutes = round((by - observed).total_seconds() / 60) if observed and by else 5
    return {"row": t.row, "title": TRIGGERS_BY_ID[t.row].title(lang) if t.row in TRIGGERS_BY_ID else t.row,
            "action": t.action.value, "line": t.line, "evidence": one_line(t.said(lang)), "minutes": minutes,
            "observed": _stamp(observed, now), "decide_by": _stamp(by, now),
            "overdue": bool(by and now and now > by)}


def _stamp(ts: datetime | None, now: datetime | None) -> str:
    if ts is None:
        return "?"
    return ts.strftime("%H:%M:%S") if now is None or ts.date() == now.date() else ts.strftime("%Y-%m-%d %H:%M:%S")


def said_steps(steps: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Recorded steps (StepRecord JSON) with each one's message in `lang`."""
    return [{**step, "message": said_json(step, "message", lang)} for step in steps]


def said_json(record: Mapping[str, Any], key: str, lang: str) -> str:
    """A recorded step's message or trigger's evidence (`key`) in `lang`: its `reason`, else the English as given."""
    return said(read(record.get("reason")), str(record.get(key) or ""), lang)


def line_evidence(row: Mapping[str, Any], load: EvidenceLoader | None, lang: str = "en") -> dict[str, Any] | None:
    """A checklist row's evidence: its recorded values, and the steps and HTTP exchanges of its evidence file
    (None when nothing was recorded)."""
    data: Mapping[str, Any] = {}
    ref = str(row.get("ref") or "")
    if ref and load is not None:
        try:
            data = load(ref)
        except (OSError, ValueError):
            data = {}
    values = row.get("evidence") or (data.get("result") or {}).get("evidence") or {}
    found = {"steps": said_steps(data.get("steps") or [], lang), "values": dict(values),
             "http": list(data.get("http") or [])}
    return {**found, "file": ref} if any(found.values()) else None


def row_view(row: ChecklistRow, load: EvidenceLoader | None, lang: str = "en") -> dict[str, Any]:
    data = row.to_json()
    return {**data, "evidence": line_evidence(data, load, lang), "cause": cause_of(row, lang), "raw": row.said(lang)}


def panel_view(decision: Decision | None, lang: str, load: EvidenceLoader | None = None) -> dict[str, Any]:
    if decision is None:
        return {"decision": None, "verdict": "none", "colour": NO_DECISION_COLOUR}
    verdict = decision.decision.value
    rows = [row_view(c, load, lang) for c in decision.checklist]
    lines = list(zip(decision.checklist, rows, strict=True))
    triggers = [trigger_view(t, lang, decision.generated_at) for t in decision.triggers]
    pending = [r for c, r in lines if c.mandatory and c.phase in PHASES and not c.result.ok]
    return {
        "decision": decision, "verdict": verdict, "verdict_word": word(verdict, lang),
        "colour": VERDICT_COLOURS[verdict], "release_sha": decision.release_sha, "target": decision.target,
        "env_name": decision.env_name, "decider": decision.decider, "generated_at": decision.generated_at,
        "immediate": [t for t in triggers if t["action"] == Action.IMMEDIATE_ROLLBACK.value],
        "monitor": [t for t in triggers if t["action"] != Action.IMMEDIATE_ROLLBACK.value],
        "failing": sorted((r for c, r in lines if c.result is Result.FAIL),
                          key=lambda r: r["cause"]["kind"] == "blocked"),
        "pending": pending if decision.decision is Verdict.PENDING else [],
        "phases": [{"phase": p, "result": decision.phases.get(p, Result.NOT_RUN)} for p in PHASES],
        "other_reasons": [one_line(r.text(lang)) for r in decision.reasons if r.kind not in SHOWN_BY_LINE_OR_TRIGGER],
        "checklist": rows,
    }


def banner_html(decision: Decision | None, lang: str = "en", load: EvidenceLoader | None = None) -> str:
    """The decision panel, between the markers `move_panel_first` looks for. Should the panel itself fail to
    render, the decision still heads the page, with the error (a report bug must not hide the verdict)."""
    try:
        html = environment(lang).get_template("banner.html.j2").render(panel_view(decision, lang, load))
    except Exception as exc:  # fail visibly, never lose the verdict
        verdict = decision.decision.value if decision else "not computed"
        html = environment(lang).from_string(FALLBACK).render(verdict=verdict, error=f"{type(exc).__name__}: {exc}",
                                                              colour=VERDICT_COLOURS.get(verdict, NO_DECISION_COLOUR))
    return f"{PANEL_START}\n{REDACTOR.scrub(html)}\n{PANEL_END}"


FALLBACK = ('<section id="cutover-gate"><div class="cg-banner" style="background:{{ colour }};color:#fff;'
            'padding:18px"><div id="cg-verdict" style="font-size:46px;font-weight:bold">{{ verdict }}</div>'
            '<div>decision panel error: {{ error }} (see decision.json)</div></div></section>')
"""The bare verdict, when the panel's template fails (language-neutral: the verdict and a technical error)."""


def evidence_loader(reports_dir: Path) -> EvidenceLoader:
    def load(ref: str) -> Mapping[str, Any]:
        path = (reports_dir / ref).resolve()
        if reports_dir.resolve() not in path.parents:
            raise ValueError(f"evidence ref outside the reports dir: {ref}")
        data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    return load


def move_panel_first(path: Path) -> bool:
    """Move the decision panel from pytest-html's summary to the top of the page, and scrub the page once more.

    pytest-html 4 has no hook above its environment table: the panel goes in as a summary prefix and is moved here,
    in the written file, so the decision comes first with or without scripts. Nothing moves when the markers are not
    found exactly once (another pytest-html layout): the panel then stays in the summary."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    start, end = text.find(PANEL_START), text.find(PANEL_END)
    body = re.search(r"<body[^>]*>", text)
    moved = False
    if (body and 0 <= start < end and text.count(PANEL_START) == 1 and text.count(PANEL_END) == 1
            and body.end() <= start):
        panel = text[start:end + len(PANEL_END)]
        text = text[:start] + text[end + len(PANEL_END):]
        text = text[:body.end()] + "\n" + panel + "\n" + text[body.end():]
        moved = True
    path.write_text(REDACTOR.scrub(text), encoding="utf-8")
    return moved


# --- the results table ----------------------------------------------------------------------------------------


def lines_cell(user_properties: Sequence[tuple[str, object]]) -> str:
    """The "Checklist lines" cell of a results row, from the report's `checklist_id` property."""
    lines = next((str(v) for k, v in user_properties if k == "checklist_id"), "")
    return environment("en").from_string('<td class="col-lines">{{ lines }}</td>').render(
        lines=REDACTOR.scrub(", ".join(x for x in lines.split(",") if x)))


def record_html(record: Mapping[str, Any], lang: str = "en") -> str:
    """One test's evidence as HTML for its row: steps, recorded values per line, triggers, HTTP exchanges."""
    module = environment(lang).get_template("evidence.html.j2").module
    view = {"steps": said_steps(record.get("steps") or [], lang), "evidence": record.get("evidence") or {},
            "scenario_evidence": record.get("scenario_evidence") or {},
            "triggers": [{**t, "evidence": said_json(t, "evidence", lang)} for t in record.get("triggers") or []],
            "http": record.get("http") or []}
    return REDACTOR.scrub(str(module.record(REDACTOR.scrub_obj(view))))  # type: ignore[attr-defined]


def evidence_extras(record: Mapping[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    """pytest-html extras for one test's record: its evidence inline (an `html` extra, shown in the row)."""
    if not any(record.get(key) for key in ("steps", "http", "evidence", "triggers")):
        return []
    try:
        return [extras.html(record_html(record, lang))]
    except Exception as exc:  # a rendering bug must not break the run: say so in the row
        error = environment(lang).from_string("<p>evidence not rendered: {{ e }}</p>").render(e=str(exc))
        return [extras.html(REDACTOR.scrub(error))]


def attach_extras(report: pytest.TestReport, record: ScenarioRecord, lang: str = "en") -> None:
    """pytest-html reads `report.extras` (its own interface): the record's evidence joins whatever is there, on the
    call's report, or on a failed setup's (a passing setup carries none)."""
    if not (report.when == "call" or (report.when == "setup" and report.failed)):
        return
    found = evidence_extras(record.to_json(), lang)
    if found:
        report.extras = [*getattr(report, "extras", []), *found]  # type: ignore[attr-defined]
