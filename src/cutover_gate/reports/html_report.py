"""pytest-html integration, as plain functions: the decision banner and the checklist on top of report.html (from
`templates/<lang>/banner.html.j2`), the "Checklist lines" column, and the evidence of each test as extras.

The hooks that call these are in plugin.py; they are registered only when pytest-html is present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2
import pytest
from pytest_html import extras

from cutover_gate.core.catalogue import LANGS
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import Decision
from cutover_gate.evidence.recording import ScenarioRecord
from cutover_gate.reports.render import TEMPLATES_DIR

VERDICT_COLOURS: dict[str, str] = {"GO": "#1e7e34", "NO-GO": "#b52a1c", "PENDING": "#a86b00"}
RESULT_COLOURS: dict[str, str] = {"PASS": "#1e7e34", "FAIL": "#b52a1c", "WAIVED": "#1f5fa8", "NOT_RUN": "#6c757d"}


@cache
def environment(lang: str) -> jinja2.Environment:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; expected one of {', '.join(LANGS)}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR / lang), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["scrub"] = lambda value: REDACTOR.scrub(str(value))
    return env


def banner_html(decision: Decision | None, lang: str = "en") -> str:
    return environment(lang).get_template("banner.html.j2").render(
        decision=decision, colours=VERDICT_COLOURS, verdict=decision.decision.value if decision else None)


def checklist_html(decision: Decision | None, lang: str = "en") -> str:
    if decision is None or not decision.checklist:
        return ""
    return environment(lang).get_template("checklist.html.j2").render(rows=decision.checklist,
                                                                     colours=RESULT_COLOURS)


def lines_cell(user_properties: Sequence[tuple[str, object]]) -> str:
    """The "Checklist lines" cell of a results row, from the report's `checklist_id` property."""
    lines = next((str(v) for k, v in user_properties if k == "checklist_id"), "")
    return environment("en").from_string('<td class="col-lines">{{ lines }}</td>').render(
        lines=REDACTOR.scrub(", ".join(x for x in lines.split(",") if x)))


def step_outcomes(steps: Sequence[Mapping[str, Any]]) -> str:
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


def attach_extras(report: pytest.TestReport, record: ScenarioRecord) -> None:
    """pytest-html reads `report.extras` (its own interface): the record's evidence joins whatever is there, on the
    call's report, or on a failed setup's (a passing setup carries none)."""
    if not (report.when == "call" or (report.when == "setup" and report.failed)):
        return
    found = evidence_extras(record.to_json())
    if found:
        report.extras = [*getattr(report, "extras", []), *found]  # type: ignore[attr-defined]
