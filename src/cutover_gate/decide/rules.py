"""CONTRACT §2 decision rules, as a pure function.

GO only when every mandatory line of t60, t30, t15 and t0 is PASS or WAIVED for this release SHA. Any FAIL or any
IMMEDIATE_ROLLBACK trigger is NO-GO. Everything else is PENDING. A line nobody ran is NOT_RUN, never PASS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cutover_gate.core.catalogue import LINES, PHASES, TRIGGERS_BY_ID, Action, lines_of
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Kind, Reason, read, texts
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation, reason_json, said

LINE_FAILED = N_("%(line)s FAIL: %(message)s")
LINE_FAILED_SILENTLY = N_("%(line)s FAIL")
TRIGGER_OBSERVED = N_("trigger %(row)s (%(title)s) -> %(action)s: %(evidence)s")
UNPINNED = N_("release SHA not pinned: results cannot be tied to a release")
NOT_YET_PASS = N_("not yet PASS: %(lines)s")


class Verdict(StrEnum):
    GO = "GO"
    NO_GO = "NO-GO"
    PENDING = "PENDING"


@dataclass
class ChecklistRow:
    """A checklist line as the decision states it (decision.json and checklist.json `checklist`)."""

    id: str
    phase: str
    section: int
    title: str
    mandatory: bool
    result: Result
    ref: str = ""
    """The line's evidence file, relative to the reports dir ("" when it has none)."""
    at: str | None = None
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: Reason | None = None
    """`message` as a record, said in a report's language (None: the message is shown as given)."""

    def said(self, lang: str = "en") -> str:
        return said(self.reason, self.message, lang)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "phase": self.phase, "section": self.section, "title": self.title,
                "mandatory": self.mandatory, "result": self.result.value, "ref": self.ref, "at": self.at,
                "message": self.message, "evidence": self.evidence,
                **reason_json(self.reason)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChecklistRow:
        """A row as a decision.json states it; a result it does not state (or one unknown here) is NOT_RUN, what
        else it lacks is empty. Raises KeyError without an id."""
        result = Result.stated(data.get("result"))
        return cls(id=str(data["id"]), phase=str(data.get("phase", "")), section=int(data.get("section") or 0),
                   title=str(data.get("title") or ""), mandatory=bool(data.get("mandatory", False)), result=result,
                   ref=str(data.get("ref") or ""), at=data.get("at"), message=str(data.get("message") or ""),
                   evidence=dict(data.get("evidence") or {}), reason=read(data.get("reason")))


@dataclass
class Decision:
    decision: Verdict
    release_sha: str | None
    target: str
    lang: str
    decider: str
    generated_at: str
    env_name: str
    phases: dict[str, Result]
    checklist: list[ChecklistRow]
    triggers: list[TriggerObservation]
    reasons: list[Reason]
    """Why the decision is what it is, as records: decision.json's `reasons` are their English, `reason_messages`
    the records themselves."""
    selected_phases: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "release_sha": self.release_sha,
            "target": self.target,
            "lang": self.lang,
            "decider": self.decider,
            "generated_at": self.generated_at,
            "env_name": self.env_name,
            "phases": {phase: result.value for phase, result in self.phases.items()},
            "selected_phases": self.selected_phases,
            "checklist": [row.to_json() for row in self.checklist],
            "triggers": [t.to_json() for t in self.triggers],
            "reasons": texts(self.reasons),
            "reason_messages": [reason.to_json() for reason in self.reasons],
        }


def phase_result(phase: str, results: Mapping[str, LineResult]) -> Result:
    """FAIL when any line of the phase FAILed (an optional one too: its FAIL is NO-GO as well); PASS when every
    mandatory line is PASS or WAIVED; NOT_RUN otherwise."""
    if any(results[line.id].result is Result.FAIL for line in lines_of(phase) if line.id in results):
        return Result.FAIL
    lines = [line for line in lines_of(phase) if line.mandatory]
    got = [results[line.id].result if line.id in results else Result.NOT_RUN for line in lines]
    if got and all(r.ok for r in got):
        return Result.PASS
    return Result.NOT_RUN


def line_failed(line: str, message: str | Reason) -> Reason:
    """`<line> FAIL: <the line's own message>` (the message as the check wrote it, without a trailing colon)."""
    english = message.text() if isinstance(message, Reason) else message
    trimmed = english.rstrip(": ")
    if not trimmed:
        return Reason(LINE_FAILED_SILENTLY, {"line": line}, Kind.LINE)
    cause = message if isinstance(message, Reason) and trimmed == english else trimmed
    return Reason(LINE_FAILED, {"line": line, "message": cause}, Kind.LINE)


def trigger_observed(t: TriggerObservation) -> Reason:
    """`trigger <row> (<its title>) -> <action>: <evidence>`; the title in the report's language."""
    spec = TRIGGERS_BY_ID.get(t.row)
    title: str | Reason = Reason(spec.title_en) if spec is not None else t.row
    return Reason(TRIGGER_OBSERVED, {"row": t.row, "title": title, "action": t.action.value,
                                     "evidence": t.reason or str(t.evidence)}, Kind.TRIGGER)


def decide(
    results: Mapping[str, LineResult],
    triggers: Iterable[TriggerObservation],
    *,
    release_sha: str | None,
    target: str,
    lang: str,
    decider: str,
    env_name: str,
    selected_phases: Iterable[str] = (),
    refs: Mapping[str, str] | None = None,
) -> Decision:
    triggers = list(triggers)
    refs = refs or {}
    checklist: list[ChecklistRow] = []
    for line in LINES:
        res = results.get(line.id) or LineResult(line.id, Result.NOT_RUN, message="not run")
        checklist.append(ChecklistRow(id=line.id, phase=line.phase, section=line.section, title=line.title(lang),
                                      mandatory=line.mandatory, result=res.result, ref=refs.get(line.id, ""),
                                      at=res.at, message=res.message, evidence=res.evidence, reason=res.reason))
    phases = {phase: phase_result(phase, results) for phase in PHASES}

    failed = [c for c in checklist if c.result is Result.FAIL]
    rollback = [t for t in triggers if t.action is Action.IMMEDIATE_ROLLBACK]
    reasons = [line_failed(c.id, c.reason or c.message) for c in failed]
    reasons += [trigger_observed(t) for t in rollback]
    if not release_sha:
        reasons.append(Reason(UNPINNED, kind=Kind.UNPINNED))

    mandatory = [c for c in checklist if c.mandatory and c.phase in PHASES]
    if failed or rollback:
        verdict = Verdict.NO_GO
    elif release_sha and mandatory and all(c.result.ok for c in mandatory):
        verdict = Verdict.GO
    else:
        verdict = Verdict.PENDING
        missing = [c.id for c in mandatory if not c.result.ok]
        if missing:
            reasons.append(Reason(NOT_YET_PASS, {"lines": ", ".join(missing)}, Kind.NOT_YET_PASS))
    return Decision(
        decision=verdict,
        release_sha=release_sha,
        target=target,
        lang=lang,
        decider=decider,
        generated_at=iso(utcnow()),
        env_name=env_name,
        phases=phases,
        checklist=checklist,
        triggers=triggers,
        reasons=reasons,
        selected_phases=sorted(set(selected_phases)),
    )
