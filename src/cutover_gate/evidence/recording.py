"""What a running scenario records: step outcomes, evidence, waivers and triggers, attributed to checklist lines.

This side runs wherever the test runs (an xdist worker, or the only process). The `ScenarioRecord` travels to the
controller as JSON (`to_json` / `from_json`), where evidence/results.py turns it into line results.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NoReturn, TypeVar

import pytest
from gherkin.dialect import Dialect

from cutover_gate.core.catalogue import LANGS, LINES_BY_ID, TRIGGERS_BY_ID
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.reasons import Kind, Reason
from cutover_gate.core.redact import REDACTOR
from cutover_gate.evidence.model import StepRecord, StepStatus, TriggerObservation

LINE_ATTR = "__cutover_line__"
MAX_HTTP = 60

F = TypeVar("F", bound=Callable[..., Any])


def proves(line: str) -> Callable[[F], F]:
    """Attribute a step function to a checklist line (innermost decorator, below @given/@when/@then)."""
    if line not in LINES_BY_ID:
        raise ValueError(f"unknown checklist line '{line}'")

    def mark(func: F) -> F:
        setattr(func, LINE_ATTR, line)
        return func

    return mark


@dataclass
class ScenarioRecord:
    """Everything one scenario recorded. `evidence` maps a line id to its values; values no line owns sit in
    `scenario_evidence`. `waived` maps a line to the waivers that made it pass."""

    nodeid: str
    lines: list[str] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    scenario_evidence: dict[str, Any] = field(default_factory=dict)
    waived: dict[str, list[str]] = field(default_factory=dict)
    triggers: list[TriggerObservation] = field(default_factory=list)
    http: list[dict[str, Any]] = field(default_factory=list)
    failure: Reason | None = None
    """Why the scenario stopped outside a step's record, as the exception said it (a skip, a fixture's failure)."""

    @property
    def given_failure(self) -> Reason | None:
        """`failure` when a check gave it (a `CheckFailed`'s or a `skip`'s record); None when the scenario stopped on
        an exception's own words, or not at all."""
        return self.failure if self.failure is not None and self.failure.kind is not Kind.VERBATIM else None

    def to_json(self) -> dict[str, Any]:
        return {"nodeid": self.nodeid, "lines": list(self.lines), "steps": [s.to_json() for s in self.steps],
                "evidence": self.evidence, "scenario_evidence": self.scenario_evidence, "waived": self.waived,
                "triggers": [t.to_json() for t in self.triggers], "http": self.http,
                "failure": self.failure.to_json() if self.failure is not None else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScenarioRecord:
        return cls(nodeid=str(data["nodeid"]), lines=list(data.get("lines", [])),
                   steps=[StepRecord.from_json(s) for s in data.get("steps", [])],
                   evidence={k: dict(v) for k, v in data.get("evidence", {}).items()},
                   scenario_evidence=dict(data.get("scenario_evidence", {})),
                   waived={k: list(v) for k, v in data.get("waived", {}).items()},
                   triggers=[TriggerObservation.from_json(t) for t in data.get("triggers", [])],
                   http=list(data.get("http", [])),
                   failure=Reason.from_json(data["failure"]) if data.get("failure") else None)


@cache
def _keywords() -> dict[str, str]:
    """The Gherkin keywords of the runbook's languages as the feature files spell them, by pytest-bdd's title case
    (it hands steps over as `"O Zaman"`, `"Eğer Ki"`; the Turkish dialect writes "O zaman", "Eğer ki")."""
    spelled: dict[str, str] = {}
    for lang in LANGS:
        dialect = Dialect.for_name(lang)
        if dialect is None:
            continue
        for kw in (*dialect.given_keywords, *dialect.when_keywords, *dialect.then_keywords, *dialect.and_keywords,
                   *dialect.but_keywords):
            spelled.setdefault(kw.strip().title(), kw.strip())
    return spelled


def step_text(keyword: str, name: str) -> str:
    """A step as its feature file writes it: the keyword in the dialect's own case, then the step's text."""
    kw = keyword.strip()
    return f"{_keywords().get(kw, kw)} {name}".strip()


class Skipped(pytest.skip.Exception):  # type: ignore[name-defined]
    """pytest's skip, carrying its cause as a `Reason` (see `skip`). Shown as pytest shows its own ("Skipped: ...",
    at the step that skipped)."""

    __module__ = "builtins"

    def __init__(self, reason: Reason) -> None:
        super().__init__(msg=reason.text())
        self.reason = reason


def skip(message: str | Reason, /, **params: object) -> NoReturn:
    """Skip the scenario (its lines NOT_RUN) for a cause the reports say in the run's language: a catalogue message
    (marked `N_()`) with its `params`, or a `Reason`."""
    __tracebackhide__ = True
    raise Skipped(Reason.of(message, **params))


def failure_reason(exc: BaseException) -> Reason:
    """Why `exc` stopped a step: the cause a check gave (`CheckFailed`, `skip`), else the exception's own words."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, Reason):
        return reason
    return Reason.verbatim(failure_message(exc))


def redacted(reason: Reason) -> Reason:
    """`reason` with no secret in any value; when its English still shows one (a secret spelt across the message and
    a value), the scrubbed English alone, in every language."""
    reason = reason.scrubbed(REDACTOR.scrub)
    english = reason.text()
    scrubbed = REDACTOR.scrub(english)
    return reason if scrubbed == english else Reason.verbatim(scrubbed)


def failure_message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        # keep the sentence, not pytest's rewritten-expression explanation
        first = text.split("\nassert ")[0].strip()
        return first or "assertion failed"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Recorder:
    """The running scenario's record and the line its current step belongs to."""

    def __init__(self, nodeid: str, lines: list[str]) -> None:
        self.record = ScenarioRecord(nodeid, lines=list(lines))
        self.current_line: str | None = None

    def line_of(self, step_func: Callable[..., Any] | None) -> str | None:
        declared = getattr(step_func, LINE_ATTR, None) if step_func is not None else None
        if declared:
            return str(declared)
        lines = self.record.lines
        return lines[0] if len(lines) == 1 else None

    def begin_step(self, step_func: Callable[..., Any] | None) -> None:
        self.current_line = self.line_of(step_func)

    def end_step(self, text: str, step_func: Callable[..., Any] | None, status: StepStatus,
                 reason: Reason | None = None) -> None:
        reason = redacted(reason) if reason is not None else None
        self.record.steps.append(StepRecord(nodeid=self.record.nodeid, step=REDACTOR.scrub(text),
                                            line=self.line_of(step_func), status=status, at=iso(utcnow()),
                                            message=reason.text()[:1000] if reason is not None else "",
                                            reason=reason))

    def failed(self, exc: BaseException) -> None:
        """The scenario stopped on `exc` outside a step's record (a skip, a fixture's failure)."""
        self.record.failure = redacted(failure_reason(exc))

    def snapshot(self) -> ScenarioRecord:
        """A deep copy in JSON form, as it crosses to the controller (every value was redacted when recorded)."""
        return ScenarioRecord.from_json(json.loads(json.dumps(self.record.to_json(), default=str)))


class Evidence:
    """What steps write down for the sign-off: values per line, waivers, observed triggers, HTTP exchanges."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    @property
    def _rec(self) -> ScenarioRecord:
        return self._recorder.record

    @property
    def current_line(self) -> str | None:
        return self._recorder.current_line

    def _values(self, line: str | None) -> dict[str, Any]:
        target = line or self.current_line
        if target is None:
            return self._rec.scenario_evidence
        return self._rec.evidence.setdefault(target, {})

    def put(self, key: str, value: Any, line: str | None = None) -> None:
        self._values(line)[key] = REDACTOR.scrub_obj(value)

    def get(self, key: str, line: str | None = None) -> Any:
        return self._values(line).get(key)

    def waive(self, waivers: list[str], line: str | None = None) -> None:
        """The line passes only because of these waivers: its result is WAIVED, not PASS."""
        target = line or self.current_line
        if target is None:
            raise ValueError("a waiver needs a checklist line")
        self._rec.waived[target] = [REDACTOR.scrub(w) for w in waivers]

    def trigger(self, row: str, evidence: str | Reason, line: str | None = None) -> None:
        """Row `row` of the rollback matrix observed; `evidence` says what was seen, a catalogue message said in the
        report's language: a `Reason`, or a string looked up as one (marked `N_()`; see `Reason.label`)."""
        spec = TRIGGERS_BY_ID[row]
        reason = redacted(Reason.label(evidence))
        text = reason.text()
        obs = TriggerObservation.observe(row, spec.action.value, text, line or self.current_line, reason=reason)
        if all(t.row != row for t in self._rec.triggers):
            self._rec.triggers.append(obs)

    def http(self, exchange: dict[str, Any]) -> None:
        if len(self._rec.http) < MAX_HTTP:
            self._rec.http.append({"line": self.current_line, **REDACTOR.scrub_obj(exchange)})
