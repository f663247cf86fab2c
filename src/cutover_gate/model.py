"""Plain data of a gate run: results per checklist line, observed triggers, the decision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class Result(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    WAIVED = "WAIVED"
    NOT_RUN = "NOT_RUN"

    @property
    def ok(self) -> bool:
        return self in (Result.PASS, Result.WAIVED)


class Verdict(StrEnum):
    GO = "GO"
    NO_GO = "NO-GO"
    PENDING = "PENDING"


DECIDE_WITHIN = timedelta(minutes=5)
"""The runbook: when a rollback trigger is observed, the IC decides within 5 minutes."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class StepEvent:
    """One Gherkin step's outcome, as the scribe logs it."""

    nodeid: str
    step: str
    line: str | None
    status: str  # PASS | FAIL
    at: str
    message: str = ""


@dataclass
class LineResult:
    id: str
    result: Result
    at: str | None = None
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    nodeids: list[str] = field(default_factory=list)
    release_sha: str | None = None
    """The release the result was measured for; results of another release never count."""
    run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["result"] = self.result.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineResult:
        data = dict(data)
        data["result"] = Result(data["result"])
        return cls(**data)


@dataclass
class TriggerObservation:
    row: str
    action: str
    observed_at: str
    decide_by: str
    evidence: str
    line: str | None = None

    @classmethod
    def observe(cls, row: str, action: str, evidence: str, line: str | None, at: datetime | None = None
                ) -> TriggerObservation:
        when = at or utcnow()
        return cls(row=row, action=action, observed_at=iso(when), decide_by=iso(when + DECIDE_WITHIN),
                   evidence=evidence, line=line)


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
            "triggers": [asdict(t) for t in self.triggers],
            "reasons": self.reasons,
        }
