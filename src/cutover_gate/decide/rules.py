"""CONTRACT §2 decision rules, as a pure function.

GO only when every mandatory line of t60, t30, t15 and t0 is PASS or WAIVED for this release SHA. Any FAIL or any
IMMEDIATE_ROLLBACK trigger is NO-GO. Everything else is PENDING. A line nobody ran is NOT_RUN, never PASS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cutover_gate.core.catalogue import LINES, PHASES, TRIGGERS_BY_ID, Action, lines_of
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation


class Verdict(StrEnum):
    GO = "GO"
    NO_GO = "NO-GO"
    PENDING = "PENDING"


@dataclass
class Decision:
    decision: Verdict
    release_sha: str | None
    target: str
    lang: str
    decider: str
    generated_at: str
    env_name: str
    phases: dict[str, str]
    checklist: list[dict[str, Any]]
    triggers: list[TriggerObservation]
    reasons: list[str]
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
            "phases": self.phases,
            "selected_phases": self.selected_phases,
            "checklist": self.checklist,
            "triggers": [t.to_json() for t in self.triggers],
            "reasons": self.reasons,
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
    checklist: list[dict[str, Any]] = []
    for line in LINES:
        res = results.get(line.id) or LineResult(line.id, Result.NOT_RUN, message="not run")
        checklist.append({
            "id": line.id,
            "phase": line.phase,
            "section": line.section,
            "title": line.title(lang),
            "mandatory": line.mandatory,
            "result": res.result.value,
            "ref": refs.get(line.id, ""),
            "at": res.at,
            "message": res.message,
            "evidence": res.evidence,
        })
    phases = {phase: phase_result(phase, results).value for phase in PHASES}

    failed = [c for c in checklist if c["result"] == Result.FAIL.value]
    rollback = [t for t in triggers if t.action == Action.IMMEDIATE_ROLLBACK.value]
    reasons = [f"{c['id']} FAIL: {c['message']}".rstrip(": ") for c in failed]
    for t in rollback:
        title = TRIGGERS_BY_ID[t.row].title(lang) if t.row in TRIGGERS_BY_ID else t.row
        reasons.append(f"trigger {t.row} ({title}) -> {t.action}: {t.evidence}")
    if not release_sha:
        reasons.append("release SHA not pinned: results cannot be tied to a release")

    mandatory = [c for c in checklist if c["mandatory"] and c["phase"] in PHASES]
    if failed or rollback:
        verdict = Verdict.NO_GO
    elif release_sha and mandatory and all(Result(c["result"]).ok for c in mandatory):
        verdict = Verdict.GO
    else:
        verdict = Verdict.PENDING
        missing = [c["id"] for c in mandatory if not Result(c["result"]).ok]
        if missing:
            reasons.append("not yet PASS: " + ", ".join(missing))
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
